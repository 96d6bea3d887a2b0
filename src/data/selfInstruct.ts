// Self-Instruct (Wang et al. 2022) and Evol-Instruct (Xu et al. 2023) as pure pieces: the seed
// tasks, the prompts, parsing a completion into instructions/instances, and the filters. The
// pipeline that calls an endpoint is selfInstructRun.ts.
//
// Filters (Self-Instruct §2.4 and Alpaca's generator): 3 to 150 words; none of the keywords a
// text model cannot act on (image, graph, file, map, draw, plot, video, audio, …); not starting
// with "Write a program" (ambiguous between writing code and giving the answer), with
// punctuation, or with a non-ASCII character; ROUGE-L F1 < 0.7 to every kept instruction; not an
// exact duplicate (case and spacing ignored). The similarity function is passed in (heed's
// ROUGE-L lives in eval/, a layer this file may not import).
import { readInputText } from '../io/open.ts';
import { eachJsonLine } from './dataset.ts';

export interface SeedTask {
  id: string;
  instruction: string;
  instances: { input: string; output: string }[];
}

/** Alpaca's seed_tasks.jsonl: {id, name, instruction, instances: [{input, output}], is_classification}. */
export function parseSeedTasks(text: string, source: string): SeedTask[] {
  const out: SeedTask[] = [];
  eachJsonLine(text, source, 'refuse', (r, where) => {
    const o = r as { id?: unknown; instruction?: unknown; instances?: unknown };
    if (!o || typeof o !== 'object' || typeof o.instruction !== 'string' || o.instruction.trim() === '')
      throw new Error(`${where}: a seed task needs an "instruction" string`);
    if (!Array.isArray(o.instances) || o.instances.length === 0)
      throw new Error(`${where}: a seed task needs a non-empty "instances" array`);
    const instances = o.instances.map((x: unknown, j) => {
      const inst = x as { input?: unknown; output?: unknown };
      if (!inst || typeof inst.input !== 'string' || typeof inst.output !== 'string')
        throw new Error(`${where}: instance ${j} needs string "input" and "output"`);
      return { input: inst.input, output: inst.output };
    });
    out.push({ id: typeof o.id === 'string' ? o.id : where, instruction: o.instruction.trim(), instances });
  });
  if (out.length === 0) throw new Error(`${source}: no seed tasks`);
  return out;
}

export function readSeedTasks(path: string): SeedTask[] {
  return parseSeedTasks(readInputText(path, 'seed tasks file'), path);
}

// ---- prompts --------------------------------------------------------------------------------

export const INSTRUCTION_HEADER = 'Come up with a series of tasks:\n';

/** Self-Instruct's instruction-generation prompt: numbered tasks, ending at the next number. */
export function instructionPrompt(tasks: readonly string[]): string {
  return `${INSTRUCTION_HEADER}${tasks.map((t, i) => `Task ${i + 1}: ${t}\n`).join('')}Task ${tasks.length + 1}:`;
}

export const INSTANCE_HEADER =
  "Come up with examples for the following tasks. If the task doesn't require additional input, write <noinput> as the input.\n\n";

/** The instance-generation prompt: demonstrations, then the new task up to "Input:" (the input is
 *  asked first, then the output after it: two short completions parse more reliably than one). */
export function instancePrompt(instruction: string, demos: readonly { instruction: string; input: string; output: string }[]): string {
  const demo = demos
    .map((d) => `Task: ${d.instruction}\nInput: ${d.input.trim() === '' ? '<noinput>' : d.input}\nOutput: ${d.output}\n\n`)
    .join('');
  return `${INSTANCE_HEADER}${demo}Task: ${instruction}\nInput:`;
}

export const EVOL_OPERATIONS = ['add-constraints', 'deepen', 'concretize', 'broaden'] as const;
export type EvolOperation = (typeof EVOL_OPERATIONS)[number];

const EVOL_HOW: Record<EvolOperation, string> = {
  'add-constraints': 'Add one more constraint or requirement to it.',
  deepen: 'If it asks about a certain issue, increase the depth and breadth of the question.',
  concretize: 'Replace general concepts with more specific concepts.',
  broaden: 'Write a new prompt in the same domain as it, but about a rarer topic, of similar length and difficulty.',
};

/** Evol-Instruct's rewrite prompt (in-depth: add constraints, deepen, concretize; in-breadth: broaden). */
export function evolPrompt(instruction: string, op: EvolOperation): string {
  const goal =
    op === 'broaden'
      ? 'Your objective is to draw inspiration from the given prompt to create a brand new prompt.'
      : 'Your objective is to rewrite the given prompt into a more complex version that people can still understand and answer.';
  return `I want you to act as a Prompt ${op === 'broaden' ? 'Creator' : 'Rewriter'}.\n${goal}\n${EVOL_HOW[op]}\nThe new prompt must be reasonable and must not exceed 20 more words than the given prompt.\n\n#Given Prompt#:\n${instruction}\n\n#${op === 'broaden' ? 'Created' : 'Rewritten'} Prompt#:\n`;
}

// ---- parsing --------------------------------------------------------------------------------

/** One line, runs of whitespace collapsed, ends trimmed. */
export const tidy = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Instructions in a continuation of instructionPrompt (which ended at "Task N:"): one per
 *  line, the first line continuing "Task N:", then each "Task M: ..." line; the list ends at the
 *  first line in another shape (the model left the format) and a last line cut by the token
 *  limit (finish_reason "length", no newline after it) is dropped. */
export function parseInstructions(completion: string, finishReason: string | undefined): string[] {
  const lines = completion.split('\n');
  if (finishReason === 'length') lines.pop();
  const out: string[] = [];
  for (const [i, line] of lines.entries()) {
    if (i === 0) {
      out.push(line);
      continue;
    }
    const m = /^\s*Task \d+\s*:(.*)$/.exec(line);
    if (!m) break;
    out.push(m[1]!);
  }
  return out.map(tidy).filter((p) => p !== '');
}

/** The input of a continuation of instancePrompt (which ended at "Input:"): its first line;
 *  "<noinput>" is no input. A line cut by the token limit is a reason to reject. */
export function parseInput(completion: string, finishReason: string | undefined): string | { reason: string } {
  const nl = completion.indexOf('\n');
  if (nl < 0 && finishReason === 'length') return { reason: 'input cut at the token limit' };
  const line = (nl < 0 ? completion : completion.slice(0, nl)).trim();
  return line === '<noinput>' ? '' : line;
}

/** The prompt for the output once the input is known. */
export function outputPrompt(instancePromptText: string, input: string): string {
  return `${instancePromptText} ${input === '' ? '<noinput>' : input}\nOutput:`;
}

/** The output of a continuation of outputPrompt: up to the next "Task:" (or a blank line). */
export function parseOutput(completion: string): string | { reason: string } {
  const out = completion.split(/\n\s*Task\s*:|\n\s*\n/)[0]!.trim();
  return out === '' ? { reason: 'empty output' } : out;
}

/** The rewritten instruction of a continuation of evolPrompt: up to a blank line or a
 *  #Marker#; a rewrite cut by the token limit before either is a reason to reject. */
export function parseEvolved(completion: string, finishReason?: string): string | { reason: string } {
  const end = /\n\s*\n|#\w[\w ]*#/.exec(completion);
  if (!end && finishReason === 'length') return { reason: 'rewrite cut at the token limit' };
  const text = tidy(end ? completion.slice(0, end.index) : completion);
  return text === '' ? { reason: 'no instruction parsed' } : text;
}

// ---- filters --------------------------------------------------------------------------------

export const BLOCKED_WORDS = [
  'image',
  'images',
  'graph',
  'graphs',
  'picture',
  'pictures',
  'file',
  'files',
  'map',
  'maps',
  'draw',
  'plot',
  'go to',
  'video',
  'audio',
  'music',
  'flowchart',
  'diagram',
];

/** Why an instruction fails the length/keyword/shape rules, or null. */
export function ruleRejection(instruction: string): string | null {
  const words = instruction.split(/\s+/).filter((w) => w !== '');
  if (words.length < 3) return 'fewer than 3 words';
  if (words.length > 150) return 'more than 150 words';
  const lower = instruction.toLowerCase();
  const blocked = BLOCKED_WORDS.find((w) => new RegExp(`\\b${w}\\b`).test(lower));
  if (blocked) return `mentions "${blocked}"`;
  if (/^write a program/i.test(instruction)) return 'starts with "Write a program"';
  if (/^[\p{P}\p{S}]/u.test(instruction)) return 'starts with punctuation';
  if (!/^[A-Za-z0-9]/.test(instruction)) return 'starts with a non-English character';
  return null;
}

export const normalize = (s: string): string => tidy(s).toLowerCase();

/** Kept instructions and the similarity test against them. */
export class InstructionPool {
  private readonly keys = new Set<string>();
  readonly items: string[] = [];
  constructor(
    private readonly similarity: (a: string, b: string) => number,
    readonly threshold = 0.7,
  ) {}
  add(instruction: string): void {
    this.items.push(instruction);
    this.keys.add(normalize(instruction));
  }
  /** Why `instruction` may not join (duplicate or too similar), with the nearest kept one. */
  check(instruction: string): { reason: string | null; nearest: string | null; score: number } {
    if (this.keys.has(normalize(instruction))) return { reason: 'duplicate', nearest: instruction, score: 1 };
    let nearest: string | null = null;
    let score = 0;
    for (const k of this.items) {
      const s = this.similarity(instruction, k);
      if (s > score || nearest === null) {
        score = s;
        nearest = k;
      }
    }
    return { reason: score >= this.threshold ? `ROUGE-L >= ${this.threshold}` : null, nearest, score };
  }
}

// Flags shared by the commands: the one number parser, the backend choice, and the model/sampling
// flags of generate, chat and serve (opened once by loadFromFlags).
import type { Backend } from '../backend/backend.ts';
import { BACKEND_ABOUT, BACKEND_NAMES, type BackendName, isBackendName } from '../backend/byName.ts';
import { openBackend } from '../backend/choose.ts';
import { paperRuleWeights, parseRules, readRuleWeights, type RulesAdapter, rulesAdapter } from '../decode/rules.ts';
import type { SamplingOptions } from '../decode/sample.ts';
import { openPretrained } from '../load/pretrained.ts';
import type { Llama } from '../nn/llama.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';

export interface NumberRule {
  /** A whole number. */
  int?: boolean;
  min?: number;
  max?: number;
}

/**
 * `--name VALUE` as a number: an empty or non-numeric value, a fraction where a whole number is
 * asked for, or one out of [min, max] is refused with one message form. Absent: `def` (or undefined).
 */
export function numberFlag(v: string | undefined, name: string, rule: NumberRule & { def: number }): number;
export function numberFlag(v: string | undefined, name: string, rule?: NumberRule): number | undefined;
export function numberFlag(v: string | undefined, name: string, rule: NumberRule & { def?: number } = {}): number | undefined {
  if (v === undefined) return rule.def;
  const n = Number(v);
  const ok =
    v.trim() !== '' &&
    Number.isFinite(n) &&
    (!rule.int || Number.isInteger(n)) &&
    (rule.min === undefined || n >= rule.min) &&
    (rule.max === undefined || n <= rule.max);
  if (ok) return n;
  const bounds =
    rule.min !== undefined && rule.max !== undefined
      ? ` in [${rule.min}, ${rule.max}]`
      : rule.min !== undefined
        ? ` >= ${rule.min}`
        : rule.max !== undefined
          ? ` <= ${rule.max}`
          : '';
  throw new Error(`--${name} must be ${rule.int ? 'a whole number' : 'a number'}${bounds}, got "${v}"`);
}

/** A positive whole number (counts, sizes, limits). */
export const countFlag = (v: string | undefined, name: string, def: number): number => numberFlag(v, name, { int: true, min: 1, def });

/** A comma-separated list of positive whole numbers, each checked as countFlag checks one. */
export const countsFlag = (v: string, name: string): number[] => v.split(',').map((x) => numberFlag(x, name, { int: true, min: 1 })!);

/** `a, b or c`. */
export const orList = (xs: readonly string[]): string =>
  xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`;

/** The backend when --backend is not given: webgpu on a GPU, the fast CPU backend otherwise. */
export const DEFAULT_BACKEND: BackendName = 'auto';

/** `--backend NAME`, checked: the one place the flag is parsed. */
export function backendName(name: string | undefined): BackendName {
  const n = name ?? DEFAULT_BACKEND;
  if (!isBackendName(n)) throw new Error(`--backend: unknown backend "${n}" (choose ${orList(BACKEND_NAMES)})`);
  return n;
}

export function pickBackend(name: string | undefined): Promise<Backend> {
  return openBackend(backendName(name));
}

/** The names alone, for help that has its own default (heed study: the config's). */
export const backendChoices = orList(BACKEND_NAMES);

/** How every --backend flag's help reads. */
export const backendHelp = orList(
  BACKEND_NAMES.map((b) => {
    const about = [b === DEFAULT_BACKEND ? 'default' : '', BACKEND_ABOUT[b]].filter(Boolean).join(': ');
    return about ? `${b} (${about})` : b;
  }),
);

export const samplingHelp = `  --temperature T     0 = greedy (default 0)
  --top-k K           sample from the K most likely tokens only (default: all)
  --top-p P           nucleus sampling: the smallest set with probability mass >= P (default 1)
  --min-p P           drop tokens below P x the most likely token's probability (default 0)
  --seed S            sampling seed (default 0)
  --rules LIST        the rules adapter (Hewitt et al. 2024): any of eos,uniform,diversity,
                      comma-separated (default: none); combined as log_softmax(model) + rules
  --rules-weights F   JSON overrides of the rule weights, e.g. {"uniform": {"What": -3},
                      "eos": {"keepRamping": true}, "diversity": {"penalty": 1.5}}
  --rules-eos-id N    the id the eos rule boosts (default: the tokenizer's EOS; llama2.c story
                      models end a text with BOS, id 1)
  --backend NAME      ${backendHelp}`;

/** Options shared by generate, chat and serve. */
export const modelOptions = {
  model: { type: 'string' },
  tokenizer: { type: 'string' },
  backend: { type: 'string' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  'min-p': { type: 'string' },
  seed: { type: 'string' },
  rules: { type: 'string' },
  'rules-weights': { type: 'string' },
  'rules-eos-id': { type: 'string' },
} as const;

type ModelValues = { [K in keyof typeof modelOptions]?: string };

export interface Loaded {
  model: Llama;
  tok: Tokenizer;
  backend: Backend;
  rules: RulesAdapter | undefined;
  sampling: SamplingOptions & { seed: number };
}

/** Opens checkpoint, tokenizer, backend and rules from the shared flags; reports missing rule tokens on stderr. */
export async function loadFromFlags(values: ModelValues, help: string): Promise<Loaded> {
  if (!values.model) throw new Error(`--model is required\n\n${help}`);
  if ((values['rules-weights'] || values['rules-eos-id']) && values.rules === undefined)
    throw new Error('--rules-weights and --rules-eos-id need --rules');
  const sampling = {
    temperature: numberFlag(values.temperature, 'temperature', { def: 0 }),
    seed: numberFlag(values.seed, 'seed', { def: 0 }),
    ...(values['top-k'] !== undefined ? { topK: numberFlag(values['top-k'], 'top-k', { def: 0 }) } : {}),
    ...(values['top-p'] !== undefined ? { topP: numberFlag(values['top-p'], 'top-p', { def: 1 }) } : {}),
    ...(values['min-p'] !== undefined ? { minP: numberFlag(values['min-p'], 'min-p', { def: 0 }) } : {}),
  };
  const backend = await pickBackend(values.backend);
  const { model, tokenizer: tok } = openPretrained(values.model, values.tokenizer, backend);
  let rules: RulesAdapter | undefined;
  if (values.rules !== undefined) {
    rules = rulesAdapter(
      tok,
      parseRules(values.rules),
      values['rules-weights'] ? readRuleWeights(values['rules-weights']) : paperRuleWeights(),
      {
        eosId: numberFlag(values['rules-eos-id'], 'rules-eos-id', { def: tok.eos }),
      },
    );
    if (rules.missing.length)
      process.stderr.write(
        `[rules: the vocabulary has no token for ${rules.missing.map((t) => JSON.stringify(t)).join(', ')}; those offsets are skipped]\n`,
      );
  }
  return { model, tok, backend, rules, sampling };
}

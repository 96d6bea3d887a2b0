// One sequence being generated: its options, its ids, its stop rules and its streamed text.
// Shared by generateBatch (a fixed batch) and the continuous batcher (rows come and go).
import { Rng } from '../core/random.ts';
import { StreamDecoder } from '../tokenizer/stream.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { type LogitProcessor, type TokenLogprob, logSoftmax, processLogits, tokenLogprob } from './processors.ts';
import { type SamplingOptions, checkSampling, sampleScores } from './sample.ts';
import { StopMatcher } from './stop.ts';

export type FinishReason = 'stop' | 'length' | 'abort';

export interface SequenceOptions extends SamplingOptions {
  /** New tokens to generate at most. */
  maxTokens: number;
  seed?: number;
  /** Generation ends when one of these is produced (not emitted). */
  stopIds?: number[];
  /** Generation ends when the decoded text contains one of these (it and what follows are dropped
   *  from the text; the ids keep the token that completed it). Needs `tokenizer`. */
  stopStrings?: string[];
  /** Log-space score adders (e.g. the rules adapter): log_softmax(base) + Σ processors. */
  processors?: readonly LogitProcessor[];
  /** Record each chosen id's log probability with this many alternatives (0..20); absent = none. */
  logprobs?: number;
  /** Decodes text for stop strings and onText. */
  tokenizer?: Tokenizer;
  /** Called with each new id as it is produced. */
  onToken?: (id: number, stream: number) => void;
  /** Called with text that can no longer become part of a stop string. Needs `tokenizer`. */
  onText?: (text: string, stream: number) => void;
}

export interface GenerationResult {
  ids: number[];
  /** Emitted text (only when a tokenizer was given). */
  text: string;
  finishReason: FinishReason;
  /** One entry per id in `ids`, when logprobs was asked for. */
  logprobs?: TokenLogprob[];
}

export function checkSequenceOptions(o: SequenceOptions, vocabSize: number, where = 'generate'): void {
  if (!(Number.isInteger(o.maxTokens) && o.maxTokens >= 0))
    throw new Error(`${where}: maxTokens must be an integer >= 0, got ${o.maxTokens}`);
  checkSampling(o, where);
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed)) throw new Error(`${where}: seed must be an integer, got ${o.seed}`);
  if (o.logprobs !== undefined && !(Number.isInteger(o.logprobs) && o.logprobs >= 0 && o.logprobs <= 20))
    throw new Error(`${where}: logprobs must be an integer in [0, 20], got ${o.logprobs}`);
  for (const id of o.stopIds ?? [])
    if (!(Number.isInteger(id) && id >= 0 && id < vocabSize))
      throw new Error(`${where}: stop id ${id} is outside the vocabulary (size ${vocabSize})`);
  if ((o.stopStrings?.length || o.onText) && !o.tokenizer) throw new Error(`${where}: stopStrings and onText need a tokenizer`);
}

export class Sequence {
  readonly generated: number[] = [];
  readonly logprobs: TokenLogprob[] = [];
  finishReason: FinishReason | undefined;
  text = '';
  private readonly rng: Rng;
  private readonly stopIds: Set<number>;
  private readonly matcher: StopMatcher | undefined;
  private readonly decoder: StreamDecoder | undefined;

  constructor(
    readonly prompt: readonly number[],
    readonly opts: SequenceOptions,
    /** Position limit of the model: a sequence never outgrows it. */
    private readonly maxSeqLen: number,
    /** Index reported to the callbacks. */
    readonly stream = 0,
  ) {
    this.rng = new Rng(opts.seed ?? 0);
    this.stopIds = new Set(opts.stopIds ?? []);
    this.matcher = opts.stopStrings?.length ? new StopMatcher(opts.stopStrings) : undefined;
    this.decoder = opts.tokenizer ? new StreamDecoder(opts.tokenizer, { prev: prompt[prompt.length - 1]!, skipSpecial: true }) : undefined;
    if (opts.maxTokens === 0) this.finish('length');
  }

  get done(): boolean {
    return this.finishReason !== undefined;
  }

  /** Prompt and generated ids: the tokens the model has seen or is about to see. */
  context(): number[] {
    return [...this.prompt, ...this.generated];
  }

  /** The next input token: the last of the context. */
  lastToken(): number {
    return this.generated.length ? this.generated[this.generated.length - 1]! : this.prompt[this.prompt.length - 1]!;
  }

  /** Chooses the next id from one row of logits and applies the stop rules. */
  step(logits: ArrayLike<number>, start: number, V: number): void {
    if (this.done) return;
    const procs = this.opts.processors ?? [];
    const scores = procs.length
      ? processLogits(logits, start, V, procs, { promptIds: this.prompt, generatedIds: this.generated })
      : logSoftmax(logits, start, V);
    const id = sampleScores(scores, this.opts, this.rng);
    if (this.stopIds.has(id)) return this.finish('stop');
    this.generated.push(id);
    if (this.opts.logprobs !== undefined) this.logprobs.push(tokenLogprob(scores, id, this.opts.logprobs));
    this.opts.onToken?.(id, this.stream);
    if (this.decoder) {
      const piece = this.decoder.push(id);
      const out = this.matcher ? this.matcher.push(piece) : { text: piece, stopped: false };
      this.emit(out.text);
      if (out.stopped) return this.finish('stop', false);
    }
    if (this.generated.length >= this.opts.maxTokens || this.prompt.length + this.generated.length > this.maxSeqLen) this.finish('length');
  }

  /** Ends the sequence; pending text is released unless a stop string cut it. */
  finish(reason: FinishReason, release = true): void {
    if (this.done) return;
    this.finishReason = reason;
    if (release && this.decoder) {
      const rest = this.decoder.flush();
      const out = this.matcher ? this.matcher.push(rest) : { text: rest, stopped: false };
      this.emit(out.text + (out.stopped ? '' : (this.matcher?.flush() ?? '')));
    }
  }

  result(): GenerationResult {
    return {
      ids: [...this.generated],
      text: this.text,
      finishReason: this.finishReason ?? 'length',
      ...(this.opts.logprobs !== undefined ? { logprobs: this.logprobs } : {}),
    };
  }

  private emit(text: string): void {
    if (!text) return;
    this.text += text;
    this.opts.onText?.(text, this.stream);
  }
}

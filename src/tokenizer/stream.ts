// Incremental detokenisation for generation loops: tokens arrive one at a time and a character
// may be spread over several byte-fallback tokens, so bytes are buffered until they form text.
import { NO_PREV } from './tokenizer.ts';
import type { DecodeOptions, Tokenizer } from './tokenizer.ts';

export interface StreamDecoderOptions extends DecodeOptions {
  /** The token before the first pushed one (e.g. the last prompt token); NO_PREV at a sequence start. */
  prev?: number;
}

export class StreamDecoder {
  private prev: number;
  private readonly utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly opts: DecodeOptions;

  constructor(
    private readonly tok: Tokenizer,
    opts: StreamDecoderOptions = {},
  ) {
    this.prev = opts.prev ?? NO_PREV;
    this.opts = { skipSpecial: opts.skipSpecial ?? false };
  }

  /** Text completed by this token (possibly empty while a character is still partial). */
  push(id: number): string {
    const bytes = this.tok.decodeToken(this.prev, id, this.opts);
    this.prev = id;
    return this.utf8.decode(bytes, { stream: true });
  }

  /** Whatever is left; an unfinished character becomes U+FFFD. */
  flush(): string {
    return this.utf8.decode();
  }
}

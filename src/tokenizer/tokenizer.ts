// The interface every heed tokenizer implements, plus the token-type codes shared with GGUF.

export interface EncodeOptions {
  /** Prepend the BOS id. */
  bos?: boolean;
  /** Append the EOS id. */
  eos?: boolean;
}

export interface DecodeOptions {
  /** Drop control tokens (BOS, EOS, <unk>, added specials) instead of printing their text. */
  skipSpecial?: boolean;
}

/** SentencePiece / GGUF token types (tokenizer.ggml.token_type). */
export const TokenType = {
  normal: 1,
  unknown: 2,
  control: 3,
  userDefined: 4,
  unused: 5,
  byte: 6,
} as const;
export type TokenType = (typeof TokenType)[keyof typeof TokenType];

/** Id passed as `prev` to decodeToken for the first token of a sequence. */
export const NO_PREV = -1;

export interface Tokenizer {
  readonly vocabSize: number;
  readonly bos: number;
  readonly eos: number;
  /** Text (may contain registered special tokens such as `</s>`) to ids. */
  encode(text: string, opts?: EncodeOptions): number[];
  /** Ids to text; invalid UTF-8 becomes U+FFFD. */
  decode(ids: number[], opts?: DecodeOptions): string;
  /**
   * The raw bytes token `id` contributes when it follows `prev` (NO_PREV at the start).
   * Bytes, not a string, because one character may be split over several byte-fallback
   * tokens; feed the result to a streaming TextDecoder (see StreamDecoder).
   */
  decodeToken(prev: number, id: number, opts?: DecodeOptions): Uint8Array;
  idToPiece(id: number): string;
  pieceToId(piece: string): number | undefined;
  /** Ids of the added/special tokens that encode() matches atomically, by content. */
  specialTokens(): ReadonlyMap<string, number>;
}

/** The project's instruction/chat template; the three markers must be registered special tokens. */
export const CHAT_USER = '<|user|>';
export const CHAT_ASSISTANT = '<|assistant|>';
export const CHAT_EOS = '</s>';

/** `<|user|>\n{instruction}\n<|assistant|>\n{response}</s>`; without a response it ends after the assistant line (a prompt). */
export function chatText(instruction: string, response?: string): string {
  const prompt = `${CHAT_USER}\n${instruction}\n${CHAT_ASSISTANT}\n`;
  return response === undefined ? prompt : `${prompt}${response}${CHAT_EOS}`;
}

// Public surface of heed's tokenizers.
export { CHAT_ASSISTANT, CHAT_EOS, CHAT_USER, NO_PREV, TokenType, chatText } from './tokenizer.ts';
export type { DecodeOptions, EncodeOptions, Tokenizer } from './tokenizer.ts';
export { SentencePieceBPE, METASPACE } from './sentencepiece.ts';
export type { DummyPrefix, SentencePieceOptions, Vocabulary } from './sentencepiece.ts';
export { ByteLevelBPE } from './bytelevel.ts';
export type { ByteLevelOptions } from './bytelevel.ts';
export { loadLlama2cTokenizer, parseLlama2cTokenizer, writeLlama2cTokenizer } from './llama2c.ts';
export { byteLevelFromHF, loadHFTokenizer, readHFTokenizer, sentencePieceFromHF, toHFTokenizerJSON } from './hf.ts';
export type { HFTokenizerJSON } from './hf.ts';
export { checkTokenizerJSON } from './hfSchema.ts';
export { GPT2_PATTERN, LLAMA3_PATTERN, bytesToUnicode, compileHFRegex } from './pretokenize.ts';
export { StreamDecoder } from './stream.ts';
export { trainBPE } from './train.ts';
export type { TrainOptions } from './train.ts';

// IFEval (Zhou et al. 2023): verifiable instructions, checked as google-research's
// instruction_following_eval checks them.
export { buildCheck, INSTRUCTION_IDS, KNOWLEDGE_FREE_IDS, type Check, type Kwargs } from './instructions.ts';
export { detectLanguage, IFEVAL_LANGUAGES } from './language.ts';
export { countSentences } from './sentences.ts';
export { countCapitalWords, wordTokens } from './wordTokenize.ts';
export {
  accuracy,
  evaluateOne,
  looseVariants,
  officialLine,
  readInputs,
  readResponses,
  restrictTo,
  runIfeval,
  summarize,
  type IfevalInput,
  type IfevalOutput,
  type IfevalRun,
  type IfevalSummary,
  type Mode,
} from './evaluate.ts';

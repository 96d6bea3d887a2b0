// The evaluation API (generation in AlpacaEval's format, pairwise judging, metrics, reports).
export * from './outputs.ts';
export * from './rouge.ts';
export * from './metrics.ts';
export * from './compare.ts';
export * from './generate.ts';
export type { Judge, Pair, Verdict } from './judges/judge.ts';
export { longestJudge, longestPreference } from './judges/longest.ts';
export { referenceJudge, referencePreference } from './judges/reference.ts';
export { openaiJudge, parseOpenAISpec, type OpenAIJudgeOptions } from './judges/openai.ts';
export { localJudge, type LocalJudgeOptions } from './judges/local.ts';
export { judgeMessages, isSwapped, preferenceFromLogprobs } from './judges/weighted.ts';
export { collectRuns, type RunResults } from './report/collect.ts';
export { reportHtml, writeReport } from './report/html.ts';

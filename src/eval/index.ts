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
export { checkJudgeSpec, judgeFromSpec, JUDGE_KINDS, type JudgeOptions } from './judges/spec.ts';
export { ifevalInstructions, responsesOf } from './ifeval/answers.ts';
export { collectRuns, type RunResults } from './report/collect.ts';
export { reportHtml, writeReport, type ReportOptions, type Section } from './report/html.ts';
export { explorerHtml, type ExplorerData } from './report/explorer.ts';

// The decoder's public surface: generation, the continuous batcher, samplers, the logit-processor
// pipeline and the rules adapter (for evaluators that pass --rules through).
export * from './generate.ts';
export * from './batcher.ts';
export * from './processors.ts';
export * from './rules.ts';
export * from './sequence.ts';
export * from './stop.ts';
export { type SamplingOptions, checkSampling, sampleScores } from './sample.ts';

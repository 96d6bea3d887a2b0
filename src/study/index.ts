// The study's public surface: configs, cached stages, the pipeline, statistics and the report.
export * from './arms.ts';
export {
  armsOf,
  DEFAULT_JUDGE,
  loadStudyConfig,
  PRESETS,
  PRETRAIN_CPU,
  PRETRAIN_GPU,
  validateStudyConfig,
  type EvalSettings,
  type FinetuneSettings,
  type PretrainRecipe,
  type StudyConfig,
} from './config.ts';
export * from './stage.ts';
export * from './stats.ts';
export * from './pipeline.ts';
export * from './report.ts';
export { writeModelCard, modelCard, parseSourceLicenses, type ModelCardInfo } from './modelCard.ts';

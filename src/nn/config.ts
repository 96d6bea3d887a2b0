// The Llama configuration shared by the model, the checkpoint readers/writers and the CLI.

import type { RopeLayout, RopeScaling } from '../ops/rope.ts';
import { ropeScalingErrors } from '../ops/rope.ts';

export type { RopeLayout, RopeScaling };

export interface LlamaConfig {
  dim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  hiddenDim: number;
  vocabSize: number;
  maxSeqLen: number;
  ropeTheta: number;
  ropeLayout: RopeLayout;
  /** RoPE frequency scaling (Llama 3.1's llama3, or linear); absent = none. */
  ropeScaling?: RopeScaling;
  normEps: number;
  /** Output head shares the token-embedding matrix. */
  tiedEmbeddings: boolean;
}

export function headDim(c: LlamaConfig): number {
  return c.dim / c.nHeads;
}

/** Throws an error naming every inconsistent field. */
export function validateConfig(c: LlamaConfig): void {
  const errs: string[] = [];
  for (const k of ['dim', 'nLayers', 'nHeads', 'nKvHeads', 'hiddenDim', 'vocabSize', 'maxSeqLen'] as const) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) errs.push(`${k}=${c[k]} must be a positive integer`);
  }
  if (c.dim % c.nHeads !== 0) errs.push(`dim=${c.dim} is not divisible by nHeads=${c.nHeads}`);
  if (c.nHeads % c.nKvHeads !== 0) errs.push(`nHeads=${c.nHeads} is not a multiple of nKvHeads=${c.nKvHeads}`);
  if ((c.dim / c.nHeads) % 2 !== 0) errs.push(`head dim ${c.dim / c.nHeads} must be even for RoPE`);
  if (!(c.ropeTheta > 0)) errs.push(`ropeTheta=${c.ropeTheta} must be > 0`);
  if (!(c.normEps > 0)) errs.push(`normEps=${c.normEps} must be > 0`);
  if (c.ropeScaling !== undefined) {
    if (typeof c.ropeScaling !== 'object' || c.ropeScaling === null)
      errs.push(`ropeScaling=${JSON.stringify(c.ropeScaling)} must be an object`);
    else errs.push(...ropeScalingErrors(c.ropeScaling).map((e) => `ropeScaling.${e}`));
  }
  if (c.ropeLayout !== 'interleaved' && c.ropeLayout !== 'half')
    errs.push(`ropeLayout=${String(c.ropeLayout)} must be 'interleaved' or 'half'`);
  if (errs.length) throw new Error(`invalid Llama config: ${errs.join('; ')}`);
}

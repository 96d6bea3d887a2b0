// The micro Llama the CLI-level training tests pretrain from: config.json text for `heed train
// --config`, so each test states only the context it needs.
import { configToHF } from '../../src/io/hfconfig.ts';

export function microConfigJson(maxSeqLen: number): string {
  return JSON.stringify(
    configToHF({
      dim: 16,
      nLayers: 1,
      nHeads: 2,
      nKvHeads: 2,
      hiddenDim: 32,
      vocabSize: 512,
      maxSeqLen,
      ropeTheta: 10000,
      ropeLayout: 'half',
      normEps: 1e-5,
      tiedEmbeddings: true,
    }),
  );
}

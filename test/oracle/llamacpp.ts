// llama.cpp (through node-llama-cpp's prebuilt linux-x64 CPU binary) as an independent oracle:
// load a GGUF file and read the raw next-token logits at every position of a token-id prompt.
// Everything runs in f32 (F32 weights, F32 KV cache, no flash attention), so the only differences
// from heed are summation order and llama.cpp's own kernels.
import { LlamaLogLevel, getLlama } from 'node-llama-cpp';
import type { Llama as LlamaCpp, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';

let runtime: Promise<LlamaCpp> | null = null;

/** The llama.cpp runtime, CPU only, never building from source (there is no network here). */
export function llamaCpp(): Promise<LlamaCpp> {
  runtime ??= getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: 2 });
  return runtime;
}

export class LlamaCppModel {
  private constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly sequence: LlamaContextSequence,
  ) {}

  /** Loads `modelPath` for prompts of up to `maxPositions` tokens, each evaluated in one batch. */
  static async load(modelPath: string, maxPositions: number): Promise<LlamaCppModel> {
    const llama = await llamaCpp();
    // One spare cell: with a full context node-llama-cpp shifts it (drops the first tokens)
    // before evaluating the last token, and that position's logits would see a shorter history.
    const contextSize = maxPositions + 1;
    const model = await llama.loadModel({ modelPath, gpuLayers: 0, useMmap: false });
    const context = await model.createContext({
      contextSize,
      batchSize: contextSize,
      sequences: 1,
      flashAttention: false,
      threads: 2,
      experimentalKvCacheKeyType: 'F32',
      experimentalKvCacheValueType: 'F32',
    });
    return new LlamaCppModel(model, context, context.getSequence());
  }

  /** Logits [T * V] (row t = next-token logits after ids[0..t]) from a fresh sequence, no BOS added. */
  async logits(ids: readonly number[], vocabSize: number): Promise<Float32Array> {
    await this.sequence.clearHistory();
    const out = await this.sequence.controlledEvaluate(ids.map((id) => [id as Token, { generateNext: { logits: true } }]));
    const res = new Float32Array(ids.length * vocabSize);
    for (let t = 0; t < ids.length; t++) {
      const logits = out[t]?.next.logits;
      if (!logits) throw new Error(`llama.cpp returned no logits for position ${t}`);
      if (logits.size !== vocabSize) throw new Error(`llama.cpp returned ${logits.size} logits at position ${t}, expected ${vocabSize}`);
      for (const [tok, v] of logits) res[t * vocabSize + tok] = v;
    }
    return res;
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}

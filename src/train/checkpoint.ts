// Training checkpoints: an HF model directory (config.json, model.safetensors in HF's RoPE
// layout, tokenizer.json, tokenizer_config.json, generation_config.json) that transformers,
// vLLM and open-instruct load unchanged, plus what a resume needs: optimizer.safetensors
// (AdamW moments `m.<param>` / `v.<param>`, in the training RoPE layout) and trainer_state.json
// (step, data position, options). Written into a temporary directory and swapped in by rename,
// so a crash never leaves a half-written checkpoint where the last good one was.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeDirAtomic, writeFileAtomic } from '../io/files.ts';
import { readJsonFile } from '../io/json.ts';
import { loadHF, saveHF } from '../io/hfconfig.ts';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { type NamedTensors, toLayout } from '../io/weights.ts';
import type { Position } from '../data/batch.ts';
import type { LlamaConfig } from '../nn/config.ts';

export const STATE_FILE = 'trainer_state.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const ADAPTER_FILE = 'adapter_model.safetensors';
export const ADAPTER_CONFIG = 'adapter_config.json';

export interface TrainerState {
  format: 'heed-trainer-1';
  /** Optimizer updates done. */
  step: number;
  totalSteps: number;
  /** The next micro-batch. */
  position: Position;
  /** The next batch of the second set (TrainSetup.aux), when the run has one. */
  auxPosition?: Position;
  /** The RoPE layout the run trains in (the HF files are always in 'half'). */
  ropeLayout: LlamaConfig['ropeLayout'];
  /** The options of the run, to refuse resuming with different ones. */
  options: Record<string, unknown>;
  lastLoss: number;
  lastEvalLoss?: number;
}

/** Tokenizer files to put beside the weights (contents as text). */
export interface TokenizerFiles {
  'tokenizer.json': string;
  bos: string;
  eos: string;
}

export interface CheckpointContents {
  config: LlamaConfig;
  /** Full model weights (training layout), or null when only LoRA adapters train. */
  weights: NamedTensors | null;
  /** LoRA adapters and their config, saved alone. */
  adapters?: { tensors: NamedTensors; config: Record<string, unknown> };
  optimizer: NamedTensors;
  state: TrainerState;
  tokenizer?: TokenizerFiles;
  bosId: number;
  eosId: number;
}

const json = (v: unknown) => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);

/** Writes the HF model files (weights in any layout; stored in HF's) and tokenizer/generation config. */
export function writeModelDir(
  dir: string,
  config: LlamaConfig,
  weights: NamedTensors,
  ids: { bos: number; eos: number },
  tokenizer?: TokenizerFiles,
): void {
  saveHF(dir, config, weights);
  writeTokenizerFiles(dir, ids, tokenizer);
}

/** generation_config.json, and with a tokenizer tokenizer.json and tokenizer_config.json (its
 *  bos_token/eos_token, which AutoTokenizer needs to know where an answer ends). */
export function writeTokenizerFiles(dir: string, ids: { bos: number; eos: number }, tokenizer?: TokenizerFiles): void {
  writeFileAtomic(join(dir, 'generation_config.json'), [json({ bos_token_id: ids.bos, eos_token_id: ids.eos })]);
  if (tokenizer) {
    writeFileAtomic(join(dir, 'tokenizer.json'), [new TextEncoder().encode(tokenizer['tokenizer.json'])]);
    writeFileAtomic(join(dir, 'tokenizer_config.json'), [
      json({
        tokenizer_class: 'PreTrainedTokenizerFast',
        bos_token: tokenizer.bos,
        eos_token: tokenizer.eos,
        model_max_length: 1e30,
        clean_up_tokenization_spaces: false,
      }),
    ]);
  }
}

/** Replaces `dir` with a fully written copy (temp directory + rename). */
export function writeCheckpoint(dir: string, c: CheckpointContents): void {
  mkdirSync(dirname(dir), { recursive: true });
  writeDirAtomic(dir, (tmp) => {
    if (c.weights) writeModelDir(tmp, c.config, c.weights, { bos: c.bosId, eos: c.eosId }, c.tokenizer);
    else writeTokenizerFiles(tmp, { bos: c.bosId, eos: c.eosId }, c.tokenizer);
    if (c.adapters) {
      writeSafetensors(join(tmp, ADAPTER_FILE), c.adapters.tensors, { metadata: { format: 'pt' } });
      writeFileAtomic(join(tmp, ADAPTER_CONFIG), [json(c.adapters.config)]);
    }
    writeSafetensors(join(tmp, OPTIMIZER_FILE), c.optimizer);
    writeFileAtomic(join(tmp, STATE_FILE), [json(c.state)]);
  });
}

export interface LoadedCheckpoint {
  state: TrainerState;
  /** Weights in the training layout (absent for adapter-only checkpoints). */
  weights?: NamedTensors;
  config?: LlamaConfig;
  adapters?: NamedTensors;
  optimizer: NamedTensors;
}

export function readCheckpointDir(dir: string): LoadedCheckpoint {
  const statePath = join(dir, STATE_FILE);
  if (!existsSync(statePath)) throw new Error(`${dir} is not a heed training checkpoint (no ${STATE_FILE})`);
  const state = readJsonFile(statePath, 'trainer state') as TrainerState;
  if (!state || typeof state !== 'object' || Array.isArray(state)) throw new Error(`${statePath}: must be a JSON object`);
  if (state.format !== 'heed-trainer-1') throw new Error(`${statePath}: unknown format ${JSON.stringify(state.format)}`);
  for (const k of ['step', 'totalSteps'] as const)
    if (!Number.isInteger(state[k]) || state[k] < 0) throw new Error(`${statePath}: ${k} must be a whole number`);
  const isPosition = (p: Position | undefined) => !!p && Number.isInteger(p.epoch) && Number.isInteger(p.batch);
  if (!isPosition(state.position)) throw new Error(`${statePath}: bad position`);
  if (state.auxPosition !== undefined && !isPosition(state.auxPosition)) throw new Error(`${statePath}: bad auxPosition`);
  const optimizer = readSafetensors(join(dir, OPTIMIZER_FILE)).tensors;
  const out: LoadedCheckpoint = { state, optimizer };
  if (existsSync(join(dir, 'config.json'))) {
    const hf = loadHF(dir);
    const t = toLayout(hf.weights, hf.config, state.ropeLayout);
    out.weights = t.weights;
    out.config = t.config;
  }
  if (existsSync(join(dir, ADAPTER_FILE))) out.adapters = readSafetensors(join(dir, ADAPTER_FILE)).tensors;
  return out;
}

/** A small JSON helper for the run's files. */
export function writeJson(path: string, v: unknown): void {
  writeFileSync(path, `${JSON.stringify(v, null, 2)}\n`);
}

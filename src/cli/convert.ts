// heed convert: rewrite a checkpoint (and its tokenizer) in another format.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeGGUF } from '../io/gguf.ts';
import { saveHF } from '../io/hfconfig.ts';
import { writeLlama2c } from '../io/llama2c.ts';
import { readCheckpoint, readTokenizer } from '../load/pretrained.ts';
import { toHFTokenizerJSON } from '../tokenizer/hf.ts';
import { SentencePieceBPE } from '../tokenizer/sentencepiece.ts';

export const help = `Usage: heed convert --model PATH --to FORMAT --out PATH [options]

Rewrites a checkpoint in another format. Formats:
  hf        a directory: config.json + model.safetensors (HF names, rotate-half RoPE layout)
            + tokenizer.json when a SentencePiece-style tokenizer is known
  gguf      one file for llama.cpp, the tokenizer's vocabulary inside (required)
  llama2c   a llama2.c legacy .bin (weights only; theta must be 10000 and eps 1e-5)

  --model PATH       llama2.c .bin, GGUF file, or HF directory
  --tokenizer PATH   tokenizer.bin or tokenizer.json (default: the one the checkpoint carries)
  --to FORMAT        hf | gguf | llama2c
  --out PATH         output directory (hf) or file (gguf, llama2c); refuses to overwrite
                     unless --force
  --dtype D          hf: f32 (default) or bf16; gguf: f32 (default) or f16
  --force            overwrite an existing output`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' }, tokenizer: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' },
      dtype: { type: 'string' }, force: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.model || !values.to || !values.out) throw new Error(`--model, --to and --out are required\n\n${help}`);
  if (existsSync(values.out) && !values.force) throw new Error(`${values.out} exists; pass --force to overwrite it`);
  const ckpt = readCheckpoint(values.model);
  const tok = values.tokenizer ? readTokenizer(values.tokenizer) : ckpt.tokenizer;
  const sp = tok instanceof SentencePieceBPE ? tok : undefined;
  const dtype = (values.dtype ?? 'f32').toLowerCase();
  switch (values.to) {
    case 'hf': {
      if (dtype !== 'f32' && dtype !== 'bf16') throw new Error(`--dtype for hf must be f32 or bf16, got ${dtype}`);
      const files = saveHF(values.out, ckpt.config, ckpt.weights, { dtype: dtype === 'bf16' ? 'BF16' : 'F32' });
      if (sp) {
        writeFileSync(join(values.out, 'tokenizer.json'), JSON.stringify(toHFTokenizerJSON(sp)));
        files.push('tokenizer.json');
      } else if (tok) console.error('heed convert: the tokenizer is not SentencePiece-style; no tokenizer.json written');
      console.log(`wrote ${values.out}: ${files.join(', ')}`);
      return 0;
    }
    case 'gguf': {
      if (dtype !== 'f32' && dtype !== 'f16') throw new Error(`--dtype for gguf must be f32 or f16, got ${dtype}`);
      if (!sp) throw new Error('gguf needs a SentencePiece-style tokenizer (pass --tokenizer tokenizer.bin or a Llama-2-kind tokenizer.json)');
      writeGGUF(values.out, ckpt.config, ckpt.weights, sp.vocabulary(), { dtype: dtype === 'f16' ? 'F16' : 'F32' });
      console.log(`wrote ${values.out}`);
      return 0;
    }
    case 'llama2c':
      if (dtype !== 'f32') throw new Error('llama2c checkpoints are f32 only');
      writeLlama2c(values.out, { config: ckpt.config, weights: ckpt.weights });
      console.log(`wrote ${values.out}`);
      return 0;
    default:
      throw new Error(`unknown format "${values.to}" (choose hf, gguf or llama2c)`);
  }
}

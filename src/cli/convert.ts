// heed convert: rewrite a checkpoint (and its tokenizer) in another format.
import { writeTokenizerFiles } from '../train/checkpoint.ts';
import { tokenizerFiles } from '../train/examples.ts';
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { writeGGUF } from '../io/gguf.ts';
import { saveHF } from '../io/hfconfig.ts';
import { writeLlama2c } from '../io/llama2c.ts';
import { checkOutputParent, pathExists, writeDirAtomic } from '../io/files.ts';
import { loadPretrained } from '../load/pretrained.ts';
import { SentencePieceBPE } from '../tokenizer/sentencepiece.ts';

export const help = `Usage: heed convert --model PATH --to FORMAT --out PATH [options]

Rewrites a checkpoint in another format. Formats:
  hf        a directory: config.json + model.safetensors (HF names, rotate-half RoPE layout)
            + tokenizer.json when a SentencePiece-style tokenizer is known
  gguf      one file for llama.cpp, the tokenizer's vocabulary inside (required)
  llama2c   a llama2.c legacy .bin (weights only; theta must be 10000 and eps 1e-5)

  --model PATH       llama2.c .bin, GGUF file, or HF directory
  --tokenizer PATH   tokenizer.bin or tokenizer.json (default: the one the checkpoint carries);
                     its vocabulary must match the model's
  --to FORMAT        hf | gguf | llama2c
  --out PATH         output directory (hf) or file (gguf, llama2c); refuses to overwrite
                     unless --force. Written to a temporary sibling and renamed into place,
                     so a failed convert leaves nothing there
  --dtype D          hf: f32 (default) or bf16; gguf: f32 (default) or f16
  --force            overwrite an existing output`;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // a dangling link: replaced like a file
  }
}

const FORMATS = { hf: ['f32', 'bf16'], gguf: ['f32', 'f16'], llama2c: ['f32'] } as const;
type Format = keyof typeof FORMATS;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      tokenizer: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
      dtype: { type: 'string' },
      force: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.model || !values.to || !values.out) throw new Error(`--model, --to and --out are required\n\n${help}`);
  // Everything about the request is checked before the model is read, and the model before anything is written.
  if (!Object.hasOwn(FORMATS, values.to)) throw new Error(`unknown format "${values.to}" (choose hf, gguf or llama2c)`);
  const to = values.to as Format;
  const dtype = (values.dtype ?? 'f32').toLowerCase();
  const dtypes: readonly string[] = FORMATS[to];
  if (!dtypes.includes(dtype)) throw new Error(`--dtype for ${to} must be ${dtypes.join(' or ')}, got ${dtype}`);
  const out = values.out;
  if (pathExists(out)) {
    if (!values.force) throw new Error(`${out} exists; pass --force to overwrite it`);
    if (to !== 'hf' && isDirectory(out)) throw new Error(`${out}: is a directory; --out for ${to} names a file`);
  }
  checkOutputParent(out);

  const { ckpt, tokenizer: tok, tokenizerSource } = loadPretrained(values.model, values.tokenizer);
  const sp = tok instanceof SentencePieceBPE ? tok : undefined;
  switch (to) {
    case 'hf': {
      // Built in a temporary sibling and renamed into place: a failure leaves nothing at --out.
      const files = writeDirAtomic(out, (tmp) => {
        const written = saveHF(tmp, ckpt.config, ckpt.weights, { dtype: dtype === 'bf16' ? 'BF16' : 'F32' });
        const files = sp ? tokenizerFiles(sp) : undefined;
        if (sp && files) {
          // the same files a trained model/ directory has: AutoTokenizer finds eos_token in tokenizer_config.json
          writeTokenizerFiles(tmp, { bos: sp.bos, eos: sp.eos }, files);
          written.push('tokenizer.json', 'tokenizer_config.json', 'generation_config.json');
        }
        return written;
      });
      if (tok && !sp) console.error(`heed convert: the tokenizer ${tokenizerSource} is not SentencePiece-style; no tokenizer.json written`);
      console.log(`wrote ${out}: ${files.join(', ')}`);
      return 0;
    }
    case 'gguf': {
      if (!sp)
        throw new Error(
          `gguf needs a SentencePiece-style tokenizer (pass --tokenizer tokenizer.bin or a Llama-2-kind tokenizer.json)${tokenizerSource ? `; ${tokenizerSource} is byte-level` : ''}`,
        );
      writeGGUF(out, ckpt.config, ckpt.weights, sp.vocabulary(), { dtype: dtype === 'f16' ? 'F16' : 'F32' });
      console.log(`wrote ${out}`);
      return 0;
    }
    case 'llama2c':
      writeLlama2c(out, { config: ckpt.config, weights: ckpt.weights });
      console.log(`wrote ${out}`);
      return 0;
  }
}

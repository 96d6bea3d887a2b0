// Dumps heed's ids (BOS + text) and logits for a checkpoint as JSON (for scripts/check_train_interop.py).
import { cpu } from '../src/backend/cpu/cpu.ts';
import { fromArray } from '../src/core/tensor.ts';
import { buildModel, readCheckpoint } from '../src/load/pretrained.ts';

const [dir, text] = process.argv.slice(2);
if (!dir || text === undefined) throw new Error('usage: tsx scripts/dump_logits.ts DIR TEXT');
const ck = readCheckpoint(dir);
if (!ck.tokenizer) throw new Error(`${dir} has no tokenizer.json`);
const ids = ck.tokenizer.encode(text, { bos: true });
const model = buildModel(ck, cpu);
const out = await model.forward(fromArray(Int32Array.from(ids), [1, ids.length], { dtype: 'i32', backend: cpu })).data();
const V = ck.config.vocabSize;
const logits = Array.from({ length: ids.length }, (_, t) => Array.from(out.subarray(t * V, (t + 1) * V)));
process.stdout.write(JSON.stringify({ ids, logits }));

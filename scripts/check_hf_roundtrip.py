#!/usr/bin/env python3
"""The other direction: checkpoints heed writes load in transformers as the same model.

    /tmp/heed-peers-venv/bin/python scripts/check_hf_roundtrip.py [--tf4 /tmp/heed-tf4]

For each case heed writes an HF directory and computes its own float64 logits (CPU backend) for
fixed ids; transformers then loads the directory with from_pretrained and computes float64 logits
with the same patched modules as make_hf_fixtures.py (HF's math with its f32 casts removed). The
script prints the max |heed − transformers| per case and transformers version, and exits 1 if any
exceeds 1e-9.
Cases:
  convert:<fixture>   `heed convert --to hf` of each test/fixtures/hf checkpoint (both config
                      layouts, GQA/MQA/tied, llama3/linear scaling)
  convert:stories260K the llama2.c checkpoint from the shared data (interleaved RoPE → HF's half)
  train:<fixture>     3 AdamW steps by heed in f32 on the fixture's ids, then saveHF (there is no
                      `heed train` command yet; this runs the same optimizer and writer in-process)

--tf4 DIR also loads every directory with transformers 4.x installed in DIR (pip install --target
DIR transformers==4.57.6 tokenizers==0.22.2 requests urllib3 idna charset_normalizer certifi;
no deps), to show that heed's config.json reads the same in 4.x, which ignores `rope_parameters`.
4.57 insists on huggingface_hub < 1.0 at import; the worker tells it the installed 1.x is 0.36
(only local files are read, so nothing of the hub's API changes matters).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "hf")
TOL = 1e-9

# heed's side, run through tsx: f64 logits of a checkpoint, or train + save + logits.
HEED_SIDE = r"""
import { readFileSync, writeFileSync } from 'node:fs';
import { cpu } from '@ROOT@/src/backend/cpu/cpu.ts';
import { fromArray, noGrad, zeroGrad, zeros, type Tensor } from '@ROOT@/src/core/tensor.ts';
import { saveHF } from '@ROOT@/src/io/hfconfig.ts';
import { Llama } from '@ROOT@/src/nn/llama.ts';
import { readCheckpoint } from '@ROOT@/src/load/pretrained.ts';
import { adamw } from '@ROOT@/src/ops/optim.ts';

const [mode, src, idsPath, out, saveDir] = process.argv.slice(2);
const { ids, targets, shape } = JSON.parse(readFileSync(idsPath!, 'utf8'));
const ckpt = readCheckpoint(src!);
const i32 = (a: number[][]) => fromArray(Int32Array.from(a.flat()), shape, { dtype: 'i32', backend: cpu });
const logits64 = async (state: Map<string, { shape: number[]; data: Float32Array }>) => {
  const m = new Llama(ckpt.config, cpu, { dtype: 'f64' });
  m.loadState(state);
  return [...(await noGrad(() => m.forward(i32(ids))).data())];
};
let state = ckpt.weights;
const losses: number[] = [];
if (mode === 'train') {
  const m = new Llama(ckpt.config, cpu);
  m.loadState(ckpt.weights);
  const ps = m.parameters();
  const ms = ps.map((p) => zeros([...p.shape], { backend: cpu }).keep());
  const vs = ps.map((p) => zeros([...p.shape], { backend: cpu }).keep());
  for (let step = 1; step <= 3; step++) {
    zeroGrad(ps);
    const loss = m.loss(i32(ids), i32(targets));
    losses.push((await loss.data())[0]!);
    loss.backward();
    adamw(ps, ps.map((p) => p.grad as Tensor), ms, vs, { lr: 1e-2, step });
  }
  state = await m.state();
  saveHF(saveDir!, ckpt.config, state);
}
writeFileSync(out!, JSON.stringify({ logits: await logits64(state), losses }));
"""


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


def hf_worker(model_dir: str, ids_path: str, out_path: str, shim: bool) -> None:
    """Runs inside a subprocess so transformers 4.x and 5.x each get a clean interpreter."""
    if shim:
        import importlib.metadata as md

        real = md.version
        md.version = lambda n: "0.36.0" if n.replace("_", "-").lower() == "huggingface-hub" else real(n)
    import torch
    import transformers

    sys.path.insert(0, os.path.dirname(__file__))
    from make_hf_fixtures import float64_modules
    from transformers import LlamaForCausalLM

    ids = torch.tensor(json.load(open(ids_path))["ids"])
    with float64_modules(), torch.no_grad():
        m = LlamaForCausalLM.from_pretrained(model_dir, attn_implementation="eager").to(torch.float64).eval()
        logits = m(input_ids=ids, use_cache=False).logits
    cfg = m.config
    json.dump({
        "version": transformers.__version__,
        "logits": logits.reshape(-1).tolist(),
        "inv_freq": m.model.rotary_emb.inv_freq.float().tolist(),
        "rope_type": getattr(m.model.rotary_emb, "rope_type", None),
        "tied": m.lm_head.weight.data_ptr() == m.model.embed_tokens.weight.data_ptr(),
        "theta": (getattr(cfg, "rope_parameters", None) or {}).get("rope_theta", getattr(cfg, "rope_theta", None)),
    }, open(out_path, "w"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tf4", help="directory holding transformers 4.x (pip install --target)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory with the written checkpoints")
    ap.add_argument("--worker", nargs=3, metavar=("MODEL_DIR", "IDS_JSON", "OUT_JSON"), help=argparse.SUPPRESS)
    ap.add_argument("--shim", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return hf_worker(*args.worker, shim=args.shim)

    tmp = tempfile.mkdtemp(prefix="heed-hf-roundtrip-")
    side = os.path.join(tmp, "heed_side.mts")
    open(side, "w").write(HEED_SIDE.replace("@ROOT@", ROOT))
    tsx = os.path.join(ROOT, "node_modules", ".bin", "tsx")
    data = os.environ.get("HEED_DATA", os.path.join(ROOT, "..", "shared", "data"))

    ids = [[1, 5, 9, 13, 2, 7, 11, 3], [4, 8, 12, 6, 10, 14, 0, 15]]
    targets = [r[1:] + [-100] for r in ids]
    ids_path = os.path.join(tmp, "ids.json")
    json.dump({"ids": ids, "targets": targets, "shape": [2, 8]}, open(ids_path, "w"))

    fixtures = sorted(d for d in os.listdir(FIXTURES) if os.path.isdir(os.path.join(FIXTURES, d)))
    cases = [(f"convert:{f}", "convert", os.path.join(FIXTURES, f)) for f in fixtures]
    cases.append(("convert:stories260K", "convert", os.path.join(data, "llama2c-stories260K", "stories260K.bin")))
    cases += [(f"train:{f}", "train", os.path.join(FIXTURES, f)) for f in ("v5-llama3", "v4-mqa-tied")]

    envs = [("5.x", os.environ.copy(), False)]
    if args.tf4:
        envs.append(("4.x", {**os.environ, "PYTHONPATH": args.tf4}, True))

    worst = 0.0
    rows = []
    for name, kind, src in cases:
        out_dir = os.path.join(tmp, name.replace(":", "_"))
        heed_json = os.path.join(tmp, name.replace(":", "_") + ".heed.json")
        if kind == "convert":
            run(["node", os.path.join(ROOT, "bin", "heed.js"), "convert", "--model", src, "--to", "hf", "--out", out_dir], cwd=ROOT)
            run([tsx, side, "logits", src, ids_path, heed_json], cwd=ROOT)
        else:
            run([tsx, side, "train", src, ids_path, heed_json, out_dir], cwd=ROOT)
        heed_out = json.load(open(heed_json))
        heed = heed_out["logits"]
        if kind == "train":
            losses = heed_out["losses"]
            print(f"{name}: heed's training loss by step {[round(x, 4) for x in losses]}")
            if not losses[-1] < losses[0]:
                sys.exit(f"{name}: training did not lower the loss; the case would not test a trained checkpoint")
        results = {}
        for label, env, shim in envs:
            hf_json = os.path.join(tmp, f"{name.replace(':', '_')}.hf{label}.json")
            cmd = [sys.executable, __file__, "--worker", out_dir, ids_path, hf_json] + (["--shim"] if shim else [])
            run(cmd, env=env, cwd=ROOT)
            hf = json.load(open(hf_json))
            diff = max(abs(a - b) for a, b in zip(heed, hf["logits"], strict=True))
            worst = max(worst, diff)
            results[label] = hf
            rows.append({"case": name, "transformers": hf["version"], "max_abs_diff": diff, "theta": hf["theta"], "rope_type": hf["rope_type"], "tied": hf["tied"]})
            print(json.dumps(rows[-1]), flush=True)
        if len(results) == 2 and results["4.x"]["inv_freq"] != results["5.x"]["inv_freq"]:
            sys.exit(f"{name}: transformers 4.x and 5.x read different RoPE frequencies from heed's config.json")
    print(f"{len(rows)} loads, worst max |heed − transformers| over logits: {worst:.3g} (tolerance {TOL:g})")
    if args.keep:
        print(f"files kept in {tmp}")
    else:
        shutil.rmtree(tmp)
    sys.exit(0 if worst <= TOL else 1)


if __name__ == "__main__":
    main()

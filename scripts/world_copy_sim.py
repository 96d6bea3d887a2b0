"""The copy lab's PyTorch peer (not needed by tests or CI; docs/world.md, "Why no arm copies a
required word"). Trains transformers' LlamaForCausalLM of a world base's config.json on windows
scripts/world-copy-lab.ts packed, with the study's pretraining recipe (AdamW 0.9/0.999, no weight
decay, warmup 10% then cosine to 0, clip 1, 16 windows a step), and prints the loss and the three
copy probes every N steps. It is a reference trainer, about 4x faster than heed's fast backend on
2 cores, used to tell "this model and data do not learn to copy" from "heed's trainer does not".

    python3 scripts/world_copy_sim.py WINDOWS.i32 STEPS EVERY [--lr 3e-3] [--layers 6] [--tie]
        [--config models/world-base] [--probes probes.json] [--save DIR]
        [--ctx 32] [--init MODEL_DIR] [--warmup 0.1]

--ctx trains on windows of another length (pack them with that CONTEXT); --init continues from a
saved model (a second stage of a curriculum, with a fresh optimizer and schedule).

Or probe a model directory heed (or this script) wrote:

    python3 scripts/world_copy_sim.py --probe-only MODEL_DIR [--probes probes.json]
"""
import argparse
import json
import math
import time

import numpy as np
import torch
from transformers import LlamaConfig, LlamaForCausalLM

ap = argparse.ArgumentParser()
ap.add_argument("windows", nargs="?")
ap.add_argument("steps", nargs="?", type=int)
ap.add_argument("every", nargs="?", type=int)
ap.add_argument("--lr", type=float, default=3e-3)
ap.add_argument("--layers", type=int)
ap.add_argument("--tie", action="store_true", help="tie the input and output embeddings")
ap.add_argument("--config", default="models/world-base")
ap.add_argument("--probes", default="probes.json")
ap.add_argument("--save")
ap.add_argument("--ctx", type=int, help="window length minus one, if not the config's max_position_embeddings")
ap.add_argument("--init", help="start from this model directory instead of a fresh initialisation")
ap.add_argument("--also", help="a second windows file trained on in every step beside the first (a mixed curriculum)")
ap.add_argument("--also-ctx", type=int, default=32)
ap.add_argument("--also-batch", type=int, default=32)
ap.add_argument("--warmup", type=float, default=0.1, help="share of the steps in linear warmup")
ap.add_argument("--probe-only")
a = ap.parse_args()
torch.manual_seed(0)
torch.set_num_threads(2)
P = json.load(open(a.probes))
pool = torch.tensor(P["pool"])


def probe(m):
    """Per probe kind: hits (a wanted word ranks first among the pool words) and chance."""
    was = m.training
    m.eval()
    res = {}
    with torch.no_grad():
        for k in ("induction", "drill", "recall"):
            hit = chance = 0
            for p in P[k]:
                lg = m(torch.tensor([p["prompt"]])).logits[0, -1]
                hit += pool[lg[pool].argmax()].item() in p["want"]
                chance += len(set(p["want"])) / len(pool)
            res[k] = f"{hit}/{len(P[k])} (chance {chance:.1f})"
    m.train(was)
    return res


if a.probe_only:
    m = LlamaForCausalLM.from_pretrained(a.probe_only, dtype=torch.float32)
    print(a.probe_only, probe(m))
    raise SystemExit(0)
if not (a.windows and a.steps and a.every):
    ap.error("give WINDOWS.i32 STEPS EVERY, or --probe-only MODEL_DIR")
if a.init and (a.layers or a.tie):
    ap.error("--init takes the model's shape from MODEL_DIR: leave out --layers and --tie")
cfg = LlamaConfig.from_pretrained(a.init or a.config)
cfg.dtype = "float32"
if a.layers:
    cfg.num_hidden_layers = a.layers
if a.tie:
    cfg.tie_word_embeddings = True
m = LlamaForCausalLM.from_pretrained(a.init, dtype=torch.float32) if a.init else LlamaForCausalLM(cfg)
ctx = a.ctx or cfg.max_position_embeddings
data = torch.from_numpy(np.fromfile(a.windows, dtype=np.int32).reshape(-1, ctx + 1).astype(np.int64))
opt = torch.optim.AdamW(m.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
warm = max(1, round(a.warmup * a.steps))


def lr_at(s):  # s: 1-based step, as heed's schedule counts
    return s / warm if s <= warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / (a.steps - warm)))


sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: lr_at(i + 1))
perm = torch.randperm(data.shape[0], generator=torch.Generator().manual_seed(1))
also = None
if a.also:
    also = torch.from_numpy(np.fromfile(a.also, dtype=np.int32).reshape(-1, a.also_ctx + 1).astype(np.int64))
    also_perm = torch.randperm(also.shape[0], generator=torch.Generator().manual_seed(2))
print(f"{sum(p.numel() for p in m.parameters())} parameters, {cfg.num_hidden_layers} layers, {data.shape[0]} windows")
t0 = time.time()
for s in range(a.steps):
    at = (s * 16) % (len(perm) - 16)
    b = data[perm[at : at + 16]]
    logits = m(b[:, :-1]).logits
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), b[:, 1:].reshape(-1))
    first = loss.item()
    if also is not None:  # the second file's windows: their mean loss, added with the same weight
        ab = also[also_perm[(s * a.also_batch) % (len(also_perm) - a.also_batch) :][: a.also_batch]]
        al = m(ab[:, :-1]).logits
        loss = loss + torch.nn.functional.cross_entropy(al.reshape(-1, al.shape[-1]), ab[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    sched.step()
    if (s + 1) % a.every == 0 or s + 1 == a.steps:
        print(s + 1, f"loss {first:.4f}" + (f" + {loss.item() - first:.4f}" if also is not None else ""), probe(m), f"{time.time() - t0:.0f}s", flush=True)
if a.save:
    m.save_pretrained(a.save)

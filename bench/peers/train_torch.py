"""Peer for `heed bench train`: the same Llama configurations and token batch trained in CPU
PyTorch (transformers' LlamaForCausalLM, fp32), forward + backward + AdamW, timed per step.
Prints the same JSON row shape as bench/train.ts. Never a dependency of heed: run it with a
venv that has torch and transformers, e.g.

    python3 -m venv /tmp/heed-peers-venv && /tmp/heed-peers-venv/bin/pip install torch transformers
    /tmp/heed-peers-venv/bin/python bench/peers/train_torch.py [--model stories260K|llama-15M|heed-base] [--json]

Threads: torch.set_num_threads(2) (the 2-core machine the figures come from; --threads N).
"""
import argparse
import json
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM

# stories260K: the llama2.c header (dim 64, 5 layers, 8 heads, 4 kv heads, hidden 172, vocab 512)
MODELS = {
    "stories260K": dict(hidden_size=64, intermediate_size=172, num_hidden_layers=5, num_attention_heads=8,
                        num_key_value_heads=4, vocab_size=512, max_position_embeddings=512, tie_word_embeddings=True, B=8, T=64),
    "llama-15M": dict(hidden_size=288, intermediate_size=768, num_hidden_layers=6, num_attention_heads=6,
                      num_key_value_heads=6, vocab_size=32000, max_position_embeddings=256, tie_word_embeddings=True, B=4, T=128),
    # heed-base's pretraining step (PRETRAIN_CPU): untied, [16, 256], gradient norm clipped at 1 before AdamW
    "heed-base": dict(hidden_size=128, intermediate_size=344, num_hidden_layers=4, num_attention_heads=4,
                      num_key_value_heads=4, vocab_size=4096, max_position_embeddings=256, tie_word_embeddings=False, B=16, T=256, clip=1.0),
}


def step_flops(m, B, T):
    d, h, kv, f, L, V = m["hidden_size"], m["num_attention_heads"], m["num_key_value_heads"], m["intermediate_size"], m["num_hidden_layers"], m["vocab_size"]
    hd = d // h
    per_layer = d * h * hd + 2 * d * kv * hd + h * hd * d + 3 * d * f
    return 6 * B * T * (L * per_layer + V * d) + 6 * B * T * T * d * L


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=list(MODELS), action="append")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    rows = []
    for name in args.model or list(MODELS):
        m = dict(MODELS[name])
        B, T, clip = m.pop("B"), m.pop("T"), m.pop("clip", 0.0)
        cfg = LlamaConfig(**m, rms_norm_eps=1e-5, rope_theta=10000.0, attention_bias=False, mlp_bias=False)
        model = LlamaForCausalLM(cfg).float().train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)
        ids = torch.tensor([(i * 7919 + 13) % cfg.vocab_size for i in range(B * (T + 1))], dtype=torch.long).view(B, T + 1)
        x, y = ids[:, :-1].contiguous(), ids[:, 1:].contiguous()

        def step():
            logits = model(input_ids=x).logits
            loss = torch.nn.functional.cross_entropy(logits.view(-1, cfg.vocab_size), y.view(-1))
            loss.backward()
            if clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            opt.zero_grad(set_to_none=True)

        step()
        step()
        t0 = time.perf_counter()
        for _ in range(args.steps):
            step()
        ms = (time.perf_counter() - t0) * 1000 / args.steps
        params = sum(p.numel() for p in model.parameters())
        rows.append({"impl": "torch", "model": name, "backend": "cpu", "device": f"torch {torch.__version__}, {args.threads} threads",
                     "B": B, "T": T, "params": params, "msPerStep": ms, "tokPerSec": B * T / (ms / 1000),
                     "gflops": step_flops(MODELS[name], B, T) / (ms / 1000) / 1e9})
        if not args.json:
            r = rows[-1]
            print(f"torch {name:11s} [{B}, {T}]  {ms:8.1f} ms/step  {r['tokPerSec']:6.0f} tok/s  {r['gflops']:.2f} GFLOP/s")
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

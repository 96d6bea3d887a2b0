#!/usr/bin/env python3
"""PyTorch eager f32 matmul, the peer of `heed bench matmul` (bench/matmul.ts).

Times the same products as heed's bench (n×n×n for each size, plus the three Llama-shaped
cases) the same way: the first product is untimed, then each of 7 repeats (3 when one
product takes over a second) runs enough products for ~150 ms and synchronises once.
Reports GFLOP/s (best / median over repeats). CUDA when present, else CPU with sizes
capped (--cpu-max). TF32 is off unless --tf32: these are true f32 numbers, like WGSL's.

--json prints heed's JSON shape: {adapter, date, results: [{name, M, K, N, transB,
kernel, naive, best, cpu}]}, with the torch timing in `best`, `naive` and `cpu` null
(the peer has one implementation), plus `peer`, `torch`, `device`, `tf32` and `skipped`.

Not a dependency of heed: run it with any Python that has torch, e.g.
  python3 bench/peers/matmul_torch.py --json --sizes=1024,2048,4096,8192
"""
import argparse
import datetime
import json
import sys
import time

import torch

REPEATS = 7
TARGET_MS = 150.0


def cases(sizes):
    out = [dict(name=f"{n}³", M=n, K=n, N=n, transB=False) for n in sizes]
    out += [
        dict(name="q/k/v-ish [512×288]·[768×288]ᵀ", M=512, K=288, N=768, transB=True),
        dict(name="ffn down [512×768]·[768×288]", M=512, K=768, N=288, transB=False),
        dict(name="vocab head [64×288]·[32000×288]ᵀ", M=64, K=288, N=32000, transB=True),
    ]
    return out


def gflops(c, ms):
    return 2.0 * c["M"] * c["N"] * c["K"] / (ms * 1e6)


def time_case(c, device):
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    a = torch.rand(c["M"], c["K"], device=device) * 2 - 1
    w = torch.rand(*((c["N"], c["K"]) if c["transB"] else (c["K"], c["N"])), device=device) * 2 - 1
    once = (lambda: a @ w.t()) if c["transB"] else (lambda: a @ w)
    once()  # untimed: library initialisation and kernel selection
    sync()
    t = time.perf_counter()
    once()
    sync()
    single = (time.perf_counter() - t) * 1e3
    iters = max(1, min(50, round(TARGET_MS / max(0.01, single))))
    runs = []
    for _ in range(3 if single > 1000 else REPEATS):
        t = time.perf_counter()
        for _ in range(iters):
            once()
        sync()
        runs.append((time.perf_counter() - t) * 1e3 / iters)
    runs.sort()
    return {"best": gflops(c, runs[0]), "median": gflops(c, runs[len(runs) // 2])}


def parse_sizes(text):
    try:
        sizes = [int(x) for x in text.split(",")]
    except ValueError:
        raise SystemExit(f"matmul_torch: --sizes must be comma-separated integers, got {text!r}")
    if not sizes or any(n < 1 for n in sizes):
        raise SystemExit(f"matmul_torch: --sizes must be positive, got {text!r}")
    return sizes


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true", help="print heed's bench JSON instead of a table")
    p.add_argument("--sizes", default="1024,2048,4096,8192", help="n for the n×n×n products (default 1024,2048,4096,8192)")
    p.add_argument("--device", choices=["auto", "cuda", "cpu"], default="auto", help="auto: cuda when available")
    p.add_argument("--cpu-max", type=int, default=2048, help="on CPU, skip n×n×n sizes above this (default 2048)")
    p.add_argument("--tf32", action="store_true", help="allow TF32 tensor cores (not f32; labelled in the output)")
    args = p.parse_args()
    sizes = parse_sizes(args.sizes)

    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("matmul_torch: --device cuda asked for, but torch sees no CUDA device")
    device = torch.device("cuda" if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()) else "cpu")
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.set_float32_matmul_precision("high" if args.tf32 else "highest")

    skipped = []
    if device.type == "cpu":
        skipped = [n for n in sizes if n > args.cpu_max]
        sizes = [n for n in sizes if n <= args.cpu_max]
        where = f"cpu, {torch.get_num_threads()} threads"
    else:
        where = f"cuda {torch.cuda.get_device_name(device)}, CUDA {torch.version.cuda}"
    precision = "tf32" if args.tf32 else "f32"
    adapter = f"torch {torch.__version__} eager, {where}, {precision}"
    kernel = f"torch.matmul ({device.type}, {precision})"

    if not args.json:
        print(f"peer: {adapter}")
        if skipped:
            print(f"skipped on CPU (above --cpu-max {args.cpu_max}): {skipped}")
        print("GFLOP/s, best / median over repeats\n")
        print("| product | torch | kernel |\n|---|---|---|")
    results = []
    for c in cases(sizes):
        with torch.no_grad():
            t = time_case(c, device)
        results.append({**c, "kernel": kernel, "naive": None, "best": t, "cpu": None})
        if not args.json:
            print(f"| {c['name']} | {t['best']:.1f} / {t['median']:.1f} | {kernel} |", flush=True)
    if args.json:
        print(json.dumps({
            "adapter": adapter,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z"),
            "peer": "torch",
            "torch": torch.__version__,
            "device": device.type,
            "tf32": args.tf32,
            "skipped": skipped,
            "results": results,
        }, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

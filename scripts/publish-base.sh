#!/usr/bin/env bash
# Publishes a base model that a study's base stage pretrained (e.g. `npx heed study --config
# scratch` -> runs/study-scratch/base/) as a committed base directory (default models/heed-base):
# the weights in bf16 HF layout with tokenizer.json, the model card, the per-step training log
# and the loss curve. The card gets a "This copy" section with the measured wall time of the
# pretraining and the machine it ran on. Refuses to overwrite an existing directory.
#   bash scripts/publish-base.sh [STAGE_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-runs/study-scratch/base}
dst=${2:-models/heed-base}
for f in model/config.json model/model.safetensors model/tokenizer.json model/README.md log.jsonl loss.svg; do
  [[ -f "$src/$f" ]] || { echo "publish-base: $src/$f is missing (is $src a finished study base stage?)" >&2; exit 1; }
done
[[ -e "$dst" ]] && { echo "publish-base: $dst exists; remove it first" >&2; exit 1; }
tmp="$dst.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
node bin/heed.js convert --model "$src/model" --to hf --dtype bf16 --out "$tmp" 2>&1 | grep -v '^Warning: max'
cp "$src/model/tokenizer_config.json" "$src/model/generation_config.json" "$tmp/" 2>/dev/null || true
cp "$src/log.jsonl" "$src/loss.svg" "$tmp/"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
node -e '
const fs = require("fs");
const [src, tmp, cpu, cores] = process.argv.slice(1);
const rows = fs.readFileSync(src + "/log.jsonl", "utf8").trim().split("\n").map((l) => JSON.parse(l));
const steps = rows.filter((r) => r.kind === "step");
const last = steps[steps.length - 1];
const sec = last.elapsedSec, tokens = steps.reduce((s, r) => s + r.tokens, 0);
const card = fs.readFileSync(src + "/model/README.md", "utf8");
const extra = `
## This copy
- Weights converted from the f32 training output to bf16 (\`heed convert --dtype bf16\`); the held-out
  loss above is the f32 model'"'"'s, test/study/heedBase.test.ts recomputes it on these bf16 weights.
- Pretraining wall time: ${(sec / 60).toFixed(1)} min for ${last.step} steps (${(tokens / sec).toFixed(0)} tokens/s), WebGPU on
  Mesa lavapipe (no GPU), ${cores} vCPU (${cpu}). A resumed run counts from its resume.
- log.jsonl is the per-step training log (loss, lr, gradient norm, tokens/s, held-out evaluations);
  loss.svg its curve.
`;
fs.writeFileSync(tmp + "/README.md", card.replace(/\n*$/, "\n") + extra);
' "$src" "$tmp" "$cpu" "$(nproc)"
mkdir -p "$(dirname "$dst")"
mv "$tmp" "$dst"
trap - EXIT
echo "published $dst: $(du -sh "$dst" | cut -f1)"

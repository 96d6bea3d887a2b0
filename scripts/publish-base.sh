#!/usr/bin/env bash
# Publishes a base model that a study's base stage pretrained (e.g. `npx heed study --config
# scratch` -> runs/study-scratch/base/) as a committed base directory (default models/heed-base):
# the weights in bf16 HF layout with tokenizer.json, the model card, the per-step training log
# and the loss curve. The card gets a "This copy" section with the measured wall time of the
# pretraining and the machine it ran on. Refuses to overwrite an existing directory.
#   bash scripts/publish-base.sh [STAGE_DIR] [OUT_DIR] [BACKEND] [RESULTS_MD]
# BACKEND says what the pretraining ran on (default: what `heed info` says --backend auto picks on
# this machine, i.e. the study's default when it ran here). RESULTS_MD (a world base): a study's
# results.md measured on the published weights, whose world calibration lines the card carries.
# The bf16 conversion is deterministic: publishing the same stage again gives the same weights,
# so a base can be published, measured by `npm start`, and published again with its figures.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-runs/study-scratch/base}
dst=${2:-models/heed-base}
backend=${3:-$(node bin/heed.js info 2>/dev/null | sed -n '2p')}
[[ -n "$backend" ]] || { echo "publish-base: could not tell the backend; pass it as the third argument" >&2; exit 1; }
calib=""
if [[ -n "${4:-}" ]]; then
  [[ -f "$4" ]] || { echo "publish-base: $4 is missing" >&2; exit 1; }
  calib=$(awk '/^### Calibration/{on=1; next} on && /^### /{exit} on' "$4")
  [[ -n "$calib" ]] || { echo "publish-base: $4 has no world calibration section" >&2; exit 1; }
  calib="Measured by the study whose results.md is $4, on these bf16 weights:
$calib"
fi
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
const [src, tmp, cpu, cores, backend, calib] = process.argv.slice(1);
const rows = fs.readFileSync(src + "/log.jsonl", "utf8").trim().split("\n").map((l) => JSON.parse(l));
const steps = rows.filter((r) => r.kind === "step");
const last = steps[steps.length - 1];
const sec = last.elapsedSec, tokens = steps.reduce((s, r) => s + r.tokens, 0);
const card = fs.readFileSync(src + "/model/README.md", "utf8");
const extra = `
## This copy
- Weights converted from the f32 training output to bf16 (\`heed convert --dtype bf16\`); the held-out
  loss above is the f32 model'"'"'s, test/study/bases.test.ts recomputes it on these bf16 weights.
- Pretraining wall time: ${(sec / 60).toFixed(1)} min for ${last.step} steps (${(tokens / sec).toFixed(0)} tokens/s) on
  ${backend}, ${cores} vCPU (${cpu}). A resumed run counts from its resume.
- log.jsonl is the per-step training log (loss, lr, gradient norm, tokens/s, held-out evaluations);
  loss.svg its curve.
`;
const cal = calib ? `\n## Calibration (docs/world.md)\n${calib.trim()}\n` : "";
fs.writeFileSync(tmp + "/README.md", card.replace(/\n*$/, "\n") + extra + cal);
' "$src" "$tmp" "$cpu" "$(nproc)" "$backend" "$calib"
mkdir -p "$(dirname "$dst")"
mv "$tmp" "$dst"
trap - EXIT
echo "published $dst: $(du -sh "$dst" | cut -f1)"

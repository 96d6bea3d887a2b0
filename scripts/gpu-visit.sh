#!/usr/bin/env bash
# The whole GPU visit in one command, inside a time budget: unpack the bundle, print the GPU,
# driver and WebGPU adapter, run the GPU suite, heed's benches and the PyTorch peers, make the
# transformers fixtures, and write everything to $OUT.
#
# Here first:  bash scripts/gpu-pack.sh          (writes .gpu/, which must travel along)
# Then, with the device tool:  run(carry=[".gpu"], timeout_s=600, command="bash scripts/gpu-visit.sh")
#
# Each step runs under `timeout`, capped by its own limit and by what is left of the budget, so
# one hang or failure does not eat the visit; a step that fails does not stop the others.
# $OUT gets at most three files (the run tool brings back 8): summary.md (steps, adapter,
# headline numbers), results.json (every step's JSON output), visit.tar.gz (all logs, JSON,
# JUnit XML of the suite, fixtures). summary.md and results.json are rewritten after every
# step, so a visit cut short still leaves them.
#
# Env (all optional):
#   OUT                  output folder (default ./gpu-out)
#   VISIT_BUDGET_S       whole-visit budget in seconds (default 480; the run tool allows 600)
#   HEED_ALLOW_CPU_ADAPTER=1   accept lavapipe/llvmpipe (for proving the visit without a GPU)
#   HEED_DATA            data root (default .gpu/data when gpu-pack.sh carried one)
#   PYTHON               Python with torch (+ transformers for the fixtures) (default python3)
#   MATMUL_SIZES         n×n×n sizes for the first matmul bench (default 1024,2048,4096)
#   MATMUL_BIG_SIZES     sizes for the second, separately time-boxed run (default 8192)
#   TRAIN_ARGS, TRAIN_PEER_ARGS, FIXTURE_ARGS   extra arguments for those steps
#   GPU_TEST_ARGS        extra vitest arguments, e.g. a subset of files
#   F32_PEAK_TFLOPS      the GPU's f32 peak for the summary (default: by name, H100/H200 SXM 67)
#   VISIT_LIMIT_<step>   one step's limit in seconds (step names with - written as _)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
t0=$(date +%s)
OUT=${OUT:-$root/gpu-out}
budget=${VISIT_BUDGET_S:-480}
PYTHON=${PYTHON:-python3}
matmul_sizes=${MATMUL_SIZES:-1024,2048,4096}
matmul_big=${MATMUL_BIG_SIZES:-8192}
reserve=20 # seconds kept for the summary and the tarball
export PYTHON PYTHONUNBUFFERED=1 NO_COLOR=1 # plain logs

die() { echo "gpu-visit: $*" >&2; exit 2; }
[[ $budget =~ ^[0-9]+$ ]] && (( budget >= 60 )) || die "VISIT_BUDGET_S must be a whole number of seconds ≥ 60, got '$budget'"
for v in matmul_sizes matmul_big; do
  [[ ${!v} =~ ^[0-9]+(,[0-9]+)*$ ]] || die "${v^^} must be comma-separated sizes, got '${!v}'"
done
[ -f .gpu/run.sh ] && [ -f .gpu/bundle.tar.xz ] || die "no .gpu/run.sh or .gpu/bundle.tar.xz: run bash scripts/gpu-pack.sh here and carry .gpu"
mkdir -p "$OUT" || die "cannot create OUT=$OUT"
OUT=$(cd "$OUT" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/heed-visit.XXXXXX")
printf 'step\tstatus\tseconds\tlimit\tnote\n' > "$work/steps.tsv"

elapsed() { echo $(( $(date +%s) - t0 )); }
say() { printf '[%4ss of %ss] %s\n' "$(elapsed)" "$budget" "$*"; }
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >> "$work/steps.tsv"; }
skip() { record "$1" skipped 0 - "$2"; say "$1: skipped ($2)"; }

# step NAME LIMIT CMD...: stdout to $work/NAME.out, stderr to $work/NAME.err.
step() {
  local name=$1 limit=$2; shift 2
  local override="VISIT_LIMIT_${name//-/_}"
  if [ -n "${!override:-}" ]; then
    [[ ${!override} =~ ^[0-9]+$ ]] || die "$override must be a whole number of seconds, got '${!override}'"
    limit=${!override}
  fi
  local left=$(( budget - $(elapsed) - reserve ))
  if (( left < 5 )); then skip "$name" "no time left in the ${budget}s budget"; return 124; fi
  (( limit > left )) && limit=$left
  local cmd="$*"
  cmd=${cmd//$'\n'/ }
  (( ${#cmd} > 140 )) && cmd="${cmd:0:140}…"
  say "$name: start (limit ${limit}s): $cmd"
  local s rc d status
  s=$(date +%s)
  timeout -k 10 "$limit" "$@" > "$work/$name.out" 2> "$work/$name.err"
  rc=$?
  d=$(( $(date +%s) - s ))
  case $rc in
    0) status=ok ;;
    124 | 137) status=timeout ;;
    *) status="failed (exit $rc)" ;;
  esac
  record "$name" "$status" "$d" "$limit" ""
  say "$name: $status in ${d}s"
  if (( rc != 0 )); then tail -n 8 "$work/$name.err" | sed 's/^/    /'; fi
  summarise
  return $rc
}

# Summary and results, rewritten after each step (node is there once the bundle is unpacked).
cat > "$work/summarise.mjs" <<'JS'
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
const [work, out, budget, elapsed] = process.argv.slice(2);
const read = (f) => (existsSync(`${work}/${f}`) ? readFileSync(`${work}/${f}`, 'utf8') : null);
const json = (f) => { const t = read(f); if (t === null) return null; try { return JSON.parse(t); } catch { return null; } };
const atomic = (f, text) => { writeFileSync(`${out}/${f}.tmp`, text); renameSync(`${out}/${f}.tmp`, `${out}/${f}`); };
const steps = read('steps.tsv').split('\n').slice(1).filter(Boolean).map((l) => {
  const [step, status, seconds, limit, note = ''] = l.split('\t');
  return { step, status, seconds: Number(seconds), limit, note };
});
const named = ['matmul', 'matmul-big', 'matmul-torch', 'generate', 'train', 'train-torch'];
const results = { date: new Date().toISOString(), budgetSeconds: Number(budget), elapsedSeconds: Number(elapsed), steps, adapter: json('adapter.json') };
for (const n of named) results[n] = json(`${n}.out`);
atomic('results.json', `${JSON.stringify(results, null, 2)}\n`);

const L = [];
L.push(`# heed GPU visit, ${results.date}`, '', `${elapsed}s of a ${budget}s budget.`, '');
const gpu = (read('gpu-info.out') ?? '').split('\n').find((l) => l.startsWith('gpu: '));
if (gpu) L.push(`- ${gpu}`);
const a = results.adapter;
if (a) {
  L.push(`- WebGPU adapter: ${a.description}`);
  L.push(`- subgroups ${a.info.subgroupMinSize}–${a.info.subgroupMaxSize}, subgroup-matrix configs ${JSON.stringify(a.info.subgroupMatrixConfigs ?? [])}, shader-f16 ${a.features.includes('shader-f16')}, Dawn/webgpu ${a.webgpu}, node ${a.node}`);
  if (!a.accepted) L.push(`- **refused**: a CPU adapter (${a.cpuAdapter}); heed's WebGPU steps were skipped`);
  else if (a.cpuAdapter) L.push(`- **CPU adapter** (${a.cpuAdapter}), accepted by HEED_ALLOW_CPU_ADAPTER=1: these are not GPU numbers`);
}
L.push('', '## Steps', '', '| step | status | seconds | limit | note |', '|---|---|---|---|---|');
for (const s of steps) L.push(`| ${s.step} | ${s.status} | ${s.seconds} | ${s.limit} | ${s.note} |`);

const med = (t) => (t ? t.median : null);
const f = (x) => (x == null ? '—' : x.toFixed(1));
const heedRows = [...(results.matmul?.results ?? []), ...(results['matmul-big']?.results ?? [])];
const torchRows = results['matmul-torch']?.results ?? [];
if (heedRows.length || torchRows.length) {
  L.push('', '## Matmul f32, GFLOP/s (median over repeats)', '');
  if (results['matmul-torch']) L.push(`peer: ${results['matmul-torch'].adapter}`, '');
  // f32 (non-tensor-core) peak from NVIDIA's datasheets, by the name nvidia-smi prints; F32_PEAK_TFLOPS overrides.
  const name = gpu ?? '';
  const peak = Number(process.env.F32_PEAK_TFLOPS) ||
    (/H[12]00 NVL/.test(name) ? 60 : /H100 PCIe/.test(name) ? 51 : /H[12]00/.test(name) ? 67 : 0);
  const ofPeak = (x) => (peak && x != null ? `${((100 * x) / (peak * 1000)).toFixed(1)}%` : '—');
  if (peak) L.push(`f32 peak assumed: ${peak} TFLOP/s (${process.env.F32_PEAK_TFLOPS ? 'F32_PEAK_TFLOPS' : 'datasheet, by GPU name'})`, '');
  L.push('| product | heed naive | heed best | heed kernel | heed % of f32 peak | torch | heed best ÷ torch |', '|---|---|---|---|---|---|---|');
  const seen = new Set();
  for (const h of heedRows) {
    if (seen.has(h.name)) continue;
    seen.add(h.name);
    const t = torchRows.find((r) => r.name === h.name);
    const ratio = t && med(t.best) ? (med(h.best) / med(t.best)).toFixed(2) : '—';
    L.push(`| ${h.name} | ${f(med(h.naive))} | ${f(med(h.best))} | ${h.kernel} | ${ofPeak(med(h.best))} | ${f(med(t?.best))} | ${ratio} |`);
  }
  for (const t of torchRows) if (!seen.has(t.name)) L.push(`| ${t.name} | — | — | — | — | ${f(med(t.best))} | — |`);
}
if (Array.isArray(results.generate)) {
  L.push('', '## stories260K decode (bench/generate.ts)', '', '| backend | batch | tokens | seconds | tok/s |', '|---|---|---|---|---|');
  for (const r of results.generate) L.push(`| ${r.backend} | ${r.batch} | ${r.tokens} | ${r.seconds.toFixed(2)} | ${r.tokPerSec.toFixed(0)} |`);
}
for (const n of ['train', 'train-torch']) {
  if (results[n] != null) L.push('', `## ${n} (raw JSON, first 1500 characters; all of it in results.json)`, '', '```', JSON.stringify(results[n]).slice(0, 1500), '```');
}
const junit = read('tests-junit.xml');
if (junit) {
  const top = /<testsuites[^>]*\btests="(\d+)"[^>]*\bfailures="(\d+)"[^>]*\berrors="(\d+)"/.exec(junit);
  L.push('', '## GPU suite (vitest.gpu.config.ts)', '');
  if (top) L.push(`${top[1]} tests, ${top[2]} failures, ${top[3]} errors`);
  const failed = [...junit.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"[^>]*>\s*<(failure|error)/g)].map((m) => `- ${m[1]} › ${m[2]}`);
  if (failed.length) L.push('', 'failing:', ...failed.slice(0, 40), failed.length > 40 ? `- … ${failed.length - 40} more` : '');
} else if (read('tests.out') !== null) {
  const tail = read('tests.out').split('\n').filter((l) => /Test Files|Tests /.test(l)).join('\n');
  L.push('', '## GPU suite (vitest.gpu.config.ts)', '', tail || '(no vitest totals printed; see tests.out/tests.err in visit.tar.gz)');
}
const fx = existsSync(`${work}/fixtures`) ? readdirSync(`${work}/fixtures`, { recursive: true }).map(String) : [];
if (fx.length) L.push('', '## Fixtures made (in visit.tar.gz under fixtures/)', '', ...fx.map((x) => `- ${x}`));
L.push('', 'Logs: every step\'s stdout/stderr as STEP.out/STEP.err in visit.tar.gz.');
atomic('summary.md', `${L.join('\n')}\n`);
JS
summarise() {
  if command -v node > /dev/null; then
    node "$work/summarise.mjs" "$work" "$OUT" "$budget" "$(elapsed)" 2> "$work/summarise.err" || say "summary: failed (see summarise.err)"
  else
    cp "$work/steps.tsv" "$OUT/summary.md.tmp" && mv "$OUT/summary.md.tmp" "$OUT/summary.md"
  fi
}

say "heed GPU visit: root $root, OUT $OUT, budget ${budget}s, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
[ -f .gpu/MANIFEST.txt ] && sed 's/^/  /' .gpu/MANIFEST.txt | head -3

# 1. Unpack (run.sh: Node, node_modules link, Vulkan loader, NVIDIA ICD) and take its environment.
# run.sh unpacks into /tmp/heed-gpu only when that has no node yet; a machine kept warm between
# calls would keep an older bundle, so an unpack from other .gpu/ archives is cleared first.
bundle_id=$(cat .gpu/bundle.tar.xz .gpu/testkit.tar.xz 2>/dev/null | cksum)
if [ -d /tmp/heed-gpu ] && [ "$(cat /tmp/heed-gpu/.heed-bundle-id 2>/dev/null)" != "$bundle_id" ]; then
  say "unpack: /tmp/heed-gpu holds another bundle; removing it"
  rm -rf /tmp/heed-gpu
fi
step unpack 180 bash .gpu/run.sh bash -c \
  'for v in PATH XDG_RUNTIME_DIR VK_DRIVER_FILES VK_ICD_FILENAMES; do if [ -n "${!v+x}" ]; then printf "export %s=%q\n" "$v" "${!v}"; fi; done'
eval "$(grep -E '^export (PATH|XDG_RUNTIME_DIR|VK_DRIVER_FILES|VK_ICD_FILENAMES)=' "$work/unpack.out")"
[ -x /tmp/heed-gpu/bin/node ] && echo "$bundle_id" > /tmp/heed-gpu/.heed-bundle-id
command -v node > /dev/null || say "unpack: no node on PATH afterwards; the heed steps will fail"

# 2. Test kit: vitest + fast-check into the unpacked node_modules (a no-op where vitest is installed).
step testkit 60 bash -c '
  [ -f node_modules/vitest/vitest.mjs ] && { echo "vitest already present"; exit 0; }
  nm=$(readlink -f node_modules) && [ "$(basename "$nm")" = node_modules ] || { echo "node_modules is not set up" >&2; exit 1; }
  [ -f .gpu/testkit.tar.xz ] || { echo ".gpu/testkit.tar.xz missing: re-run scripts/gpu-pack.sh" >&2; exit 1; }
  xz -dc .gpu/testkit.tar.xz | tar -C "$(dirname "$nm")" -xf - && node -p "\"vitest \" + require(\"./node_modules/vitest/package.json\").version"'

if [ -z "${HEED_DATA:-}" ] && [ -d .gpu/data ]; then export HEED_DATA=$root/.gpu/data; fi
say "data root: ${HEED_DATA:-../shared/data (default)}"

# 3. What we run on.
step gpu-info 30 bash -c '
  if command -v nvidia-smi >/dev/null; then
    echo "gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,power.limit --format=csv,noheader | head -1)"
    nvidia-smi
  else echo "gpu: no nvidia-smi on this machine"; fi
  echo "== vulkan"; if command -v vulkaninfo >/dev/null; then vulkaninfo --summary 2>&1 | head -60; else echo "no vulkaninfo"; fi
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"; ldconfig -p 2>/dev/null | grep libvulkan || true
  echo "== host"; uname -a; nproc; free -g 2>/dev/null | head -2; node --version
  echo "== python: $PYTHON"; "$PYTHON" -c "import torch, sys; print(sys.version.split()[0], \"torch\", torch.__version__, \"cuda\", torch.version.cuda, torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else \"\")" 2>&1
  "$PYTHON" -c "import transformers; print(\"transformers\", transformers.__version__)" 2>&1
  true'

heed_ok=1
step adapter 90 node --import tsx test/gpu/adapter-check.ts --out "$work/adapter.json" || heed_ok=0
cat "$work/adapter.out"
gate() { # gate NAME: 0 when heed's WebGPU steps may run
  if (( heed_ok )); then return 0; fi
  skip "$1" "the adapter check refused or failed (adapter.err)"; return 1
}

# 4. Benches: heed and its peers in the same visit.
gate matmul && step matmul 150 node --import tsx bench/matmul.ts --json "--sizes=$matmul_sizes"
step matmul-torch 90 "$PYTHON" bench/peers/matmul_torch.py --json "--sizes=$matmul_sizes,$matmul_big"
gate matmul-big && step matmul-big 120 node --import tsx bench/matmul.ts --json "--sizes=$matmul_big"
gate generate && step generate 120 node --import tsx bench/generate.ts --json
if [ -f bench/train.ts ]; then
  # shellcheck disable=SC2086 # TRAIN_ARGS is a list of words on purpose
  gate train && step train 150 node --import tsx bench/train.ts --json ${TRAIN_ARGS:-}
else skip train "bench/train.ts is not in this tree"; fi
if [ -f bench/peers/train_torch.py ]; then
  # shellcheck disable=SC2086
  step train-torch 120 "$PYTHON" bench/peers/train_torch.py --json ${TRAIN_PEER_ARGS:-}
else skip train-torch "bench/peers/train_torch.py is not in this tree"; fi

# 5. transformers fixtures (written under test/fixtures/hf by the maker; collected for the tarball).
if [ -f scripts/make_hf_fixtures.py ]; then
  # shellcheck disable=SC2086
  step fixtures 120 "$PYTHON" scripts/make_hf_fixtures.py ${FIXTURE_ARGS:-}
  if [ -d test/fixtures/hf ]; then mkdir -p "$work/fixtures" && cp -r test/fixtures/hf "$work/fixtures/" && summarise; fi
else skip fixtures "scripts/make_hf_fixtures.py is not in this tree"; fi

# 6. The GPU suite, with what time is left (capped at 300 s).
# shellcheck disable=SC2086
gate tests && step tests 300 bash test/gpu/run-suite.sh --reporter=default --reporter=junit "--outputFile.junit=$work/tests-junit.xml" ${GPU_TEST_ARGS:-}

# 7. Pack everything, print the summary.
summarise
tar -C "$work" -czf "$OUT/visit.tar.gz.tmp" . && mv "$OUT/visit.tar.gz.tmp" "$OUT/visit.tar.gz"
rm -rf "$work"
say "done: $(ls "$OUT" | tr '\n' ' ')"
echo
cat "$OUT/summary.md"

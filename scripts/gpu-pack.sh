#!/usr/bin/env bash
# Packs everything a GPU visit (scripts/gpu-visit.sh) needs into .gpu/, which travels with the
# working tree to the GPU host (the device `run` tool's carry [".gpu"]):
#   .gpu/bundle.tar.xz, .gpu/run.sh  Node, production node_modules + tsx, the Vulkan loader
#                                    (made by ../shared/gpu/pack.sh, unchanged)
#   .gpu/testkit.tar.xz              vitest and fast-check with their dependencies, minus what the
#                                    bundle already has (the bundle carries no test runner)
#   .gpu/data/                       the data folders the GPU suite and benches read (the host has no
#                                    ../shared/data); the visit points HEED_DATA here
#   .gpu/MANIFEST.txt                what was packed, from which commit, how big
# Usage: bash scripts/gpu-pack.sh   (from anywhere; after npm ci; about a minute or two)
# Env: HEED_GPU_SHARED   folder holding pack.sh and run.sh (default ../shared/gpu)
#      HEED_DATA         data root to copy from (default ../shared/data)
#      HEED_GPU_DATA_DIRS  space-separated data folders to carry (default llama2c-stories260K)
# Refuses to finish when what would travel (working tree + .gpu) exceeds the run tool's 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
die() { echo "gpu-pack: $*" >&2; exit 1; }

shared_gpu=${HEED_GPU_SHARED:-$root/../shared/gpu}
data_root=${HEED_DATA:-$root/../shared/data}
data_dirs=${HEED_GPU_DATA_DIRS:-llama2c-stories260K}
limit_mib=64

[ -f "$shared_gpu/pack.sh" ] && [ -f "$shared_gpu/run.sh" ] || die "no pack.sh/run.sh in $shared_gpu (set HEED_GPU_SHARED)"
for p in vitest fast-check tsx webgpu; do
  [ -f "node_modules/$p/package.json" ] || die "node_modules/$p is missing: run npm ci first"
done
[ -f package-lock.json ] || die "package-lock.json is missing: the test kit is resolved from it"
for d in $data_dirs; do
  [ -d "$data_root/$d" ] || die "data folder $data_root/$d does not exist (HEED_GPU_DATA_DIRS names folders under $data_root)"
done

echo "gpu-pack: 1/3 runtime bundle ($shared_gpu/pack.sh)"
# pack.sh runs `mkdir -p .git/info` under `set -e`, which fails in a git worktree (.git is a
# file there). So it runs in a stand-in root under .gpu/ that has a real .git/ folder and a
# hard-linked copy of node_modules (same tree, so npm ls lists the same production packages).
mkdir -p .gpu
stand_in=$root/.gpu/stand-in
rm -rf "$stand_in" && mkdir -p "$stand_in/.git"
trap 'rm -rf "$stand_in"' EXIT
cp package.json package-lock.json "$stand_in/"
cp -al node_modules "$stand_in/node_modules" 2>/dev/null || cp -a node_modules "$stand_in/node_modules"
(cd "$stand_in" && bash "$shared_gpu/pack.sh")
[ -f "$stand_in/.gpu/bundle.tar.xz" ] && [ -f "$stand_in/.gpu/run.sh" ] || die "$shared_gpu/pack.sh did not write .gpu/bundle.tar.xz and .gpu/run.sh"
mv -f "$stand_in/.gpu/bundle.tar.xz" "$stand_in/.gpu/run.sh" .gpu/
rm -rf "$stand_in"

echo "gpu-pack: 2/3 test kit (vitest, fast-check and their dependencies)"
stage=$(mktemp -d)
trap 'rm -rf "$stage" "$stand_in"' EXIT
# Package folders the bundle already holds (./node_modules/NAME or ./node_modules/@SCOPE/NAME).
xz -dc .gpu/bundle.tar.xz | tar -tf - | sed -nE 's#^\./(node_modules/(@[^/]+/[^/]+|[^@./][^/]*))/.*#\1#p' | sort -u > "$stage/in-bundle.txt"
# The dependency closure from package-lock.json: dependencies, optional dependencies (only those
# installed here, i.e. this platform's native builds) and required peers, resolved the way Node
# resolves them (nearest node_modules upwards). Folders inside a bundled package are already there.
node --input-type=module - "$stage/in-bundle.txt" > "$stage/testkit.txt" <<'JS'
import { existsSync, readFileSync } from 'node:fs';
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')).packages;
const inBundle = new Set(readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean));
const resolve = (from, name) => {
  for (let base = from; ; ) {
    const key = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (lock[key]) return key;
    if (!base) return null;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
};
const seen = new Set();
const queue = ['node_modules/vitest', 'node_modules/fast-check'];
while (queue.length) {
  const key = queue.pop();
  if (seen.has(key) || !existsSync(key)) continue;
  seen.add(key);
  const p = lock[key];
  const optionalPeer = p.peerDependenciesMeta ?? {};
  const names = [
    ...Object.keys(p.dependencies ?? {}),
    ...Object.keys(p.optionalDependencies ?? {}),
    ...Object.keys(p.peerDependencies ?? {}).filter((n) => !optionalPeer[n]?.optional),
  ];
  for (const n of names) {
    const r = resolve(key, n);
    if (r) queue.push(r);
  }
}
const bundled = (key) => [...inBundle].some((b) => key === b || key.startsWith(`${b}/`));
const out = [...seen].filter((k) => !bundled(k)).sort();
if (!out.includes('node_modules/vitest') || !out.includes('node_modules/fast-check')) {
  console.error('gpu-pack: the closure lost vitest or fast-check; package-lock.json and node_modules disagree');
  process.exit(1);
}
console.log(out.join('\n'));
JS
tar -cf - -T "$stage/testkit.txt" | xz -T2 -6 > .gpu/testkit.tar.xz.tmp
mv .gpu/testkit.tar.xz.tmp .gpu/testkit.tar.xz

echo "gpu-pack: 3/3 data ($data_dirs from $data_root)"
rm -rf .gpu/data.tmp && mkdir -p .gpu/data.tmp
for d in $data_dirs; do cp -rL "$data_root/$d" .gpu/data.tmp/; done
chmod -R u+w .gpu/data.tmp
rm -rf .gpu/data && mv .gpu/data.tmp .gpu/data

# What travels: tracked and untracked-not-ignored files, plus .gpu (the carry).
tree_bytes=$(git ls-files -z -co --exclude-standard | xargs -0 -r stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
gpu_bytes=$(find .gpu -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
total_mib=$(( (tree_bytes + gpu_bytes) / 1048576 ))
{
  echo "packed $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "node $(node --version); vitest $(node -p "require('./node_modules/vitest/package.json').version"); fast-check $(node -p "require('./node_modules/fast-check/package.json').version")"
  echo "data: $data_dirs"
  echo "test kit: $(wc -l < "$stage/testkit.txt") packages: $(sed 's#^node_modules/##' "$stage/testkit.txt" | tr '\n' ' ')"
  echo "sizes (bytes): working tree $tree_bytes, .gpu $gpu_bytes; total $total_mib MiB of the $limit_mib MiB the run tool carries"
  (cd .gpu && find . -maxdepth 1 -type f ! -name MANIFEST.txt -printf '%f %s\n' | sort)
} > .gpu/MANIFEST.txt
sed 's/^/gpu-pack: /' .gpu/MANIFEST.txt
[ "$total_mib" -lt "$limit_mib" ] || die "working tree + .gpu is $total_mib MiB, over the run tool's $limit_mib MiB: carry fewer data folders"
echo "gpu-pack: done. On the GPU host: run with carry [\".gpu\"] and command \"bash scripts/gpu-visit.sh\""

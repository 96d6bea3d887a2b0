#!/usr/bin/env bash
# The GPU suite without npm (the GPU bundle has node but no npm/npx): vitest with
# vitest.gpu.config.ts, which checks the adapter first. Extra arguments go to vitest,
# e.g. `bash test/gpu/run-suite.sh test/ops` or `--reporter=dot`.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f node_modules/vitest/vitest.mjs ] || { echo "run-suite: node_modules/vitest is missing (on the GPU host: unpack .gpu/testkit.tar.xz, see scripts/gpu-visit.sh)" >&2; exit 2; }
exec node node_modules/vitest/vitest.mjs run -c vitest.gpu.config.ts "$@"

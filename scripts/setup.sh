#!/usr/bin/env bash
# One-time setup on a fresh machine: Mesa lavapipe (WebGPU without a GPU) and Node dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-lavapipe.sh
npm ci --no-audit --no-fund
# Headless Chromium for the report test (test/eval/report.test.ts renders the HTML report in it).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; else echo "setup: chromium is missing; run as root to install it (apt-get install -y chromium)" >&2; fi
fi

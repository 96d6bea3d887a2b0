#!/usr/bin/env bash
# One-time setup on a fresh machine: Mesa lavapipe (WebGPU without a GPU) and Node dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-lavapipe.sh
npm ci --no-audit --no-fund

#!/usr/bin/env bash
# On the GPU machine: HF transformers (PyTorch, eager attention) vs our engine on GPT-2 124M,
# SmolLM2-135M and Qwen2.5-0.5B configurations with random weights. Prints one JSON report.
# Prepare here first: npm run build:node && bash ../shared/gpu-kit/prepare.sh dist-node/model-run.mjs
# then send .gpu-kit along and run: bash scripts/gpu/parity.sh [OUT]
set -euo pipefail
out=${1:-/tmp/abft-parity}
python3 scripts/gpu/hf_parity.py prepare "$out"
for dir in "$out"/*/; do
  bash .gpu-kit/run.sh .gpu-kit/app/model-run.mjs --model "$dir" --ids "$dir/ids.json" --out "$dir/ours"
done
python3 scripts/gpu/hf_parity.py compare "$out"

#!/usr/bin/env bash
# On the GPU machine: HF transformers (PyTorch, eager attention) vs our engine on GPT-2 124M,
# SmolLM2-135M and Qwen2.5-0.5B configurations with random weights: forward logits and attention
# probabilities, then the ABFT gradients of W_Q / W_K. Prints two JSON reports.
# Prepare here first: npm run build:node && bash ../shared/gpu-kit/prepare.sh dist-node/model-run.mjs dist-node/abft-grad.mjs
# then send .gpu-kit along (carry) and run: bash scripts/gpu/parity.sh [OUT]
set -euo pipefail
out=${1:-/tmp/abft-parity}
python3 scripts/gpu/hf_parity.py prepare "$out"
for dir in "$out"/*/; do
  bash .gpu-kit/run.sh .gpu-kit/app/model-run.mjs --model "$dir" --ids "$dir/ids.json" --out "$dir/ours"
done
python3 scripts/gpu/hf_parity.py compare "$out"
python3 scripts/gpu/abft_parity.py prepare "$out"
for dir in "$out"/*/; do
  bash .gpu-kit/run.sh .gpu-kit/app/abft-grad.mjs --model "$dir" --prompts "$dir/abft_prompts.json" --out "$dir/abft_ours" --no-filter
done
python3 scripts/gpu/abft_parity.py compare "$out"

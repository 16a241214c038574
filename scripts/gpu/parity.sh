#!/usr/bin/env bash
# HF transformers (PyTorch, eager attention) vs our engine on GPT-2 124M, SmolLM2-135M,
# Qwen2.5-0.5B, Qwen3-0.6B and gemma-3-270m configurations with random weights: forward logits and attention probabilities, then
# the ABFT gradients of W_Q / W_K. Prints two JSON reports.
# On the GPU machine: prepare here first (npm run build:node && bash ../shared/gpu-kit/prepare.sh
# dist-node/model-run.mjs dist-node/abft-grad.mjs), send .gpu-kit along (carry), run there.
# Without .gpu-kit (here): our tools run as `node dist-node/X.mjs` on the adapter Node finds (lavapipe).
#   [PYTHON=/opt/torch-venv/bin/python] bash scripts/gpu/parity.sh [OUT] [hf_parity prepare options]
# e.g. --layers 2 (real widths, vocabulary and heads, fewer layers: for lavapipe), --models LIST,
# --sliding-window N (Gemma 3's window shortened below the prompts' lengths).
# FILTER=1 keeps the paper's head filter in the ABFT check (default: off, random weights pass few heads).
set -euo pipefail
out=${1:-/tmp/abft-parity}
shift || true
python=${PYTHON:-python3}

# One of our CLI tools, through the GPU kit where there is one.
ours() {
  local tool=$1
  shift
  if [ -f .gpu-kit/run.sh ]; then bash .gpu-kit/run.sh ".gpu-kit/app/$tool.mjs" "$@"; else node "dist-node/$tool.mjs" "$@"; fi
}

if [ -n "${FILTER:-}" ]; then filter_py=(--filter) filter_ours=(); else filter_py=() filter_ours=(--no-filter); fi

"$python" scripts/gpu/hf_parity.py prepare "$out" "$@"
for dir in "$out"/*/; do
  ours model-run --model "$dir" --ids "$dir/ids.json" --out "$dir/ours" > /dev/null
done
"$python" scripts/gpu/hf_parity.py compare "$out"
"$python" scripts/gpu/abft_parity.py prepare "$out" ${filter_py[@]+"${filter_py[@]}"}
for dir in "$out"/*/; do
  ours abft-grad --model "$dir" --prompts "$dir/abft_prompts.json" --out "$dir/abft_ours" ${filter_ours[@]+"${filter_ours[@]}"} > /dev/null
done
"$python" scripts/gpu/abft_parity.py compare "$out"

#!/usr/bin/env bash
# On the GPU machine: `npm run bench` (our engine, WebGPU through Dawn on Vulkan) and its PyTorch
# reference scripts/gpu/bench_pytorch.py on the same GPU and shapes, then ours / PyTorch per model
# and task (time and peak memory).
# Prepare here first: npm run build:node && bash ../shared/gpu-kit/prepare.sh dist-node/bench.mjs
# then send .gpu-kit along (carry) and run there:
#   bash scripts/gpu/bench-compare.sh [OUT] [options]
# Options go to both: --models LIST --tasks LIST --pseudo-batch N --micro-batch N --tokens N --warmup N --reps N --no-profile
# (and --activation-budget-mib N, ours only: the app's 1024 lowers gpt2-large's micro-batch to 2).
# Without --micro-batch our engine runs 8 prompts per pass and PyTorch the whole pseudo-batch at once.
set -euo pipefail
out=${1:-/tmp/abft-bench}
shift || true
mkdir -p "$out"
bash .gpu-kit/run.sh .gpu-kit/app/bench.mjs "$@" --out "$out/ours.json" > /dev/null
python3 scripts/gpu/bench_pytorch.py "$@" --out "$out/pytorch.json" > /dev/null
python3 scripts/gpu/bench_compare.py "$out/ours.json" "$out/pytorch.json" | tee "$out/compare.txt"

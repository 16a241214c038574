#!/usr/bin/env bash
# `npm run bench` (our engine) and its PyTorch reference scripts/gpu/bench_pytorch.py on the same
# shapes, then ours / PyTorch per model and task (time, tokens/s, FLOP/s, peak memory).
# On the GPU machine: prepare here first (npm run build:node && bash ../shared/gpu-kit/prepare.sh
# dist-node/bench.mjs), send .gpu-kit along (carry); ours runs through .gpu-kit/run.sh (Dawn on Vulkan),
# PyTorch on CUDA. Without .gpu-kit (here): ours is `node dist-node/bench.mjs` on the adapter Node finds
# (lavapipe here), PyTorch on the CPU (--device cpu unless given).
#   [PYTHON=/opt/torch-venv/bin/python] bash scripts/gpu/bench-compare.sh [OUT] [options]
# Options for both: --models LIST --tasks LIST --pseudo-batch N --micro-batch N --tokens N --warmup N --reps N --no-profile
# Ours only (PyTorch ignores them): --activation-budget-mib N (the app's 1024 lowers gpt2-large's micro-batch to 2), --frozen f32|f16
# PyTorch only (not passed to ours): --device cuda|cpu, --with-lm-head
# Without --micro-batch our engine runs 8 prompts per pass and PyTorch the whole pseudo-batch at once.
set -euo pipefail
out=${1:-/tmp/abft-bench}
shift || true
python=${PYTHON:-python3}
mkdir -p "$out"

# Our bench rejects unknown options, so PyTorch's own ones are kept out of its list.
ours_args=() torch_args=() device_given=
while [ $# -gt 0 ]; do
  case $1 in
    --device) torch_args+=("$1" "$2"); device_given=1; shift 2 ;;
    --with-lm-head) torch_args+=("$1"); shift ;;
    *) ours_args+=("$1"); torch_args+=("$1"); shift ;;
  esac
done

if [ -f .gpu-kit/run.sh ]; then
  ours=(bash .gpu-kit/run.sh .gpu-kit/app/bench.mjs)
else
  ours=(node dist-node/bench.mjs)
  [ -n "$device_given" ] || torch_args+=(--device cpu)
fi

"${ours[@]}" ${ours_args[@]+"${ours_args[@]}"} --out "$out/ours.json" > /dev/null
"$python" scripts/gpu/bench_pytorch.py ${torch_args[@]+"${torch_args[@]}"} --out "$out/pytorch.json" > /dev/null
"$python" scripts/gpu/bench_compare.py "$out/ours.json" "$out/pytorch.json" | tee "$out/compare.txt"

#!/usr/bin/env bash
# What the performance issue asks of the GPU machine: ours / PyTorch per model and task at the issue's
# shapes (32 prompts of 128 tokens), parity with HF transformers, and every matmul tiling timed per
# product so the defaults can be tuned for that adapter. Results land in OUT (the device tool's $OUT,
# which brings back at most 8 files a call: the parity check's models and our logs stay in /tmp).
# Prepare here: npm run build:node && bash ../shared/gpu-kit/prepare.sh dist-node/bench.mjs \
#   dist-node/bench-kernels.mjs dist-node/model-run.mjs dist-node/abft-grad.mjs
# then there, with carry [".gpu-kit"], one part per call so each fits the tool's 10 minutes:
#   bash scripts/gpu/issue-run.sh "$OUT" bench     (then parity, then kernels)
set -uo pipefail
out=${1:-/tmp/abft-gpu}
shift || true
parts=("${@:-bench}")
mkdir -p "$out"
[ -f .gpu-kit/run.sh ] || { echo "issue-run.sh: no .gpu-kit here; prepare it first (see the top of this file)" >&2; exit 2; }
kernels() { timeout 60 bash .gpu-kit/run.sh .gpu-kit/app/bench-kernels.mjs "$@"; }

for part in "${parts[@]}"; do
  case $part in
    # Our engine runs the whole pseudo-batch in one pass, as PyTorch does (the app's 1 GiB activation
    # budget would split it into micro-batches of 8; the H100 has the memory).
    bench) timeout 540 bash scripts/gpu/bench-compare.sh "$out/bench" --micro-batch 32 --activation-budget-mib 65536 > "$out/bench.log" 2>&1
      cat "$out/bench/compare.txt" 2>/dev/null || tail -20 "$out/bench.log" ;;
    parity) timeout 540 bash scripts/gpu/parity.sh /tmp/abft-parity > "$out/parity.log" 2>&1; tail -40 "$out/parity.log" ;;
    kernels) kernels --tokens 128,1024,4096 --large > "$out/kernels-auto.json" 2> /tmp/abft-kernels.log
      for tile in large small k8 tall wide; do
        kernels --tokens 1024,4096 --only matmul --tile "$tile" > "$out/kernels-$tile.json" 2>> /tmp/abft-kernels.log
      done
      ls -l "$out"/kernels-*.json ;;
    *) echo "issue-run.sh: unknown part '$part' (bench, parity, kernels)" >&2; exit 2 ;;
  esac
done

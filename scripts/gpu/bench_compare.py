"""Ours / PyTorch per model and task, from the JSON documents of `npm run bench` (dist-node/bench.mjs)
and scripts/gpu/bench_pytorch.py run with the same shapes (on the GPU machine: the same GPU; locally:
our engine on whatever adapter Node finds, PyTorch on the CPU).

  python3 scripts/gpu/bench_compare.py OURS.json PYTORCH.json

Prints one JSON document and a table. speedRatio = PyTorch ms / our ms per step: 1.0 means level,
above 1 faster than PyTorch (the goal for the ABFT step is >= 1.0). memoryRatio = our peak bytes /
PyTorch's peak bytes (the goal is <= 0.5); null where PyTorch ran on the CPU (no peak statistics).
TFLOP/s of both use our count of the FLOPs the step must do (src/bench/flops.ts), so they compare the
same work; where PyTorch's document carries its own count (bench_pytorch.step_flops), the two must agree.
"""
import json
import math
import sys

SHAPE_FIELDS = ("pseudoBatch", "tokensPerPrompt", "tokensPerStep")


def check_same_work(key, ours, theirs):
    """Both sides must have timed the same shapes, and counted the same FLOPs where both count them."""
    for f in SHAPE_FIELDS:
        if ours["shapes"][f] != theirs["shapes"][f]:
            raise SystemExit(f"{key}: shapes differ ({f} ours {ours['shapes'][f]}, PyTorch {theirs['shapes'][f]}); run both with the same options")
    if "flopsPerStep" in theirs:
        a, b = ours["flopsPerStep"]["total"], theirs["flopsPerStep"]["total"]
        if not math.isclose(a, b, rel_tol=1e-9):
            raise SystemExit(f"{key}: FLOP counts differ (ours {a:.6g}, PyTorch {b:.6g}); bench_pytorch.step_flops no longer matches src/bench/flops.ts")


def ratio(num, den):
    return num / den if num is not None and den else None


def compare_row(r, t):
    ours_ms, torch_ms = r["msPerStep"]["median"], t["msPerStep"]["median"]
    flops = r["flopsPerStep"]["total"]
    return {
        "model": r["model"],
        "task": r["task"],
        "shapes": r["shapes"],
        "microBatchPyTorch": t["shapes"]["microBatch"],
        "flopsPerStep": flops,
        "msOurs": ours_ms,
        "msPyTorch": torch_ms,
        "speedRatio": torch_ms / ours_ms,
        "tokensPerSecondOurs": r["tokensPerSecond"],
        "tokensPerSecondPyTorch": t["tokensPerSecond"],
        "tflopsOurs": flops / ours_ms / 1e9,
        "tflopsPyTorch": flops / torch_ms / 1e9,
        "peakBytesOurs": r["memory"]["peakBytes"],
        "peakBytesPyTorch": t["memory"]["peakBytes"],
        "memoryRatio": ratio(r["memory"]["peakBytes"], t["memory"]["peakBytes"]),
        "weightsPlusOptimizerBytes": r["memory"]["weightBytes"] + r["memory"]["optimizerStateBytes"],
    }


def compare(ours, pytorch):
    theirs = {(r["model"], r["task"]): r for r in pytorch["results"] if "skipped" not in r}
    rows = []
    for r in ours["results"]:
        key = (r["model"], r["task"])
        if "skipped" in r:
            rows.append({"model": r["model"], "task": r["task"], "skipped": r["skipped"]})
        elif key not in theirs:
            rows.append({"model": r["model"], "task": r["task"], "skipped": "no PyTorch result for this model and task"})
        else:
            check_same_work(key, r, theirs[key])
            rows.append(compare_row(r, theirs[key]))
    return {"adapterOurs": ours["adapter"], "adapterPyTorch": pytorch["adapter"], "rows": rows}


def fmt(value, spec, width):
    return f"{'n/a':>{width}}" if value is None else f"{value:{width}{spec}}"


def table(doc):
    gib = 2 ** 30
    lines = [f"ours: {doc['adapterOurs']}  |  PyTorch: {doc['adapterPyTorch']}",
             f"{'model':<14} {'task':<11} {'ms ours':>9} {'ms torch':>9} {'speed':>6} {'tok/s ours':>10} {'tok/s torch':>11} "
             f"{'GF/s ours':>9} {'GF/s torch':>10} {'GiB ours':>8} {'GiB torch':>9} {'mem':>5}"]
    for r in doc["rows"]:
        if "skipped" in r:
            lines.append(f"{r['model']:<14} {r['task']:<11} skipped: {r['skipped']}")
            continue
        peak_torch = r["peakBytesPyTorch"] / gib if r["peakBytesPyTorch"] is not None else None
        # GFLOP/s rather than TFLOP/s in the table: a CPU or a software adapter would show 0.00 TFLOP/s.
        lines.append(f"{r['model']:<14} {r['task']:<11} {r['msOurs']:9.1f} {r['msPyTorch']:9.1f} {r['speedRatio']:6.2f} "
                     f"{r['tokensPerSecondOurs']:10.1f} {r['tokensPerSecondPyTorch']:11.1f} {r['tflopsOurs'] * 1e3:9.2f} "
                     f"{r['tflopsPyTorch'] * 1e3:10.2f} {r['peakBytesOurs'] / gib:8.2f} {fmt(peak_torch, '.2f', 9)} {fmt(r['memoryRatio'], '.2f', 5)}")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as a, open(sys.argv[2]) as b:
        doc = compare(json.load(a), json.load(b))
    print(json.dumps(doc, indent=2))
    print(table(doc))

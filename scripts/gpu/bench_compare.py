"""Ours / PyTorch per model and task, from the JSON documents of `npm run bench` (dist-node/bench.mjs)
and scripts/gpu/bench_pytorch.py run on the same GPU with the same shapes.

  python3 scripts/gpu/bench_compare.py OURS.json PYTORCH.json

Prints one JSON document and a table. speedRatio = PyTorch ms / our ms per step: 1.0 means level,
above 1 faster than PyTorch (the goal for the ABFT step is >= 1.0). memoryRatio = our peak bytes /
PyTorch's peak bytes (the goal is <= 0.5). TFLOP/s of both use our count of the FLOPs the step must
do (src/bench/flops.ts), so they compare the same work.
"""
import json
import sys

SHAPE_FIELDS = ("pseudoBatch", "tokensPerPrompt")


def compare(ours, pytorch):
    theirs = {(r["model"], r["task"]): r for r in pytorch["results"] if "skipped" not in r}
    rows = []
    for r in ours["results"]:
        key = (r["model"], r["task"])
        if "skipped" in r:
            rows.append({"model": r["model"], "task": r["task"], "skipped": r["skipped"]})
            continue
        t = theirs.get(key)
        if t is None:
            rows.append({"model": r["model"], "task": r["task"], "skipped": "no PyTorch result for this model and task"})
            continue
        for f in SHAPE_FIELDS:
            if r["shapes"][f] != t["shapes"][f]:
                raise SystemExit(f"{key}: shapes differ ({f} ours {r['shapes'][f]}, PyTorch {t['shapes'][f]}); run both with the same options")
        ours_ms, torch_ms = r["msPerStep"]["median"], t["msPerStep"]["median"]
        flops = r["flopsPerStep"]["total"]
        rows.append({
            "model": r["model"],
            "task": r["task"],
            "shapes": r["shapes"],
            "msOurs": ours_ms,
            "msPyTorch": torch_ms,
            "speedRatio": torch_ms / ours_ms,
            "tflopsOurs": flops / ours_ms / 1e9,
            "tflopsPyTorch": flops / torch_ms / 1e9,
            "peakBytesOurs": r["memory"]["peakBytes"],
            "peakBytesPyTorch": t["memory"]["peakBytes"],
            "memoryRatio": r["memory"]["peakBytes"] / t["memory"]["peakBytes"],
            "weightsPlusOptimizerBytes": r["memory"]["weightBytes"] + r["memory"]["optimizerStateBytes"],
        })
    return {"adapterOurs": ours["adapter"], "adapterPyTorch": pytorch["adapter"], "rows": rows}


def table(doc):
    lines = [f"ours: {doc['adapterOurs']}  |  PyTorch: {doc['adapterPyTorch']}",
             f"{'model':<14} {'task':<11} {'ms ours':>9} {'ms torch':>9} {'speed':>6} {'TF ours':>8} {'TF torch':>8} {'GiB ours':>8} {'GiB torch':>9} {'mem':>5}"]
    gib = 2 ** 30
    for r in doc["rows"]:
        if "skipped" in r:
            lines.append(f"{r['model']:<14} {r['task']:<11} skipped: {r['skipped']}")
            continue
        lines.append(f"{r['model']:<14} {r['task']:<11} {r['msOurs']:9.1f} {r['msPyTorch']:9.1f} {r['speedRatio']:6.2f} {r['tflopsOurs']:8.2f} "
                     f"{r['tflopsPyTorch']:8.2f} {r['peakBytesOurs'] / gib:8.2f} {r['peakBytesPyTorch'] / gib:9.2f} {r['memoryRatio']:5.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    doc = compare(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))
    print(json.dumps(doc, indent=2))
    print(table(doc))

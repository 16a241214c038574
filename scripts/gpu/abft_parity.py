"""ABFT gradient parity: our W_Q / W_K gradients (dist-node/abft-grad.mjs) against PyTorch's of the same
loss (reference.abft_loss, ABFT-SPEC.md §3, the one bench_pytorch.py times) on HF transformers with
eager attention, for the models that scripts/gpu/hf_parity.py prepared.

  python3 scripts/gpu/abft_parity.py prepare OUT [--filter]   prompts with label positions + PyTorch's gradients
  python3 scripts/gpu/abft_parity.py compare OUT              max differences against OUT/<name>/abft_ours/

A gradient equality is the stricter form of "after one SGD step the weights agree": W - lr * g.
Random weights pass almost no head under the paper's filter, so by default both sides run without it
(abft-grad --no-filter); --filter keeps it (run abft-grad without --no-filter), which checks the filter
itself through the loss and the number of passing heads.
"""
import argparse
import json
import math
import os

import numpy as np
import torch

from reference import (abft_loss, default_device, label_masks, load_eager, mean_passing_heads, padded_batch,
                       qk_parameters, qk_weight_grads, strict_f32)

K = 4


def prompts_for(ids, seed):
    g = np.random.default_rng(seed)
    out = []
    for seq in ids:
        n = len(seq)
        positions = sorted(g.choice(np.arange(1, n - 1), size=K, replace=False).tolist())
        gold = int(g.integers(0, 2))
        labels = g.integers(0, 2, size=K).tolist()
        out.append({
            "ids": seq,
            "plus": [p for p, l in zip(positions, labels) if l == gold],
            "minus": [p for p, l in zip(positions, labels) if l != gold],
        })
    return out


def model_folders(out, marker):
    """(index, name, folder) of the model folders under OUT holding `marker`, in a stable order."""
    names = sorted(n for n in os.listdir(out) if os.path.exists(os.path.join(out, n, marker)))
    return [(i, n, os.path.join(out, n)) for i, n in enumerate(names)]


def prepare(out, head_filter):
    device = default_device()
    for i, name, folder in model_folders(out, "ids.json"):
        with open(os.path.join(folder, "ids.json")) as f:
            ids = json.load(f)
        prompts = prompts_for(ids, i)
        with open(os.path.join(folder, "abft_prompts.json"), "w") as f:
            json.dump(prompts, f)
        model = load_eager(folder).to(device)
        qk_parameters(model)
        input_ids, mask, lengths = padded_batch(ids, device)
        plus, minus = label_masks([p["plus"] for p in prompts], [p["minus"] for p in prompts], input_ids.shape[1], device)
        res = model(input_ids, attention_mask=mask, output_attentions=True)
        loss = abft_loss(res.attentions, plus, minus, lengths, len(prompts), head_filter=head_filter)
        loss.backward()
        for layer, grads in enumerate(qk_weight_grads(model)):
            for which, g in grads.items():
                np.save(os.path.join(folder, f"hf_grad_{which}_{layer}.npy"), g.detach().float().cpu().numpy())
        over = mean_passing_heads(res.attentions, plus, minus, lengths)
        # As our meta.json counts them: without the filter every head of every layer takes part.
        passing = over if head_filter else float(len(res.attentions) * res.attentions[0].shape[1])
        with open(os.path.join(folder, "hf_abft.json"), "w") as f:
            json.dump({"loss": loss.item(), "headFilter": head_filter, "passingHeads": passing, "overThreshold": over}, f)
        print(f"{name}: PyTorch ABFT loss {loss.item():.6f}, {over:g} heads per prompt over the filter's threshold", flush=True)


def compare(out):
    report = {}
    for _, name, folder in model_folders(out, os.path.join("abft_ours", "meta.json")):
        with open(os.path.join(folder, "abft_ours", "meta.json")) as f:
            ours_meta = json.load(f)
        with open(os.path.join(folder, "hf_abft.json")) as f:
            hf = json.load(f)
        worst, scale, worst_rel = 0.0, 0.0, {}
        for layer in range(ours_meta["layers"]):
            for which in ("q", "k"):
                theirs = np.load(os.path.join(folder, f"hf_grad_{which}_{layer}.npy"))
                ours = np.fromfile(os.path.join(folder, "abft_ours", f"grad_{which}_{layer}.f32"), dtype=np.float32).reshape(theirs.shape)
                d, s = float(np.abs(ours - theirs).max()), float(np.abs(theirs).max())
                worst, scale = max(worst, d), max(scale, s)
                # Per tensor as well: a layer whose gradient is tiny would hide under the global scale.
                worst_rel[f"{which}{layer}"] = d / s if s else math.nan
        report[name] = {
            "headFilter": ours_meta.get("headFilter"),
            "loss_ours": ours_meta["loss"],
            "loss_pytorch": hf["loss"],
            "passing_heads_ours": ours_meta.get("passingHeads"),
            "passing_heads_pytorch": hf.get("passingHeads"),
            "over_threshold_pytorch": hf.get("overThreshold"),
            "grad_max_abs_diff": worst,
            "grad_max_abs": scale,
            "grad_max_rel_diff": worst / scale if scale else math.nan,
            "grad_worst_tensor_rel_diff": max(worst_rel.items(), key=lambda kv: kv[1]) if worst_rel else None,
        }
    print(json.dumps(report, indent=2))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("command", choices=["prepare", "compare"])
    p.add_argument("out")
    p.add_argument("--filter", action="store_true", help="keep the paper's head filter (prepare)")
    a = p.parse_args()
    strict_f32()
    if a.command == "prepare":
        prepare(a.out, a.filter)
    else:
        compare(a.out)


if __name__ == "__main__":
    main()

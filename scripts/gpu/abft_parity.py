"""ABFT gradient parity on the GPU machine: our W_Q / W_K gradients (dist-node/abft-grad.mjs) against an
independent PyTorch implementation of the same loss (ABFT-SPEC.md §3) on HF transformers with eager
attention, for the models that scripts/gpu/hf_parity.py prepared.

  python3 scripts/gpu/abft_parity.py prepare OUT   prompts with label positions + PyTorch's gradients
  python3 scripts/gpu/abft_parity.py compare OUT   max differences against OUT/<name>/abft_ours/

A gradient equality is the stricter form of "after one SGD step the weights agree": W - lr * g.
The random weights pass no head under the paper's filter, so both sides run without it (--no-filter).
"""
import json
import math
import os
import sys

import numpy as np
import torch
from transformers import AutoModelForCausalLM

torch.backends.cuda.matmul.allow_tf32 = False
PUNISHMENT, REWARD, K = 0.5, 1.0, 4


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


def abft_loss(attentions, prompts):
    """Sum over layers and heads, mean over prompts; no head filter (see the module docstring)."""
    total = 0.0
    for b, p in enumerate(prompts):
        last = len(p["ids"]) - 1
        for a in attentions:  # [B, H, T, T]
            row = a[b, :, last, :]
            punish = row[:, p["minus"]].sum(-1) if p["minus"] else torch.zeros(row.shape[0], device=row.device)
            reward = (1 - row[:, p["plus"]]).sum(-1) if p["plus"] else torch.zeros(row.shape[0], device=row.device)
            total = total + (PUNISHMENT * punish + REWARD * reward).sum()
    return total / len(prompts)


def qk_weights(model):
    """Per layer (q, k) weight parameters and how to cut them out of the HF tensors ([out, in])."""
    if hasattr(model, "transformer"):  # GPT-2: Conv1D c_attn [in, 3 * hidden]
        hidden = model.config.n_embd
        return [(blk.attn.c_attn.weight, hidden) for blk in model.transformer.h]
    return [(layer.self_attn.q_proj.weight, layer.self_attn.k_proj.weight) for layer in model.model.layers]


def prepare(out):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    for i, name in enumerate(sorted(os.listdir(out))):
        folder = os.path.join(out, name)
        if not os.path.isdir(folder):
            continue
        ids = json.load(open(os.path.join(folder, "ids.json")))
        prompts = prompts_for(ids, i)
        json.dump(prompts, open(os.path.join(folder, "abft_prompts.json"), "w"))
        model = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager", torch_dtype=torch.float32).to(device)
        for p in model.parameters():
            p.requires_grad_(False)
        params = qk_weights(model)
        for entry in params:
            for t in entry:
                if isinstance(t, torch.Tensor):
                    t.requires_grad_(True)
        T = max(len(s) for s in ids)
        input_ids = torch.zeros(len(ids), T, dtype=torch.long)
        mask = torch.zeros(len(ids), T, dtype=torch.long)
        for b, seq in enumerate(ids):
            input_ids[b, : len(seq)] = torch.tensor(seq)
            mask[b, : len(seq)] = 1
        res = model(input_ids.to(device), attention_mask=mask.to(device), output_attentions=True)
        loss = abft_loss(res.attentions, prompts)
        loss.backward()
        for layer, entry in enumerate(params):
            if isinstance(entry[1], int):  # GPT-2: columns [0, H) are q, [H, 2H) are k of the [in, 3H] Conv1D weight
                g, hidden = entry[0].grad, entry[1]
                grads = {"q": g[:, :hidden].T, "k": g[:, hidden : 2 * hidden].T}
            else:
                grads = {"q": entry[0].grad, "k": entry[1].grad}
            for which, g in grads.items():
                np.save(os.path.join(folder, f"hf_grad_{which}_{layer}.npy"), g.detach().float().cpu().numpy())
        json.dump({"loss": float(loss)}, open(os.path.join(folder, "hf_abft.json"), "w"))
        print(f"{name}: PyTorch ABFT loss {float(loss):.6f}", flush=True)


def compare(out):
    report = {}
    for name in sorted(os.listdir(out)):
        folder = os.path.join(out, name)
        if not os.path.isdir(os.path.join(folder, "abft_ours")):
            continue
        ours_meta = json.load(open(os.path.join(folder, "abft_ours", "meta.json")))
        hf_loss = json.load(open(os.path.join(folder, "hf_abft.json")))["loss"]
        worst, scale = 0.0, 0.0
        for layer in range(ours_meta["layers"]):
            for which in ("q", "k"):
                hf = np.load(os.path.join(folder, f"hf_grad_{which}_{layer}.npy"))
                ours = np.fromfile(os.path.join(folder, "abft_ours", f"grad_{which}_{layer}.f32"), dtype=np.float32).reshape(hf.shape)
                worst = max(worst, float(np.abs(ours - hf).max()))
                scale = max(scale, float(np.abs(hf).max()))
        report[name] = {
            "loss_ours": ours_meta["loss"],
            "loss_pytorch": hf_loss,
            "grad_max_abs_diff": worst,
            "grad_max_abs": scale,
            "grad_max_rel_diff": worst / scale if scale else math.nan,
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("prepare", "compare"):
        sys.exit(__doc__)
    (prepare if sys.argv[1] == "prepare" else compare)(sys.argv[2])

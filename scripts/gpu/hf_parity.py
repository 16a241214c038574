"""Parity of our WebGPU engine with HF transformers (PyTorch, eager attention).

  python3 scripts/gpu/hf_parity.py prepare OUT [--layers N] [--models LIST] [--sliding-window N]
      builds GPT-2 124M, SmolLM2-135M, Qwen2.5-0.5B, Qwen3-0.6B and gemma-3-270m (or LIST) with their real
      configs and random weights, saves each as OUT/<name>/{config.json, model.safetensors}, random prompts
      OUT/<name>/ids.json, and HF's outputs. --layers N keeps only the first N layers (the widths,
      vocabulary and head layout stay real): for slow adapters such as lavapipe. --sliding-window N
      shortens Gemma 3's 512-token window (saved in its config.json, so both sides use it) below the
      prompts' 64-131 tokens, so that the window is exercised.
  python3 scripts/gpu/hf_parity.py compare OUT
      reads our outputs (OUT/<name>/ours/, written by dist-node/model-run.mjs) and prints the maximum
      differences as one JSON document

Not part of CI (needs PyTorch). scripts/gpu/parity.sh runs both steps and abft_parity.py.
"""
import argparse
import json
import os

import numpy as np
import torch

from reference import MODEL_NAMES, default_device, eager_model, make_config, padded_batch, strict_f32

PARITY_MODELS = ["gpt2-124M", "SmolLM2-135M", "Qwen2.5-0.5B", "Qwen3-0.6B", "gemma-3-270m"]
# SST-2-like prompts: a few sequences of different lengths, so padding is exercised.
LENGTHS = [131, 97, 118, 64]


def prompts(vocab_size, seed):
    g = np.random.default_rng(seed)
    return [g.integers(0, vocab_size, size=n).tolist() for n in LENGTHS]


def randomize(model):
    """Larger than the 0.02 init, so attention is far from uniform and differences would show."""
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:
                p.normal_(0, 0.06)


def hf_outputs(model, ids, device):
    """Last real token's logits [B, V] and its attention row of every layer and head [L, B, H, T]."""
    input_ids, mask, lengths = padded_batch(ids, device)
    with torch.no_grad():
        res = model(input_ids, attention_mask=mask, output_attentions=True)
    batch, last = torch.arange(len(ids), device=device), lengths - 1
    logits = res.logits[batch, last].float().cpu().numpy()
    att = torch.stack([a[batch, :, last, :] for a in res.attentions]).float().cpu().numpy()
    return logits, att


def prepare(out, models, layers, sliding_window=None):
    device = default_device()
    for name in models:
        # The seed of a model is its index in MODEL_NAMES, whatever subset runs, so results repeat.
        seed = MODEL_NAMES.index(name)
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        torch.manual_seed(seed)
        model = eager_model(make_config(name, layers, sliding_window))
        randomize(model)
        model.save_pretrained(folder)  # safetensors: the default of 4.35+, the only format of 5.x
        ids = prompts(model.config.vocab_size, seed)
        with open(os.path.join(folder, "ids.json"), "w") as f:
            json.dump(ids, f)
        logits, att = hf_outputs(model.to(device), ids, device)
        np.save(os.path.join(folder, "hf_logits.npy"), logits)
        np.save(os.path.join(folder, "hf_attention.npy"), att)
        print(f"prepared {name}: {model.config.num_hidden_layers} layers, "
              f"{sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters", flush=True)


def diff(ours, hf):
    """Max abs difference, max |hf|, and their ratio (relative to the tensor's scale, not per element)."""
    worst, scale = float(np.abs(ours - hf).max()), float(np.abs(hf).max())
    return worst, scale, worst / scale if scale else float("nan")


def compare(out):
    report = {}
    for name in sorted(os.listdir(out)):
        folder = os.path.join(out, name)
        if not os.path.isfile(os.path.join(folder, "ours", "meta.json")):
            continue
        with open(os.path.join(folder, "ours", "meta.json")) as f:
            meta = json.load(f)
        hf_logits = np.load(os.path.join(folder, "hf_logits.npy"))
        hf_att = np.load(os.path.join(folder, "hf_attention.npy"))
        ours_logits = np.fromfile(os.path.join(folder, "ours", "logits.f32"), dtype=np.float32).reshape(hf_logits.shape)
        ours_att = np.fromfile(os.path.join(folder, "ours", "attention.f32"), dtype=np.float32).reshape(hf_att.shape)
        logits = diff(ours_logits, hf_logits)
        att = diff(ours_att, hf_att)
        report[name] = {
            "adapter": meta.get("adapter"),
            "layers": meta.get("layers"),
            "logits_max_abs_diff": logits[0],
            "logits_max_abs": logits[1],
            "logits_max_rel_diff": logits[2],
            "argmax_agreement": float((ours_logits.argmax(-1) == hf_logits.argmax(-1)).mean()),
            "attention_max_abs_diff": att[0],
            "attention_max_abs": att[1],
            "attention_max_rel_diff": att[2],
        }
    print(json.dumps(report, indent=2))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("command", choices=["prepare", "compare"])
    p.add_argument("out")
    p.add_argument("--layers", type=int, default=None, help="keep the first N layers (prepare)")
    p.add_argument("--models", default=",".join(PARITY_MODELS), help="comma-separated (prepare)")
    p.add_argument("--sliding-window", type=int, default=None, help="Gemma 3's window, shortened (prepare)")
    a = p.parse_args()
    strict_f32()
    if a.command == "prepare":
        models = a.models.split(",")
        unknown = [m for m in models if m not in MODEL_NAMES]
        if unknown:
            p.error(f"--models: unknown {', '.join(unknown)}; known: {', '.join(MODEL_NAMES)}")
        prepare(a.out, models, a.layers, a.sliding_window)
    else:
        compare(a.out)


if __name__ == "__main__":
    main()

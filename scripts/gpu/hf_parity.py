"""Parity of our WebGPU engine with HF transformers (PyTorch, eager attention) on the GPU machine.

  python3 scripts/gpu/hf_parity.py prepare OUT   builds GPT-2 124M, SmolLM2-135M and Qwen2.5-0.5B with
                                                 their real configs and random weights, saves each as
                                                 OUT/<name>/{config.json, model.safetensors}, random
                                                 prompts OUT/<name>/ids.json, and HF's outputs
  python3 scripts/gpu/hf_parity.py compare OUT   reads our outputs (OUT/<name>/ours/, written by
                                                 dist-node/model-run.mjs) and prints the maximum
                                                 differences as one JSON document

Not part of CI: PyTorch is only on the GPU machine. scripts/gpu/parity.sh runs both steps.
"""
import json
import os
import sys

import numpy as np
import torch
from transformers import AutoModelForCausalLM, GPT2Config, LlamaConfig, Qwen2Config

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False

# The published configs of the three models (weights are random: nothing can be downloaded there).
CONFIGS = {
    "gpt2-124M": lambda: GPT2Config(),
    "SmolLM2-135M": lambda: LlamaConfig(
        vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
        num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=8192,
        rms_norm_eps=1e-5, rope_theta=100000.0, tie_word_embeddings=True, hidden_act="silu",
        bos_token_id=0, eos_token_id=0,
    ),
    "Qwen2.5-0.5B": lambda: Qwen2Config(
        vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
        num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
        rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True, use_sliding_window=False,
        hidden_act="silu", bos_token_id=151643, eos_token_id=151643,
    ),
}
# SST-2-like prompts: a few sequences of different lengths, so padding is exercised.
LENGTHS = [131, 97, 118, 64]


def prompts(vocab_size, seed):
    g = np.random.default_rng(seed)
    return [g.integers(0, vocab_size, size=n).tolist() for n in LENGTHS]


def prepare(out):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    for i, (name, make) in enumerate(CONFIGS.items()):
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        torch.manual_seed(i)
        config = make()
        config._attn_implementation = "eager"
        model = AutoModelForCausalLM.from_config(config, attn_implementation="eager").float()
        # Larger than the 0.02 init, so attention is far from uniform and differences would show.
        with torch.no_grad():
            for p in model.parameters():
                if p.dim() >= 2:
                    p.normal_(0, 0.06)
        model.save_pretrained(folder, safe_serialization=True)
        ids = prompts(config.vocab_size, i)
        with open(os.path.join(folder, "ids.json"), "w") as f:
            json.dump(ids, f)
        model = model.to(device).eval()
        T = max(LENGTHS)
        input_ids = torch.zeros(len(ids), T, dtype=torch.long)
        mask = torch.zeros(len(ids), T, dtype=torch.long)
        for b, seq in enumerate(ids):
            input_ids[b, : len(seq)] = torch.tensor(seq)
            mask[b, : len(seq)] = 1
        with torch.no_grad():
            res = model(input_ids.to(device), attention_mask=mask.to(device), output_attentions=True)
        last = torch.tensor([len(s) - 1 for s in ids])
        logits = res.logits[torch.arange(len(ids)), last].float().cpu().numpy()  # [B, V]
        # Last real row of every layer and head: [L, B, H, T]
        att = torch.stack([a[torch.arange(len(ids)), :, last, :] for a in res.attentions]).float().cpu().numpy()
        np.save(os.path.join(folder, "hf_logits.npy"), logits)
        np.save(os.path.join(folder, "hf_attention.npy"), att)
        print(f"prepared {name}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters", flush=True)


def compare(out):
    report = {}
    for name in CONFIGS:
        folder = os.path.join(out, name)
        meta = json.load(open(os.path.join(folder, "ours", "meta.json")))
        hf_logits = np.load(os.path.join(folder, "hf_logits.npy"))
        hf_att = np.load(os.path.join(folder, "hf_attention.npy"))
        ours_logits = np.fromfile(os.path.join(folder, "ours", "logits.f32"), dtype=np.float32).reshape(hf_logits.shape)
        ours_att = np.fromfile(os.path.join(folder, "ours", "attention.f32"), dtype=np.float32).reshape(hf_att.shape)
        report[name] = {
            "adapter": meta.get("adapter"),
            "logits_max_abs_diff": float(np.abs(ours_logits - hf_logits).max()),
            "logits_max_abs": float(np.abs(hf_logits).max()),
            "logits_max_rel_diff": float(np.abs(ours_logits - hf_logits).max() / np.abs(hf_logits).max()),
            "argmax_agreement": float((ours_logits.argmax(-1) == hf_logits.argmax(-1)).mean()),
            "attention_max_abs_diff": float(np.abs(ours_att - hf_att).max()),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("prepare", "compare"):
        sys.exit(__doc__)
    (prepare if sys.argv[1] == "prepare" else compare)(sys.argv[2])

"""The PyTorch reference of `npm run bench` (src/bench/), run on the GPU machine: the same three steps on
the same shapes, written the way a researcher would with HF transformers, printing the same JSON fields.

  python3 scripts/gpu/bench_pytorch.py [--models gpt2-124M,SmolLM2-135M,gpt2-large] [--tasks abft,eval,end-to-end]
      [--pseudo-batch 32] [--micro-batch N (default: the whole pseudo-batch)] [--tokens 128]
      [--warmup 1] [--reps 5] [--no-profile] [--with-lm-head] [--out FILE]

Settings: f32 weights and activations, eager attention, TF32 off (torch.backends.*.allow_tf32 = False,
matmul precision "highest"), random weights of the published config.json, dropout off (eval mode, as
our engine has none).
- abft: only W_Q and W_K require grad (for GPT-2 the fused c_attn weight and bias, whose V block's
  gradient a hook zeroes, so Adam leaves V as it is); the base model (no LM head: the loss does not
  need it; --with-lm-head calls the LM model, as code that just calls model(...) does) with
  output_attentions=True; the paper's loss (ABFT-SPEC.md §3) on the last row of every layer's
  attention, head filter S > k / (k + ln n) detached, 𝒜 = 0.5, ℬ = 1, sum over heads and layers,
  mean over the pseudo-batch; backward; torch.optim.Adam(lr=2e-5).
- eval: no_grad; the base model's last hidden state at the last position times the LM-head rows of the
  two label words.
- end-to-end: the base model, the LM head over the whole vocabulary at the last position,
  cross-entropy of the gold label word, backward to W_Q/W_K, Adam (as our baseline step).
Prompts: `pseudo-batch` prompts of exactly `tokens` random ids, k = 4 label positions at
floor((i + 1)(n - 8) / 5), random demonstration labels and gold among 2 classes (src/bench/prompts.ts).
Per-kernel times come from torch.profiler over one warm-up step.
"""
import argparse
import gc
import json
import math
import statistics
import sys
import time
from datetime import datetime, timezone

import torch
from transformers import AutoModelForCausalLM, GPT2Config, LlamaConfig, Qwen2Config

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.set_float32_matmul_precision("highest")

K, CLASSES = 4, 2
LABEL_TOKEN_IDS = [11, 12]
PUNISHMENT, REWARD, LR = 0.5, 1.0, 2e-5

# The published config.json fields that shape the model (src/model/known-configs.ts holds them verbatim).
GPT2 = dict(n_embd=768, n_head=12, n_layer=12, n_positions=1024, vocab_size=50257,
            activation_function="gelu_new", layer_norm_epsilon=1e-5)
CONFIGS = {
    "gpt2-124M": lambda: GPT2Config(**GPT2),
    "gpt2-large": lambda: GPT2Config(**{**GPT2, "n_embd": 1280, "n_head": 20, "n_layer": 36}),
    "SmolLM2-135M": lambda: LlamaConfig(
        hidden_size=576, intermediate_size=1536, num_attention_heads=9, num_hidden_layers=30, num_key_value_heads=3,
        max_position_embeddings=8192, rms_norm_eps=1e-5, rope_theta=100000, tie_word_embeddings=True, vocab_size=49152,
        attention_bias=False, mlp_bias=False, hidden_act="silu"),
    "Qwen2.5-0.5B": lambda: Qwen2Config(
        hidden_size=896, intermediate_size=4864, num_attention_heads=14, num_hidden_layers=24, num_key_value_heads=2,
        max_position_embeddings=32768, rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True,
        vocab_size=151936, hidden_act="silu", use_sliding_window=False),
}
TASKS = ["abft", "eval", "end-to-end"]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default="gpt2-124M,SmolLM2-135M,gpt2-large")
    p.add_argument("--tasks", default=",".join(TASKS))
    p.add_argument("--pseudo-batch", type=int, default=32)
    p.add_argument("--micro-batch", type=int, default=None)
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--no-profile", action="store_true")
    p.add_argument("--with-lm-head", action="store_true")
    # Our engine's activation budget (bench-compare.sh passes the same options to both); PyTorch has none.
    p.add_argument("--activation-budget-mib", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    a.models = a.models.split(",")
    a.tasks = a.tasks.split(",")
    for m in a.models:
        if m not in CONFIGS:
            p.error(f"--models: unknown model {m}; known: {', '.join(CONFIGS)}")
    for t in a.tasks:
        if t not in TASKS:
            p.error(f"--tasks: unknown task {t}; known: {', '.join(TASKS)}")
    if a.tokens < 16:
        p.error("--tokens: use 16 or more, room for 4 demonstrations and a query")
    a.micro_batch = min(a.micro_batch or a.pseudo_batch, a.pseudo_batch)
    return a


def bench_prompts(count, tokens, vocab, device, seed=1):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, vocab, (count, tokens), generator=g)
    positions = [math.floor((i + 1) * (tokens - 8) / (K + 1)) for i in range(K)]
    demo = torch.randint(0, CLASSES, (count, K), generator=g)
    gold = torch.randint(0, CLASSES, (count,), generator=g)
    plus = torch.zeros(count, tokens)
    minus = torch.zeros(count, tokens)
    for j, pos in enumerate(positions):
        same = demo[:, j] == gold
        plus[same, pos] = 1
        minus[~same, pos] = 1
    return ids.to(device), plus.to(device), minus.to(device), gold.to(device)


def base_model(model):
    return model.transformer if hasattr(model, "transformer") else model.model


def qk_parameters(model):
    """W_Q and W_K (with biases where present) require grad; everything else is frozen."""
    for p in model.parameters():
        p.requires_grad_(False)
    params = []
    if hasattr(model, "transformer"):  # GPT-2: the fused Conv1D c_attn [in, 3H]; the V block's gradient is zeroed
        hidden = model.config.n_embd
        for blk in model.transformer.h:
            w, b = blk.attn.c_attn.weight, blk.attn.c_attn.bias
            w.requires_grad_(True)
            b.requires_grad_(True)
            w.register_hook(lambda g, h=hidden: torch.cat([g[:, : 2 * h], torch.zeros_like(g[:, 2 * h:])], dim=1))
            b.register_hook(lambda g, h=hidden: torch.cat([g[: 2 * h], torch.zeros_like(g[2 * h:])]))
            params += [w, b]
    else:
        for layer in model.model.layers:
            for proj in (layer.self_attn.q_proj, layer.self_attn.k_proj):
                for t in (proj.weight, proj.bias):
                    if t is not None:
                        t.requires_grad_(True)
                        params.append(t)
    return params


def abft_loss(attentions, plus, minus, pseudo_batch):
    """ABFT-SPEC.md §3 on the last row of each layer's [B, H, T, T] attention; the mean over the pseudo-batch."""
    n = attentions[0].shape[-1]
    threshold = K / (K + math.log(n))
    labels = (plus + minus)[:, None, :]
    total = 0.0
    for a in attentions:
        row = a[:, :, -1, :]
        passing = ((row * labels).sum(-1) > threshold).detach()
        loss = PUNISHMENT * (row * minus[:, None, :]).sum(-1) + REWARD * (plus.sum(-1)[:, None] - (row * plus[:, None, :]).sum(-1))
        total = total + (loss * passing).sum()
    return total / pseudo_batch


def make_step(task, model, prompts, args):
    ids, plus, minus, gold = prompts
    base = base_model(model)
    mb = args.micro_batch
    chunks = [slice(s, s + mb) for s in range(0, args.pseudo_batch, mb)]
    label_ids = torch.tensor(LABEL_TOKEN_IDS, device=ids.device)
    gold_ids = label_ids[gold]
    if task == "eval":
        head = model.lm_head.weight

        def step():
            with torch.no_grad():
                out = []
                for c in chunks:
                    h = base(input_ids=ids[c]).last_hidden_state[:, -1, :]
                    out.append(h @ head[label_ids].T)
                return torch.cat(out).cpu()
        return step, []
    params = qk_parameters(model)
    opt = torch.optim.Adam(params, lr=LR)

    def step():
        opt.zero_grad(set_to_none=True)
        for c in chunks:
            if task == "abft":
                net = model if args.with_lm_head else base
                res = net(input_ids=ids[c], output_attentions=True)
                loss = abft_loss(res.attentions, plus[c], minus[c], args.pseudo_batch)
            else:
                h = base(input_ids=ids[c]).last_hidden_state[:, -1, :]
                logits = model.lm_head(h)
                loss = torch.nn.functional.cross_entropy(logits, gold_ids[c], reduction="sum") / args.pseudo_batch
            loss.backward()
        opt.step()
    return step, params


def timed(step):
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    step()
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) * 1000


def profile(step):
    """Per-kernel CUDA time of one step, longest first."""
    try:
        from torch.profiler import ProfilerActivity
        from torch.profiler import profile as torch_profile
        with torch_profile(activities=[ProfilerActivity.CUDA]) as prof:
            step()
            torch.cuda.synchronize()
        rows = []
        for ev in prof.key_averages():
            us = next((getattr(ev, f) for f in ("self_device_time_total", "self_cuda_time_total", "device_time_total", "cuda_time_total") if hasattr(ev, f)), 0)
            if us > 0:
                rows.append({"name": ev.key, "launches": ev.count, "totalMs": us / 1000})
        rows.sort(key=lambda r: -r["totalMs"])
        total = sum(r["totalMs"] for r in rows)
        return [{**r, "share": r["totalMs"] / total} for r in rows[:40]], total
    except Exception as error:  # the profile is a diagnostic; the timings stand without it
        print(f"profiler failed: {error}", file=sys.stderr)
        return None, None


def summarize(samples):
    s = sorted(samples)
    median = statistics.median(s)
    return {"median": median, "min": s[0], "max": s[-1], "spread": (s[-1] - s[0]) / 2 / median, "samples": samples}


def bench(name, task, args, device):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(CONFIGS[name](), attn_implementation="eager").float().to(device)
    model.eval()
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    prompts = bench_prompts(args.pseudo_batch, args.tokens, model.config.vocab_size, device)
    step, params = make_step(task, model, prompts, args)
    kernels, kernel_ms = None, None
    for i in range(args.warmup):
        if i == 0 and not args.no_profile:
            kernels, kernel_ms = profile(step)
        else:
            step()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    ms = []
    for i in range(args.reps):
        ms.append(timed(step))
        print(f"  {name} {task} run {i + 1}: {ms[-1]:.1f} ms", file=sys.stderr)
    peak, reserved, steady = torch.cuda.max_memory_allocated(), torch.cuda.max_memory_reserved(), torch.cuda.memory_allocated()
    if args.warmup == 0 and not args.no_profile:
        kernels, kernel_ms = profile(step)
    trainable = sum(p.numel() for p in params)
    if hasattr(model, "transformer") and params:  # the V block of c_attn is trained by no one
        trainable = trainable * 2 // 3
    tokens = args.pseudo_batch * args.tokens
    summary = summarize(ms)
    result = {
        "model": name,
        "task": task,
        "shapes": {"pseudoBatch": args.pseudo_batch, "microBatch": args.micro_batch, "tokensPerPrompt": args.tokens, "tokensPerStep": tokens},
        "msPerStep": summary,
        "tokensPerSecond": tokens / (summary["median"] / 1000),
        "memory": {
            "peakBytes": peak,
            "peakReservedBytes": reserved,
            "steadyBytes": steady,
            "weightBytes": weight_bytes,
            "trainableParameters": trainable,
            "optimizerStateBytes": 8 * trainable,
        },
        "kernels": kernels,
        "kernelMsPerStep": kernel_ms,
        "withLmHead": bool(args.with_lm_head and task == "abft"),
    }
    del model, step, params, prompts
    gc.collect()
    torch.cuda.empty_cache()
    return result


def main(argv):
    args = parse_args(argv)
    if not torch.cuda.is_available():
        sys.exit("bench_pytorch.py needs a CUDA GPU (run it on the GPU machine)")
    device = "cuda"
    import transformers
    results = []
    for name in args.models:
        for task in args.tasks:
            print(f"{name} {task}: {args.pseudo_batch} prompts x {args.tokens} tokens", file=sys.stderr)
            results.append(bench(name, task, args, device))
    doc = {
        "engine": "pytorch",
        "adapter": torch.cuda.get_device_name(),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "cuda": torch.version.cuda},
        "date": datetime.now(timezone.utc).isoformat(),
        "options": {k: v for k, v in vars(args).items() if k != "out"},
        "results": results,
    }
    text = json.dumps(doc, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])

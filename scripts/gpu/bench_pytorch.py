"""The PyTorch reference of `npm run bench` (src/bench/): the same three steps on the same shapes, written
the way a researcher would with HF transformers, printing the same JSON fields.

  python3 scripts/gpu/bench_pytorch.py [--models gpt2-124M,SmolLM2-135M,gpt2-large] [--tasks abft,eval,end-to-end]
      [--pseudo-batch 32] [--micro-batch N (default: the whole pseudo-batch)] [--tokens 128]
      [--warmup 1] [--reps 5] [--no-profile] [--with-lm-head] [--device cuda|cpu] [--out FILE]

Options of our bench that mean nothing here (--activation-budget-mib N, --frozen f32|f16) are accepted
and ignored, so that one option list can go to both (bench-compare.sh).

Settings: f32 weights and activations, eager attention, TF32 off, random weights of the published
config.json, dropout off (eval mode, as our engine has none).
- abft: only W_Q and W_K require grad (for GPT-2 the fused c_attn weight and bias, whose V block's
  gradient a hook zeroes, so Adam leaves V as it is); the base model (no LM head: the loss does not
  need it; --with-lm-head calls the LM model, as code that just calls model(...) does) with
  output_attentions=True; the paper's loss (reference.abft_loss, ABFT-SPEC.md §3) with the head filter,
  𝒜 = 0.5, ℬ = 1; backward; torch.optim.Adam(lr=2e-5).
- eval: no_grad; the base model's last hidden state at the last position times the LM-head rows of the
  two label words.
- end-to-end: the base model, the LM head over the whole vocabulary at the last position,
  cross-entropy of the gold label word, backward to W_Q/W_K, Adam (as our baseline step).
Prompts: `pseudo-batch` prompts of exactly `tokens` random ids, k = 4 label positions at
floor((i + 1)(n - 8) / 5), random demonstration labels and gold among 2 classes (src/bench/prompts.ts).
flopsPerStep is src/bench/flops.ts's count (the work the step must do), so tflops compares with ours.
Per-kernel times come from torch.profiler over the first warm-up step (CUDA kernels on a GPU, CPU
operators' self time on the CPU). Peak memory is CUDA's allocator statistics; on the CPU it is null.
"""
import argparse
import gc
import json
import math
import platform
import statistics
import sys
import time
from datetime import datetime, timezone

import torch
import transformers

from reference import (MODEL_NAMES, abft_loss, base_model, default_device, eager_model, make_config,
                       qk_parameters, strict_f32, trainable_qk_count)

K, CLASSES = 4, 2
LABEL_TOKEN_IDS = [11, 12]
LR = 2e-5
ADAM_FLOPS_PER_PARAMETER = 12
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
    p.add_argument("--device", choices=["cuda", "cpu"], default=default_device())
    p.add_argument("--out", default=None)
    # Our engine's options (bench-compare.sh passes one list to both); PyTorch has no equivalent.
    p.add_argument("--activation-budget-mib", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--frozen", choices=["f32", "f16"], default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    a.models = a.models.split(",")
    a.tasks = a.tasks.split(",")
    for m in a.models:
        if m not in MODEL_NAMES:
            p.error(f"--models: unknown model {m}; known: {', '.join(MODEL_NAMES)}")
    for t in a.tasks:
        if t not in TASKS:
            p.error(f"--tasks: unknown task {t}; known: {', '.join(TASKS)}")
    if a.tokens < 16:
        p.error("--tokens: use 16 or more, room for 4 demonstrations and a query")
    if a.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: no CUDA GPU here; use --device cpu")
    a.micro_batch = min(a.micro_batch or a.pseudo_batch, a.pseudo_batch)
    return a


class Device:
    """Synchronization, peak memory and the profiler activity of the device the steps run on."""

    def __init__(self, name):
        self.name = name
        self.cuda = name == "cuda"

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def reset_peak(self):
        if self.cuda:
            torch.cuda.reset_peak_memory_stats()

    def memory(self):
        """Peak / reserved / steady bytes; None on the CPU, whose allocator keeps no such statistics."""
        if not self.cuda:
            return {"peakBytes": None, "peakReservedBytes": None, "steadyBytes": None}
        return {"peakBytes": torch.cuda.max_memory_allocated(), "peakReservedBytes": torch.cuda.max_memory_reserved(),
                "steadyBytes": torch.cuda.memory_allocated()}

    def release(self):
        gc.collect()
        if self.cuda:
            torch.cuda.empty_cache()

    def adapter(self):
        if self.cuda:
            return torch.cuda.get_device_name()
        return f"CPU {cpu_model()} ({torch.get_num_threads()} threads)"

    def profiler_activity(self):
        from torch.profiler import ProfilerActivity
        return ProfilerActivity.CUDA if self.cuda else ProfilerActivity.CPU

    def event_us(self, ev):
        """An event's own time: device time of a kernel on CUDA (the field's name varies across torch versions), self CPU time on the CPU."""
        fields = ("self_device_time_total", "self_cuda_time_total") if self.cuda else ("self_cpu_time_total",)
        return next((getattr(ev, f) for f in fields if hasattr(ev, f)), 0)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def bench_prompts(count, tokens, vocab, device, seed=1):
    """src/bench/prompts.ts's rule (the ids differ: only the shapes matter for timing)."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, vocab, (count, tokens), generator=g)
    positions = torch.tensor([math.floor((i + 1) * (tokens - 8) / (K + 1)) for i in range(K)])
    demo = torch.randint(0, CLASSES, (count, K), generator=g)
    gold = torch.randint(0, CLASSES, (count,), generator=g)
    same = (demo == gold[:, None]).float()
    plus = torch.zeros(count, tokens).index_add_(1, positions, same)
    minus = torch.zeros(count, tokens).index_add_(1, positions, 1 - same)
    lengths = torch.full((count,), tokens)
    return [t.to(device) for t in (ids, plus, minus, gold, lengths)]


def step_flops(config, task, prompts, tokens, trainable):
    """src/bench/flops.ts's stepFlops, for the JSON's flopsPerStep / tflops (see there for what counts);
    `trainable`: the W_Q/W_K parameters Adam updates (0 for eval)."""
    C, L, n = config.hidden_size, config.num_hidden_layers, tokens
    Hq = config.num_attention_heads
    D = C // Hq
    q, kv = Hq * D, (getattr(config, "num_key_value_heads", None) or Hq) * D
    inter = getattr(config, "intermediate_size", None) or getattr(config, "n_inner", None) or 4 * C
    mlp = (2 if config.model_type == "gpt2" else 3) * C * inter
    pairs = n * (n + 1) / 2
    attn_fwd, attn_bwd = 2 * 2 * D * Hq * pairs, 4 * 2 * D * Hq * pairs
    layer_fwd = 2 * n * C * (q + 2 * kv) + attn_fwd + 2 * n * q * C + 2 * n * mlp

    def layer_bwd(layer):
        dx = 2 * n * C * (q + 2 * kv) if layer > 0 else 0
        return 2 * n * mlp + 2 * n * q * C + attn_bwd + 2 * n * C * (q + kv) + dx

    forward = backward = optimizer = 0
    if task == "abft":
        forward = (L - 1) * layer_fwd + 2 * n * C * kv + 2 * C * q + 2 * D * Hq * n
        backward = 2 * 2 * D * Hq * n + 2 * n * C * kv + 2 * C * q + (2 * n * C * kv + 2 * C * q if L > 1 else 0)
        backward += sum(layer_bwd(l) for l in range(L - 1))
        optimizer = ADAM_FLOPS_PER_PARAMETER * trainable
        attention = (L - 1) * (attn_fwd + attn_bwd) + 2 * D * Hq * n + 2 * 2 * D * Hq * n
    elif task == "eval":
        forward = L * layer_fwd + 2 * C * len(LABEL_TOKEN_IDS)
        attention = L * attn_fwd
    else:
        forward = L * layer_fwd + 2 * C * config.vocab_size
        backward = 2 * C * config.vocab_size + sum(layer_bwd(l) for l in range(L))
        optimizer = ADAM_FLOPS_PER_PARAMETER * trainable
        attention = L * (attn_fwd + attn_bwd)
    return {"forward": forward * prompts, "backward": backward * prompts, "optimizer": optimizer,
            "total": (forward + backward) * prompts + optimizer, "projections": (forward + backward - attention) * prompts}


def make_step(task, model, prompts, args):
    """The step to time and the parameters it trains (none for eval)."""
    ids, plus, minus, gold, lengths = prompts
    base = base_model(model)
    mb = args.micro_batch
    chunks = [slice(s, s + mb) for s in range(0, args.pseudo_batch, mb)]
    label_ids = torch.tensor(LABEL_TOKEN_IDS, device=ids.device)
    if task == "eval":
        head = model.lm_head.weight[label_ids]

        def step():
            with torch.no_grad():
                return torch.cat([base(input_ids=ids[c]).last_hidden_state[:, -1, :] @ head.T for c in chunks]).cpu()
        return step, []
    params = qk_parameters(model)
    opt = torch.optim.Adam(params, lr=LR)

    def loss_of(c):
        if task == "abft":
            net = model if args.with_lm_head else base
            res = net(input_ids=ids[c], output_attentions=True)
            return abft_loss(res.attentions, plus[c], minus[c], lengths[c], args.pseudo_batch)
        logits = model.lm_head(base(input_ids=ids[c]).last_hidden_state[:, -1, :])
        return torch.nn.functional.cross_entropy(logits, label_ids[gold[c]], reduction="sum") / args.pseudo_batch

    def step():
        opt.zero_grad(set_to_none=True)
        for c in chunks:
            loss_of(c).backward()
        opt.step()
    return step, params


def timed(step, dev):
    dev.sync()
    t0 = time.perf_counter()
    step()
    dev.sync()
    return (time.perf_counter() - t0) * 1000


def profile(step, dev):
    """Per-kernel (CPU: per-operator) self time of one step, longest first, and their sum."""
    try:
        from torch.profiler import profile as torch_profile
        with torch_profile(activities=[dev.profiler_activity()]) as prof:
            step()
            dev.sync()
        rows = [{"name": ev.key, "launches": ev.count, "totalMs": dev.event_us(ev) / 1000} for ev in prof.key_averages()]
        rows = sorted((r for r in rows if r["totalMs"] > 0), key=lambda r: -r["totalMs"])
        total = sum(r["totalMs"] for r in rows)
        return [{**r, "share": r["totalMs"] / total} for r in rows[:40]], total
    except Exception as error:  # the profile is a diagnostic; the timings stand without it
        print(f"profiler failed: {error}", file=sys.stderr)
        return None, None


def summarize(samples):
    s = sorted(samples)
    median = statistics.median(s)
    return {"median": median, "min": s[0], "max": s[-1], "spread": (s[-1] - s[0]) / 2 / median, "samples": samples}


def measure(step, args, dev, log):
    """Warm-up (the first one profiled), then the timed steps with the peak memory over them."""
    kernels, kernel_ms = None, None
    for i in range(args.warmup):
        if i == 0 and not args.no_profile:
            kernels, kernel_ms = profile(step, dev)
        else:
            step()
    dev.sync()
    dev.reset_peak()
    ms = []
    for i in range(args.reps):
        ms.append(timed(step, dev))
        log(i + 1, ms[-1])
    memory = dev.memory()
    if args.warmup == 0 and not args.no_profile:
        kernels, kernel_ms = profile(step, dev)
    return ms, memory, kernels, kernel_ms


def bench(name, task, args, dev):
    torch.manual_seed(0)
    config = make_config(name)
    model = eager_model(config).to(dev.name)
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    prompts = bench_prompts(args.pseudo_batch, args.tokens, config.vocab_size, dev.name)
    step, params = make_step(task, model, prompts, args)
    ms, memory, kernels, kernel_ms = measure(step, args, dev, lambda i, t: print(f"  {name} {task} run {i}: {t:.1f} ms", file=sys.stderr))
    trainable = trainable_qk_count(model) if params else 0
    tokens = args.pseudo_batch * args.tokens
    summary = summarize(ms)
    flops = step_flops(config, task, args.pseudo_batch, args.tokens, trainable)
    result = {
        "model": name,
        "task": task,
        "shapes": {"pseudoBatch": args.pseudo_batch, "microBatch": args.micro_batch, "tokensPerPrompt": args.tokens, "tokensPerStep": tokens},
        "msPerStep": summary,
        "tokensPerSecond": tokens / (summary["median"] / 1000),
        "flopsPerStep": flops,
        "tflops": flops["total"] / (summary["median"] / 1000) / 1e12,
        "memory": {**memory, "weightBytes": weight_bytes, "trainableParameters": trainable, "optimizerStateBytes": 8 * trainable},
        "kernels": kernels,
        "kernelMsPerStep": kernel_ms,
        "withLmHead": bool(args.with_lm_head and task == "abft"),
    }
    del model, step, params, prompts
    dev.release()
    return result


def main(argv):
    args = parse_args(argv)
    strict_f32()
    dev = Device(args.device)
    results = []
    for name in args.models:
        for task in args.tasks:
            print(f"{name} {task}: {args.pseudo_batch} prompts x {args.tokens} tokens on {dev.name}", file=sys.stderr)
            results.append(bench(name, task, args, dev))
    doc = {
        "engine": "pytorch",
        "adapter": dev.adapter(),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "cuda": torch.version.cuda},
        "date": datetime.now(timezone.utc).isoformat(),
        "options": {k: v for k, v in vars(args).items() if k not in ("out", "activation_budget_mib", "frozen")},
        "results": results,
    }
    text = json.dumps(doc, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])

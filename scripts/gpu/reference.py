"""What the PyTorch scripts of scripts/gpu share: the published configs, eager HF models, the W_Q / W_K
parameters and the paper's ABFT loss (ABFT-SPEC.md §3), so the benchmark times the same loss that the
parity check (abft_parity.py) verifies against our engine.

Works with transformers 4.4x and 5.x: the attention implementation is chosen through the documented
`attn_implementation` keyword (4.36+), and no loader keyword whose name changed (torch_dtype -> dtype)
is used; models are cast to f32 after loading instead.
"""
import torch
from transformers import AutoConfig, AutoModelForCausalLM, GPT2Config, LlamaConfig, Qwen2Config

PUNISHMENT, REWARD = 0.5, 1.0  # 𝒜₀ and ℬ of the paper (no PID: one step)

# The published config.json fields that shape each model (src/model/known-configs.ts holds them verbatim).
_GPT2 = dict(n_embd=768, n_head=12, n_layer=12, n_positions=1024, vocab_size=50257,
             activation_function="gelu_new", layer_norm_epsilon=1e-5)
_CONFIGS = {
    "gpt2-124M": lambda: GPT2Config(**_GPT2),
    "gpt2-large": lambda: GPT2Config(**{**_GPT2, "n_embd": 1280, "n_head": 20, "n_layer": 36}),
    "SmolLM2-135M": lambda: LlamaConfig(
        vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
        num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=8192,
        rms_norm_eps=1e-5, rope_theta=100000.0, tie_word_embeddings=True, hidden_act="silu",
        attention_bias=False, mlp_bias=False, bos_token_id=0, eos_token_id=0),
    "Qwen2.5-0.5B": lambda: Qwen2Config(
        vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
        num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
        rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True, use_sliding_window=False,
        hidden_act="silu", bos_token_id=151643, eos_token_id=151643),
    # By model_type, so that transformers without Qwen3 (before 4.51) fails only when it is asked for.
    "Qwen3-0.6B": lambda: AutoConfig.for_model(
        "qwen3", vocab_size=151936, hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
        num_attention_heads=16, num_key_value_heads=8, head_dim=128, max_position_embeddings=40960,
        rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True, attention_bias=False,
        use_sliding_window=False, hidden_act="silu", bos_token_id=151643, eos_token_id=151645),
    # Every sixth layer full attention, the others a 512-token window with their own RoPE base.
    "gemma-3-270m": lambda: AutoConfig.for_model(
        "gemma3_text", vocab_size=262144, hidden_size=640, intermediate_size=2048, num_hidden_layers=18,
        num_attention_heads=4, num_key_value_heads=1, head_dim=256, max_position_embeddings=32768,
        rms_norm_eps=1e-6, rope_theta=1000000.0, rope_local_base_freq=10000.0, query_pre_attn_scalar=256,
        sliding_window=512, layer_types=["full_attention" if (i + 1) % 6 == 0 else "sliding_attention" for i in range(18)],
        tie_word_embeddings=True, attention_bias=False, hidden_activation="gelu_pytorch_tanh",
        final_logit_softcapping=None, attn_logit_softcapping=None, bos_token_id=2, eos_token_id=1, pad_token_id=0),
}
MODEL_NAMES = list(_CONFIGS)


def make_config(name, layers=None, sliding_window=None):
    """The published config of `name`; `layers` cuts the depth (widths, vocabulary and heads stay real);
    `sliding_window` shortens the window of a model with sliding layers (Gemma 3), so that prompts of a
    few hundred tokens reach past it."""
    config = _CONFIGS[name]()
    if sliding_window and "sliding_attention" in (getattr(config, "layer_types", None) or []):
        config.sliding_window = sliding_window
    if layers:
        # Both families alias num_hidden_layers (GPT-2: to n_layer), so one assignment covers them.
        config.num_hidden_layers = min(layers, config.num_hidden_layers)
        if getattr(config, "layer_types", None):  # transformers 5 keeps one entry per layer (Qwen2)
            config.layer_types = config.layer_types[: config.num_hidden_layers]
    return config


def eager_model(config):
    """Random weights, eager attention (output_attentions needs it), f32, eval mode (no dropout, as our engine)."""
    config._attn_implementation = "eager"
    return AutoModelForCausalLM.from_config(config, attn_implementation="eager").float().eval()


def load_eager(folder):
    """A saved model (hf_parity.py prepare) as eager_model builds one."""
    return AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager").float().eval()


def is_gpt2(model):
    return hasattr(model, "transformer")


def base_model(model):
    """The decoder without the LM head (the ABFT loss does not need it)."""
    return model.transformer if is_gpt2(model) else model.model


def qk_parameters(model):
    """Freezes everything but W_Q and W_K (with their biases where present); returns those parameters.

    GPT-2 fuses q, k, v in one Conv1D c_attn ([in, 3H] weight, [3H] bias): the whole tensor requires
    grad, and a hook zeroes the V block's gradient so that Adam leaves V as it is.
    """
    for p in model.parameters():
        p.requires_grad_(False)
    params = []
    if is_gpt2(model):
        h = model.config.n_embd
        for blk in model.transformer.h:
            for t in (blk.attn.c_attn.weight, blk.attn.c_attn.bias):
                t.requires_grad_(True)
                t.register_hook(lambda g, h=h: torch.cat([g[..., : 2 * h], torch.zeros_like(g[..., 2 * h:])], dim=-1))
                params.append(t)
    else:
        for layer in model.model.layers:
            for proj in (layer.self_attn.q_proj, layer.self_attn.k_proj):
                for t in (proj.weight, proj.bias):
                    if t is not None:
                        t.requires_grad_(True)
                        params.append(t)
    return params


def trainable_qk_count(model):
    """W_Q/W_K elements trained (GPT-2: 2/3 of c_attn, V excluded), as our trainableQkParameters counts them."""
    if is_gpt2(model):
        return sum(b.attn.c_attn.weight.numel() + b.attn.c_attn.bias.numel() for b in model.transformer.h) * 2 // 3
    return sum(t.numel() for l in model.model.layers for p in (l.self_attn.q_proj, l.self_attn.k_proj)
               for t in (p.weight, p.bias) if t is not None)


def qk_weight_grads(model):
    """Per layer {"q": grad, "k": grad} of the weights in HF nn.Linear layout [out, in] (our abft-grad's files)."""
    if is_gpt2(model):
        h = model.config.n_embd
        return [{"q": b.attn.c_attn.weight.grad[:, :h].T, "k": b.attn.c_attn.weight.grad[:, h: 2 * h].T}
                for b in model.transformer.h]
    return [{"q": l.self_attn.q_proj.weight.grad, "k": l.self_attn.k_proj.weight.grad} for l in model.model.layers]


def label_masks(plus_positions, minus_positions, tokens, device=None):
    """[B, T] 0/1 masks of I⁺ and I⁻ from per-prompt position lists."""
    plus = torch.zeros(len(plus_positions), tokens, device=device)
    minus = torch.zeros(len(minus_positions), tokens, device=device)
    for b, (p, m) in enumerate(zip(plus_positions, minus_positions)):
        plus[b, p] = 1
        minus[b, m] = 1
    return plus, minus


def abft_head_terms(attentions, plus, minus, lengths):
    """Per layer: the loss of every head on every prompt and whether it passes the filter, both [B, H].

    attentions: per layer [B, H, T, T] post-softmax (right padding allowed); plus / minus: [B, T] masks of
    I⁺ / I⁻; lengths: [B] real tokens per prompt. α is the row of each prompt's last real token. The
    filter S = Σ_{j∈I} α_j > k / (k + ln n) is a hard mask, re-evaluated on the current weights (no
    gradient through it); k counts the prompt's label positions, n its real tokens.
    """
    batch = torch.arange(plus.shape[0], device=plus.device)
    last = (lengths - 1).to(plus.device)
    k = (plus + minus).sum(-1)                                         # [B]
    threshold = (k / (k + torch.log(lengths.to(plus))))[:, None]       # natural log
    for a in attentions:
        row = a[batch, :, last, :]                                     # [B, H, T]
        punish = (row * minus[:, None, :]).sum(-1)                     # Σ_{I⁻} α
        reward = (row * plus[:, None, :]).sum(-1)                      # Σ_{I⁺} α
        loss = PUNISHMENT * punish + REWARD * (plus.sum(-1)[:, None] - reward)  # Σ_{I⁺} (1 − α) = |I⁺| − Σ α
        yield loss, ((punish + reward) > threshold).detach()


def abft_loss(attentions, plus, minus, lengths, pseudo_batch, head_filter=True):
    """ABFT-SPEC.md §3 (Eq. 1): summed over the passing heads of all layers, divided by the pseudo-batch size."""
    total = 0.0
    for loss, passing in abft_head_terms(attentions, plus, minus, lengths):
        total = total + (loss * passing if head_filter else loss).sum()
    return total / pseudo_batch


def mean_passing_heads(attentions, plus, minus, lengths):
    """n̄: heads over the filter's threshold per prompt, over all layers, averaged over the prompts."""
    with torch.no_grad():
        return float(sum(p.sum() for _, p in abft_head_terms(attentions, plus, minus, lengths))) / plus.shape[0]


def padded_batch(sequences, device=None):
    """Right-padded ids, attention mask and lengths of token-id lists of different lengths."""
    T = max(len(s) for s in sequences)
    ids = torch.zeros(len(sequences), T, dtype=torch.long)
    mask = torch.zeros(len(sequences), T, dtype=torch.long)
    for b, seq in enumerate(sequences):
        ids[b, : len(seq)] = torch.tensor(seq)
        mask[b, : len(seq)] = 1
    return ids.to(device), mask.to(device), torch.tensor([len(s) for s in sequences], device=device)


def default_device():
    return "cuda" if torch.cuda.is_available() else "cpu"


def strict_f32():
    """No TF32 anywhere: our engine computes in f32, and TF32 would hide or fake differences."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")


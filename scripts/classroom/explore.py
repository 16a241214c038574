"""Pretrains the classroom model of an `abft pretrain` config in PyTorch on CPU, on the exact corpus
`abft corpus` wrote, to rank corpus and optimizer settings faster than the engine runs on a software
adapter (5-15x here). The same recipe: the next-token loss with other tokens sampled, the
config's attention guides (loss.attention) and the optimizer schedule (decaySteps included), so a
setting found here is the one `abft pretrain` (npm run make:classroom-model) then runs with the
engine; their first step's objective agrees (10.628 here, 10.627 there from another initial
draw). Prints one JSON line per evaluation: the label accuracy
among the 16 label words where an earlier line gives the label away (the induction signal), per
family, beside copyBaseline (copying any earlier label: above it, the key was matched).

  node dist-node/abft.mjs corpus --config CONFIG.json --sequences N --out DIR
  VENV/bin/python scripts/classroom/explore.py --config CONFIG.json --corpus DIR [--every 250] [--save OUT --save-every N]

With --save, OUT-<step>/ every N steps and OUT/ at the end are model folders (the config.json and
tokenizer files `abft corpus` wrote beside the corpus, model.safetensors in HF names) that every
command and the app load.

Llama only (the classroom config's architecture); torch and transformers from the local index.
"""
import argparse, json, math, shutil, sys, time
import numpy as np
import torch
from transformers import LlamaConfig, LlamaForCausalLM


def load(corpus, name, length):
    tokens = np.fromfile(f'{corpus}/{name}.tokens.bin', dtype='<i4').reshape(-1, length)
    marks = np.fromfile(f'{corpus}/{name}.labels.bin', dtype=np.uint8).reshape(-1, length)
    return torch.from_numpy(tokens.astype(np.int64)), torch.from_numpy(marks.astype(np.int64))


def copy_baseline(tokens, marks, recoverable):
    total, n = 0.0, 0
    for s in range(tokens.shape[0]):
        seen = set()
        for j in range(tokens.shape[1]):
            if marks[s, j] > 0:
                if marks[s, j] == recoverable:
                    total += 1 / len(seen)
                    n += 1
                seen.add(int(tokens[s, j]))
    return total / max(n, 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--config', required=True)
    p.add_argument('--corpus', required=True)
    p.add_argument('--every', type=int, default=250)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--save', default='')
    p.add_argument('--save-every', type=int, default=0)
    a = p.parse_args()
    cfg = json.load(open(a.config))
    meta = json.load(open(f'{a.corpus}/corpus.json'))
    if cfg.get('architecture', 'llama') != 'llama':
        sys.exit('explore.py trains the llama architecture only')
    torch.manual_seed(cfg.get('seed', 0))
    torch.set_num_threads(a.threads)
    m, o = cfg['model'], cfg.get('optimizer', {})
    L, pad = meta['length'], meta['ids']['pad']
    # The very config.json abft pretrain starts from: the same sizes, norm epsilon, RoPE and init scale.
    model_files = f'{a.corpus}/model'
    model = LlamaForCausalLM(LlamaConfig.from_dict({**json.load(open(f'{model_files}/config.json')), 'attn_implementation': 'eager'}))

    log = []

    def save(folder, steps_done):
        model.save_pretrained(folder, safe_serialization=True)
        for name in ('config.json', 'tokenizer.json', 'tokenizer_config.json'):
            shutil.copy(f'{model_files}/{name}', f'{folder}/{name}')
        with open(f'{folder}/pretrain-log.json', 'w') as f:
            json.dump({'tool': 'scripts/classroom/explore.py', 'config': cfg, 'corpus': meta, 'trainer': f'torch {torch.__version__} on CPU, {a.threads} thread(s)',
                       'stepsDone': steps_done, 'seconds': round(time.time() - started), 'tokensSeen': tokens_seen, 'log': log}, f, indent=1)
    steps, batch = cfg['steps'], cfg.get('batch', {}).get('sequences', 8)
    lr, warm = o.get('lr', 1e-3), o.get('warmupSteps', min(100, steps - 1))
    decay = o.get('decaySteps', steps)
    min_lr, other = o.get('minLr', lr / 10), cfg.get('loss', {}).get('otherTokens', 1.0)
    matrices = [q for q in model.parameters() if q.dim() >= 2]
    vectors = [q for q in model.parameters() if q.dim() < 2]
    opt = torch.optim.AdamW([{'params': matrices, 'weight_decay': o.get('weightDecay', 0.1)}, {'params': vectors, 'weight_decay': 0.0}],
                            lr=lr, betas=(o.get('beta1', 0.9), o.get('beta2', 0.95)), eps=1e-8)
    clip = o.get('clip', 1.0)

    def rate(step):
        if step < warm:
            return lr * (step + 1) / warm
        return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * (step - warm) / max(1, decay - warm)))

    train, train_marks = load(a.corpus, 'train', L)
    if train.shape[0] < steps * batch:
        sys.exit(f'the corpus has {train.shape[0]} training sequences; {steps} steps of {batch} need {steps * batch}')
    labels = torch.tensor(meta['labelIds'])
    recoverable = meta['labelMarks']['recoverable']
    evals = {f['id']: load(a.corpus, f"eval-{f['id']}", L) for f in meta['eval']['families']}
    baselines = {f: round(copy_baseline(t, mk, recoverable), 3) for f, (t, mk) in evals.items()}

    @torch.no_grad()
    def evaluate():
        model.eval()
        out = {}
        for f, (t, mk) in evals.items():
            logits = model(input_ids=t, attention_mask=(t != pad).long()).logits[:, :-1][:, :, labels]
            chosen = labels[logits.argmax(-1)]
            at = mk[:, 1:] == recoverable
            out[f] = round((chosen[at] == t[:, 1:][at]).float().mean().item(), 3)
        model.train()
        return out

    guides = cfg.get('loss', {}).get('attention', [])
    ids = json.load(open(f'{model_files}/tokenizer.json'))['model']['vocab']
    input_prefixes = torch.tensor([ids[w] for w in ('Input:Ġ', 'input:Ġ', 'text:Ġ', 'example:Ġ')])
    label_prefixes = torch.tensor([ids[w] for w in ('Label:Ġ', 'label:Ġ', 'answer:Ġ', 'class:Ġ')])
    first_label = int(labels.min())

    def line_text_mask(x, mk):
        # rows: label prefixes and label tokens; [s, q, i]: i is a text word of q's own line.
        n = x.shape[1]
        starts = torch.isin(x, input_prefixes)
        idx = torch.arange(n).expand_as(x)
        line_start = torch.cummax(torch.where(starts, idx, torch.zeros_like(idx)), 1).values
        text = (x >= int(input_prefixes.max()) + 1) & ~torch.isin(x, label_prefixes) & (x < first_label) & (x > 14)
        rows = torch.isin(x, label_prefixes) | (mk > 0)
        same_line = line_start[:, None, :] == line_start[:, :, None]
        before = torch.ones(n, n, dtype=torch.bool).tril(-1)
        return rows, same_line & text[:, None, :] & before[None]

    def right_label_mask(x, mk):
        # [s, q, i]: position i < q holds a label token equal to the label that follows q.
        y = x[:, 1:]
        is_label = (mk[:, :-1] > 0)
        same = x[:, None, :-1] == y[:, :, None]
        causal = torch.ones(y.shape[1], y.shape[1], dtype=torch.bool).tril(-1)
        return same & is_label[:, None, :] & causal[None]

    rng = torch.Generator().manual_seed(cfg.get('corpus', {}).get('seed', 0))
    tokens_seen = 0
    started = time.time()
    for step in range(steps):
        for group in opt.param_groups:
            group['lr'] = rate(step)
        x, mk = train[step * batch:(step + 1) * batch], train_marks[step * batch:(step + 1) * batch]
        out = model(input_ids=x, attention_mask=(x != pad).long(), output_attentions=len(guides) > 0)
        logits = out.logits[:, :-1]
        y = x[:, 1:]
        scored = (y != pad) & (x[:, :-1] != pad) & ((mk[:, 1:] > 0) | (torch.rand(y.shape, generator=rng) < other))
        ce = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction='none').reshape(y.shape)
        loss = (ce * scored).sum() / scored.sum()
        for g in guides:
            # The engine's attention-targets.ts from token ids: at label prefixes and labels the line's text, or
            # at the token before a recoverable label the earlier copies of that label.
            if g['toward'] == 'own-line-text':
                rows, target = line_text_mask(x, mk)
                rows = rows & (target.sum(-1) > 0)
            else:
                rows, target = mk[:, 1:] == recoverable, right_label_mask(x, mk)
                rows = torch.nn.functional.pad(rows, (0, 1))
                target = torch.nn.functional.pad(target, (0, 1, 0, 1))
            heads = g['heads']
            att = out.attentions[g['layer']][:, heads]
            mass = (att * target[:, None]).sum(-1)
            loss = loss + g.get('weight', 1.0) * (-(mass + 1e-6).log() * rows[:, None]).sum() / (rows.sum() * len(heads))
        tokens_seen += int(((y != pad) & (x[:, :-1] != pad)).sum())
        opt.zero_grad()
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        if step % a.every == 0 or step == steps - 1:
            line = {'step': step + 1, 'loss': round(loss.item(), 4), 'seconds': round(time.time() - started), 'recoverable': evaluate(), 'copyBaseline': baselines}
            log.append(line)
            print(json.dumps(line), flush=True)
        if a.save and a.save_every and (step + 1) % a.save_every == 0:
            save(f'{a.save}-{step + 1}', step + 1)
    if a.save:
        save(a.save, steps)


if __name__ == '__main__':
    main()

#!/usr/bin/env bash
# Writes MODEL_DIR/model-card.json: how the classroom model was made (from the pretrain-log.json
# `abft pretrain` wrote) and its in-context accuracy on every classroom task, measured by `abft eval`
# with the engine (2 classes, k = 4, 64 test queries x 2 demonstration sets = 128 prompts per task).
#   bash scripts/classroom/write-model-card.sh public/classroom-model PRETRAIN_LOG.json
# make-classroom-model.sh runs it after pretraining.
set -euo pipefail
cd "$(dirname "$0")/../.."
model=$1
log=$2
[ -f dist-node/abft.mjs ] || npm run build:node --silent
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
for family in word-alone word-first word-in-filler category-all category-first word-last category-last category-in-filler; do
  node dist-node/abft.mjs eval --model "$model" --data "classroom/$family" --queries 64 --measures test 2>/dev/null > "$results/$family.json"
done
python3 - "$model" "$log" "$results" <<'PY'
import json, os, sys
model, log_path, results = sys.argv[1:4]
log = json.load(open(log_path))
accuracy = {}
for name in sorted(os.listdir(results)):
    report = json.load(open(os.path.join(results, name)))
    accuracy[name[:-5]] = {'accuracy': report['report']['test']['accuracy'], 'prompts': report['report']['test']['count']}
guides = ', '.join(f"layer {g['layer']} heads {g['heads']} toward {g['toward']} (weight {g['weight']})" for g in log['config']['loss']['attention'])
card = {
    'name': 'ABFT Studio classroom model',
    'what': 'A 2-layer Llama pretrained from random weights on the classroom language (docs/classroom-language.md) until it learned in-context learning.',
    'madeBy': f"npm run make:classroom-model: {log['tool']} --config {log['configFile']}, then scripts/classroom/write-model-card.sh",
    'trainer': f"the engine's full-model training (src/pretrain/) in Node on {log['adapter']}",
    'config': log['config'],
    'parameters': log['parameters'],
    'stepsDone': log['stepsDone'],
    'tokensSeen': log['tokensSeen'],
    'seconds': log['seconds'],
    'lossCurve': [{k: l[k] for k in ('step', 'loss', 'attentionLoss') if k in l} for l in log['log']],
    'pretrainingIcl': [{'step': v['step'], 'tokens': v['tokens'], 'heldOut': v['eval']['heldOut']['recoverable']['accuracy'],
                        'train': v['eval']['train']['recoverable']['accuracy'], 'copyBaseline': v['eval']['heldOut']['copyBaseline']} for v in log['evals']],
    'notes': ('loss is the next-token cross-entropy (label words always scored, other tokens at ' + str(log['config']['loss']['otherTokens']) + '); '
              'attentionLoss the attention guides in order: ' + guides + '. pretrainingIcl: label accuracy among the 16 label words where an earlier line '
              'gives the label away, on held-out and train families, beside copying any earlier label (copyBaseline). '
              f"The schedule's cosine spans {log['config']['optimizer']['decaySteps']} steps and the run stops at {log['config']['steps']}: "
              'a checkpoint just after the phase change, where in-context learning works but is imperfect. seconds: wall time.'),
    'iclAccuracy': {'how': 'abft eval --data classroom/<family> --queries 64 --measures test: 2 classes (chance 0.5), k = 4 demonstrations', 'byFamily': accuracy},
}
json.dump(card, open(os.path.join(model, 'model-card.json'), 'w'), indent=1)
print(json.dumps({f: a['accuracy'] for f, a in accuracy.items()}))
PY

#!/usr/bin/env bash
# Writes MODEL_DIR/model-card.json: how the classroom model was made (from the pretraining log its
# trainer wrote) and its in-context accuracy on every classroom task, measured by `abft eval` with
# the engine (2 classes, k = 4, 64 test queries x 2 demonstration sets = 128 prompts per task).
#   bash scripts/classroom/write-model-card.sh public/classroom-model PRETRAIN_LOG.json
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
card = {
    'name': 'ABFT Studio classroom model',
    'what': 'A 2-layer Llama pretrained from random weights on the classroom language (docs/classroom-language.md) until it learned in-context learning.',
    'madeBy': log.get('command', log.get('tool')),
    'trainer': log.get('trainer'),
    'config': log.get('config'),
    'stepsDone': log.get('stepsDone'),
    'tokensSeen': log.get('tokensSeen'),
    'seconds': log.get('seconds'),
    'lossCurve': [{'step': l['step'], 'loss': l['loss']} for l in log.get('log', [])],
    'pretrainingIcl': [{'step': l['step'], 'recoverable': l['recoverable']} for l in log.get('log', [])],
    'copyBaseline': (log.get('log') or [{}])[-1].get('copyBaseline'),
    'notes': log.get('notes'),
    'iclAccuracy': {'how': 'abft eval --data classroom/<family> --queries 64 --measures test: 2 classes (chance 0.5), k = 4 demonstrations', 'byFamily': accuracy},
}
json.dump(card, open(os.path.join(model, 'model-card.json'), 'w'), indent=1)
print(json.dumps({f: a['accuracy'] for f, a in accuracy.items()}))
PY

#!/usr/bin/env bash
# `npm run make:classroom-model`: pretrains the classroom model with the engine from its seed
# (abft pretrain on src/classroom/classroom-model.config.json, on whatever WebGPU adapter Node
# finds), puts its weights, config and tokenizer into public/classroom-model/, and writes its
# model card there (write-model-card.sh). The same config on the same adapter gives the same model.
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run build:node --silent
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
node dist-node/abft.mjs pretrain --config src/classroom/classroom-model.config.json --out "$work/model"
for name in config.json model.safetensors tokenizer.json tokenizer_config.json; do cp "$work/model/$name" "public/classroom-model/$name"; done
bash scripts/classroom/write-model-card.sh public/classroom-model "$work/model/pretrain-log.json"

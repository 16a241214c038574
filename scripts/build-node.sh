#!/usr/bin/env bash
# Builds every Node entry of vite.node.config.ts into dist-node/<name>.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist-node
for entry in $(grep -oP "^  '\K[a-z-]+(?=': 'src/cli/)" vite.node.config.ts); do
  NODE_ENTRY=$entry npx vite build --config vite.node.config.ts --logLevel warn
done
ls dist-node

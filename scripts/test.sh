#!/usr/bin/env bash
# Runs every test from a fresh clone: system packages (Debian, as root), npm packages from the
# lockfile, then type checking, the Node kernel tests and the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-debian.sh
npm ci --no-fund --no-audit
npm test

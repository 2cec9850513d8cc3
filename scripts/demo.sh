#!/usr/bin/env bash
# The first command on a fresh machine: set up, then run the whole pipeline
# on this machine with nothing configured (courier demo).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
npx --no-install courier demo

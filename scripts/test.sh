#!/usr/bin/env bash
# The test command: set up what is missing, then lint, typecheck, build and
# run every test against real Redis (started by the test setup when none
# answers at REDIS_URL), real Chromium, real SMTP and a Bot Connector fake.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
npm test

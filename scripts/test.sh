#!/usr/bin/env bash
# Set up (first run) and run the whole test suite: bash scripts/test.sh [pytest args]
set -euo pipefail
source "$(dirname "$0")/env.sh"
cgan_setup requirements-dev.txt requirements-nodeps.txt
cd "$CGAN_ROOT"
exec "$CGAN_PY" -m pytest "$@"

#!/usr/bin/env bash
# HW3-3 bonus: bash extra_run.sh [INPUT_DIR]  ->  samples/transfer.png
# Rows = the input faces (with no INPUT_DIR: five faces drawn by the release cgan model); columns =
# the input, then the same face with blonde, blue, pink, red, green and black hair (eyes kept).
set -euo pipefail
inputs=()
if [ $# -ge 1 ]; then
    [ -e "$1" ] || { echo "cgan: error: $1: no such file or folder" >&2; exit 2; }
    inputs=("$(cd "$(dirname "$1")" && pwd)/$(basename "$1")")
fi
cd "$(dirname "$0")"
source scripts/env.sh
cgan_setup requirements.txt
"$CGAN_PY" -m cgan transfer ${inputs[@]+"${inputs[@]}"} --ckpt "${CGAN_TRANSFER_CKPT:-transfer}" -o samples/transfer.png

#!/usr/bin/env bash
# HW3-2: bash run_cgan.sh TAGS_FILE  ->  samples/cgan.png (one 64x64 image per line, 5 per row).
# Seeds are fixed (line i uses seed 0 + its id), so the output equals samples/cgan_original.png.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: bash run_cgan.sh TAGS_FILE" >&2; exit 2; }
[ -f "$1" ] || { echo "cgan: error: $1: no such tags file" >&2; exit 2; }
tags="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
cd "$(dirname "$0")"
source scripts/env.sh
cgan_setup requirements.txt
start=$(date +%s%N)
"$CGAN_PY" -m cgan generate "$tags" --ckpt "${CGAN_CKPT:-cgan}" --seed 0 -o samples/cgan.png
echo "run_cgan.sh: wrote $(pwd)/samples/cgan.png in $(( ($(date +%s%N) - start) / 1000000 )) ms"

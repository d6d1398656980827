#!/usr/bin/env bash
# HW3-1: bash run_gan.sh  ->  samples/gan.png (25 images from seeds 0..24, 5 per row, noise scaled by 0.6).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/env.sh
cgan_setup requirements.txt
start=$(date +%s%N)
"$CGAN_PY" -m cgan generate --ckpt "${CGAN_CKPT:-gan}" --n 25 --seed 0 --truncation 0.6 -o samples/gan.png
echo "run_gan.sh: wrote $(pwd)/samples/gan.png in $(( ($(date +%s%N) - start) / 1000000 )) ms"

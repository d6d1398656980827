"""Sentence-encoder speed: 1,000 captions through the plain-torch all-MiniLM-L6-v2 (goal: under 3 s on
this 2-core CPU), and its agreement with the recorded sentence-transformers vectors.

    python bench/text_encoder.py [--n 1000] [--threads 2]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cgan.data.synth_flowers import random_caption  # noqa: E402
from cgan.text.minilm import MiniLM  # noqa: E402


@click.command()
@click.option("--n", default=1000, show_default=True, help="Captions to embed.")
@click.option("--threads", default=2, show_default=True, help="torch threads.")
def main(n: int, threads: int) -> None:
    torch.set_num_threads(threads)
    rng = np.random.RandomState(0)
    captions = [random_caption(rng)[0] for _ in range(n)]
    t0 = time.perf_counter()
    enc = MiniLM()
    load_s = time.perf_counter() - t0
    enc.encode(captions[:32])  # warm-up
    t0 = time.perf_counter()
    emb = enc.encode(captions)
    took = time.perf_counter() - t0
    lengths = [len(enc.token_ids(c)[0]) for c in captions]
    print(f"load: {load_s:.2f} s; {n} captions ({np.mean(lengths):.1f} tokens on average) in {took:.2f} s "
          f"= {n / took:.0f} captions/s with {threads} threads (goal: 1000 in < 3 s)")
    ref = np.load(ROOT / "tests" / "fixtures" / "minilm_reference.npz")
    got = enc.encode([str(c) for c in ref["captions"]])
    cos = (got * ref["embeddings"]).sum(1)
    print(f"vs sentence-transformers on {len(cos)} recorded captions: min cosine {cos.min():.8f}, "
          f"max abs diff {np.abs(got - ref['embeddings']).max():.2e}; embeddings {emb.shape}")


if __name__ == "__main__":
    main()

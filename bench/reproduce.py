"""How far the handout grid moves when the machine changes: threads, batching, fp16 weights, CPU vs GPU.

    python bench/reproduce.py                       # the release model, hw3/testing_tags.txt
    python bench/reproduce.py --train-ckpt runs/x/checkpoint.pt   # also fp32 (training) vs fp16 (exported)

Each line prints the max abs difference in 8-bit levels and the share of values that differ, against
the reference: `cgan generate`'s own path (CPU, one thread, one image at a time). A case that cannot
run here (no GPU, no training checkpoint) prints why instead of a figure.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cgan.checkpoints import export_generator, load_generator  # noqa: E402
from cgan.images import to_uint8  # noqa: E402
from cgan.release import resolve_checkpoint  # noqa: E402
from cgan.sampling import generate, noise, tag_seeds  # noqa: E402
from cgan.tags import read_testing_tags  # noqa: E402


def batched(G, cond, seeds, tags, threads: int, device: str = "cpu") -> np.ndarray:
    """All 25 in one batch, with `threads` threads, on `device`: what a naive script would do."""
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        G = G.to(device)
        with torch.no_grad():
            z = torch.stack([noise(s, G.z_dim) for s in seeds]).to(device)
            c = cond.encode_tags(tags).to(device) if cond.conditional else None
            return to_uint8(G(z, c).cpu())
    finally:
        torch.set_num_threads(old)
        G.to("cpu")


def diff(a: np.ndarray, b: np.ndarray) -> str:
    d = np.abs(a.astype(np.int16) - b.astype(np.int16))
    n = int((d > 0).sum())
    return f"max abs diff {int(d.max())} levels, {n} of {d.size} values differ ({100 * n / d.size:.3f}%)"


@click.command()
@click.option("--ckpt", default="cgan", show_default=True, help="Release name or checkpoint file.")
@click.option("--tags", "tags_file", default=str(ROOT / "hw3" / "testing_tags.txt"), show_default=True,
              help="Tags file (one image per line).")
@click.option("--seed", default=0, show_default=True, help="Base seed.")
@click.option("--train-ckpt", default=None, help="A training checkpoint (fp32): compared with its fp16 export.")
def main(ckpt: str, tags_file: str, seed: int, train_ckpt: str | None) -> None:
    tags = read_testing_tags(tags_file)
    seeds = tag_seeds(tags, seed, tags_file)
    G, cond, _ = load_generator(resolve_checkpoint(ckpt))
    ref = generate(G, cond, seeds, tags)
    print(f"reference: {ckpt}, CPU, 1 thread, one image at a time ({len(ref)} images); torch {torch.__version__}")
    print(f"  again, same process:            {diff(ref, generate(G, cond, seeds, tags))}")
    print(f"  one batch, 1 thread:            {diff(ref, batched(G, cond, seeds, tags, 1))}")
    print(f"  one batch, 2 threads:           {diff(ref, batched(G, cond, seeds, tags, 2))}")
    if torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        print(f"  one batch, GPU ({name}):  {diff(ref, batched(G, cond, seeds, tags, 1, 'cuda'))}")
    else:
        print("  GPU:                            not measured (no CUDA device here)")
    if train_ckpt:
        with tempfile.TemporaryDirectory() as tmp:
            out = {}
            for fp16 in (False, True):
                export_generator(train_ckpt, Path(tmp) / f"g{int(fp16)}.pt", fp16=fp16)
                G2, cond2, _ = load_generator(Path(tmp) / f"g{int(fp16)}.pt")
                out[fp16] = generate(G2, cond2, seeds, tags)
        print(f"  fp32 vs fp16 stored weights:    {diff(out[False], out[True])}")
    else:
        print("  fp32 vs fp16 stored weights:    not measured (pass --train-ckpt)")


if __name__ == "__main__":
    main()

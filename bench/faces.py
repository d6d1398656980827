"""The course's baseline check on a model: faces found by the anime face detector in the 25-image
grid (tight 320x320 layout), over several base seeds. Passing: >= 20 faces.

    python bench/faces.py --ckpt cgan --tags hw3/testing_tags.txt --seeds 10
    python bench/faces.py --ckpt gan --seeds 10

Uses ../shared/data's copy of the cascade when present, else fetches it (pinned sha256).
Also prints the same figure for 25 real images when --real DIR is given (the ceiling).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cgan.checkpoints import load_generator  # noqa: E402
from cgan.faces import PASS_FACES, detect_faces, load_detector  # noqa: E402
from cgan.images import make_grid  # noqa: E402
from cgan.release import resolve_checkpoint  # noqa: E402
from cgan.sampling import generate, tag_seeds  # noqa: E402
from cgan.tags import read_testing_tags  # noqa: E402

SHARED_CASCADE = ROOT.parent / "shared" / "data" / "lbpcascade_animeface" / "lbpcascade_animeface.xml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tags", default=None, help="tags file (conditional models)")
    ap.add_argument("--seeds", type=int, default=10, help="base seeds 0, 1000, 2000, ...")
    ap.add_argument("--real", default=None, help="a tagged image folder: score 10 grids of 25 real images too")
    a = ap.parse_args()
    det = load_detector(SHARED_CASCADE if SHARED_CASCADE.exists() else None)
    G, cond, _ = load_generator(resolve_checkpoint(a.ckpt))
    tags = read_testing_tags(a.tags) if a.tags else None
    counts = []
    for k in range(a.seeds):
        base = 1000 * k
        seeds = tag_seeds(tags, base, a.tags) if tags else [base + i for i in range(25)]
        imgs = generate(G, cond, seeds, tags if cond.conditional else None)
        counts.append(len(detect_faces(make_grid(imgs), det)))
    print(f"{a.ckpt}: faces in the 25-image grid over {a.seeds} seeds: {counts}; mean {np.mean(counts):.1f}, "
          f"min {min(counts)}; pass (>= {PASS_FACES}) on {sum(c >= PASS_FACES for c in counts)}/{a.seeds}")
    if a.real:
        from cgan.data import load_tagged_folder
        data = load_tagged_folder(a.real, log=lambda m: None)
        rng = np.random.RandomState(0)
        real = [len(detect_faces(make_grid(data.images[rng.choice(len(data), 25, replace=False)]), det))
                for _ in range(10)]
        print(f"real images ({a.real}): {real}; mean {np.mean(real):.1f}, min {min(real)}")


if __name__ == "__main__":
    main()

"""Colour transfer quality on real faces the model never saw, judged by the reference classifier.

    python bench/transfer_quality.py [--ckpt transfer] [--data ../shared/data/faces] [--n 200]

For n faces of --data (the handout's faces: the release model trained on the extra data only) and
each of the 12 hair colours as target (eyes: as `cgan transfer --eyes keep`, the colour tagnet reads
on the input; the faces' own eye tags are often wrong), prints:
  * hair hit rate: tagnet reads the target hair colour on the output (the identity's rate beside it:
    how often a face already has that colour);
  * eyes kept: tagnet reads the same eye colour on the output as on the input;
  * change: mean absolute pixel difference to the input (0..255), and the share of pixels that
    moved by more than 32 levels (what the mask repainted).
Skips with a message when the data is absent (a fresh clone).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cgan.course.colors import EYE_COLORS, HAIR_COLORS  # noqa: E402
from cgan.data.tagged import load_tagged_folder  # noqa: E402
from cgan.evaluation.tagnet import load_classifier  # noqa: E402
from cgan.release.manifest import resolve_checkpoint  # noqa: E402
from cgan.transfer.apply import load_transfer, transfer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", default="transfer")
    ap.add_argument("--data", default=str(Path(__file__).resolve().parent.parent.parent / "shared/data/faces"))
    ap.add_argument("--classifier", default="tagnet")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if not Path(a.data).exists():
        print(f"skipped: {a.data} not present (real course data, only on the project's machines)")
        return
    torch.set_num_threads(2)
    data = load_tagged_folder(a.data, log=lambda m: None)
    pick = np.random.RandomState(a.seed).choice(len(data), size=min(a.n, len(data)), replace=False)
    images = data.images[pick]
    G, obj = load_transfer(resolve_checkpoint(a.ckpt))
    clf = load_classifier(resolve_checkpoint(a.classifier))
    before = clf.predict(images)
    eyes = [EYE_COLORS[int(e)] for e in before.eyes]
    print(f"model {a.ckpt}: step {obj.get('step')}; {len(images)} faces of {a.data}; judged by {a.classifier}")
    print(f"{'target hair':>12} {'hit':>6} {'identity':>9} {'eyes kept':>10} {'mean |diff|':>12} {'moved>32':>9}")
    rows = []
    for k, hair in enumerate(HAIR_COLORS):
        out = transfer(G, images, [hair] * len(images), eyes)
        after = clf.predict(out)
        diff = np.abs(out.astype(np.int16) - images.astype(np.int16))
        row = ((after.hair == k).mean(), (before.hair == k).mean(), (after.eyes == before.eyes).mean(),
               diff.mean(), (diff.max(axis=3) > 32).mean())
        rows.append(row)
        print(f"{hair:>12} {row[0]:6.1%} {row[1]:9.1%} {row[2]:10.1%} {row[3]:12.1f} {row[4]:9.1%}")
    m = np.mean(rows, axis=0)
    print(f"{'mean':>12} {m[0]:6.1%} {m[1]:9.1%} {m[2]:10.1%} {m[3]:12.1f} {m[4]:9.1%}")


if __name__ == "__main__":
    main()

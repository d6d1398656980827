"""Cleaning a tagged set with the reference classifier: keep the images whose tags it agrees with.

The faces set's tags were rebuilt from a public per-image table and are noisy (release/tagnet.pt agrees
with 49% of its hair tags and 52% of its eye tags; looking at the images, mostly the tags are wrong).
Tagnet never saw gray eyes (the extra data has none), and the faces set is the only source of them (125
images): those are all kept, their hair tags unjudged; a wrong hair tag on a few images costs less than
losing half of the only gray eyes there are.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from cgan.core.errors import CganError
from cgan.core.files import atomic_write
from cgan.course.colors import EYE_COLORS, EYE_INDEX
from cgan.data.tagged import TaggedImages, image_dir
from cgan.evaluation.tagnet import Classifier

UNJUDGED_EYES = ("gray",)  # eye colours the classifier was never trained on


def agreeing(data: TaggedImages, clf: Classifier) -> np.ndarray:
    """A boolean mask: the classifier reads both tagged colours; or the eyes are a colour it cannot judge."""
    pred = clf.predict(data.images)
    unjudged = np.isin(data.eyes, [EYE_INDEX[e] for e in UNJUDGED_EYES])
    return ((pred.hair == data.hair) & (pred.eyes == data.eyes)) | unjudged


def write_clean_folder(data: TaggedImages, keep: np.ndarray, src: str | Path, out: str | Path) -> int:
    """`out/tags.csv` in the extra data's `id,<hair> hair <eyes> eyes` format for the kept images, and
    `out/images` linking to the source's images (nothing is copied). Returns the number kept."""
    src, out = Path(src), Path(out)
    if out.resolve() == src.resolve():
        raise CganError(f"{out}: the cleaned set must go to another folder than its source")
    out.mkdir(parents=True, exist_ok=True)
    link = out / "images"
    if link.is_symlink() or not link.exists():
        tmp = out / ".images.tmp"
        if tmp.is_symlink():
            tmp.unlink()
        os.symlink(image_dir(src).resolve(), tmp)
        os.replace(tmp, link)
    elif link.resolve() != image_dir(src).resolve():
        raise CganError(f"{link}: exists and is not a link to {image_dir(src)}")
    lines = [f"{r.id},{r.hair} hair {r.eyes} eyes\n" for r, k in zip(data.records, keep) if k]
    atomic_write(out / "tags.csv", lambda f: f.write("".join(lines).encode()))
    return len(lines)


def clean_summary(data: TaggedImages, keep: np.ndarray) -> str:
    gray = np.isin(data.eyes, [EYE_INDEX[e] for e in UNJUDGED_EYES])
    per_eye = {EYE_COLORS[i]: int(keep[data.eyes == i].sum()) for i in np.unique(data.eyes)}
    return (f"kept {int(keep.sum())} of {len(data)} images ({keep.mean():.0%}); "
            f"all {int(gray.sum())} {'/'.join(UNJUDGED_EYES)}-eyes images (not judged); "
            f"kept per eye colour: {per_eye}")

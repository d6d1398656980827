"""Judge images as `cgan eval` does: tag accuracy by the reference classifier, the course's face count,
spread within each tag."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from cgan.api.images import Images
from cgan.api.models import Tags, tag_lines
from cgan.core.errors import CganError
from cgan.evaluation.scoring import evaluate as score
from cgan.evaluation.sources import grid_tiles
from cgan.evaluation.tools import load_eval_tools


@dataclass
class Scores:
    """`tags`: hair, eyes and both accuracy (None without tags); `faces`: faces the course's detector
    finds (None when it could not run, `faces_error` says why) and `faces_pass` (>= 20 of 25);
    `spread`: the mean within-tag feature spread against real images' (below ~0.5 reads as collapse);
    `raw`: everything `cgan eval` writes."""

    tags: dict | None
    faces: int | None
    faces_pass: bool | None
    faces_error: str | None
    spread: float
    raw: dict


def evaluate(images: Images | np.ndarray | str | Path, tags: Tags | None = None, classifier: str = "tagnet",
             faces: bool = True, cascade: str | Path | None = None,
             log: Callable[[str], None] = lambda m: None) -> Scores:
    """Score `images` (an Images, NHWC uint8 pixels, or a grid PNG's path in any layout students used)
    against the `tags` they were asked for (as `Model.generate` takes them; a tags file too). `cascade`:
    the course's face detector file, else fetched once into the cache."""
    if importlib.util.find_spec("scipy") is None:  # said before anything loads, not halfway through scoring
        raise CganError("evaluate() needs scipy (the Fréchet distance of its figures): "
                        "pip install -r requirements-eval.txt")
    submitted = None
    lines = tag_lines(tags) if tags is not None else None
    if isinstance(images, (str, Path)):
        array, _, submitted = grid_tiles(Path(images), len(lines) if lines else None)
    else:
        array = images.array if isinstance(images, Images) else np.asarray(images)
    if lines is not None and len(lines) != len(array):
        raise CganError(f"{len(array)} images but {len(lines)} tags")
    clf, detector, why = load_eval_tools(classifier, faces, Path(cascade) if cascade else None, log,
                                         give_file="evaluate(..., cascade=FILE)")
    raw = score(array, lines, clf, detector, submitted)
    found = raw.get("faces", {})
    return Scores(tags=raw.get("tag_accuracy"), faces=found.get("found"), faces_pass=found.get("pass_ge_20"),
                  faces_error=why if faces else None, spread=raw["diversity"]["feature_ratio"], raw=raw)

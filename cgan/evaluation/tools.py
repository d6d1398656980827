"""What `cgan eval` and `cgan grade` judge with (the reference classifier, the course's face detector), and
`cgan eval`'s whole run: pick the images, score them, write the JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np

from cgan.core.errors import CganError
from cgan.core.files import atomic_write
from cgan.course.tags import TagLine, read_testing_tags
from cgan.data.tagged import load_tagged_folder
from cgan.evaluation.face_detector import load_detector
from cgan.evaluation.inception import fid_kid, reference_features, reference_indices
from cgan.evaluation.scoring import evaluate
from cgan.evaluation.sources import checkpoint_samples, grid_reading, grid_tiles, real_samples
from cgan.evaluation.tagnet import Classifier, load_classifier
from cgan.release.manifest import resolve_checkpoint


def load_eval_tools(classifier: str, faces: bool, cascade: Path | None,
                    log: Callable[[str], None] = lambda m: None,
                    give_file: str = "--cascade FILE") -> tuple[Classifier, object, str | None]:
    """(classifier, detector or None, why the detector is missing or None). A cascade file given that
    cannot be used is an error, said before anything else loads; where none is given, one that cannot be
    fetched (`give_file` says how to pass it instead) or a missing OpenCV leaves the faces uncounted."""
    detector = load_detector(cascade, log=log) if faces and cascade is not None else None
    clf = load_classifier(resolve_checkpoint(classifier, log=log))
    if not faces:
        return clf, None, "--no-faces"
    if detector is None:
        try:
            detector = load_detector(None, log=log, give_file=give_file)
        except CganError as e:
            return clf, None, str(e)
    return clf, detector, None


def images_to_score(grid: Path | None, ckpt: str | None, real_dir: Path | None, tags: list[TagLine] | None,
                    n: int, seed: int, inception_ref: Path | None, inception_n: int,
                    log: Callable[[str], None], tags_path: str = "<tags>") -> tuple[np.ndarray, list[TagLine] | None, dict, np.ndarray | None]:
    """(images, their tags, where they came from, the submitted grid or None): exactly one of a grid,
    a generator (file or release name) or real images of a tagged folder."""
    if sum(x is not None for x in (grid, ckpt, real_dir)) != 1:
        raise CganError("give exactly one of GRID, --ckpt or --real")
    if n < 2:
        raise CganError("--n must be at least 2")
    if grid is not None:
        images, layout, submitted = grid_tiles(grid, len(tags) if tags else None)
        log(grid_reading(grid, len(images), layout))
        return images, tags, {"grid": str(grid), "layout": layout}, submitted
    if ckpt is not None:
        path = resolve_checkpoint(ckpt, log=log)
        images, tags = checkpoint_samples(path, tags, n, seed, tags_path)
        return images, tags, {"checkpoint": str(path), "seed": seed}, None
    real = load_tagged_folder(real_dir, log=log)
    exclude = None
    if inception_ref is not None and Path(inception_ref).resolve() == Path(real_dir).resolve():
        exclude = set(reference_indices(len(real), inception_n).tolist())  # the ceiling is not its own reference
    images, tags = real_samples(real, tags, n, seed, exclude)
    return images, tags, {"real": str(real_dir), "seed": seed}, None


def run_eval(grid: Path | None, tags_file: Path | None, ckpt: str | None, real_dir: Path | None, n: int, seed: int,
             classifier: str, faces: bool, cascade: Path | None, inception_ref: Path | None, inception_n: int,
             out: Path, log: Callable[[str], None] = lambda m: None) -> dict:
    """Every figure of `cgan eval`, also written to `out` as JSON (atomically)."""
    tags = read_testing_tags(tags_file) if tags_file else None
    clf, detector, why = load_eval_tools(classifier, faces, cascade, log)
    images, tags, source, submitted = images_to_score(grid, ckpt, real_dir, tags, n, seed, inception_ref,
                                                       inception_n, log, str(tags_file))
    res = {"source": source, "tags_file": str(tags_file) if tags_file else None,
           **evaluate(images, tags, clf, detector, submitted)}
    if why:
        res["faces_error"] = why
    if inception_ref is not None:
        res["inception"] = fid_kid(images, *reference_features(load_tagged_folder(inception_ref, log=log),
                                                              inception_n, log=log))
    text = json.dumps(res, indent=1)
    atomic_write(out, lambda f: f.write(text.encode()))
    return res

"""`cgan eval`: tag accuracy, diversity / mode collapse, Fréchet distance and the course's face count.

Everything is computed from a batch of images (a grid's tiles, samples of a checkpoint, or real
images for the ceiling) and the reference classifier, whose checkpoint carries the real data's
statistics. The result is a JSON-able dict; `summary_lines` renders it for people.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from cgan.core.images import make_grid
from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.course.tags import TagLine
from cgan.evaluation.face_detector import PASS_FACES, detect_faces
from cgan.evaluation.layouts import course_canvas
from cgan.evaluation.metrics import (
    COLLAPSE_RATIO,
    collapse_flag,
    frechet_from_stats,
    mean_pairwise_distance,
    near_duplicates,
)
from cgan.evaluation.tagnet import Classifier

FD_NOTE = ("Fréchet distance in the tag classifier's pooled features (fd_tagnet): a fast, offline "
           "fallback, not Inception FID; compare it only with figures from the same classifier and N.")


NEAR_DUPLICATE_MAD = 8.0  # mean abs pixel difference (0..255) under which two images count as copies


def _key(hair: str, eyes: str) -> str:
    return f"{hair}|{eyes}"


def tag_accuracy(pred_hair: np.ndarray, pred_eyes: np.ndarray, tags: list[TagLine]) -> dict:
    want_h = np.array([HAIR_COLORS.index(t.hair) for t in tags])
    want_e = np.array([EYE_COLORS.index(t.eyes) for t in tags])
    h, e = pred_hair == want_h, pred_eyes == want_e
    return {"hair": float(h.mean()), "eyes": float(e.mean()), "both": float((h & e).mean()), "n": len(tags)}


def _typical_tag(ref_tags: dict) -> list | None:
    """What one real tag spreads, for a pair the real data never shows (gray eyes in the extra data).
    The whole set's spread would not do: it adds the spread between tags, about twice a tag's own,
    and so halves such a pair's ratio (and flags collapse where there is none)."""
    if not ref_tags:
        return None
    rows = np.array([v for v in ref_tags.values()], np.float64)
    return [int(rows[:, 0].sum()), float(rows[:, 1].mean()), float(rows[:, 2].mean())]


def diversity(images: np.ndarray, features: np.ndarray, groups: dict[str, list[int]], reference: dict,
              threshold: float = COLLAPSE_RATIO) -> dict:
    """Per group: spread in feature space and pixels, over the same figure for real images of that tag
    (a tag without real images: over a typical real tag's; no tags at all: over all real images')."""
    per_tag = []
    ref_tags = reference.get("per_tag", {})
    typical = _typical_tag(ref_tags)
    for key, idx in sorted(groups.items()):
        if len(idx) < 2:
            continue
        if key in ref_tags:
            ref, source = ref_tags[key], "same tag"
        elif key != "all" and typical:
            ref, source = typical, "typical real tag (no real images of this pair)"
        else:
            ref, source = reference.get("all"), "all real images"
        feat = mean_pairwise_distance(features[idx])
        pix = mean_pairwise_distance(images[idx].astype(np.float64))
        row = {"tags": key.replace("|", " hair ") + (" eyes" if "|" in key else ""), "n": len(idx),
               "feature_spread": feat, "pixel_spread": pix,
               "feature_ratio": feat / ref[1] if ref and ref[1] > 0 else float("nan"),
               "pixel_ratio": pix / ref[2] if ref and ref[2] > 0 else float("nan"),
               "near_duplicates": near_duplicates(images[idx], NEAR_DUPLICATE_MAD),
               "reference": source}
        row["collapse"] = collapse_flag(row["feature_ratio"], threshold)
        per_tag.append(row)
    ratios = [r["feature_ratio"] for r in per_tag if not math.isnan(r["feature_ratio"])]
    pix = [r["pixel_ratio"] for r in per_tag if not math.isnan(r["pixel_ratio"])]
    mean_ratio = float(np.mean(ratios)) if ratios else float("nan")
    return {"feature_ratio": mean_ratio, "pixel_ratio": float(np.mean(pix)) if pix else float("nan"),
            "near_duplicates": int(sum(r["near_duplicates"] for r in per_tag)),
            "collapse": bool(ratios) and collapse_flag(mean_ratio, threshold),
            "collapsed_tags": [r["tags"] for r in per_tag if r["collapse"]],
            "threshold": threshold, "per_tag": per_tag}


def count_faces(images: np.ndarray, detector, submitted: np.ndarray | None = None) -> dict:
    """The course's detector on the course canvas (its matplotlib figure, rebuilt), on our tight
    grid, and on the PNG as submitted when there is one. The pass rule reads the submitted PNG
    (what the course ran it on), else the course canvas."""
    res: dict = {"tight_grid": int(len(detect_faces(make_grid(images), detector)))}
    if len(images) == 25:
        boxes = detect_faces(course_canvas(images), detector)
        res["course_canvas"] = int(len(boxes))
        res["canvas_boxes"] = boxes.tolist()
    if submitted is not None:
        boxes = detect_faces(submitted, detector)
        res["submitted"] = int(len(boxes))
        res["boxes"] = boxes.tolist()
    judged = "submitted" if submitted is not None else "course_canvas" if "course_canvas" in res else "tight_grid"
    res.update(judged_on=judged, found=res[judged], pass_ge_20=res[judged] >= PASS_FACES,
               pass_gt_20=res[judged] > PASS_FACES)
    return res


def evaluate(images: np.ndarray, tags: list[TagLine] | None, clf: Classifier, detector=None,
             submitted: np.ndarray | None = None) -> dict:
    """All figures for NHWC uint8 `images` (with the tags they were asked for, if any).

    `detector`: the course's face cascade, or None to skip the face count; `submitted`: the grid
    PNG the images were cut from, whose face count the course's rule reads.
    """
    if tags is not None and len(tags) != len(images):
        raise ValueError(f"{len(images)} images but {len(tags)} tag lines")
    p = clf.predict(images)
    ref = clf.reference
    out: dict = {"images": int(len(images)),
                 "classifier": {"path": clf.path, "heldout": clf.heldout,
                                "trained_on": clf.info.get("data", {}).get("data")}}
    groups: dict[str, list[int]] = defaultdict(list)
    if tags is not None:
        out["tag_accuracy"] = tag_accuracy(p.hair, p.eyes, tags)
        for i, t in enumerate(tags):
            groups[_key(t.hair, t.eyes)].append(i)
    else:
        groups["all"] = list(range(len(images)))
    out["diversity"] = diversity(images, p.features, groups, ref)
    out["per_image"] = [{"index": i, "id": tags[i].id if tags else str(i),
                         "asked": tags[i].text if tags else None,
                         "hair": HAIR_COLORS[p.hair[i]], "eyes": EYE_COLORS[p.eyes[i]],
                         "ok_hair": bool(tags and tags[i].hair == HAIR_COLORS[p.hair[i]]),
                         "ok_eyes": bool(tags and tags[i].eyes == EYE_COLORS[p.eyes[i]])}
                        for i in range(len(images))]
    if "mu" in ref and len(images) >= 2:
        mu, sigma = np.asarray(ref["mu"], np.float64), np.asarray(ref["sigma"], np.float64)
        value = frechet_from_stats(p.features.mean(0), np.cov(p.features, rowvar=False), mu, sigma)
        out["fd_tagnet"] = {"value": value, "n": int(len(images)), "reference_n": ref.get("n"), "note": FD_NOTE}
    if detector is not None:
        out["faces"] = count_faces(images, detector, submitted)
    return out

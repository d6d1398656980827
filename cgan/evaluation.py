"""`cgan eval`: tag accuracy, diversity / mode collapse, Fréchet distance and the course's face count.

Everything is computed from a batch of images (a grid's tiles, samples of a checkpoint, or real
images for the ceiling) and the reference classifier, whose checkpoint carries the real data's
statistics. The result is a JSON-able dict; `summary_lines` renders it for people.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from cgan.classifier import Classifier
from cgan.colors import EYE_COLORS, HAIR_COLORS
from cgan.metrics import COLLAPSE_RATIO, collapse_flag, frechet_from_stats, mean_pairwise_distance, near_duplicates
from cgan.tags import TagLine

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


def diversity(images: np.ndarray, features: np.ndarray, groups: dict[str, list[int]], reference: dict,
              threshold: float = COLLAPSE_RATIO) -> dict:
    """Per group: spread in feature space and pixels, over the same figure for real images of that tag."""
    per_tag = []
    ref_tags = reference.get("per_tag", {})
    for key, idx in sorted(groups.items()):
        if len(idx) < 2:
            continue
        ref = ref_tags.get(key) or reference.get("all")
        feat = mean_pairwise_distance(features[idx])
        pix = mean_pairwise_distance(images[idx].astype(np.float64))
        row = {"tags": key.replace("|", " hair ") + (" eyes" if "|" in key else ""), "n": len(idx),
               "feature_spread": feat, "pixel_spread": pix,
               "feature_ratio": feat / ref[1] if ref and ref[1] > 0 else float("nan"),
               "pixel_ratio": pix / ref[2] if ref and ref[2] > 0 else float("nan"),
               "near_duplicates": near_duplicates(images[idx], NEAR_DUPLICATE_MAD),
               "reference": "same tag" if key in ref_tags else "all real images"}
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
    from cgan.faces import PASS_FACES, detect_faces
    from cgan.images import make_grid
    from cgan.layouts import course_canvas

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


def _pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"


def summary_lines(res: dict) -> list[str]:
    """The figures a person reads first, one per line."""
    lines = [f"images: {res['images']}"]
    h = res["classifier"].get("heldout", {})
    if h:
        lines.append(f"classifier: {res['classifier']['path']} (held-out hair {_pct(h.get('hair'))}, "
                     f"eyes {_pct(h.get('eyes'))}, both {_pct(h.get('both'))} on {h.get('n')} held-out images)")
    if "tag_accuracy" in res:
        a = res["tag_accuracy"]
        lines.append(f"tag accuracy: hair {_pct(a['hair'])}, eyes {_pct(a['eyes'])}, both {_pct(a['both'])}")
    d = res["diversity"]
    flag = "COLLAPSE" if d["collapse"] else "ok"
    lines.append(f"diversity: feature ratio {d['feature_ratio']:.2f}, pixel ratio {d['pixel_ratio']:.2f} "
                 f"(vs real images of the same tag; collapse under {d['threshold']}), "
                 f"near-duplicate pairs {d['near_duplicates']}: {flag}")
    if d["collapsed_tags"]:
        lines.append(f"collapsed tags: {', '.join(d['collapsed_tags'])}")
    if "fd_tagnet" in res:
        f = res["fd_tagnet"]
        lines.append(f"fd_tagnet: {f['value']:.2f} (N={f['n']} vs {f['reference_n']} real; classifier features, "
                     "not Inception FID)")
    if "faces" in res:
        f = res["faces"]
        where = ", ".join(f"{k.replace('_', ' ')} {f[k]}" for k in ("submitted", "course_canvas", "tight_grid") if k in f)
        lines.append(f"course faces: {where}; on the {f['judged_on'].replace('_', ' ')}: "
                     f">= 20 {'pass' if f['pass_ge_20'] else 'FAIL'}, > 20 {'pass' if f['pass_gt_20'] else 'FAIL'}")
    elif "faces_error" in res:
        lines.append(f"course faces: not counted ({res['faces_error']})")
    if "inception" in res:
        i = res["inception"]
        lines.append(f"Inception FID {i['fid']:.1f}, KID {i['kid'] * 1000:.2f} x 1e-3 (+- {i['kid_std'] * 1000:.2f}) "
                     f"at N={i['n']} vs {i['reference']['n']} real images of {i['reference']['data']}")
    return lines


def read_grid(path) -> np.ndarray:
    """A grid image as an HWC uint8 array (RGB or RGBA as stored)."""
    from PIL import Image, UnidentifiedImageError

    from cgan.errors import CganError
    from cgan.images import as_array

    try:
        with Image.open(path) as im:
            return as_array(im)
    except FileNotFoundError:
        raise CganError(f"{path}: no such image") from None
    except (UnidentifiedImageError, OSError) as e:
        raise CganError(f"{path}: not a readable image ({e})") from None


def grid_tiles(path, n: int | None = None) -> tuple[np.ndarray, str, np.ndarray]:
    """(the first `n` of the 25 tiles as 64x64 images, the layout found, the grid as read) of a grid
    PNG in any layout students used: tight, matplotlib canvases, torchvision padding, odd sizes."""
    from cgan.errors import CganError
    from cgan.layouts import find_tiles

    grid = read_grid(path)
    try:
        tiles, layout = find_tiles(grid)
    except CganError as e:
        raise CganError(f"{path}: {e}") from None
    if n is not None:
        if n > len(tiles):
            raise CganError(f"{path}: {len(tiles)} tiles for {n} tag lines")
        tiles = tiles[:n]
    return tiles, layout, grid


def checkpoint_samples(ckpt, tags: list[TagLine] | None, n: int, seed: int = 0,
                       tags_path: str = "<tags>") -> tuple[np.ndarray, list[TagLine] | None]:
    """Images from a generator file: see `generator_samples`."""
    from cgan.checkpoints import load_generator

    G, cond, _ = load_generator(ckpt)
    return generator_samples(G, cond, tags, n, seed, tags_path)


def generator_samples(G, cond, tags: list[TagLine] | None, n: int, seed: int = 0,
                      tags_path: str = "<tags>") -> tuple[np.ndarray, list[TagLine] | None]:
    """Images from a loaded generator: one per tag line, or `n` spread evenly over the pairs it was trained on."""
    from cgan.errors import CganError
    from cgan.sampling import generate, tag_seeds

    if cond.kind == "sentence":
        raise CganError("this is a sentence model: cgan eval scores hair/eye tags; judge it with generate --text-file")
    if not cond.conditional:
        seeds = tag_seeds(tags, seed, tags_path) if tags else [seed + k for k in range(n)]
        return generate(G, cond, seeds), None
    if tags is None:
        k = len(cond.pairs)
        tags = [TagLine(str(i), *cond.pairs[i % k]) for i in range(n)]
    return generate(G, cond, tag_seeds(tags, seed, tags_path), tags, path=tags_path), tags


def real_samples(data, tags: list[TagLine] | None, n: int, seed: int = 0,
                 exclude: set[int] | None = None) -> tuple[np.ndarray, list[TagLine]]:
    """Real images as the ceiling: one distinct image per tag line, or `n` drawn at random
    (never one of `exclude`, e.g. the images an Inception reference was computed on)."""
    from cgan.errors import CganError

    rng = np.random.RandomState(seed)
    allowed = np.array([i for i in range(len(data)) if not exclude or i not in exclude])
    if tags is None:
        idx = rng.choice(allowed, min(n, len(allowed)), replace=False)
        return data.images[idx], [data.records[i] for i in idx]
    by_pair: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in allowed:
        by_pair[data.records[i].pair].append(int(i))
    used: dict[tuple[str, str], list[int]] = {}
    picks = []
    for t in tags:
        pool = by_pair.get(t.pair)
        if not pool:
            raise CganError(f"{data.summary.get('data')}: no real image tagged '{t.text}'")
        if not used.get(t.pair):  # first use of this pair, or all its images used once
            used[t.pair] = list(rng.permutation(pool))
        picks.append(used[t.pair].pop())
    return data.images[np.array(picks)], tags

"""The release bar: what a model must show to stand beside the bundled `cgan`, judged on one generator.

Five handout grids (base seeds 0, 1000, ...: every tag right on seed 0's, >= 0.96 on average, >= 24
faces on each, course canvas), N samples spread over all 132 (hair, eyes) pairs (both tags right on >=
0.95 of them, leaving out gray eyes, which the reference classifier never saw; within-tag spread >= 0.8
of real images' with no near-duplicates), and Inception KID <= 0.05 on 500 of those samples.
bench/time_to_quality.py times recipes to it; bench/quality.py prints the same columns.
"""

from __future__ import annotations

from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.course.tags import TagLine
from cgan.evaluation.inception import fid_kid
from cgan.evaluation.scoring import count_faces, evaluate, tag_accuracy
from cgan.evaluation.sources import generator_samples

RELEASE_BAR = {"handout_seed0_both": 1.0, "handout_mean_both": 0.96, "handout_seeds": 5, "faces_min": 24,
               "pairs_both": 0.95, "pairs_n": 500, "spread_ratio": 0.8, "near_duplicates": 0, "kid": 0.05,
               "kid_n": 500}


def spread(pairs: list[tuple[str, str]], n: int) -> list[TagLine]:
    """n tag lines over `pairs`, in turn."""
    return [TagLine(str(i), *pairs[i % len(pairs)]) for i in range(n)]


def all_pairs(n: int) -> list[TagLine]:
    """n tag lines over the 132 (hair, eyes) pairs, in turn."""
    return spread([(h, e) for h in HAIR_COLORS for e in EYE_COLORS], n)


def release_bar(G, cond, clf, detector, tags: list[TagLine], tags_path: str, inception_ref: tuple | None = None,
                bar: dict = RELEASE_BAR, staged: bool = True) -> dict:
    """The bar's figures for G and whether it passes (`release_bar`). `staged`: stop at the first part
    that fails (the dearer parts, 132 pairs and KID, only run for a model that passed the cheaper ones);
    without a face `detector` the faces, and without `inception_ref` KID, are not measured, and the bar
    cannot pass."""
    boths, faces = [], []
    for k in range(bar["handout_seeds"]):
        images, _ = generator_samples(G, cond, tags, len(tags), 1000 * k, tags_path)
        p = clf.predict(images)
        boths.append(tag_accuracy(p.hair, p.eyes, tags)["both"])
        faces.append(count_faces(images, detector)["course_canvas"] if detector is not None else None)
    out: dict = {"handout_both": [round(b, 3) for b in boths], "handout_mean_both": round(sum(boths) / len(boths), 3),
                 "faces": faces}
    checks = [boths[0] >= bar["handout_seed0_both"], out["handout_mean_both"] >= bar["handout_mean_both"],
              None not in faces and min(faces) >= bar["faces_min"]]
    if staged and not all(checks) or not cond.conditional or cond.kind != "multi":
        return {**out, "release_bar": False}
    every = all_pairs(bar["pairs_n"])
    images, _ = generator_samples(G, cond, every, len(every), 0, "<all pairs>")
    res = evaluate(images, every, clf)
    judged = [i for i, t in enumerate(every) if t.eyes != "gray"]
    acc = evaluate(images[judged], [every[i] for i in judged], clf)["tag_accuracy"]
    div = res["diversity"]
    out.update(pairs_hair=round(acc["hair"], 4), pairs_eyes=round(acc["eyes"], 4), pairs_both=round(acc["both"], 4),
               spread_ratio=round(div["feature_ratio"], 3), near_duplicates=int(div["near_duplicates"]))
    checks += [acc["both"] >= bar["pairs_both"], div["feature_ratio"] >= bar["spread_ratio"],
               div["near_duplicates"] <= bar["near_duplicates"]]
    if staged and not all(checks) or inception_ref is None:
        return {**out, "release_bar": False}
    ik = fid_kid(images[::max(1, len(images) // bar["kid_n"])][:bar["kid_n"]], *inception_ref)
    out.update(kid=round(ik["kid"], 4), fid=round(ik["fid"], 1))
    return {**out, "release_bar": all(checks) and ik["kid"] <= bar["kid"]}

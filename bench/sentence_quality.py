"""A sentence model of the anime faces, measured on phrasings it never read in training.

    python bench/sentence_quality.py --ckpt sentence [--n 1056] [--grid docs/sentences.png]

For N samples spread over all 132 (hair, eyes) pairs, each prompt is one of the held-out templates
(cgan/text/tag_captions.py): tag accuracy by the reference classifier (eyes leave out gray, which it
never saw), the diversity ratio and near-duplicates; the course's face detector on 10 grids of the
handout's 25 tags said in held-out words; and what prompts that name no colour, or something else
entirely, give (the colours the classifier reads, printed; their rows in the grid). Sentence shapes
never trained on, family by family: bench/phrasing_quality.py.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cgan.core.images import make_grid, save_png  # noqa: E402
from cgan.course.colors import EYE_COLORS, HAIR_COLORS  # noqa: E402
from cgan.course.tags import TagLine, read_testing_tags  # noqa: E402
from cgan.evaluation.scoring import count_faces, evaluate  # noqa: E402
from cgan.evaluation.tagnet import load_classifier  # noqa: E402
from cgan.gan.build import load_generator  # noqa: E402
from cgan.gan.sentence_grids import sentence_grid  # noqa: E402
from cgan.release.manifest import resolve_checkpoint  # noqa: E402
from cgan.text.prompts import plan_rows  # noqa: E402
from cgan.text.tag_captions import HELDOUT_TEMPLATES, heldout_caption  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
OFF_TOPIC = ("a girl", "an anime character with long hair", "a cat sitting on a sofa", "a red sports car",
             "purple", "hair and eyes")
SHOWN = ("a girl with long pink hair and red eyes", "a cute girl: blonde hair, blue eyes",
         "the character has green hair and purple eyes", "draw someone whose hair is white and whose eyes are gray")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", default="sentence", help="sentence model: file or release name")
    ap.add_argument("--n", type=int, default=1056, help="samples over all 132 pairs (8 each by default)")
    ap.add_argument("--classifier", default="tagnet")
    ap.add_argument("--grid", type=Path, default=None, help="also write a grid of shown and off-topic prompts")
    a = ap.parse_args()
    cascade = SHARED / "lbpcascade_animeface" / "lbpcascade_animeface.xml"
    import torch

    torch.set_num_threads(2)
    G, cond, _ = load_generator(resolve_checkpoint(a.ckpt))
    if cond.kind != "sentence":
        raise SystemExit(f"{a.ckpt}: not a sentence model ({cond.kind})")
    clf = load_classifier(resolve_checkpoint(a.classifier))
    pairs = [(h, e) for h in HAIR_COLORS for e in EYE_COLORS]
    tags = [TagLine(str(i), *pairs[i % len(pairs)]) for i in range(a.n)]
    prompts = [heldout_caption(t.hair, t.eyes, i // len(pairs)) for i, t in enumerate(tags)]
    images = sentence_grid(G, cond, prompts, list(range(a.n)), 8, seed=0).rendered.images
    res = evaluate(images, tags, clf)
    judged = [i for i, t in enumerate(tags) if t.eyes != "gray"]
    acc = evaluate(images[judged], [tags[i] for i in judged], clf)["tag_accuracy"]
    d = res["diversity"]
    print(f"{a.ckpt}: {a.n} samples over {len(pairs)} pairs, prompts from the {len(HELDOUT_TEMPLATES)} held-out templates")
    print(f"  tags (eyes without gray): hair {acc['hair']:.1%}, eyes {acc['eyes']:.1%}, both {acc['both']:.1%}")
    print(f"  diversity: feature ratio {d['feature_ratio']:.2f}, near-duplicate pairs {d['near_duplicates']}, "
          f"collapse {d['collapse']}")
    if cascade.is_file():
        from cgan.evaluation.face_detector import load_detector

        det = load_detector(cascade)
        handout = read_testing_tags(ROOT / "hw3" / "testing_tags.txt")
        faces = []
        for k in range(10):
            ps = [heldout_caption(t.hair, t.eyes, k) for t in handout]
            ims = sentence_grid(G, cond, ps, [int(t.id) for t in handout], 5, seed=1000 * k).rendered.images
            faces.append(count_faces(ims, det)["course_canvas"])
        print(f"  course faces on 10 handout grids (held-out words): mean {np.mean(faces):.1f}, min {min(faces)}")
    rows = plan_rows(list(SHOWN) + list(OFF_TOPIC), 8)
    shown = sentence_grid(G, cond, *rows, seed=0).rendered.images
    p = clf.predict(shown)
    for j, text in enumerate(list(SHOWN) + list(OFF_TOPIC)):
        read = Counter(f"{HAIR_COLORS[h]}/{EYE_COLORS[e]}" for h, e in zip(p.hair[j * 8:(j + 1) * 8], p.eyes[j * 8:(j + 1) * 8]))
        print(f"  {text!r}: read as {dict(read.most_common(3))}")
    if a.grid:
        save_png(make_grid(shown, cols=8), a.grid)
        print(f"wrote {a.grid}")


if __name__ == "__main__":
    main()

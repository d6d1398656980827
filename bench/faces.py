"""The course's baseline check on a model: faces found by the anime face detector in the 25-image
grid, on the course's 640x480 matplotlib canvas (where the course ran it) and on our tight
320x320 grid, over several base seeds. Passing: >= 20 faces on the canvas.

    python bench/faces.py --ckpt cgan --tags hw3/testing_tags.txt --seeds 10
    python bench/faces.py --ckpt gan --seeds 20 --truncation 1,0.8,0.7,0.6   # a row per noise scale
    python bench/faces.py --ckpt gan --seeds 20 --truncation 0.6 --offset 500  # seeds 500..524, 1500..1524, ...

Uses ../shared/data's copy of the cascade when present, else fetches it (pinned sha256).
Also prints the same figure for 25 real images when --real DIR is given (the ceiling).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from results_page import add_docs_options, write_table  # noqa: E402

from cgan.course.tags import read_testing_tags  # noqa: E402
from cgan.evaluation.face_detector import PASS_FACES, load_detector  # noqa: E402
from cgan.evaluation.scoring import count_faces  # noqa: E402
from cgan.gan.build import load_generator  # noqa: E402
from cgan.gan.sampling import generate  # noqa: E402
from cgan.gan.seeds import tag_seeds  # noqa: E402
from cgan.release.manifest import resolve_checkpoint  # noqa: E402

SHARED_CASCADE = ROOT.parent / "shared" / "data" / "lbpcascade_animeface" / "lbpcascade_animeface.xml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tags", default=None, help="tags file (conditional models)")
    ap.add_argument("--seeds", type=int, default=10, help="base seeds 0, 1000, 2000, ...")
    ap.add_argument("--offset", type=int, default=0, help="added to every base seed: another family of seed sets")
    ap.add_argument("--truncation", default="1", help="noise scales, as cgan generate --truncation (comma-separated: "
                                                      "a row each; run_gan.sh's: 0.6)")
    ap.add_argument("--real", default=None, help="a tagged image folder: score 10 grids of 25 real images too")
    add_docs_options(ap)
    a = ap.parse_args()
    det = load_detector(SHARED_CASCADE if SHARED_CASCADE.exists() else None)
    G, cond, _ = load_generator(resolve_checkpoint(a.ckpt))
    tags = read_testing_tags(a.tags) if a.tags else None
    rows = []
    for psi in [float(x) for x in a.truncation.split(",")]:
        found = []
        for k in range(a.seeds):
            base = 1000 * k + a.offset
            seeds = tag_seeds(tags, base, a.tags) if tags else [base + i for i in range(25)]
            found.append(count_faces(generate(G, cond, seeds, tags if cond.conditional else None, truncation=psi), det))
        name = a.ckpt + (f", truncation {psi:g}" if psi != 1.0 else "") + (f", seeds + {a.offset}" if a.offset else "")
        rows += report(name, found)
    if a.real:
        from cgan.data.tagged import load_tagged_folder
        data = load_tagged_folder(a.real, log=lambda m: None)
        rng = np.random.RandomState(0)
        rows += report(f"real images ({a.real})",
                       [count_faces(data.images[rng.choice(len(data), 25, replace=False)], det) for _ in range(10)])
    if a.docs:
        head = ["| images | layout | faces per grid | mean | min | grids with >= 20 |", "|---|---|---|---|---|---|"]
        write_table(a.docs_page, a.docs, "\n".join(head + rows))


def report(what: str, found: list[dict]) -> list[str]:
    """Print each layout's counts; return them as markdown table rows."""
    rows = []
    for layout in ("course_canvas", "tight_grid"):
        c = [f[layout] for f in found]
        print(f"{what}, {layout.replace('_', ' ')}: {c}; mean {np.mean(c):.1f}, min {min(c)}; "
              f">= {PASS_FACES} on {sum(x >= PASS_FACES for x in c)}/{len(c)}, > {PASS_FACES} on "
              f"{sum(x > PASS_FACES for x in c)}/{len(c)}")
        rows.append(f"| {what} | {layout.replace('_', ' ')} | {', '.join(map(str, c))} | {np.mean(c):.1f} | "
                    f"{min(c)} | {sum(x >= PASS_FACES for x in c)}/{len(c)} |")
    return rows


if __name__ == "__main__":
    main()

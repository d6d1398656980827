"""The grader's own cost over a class: 60 quick, good submissions graded with --jobs 2.

    python bench/grade_class.py [--n 60] [--jobs 2]

Each submission draws 25 procedural faces for the handout tags (~0.5 s of its own run). Prints the
total time, the submissions' own run time, and the grader's overhead per submission (copy, sandbox
set-up, checks, metrics, report): (total x jobs - sum of runs) / n.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from grading_corpus import _submission  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--faces", action="store_true", help="also count faces (the cascade must be cached or fetchable)")
    a = ap.parse_args()
    import pandas as pd
    from click.testing import CliRunner

    from cgan.cli import cli
    from cgan.grading.sandbox import namespaces_available

    tags = ROOT / "hw3" / "testing_tags.txt"
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "subs"
        for k in range(a.n):
            _submission(subs, f"student{k:03d}", "python gen.py \"$1\"\n", tags)
        t0 = time.time()
        r = CliRunner().invoke(cli, ["grade", str(subs), "--tags", str(tags), "--out", str(Path(tmp) / "grades"),
                                     "--jobs", str(a.jobs), "--time-limit", "60", "--parts", "cgan"] + ([] if a.faces else ["--no-faces"]))
        total = time.time() - t0
        if r.exit_code != 0:
            print(r.output)
            raise SystemExit(1)
        df = pd.read_csv(Path(tmp) / "grades" / "grades.csv")
    runs = df["cgan_run_s"].sum()
    print(f"isolation: {namespaces_available() or 'namespaces'}; verdicts: {df['verdict_cgan'].value_counts().to_dict()}")
    print(f"{a.n} submissions, --jobs {a.jobs}: {total:.1f} s in all; their own runs {runs:.1f} s "
          f"(mean {runs / a.n:.2f} s); grader overhead {(total * a.jobs - runs) / a.n:.2f} s per submission")


if __name__ == "__main__":
    main()

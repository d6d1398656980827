"""Wall time of the submission scripts as a TA runs them: `bash run_cgan.sh hw3/testing_tags.txt`, `bash run_gan.sh`.

    python bench/run_scripts.py [--repeat 3]

cold: the first run in a fresh copy of the repository with an empty $CGAN_CACHE (the virtual
environment already set up: that one-off pip install depends on the network, not on cgan);
warm: the median of the next runs. Goal: warm under 5 s on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from helpers import tracked_copy  # noqa: E402


def run(repo: Path, args: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(["bash", *args], cwd=repo, env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = tracked_copy(Path(tmp) / "repo")
        env = {**os.environ, "CGAN_PYTHON": sys.executable, "CGAN_CACHE": str(Path(tmp) / "cache")}
        for script, args in (("run_cgan.sh", ["hw3/testing_tags.txt"]), ("run_gan.sh", [])):
            cold = run(repo, [script, *args], env)
            warm = [run(repo, [script, *args], env) for _ in range(a.repeat)]
            same = (repo / "samples" / f"{script[4:-3]}.png").read_bytes() == \
                (repo / "samples" / f"{script[4:-3]}_original.png").read_bytes()
            print(f"{script:12s} cold {cold:5.2f} s   warm {statistics.median(warm):5.2f} s (median of {a.repeat})"
                  f"   equals *_original.png: {same}")


if __name__ == "__main__":
    main()

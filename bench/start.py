"""Start-up cost of the homework script: warm `bash run_cgan.sh hw3/testing_tags.txt` against the floor
`python -c "import torch"`, measured in the same run, and where the script's time goes.

    python bench/start.py [--runs 3] [--tags hw3/testing_tags.txt]
    git archive REV | tar -x -C /tmp/before && python bench/start.py --before /tmp/before

Prints the median wall time of --runs warm runs of each (interleaved, so a busy machine slows both
alike), their ratio, each one's peak RSS, and a breakdown of one `cgan generate` in phases (median
over --runs fresh processes): import numpy, the cgan imports, finding and reading the
checkpoint, its weights into the numpy generator, the float64 forward passes, the PNG (the command
imports no torch: gan/numpy_generator.py; the breakdown checks that too). Afterwards the
grid is compared with samples/cgan_original.png (it must stay byte-identical). --before DIR also times
another checkout's run_cgan.sh (an earlier commit) in the same rounds. Run it on a quiet machine: the
ratios are the figures, the seconds move with the load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from results_page import cpu_name  # noqa: E402

# One `cgan generate` in a fresh process, timed phase by phase (the same calls the command makes).
PHASES = r"""
import json, sys, time
t = [time.perf_counter()]
import numpy
t.append(time.perf_counter())
import click
from cgan.cli import cli
cli.get_command(click.Context(cli), "generate")
from cgan.core.checkpoint_arrays import read_checkpoint_arrays
from cgan.core.images import save_grid
from cgan.core.malloc import keep_freed_memory
from cgan.course.tags import read_testing_tags
from cgan.gan.numpy_generator import NumpyGenerator
from cgan.gan.seeds import tag_seeds
from cgan.release.manifest import resolve_checkpoint
keep_freed_memory()
t.append(time.perf_counter())
path = resolve_checkpoint("cgan")
obj = read_checkpoint_arrays(path)
t.append(time.perf_counter())
G = NumpyGenerator.from_checkpoint(obj)
t.append(time.perf_counter())
tags = read_testing_tags(sys.argv[1])
rendered = G.rendered(tag_seeds(tags, 0), tags)
t.append(time.perf_counter())
save_grid(rendered.images, sys.argv[2])
t.append(time.perf_counter())
assert "torch" not in sys.modules
print(json.dumps([b - a for a, b in zip(t, t[1:])]))
"""
PHASE_NAMES = ["import numpy", "cgan imports (generate's)", "find + read checkpoint", "weights -> numpy generator",
               "float64 forward passes (25 images)", "PNG encode + write"]


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, str]:
    """(wall seconds, stdout) of one run."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = p.communicate()
    wall = time.perf_counter() - t
    if p.returncode:
        sys.exit(f"start: error: {' '.join(cmd)} exited {p.returncode}: {err.decode().strip()[-500:]}")
    return wall, out.decode()


def peak_rss_mib(cmd: list[str]) -> float:
    """Peak RSS of one run of `cmd` (its largest process), in MiB: ru_maxrss of a helper's children is
    the largest of them, and the helper runs nothing else."""
    code = ("import resource, subprocess, sys\nsubprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, "
            "stderr=subprocess.DEVNULL)\nr = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
            "print(r / 1024 if sys.platform != 'darwin' else r / 2**20)")
    return float(subprocess.run([sys.executable, "-c", code, *cmd], cwd=ROOT, check=True, capture_output=True,
                                text=True).stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="warm runs of each, and of the breakdown")
    ap.add_argument("--tags", default="hw3/testing_tags.txt")
    ap.add_argument("--before", type=Path, default=None, help="another checkout whose run_cgan.sh is timed alongside")
    a = ap.parse_args()
    py = os.environ.get("CGAN_PYTHON") or str(ROOT / ".venv" / "bin" / "python")
    if not Path(py).exists():
        py = sys.executable
    env = {**os.environ, "CGAN_PYTHON": py}  # run_cgan.sh uses this interpreter, as the floor does
    floor_cmd = [py, "-c", "import torch"]
    script_cmd = ["bash", "run_cgan.sh", a.tags]
    before_cmd = ["bash", str(a.before / "run_cgan.sh"), str(ROOT / a.tags)] if a.before else None
    for cmd in filter(None, (script_cmd, before_cmd)):
        timed(cmd, env)  # warm: the venv check, the page cache, Python's bytecode
    floor, script, before = [], [], []
    for _ in range(a.runs):
        floor.append(timed(floor_cmd, env)[0])
        script.append(timed(script_cmd, env)[0])
        if before_cmd:
            before.append(timed(before_cmd, env)[0])
    f, s = statistics.median(floor), statistics.median(script)
    same = (ROOT / "samples" / "cgan.png").read_bytes() == (ROOT / "samples" / "cgan_original.png").read_bytes()
    rss_floor, rss_script = peak_rss_mib(floor_cmd), peak_rss_mib(script_cmd)
    phases = []
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"cgan-start-{os.getpid()}.png"
    try:
        for _ in range(a.runs):
            phases.append(json.loads(timed([py, "-c", PHASES, a.tags, str(out)], env)[1].splitlines()[-1]))
    finally:
        out.unlink(missing_ok=True)
    med = [statistics.median(p[i] for p in phases) for i in range(len(PHASE_NAMES))]
    print(f"{cpu_name()}; medians of {a.runs} warm runs, measured in this run")
    for name, m, rss, runs in (("python -c 'import torch'", f, rss_floor, floor),
                               (f"bash run_cgan.sh {a.tags}", s, rss_script, script)):
        print(f"  {name:40s} {m:6.2f} s   peak RSS {rss:5.0f} MiB   runs {', '.join(f'{x:.2f}' for x in runs)}")
    print(f"  ratio {s / f:.2f}x the floor (goal <= 1.3x); samples/cgan.png "
          f"{'byte-identical to' if same else 'DIFFERS from'} samples/cgan_original.png")
    if before:
        b = statistics.median(before)
        print(f"  {str(a.before) + '/run_cgan.sh':40s} {b:6.2f} s   peak RSS {peak_rss_mib(before_cmd):5.0f} MiB   "
              f"runs {', '.join(f'{x:.2f}' for x in before)}   ratio {b / f:.2f}x the floor")
    print(f"one `cgan generate` by phase (median of {a.runs} fresh processes):")
    for name, v in zip(PHASE_NAMES, med):
        print(f"  {name:42s} {v:6.3f} s")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()

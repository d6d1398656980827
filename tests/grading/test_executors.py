"""`cgan grade --executor submitit-local`: a real array of processes through submitit, one task killed
mid-run and graded by the next run (what a Slurm node failure or a pre-empted task looks like)."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT
from grading_corpus import build_slow_class

TAGS = ROOT / "hw3" / "testing_tags.txt"


def _pids(pattern: str) -> list[int]:
    r = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return [int(p) for p in r.stdout.split()]


def _ancestor(pid: int, needle: str) -> int | None:
    """The nearest ancestor of `pid` whose command line holds `needle`."""
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            pid = int(stat.rsplit(")", 1)[1].split()[1])
            if needle in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode():
                return pid
        except (OSError, ValueError, IndexError):
            return None
    return None


@pytest.mark.slow
def test_submitit_array_task_killed_and_rerun(tmp_path, synth_classifier):
    pytest.importorskip("submitit", reason="submitit is in requirements-eval.txt")
    subs = tmp_path / "subs"
    marker = f"cgan-executor-test-{uuid.uuid4().hex[:12]}"  # the slow student's sleep, unique to this run
    flag = build_slow_class(subs, TAGS, marker)
    out = tmp_path / "grades"
    cmd = [sys.executable, "-m", "cgan", "grade", str(subs), "--tags", str(TAGS), "--out", str(out), "--parts", "cgan",
           "--executor", "submitit-local", "--time-limit", "300", "--classifier", str(synth_classifier),
           "--baseline", "none", "--no-faces", "--processes", "256"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    worker = None
    deadline = time.time() + 240
    while worker is None and time.time() < deadline and proc.poll() is None:
        for pid in _pids(marker):
            worker = _ancestor(pid, "submitit.core")
            if worker:
                break
        time.sleep(0.5)
    assert worker is not None, "the slow student's task never started"
    os.kill(worker, signal.SIGKILL)  # the node dies under it
    output, _ = proc.communicate(timeout=240)
    print(output)
    assert proc.returncode == 4, output
    assert "slow: task" in output and "failed" in output and "run the same command again" in output
    df = pd.read_csv(out / "grades.csv").set_index("student")
    assert df.loc["slow", "verdict_cgan"] == "not graded"
    assert df.loc["amy", "verdict_cgan"] == "ok" and df.loc["ben", "verdict_cgan"] == "ok"
    time.sleep(2)
    assert _pids(marker) == []  # the killed task's sandboxed run died with it
    # The rerun grades only what is missing.
    flag.unlink()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    text = r.stdout + r.stderr
    assert "amy: done before, kept" in text and "ben: done before, kept" in text and "slow: done before" not in text
    df = pd.read_csv(out / "grades.csv").set_index("student")
    assert (df["verdict_cgan"] == "ok").all()
    assert len(list((out / "submitit").iterdir())) >= 3  # the array's job folders

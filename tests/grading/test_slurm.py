"""`cgan grade --executor slurm` through a real Slurm cluster (`bash scripts/slurm-local.sh up` makes one
on this machine): real sbatch job arrays, one task cancelled with scancel mid-run and graded again by
rerunning the same command, and the same verdicts as the local executor."""

import shutil
import subprocess
import sys
import time

import pandas as pd
import pytest

from conftest import ROOT
from grading_corpus import build_slow_class

TAGS = ROOT / "hw3" / "testing_tags.txt"


def _cluster() -> str | None:
    """None when a Slurm cluster answers, else why not."""
    if not shutil.which("sinfo"):
        return "no Slurm here (sinfo not found): bash scripts/slurm-local.sh up makes a one-node cluster"
    r = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0 or not r.stdout.strip():
        return f"Slurm does not answer: {(r.stderr or 'no nodes').strip()[:200]}"
    return None


def _task_state(task: str) -> str:
    r = subprocess.run(["squeue", "-h", "-r", "--states=all", "-o", "%i %T"], capture_output=True, text=True)
    return dict(line.split() for line in r.stdout.splitlines() if " " in line).get(task, "")


@pytest.mark.slurm
def test_slurm_array_scancel_and_rerun(tmp_path, request):
    why = _cluster()
    if why:
        pytest.skip(why)
    pytest.importorskip("submitit", reason="submitit is in requirements-eval.txt")
    synth_classifier = request.getfixturevalue("synth_classifier")  # trained only when a cluster answers
    subs = tmp_path / "subs"
    flag = build_slow_class(subs, TAGS)
    common = ["--tags", str(TAGS), "--parts", "cgan", "--time-limit", "300", "--classifier", str(synth_classifier),
              "--baseline", "none", "--no-faces", "--processes", "256"]
    out = tmp_path / "grades"
    cmd = [sys.executable, "-m", "cgan", "grade", str(subs), "--out", str(out), *common, "--executor", "slurm",
           "--slurm-gpus", "0", "--slurm-cpus", "1", "--slurm-mem-gb", "2"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    array = None
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        folders = [p.name for p in (out / "submitit").glob("*_2")] if (out / "submitit").is_dir() else []
        array = array or next((f.split("_")[0] for f in folders), None)
        if array is None:  # submitit names a task's folder when it starts; squeue knows it before
            r = subprocess.run(["squeue", "-h", "-r", "-n", "cgan-grade", "-o", "%i"], capture_output=True, text=True)
            array = next((i.split("_")[0] for i in r.stdout.split() if "_" in i), None)
        if array and _task_state(f"{array}_2") == "RUNNING" and subprocess.run(
                ["pgrep", "-f", "sleep 1000"], capture_output=True).returncode == 0:
            break
        time.sleep(1)
    assert array is not None, "no array was submitted"
    subprocess.run(["scancel", f"{array}_2"], check=True)  # 'slow' is task 2 (students in name order)
    output, _ = proc.communicate(timeout=300)
    print(output)
    assert proc.returncode == 4, output
    assert f"slow: task {array}_2 CANCELLED" in output and "run the same command again" in output
    df = pd.read_csv(out / "grades.csv").set_index("student")
    assert df.loc["slow", "verdict_cgan"] == "not graded"
    jobs = pd.read_csv(out / "jobs.csv", dtype=str)
    assert set(jobs["state"]) == {"COMPLETED", "CANCELLED"} and set(jobs["array_id"]) == {array}
    assert "CANCELLED" in (out / "report.html").read_text()
    # The rerun grades only the cancelled student, in a new array of one task.
    flag.unlink()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    text = r.stdout + r.stderr
    assert r.returncode == 0, text
    assert "amy: done before, kept" in text and "ben: done before, kept" in text and "slow: done before" not in text
    assert "submitted 1 tasks (slurm)" in text
    jobs = pd.read_csv(out / "jobs.csv", dtype=str)
    assert len(jobs) == 4 and jobs.iloc[-1]["student"] == "slow" and jobs.iloc[-1]["state"] == "COMPLETED"
    # The same verdicts as the local executor.
    local = tmp_path / "local"
    r = subprocess.run([sys.executable, "-m", "cgan", "grade", str(subs), "--out", str(local), *common],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    a = pd.read_csv(out / "grades.csv").set_index("student")
    b = pd.read_csv(local / "grades.csv").set_index("student")
    cols = ["verdict_cgan", "points", "cgan_reproduce", "cgan_format"]
    assert a[cols].sort_index().equals(b[cols].sort_index()), (a[cols], b[cols])
    assert (a["verdict_cgan"] == "ok").all()

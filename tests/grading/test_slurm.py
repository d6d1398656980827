"""`cgan grade --executor slurm` through a real Slurm cluster (`bash scripts/slurm-local.sh up` makes one
on this machine): real sbatch job arrays, one task cancelled with scancel mid-run and graded again by
rerunning the same command, the same verdicts as the local executor, and requests that can never run
stopped with one line.

The tests own what they touch: they follow the job ids the grader prints, find the slow student's
process by a token unique to the run, and pass with someone else's job (same name, same command) running
beside them, which they leave alone."""

import functools
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

from cgan.core.errors import CganError
from cgan.grading.slurm import gpus_of, hopeless, minutes_of

from conftest import ROOT
from grading_corpus import build_slow_class

TAGS = ROOT / "hw3" / "testing_tags.txt"


@functools.cache  # sinfo retries for about 9 s when no controller answers: ask once per session
def _cluster() -> str | None:
    """None when a Slurm cluster answers, else why not."""
    try:
        r = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        return "no Slurm here (sinfo not found): bash scripts/slurm-local.sh up makes a one-node cluster"
    if r.returncode != 0 or not r.stdout.strip():
        return f"Slurm does not answer: {(r.stderr or 'no nodes').strip()[:200]}"
    return None


def _need_cluster() -> None:
    why = _cluster()
    if why:
        pytest.skip(why)
    pytest.importorskip("submitit", reason="submitit is in requirements-eval.txt")


def _task_state(array: str, task: str) -> str:
    r = subprocess.run(["squeue", "-h", "-r", "--states=all", "-j", array, "-o", "%i %T"], capture_output=True,
                       text=True)
    return dict(line.split() for line in r.stdout.splitlines() if " " in line).get(task, "")


def _first_job(lines: list[str]) -> str | None:
    """The first job id from the grader's own line 'submitted 3 tasks (slurm): job ids 41_0 ... 41_2; ...'
    (an array of one task may be listed as plain '42')."""
    for line in lines:
        if line.startswith("submitted ") and "job ids " in line:
            return line.split("job ids ")[1].split()[0]
    return None


def _array_of(lines: list[str]) -> str | None:
    job = _first_job(lines)
    return job.split("_")[0] if job else None


def _alive(token: str) -> bool:
    """Whether a process of this run (its name holds `token`) is alive."""
    for p in Path("/proc").iterdir():
        try:
            if p.name.isdigit() and token.encode() in (p / "cmdline").read_bytes():
                return True
        except OSError:
            pass
    return False


class _Reader(threading.Thread):
    """The grader's output, line by line, as it comes."""

    def __init__(self, proc: subprocess.Popen) -> None:
        super().__init__(daemon=True)
        self.proc, self.lines = proc, []

    def run(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))


def test_gres_and_time_formats():
    assert gpus_of("(null)") == 0 and gpus_of("gpu:4") == 4 and gpus_of("gpu:a100:2(S:0-1),mps:100") == 2
    assert gpus_of("mps:100,gpu:tesla:1,gpu:a100:2") == 3
    assert minutes_of("infinite") is None and minutes_of("30:00") == 30 and minutes_of("2:00:00") == 120
    assert minutes_of("1-12:00:00") == 36 * 60
    assert hopeless("ReqNodeNotAvail, UnavailableNodes:n1") and hopeless("PartitionConfig")
    assert hopeless("Resources") is None and hopeless("Priority") is None


@pytest.mark.slurm
def test_slurm_array_scancel_and_rerun(tmp_path, request):
    _need_cluster()
    synth_classifier = request.getfixturevalue("synth_classifier")  # trained only when a cluster answers
    token = f"cgan-slurm-test-{uuid.uuid4().hex[:12]}"
    # Someone else's job beside ours: the grader's job name and a plain `sleep 1000`, which a test that
    # looked by name or by a machine-wide pattern would take for its own.
    other = subprocess.run(["sbatch", "--parsable", "--job-name", "cgan-grade", "--cpus-per-task", "1", "--mem", "64M",
                            "--output", "/dev/null", "--wrap", "sleep 1000"],
                           capture_output=True, text=True, check=True)
    other_id = other.stdout.strip().split(";")[0]
    try:
        _scancel_and_rerun(tmp_path, synth_classifier, token)
        assert _task_state(other_id, other_id) in ("RUNNING", "PENDING")  # left alone
    finally:
        subprocess.run(["scancel", other_id])


def _scancel_and_rerun(tmp_path, synth_classifier, token: str) -> None:
    subs = tmp_path / "subs"
    flag = build_slow_class(subs, TAGS, token)
    common = ["--tags", str(TAGS), "--parts", "cgan", "--time-limit", "300", "--classifier", str(synth_classifier),
              "--baseline", "none", "--no-faces", "--processes", "256"]
    out = tmp_path / "grades"
    cmd = [sys.executable, "-m", "cgan", "grade", str(subs), "--out", str(out), *common, "--executor", "slurm",
           "--slurm-gpus", "0", "--slurm-cpus", "1", "--slurm-mem-gb", "2"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    reader = _Reader(proc)
    reader.start()
    array = None
    deadline = time.time() + 600
    while time.time() < deadline and proc.poll() is None:
        array = array or _array_of(reader.lines)
        # 'slow' is task 2 (students in name order); its sleep, named by the token, shows it is mid-run.
        if array and _task_state(array, f"{array}_2") == "RUNNING" and _alive(token):
            break
        time.sleep(1)
    assert array is not None, "no array was submitted:\n" + "\n".join(reader.lines)
    subprocess.run(["scancel", f"{array}_2"], check=True)
    proc.wait(timeout=300)
    reader.join(timeout=10)
    output = "\n".join(reader.lines)
    print(output)
    assert proc.returncode == 4, output
    assert f"slow: task {array}_2 CANCELLED" in output and "run the same command again" in output
    assert not _alive(token)  # the cancelled task's sandboxed run died with it
    df = pd.read_csv(out / "grades.csv").set_index("student")
    assert df.loc["slow", "verdict_cgan"] == "not graded"
    jobs = pd.read_csv(out / "jobs.csv", dtype=str)
    assert set(jobs["state"]) == {"COMPLETED", "CANCELLED"} and set(jobs["array_id"]) == {array}
    assert "CANCELLED" in (out / "report.html").read_text()
    # The rerun grades only the cancelled student, in a new array of one task.
    flag.unlink()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    text = r.stdout + r.stderr
    assert r.returncode == 0, text
    assert "amy: done before, kept" in text and "ben: done before, kept" in text and "slow: done before" not in text
    assert "submitted 1 tasks (slurm)" in text
    jobs = pd.read_csv(out / "jobs.csv", dtype=str)
    assert len(jobs) == 4 and jobs.iloc[-1]["student"] == "slow" and jobs.iloc[-1]["state"] == "COMPLETED"
    assert jobs.iloc[-1]["array_id"] == _array_of(text.splitlines())
    # The same verdicts as the local executor.
    local = tmp_path / "local"
    r = subprocess.run([sys.executable, "-m", "cgan", "grade", str(subs), "--out", str(local), *common],
                       cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    a = pd.read_csv(out / "grades.csv").set_index("student")
    b = pd.read_csv(local / "grades.csv").set_index("student")
    cols = ["verdict_cgan", "points", "cgan_reproduce", "cgan_format"]
    assert a[cols].sort_index().equals(b[cols].sort_index()), (a[cols], b[cols])
    assert (a["verdict_cgan"] == "ok").all()


@pytest.mark.slurm
def test_a_request_no_node_holds_stops_before_anything_runs(tmp_path):
    """--slurm-cpus 64 on a partition of smaller nodes: one line naming the option, exit 2, and nothing
    loaded or submitted first (the check comes before the judging tools)."""
    _need_cluster()
    subs = tmp_path / "subs"
    build_slow_class(subs, TAGS, f"cgan-slurm-test-{uuid.uuid4().hex[:12]}")
    r = subprocess.run([sys.executable, "-m", "cgan", "grade", str(subs), "--out", str(tmp_path / "grades"),
                        "--tags", str(TAGS), "--executor", "slurm", "--slurm-cpus", "64", "--slurm-gpus", "0"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = (r.stdout + r.stderr).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cgan: error: --slurm-cpus 64: no node of partition "), lines
    assert not (tmp_path / "grades" / "submitit").exists()


@pytest.mark.slurm
def test_a_task_pending_for_a_hopeless_reason_stops_the_grading(tmp_path):
    """A request sbatch accepts but no node can ever run (the check before submitting left out, as a
    cluster whose sinfo says less than its scheduler knows would): stopped within a minute, with one line,
    and the array's own task cancelled."""
    _need_cluster()
    from cgan.grading.executors import Task, ToolSpec, run_submitit
    from cgan.grading.sandbox import Limits

    task = Task("amy", tmp_path, tmp_path, tmp_path / "grades", "fp", ("cgan",), Limits(wall_s=60), TAGS, 2, 0.01,
                ToolSpec("tagnet", False, None, None))
    lines: list[str] = []
    t0 = time.monotonic()
    with pytest.raises(CganError) as e:
        run_submitit([task], tmp_path / "grades" / "submitit", "slurm",
                     {"cpus": 64, "gpus": 0, "mem_gb": 0.1, "parallelism": 1}, lines.append)
    assert time.monotonic() - t0 < 60
    msg = str(e.value)
    assert "pending for PartitionConfig, which waiting does not clear" in msg and "--slurm-cpus" in msg
    assert "\n" not in msg
    job = _first_job(lines)
    assert job is not None, lines
    assert _task_state(job.split("_")[0], job) == "CANCELLED"

"""`cgan train` under torchrun: two gloo processes on this CPU."""

from __future__ import annotations

import subprocess
import sys

from cgan.gan.build import load_run

from conftest import ROOT


def _train(args: list[str], nproc: int | None, timeout: float = 300) -> subprocess.CompletedProcess:
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc)] if nproc else [sys.executable]
    cmd = launcher + ["-m", "cgan", "train", "--preset", "course", "--base-channels", "8", "--epochs", "5", "--threads", "1",
                      *args]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_two_processes_stay_identical_and_resume_in_one(synth_extra, tmp_path):
    out = tmp_path / "run"
    r = _train(["--data", str(synth_extra), "--out", str(out), "--max-steps", "6", "--ema", "0.9"], nproc=2)
    log = r.stdout + r.stderr
    assert "torchrun: 2 processes on cpu, 2 x 64 images a step" in log
    # Measured after training with an all-reduce of every parameter (max minus min over ranks).
    assert "G and D identical on all 2 ranks (largest difference 0)" in log
    assert log.count("epoch 1: step") == 1  # rank 0 alone logs and writes
    s = load_run(out / "checkpoint.pt")
    assert s["step"] == 6 and "G_ema" in s
    r = _train(["--data", str(synth_extra), "--out", str(out), "--max-steps", "9", "--ema", "0.9", "--resume"], nproc=None)
    assert load_run(out / "checkpoint.pt")["step"] == 9


def test_time_limit_stops_every_rank_together(synth_extra, tmp_path):
    # Ranks read their clocks at different moments: the stop is agreed on, never one rank alone (a hang).
    r = _train(["--data", str(synth_extra), "--out", str(tmp_path / "t"), "--time-limit", "0.0001"], nproc=2,
               timeout=120)
    assert load_run(tmp_path / "t" / "checkpoint.pt")["epoch"] == 1, r.stdout

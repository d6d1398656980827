"""The submission scripts, run as the TA runs them: from a copy of the repository, relative paths."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT
from helpers import tracked_copy


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    return tracked_copy(tmp_path_factory.mktemp("repo"))


def bash(repo: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "CGAN_PYTHON": sys.executable, "PYTHONPATH": ""}
    return subprocess.run(["bash", *args], cwd=cwd or repo, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("script, args, out", [
    ("run_cgan.sh", ["hw3/testing_tags.txt"], "cgan"),
    ("run_gan.sh", [], "gan"),
])
def test_script_reproduces_the_committed_grid(repo, script, args, out):
    r = bash(repo, script, *args)
    assert r.returncode == 0, r.stderr
    png = repo / "samples" / f"{out}.png"
    assert f"wrote {png}" in r.stdout
    with Image.open(png) as im:
        assert im.size == (320, 320) and im.mode == "RGB"
    assert png.read_bytes() == (repo / "samples" / f"{out}_original.png").read_bytes()


def test_run_gan_draws_at_the_truncation_the_library_checks():
    from cgan.evaluation.reproducibility import RUN_GAN_TRUNCATION
    assert f"--truncation {RUN_GAN_TRUNCATION} " in (ROOT / "run_gan.sh").read_text()


def test_tags_path_is_relative_to_the_callers_directory(repo, tmp_path):
    (tmp_path / "mine.txt").write_text("1,blue hair red eyes\n2,green hair blue eyes\n")
    r = bash(repo, str(repo / "run_cgan.sh"), "mine.txt", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    with Image.open(repo / "samples" / "cgan.png") as im:
        assert im.size == (320, 64)


@pytest.mark.parametrize("args, message", [
    ([], "usage: bash run_cgan.sh TAGS_FILE"),
    (["nope.txt"], "nope.txt: no such tags file"),
])
def test_run_cgan_usage_errors(repo, args, message):
    r = bash(repo, "run_cgan.sh", *args)
    assert r.returncode == 2 and message in r.stderr


def test_bad_tags_line_fails_cleanly(repo, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("1,blue hair blue eyes\n2,plaid hair blue eyes\n")
    before = (repo / "samples" / "cgan.png").read_bytes() if (repo / "samples" / "cgan.png").exists() else None
    r = bash(repo, "run_cgan.sh", str(bad))
    assert r.returncode == 2
    assert f"{bad}:2: unknown hair colour 'plaid'" in r.stderr
    after = (repo / "samples" / "cgan.png").read_bytes() if (repo / "samples" / "cgan.png").exists() else None
    assert before == after  # nothing half-written


def test_extra_run_transfers_the_default_faces_reproducibly(repo):
    r = bash(repo, "extra_run.sh")
    assert r.returncode == 0, r.stderr
    png = repo / "samples" / "transfer.png"
    assert "5 rows x 7 columns" in r.stdout
    with Image.open(png) as im:
        assert im.size == (7 * 64, 5 * 64) and im.mode == "RGB"
    assert png.read_bytes() == (repo / "samples" / "transfer_original.png").read_bytes()


def test_extra_run_takes_a_folder_relative_to_the_caller(repo, tmp_path):
    faces = tmp_path / "faces"
    faces.mkdir()
    for i in range(2):
        Image.fromarray(np.full((80, 80, 3), 60 * i + 40, np.uint8)).save(faces / f"{i}.png")
    r = bash(repo, str(repo / "extra_run.sh"), "faces", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    with Image.open(repo / "samples" / "transfer.png") as im:
        assert im.size == (7 * 64, 2 * 64)
    r = bash(repo, "extra_run.sh", "no_such_dir")
    assert r.returncode == 2 and "no_such_dir: no such file or folder" in r.stderr

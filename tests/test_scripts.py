"""The submission scripts, run as the TA runs them: from a copy of the repository, relative paths."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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

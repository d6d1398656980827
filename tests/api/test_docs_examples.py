"""Every ```python block of docs/api.md and the README runs as written from a fresh clone's root, on the
bundled models."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT
from helpers import tracked_copy

BLOCKS = [block for page in ("docs/api.md", "README.md")
          for block in re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(), re.S)]


def test_the_api_page_has_examples():
    assert len(re.findall(r"```python\n", (ROOT / "docs" / "api.md").read_text())) >= 2


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    return tracked_copy(tmp_path_factory.mktemp("clone"))


@pytest.mark.parametrize("k", range(len(BLOCKS)))
def test_example_runs(k, clone, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(clone), "CGAN_CACHE": str(tmp_path / "cache")}
    r = subprocess.run([sys.executable, "-c", BLOCKS[k]], cwd=clone, env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, f"example {k + 1}:\n{r.stdout}\n{r.stderr}"
    assert r.stdout.strip(), "an example prints what it shows"
    if "identical to samples/cgan_original.png" in r.stdout:
        assert "identical to samples/cgan_original.png: True" in r.stdout

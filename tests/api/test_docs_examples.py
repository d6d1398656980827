"""Every ```python block of docs/api.md and the README runs as written from a fresh clone's root, on the
bundled models: in the development environment, and in a fresh virtual environment made from exactly the
requirements files its first line names (`# needs: requirements.txt, ...`). In a venv of requirements.txt
alone, a block that needs more stops with a CganError naming a file it lacks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from helpers import tracked_copy

PAGES = ("docs/api.md", "README.md")
BLOCKS = [(page, block) for page in PAGES
          for block in re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(), re.S)]
IDS = [f"{page}-{[p for p, _ in BLOCKS[:i]].count(page) + 1}" for i, (page, _) in enumerate(BLOCKS)]
BASE = "requirements.txt"
NO_DEPS = {"requirements-nodeps.txt"}  # installed with pip --no-deps, as scripts/env.sh and docs/api.md do


def needs(block: str) -> tuple[str, ...]:
    """The requirements files a block's first line names, in a fixed order."""
    m = re.match(r"# needs: (.+)\n", block)
    return tuple(sorted(f.strip() for f in m.group(1).split(","))) if m else ()


def test_the_api_page_has_examples():
    assert len(re.findall(r"```python\n", (ROOT / "docs" / "api.md").read_text())) >= 2


@pytest.mark.parametrize("k", range(len(BLOCKS)), ids=IDS)
def test_every_example_says_what_it_needs(k):
    page, block = BLOCKS[k]
    files = needs(block)
    assert BASE in files, f"{IDS[k]}: its first line should be '# needs: {BASE}, ...' (the files it needs)"
    assert all((ROOT / f).is_file() for f in files), f"{IDS[k]}: names a file that is not there: {files}"


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    return tracked_copy(tmp_path_factory.mktemp("clone"))


def run_block(python: str | Path, k: int, clone: Path, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(clone), "CGAN_CACHE": str(cache)}
    return subprocess.run([str(python), "-c", BLOCKS[k][1]], cwd=clone, env=env, capture_output=True, text=True,
                          timeout=600)


def assert_ran(r: subprocess.CompletedProcess, k: int, where: str) -> None:
    assert r.returncode == 0, f"{IDS[k]} in {where}:\n{r.stdout}\n{r.stderr}"
    assert r.stdout.strip(), "an example prints what it shows"
    if "identical to samples/cgan_original.png" in r.stdout:
        assert "identical to samples/cgan_original.png: True" in r.stdout


@pytest.mark.parametrize("k", range(len(BLOCKS)), ids=IDS)
def test_example_runs(k, clone, tmp_path):
    assert_ran(run_block(sys.executable, k, clone, tmp_path / "cache"), k, "the development environment")


def make_venv(where: Path, files: tuple[str, ...], base: Path | None = None) -> Path:
    """A virtual environment with exactly `files` installed (pip's index as configured, as scripts/env.sh).
    `base`: the python of a venv of requirements.txt alone; its packages are layered under this one (a .pth
    file), so pip finds that file's packages installed and adds only the others' (torch is copied once)."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, capture_output=True)
    python = where / "bin" / "python"
    if base is not None:
        (site_packages(python) / "base.pth").write_text(str(site_packages(base)) + "\n")
    # --no-compile: each venv serves a few short runs, cheaper than compiling all of torch up front.
    for f in sorted(files, key=lambda f: (f in NO_DEPS, f)):
        r = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-compile",
                            *(["--no-deps"] if f in NO_DEPS else []), "-r", str(ROOT / f)],
                           capture_output=True, text=True, timeout=1800)
        assert r.returncode == 0, f"pip install -r {f} failed:\n{r.stderr[-3000:]}"
    return python


def site_packages(python: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return Path(subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True).stdout.strip())


@pytest.mark.slow
def test_examples_run_with_exactly_the_files_they_name(clone, tmp_path):
    """One venv per set of files the examples name; in the requirements.txt one, every example that needs
    more fails with a CganError that names a file it needs (so a user is told what to install)."""
    sets = sorted({needs(b) for _, b in BLOCKS if needs(b)} | {(BASE,)}, key=len)  # no needs line: failed above
    base = None
    for files in sets:  # requirements.txt alone first: the others are layered on it
        python = make_venv(tmp_path / "-".join(f.removesuffix(".txt") for f in files), files, base)
        base = base or python
        for k, (_, block) in enumerate(BLOCKS):
            if needs(block) == files:
                assert_ran(run_block(python, k, clone, tmp_path / "cache"), k, f"a venv of {', '.join(files)}")
            elif files == (BASE,) and needs(block):
                r = run_block(python, k, clone, tmp_path / "cache")
                last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
                missing = [f for f in needs(block) if f != BASE]
                assert r.returncode != 0 and last.startswith("cgan.core.errors.CganError: ") \
                    and any(f in last for f in missing), f"{IDS[k]} with {BASE} alone:\n{r.stderr[-2000:]}"

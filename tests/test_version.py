"""`cgan --version` and the lazily loaded commands: the start-up path imports only what a command needs."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

import click

import cgan
from cgan.cli import COMMAND_MODULES, cli

from conftest import ROOT


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                           timeout=120)


def test_version_prints_the_package_version_without_importing_torch():
    r = _python("import sys\nfrom cgan.cli import main\nsys.argv = ['cgan', '--version']\n"
                "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
                "print('torch' in sys.modules, 'numpy' in sys.modules)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [f"cgan {cgan.__version__}", "False False"]


def test_version_is_the_newest_release_in_the_changelog():
    """`cgan --version` says the newest version CHANGELOG.md has released (a dated heading), and pyproject.toml
    agrees, so a user can look up what they have."""
    changelog = (ROOT / "CHANGELOG.md").read_text()
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d\d-\d\d$", changelog, flags=re.M)
    assert released, "CHANGELOG.md has no released version"
    r = subprocess.run([sys.executable, "-m", "cgan", "--version"], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"cgan {released[0]}", f"cgan --version says {r.stdout.strip()!r}; " \
        f"the newest release in CHANGELOG.md is {released[0]}"
    assert re.search(rf'^version = "{re.escape(released[0])}"$', (ROOT / "pyproject.toml").read_text(), flags=re.M)


def test_the_command_table_names_every_command_where_it_is_defined():
    defined = {}
    for p in sorted((ROOT / "cgan" / "cli").glob("*.py")):
        tree = ast.parse(p.read_text())
        if any(isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "COMMANDS" for t in n.targets)
               for n in tree.body):
            module = __import__(f"cgan.cli.{p.stem}", fromlist=["COMMANDS"])
            defined.update({c.name: p.stem for c in module.COMMANDS})
    assert defined == COMMAND_MODULES
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(defined)
    assert all(cli.get_command(ctx, name).name == name for name in defined)
    assert cli.get_command(ctx, "no-such-command") is None


def test_generate_loads_neither_the_trainer_the_grader_nor_requests():
    r = _python("import sys, click\nfrom cgan.cli import cli\ncli.get_command(click.Context(cli), 'generate')\n"
                "print(sorted(m for m in ('pandas', 'gradio', 'requests', 'cgan.gan.trainer', 'cgan.grading',"
                " 'cgan.cli.train')"
                " if m in sys.modules))")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"

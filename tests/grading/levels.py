"""The sandbox levels a test runs at, on the host running the tests: "namespaces" (root), "basic" with user
namespaces, and "basic-plain" (basic as on a machine that forbids user namespaces). A level the host cannot
run skips, saying why."""

from __future__ import annotations

import pytest

from cgan.grading import sandbox
from cgan.grading.sandbox import Limits, RunResult, namespaces_available, run_submission, user_namespaces_available

from conftest import write

LEVELS = ["namespaces", "basic", "basic-plain"]


def use_level(name: str, monkeypatch) -> None:
    if name == "namespaces" and namespaces_available():
        pytest.skip(f"namespace isolation unavailable here: {namespaces_available()}")
    if name == "basic" and user_namespaces_available():
        pytest.skip(f"user namespaces unavailable here: {user_namespaces_available()}")
    if name == "basic-plain":
        monkeypatch.setattr(sandbox, "user_namespaces_available", lambda: "turned off by the test")


def run_at(tmp_path, level: str, script: str, wall_s: float = 20, limits: dict | None = None, **kw) -> RunResult:
    """`script` as run.sh of a fresh submission, run at `level` (set up with `use_level` first)."""
    d = tmp_path / "sub"
    write(d / "run.sh", script)
    asked = "namespaces" if level == "namespaces" else "basic"
    return run_submission(d, ["bash", "run.sh"], Limits(wall_s=wall_s, sandbox=asked, **(limits or {})), **kw)

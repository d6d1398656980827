"""Training processes start again under glibc settings that keep freed memory (cgan/core/malloc.py)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from cgan.core import malloc

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the settings are glibc's; this libc is not")

# Prints its pid and the settings it sees, then calls reexec_tuned on a child program doing the same.
PROBE = """
import os, sys
from cgan.core import malloc
print(os.getpid(), os.environ.get("MALLOC_TOP_PAD_"), flush=True)
malloc.reexec_tuned(["-c", "import os; print(os.getpid(), os.environ.get('MALLOC_TOP_PAD_'), os.environ['CGAN_MALLOC'])"])
print("not replaced")
"""


def _run(env: dict) -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return out.stdout.split("\n")


@glibc
def test_a_process_starts_again_once_under_the_settings_same_pid():
    env = {k: v for k, v in os.environ.items() if k not in malloc.MALLOC_ENV and k != malloc.SWITCH}
    first, second = _run(env)[:2]
    pid, pad = first.split()
    assert pad == "None" and second.split() == [pid, malloc.MALLOC_ENV["MALLOC_TOP_PAD_"], "tuned"]


@glibc
def test_nothing_happens_when_already_tuned_or_switched_off():
    for env in (malloc.tuned_environ(), {**os.environ, malloc.SWITCH: "default"}):
        lines = _run(env)
        assert lines[1] == "not replaced", lines


def test_the_training_commands_are_the_ones_started_again():
    from cgan.cli import COMMAND_MODULES, TUNED_COMMANDS

    assert set(TUNED_COMMANDS) <= set(COMMAND_MODULES)

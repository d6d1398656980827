"""The shell lines that build what a sandboxed submission sees, inside its own mount namespace.

Both levels use them: a private, size-limited tmpfs becomes /tmp and holds only the submission's copy,
the wrapper and what /dev/shm shows (so shared memory counts against the same disk limit); the grader's
home, /root, /home and the project around the grader's virtual environment are covered by empty tmpfs
mounts, and only the interpreter's own folders are put back, read-only; every other mount is made
read-only.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

q = shlex.quote


def interpreter_dirs() -> list[str]:
    """The folders the grader's Python needs at run time (its venv, its base install), real paths."""
    dirs = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, os.path.dirname(sys.executable))}
    dirs.add(os.path.dirname(os.path.realpath(sys.executable)))
    # A folder inside another one of the set is brought back with it.
    return sorted(d for d in dirs if not any(d != o and d.startswith(o + "/") for o in dirs))


def covered_dirs(hide: list[Path]) -> list[str]:
    """Folders a submission must not see: the grader's home and everyone else's, the project holding the
    grader's venv (its config, keys, checkouts), and the folders the caller names (the class, the output)."""
    home = os.path.realpath(os.path.expanduser("~"))
    out = {home, "/root", "/home", "/run/user", "/var/tmp"}
    if sys.prefix != sys.base_prefix:
        out.add(os.path.dirname(os.path.realpath(sys.prefix)))
    out.update(os.path.realpath(h) for h in hide)
    keep = [o for o in sorted(out) if o != "/" and os.path.isdir(o)]
    # The outermost folder of a nested pair covers the inner one.
    return [o for o in keep if not any(o != p and o.startswith(p + "/") for p in keep)]


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def stage_lines(stage: str, keep: list[str]) -> list[str]:
    """Before the stage becomes /tmp: park each kept interpreter folder inside it, so they survive every
    cover."""
    lines = []
    for k, path in enumerate(keep):
        lines.append(f"mkdir {q(stage)}/.keep{k} && mount --bind {q(path)} {q(stage)}/.keep{k}")
    return lines


def cover_lines(covers: list[str], keep: list[str]) -> list[str]:
    """After the stage is /tmp: an empty tmpfs over each covered folder, then every kept folder back at
    its own path, read-only (only it: not its siblings, not its parent's other files). A folder that cannot
    be covered is an error unless the set-up's own user cannot enter it either (a basic run as an
    unprivileged uid, say, and a home of mode 0700)."""
    lines = [f"mount -t tmpfs -o size=1m,mode=0755 cgan-cover {q(c)} 2>/dev/null || test ! -x {q(c)}" for c in covers]
    for k, path in enumerate(keep):
        lines.append(f"mkdir -p {q(path)} && mount --move /tmp/.keep{k} {q(path)} && rmdir /tmp/.keep{k} && "
                     f"mount -o remount,bind,ro {q(path)}")
    return lines


def readonly_lines() -> list[str]:
    """/dev/shm from the private /tmp, then every mount but /tmp, /proc and /dev/shm read-only."""
    return ["mount --bind /tmp/.shm /dev/shm 2>/dev/null || true",
            "for m in $(awk '{print $5}' /proc/self/mountinfo); do",
            '  case "$m" in /tmp|/tmp/*|/proc|/proc/*|/dev/shm) ;; '
            '*) mount -o remount,bind,ro "$m" 2>/dev/null || true ;; esac',
            "done"]


def view_lines(stage: str, hide: list[Path]) -> list[str]:
    """The whole view, from the stage (a fresh tmpfs already mounted, holding hw3/ and .shm/) to the
    read-only rest."""
    keep = [k for k in interpreter_dirs() if any(_under(k, c) for c in covered_dirs(hide)) or _under(k, "/tmp")]
    covers = [c for c in covered_dirs(hide) if not _under(c, "/tmp")]
    return [*stage_lines(stage, keep), f"mount --move {q(stage)} /tmp",
            *cover_lines(covers, keep), *readonly_lines()]


def describe(hide: list[Path]) -> str:
    """What a submission sees, in words for the report (no grader path in it)."""
    venv = ", the project around the grader's venv" if sys.prefix != sys.base_prefix else ""
    return ("sees its copy, a private /tmp, the tags file (read-only copy), the read-only system and the "
            f"grader's Python (read-only); covered: the grader's home, /root, /home{venv}, the class and "
            "the output folders; environment by allow-list")

"""Run one untrusted submission: its own copy, a wall-clock limit, resource limits, no network.

Two levels, and the result says which one was in force, what the submission could see and which limits
held:

* "namespaces" (root, util-linux unshare/setpriv): the copy lives on a private, size-limited tmpfs
  mounted as /tmp inside new mount, PID and network namespaces, and runs as an unprivileged uid
  without capabilities.
* "basic" (any user): the same view inside a user namespace where the kernel allows one, the script
  running as that namespace's root without capabilities: the grader's own uid outside (for a root
  grader, root, whose processes only a cgroup can count). Where user namespaces are not allowed: a copy
  in a temporary folder, run as the job's uid when the grader is root and that uid can reach the
  grader's Python, and nothing hidden.

Limits: processes and memory by a control group per run where the host has one (cgroups.py), processes
by RLIMIT_NPROC on the run's own uid besides; disk by the size of the private tmpfs; CPU time, address
space and file size by rlimits. A limit that cannot be had is said, "NOT limited", in the result and in
the student's log.

At both levels the submission runs under confine.py, which joins the cgroups, sets the rlimits, kills
every process the script left behind (whatever process group it moved to) when the script ends or
hits its limit, and reports when the script ended. Only then are the outputs read, by one rule
(collect.py): the part's own outputs by name first, each with its own cap, then the rest within caps;
a file changed after the script ended is not taken. The environment passes by allow-list.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

from cgan.core.errors import CganError
from cgan.grading.cgroups import RunCgroup
from cgan.grading.mounts import describe, interpreter_dirs
from cgan.grading.runs import (
    DROP,
    SANDBOX_DIR,
    Limits,
    RunResult,
    Setup,
    python_dirs,
    run_in_namespaces,
    run_plain,
    sandbox_env,
    tasks_of,
)

DEFAULT_UID = 61000  # the first job's uid when the grader is root (one uid per concurrent job)
USE_CGROUPS = True  # tests turn it off to check the fallbacks
# The run's own processes of its uid beside the script's, when RLIMIT_NPROC counts them: confine.py, and
# at the basic level with namespaces the two unshare processes and the set-up shell above it.
CHAIN = {"namespaces": 1, "basic": 4, "basic-plain": 1}


def _probe(argv: list[str]) -> str | None:
    try:
        r = subprocess.run(argv, capture_output=True, timeout=20, env=sandbox_env("/tmp", python_dirs()), cwd="/")
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unshare failed ({e})"
    return None if r.returncode == 0 else f"unshare failed: {r.stderr.decode(errors='replace').strip()[:200]}"


@lru_cache(maxsize=1)
def namespaces_available() -> str | None:
    """None when the namespaces level works here, else why not."""
    if os.geteuid() != 0:
        return "not running as root"
    missing = [t for t in ("unshare", "setpriv", "tar", "cp") if not shutil.which(t)]
    if missing:
        return f"missing {', '.join(missing)} (util-linux)"
    return _probe(["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child", "--mount-proc",
                   "sh", "-c", "mount -t tmpfs probe /mnt 2>/dev/null || mount -t tmpfs probe /tmp"])


def _userns(net: bool) -> list[str]:
    return ["unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc",
            *([] if net else ["--net"])]


@lru_cache(maxsize=1)
def user_namespaces_available() -> str | None:
    """None when this user may make user, mount, PID and network namespaces and mount a tmpfs there (the
    basic level's view)."""
    if not shutil.which("unshare") or not shutil.which("setpriv"):
        return "util-linux unshare/setpriv missing"
    return _probe([*_userns(False), "sh", "-c", "mount -t tmpfs probe /mnt 2>/dev/null || mount -t tmpfs probe /tmp"])


def _reachable(uid: int) -> bool:
    """Whether an unprivileged uid can run the grader's Python (not when it lives under /root, say): every
    folder on the way searchable by others."""
    for path in [os.path.realpath(sys.executable), *interpreter_dirs()]:
        parts = Path(path).parts
        for k in range(1, len(parts) + 1):
            try:
                st = os.stat(Path(*parts[:k]))
            except OSError:
                return False
            if st.st_uid != uid and not st.st_mode & 0o001:
                return False
    return bool(shutil.which("setpriv"))


def choose_level(asked: str = "") -> tuple[str, str]:
    """(the level to use, why not the stronger one); asking for a level this machine cannot give is an error."""
    why = namespaces_available()
    if asked == "namespaces" and why:
        raise CganError(f"--sandbox namespaces is not available here: {why}")
    if asked not in ("", "basic", "namespaces"):
        raise CganError(f"unknown sandbox level {asked!r} (choose basic or namespaces)")
    if asked == "basic":
        return "basic", "asked for basic"
    return ("namespaces", "") if why is None else ("basic", why)


def _limit_words(limits: Limits, cg: RunCgroup, nproc_of: str | None, disk: bool) -> str:
    """The limits in force, in words (for the report and the student's log)."""
    procs = (f"processes {limits.processes} ({cg.held['pids']})" if "pids" in cg.held else
             f"processes {limits.processes} (RLIMIT_NPROC of {nproc_of})" if nproc_of else
             f"processes NOT limited ({cg.why['pids']}; the script's processes count as root's)")
    memory = (f"memory {limits.memory_mb} MB in all ({cg.held['memory']}) and of address space per process"
              if "memory" in cg.held else
              f"memory {limits.memory_mb} MB of address space per process, in all NOT limited ({cg.why['memory']})")
    room = (f"disk {limits.disk_mb} MB beyond its copy (private tmpfs, /dev/shm on it)" if disk else
            "disk NOT limited (no private tmpfs without namespaces)")
    return "limits: " + ", ".join([f"time {limits.wall_s:g} s", procs, memory, room, f"files {limits.file_mb} MB each"])


def _run_uid(level: str, uid: int) -> int | None:
    """The real uid the script's processes count against (None: root's, which RLIMIT_NPROC never counts).
    A root grader runs it as the job's uid where it can: always at the namespaces level, and without
    namespaces when that uid can reach the grader's Python. In a user namespace the script is that
    namespace's root, which is the grader's own uid outside."""
    if os.geteuid() != 0:
        return os.getuid()
    if level == "namespaces" or (level == "basic-plain" and _reachable(uid)):
        return uid
    return None


def run_submission(src: str | Path, argv: list[str], limits: Limits, extra_files: dict[str, bytes] | None = None,
                   collect: tuple[str, ...] = ("samples",), outputs: tuple[str, ...] = (),
                   hide: list[Path] | None = None, uid: int = DEFAULT_UID, work: str | Path | None = None,
                   force_basic: bool = False, extra_env: dict[str, str] | None = None) -> RunResult:
    """Run `argv` (e.g. ['bash', 'run_cgan.sh', 'testing_tags.txt']) in a copy of `src`.

    `extra_files` are written into the copy first (the grader's tags file). After every process of the
    run is dead, `outputs` (the part's own files, e.g. 'samples/cgan.png') come back by name, then the
    other regular files under `collect`, within caps (collect.py); `hide` are folders the submission must
    not see. The level is `limits.sandbox` (`force_basic` asks for basic); `uid` is the job's own uid.
    """
    src = Path(src).resolve()
    level, why = choose_level("basic" if force_basic else limits.sandbox)
    if level == "basic" and user_namespaces_available():
        level = "basic-plain"
    run_uid = _run_uid(level, uid)
    with tempfile.TemporaryDirectory(prefix="cgan-run-", dir=work) as tmp, \
            RunCgroup(limits.processes + 1, limits.memory_mb * 2**20, enabled=USE_CGROUPS) as cg:
        tmp_path = Path(tmp)
        extra = tmp_path / "extra"
        extra.mkdir()
        for name, data in (extra_files or {}).items():
            (extra / name).parent.mkdir(parents=True, exist_ok=True)
            (extra / name).write_bytes(data)
        (tmp_path / "stage").mkdir()
        nproc = None if run_uid is None else limits.processes + CHAIN[level] + tasks_of(run_uid)
        nproc_of = (None if run_uid is None else f"uid {run_uid}" if os.geteuid() == 0 else
                    "the grader's uid, shared with its other processes")
        words = _limit_words(limits, cg, nproc_of, disk=level != "basic-plain")
        setup = Setup(tmp_path / "stage", [src, extra], None, DROP, [Path(h) for h in hide or []], list(outputs),
                       list(collect))
        spec = limits.spec(nproc, cg.fds)
        net = "network allowed" if limits.network else "no network"
        if level == "namespaces":
            setup.chown, setup.drop = uid, f"{DROP} --reuid={uid} --regid={uid} --clear-groups"
            run = run_in_namespaces(["unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc",
                                      *([] if limits.network else ["--net"])], setup, argv, limits, spec, cg,
                                     extra_env or {})
            iso = (f"namespaces: private tmpfs copy at {SANDBOX_DIR}, read-only system, {net}, PID namespace, "
                   f"uid {uid} without capabilities; {words}; {describe(setup.hide)}")
        elif level == "basic":
            run = run_in_namespaces(_userns(limits.network), setup, argv, limits, spec, cg, extra_env or {})
            iso = (f"basic ({why}): user namespace as the grader's own user without capabilities, private tmpfs "
                   f"copy at {SANDBOX_DIR}, read-only system, {net}, PID namespace; {words}; {describe(setup.hide)}")
        else:
            run = run_plain(src, extra, tmp_path, argv, limits, spec, cg, run_uid, setup, extra_env or {})
            who = f"uid {run_uid}" if run_uid is not None and os.geteuid() == 0 else "the grader's own user"
            iso = (f"basic ({why}; no user namespaces: {user_namespaces_available()}): a copy in a temporary folder "
                   f"as {who}, environment by allow-list; {words}; the grader's files and the network are NOT hidden")
        run.isolation = iso
        run.notes = [words, *run.notes]
        return run



"""The small exec wrapper every sandboxed run goes through, at both levels (stdlib only, run as a script).

    python -I -S confine.py SPEC_JSON STATUS_FD -- argv...

It joins the run's control groups (cgroups.py), sets the resource limits on itself, becomes the child
subreaper (every process the submission starts, setsid'd or double-forked, is re-parented to it when its
parent dies), runs `argv` in a session of its own, and waits for it up to the wall-clock limit. When the
script ends or hits the limit it kills every process left below it and reaps them all, and only then
writes one JSON line to STATUS_FD: the exit status, whether the limit was hit, and the moment the script
ended (files changed after it are not graded). The grader reads the outputs after this process has
exited, so nothing of the submission's runs while they are read.

The limits are set here, in a single-threaded process, rather than by a preexec_fn in the grader:
Python code between fork and exec can deadlock a threaded grader.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import select
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
PR_SET_DUMPABLE = 4


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


def join_cgroups(fds: list[int]) -> None:
    """Join the run's control groups through the descriptors the grader opened (writing "0" moves the
    writer), then close them: the script never holds one."""
    for fd in fds:
        os.write(fd, b"0")
        os.close(fd)


def set_limits(spec: dict) -> None:
    """Soft and hard limits alike: the script cannot raise one back. RLIMIT_NPROC counts every task of the
    run's real uid on the machine, so the grader says what to set (None: the processes are counted by a
    cgroup, or not at all)."""
    for name, key in (("RLIMIT_CPU", "cpu_s"), ("RLIMIT_FSIZE", "file_bytes"), ("RLIMIT_AS", "memory_bytes")):
        resource.setrlimit(getattr(resource, name), (spec[key], spec[key]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if spec.get("nproc") is not None:
        _, hard = resource.getrlimit(resource.RLIMIT_NPROC)
        want = spec["nproc"] if hard == resource.RLIM_INFINITY else min(spec["nproc"], hard)
        resource.setrlimit(resource.RLIMIT_NPROC, (want, want))


def _children(zombies: bool = False) -> list[int]:
    """Every process whose parent is this one (after re-parenting, that is all that is left below it)."""
    me = os.getpid()
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat.rsplit(b")", 1)[1].split()
            if int(fields[1]) == me and (zombies or fields[0] != b"Z"):
                kids.append(int(d))
    return kids


def kill_all(spare: int, deadline_s: float = 30.0) -> int:
    """SIGKILL and reap every descendant but `spare` until none is left (a child killed here re-parents its
    own children to this subreaper, so each round catches the next generation); returns how many there
    were, the ones that had already exited included. `spare` (the script, exited) is left unreaped."""
    seen: set[int] = set()
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        kids = [k for k in _children(zombies=True) if k != spare]
        if not kids:
            break
        for pid in kids:
            seen.add(pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in kids:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        time.sleep(0.001)
    return len(seen)


def run(argv: list[str], spec: dict, status_fd: int) -> int:
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _prctl(PR_SET_DUMPABLE, 0)  # a process of the same uid cannot ptrace this one to forge its status
    join_cgroups(spec.get("cgroup_fds", []))
    set_limits(spec)
    pid = os.fork()
    if pid == 0:
        try:
            os.close(status_fd)
            # Python ignores these two, and an ignored signal stays ignored across exec: the submission
            # gets the defaults (a file over the size limit stops it with SIGXFSZ).
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
            os.setsid()
            os.execvp(argv[0], argv)
        except OSError as e:
            os.write(2, f"cgan-sandbox: cannot run {argv[0]}: {e.strerror}\n".encode())
        os._exit(127)
    pidfd = os.pidfd_open(pid)
    ready, _, _ = select.select([pidfd], [], [], spec["wall_s"])
    ended_ns = time.time_ns()
    if os.getpid() == 1:  # the first process of a PID namespace: one call kills everything else in it
        os.kill(-1, signal.SIGKILL)
    timed_out = not ready
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    # What the script left behind dies before the script is reaped: until then its pid stays taken, so a
    # job polling `kill -0` for the script's end never sees it, and cannot write once it has ended (a
    # file's ctime comes from a coarse clock and would not give such a write away).
    killed = kill_all(spare=pid)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    line = {"exit_code": code, "timed_out": timed_out, "ended_ns": ended_ns, "left_behind": killed}
    os.write(status_fd, (json.dumps(line) + "\n").encode())
    os.close(status_fd)
    return 0


if __name__ == "__main__":
    sep = sys.argv.index("--")
    sys.exit(run(sys.argv[sep + 1:], json.loads(sys.argv[1]), int(sys.argv[2])))

"""A control group per sandboxed run: a ceiling on its processes and on its memory, where the host has one.

This is how contest judges (isolate) bound a run: the kernel counts every process and thread the run
starts, whatever uid or session it moves to, and every page it uses (its files on a tmpfs included).
cgroup v2's `pids.max` and `memory.max` where the unified hierarchy offers those controllers; otherwise
the v1 `pids` and `memory` controllers (hosts such as Debian bookworm containers mount v1), each on its
own. The group is made under the grader's own one (a Slurm task's or a service's group still bounds it).

The grader opens each group's `cgroup.procs` for writing and hands the descriptors to confine.py, which
joins by writing "0" before it starts the script and closes them: only the run is counted, not the
set-up around it, and the sandbox needs no view of /sys/fs/cgroup (where it has one, it is read-only).
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

CONTROLLERS = ("pids", "memory")
PREFIX = "cgan-run-"  # a group's name: the prefix, the grader's pid, a random part


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(mount point, its root in the hierarchy, fstype, super options) of every cgroup mount."""
    out = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        left, _, right = line.partition(" - ")
        f, r = left.split(), right.split()
        if len(f) >= 5 and len(r) >= 3 and r[0] in ("cgroup", "cgroup2"):
            out.append((f[4].replace("\\040", " "), f[3], r[0], set(r[2].split(","))))
    return out


def _own_paths() -> dict[str, str]:
    """This process's group per hierarchy: controller name (or '' for v2) -> path."""
    out = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        _, ctrls, path = line.split(":", 2)
        for c in ctrls.split(",") if ctrls else [""]:
            out[c] = path
    return out


def _under(mount: str, root: str, path: str) -> Path:
    rel = path[len(root):] if root != "/" and path.startswith(root) else path
    return Path(mount) / rel.lstrip("/")


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _sweep(parent: Path) -> None:
    """Remove the empty groups that graders killed outright (SIGKILL: no clean-up) left under `parent`: ours
    by name, their grader gone, an hour old (a grader in another PID namespace may share the parent)."""
    for group in parent.glob(f"{PREFIX}*"):
        try:
            pid = int(group.name[len(PREFIX):].split("-")[0])
            os.kill(pid, 0)
            continue
        except ProcessLookupError:
            pass
        except (ValueError, OSError):
            continue
        try:
            if time.time() - group.stat().st_mtime > 3600 and not (group / "cgroup.procs").read_text().strip():
                group.rmdir()
        except OSError:
            pass


class RunCgroup:
    """`with RunCgroup(processes, memory_bytes) as cg:` makes the groups it can; `cg.fds` go to confine.py,
    `cg.held` names the controllers in force ('pids', 'memory') with their mechanism, `cg.why` says why
    one is missing. On exit every process still in a group is killed and the groups are removed."""

    def __init__(self, processes: int, memory_bytes: int, enabled: bool = True) -> None:
        self.limits = {"pids": str(processes), "memory": str(memory_bytes)}
        self.enabled = enabled
        self.dirs: list[Path] = []
        self.fds: list[int] = []
        self.held: dict[str, str] = {}
        self.why: dict[str, str] = {}
        self.name = f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> "RunCgroup":
        if not self.enabled:
            self.why = {c: "cgroups turned off" for c in CONTROLLERS}
            return self
        mounts, own = _mounts(), _own_paths()
        left = list(CONTROLLERS)
        for mount, root, kind, _ in mounts:
            if kind == "cgroup2" and "" in own:
                left = self._v2(_under(mount, root, own[""]), left)
                break
        for c in list(left):
            for mount, root, kind, opts in mounts:
                if kind == "cgroup" and c in opts and c in own:
                    if self._v1(_under(mount, root, own[c]), c):
                        left.remove(c)
                    break
        self.why = {c: self.why.get(c, f"no {c} cgroup controller this grader may use") for c in left}
        return self

    def _make(self, parent: Path, files: dict[str, str], label: str) -> bool:
        """A group under `parent` with `files` written (a name ending in '?' only where the kernel has it:
        swap is not accounted everywhere), its cgroup.procs opened for confine.py."""
        _sweep(parent)
        group = parent / self.name
        try:
            group.mkdir()
        except OSError as e:
            self.why.update({c: f"cannot make a {label} group under {parent} ({e.strerror})" for c in CONTROLLERS})
            return False
        self.dirs.append(group)
        try:
            for f, value in files.items():
                if not f.endswith("?") or (group / f[:-1]).exists():
                    _write(group / f.rstrip("?"), value)
            self.fds.append(os.open(group / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC))
        except OSError as e:
            self.why.update({c: f"cannot set the {label} limits ({e.strerror})" for c in CONTROLLERS})
            return False
        return True

    def _v2(self, base: Path, wanted: list[str]) -> list[str]:
        """The controllers of `wanted` that v2 gives here, in one group; returns those still missing."""
        try:
            use = [c for c in wanted if c in (base / "cgroup.controllers").read_text().split()]
        except OSError:
            return wanted
        if not use:
            return wanted
        try:
            _write(base / "cgroup.subtree_control", " ".join(f"+{c}" for c in use))
        except OSError as e:  # a group that holds processes cannot hand controllers down (v2's rule)
            self.why.update({c: f"cgroup v2 cannot delegate {c} from {base} ({e.strerror})" for c in use})
            return wanted
        files = {"pids.max": self.limits["pids"]} if "pids" in use else {}
        if "memory" in use:
            files.update({"memory.max": self.limits["memory"], "memory.swap.max?": "0"})
        if not self._make(base, files, "cgroup v2"):
            return wanted
        self.held.update({c: "cgroup v2" for c in use})
        return [c for c in wanted if c not in use]

    def _v1(self, base: Path, c: str) -> bool:
        files = ({"pids.max": self.limits["pids"]} if c == "pids" else
                 {"memory.limit_in_bytes": self.limits["memory"],
                  "memory.memsw.limit_in_bytes?": self.limits["memory"]})
        if not self._make(base, files, f"v1 {c}"):
            return False
        self.held[c] = f"cgroup v1 {c}"
        self.why.pop(c, None)
        return True

    def pids(self) -> set[int]:
        out: set[int] = set()
        for d in self.dirs:
            try:
                out.update(int(p) for p in (d / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return out

    def close(self) -> None:
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []
        end = time.monotonic() + 10
        for d in reversed(self.dirs):
            while True:
                for pid in self.pids():
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > end:
                        break
                    time.sleep(0.05)
        self.dirs = []

    def __exit__(self, *exc: object) -> None:
        self.close()

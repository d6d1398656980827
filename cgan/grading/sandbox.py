"""Run one untrusted submission: its own copy, a wall-clock limit, resource limits, no network.

Two levels, and the result says which one was in force:

* "namespaces" (root, util-linux unshare/setpriv/prlimit): the copy lives on a private tmpfs
  mounted at /tmp/hw3 inside new mount, PID and network namespaces; every other mount is
  read-only, the submissions folder and the grader's output are covered, the process runs as an
  unprivileged uid with no capabilities; when the PID namespace's first process ends, every
  process it left behind is killed. Outputs come back through a pipe as a tar stream.
* "basic": a copy in a temporary folder, its own session killed as a group at the limit,
  rlimits and a stripped environment; no filesystem or network isolation.
"""

from __future__ import annotations

import io
import os
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

SANDBOX_DIR = "/tmp/hw3"  # where the submission sees its copy in the namespaces level
SETUP_FAILED = 199
FILES_CAP = 64 * 2**20  # the most output files that come back from one run


@dataclass
class Limits:
    wall_s: float = 600.0
    cpu_s: int | None = None  # default: wall_s x cores
    memory_mb: int = 16384  # address space: torch maps several GiB of it without touching it
    file_mb: int = 512
    disk_mb: int = 2048  # room on the private tmpfs beyond the submission's own size
    processes: int = 512  # threads count too
    output_kb: int = 256
    network: bool = False

    def cpu_seconds(self) -> int:
        return self.cpu_s or int(self.wall_s * (os.cpu_count() or 1)) + 10


@dataclass
class RunResult:
    exit_code: int | None
    timed_out: bool
    wall_s: float
    output: str
    output_bytes: int
    files: dict[str, bytes] = field(default_factory=dict)
    isolation: str = ""
    setup_error: str | None = None

    @property
    def signal(self) -> str | None:
        if self.exit_code is not None and self.exit_code < 0:
            return signal.Signals(-self.exit_code).name
        if self.exit_code is not None and self.exit_code > 128 and self.exit_code - 128 in signal.Signals._value2member_map_:
            return signal.Signals(self.exit_code - 128).name
        return None


class _CappedReader(threading.Thread):
    """Keep the first and last `cap` bytes of a stream; count the rest."""

    def __init__(self, fd: int, cap: int, keep_all: bool = False) -> None:
        super().__init__(daemon=True)
        self.fd, self.cap, self.keep_all = fd, cap, keep_all
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def run(self) -> None:
        with os.fdopen(self.fd, "rb", buffering=0) as f:
            while chunk := f.read(65536):
                self.total += len(chunk)
                if len(self.head) < self.cap:
                    take = self.cap - len(self.head)
                    self.head += chunk[:take]
                    chunk = chunk[take:]
                if chunk and not self.keep_all:
                    self.tail = (self.tail + chunk)[-self.cap:]

    def text(self) -> str:
        cut = self.total - len(self.head) - len(self.tail)
        mid = f"\n[... {cut} bytes of output left out ...]\n" if cut > 0 else ""
        return self.head.decode("utf-8", "replace") + mid + self.tail.decode("utf-8", "replace")


def _env(home: str, path_dirs: list[str], extra: dict[str, str] | None = None) -> dict[str, str]:
    """A stripped environment: nothing of the grader's (tokens, proxies, CUDA settings) leaks in,
    except what the grader sets on purpose (`extra`, e.g. the job's CUDA_VISIBLE_DEVICES)."""
    path = ":".join(dict.fromkeys([*path_dirs, "/usr/local/bin", "/usr/bin", "/bin"]))
    return {"PATH": path, "HOME": f"{home}/.home", "TMPDIR": f"{home}/.tmp", "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": str(os.cpu_count() or 1), **(extra or {})}


def _python_dirs() -> list[str]:
    """PATH entries that give submissions the grader's Python (with torch, numpy, Pillow)."""
    return [os.path.dirname(sys.executable)]


@lru_cache(maxsize=1)
def namespaces_available() -> str | None:
    """None when the namespaces level works here, else why not."""
    if os.geteuid() != 0:
        return "not running as root"
    missing = [t for t in ("unshare", "setpriv", "prlimit", "tar", "cp") if not shutil.which(t)]
    if missing:
        return f"missing {', '.join(missing)} (util-linux)"
    try:
        r = subprocess.run(["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child", "--mount-proc",
                            "sh", "-c", "mount -t tmpfs probe /mnt 2>/dev/null || mount -t tmpfs probe /tmp"],
                           capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unshare failed ({e})"
    if r.returncode != 0:
        return f"unshare failed: {r.stderr.decode(errors='replace').strip()[:200]}"
    return None


def _untraversable(paths: list[str]) -> dict[str, set[str]]:
    """For each path, its highest ancestor others cannot enter (e.g. /root, 0700) and the child on the way."""
    out: dict[str, set[str]] = {}
    for p in paths:
        parts = Path(os.path.realpath(p)).parts
        for i in range(1, len(parts) - 1):
            anc = os.path.join(*parts[:i + 1])
            try:
                mode = os.stat(anc).st_mode
            except OSError:
                break
            if not mode & 0o001:
                out.setdefault(anc, set()).add(parts[i + 1])
                break
    return out


def _expose_script(paths: list[str]) -> str:
    """Shell lines that make `paths` reachable for the unprivileged uid, without opening their parents:
    park each needed child, cover the parent with an empty tmpfs, put the children back."""
    lines = []
    for k, (anc, children) in enumerate(sorted(_untraversable(paths).items())):
        for j, c in enumerate(sorted(children)):
            hold = f"/tmp/.hold{k}_{j}"
            lines.append(f"mkdir {hold} && mount --bind {shlex.quote(os.path.join(anc, c))} {hold}")
        lines.append(f"mount -t tmpfs -o size=1m,mode=0755 cgan-cover {shlex.quote(anc)}")
        for j, c in enumerate(sorted(children)):
            dst = shlex.quote(os.path.join(anc, c))
            lines.append(f"mkdir {dst} && mount --move /tmp/.hold{k}_{j} {dst} && rmdir /tmp/.hold{k}_{j}")
    return "\n".join(lines)


def _du_mb(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total // 2**20 + 1


def _namespace_script(src: Path, extra_dir: Path, stage: Path, argv: list[str], limits: Limits, uid: int,
                      hide: list[Path], collect: list[str], out_fd: int, extra_env: dict[str, str]) -> str:
    q = shlex.quote
    size = _du_mb(src) + _du_mb(extra_dir) + limits.disk_mb
    env = _env(SANDBOX_DIR, _python_dirs(), extra_env)
    env_args = " ".join(q(f"{k}={v}") for k, v in env.items())
    hide_lines = "\n".join(f"[ -d {q(str(h))} ] && mount -t tmpfs -o size=1m,mode=0755 cgan-hidden {q(str(h))}"
                           for h in hide)
    cmd = " ".join(q(a) for a in argv)
    collect_args = " ".join(q(c) for c in collect)
    # The grader's Python may live under /tmp (a CI checkout), which the private tmpfs covers:
    # park those folders inside the stage before the move and put them back, read-only, after it.
    keep = sorted({os.path.realpath(p) for p in _python_dirs() + [sys.prefix, sys.base_prefix]
                   if os.path.realpath(p).startswith("/tmp/")})
    keep_before = "\n".join(f"mkdir {q(str(stage))}/.keep{k} && mount --bind {q(p)} {q(str(stage))}/.keep{k}"
                            for k, p in enumerate(keep))
    keep_after = "\n".join(f"mkdir -p {q(p)} && mount --move /tmp/.keep{k} {q(p)} && rmdir /tmp/.keep{k} && "
                           f"mount -o remount,bind,ro {q(p)}" for k, p in enumerate(keep))
    return f"""
trap 'echo "cgan-sandbox: setup failed at line $LINENO" >&2; exit {SETUP_FAILED}' ERR
set -eu
mount -t tmpfs -o size={size}m,mode=0755 cgan-sandbox {q(str(stage))}
mkdir {q(str(stage))}/hw3
cp -a {q(str(src))}/. {q(str(stage))}/hw3/
cp -a {q(str(extra_dir))}/. {q(str(stage))}/hw3/
mkdir -p {q(str(stage))}/hw3/.home {q(str(stage))}/hw3/.tmp
chown -R {uid}:{uid} {q(str(stage))}/hw3
{keep_before}
mount --move {q(str(stage))} /tmp
{keep_after}
{hide_lines}
{_expose_script(_python_dirs() + [sys.prefix, sys.base_prefix, os.path.realpath(sys.executable)])}
mount -t tmpfs -o size=64m,mode=1777 cgan-shm /dev/shm 2>/dev/null || true
for m in $(awk '{{print $5}}' /proc/self/mountinfo); do
  case "$m" in /tmp|/tmp/*|/proc|/proc/*|/dev/shm) ;; *) mount -o remount,bind,ro "$m" 2>/dev/null || true ;; esac
done
trap - ERR
set +e
cd {SANDBOX_DIR}
prlimit --nproc={limits.processes} --fsize={limits.file_mb * 2**20} --as={limits.memory_mb * 2**20} \\
  --cpu={limits.cpu_seconds()} --core=0 -- \\
  setpriv --reuid={uid} --regid={uid} --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all -- \\
  env -i {env_args} {cmd} </dev/null {out_fd}>&-
rc=$?
cd {SANDBOX_DIR}
ls -d {collect_args} >/dev/null 2>&1 && tar -cf - --no-recursion -- $(find {collect_args} -maxdepth 2 2>/dev/null | head -n 200) 2>/dev/null | head -c {FILES_CAP} >&{out_fd}
exit $rc
"""


def _untar(data: bytes) -> dict[str, bytes]:
    """Regular files from the tar stream; links and anything odd are dropped, paths kept relative."""
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for m in tar:
                if m.isfile() and not m.name.startswith(("/", "..")) and ".." not in Path(m.name).parts:
                    f = tar.extractfile(m)
                    if f is not None:
                        files[os.path.normpath(m.name)] = f.read()
    except (tarfile.TarError, EOFError):
        pass  # a truncated stream still gave what came before the cut
    return files


def _die_with_parent(argv: list[str]) -> list[str]:
    """`argv` under util-linux's `setpriv --pdeathsig KILL` where it is there: when the grader (a cluster
    task, say) is killed, its sandboxed run is killed with it instead of running on unwatched until its
    own limits. (Not a preexec_fn: Python code between fork and exec can deadlock in a threaded grader.)"""
    return ["setpriv", "--pdeathsig", "KILL", "--", *argv] if shutil.which("setpriv") else argv


def _set_limits(limits: Limits) -> None:

    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds(), limits.cpu_seconds()))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * 2**20, limits.file_mb * 2**20))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * 2**20, limits.memory_mb * 2**20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if os.geteuid() != 0:  # for root, NPROC would count (and block) every root process on the machine
        soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
        resource.setrlimit(resource.RLIMIT_NPROC, (min(limits.processes + _user_processes(), hard), hard))


def _user_processes() -> int:
    uid = os.getuid()
    n = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.stat(f"/proc/{d}").st_uid == uid:
                    n += 1
            except OSError:
                pass
    return n


def _wait(proc: subprocess.Popen, limits: Limits, readers: list[_CappedReader]) -> tuple[int | None, bool]:
    timed_out = False
    try:
        proc.wait(timeout=limits.wall_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    for r in readers:
        r.join(timeout=10)
    return proc.returncode, timed_out


def run_submission(src: str | Path, argv: list[str], limits: Limits, extra_files: dict[str, bytes] | None = None,
                   collect: tuple[str, ...] = ("samples",), hide: list[Path] | None = None, uid: int = 61000,
                   work: str | Path | None = None, force_basic: bool = False,
                   extra_env: dict[str, str] | None = None) -> RunResult:
    """Run `argv` (e.g. ['bash', 'run_cgan.sh', 'testing_tags.txt']) in a copy of `src`.

    `extra_files` are written into the copy first (the grader's tags file); the regular files under
    `collect` come back in `files`; `hide` are folders the submission must not see.
    """
    src = Path(src).resolve()
    why = "asked for basic" if force_basic else namespaces_available()
    with tempfile.TemporaryDirectory(prefix="cgan-run-", dir=work) as tmp:
        tmp_path = Path(tmp)
        extra = tmp_path / "extra"
        extra.mkdir()
        for name, data in (extra_files or {}).items():
            (extra / name).parent.mkdir(parents=True, exist_ok=True)
            (extra / name).write_bytes(data)
        if why is None:
            return _run_namespaces(src, extra, tmp_path, argv, limits, uid, hide or [], list(collect), extra_env or {})
        return _run_basic(src, extra, tmp_path, argv, limits, list(collect), why, extra_env or {})


def _run_namespaces(src: Path, extra: Path, tmp: Path, argv: list[str], limits: Limits, uid: int,
                    hide: list[Path], collect: list[str], extra_env: dict[str, str]) -> RunResult:
    stage = tmp / "stage"
    stage.mkdir()
    r_out, w_out = os.pipe()
    r_files, w_files = os.pipe()
    script = _namespace_script(src, extra, stage, argv, limits, uid, hide, collect, w_files, extra_env)
    ns = ["--mount", "--pid", "--fork", "--kill-child", "--mount-proc"] + ([] if limits.network else ["--net"])
    t0 = time.monotonic()
    proc = subprocess.Popen(_die_with_parent(["unshare", *ns, "bash", "-c", script]), stdin=subprocess.DEVNULL,
                            stdout=w_out, stderr=w_out, pass_fds=(w_files,), start_new_session=True,
                            env=_env(SANDBOX_DIR, _python_dirs()))  # limits: prlimit, on the submission only
    os.close(w_out)
    os.close(w_files)
    out = _CappedReader(r_out, limits.output_kb * 1024)
    files = _CappedReader(r_files, FILES_CAP, keep_all=True)
    out.start()
    files.start()
    code, timed_out = _wait(proc, limits, [out, files])
    wall = time.monotonic() - t0
    text = out.text()
    setup_error = None
    if code == SETUP_FAILED and "cgan-sandbox: setup failed" in text:
        setup_error = text.strip().splitlines()[-1]
    net = "network allowed" if limits.network else "no network"
    iso = (f"namespaces: private tmpfs copy at {SANDBOX_DIR}, read-only system, hidden submissions, {net}, "
           f"PID namespace, uid {uid} without capabilities, rlimits")
    return RunResult(code, timed_out, wall, text, out.total, _untar(bytes(files.head)), iso, setup_error)


def _run_basic(src: Path, extra: Path, tmp: Path, argv: list[str], limits: Limits, collect: list[str],
               why: str, extra_env: dict[str, str]) -> RunResult:
    copy = tmp / "hw3"
    shutil.copytree(src, copy, symlinks=True)
    shutil.copytree(extra, copy, dirs_exist_ok=True)
    (copy / ".home").mkdir(exist_ok=True)
    (copy / ".tmp").mkdir(exist_ok=True)
    r_out, w_out = os.pipe()
    t0 = time.monotonic()
    proc = subprocess.Popen(_die_with_parent(argv), cwd=copy, stdin=subprocess.DEVNULL, stdout=w_out, stderr=w_out,
                            start_new_session=True, preexec_fn=lambda: _set_limits(limits),
                            env=_env(str(copy), _python_dirs(), extra_env))
    os.close(w_out)
    out = _CappedReader(r_out, limits.output_kb * 1024)
    out.start()
    code, timed_out = _wait(proc, limits, [out])
    try:  # stragglers that left the process group's leader behind
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    wall = time.monotonic() - t0
    files: dict[str, bytes] = {}
    for c in collect:
        base = copy / c
        cands = [base] if base.is_file() else sorted(base.glob("*")) if base.is_dir() and not base.is_symlink() else []
        for p in cands[:200]:
            if p.is_file() and not p.is_symlink() and p.stat().st_size <= FILES_CAP:
                files[str(p.relative_to(copy))] = p.read_bytes()
    iso = f"basic: own session killed at the limit, rlimits, stripped environment; no filesystem or network isolation ({why})"
    return RunResult(code, timed_out, wall, out.text(), out.total, files, iso)

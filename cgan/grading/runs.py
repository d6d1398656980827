"""Starting one sandboxed run and reading it back: the limits it gets, what it returns, the set-up script
that builds its view inside the namespaces (the same at both levels), the plain copy without them, and
the pipes its output, confine.py's status and the collected files come back through.

sandbox.py picks the level and the uid; this module only carries them out.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from cgan.grading.cgroups import RunCgroup
from cgan.grading.collect import collect as collect_files
from cgan.grading.collect import read_stream, stream_cap
from cgan.grading.mounts import view_lines
from cgan.grading.streams import CappedReader, status_line

SANDBOX_DIR = "/tmp/hw3"  # where the submission sees its copy (both levels, with namespaces)
CONFINE = Path(__file__).with_name("confine.py")
COLLECT = Path(__file__).with_name("collect.py")
ALLOWED_ENV = ("CUDA_VISIBLE_DEVICES",)  # all a caller may add to the submission's environment
SETUP_GRACE_S = 300  # beyond the limit, for copying in and collecting, before the grader kills it all
SETUP_FAILED = 199
@dataclass
class Limits:
    wall_s: float = 600.0
    cpu_s: int | None = None  # default: wall_s x cores
    memory_mb: int = 16384  # address space of each process, and the run's memory in all where a cgroup holds it
    file_mb: int = 512
    disk_mb: int = 2048  # room on the private tmpfs beyond the submission's own size
    processes: int = 512  # threads count too
    output_kb: int = 256
    network: bool = False
    sandbox: str = ""  # "basic" or "namespaces"; empty: the strongest this machine allows

    def cpu_seconds(self) -> int:
        return self.cpu_s or int(self.wall_s * (os.cpu_count() or 1)) + 10

    def spec(self, nproc: int | None = None, cgroup_fds: list[int] | None = None) -> str:
        """What confine.py enforces, as its JSON argument."""
        return json.dumps({"wall_s": self.wall_s, "cpu_s": self.cpu_seconds(), "file_bytes": self.file_mb * 2**20,
                           "memory_bytes": self.memory_mb * 2**20, "nproc": nproc,
                           "cgroup_fds": list(cgroup_fds or [])})


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
    late: list[str] = field(default_factory=list)  # outputs changed after the script ended: not taken
    left_behind: int = 0  # processes still alive when the script ended, killed before collection
    notes: list[str] = field(default_factory=list)  # the sandbox's own lines for the student's log

    @property
    def signal(self) -> str | None:
        if self.exit_code is not None and self.exit_code < 0:
            return signal.Signals(-self.exit_code).name
        if self.exit_code is not None and self.exit_code > 128 and self.exit_code - 128 in signal.Signals._value2member_map_:
            return signal.Signals(self.exit_code - 128).name
        return None

    @property
    def log(self) -> str:
        """The run's output, then what the sandbox has to say about it (limits, files not collected)."""
        tail = "".join(f"cgan-sandbox: {n}\n" for n in self.notes)
        return self.output + ("\n" if self.output and not self.output.endswith("\n") and tail else "") + tail


def sandbox_env(home: str, path_dirs: list[str], extra: dict[str, str] | None = None) -> dict[str, str]:
    """The submission's whole environment, built from nothing: of the grader's own variables (tokens,
    proxies, cluster settings) none passes, and of `extra` only the names in ALLOWED_ENV."""
    path = ":".join(dict.fromkeys([*path_dirs, "/usr/local/bin", "/usr/bin", "/bin"]))
    allowed = {k: v for k, v in (extra or {}).items() if k in ALLOWED_ENV}
    return {"PATH": path, "HOME": f"{home}/.home", "TMPDIR": f"{home}/.tmp", "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": str(os.cpu_count() or 1), **allowed}


def python_dirs() -> list[str]:
    """PATH entries that give submissions the grader's Python (with torch, numpy, Pillow)."""
    return [os.path.dirname(sys.executable)]


def du_mb(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total // 2**20 + 1


def tasks_of(uid: int) -> int:
    """Tasks (threads too) whose real uid is `uid`, machine-wide: what RLIMIT_NPROC counts."""
    n = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                status = Path(f"/proc/{d}/status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if int(fields.get("Uid", "-1 0").split()[0]) == uid:
                n += int(fields.get("Threads", "1"))
    return n


def chown_tree(path: Path, uid: int) -> None:
    """`path` and everything under it to `uid`, links themselves and never what they point to."""
    os.lchown(path, uid, uid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, uid)


def _confined(argv: list[str], spec: str, status_fd: int, env: dict[str, str]) -> str:
    """The shell words that run `argv` under confine.py (from the private /tmp), with `env` only."""
    env_args = " ".join(shlex.quote(f"{k}={v}") for k, v in env.items())
    cmd = " ".join(shlex.quote(a) for a in argv)
    return (f"env -i {env_args} {shlex.quote(sys.executable)} -I -S /tmp/.cgan-confine.py "
            f"{shlex.quote(spec)} {status_fd} -- {cmd}")


SETUP_HEAD = f"""trap 'echo "cgan-sandbox: setup failed at line $LINENO" >&2; exit {SETUP_FAILED}' ERR
set -eu"""
# confine.py is the first process of its own PID namespace: when it has exited, the kernel has killed and
# waited for everything below it. This kill finds nothing left; it is there in case that ever changes.
REAP = "kill -9 -1 2>/dev/null || true"
DROP = "setpriv --no-new-privs --inh-caps=-all --bounding-set=-all"


@dataclass
class Setup:
    """One run's set-up inside its namespaces (the same script at both levels)."""

    stage: Path
    sources: list[Path]  # copied, in order, into /tmp/hw3
    chown: int | None  # the uid the copy is handed to (the namespaces level), else None
    drop: str  # the setpriv words that start the script
    hide: list[Path]
    outputs: list[str]
    collect: list[str]


def _script(s: Setup, argv: list[str], limits: Limits, spec: str, status_fd: int, out_fd: int,
            env: dict[str, str]) -> str:
    q = shlex.quote
    size = sum(du_mb(p) for p in s.sources) + limits.disk_mb
    st = q(str(s.stage))
    gather = json.dumps({"root": SANDBOX_DIR, "outputs": s.outputs, "dirs": s.collect})
    # The collector's source goes on the command line: a file in the sandbox's /tmp could have been changed
    # by the script at the basic level, where the script and the set-up share the namespace's uid.
    return f"""{SETUP_HEAD}
mount -t tmpfs -o size={size}m,mode=0755 cgan-sandbox {st}
mkdir {st}/hw3 {st}/.shm
chmod 1777 {st}/.shm
{chr(10).join(f"cp -a {q(str(p))}/. {st}/hw3/" for p in s.sources)}
mkdir -p {st}/hw3/.home {st}/hw3/.tmp
{f"chown -R {s.chown}:{s.chown} {st}/hw3" if s.chown is not None else ":"}
cp {q(str(CONFINE))} {st}/.cgan-confine.py
{chr(10).join(view_lines(str(s.stage), s.hide))}
trap - ERR
set +e
cd {SANDBOX_DIR}
unshare --pid --fork --kill-child --mount --mount-proc -- {s.drop} -- \\
  {_confined(argv, spec, status_fd, env)} </dev/null {out_fd}>&-
{REAP}
cd /
{q(sys.executable)} -I -S -c {q(COLLECT.read_text())} {q(gather)} >&{out_fd} {status_fd}>&-
exit 0
"""


def _die_with_parent(argv: list[str]) -> list[str]:
    """`argv` under util-linux's `setpriv --pdeathsig KILL` where it is there: when the grader (a cluster
    task, say) is killed, its sandboxed run is killed with it instead of running on unwatched until its
    own limits. (Not a preexec_fn: Python code between fork and exec can deadlock in a threaded grader.)
    A later setpriv that changes the uid clears the signal, so a uid change goes into this same call."""
    if not shutil.which("setpriv"):
        return argv
    if argv[0] == "setpriv":
        return ["setpriv", "--pdeathsig", "KILL", *argv[1:]]
    return ["setpriv", "--pdeathsig", "KILL", "--", *argv]


def _launch(cmd: list[str], limits: Limits, pass_fds: tuple[int, ...], r_status: int, cwd: Path | str,
            env: dict[str, str]) -> tuple[subprocess.Popen, CappedReader, CappedReader, float]:
    """Start `cmd` with its output captured, handing it `pass_fds` (closed here once it has them); returns
    it, its output reader, the reader of confine.py's status (`r_status`, the read end of a status pipe
    whose write end is among `pass_fds`) and the start time."""
    r_out, w_out = os.pipe()
    t0 = time.monotonic()
    proc = subprocess.Popen(_die_with_parent(cmd), stdin=subprocess.DEVNULL, stdout=w_out, stderr=w_out, cwd=cwd,
                            pass_fds=pass_fds, start_new_session=True, env=env)
    for fd in (w_out, *pass_fds):
        os.close(fd)
    out = CappedReader(r_out, limits.output_kb * 1024)
    status = CappedReader(r_status, 4096, keep_all=True)
    out.start()
    status.start()
    return proc, out, status, t0


def _wait(proc: subprocess.Popen, limits: Limits) -> bool:
    """Wait for the run (its limit plus room to set up and collect); True when the grader had to stop it."""
    try:
        proc.wait(timeout=limits.wall_s + SETUP_GRACE_S)
        backstop = False
    except subprocess.TimeoutExpired:
        backstop = True
    try:  # nothing of the run outlives it, whatever happened inside
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    return backstop


def _finish(proc: subprocess.Popen, out: CappedReader, status_data: bytes, backstop: bool, t0: float,
            files: dict[str, tuple[bytes, float]], notes: list[str]) -> RunResult:
    """Judge the run by confine.py's status: no status, no output trusted; outputs changed after the
    script ended are left out."""
    status, _ = status_line(status_data)
    text = out.text()
    setup_error = None
    if proc.returncode == SETUP_FAILED and "cgan-sandbox: setup failed" in text:
        setup_error = text.strip().splitlines()[-1]
    if status is None:  # the wrapper never said when the script ended: no output can be trusted
        status = {"exit_code": None, "timed_out": backstop, "ended_ns": 0, "left_behind": 0}
        files = {}
    ended = status["ended_ns"] / 1e9
    late = sorted(n for n, (_, changed) in files.items() if not ended or changed > ended)
    kept = {n: data for n, (data, _) in files.items() if n not in late}
    return RunResult(status["exit_code"], bool(status["timed_out"] or backstop), time.monotonic() - t0, text,
                     out.total, kept, "", setup_error, late, int(status["left_behind"]), notes)


def run_in_namespaces(outer: list[str], setup: Setup, argv: list[str], limits: Limits, spec: str, cg: RunCgroup,
                       extra_env: dict[str, str]) -> RunResult:
    """Both levels with namespaces: `outer` makes them, the set-up script builds the view, runs the script
    and, once everything of it is dead, writes the collected files to a pipe of their own."""
    r_files, w_files = os.pipe()
    r_status, w_status = os.pipe()
    script = _script(setup, argv, limits, spec, w_status, w_files, sandbox_env(SANDBOX_DIR, python_dirs(), extra_env))
    proc, out, status, t0 = _launch([*outer, "bash", "-c", script], limits, (w_files, w_status, *cg.fds), r_status,
                                    "/", sandbox_env(SANDBOX_DIR, python_dirs()))
    cg.fds.clear()
    files = CappedReader(r_files, stream_cap(len(setup.outputs)), keep_all=True)
    files.start()
    backstop = _wait(proc, limits)
    for r in (out, status, files):
        r.join(timeout=10)
    got, notes = read_stream(bytes(files.head))
    return _finish(proc, out, bytes(status.head), backstop, t0, got, notes)


def run_plain(src: Path, extra: Path, tmp: Path, argv: list[str], limits: Limits, spec: str, cg: RunCgroup,
               run_uid: int | None, setup: Setup, extra_env: dict[str, str]) -> RunResult:
    """Basic without namespaces: a copy in the temporary folder; under a root grader, the job's uid where
    it can run the grader's Python, else root without capabilities."""
    copy = tmp / "hw3"
    shutil.copytree(src, copy, symlinks=True)
    shutil.copytree(extra, copy, dirs_exist_ok=True)
    (copy / ".home").mkdir(exist_ok=True)
    (copy / ".tmp").mkdir(exist_ok=True)
    r_status, w_status = os.pipe()
    cmd = [sys.executable, "-I", "-S", str(CONFINE), spec, str(w_status), "--", *argv]
    if os.geteuid() == 0 and run_uid is not None:
        chown_tree(tmp, run_uid)
        cmd = ["setpriv", f"--reuid={run_uid}", f"--regid={run_uid}", "--clear-groups", *DROP.split()[1:], "--", *cmd]
    elif os.geteuid() == 0:
        cmd = [*DROP.split(), "--", *cmd]
    proc, out, status, t0 = _launch(cmd, limits, (w_status, *cg.fds), r_status, copy,
                                    sandbox_env(str(copy), python_dirs(), extra_env))
    cg.fds.clear()
    backstop = _wait(proc, limits)
    status.join(timeout=10)
    out.join(timeout=10)
    cg.close()  # anything that escaped confine.py's subreaper (it cannot) is killed before the files are read
    files, notes = collect_files(str(copy), setup.outputs, setup.collect) if status.total else ({}, [])
    got = {n: (d, changed / 1e9) for n, (d, changed) in files.items()}
    return _finish(proc, out, bytes(status.head), backstop, t0, got, notes)

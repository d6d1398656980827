"""Run one untrusted submission: its own copy, a wall-clock limit, resource limits, no network.

Two levels, and the result says which one was in force, what the submission could see and which limits
held:

* "namespaces" (root, util-linux unshare/setpriv): the copy lives on a private, size-limited tmpfs
  mounted as /tmp inside new mount, PID and network namespaces, and runs as an unprivileged uid
  without capabilities.
* "basic" (any user): the same view inside a user namespace where the kernel allows one, the script
  running as that namespace's root without capabilities. The namespace belongs to the grader's uid or,
  when the grader is root, to the job's unprivileged uid (root's processes are never counted by
  RLIMIT_NPROC). Where user namespaces are not allowed: a copy in a temporary folder, run as the job's
  uid when the grader is root, and nothing hidden.

Limits: processes and memory by a control group per run where the host has one (cgroups.py), processes
by RLIMIT_NPROC on the run's own uid besides; disk by the size of the private tmpfs; CPU time, address
space and file size by rlimits. A limit that cannot be had is said, "NOT limited", in the result and in
the student's log.

At both levels the submission runs under confine.py, which joins the cgroups, sets the rlimits, kills
every process the script left behind (whatever session or group it moved to) when the script ends or
hits its limit, and reports when the script ended. Only then are the outputs read, by one rule
(collect.py): the part's own outputs by name first, each with its own cap, then the rest within caps;
a file changed after the script ended is not taken. The environment passes by allow-list.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cgan.core.errors import CganError
from cgan.grading.cgroups import RunCgroup
from cgan.grading.collect import collect as collect_files
from cgan.grading.collect import read_stream, stream_cap
from cgan.grading.mounts import describe, interpreter_dirs, view_lines
from cgan.grading.streams import CappedReader, status_line

SANDBOX_DIR = "/tmp/hw3"  # where the submission sees its copy (both levels, with namespaces)
CONFINE = Path(__file__).with_name("confine.py")
COLLECT = Path(__file__).with_name("collect.py")
ALLOWED_ENV = ("CUDA_VISIBLE_DEVICES",)  # all a caller may add to the submission's environment
SETUP_GRACE_S = 300  # beyond the limit, for copying in and collecting, before the grader kills it all
SETUP_FAILED = 199
DEFAULT_UID = 61000  # the first job's uid when the grader is root (one uid per concurrent job)
USE_CGROUPS = True  # tests turn it off to check the fallbacks
# The run's own processes of its uid beside the script's, when RLIMIT_NPROC counts them: confine.py, and
# at the basic level with namespaces the two unshare processes and the set-up shell above it.
CHAIN = {"namespaces": 1, "basic": 4, "basic-plain": 1}


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


def _env(home: str, path_dirs: list[str], extra: dict[str, str] | None = None) -> dict[str, str]:
    """The submission's whole environment, built from nothing: of the grader's own variables (tokens,
    proxies, cluster settings) none passes, and of `extra` only the names in ALLOWED_ENV."""
    path = ":".join(dict.fromkeys([*path_dirs, "/usr/local/bin", "/usr/bin", "/bin"]))
    allowed = {k: v for k, v in (extra or {}).items() if k in ALLOWED_ENV}
    return {"PATH": path, "HOME": f"{home}/.home", "TMPDIR": f"{home}/.tmp", "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": str(os.cpu_count() or 1), **allowed}


def _python_dirs() -> list[str]:
    """PATH entries that give submissions the grader's Python (with torch, numpy, Pillow)."""
    return [os.path.dirname(sys.executable)]


def _probe(argv: list[str]) -> str | None:
    try:
        r = subprocess.run(argv, capture_output=True, timeout=20, env=_env("/tmp", _python_dirs()), cwd="/")
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


def _du_mb(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total // 2**20 + 1


def _tasks_of(uid: int) -> int:
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


def _chown_tree(path: Path, uid: int) -> None:
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
class _Setup:
    """One run's set-up inside its namespaces (the same script at both levels)."""

    stage: Path
    sources: list[Path]  # copied, in order, into /tmp/hw3
    chown: int | None  # the uid the copy is handed to (the namespaces level), else None
    drop: str  # the setpriv words that start the script
    hide: list[Path]
    outputs: list[str]
    collect: list[str]


def _script(s: _Setup, argv: list[str], limits: Limits, spec: str, status_fd: int, out_fd: int,
            env: dict[str, str]) -> str:
    q = shlex.quote
    size = sum(_du_mb(p) for p in s.sources) + limits.disk_mb
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
        nproc = None if run_uid is None else limits.processes + CHAIN[level] + _tasks_of(run_uid)
        nproc_of = (None if run_uid is None else f"uid {run_uid}" if os.geteuid() == 0 else
                    "the grader's uid, shared with its other processes")
        words = _limit_words(limits, cg, nproc_of, disk=level != "basic-plain")
        setup = _Setup(tmp_path / "stage", [src, extra], None, DROP, [Path(h) for h in hide or []], list(outputs),
                       list(collect))
        spec = limits.spec(nproc, cg.fds)
        net = "network allowed" if limits.network else "no network"
        if level == "namespaces":
            setup.chown, setup.drop = uid, f"{DROP} --reuid={uid} --regid={uid} --clear-groups"
            run = _run_in_namespaces(["unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc",
                                      *([] if limits.network else ["--net"])], setup, argv, limits, spec, cg,
                                     extra_env or {})
            iso = (f"namespaces: private tmpfs copy at {SANDBOX_DIR}, read-only system, {net}, PID namespace, "
                   f"uid {uid} without capabilities; {words}; {describe(setup.hide)}")
        elif level == "basic":
            run = _run_in_namespaces(_userns(limits.network), setup, argv, limits, spec, cg, extra_env or {})
            iso = (f"basic ({why}): user namespace as the grader's own user without capabilities, private tmpfs "
                   f"copy at {SANDBOX_DIR}, read-only system, {net}, PID namespace; {words}; {describe(setup.hide)}")
        else:
            run = _run_plain(src, extra, tmp_path, argv, limits, spec, cg, run_uid, setup, extra_env or {})
            who = f"uid {run_uid}" if run_uid is not None and os.geteuid() == 0 else "the grader's own user"
            iso = (f"basic ({why}; no user namespaces: {user_namespaces_available()}): a copy in a temporary folder "
                   f"as {who}, environment by allow-list; {words}; the grader's files and the network are NOT hidden")
        run.isolation = iso
        run.notes = [words, *run.notes]
        return run


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
    late = sorted(n for n, (_, mtime) in files.items() if not ended or mtime > ended)
    kept = {n: data for n, (data, _) in files.items() if n not in late}
    return RunResult(status["exit_code"], bool(status["timed_out"] or backstop), time.monotonic() - t0, text,
                     out.total, kept, "", setup_error, late, int(status["left_behind"]), notes)


def _run_in_namespaces(outer: list[str], setup: _Setup, argv: list[str], limits: Limits, spec: str, cg: RunCgroup,
                       extra_env: dict[str, str]) -> RunResult:
    """Both levels with namespaces: `outer` makes them, the set-up script builds the view, runs the script
    and, once everything of it is dead, writes the collected files to a pipe of their own."""
    r_files, w_files = os.pipe()
    r_status, w_status = os.pipe()
    script = _script(setup, argv, limits, spec, w_status, w_files, _env(SANDBOX_DIR, _python_dirs(), extra_env))
    proc, out, status, t0 = _launch([*outer, "bash", "-c", script], limits, (w_files, w_status, *cg.fds), r_status,
                                    "/", _env(SANDBOX_DIR, _python_dirs()))
    cg.fds.clear()
    files = CappedReader(r_files, stream_cap(len(setup.outputs)), keep_all=True)
    files.start()
    backstop = _wait(proc, limits)
    for r in (out, status, files):
        r.join(timeout=10)
    got, notes = read_stream(bytes(files.head))
    return _finish(proc, out, bytes(status.head), backstop, t0, got, notes)


def _run_plain(src: Path, extra: Path, tmp: Path, argv: list[str], limits: Limits, spec: str, cg: RunCgroup,
               run_uid: int | None, setup: _Setup, extra_env: dict[str, str]) -> RunResult:
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
        _chown_tree(tmp, run_uid)
        cmd = ["setpriv", f"--reuid={run_uid}", f"--regid={run_uid}", "--clear-groups", *DROP.split()[1:], "--", *cmd]
    elif os.geteuid() == 0:
        cmd = [*DROP.split(), "--", *cmd]
    proc, out, status, t0 = _launch(cmd, limits, (w_status, *cg.fds), r_status, copy,
                                    _env(str(copy), _python_dirs(), extra_env))
    cg.fds.clear()
    backstop = _wait(proc, limits)
    status.join(timeout=10)
    out.join(timeout=10)
    cg.close()  # anything that escaped confine.py's subreaper (it cannot) is killed before the files are read
    files, notes = collect_files(str(copy), setup.outputs, setup.collect) if status.total else ({}, [])
    return _finish(proc, out, bytes(status.head), backstop, t0, {n: (d, m / 1e9) for n, (d, m) in files.items()}, notes)

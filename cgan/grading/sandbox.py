"""Run one untrusted submission: its own copy, a wall-clock limit, resource limits, no network.

Two levels, and the result says which one was in force and what the submission could see:

* "namespaces" (root, util-linux unshare/setpriv): the copy lives on a private, size-limited tmpfs
  mounted as /tmp inside new mount, PID and network namespaces, and runs as an unprivileged uid
  without capabilities. Outputs come back through a pipe as a tar stream.
* "basic" (any user): new user, mount, PID and network namespaces where the kernel allows them
  (the same view: the copy on a private /tmp, the grader's home covered), running as the grader's
  own user; where it does not, a copy in a temporary folder and nothing more.

At both levels the submission runs under confine.py, which sets the rlimits, kills every process the
script left behind (whatever session or group it moved to) when the script ends or hits its limit,
and reports when the script ended. The outputs are read only after that, and a file changed after
the script ended is not taken. The environment passes by allow-list.
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
from cgan.grading.mounts import describe, view_lines
from cgan.grading.streams import FILES_CAP, CappedReader, read_tree, status_line, untar

SANDBOX_DIR = "/tmp/hw3"  # where the submission sees its copy (both levels, with namespaces)
CONFINE = Path(__file__).with_name("confine.py")
ALLOWED_ENV = ("CUDA_VISIBLE_DEVICES",)  # all a caller may add to the submission's environment
SETUP_GRACE_S = 300  # beyond the limit, for copying in and collecting, before the grader kills it all
SETUP_FAILED = 199


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
    sandbox: str = ""  # "basic" or "namespaces"; empty: the strongest this machine allows

    def cpu_seconds(self) -> int:
        return self.cpu_s or int(self.wall_s * (os.cpu_count() or 1)) + 10

    def spec(self) -> str:
        """What confine.py enforces, as its JSON argument."""
        return json.dumps({"wall_s": self.wall_s, "cpu_s": self.cpu_seconds(), "file_bytes": self.file_mb * 2**20,
                           "memory_bytes": self.memory_mb * 2**20, "processes": self.processes})


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

    @property
    def signal(self) -> str | None:
        if self.exit_code is not None and self.exit_code < 0:
            return signal.Signals(-self.exit_code).name
        if self.exit_code is not None and self.exit_code > 128 and self.exit_code - 128 in signal.Signals._value2member_map_:
            return signal.Signals(self.exit_code - 128).name
        return None


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
        r = subprocess.run(argv, capture_output=True, timeout=20, env=_env("/tmp", _python_dirs()))
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


@lru_cache(maxsize=1)
def user_namespaces_available() -> str | None:
    """None when this user may make user, mount, PID and network namespaces (the basic level's view)."""
    if not shutil.which("unshare") or not shutil.which("setpriv"):
        return "util-linux unshare/setpriv missing"
    return _probe(["unshare", "--user", "--map-current-user", "--mount", "--net", "--pid", "--fork",
                   "--mount-proc", "sh", "-c", "mount -t tmpfs probe /mnt 2>/dev/null || mount -t tmpfs probe /tmp"])


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


def _confined(argv: list[str], limits: Limits, status_fd: int, env: dict[str, str]) -> str:
    """The shell words that run `argv` under confine.py (from the private /tmp), with `env` only."""
    env_args = " ".join(shlex.quote(f"{k}={v}") for k, v in env.items())
    cmd = " ".join(shlex.quote(a) for a in argv)
    return (f"env -i {env_args} {shlex.quote(sys.executable)} -I -S /tmp/.cgan-confine.py "
            f"{shlex.quote(limits.spec())} {status_fd} -- {cmd}")


SETUP_HEAD = f"""trap 'echo "cgan-sandbox: setup failed at line $LINENO" >&2; exit {SETUP_FAILED}' ERR
set -eu"""
# confine.py is the first process of its own PID namespace: when it has exited, the kernel has killed and
# waited for everything below it. This kill finds nothing left; it is there in case that ever changes.
REAP = "kill -9 -1 2>/dev/null || true"


def _namespace_script(src: Path, extra_dir: Path, stage: Path, argv: list[str], limits: Limits, uid: int,
                      hide: list[Path], collect: list[str], out_fd: int, extra_env: dict[str, str]) -> str:
    q = shlex.quote
    size = _du_mb(src) + _du_mb(extra_dir) + limits.disk_mb
    collect_args = " ".join(q(c) for c in collect)
    st = q(str(stage))
    # confine.py runs as the first process of a PID namespace of its own: the submission, same uid,
    # cannot kill it, and when it ends the kernel ends whatever is left below it.
    drop = f"setpriv --reuid={uid} --regid={uid} --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all --"
    return f"""{SETUP_HEAD}
mount -t tmpfs -o size={size}m,mode=0755 cgan-sandbox {st}
mkdir {st}/hw3
cp -a {q(str(src))}/. {st}/hw3/
cp -a {q(str(extra_dir))}/. {st}/hw3/
mkdir -p {st}/hw3/.home {st}/hw3/.tmp
chown -R {uid}:{uid} {st}/hw3
cp {q(str(CONFINE))} {st}/.cgan-confine.py
{chr(10).join(view_lines(str(stage), {}, hide))}
trap - ERR
set +e
cd {SANDBOX_DIR}
unshare --pid --fork --kill-child --mount --mount-proc -- {drop} {_confined(argv, limits, 3, _env(SANDBOX_DIR, _python_dirs(), extra_env))} </dev/null 3>/tmp/.cgan-status {out_fd}>&-
{REAP}
cd {SANDBOX_DIR}
cat /tmp/.cgan-status >&{out_fd}
ls -d {collect_args} >/dev/null 2>&1 && tar --format=posix -cf - --no-recursion -- $(find {collect_args} -maxdepth 2 2>/dev/null | head -n 200) 2>/dev/null | head -c {FILES_CAP} >&{out_fd}
exit 0
"""


def _basic_script(stage: Path, copy: Path, argv: list[str], limits: Limits, hide: list[Path], status_fd: int,
                  extra_env: dict[str, str]) -> str:
    """The basic level inside user namespaces: the copy bound in at /tmp/hw3, the same covers as the
    namespaces level, capabilities dropped, the grader's own uid."""
    st = shlex.quote(str(stage))
    return f"""{SETUP_HEAD}
mount -t tmpfs -o size=64m,mode=0755 cgan-sandbox {st}
cp {shlex.quote(str(CONFINE))} {st}/.cgan-confine.py
{chr(10).join(view_lines(str(stage), {"hw3": str(copy)}, hide))}
trap - ERR
set +e
cd {SANDBOX_DIR}
exec setpriv --no-new-privs --inh-caps=-all --bounding-set=-all -- \\
  {_confined(argv, limits, status_fd, _env(SANDBOX_DIR, _python_dirs(), extra_env))} </dev/null
"""


def _die_with_parent(argv: list[str]) -> list[str]:
    """`argv` under util-linux's `setpriv --pdeathsig KILL` where it is there: when the grader (a cluster
    task, say) is killed, its sandboxed run is killed with it instead of running on unwatched until its
    own limits. (Not a preexec_fn: Python code between fork and exec can deadlock in a threaded grader.)"""
    return ["setpriv", "--pdeathsig", "KILL", "--", *argv] if shutil.which("setpriv") else argv


def run_submission(src: str | Path, argv: list[str], limits: Limits, extra_files: dict[str, bytes] | None = None,
                   collect: tuple[str, ...] = ("samples",), hide: list[Path] | None = None, uid: int = 61000,
                   work: str | Path | None = None, force_basic: bool = False,
                   extra_env: dict[str, str] | None = None) -> RunResult:
    """Run `argv` (e.g. ['bash', 'run_cgan.sh', 'testing_tags.txt']) in a copy of `src`.

    `extra_files` are written into the copy first (the grader's tags file); the regular files under
    `collect` come back in `files`, read after every process of the run is dead; `hide` are folders the
    submission must not see. The level is `limits.sandbox` (`force_basic` asks for basic).
    """
    src = Path(src).resolve()
    level, why = choose_level("basic" if force_basic else limits.sandbox)
    with tempfile.TemporaryDirectory(prefix="cgan-run-", dir=work) as tmp:
        tmp_path = Path(tmp)
        extra = tmp_path / "extra"
        extra.mkdir()
        for name, data in (extra_files or {}).items():
            (extra / name).parent.mkdir(parents=True, exist_ok=True)
            (extra / name).write_bytes(data)
        stage = tmp_path / "stage"
        stage.mkdir()
        hide = [Path(h) for h in hide or []]
        if level == "namespaces":
            return _run_namespaces(src, extra, stage, argv, limits, uid, hide, list(collect), extra_env or {})
        return _run_basic(src, extra, tmp_path, argv, limits, hide, list(collect), why, extra_env or {})


def _launch(cmd: list[str], limits: Limits, pass_fds: tuple[int, ...], cwd: Path | None,
            env: dict[str, str]) -> tuple[subprocess.Popen, CappedReader, float]:
    r_out, w_out = os.pipe()
    t0 = time.monotonic()
    proc = subprocess.Popen(_die_with_parent(cmd), stdin=subprocess.DEVNULL, stdout=w_out, stderr=w_out, cwd=cwd,
                            pass_fds=pass_fds, start_new_session=True, env=env)
    os.close(w_out)
    for fd in pass_fds:
        os.close(fd)
    out = CappedReader(r_out, limits.output_kb * 1024)
    out.start()
    return proc, out, t0


def _finish(proc: subprocess.Popen, limits: Limits, readers: list[CappedReader], t0: float, status_data: bytes | None,
            files: dict[str, tuple[bytes, float]] | None, iso: str) -> RunResult:
    """Wait (the limit plus room to set up and collect), then judge the run by confine.py's status."""
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
    for r in readers:
        r.join(timeout=10)
    if status_data is None:
        status_data = bytes(readers[-1].head)
    status, rest = status_line(status_data)
    if files is None:
        files = untar(rest)
    text = readers[0].text()
    setup_error = None
    if proc.returncode == SETUP_FAILED and "cgan-sandbox: setup failed" in text:
        setup_error = text.strip().splitlines()[-1]
    if status is None:  # the wrapper never said when the script ended: no output can be trusted
        status = {"exit_code": None, "timed_out": backstop, "ended_ns": 0, "left_behind": 0}
    ended = status["ended_ns"] / 1e9
    late = sorted(n for n, (_, mtime) in files.items() if not ended or mtime > ended)
    kept = {n: data for n, (data, _) in files.items() if n not in late}
    return RunResult(status["exit_code"], bool(status["timed_out"] or backstop), time.monotonic() - t0, text,
                     readers[0].total, kept, iso, setup_error, late, int(status["left_behind"]))


def _run_namespaces(src: Path, extra: Path, stage: Path, argv: list[str], limits: Limits, uid: int,
                    hide: list[Path], collect: list[str], extra_env: dict[str, str]) -> RunResult:
    r_files, w_files = os.pipe()
    script = _namespace_script(src, extra, stage, argv, limits, uid, hide, collect, w_files, extra_env)
    ns = ["--mount", "--pid", "--fork", "--kill-child", "--mount-proc"] + ([] if limits.network else ["--net"])
    proc, out, t0 = _launch(["unshare", *ns, "bash", "-c", script], limits, (w_files,), None,
                            _env(SANDBOX_DIR, _python_dirs()))
    files = CappedReader(r_files, FILES_CAP + 4096, keep_all=True)
    files.start()
    net = "network allowed" if limits.network else "no network"
    iso = (f"namespaces: private tmpfs copy at {SANDBOX_DIR}, read-only system, {net}, PID namespace, uid {uid} "
           f"without capabilities, rlimits; {describe(hide)}")
    return _finish(proc, limits, [out, files], t0, None, None, iso)


def _run_basic(src: Path, extra: Path, tmp: Path, argv: list[str], limits: Limits, hide: list[Path],
               collect: list[str], why: str, extra_env: dict[str, str]) -> RunResult:
    copy = tmp / "hw3"
    shutil.copytree(src, copy, symlinks=True)
    shutil.copytree(extra, copy, dirs_exist_ok=True)
    (copy / ".home").mkdir(exist_ok=True)
    (copy / ".tmp").mkdir(exist_ok=True)
    r_status, w_status = os.pipe()
    userns = user_namespaces_available()
    if userns is None:
        ns = ["--user", "--map-current-user", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc"]
        script = _basic_script(tmp / "stage", copy, argv, limits, hide, w_status, extra_env)
        cmd, cwd = ["unshare", *ns, *([] if limits.network else ["--net"]), "bash", "-c", script], None
        net = "network allowed" if limits.network else "no network"
        iso = (f"basic ({why}): user namespace as the grader's own user without capabilities, private /tmp, "
               f"read-only system, {net}, PID namespace, rlimits; {describe(hide)}")
    else:
        cmd = [sys.executable, "-I", "-S", str(CONFINE), limits.spec(), str(w_status), "--", *argv]
        cwd = copy
        iso = (f"basic ({why}; no user namespaces: {userns}): a copy in a temporary folder as the grader's own user, "
               "rlimits, environment by allow-list; the grader's files and the network are NOT hidden")
    env = _env(SANDBOX_DIR if userns is None else str(copy), _python_dirs(), extra_env)
    proc, out, t0 = _launch(cmd, limits, (w_status,), cwd, env)
    status = CappedReader(r_status, 4096, keep_all=True)
    status.start()
    try:
        proc.wait(timeout=limits.wall_s + SETUP_GRACE_S)
    except subprocess.TimeoutExpired:
        pass
    status.join(timeout=1)
    files = read_tree(copy, collect) if status.total else {}
    return _finish(proc, limits, [out, status], t0, bytes(status.head), files, iso)

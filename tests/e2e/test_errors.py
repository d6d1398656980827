"""The error catalogue: every command met with bad paths and bad files says so in one line on stderr and
exits 2, with no traceback, and leaves nothing behind (no temporary file, the previous output as it was).

Commands run in-process (click's CliRunner); a few run as `python -m cgan` processes, as a user runs them.
With CGAN_ERRORS_OUT=DIR each case's transcript is also written to DIR/<case>.txt, for `grep -rn Traceback`.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import sys
import traceback
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cgan.cli import cli
from cgan.core.images import make_grid, save_png

from conftest import ROOT

# Progress lines may come before the error where the fault shows only once work has begun (a download's
# bytes, a folder only root is refused, which it is at the write): those cases are marked LATE.
LATE = "late"

# Every case: (the command line, with {names} of the workspace's files, and words its one line must hold).
# {missing} is a folder that does not exist; {ro} one that cannot be written, even by root; {file}/x puts a
# plain file where a folder should be; {prev_*} are earlier outputs that a failed command must leave as they are.
CASES = [
    # generate: -o a folder, under a file, unwritable, a name it cannot write; bad inputs
    ("generate {tags} -o {dir}", "{dir}: is a folder"),
    ("generate {tags} -o {file}/g.png", "{file} is a file, not a folder"),
    ("generate {tags} -o {ro}/g.png", "{ro}/g.png: cannot write", LATE),
    ("generate {tags} -o {ws}/g.gif", "cannot write an image with '.gif' (name it .png, .webp, .jpg or .jpeg)"),
    ("generate {tags} -o {ws}/grid", "{ws}/grid: cannot write an image with no extension"),
    ("generate {dir} -o {prev_png}", "{dir}"),
    ("generate {missing}/t.txt -o {prev_png}", "{missing}/t.txt"),
    ("generate {binary} -o {prev_png}", "{binary}"),
    ("generate {tags} --ckpt {dir}/ -o {prev_png}", "{dir}: a folder, not a checkpoint"),
    ("generate {tags} --ckpt {run_dir} -o {prev_png}", "{run_dir}: a run folder, not a checkpoint; its checkpoint is "
                                                       "{run_dir}/checkpoint.pt"),
    ("generate {tags} --ckpt {bad_pt} -o {prev_png}", "{bad_pt}: not a readable checkpoint"),
    ("generate {tags} --ckpt {cut_pt} -o {prev_png}", "{cut_pt}: not a readable checkpoint"),
    ("generate {tags} --ckpt {grid} -o {prev_png}", "{grid}: not a readable checkpoint"),
    ("generate --text-file {dir} -o {prev_png}", "{dir}"),
    ("generate --text-file {binary} -o {prev_png}", "{binary}:2: not UTF-8 text"),
    # eval
    ("eval {dir} --no-faces -o {prev_json}", "{dir}"),
    ("eval {missing}/g.png --no-faces -o {prev_json}", "{missing}/g.png: no such image"),
    ("eval {bad_png} --no-faces -o {prev_json}", "{bad_png}: not a readable image"),
    ("eval {cut_png} --no-faces -o {prev_json}", "{cut_png}: not a readable image"),
    ("eval {grid} --tags {dir} --no-faces -o {prev_json}", "{dir}"),
    ("eval {grid} --tags {binary} --no-faces -o {prev_json}", "{binary}"),
    ("eval {grid} --no-faces -o {dir}", "{dir}: is a folder"),
    ("eval {grid} --no-faces -o {ws}/eval.png", "cannot write JSON with '.png' (name it .json)"),
    ("eval {grid} --no-faces -o {file}/e.json", "{file} is a file, not a folder"),
    ("eval {grid} --no-faces -o {ro}/e.json", "{ro}/e.json: cannot write", LATE),
    ("eval {grid} --cascade {dir} -o {prev_json}", "{dir}: is a folder, not an OpenCV cascade XML"),
    ("eval {grid} --cascade {missing}/c.xml -o {prev_json}", "{missing}/c.xml: no such file"),
    ("eval {grid} --cascade {bad_xml} -o {prev_json}", "{bad_xml}: not a loadable OpenCV cascade"),
    ("eval {grid} --classifier {bad_pt} --no-faces -o {prev_json}", "{bad_pt}: not a readable checkpoint"),
    ("eval --real {file} --no-faces -o {prev_json}", "{file}"),
    ("eval --ckpt {bad_pt} --no-faces -o {prev_json}", "{bad_pt}: not a readable checkpoint"),
    ("eval --ckpt {run_dir} --no-faces -o {prev_json}", "{run_dir}: a run folder, not a checkpoint"),
    # transfer
    ("transfer {bad_png} -o {prev_png}", "{bad_png}: not a readable image"),
    ("transfer {missing}/a.png -o {prev_png}", "{missing}/a.png: no such file or folder"),
    ("transfer {dir} -o {prev_png}", "{dir}: no images"),
    ("transfer {face} -o {dir}", "{dir}: is a folder"),
    ("transfer {face} -o {ws}/t.gif", "cannot write an image with '.gif'"),
    ("transfer {face} --ckpt {bad_pt} -o {prev_png}", "{bad_pt}: not a readable checkpoint"),
    # export
    ("export {dir}/ {prev_pt}", "{dir}"),
    ("export {bad_pt} {prev_pt}", "{bad_pt}: not a readable checkpoint"),
    ("export {missing}/c.pt {prev_pt}", "{missing}/c.pt"),
    ("export {gan_pt} {dir}", "{dir}: is a folder"),
    ("export {gan_pt} {file}/g.pt", "{file} is a file, not a folder"),
    ("export {gan_pt} {ws}/g.png", "cannot write a checkpoint with '.png' (name it .pt or .pth)"),
    ("export {gan_pt} {ro}/g.pt", "{ro}/g.pt: cannot write", LATE),
    # download
    ("download lbpcascade_animeface --url {dir}", "{dir}: is a folder, not a file", LATE),
    ("download lbpcascade_animeface --url {missing}/c.xml", "{missing}/c.xml: no such file", LATE),
    ("download lbpcascade_animeface --url {bad_xml}", "sha256 mismatch", LATE),
    ("download no-such-model", "unknown release name 'no-such-model'"),
    ("CGAN_CACHE={file} download lbpcascade_animeface --url {bad_xml}", "cannot make the folder to download into",
     LATE),
    # data
    ("data synth --out {file} --n 2", "{file}: is a file, not a folder"),
    ("data synth --out {file}/d --n 2", "{file} is a file, not a folder"),
    ("data synth --out {ro}/d --n 2", "{ro}/d", LATE),
    ("data clean --data {file} --out {ws}/clean", "{file}"),
    ("data clean --data {dir} --out {ws}/clean", "{dir}"),
    ("data clean --data {data} --out {file}", "{file}: is a file, not a folder"),
    ("data clean --data {data} --out {ws}/clean --classifier {bad_pt}", "{bad_pt}: not a readable checkpoint"),
    # interpolate, plot, progress
    ("interpolate -o {dir}", "{dir}: is a folder"),
    ("interpolate -o {ws}/s.gif", "cannot write an image with '.gif'"),
    ("interpolate -o {file}/s.png", "{file} is a file, not a folder"),
    ("interpolate --ckpt {bad_pt} -o {prev_png}", "{bad_pt}: not a readable checkpoint"),
    ("plot {file} -o {prev_png}", "{file}"),
    ("plot {dir} -o {prev_png}", "{dir}"),
    ("plot {bad_run} -o {prev_png}", "{bad_run}"),
    ("plot {dir} -o {ws}/curves.gif", "cannot write an image with '.gif'"),
    ("plot {dir} -o {dir}", "{dir}: is a folder"),
    ("progress {file} -o {prev_gif}", "{file}"),
    ("progress {dir} -o {prev_gif}", "{dir}"),
    ("progress {dir} -o {ws}/p.png", "cannot write an animated GIF with '.png' (name it .gif)"),
    ("progress {dir} -o {dir}", "{dir}: is a folder"),
    # demo: what it is given is checked before the page is served
    ("demo --ckpt {bad_pt}", "{bad_pt}: not a readable checkpoint"),
    ("demo --ckpt {missing}/g.pt", "{missing}/g.pt"),
    ("demo --transfer {bad_pt}", "{bad_pt}: not a readable checkpoint"),
    ("demo --text-model {bad_pt}", "{bad_pt}: not a readable checkpoint"),
    ("demo --port {busy_port}", "127.0.0.1:{busy_port}: cannot serve the page there"),
    # grade: its arguments, on a class of none
    ("grade {file} --tags {tags} --out {ws}/grades", "{file}"),
    ("grade {missing}/subs --tags {tags} --out {ws}/grades", "{missing}/subs"),
    ("grade {dir} --tags {dir} --out {ws}/grades", "{dir}"),
    ("grade {dir} --tags {binary} --out {ws}/grades", "{binary}"),
    ("grade {dir} --tags {tags} --out {file}", "{file}"),
    ("grade {dir} --tags {tags} --cascade {bad_xml} --out {ws}/grades", "{bad_xml}: not a loadable OpenCV cascade"),
    ("grade {dir} --tags {tags} --classifier {bad_pt} --out {ws}/grades", "{bad_pt}: not a readable checkpoint"),
    # train (each bounded to a step, should a check be missing)
    ("train --data {file} --out {ws}/run --max-steps 1", "{file}"),
    ("train --data {missing}/d --out {ws}/run --max-steps 1", "{missing}/d: no such data folder"),
    ("train --data {data} --out {prev_pt} --max-steps 1 --base-channels 8", "{prev_pt}"),
    ("train --data {data} --out {prev_pt} --dry-run", "{prev_pt}"),
    ("train --data {data} --out {file}/run --max-steps 1 --base-channels 8", "{file}"),
    ("train --data {data} --out {ws}/run --init-from {bad_pt} --max-steps 1", "{bad_pt}: not a readable checkpoint"),
    ("train-classifier --data {data} -o {dir} --epochs 1", "{dir}"),
    ("train-transfer --data {data} --out {prev_pt} --epochs 1 --max-steps 1", "{prev_pt}"),
    ("train-reader --gan {bad_pt} -o {ws}/reader.pt --steps 1", "{bad_pt}: not a readable checkpoint"),
    ("train-reader -o {dir} --steps 1", "{dir}"),
]


def _case_id(case: tuple) -> str:
    return re.sub(r"[^\w]+", "-", case[0]).strip("-")[:80]


def _unwritable(tmp: Path) -> Path:
    """A folder no file can be made in, whoever runs the tests: a read-only one, or sysfs for root."""
    if os.geteuid() != 0:
        d = tmp / "read-only"
        d.mkdir()
        d.chmod(0o555)
        return d
    for d in (Path("/sys"), Path("/proc")):  # root may write anywhere else
        if d.is_dir():
            return d
    pytest.skip("running as root on a system without /sys or /proc: no folder root cannot write in")


def _snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under `root` with a hash of its bytes: what 'nothing half-written' compares."""
    out = {}
    for p in sorted(root.rglob("*")):
        key = str(p.relative_to(root))
        out[key] = "dir" if p.is_dir() and not p.is_symlink() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def ws(tmp_path_factory, synth_extra):
    """The workspace every case runs in, with its good and bad files."""
    ws = tmp_path_factory.mktemp("ws")
    rng = np.random.RandomState(0)
    (ws / "dir").mkdir()
    (ws / "notes.txt").write_text("a plain file\n")
    tags = ws / "tags.txt"
    tags.write_text("".join(f"{i},blue hair red eyes\n" for i in range(1, 11)))
    grid = ws / "grid.png"
    save_png(make_grid(rng.randint(0, 256, (10, 64, 64, 3)).astype(np.uint8)), grid)
    save_png(rng.randint(0, 256, (64, 64, 3)).astype(np.uint8), ws / "face.png")
    (ws / "bad.png").write_bytes(rng.bytes(3000))
    (ws / "cut.png").write_bytes(grid.read_bytes()[:200])
    (ws / "bad.pt").write_bytes(rng.bytes(3000))
    (ws / "cut.pt").write_bytes((ROOT / "release" / "gan.pt").read_bytes()[:4096])
    (ws / "bad.xml").write_text("<opencv_storage><cascade>no</cascade></opencv_storage>\n")
    (ws / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (ws / "bad_run").mkdir()
    (ws / "bad_run" / "losses.csv").write_bytes(rng.bytes(500))
    (ws / "finished_run").mkdir()
    (ws / "finished_run" / "checkpoint.pt").write_bytes((ROOT / "release" / "gan.pt").read_bytes())
    for ext in ("png", "json", "pt", "gif"):
        (ws / f"prev.{ext}").write_bytes(f"an earlier {ext} output\n".encode())
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    names = {"ws": ws, "dir": ws / "dir", "file": ws / "notes.txt", "tags": tags, "grid": grid,
             "face": ws / "face.png", "bad_png": ws / "bad.png", "cut_png": ws / "cut.png",
             "bad_pt": ws / "bad.pt", "cut_pt": ws / "cut.pt", "bad_xml": ws / "bad.xml", "binary": ws / "binary.txt",
             "bad_run": ws / "bad_run", "run_dir": ws / "finished_run", "missing": ws / "no-such-folder",
             "ro": _unwritable(ws.parent),
             "data": synth_extra, "gan_pt": ROOT / "release" / "gan.pt", "busy_port": listener.getsockname()[1],
             **{f"prev_{ext}": ws / f"prev.{ext}" for ext in ("png", "json", "pt", "gif")}}
    yield names
    listener.close()


def transcript(case: str, text: str) -> None:
    out = os.environ.get("CGAN_ERRORS_OUT")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / f"{case}.txt").write_text(text)


def assert_one_line_error(code: int, stderr: str, stdout: str, want: str, case: str, late: bool = False) -> None:
    """Exit 2, no traceback, and the error in one line: all of stderr, or (`late`) its last line after the
    command's progress lines."""
    assert "Traceback" not in stderr + stdout, f"{case}: a traceback\n{stderr}"
    lines = stderr.splitlines()
    errors = [ln for ln in lines if "cgan: error" in ln]
    assert code == 2 and lines and errors == lines[-1:] and lines[-1].startswith("cgan: error: "), \
        f"{case}: exit {code}, stderr:\n{stderr}"
    assert late or len(lines) == 1, f"{case}: more than the error on stderr, before any work was due:\n{stderr}"
    assert want in lines[-1], f"{case}: {want!r} not in {lines[-1]!r}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_bad_paths_and_files_are_one_line_errors(case, ws, monkeypatch):
    command, want = (s.format(**ws) for s in case[:2])
    env = dict(kv.split("=", 1) for kv in re.findall(r"^(\w+=\S+) ", command))
    args = command.split()[len(env):]
    monkeypatch.chdir(ws["ws"])  # a relative default output lands in the workspace, where it is seen

    if args[0] == "demo":  # the page must never be served: every demo case fails before
        from cgan.demo import app
        monkeypatch.setattr(app, "serve", lambda *a, **k: pytest.fail("the demo started serving"))
    before = _snapshot(ws["ws"])
    r = CliRunner().invoke(cli, args, env=env)
    escaped = r.exception is not None and not isinstance(r.exception, SystemExit)  # what a process would print
    crash = "".join(traceback.format_exception(r.exception)) if escaped else ""
    transcript(_case_id(case), f"$ cgan {command}\nexit {r.exit_code}\n--- stdout\n{r.stdout}"
                               f"--- stderr\n{r.stderr}{crash}")
    assert_one_line_error(r.exit_code, r.stderr + crash, r.stdout, want, command, late=LATE in case)
    assert _snapshot(ws["ws"]) == before, f"{command}: changed or left files in the workspace"


@pytest.mark.parametrize("args, want", [
    (["generate", "{tags}", "-o", "{dir}"], "{dir}: is a folder"),
    (["eval", "{bad_png}", "--no-faces", "-o", "{prev_json}"], "{bad_png}: not a readable image"),
    (["generate", "--truncation", "2", "-o", "{prev_png}"], "Invalid value for '--truncation'"),
    (["train", "--data", "{file}", "--out", "{ws}/run", "--max-steps", "1"], "{file}"),
])
def test_as_a_user_runs_them(args, want, ws):
    """`python -m cgan`, as the shell runs it: the process's own stderr (train starts again under tuned
    malloc settings first), a usage error included."""
    args = [a.format(**ws) for a in args]
    before = _snapshot(ws["ws"])
    r = subprocess.run([sys.executable, "-m", "cgan", *args], capture_output=True, text=True, cwd=ws["ws"],
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    transcript("process-" + _case_id((" ".join(args), "")), f"$ cgan {' '.join(args)}\nexit {r.returncode}\n"
               f"--- stdout\n{r.stdout}--- stderr\n{r.stderr}")
    assert_one_line_error(r.returncode, r.stderr, r.stdout, want.format(**ws), " ".join(args))
    assert _snapshot(ws["ws"]) == before


def test_offline_eval_fails_fast_and_names_its_own_option(ws, monkeypatch, tmp_path):
    """No network: the face detector's download gives up at once (no retries), and `cgan eval` says to give
    the file with --cascade (not --url, an option of `cgan download`); `cgan download` names --url."""
    import json

    from cgan.release import manifest as release

    entries = release.load_manifest()
    entries["lbpcascade_animeface"] = {**entries["lbpcascade_animeface"],
                                       "url": "https://cgan-test.invalid/lbpcascade_animeface.xml"}  # never resolves
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"entries": entries}))
    monkeypatch.setattr(release, "MANIFEST", manifest)
    r = CliRunner().invoke(cli, ["eval", str(ws["grid"]), "--tags", str(ws["tags"]), "-o", str(tmp_path / "e.json")])
    assert r.exit_code == 0, r.output
    assert "retrying" not in r.stderr, r.stderr
    faces = [ln for ln in r.stdout.splitlines() if ln.startswith("course faces:")]
    assert faces and "no network" in faces[0] and "--cascade FILE" in faces[0] and "--url" not in faces[0], faces
    r = CliRunner().invoke(cli, ["download", "lbpcascade_animeface"])
    assert "retrying" not in r.stderr
    assert_one_line_error(r.exit_code, r.stderr, r.stdout, "no network", "download offline", late=True)
    assert "cgan download lbpcascade_animeface --url FILE" in r.stderr

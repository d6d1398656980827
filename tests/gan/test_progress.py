"""A long run shows where it is: one live line in a terminal from the first steps, the per-epoch lines
only where stderr is no terminal, and a last line that says why it stopped."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time

from cgan.gan.progress import RunProgress, clock, stop_line

from conftest import ROOT


def _in_terminal(args: list[str], interrupt_after: str | None = None, timeout: float = 240) -> tuple[str, int]:
    """Run `python -m cgan ARGS` on a pseudo-terminal 120 columns wide; with `interrupt_after`, press
    Ctrl-C (SIGINT to its process group) once that text has appeared. Returns what it printed and its exit."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a shell's background job starts with Ctrl-C ignored
        os.execv(sys.executable, [sys.executable, "-m", "cgan", *args])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    out, sent, t0 = b"", False, time.time()
    while time.time() - t0 < timeout:
        if select.select([fd], [], [], 0.5)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        if interrupt_after and not sent and interrupt_after.encode() in out:
            os.killpg(pid, signal.SIGINT)
            sent = True
    else:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return out.decode(errors="replace").replace("\r\n", "\n"), os.waitstatus_to_exitcode(status)


def _train(data, out, *extra) -> list[str]:
    return ["train", "--data", str(data), "--out", str(out), "--batch-size", "16", "--threads", "1",
            "--base-channels", "8", *extra]


def test_a_terminal_gets_a_live_line_and_the_reason_it_stopped(synth_extra, tmp_path):
    text, code = _in_terminal(_train(synth_extra, tmp_path / "r", "--max-steps", "40", "--time-limit", "30"))
    assert code == 0, text
    frames = [f for f in text.replace("\n", "\r").split("\r") if f.startswith("train ")]
    assert any("/40 steps" in f and "img/s" in f and "elapsed" in f and "to step 40" in f
               and "to the 30-minute limit" in f for f in frames), frames[-3:]
    first = next(f for f in frames if "img/s" in f)  # a live line before the first epoch (16 steps) has ended
    assert int(first.split()[1].split("/")[0]) < 16 or text.index(first) < text.index("epoch 1:"), frames[:5]
    assert text.strip().splitlines()[-1].startswith("stopped: all 40 steps done, after ")


def test_without_a_terminal_only_the_epoch_lines_and_the_stop_line(synth_extra, tmp_path):
    r = subprocess.run([sys.executable, "-m", "cgan", *_train(synth_extra, tmp_path / "r", "--max-steps", "20")],
                       cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr
    assert "img/s" not in r.stderr and "\r" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert sum(line.startswith("epoch ") for line in lines) == 2  # 256 images: 16 steps, then 4
    assert lines[-1].startswith("stopped: all 20 steps done") and str(tmp_path / "r" / "checkpoint.pt") in lines[-1]


def test_the_time_limit_is_named_as_the_reason(synth_extra, tmp_path):
    r = subprocess.run([sys.executable, "-m", "cgan", *_train(synth_extra, tmp_path / "r", "--time-limit", "0.0001")],
                       cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("stopped: the time limit, at step ")


def test_ctrl_c_says_where_it_stopped_and_what_is_kept(synth_extra, tmp_path):
    text, code = _in_terminal(_train(synth_extra, tmp_path / "r", "--max-steps", "100000"),
                              interrupt_after="epoch 1:")
    assert code == 130, text
    last = text.strip().splitlines()[-1]
    assert last.startswith("stopped: interrupted at step ") and "--resume continues from it" in last, last
    assert "Traceback" not in text and "Aborted" not in text


def test_the_status_counts_against_both_budgets():
    p = RunProgress(100, 1100, 64, 10.0, t_start=1000.0, enabled=False)
    status = p.status(600, now=1100.0)  # 500 steps in 100 s: 5 steps/s, 320 img/s
    assert status == "320 img/s, 1:40 elapsed, ETA 1:40 to step 1,100 / 8:20 to the 10-minute limit"
    assert clock(3725) == "1:02:05"
    assert stop_line("time limit", 10, 20, 61, "c.pt") == "stopped: the time limit, at step 10 of 20, after 1:01; checkpoint c.pt"

"""glibc malloc settings for training processes: keep freed memory instead of handing it back each step.

A training step allocates and frees the same few hundred MiB of activations every iteration. With
glibc's defaults, blocks over its (adaptive) mmap threshold are mapped and unmapped each time and the
heap is trimmed, so every step pays page faults and zeroing in the kernel: most of a step's system time
(bench/train_speed.py with CGAN_MALLOC=default shows the difference). mallopt() from inside the process
after torch has started helps only partly (the OpenMP threads' arenas already exist), so the settings
go in the environment of a fresh process: `cgan`'s training commands start themselves again with them
(`reexec_tuned`). CGAN_MALLOC=default keeps glibc's defaults (to compare)."""

from __future__ import annotations

import ctypes
import os
import platform
import sys

MALLOC_ENV = {
    "MALLOC_MMAP_THRESHOLD_": str(32 << 20),  # glibc's maximum: blocks up to 32 MiB come from the heap
    "MALLOC_TRIM_THRESHOLD_": str(4 << 30),  # never give the freed top of the heap back mid-run
    "MALLOC_TOP_PAD_": str(256 << 20),  # grow the heap in large steps
}
SWITCH = "CGAN_MALLOC"  # "default": leave glibc alone


def wanted() -> bool:
    """On glibc Linux, unless switched off or already in place."""
    if os.environ.get(SWITCH) == "default" or not sys.platform.startswith("linux"):
        return False
    # The environment first: libc_ver() reads the interpreter binary, and the started-again process asks too.
    return any(os.environ.get(k) != v for k, v in MALLOC_ENV.items()) and platform.libc_ver()[0] == "glibc"


def tuned_environ() -> dict[str, str]:
    return {**os.environ, **MALLOC_ENV, SWITCH: "tuned"}


def reexec_tuned(python_args: list[str]) -> None:
    """Replace this process by `python *python_args` (["-m", "cgan", "train", ...] or [script, ...]) with
    the settings (same pid, so torchrun and job schedulers still see their child); returns only when
    they are not wanted."""
    if not wanted():
        return
    flags = ["-u"] if getattr(sys.stdout, "write_through", False) else []  # torchrun starts `python -u`
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *flags, *python_args], tuned_environ())


# mallopt() parameters (glibc's malloc.h).
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def keep_freed_memory() -> bool:
    """MALLOC_ENV's settings applied to this running process through mallopt(), for a short command
    that does not start again: the numpy forward pass allocates a few MiB per layer from the main
    thread, whose arena mallopt does reach, and its first grid drew 25% faster without the page faults
    of fresh mappings. Whether they were applied (glibc Linux only, unless CGAN_MALLOC=default)."""
    if os.environ.get(SWITCH) == "default" or not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return False
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return all(mallopt(opt, min(int(MALLOC_ENV[key]), 2**31 - 1)) == 1 for opt, key in (  # a C int each
        (_M_MMAP_THRESHOLD, "MALLOC_MMAP_THRESHOLD_"), (_M_TRIM_THRESHOLD, "MALLOC_TRIM_THRESHOLD_"),
        (_M_TOP_PAD, "MALLOC_TOP_PAD_")))

"""What comes back from a sandboxed run: its output (capped), confine.py's status line and its files."""

from __future__ import annotations

import io
import json
import os
import tarfile
import threading
from pathlib import Path

FILES_CAP = 64 * 2**20  # the most output files that come back from one run


class CappedReader(threading.Thread):
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


def status_line(data: bytes) -> tuple[dict | None, bytes]:
    """confine.py's status line, and what follows it."""
    if not data.startswith(b"{"):
        return None, data
    line, _, rest = data.partition(b"\n")
    try:
        return json.loads(line), rest
    except ValueError:
        return None, rest


def untar(data: bytes) -> dict[str, tuple[bytes, float]]:
    """Regular files from the tar stream, with their mtimes; links and anything odd are dropped."""
    files: dict[str, tuple[bytes, float]] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for m in tar:
                if m.isfile() and not m.name.startswith(("/", "..")) and ".." not in Path(m.name).parts:
                    f = tar.extractfile(m)
                    if f is not None:
                        files[os.path.normpath(m.name)] = (f.read(), float(m.pax_headers.get("mtime", m.mtime)))
    except (tarfile.TarError, EOFError):
        pass  # a truncated stream still gave what came before the cut
    return files


def read_tree(copy: Path, collect: list[str]) -> dict[str, tuple[bytes, float]]:
    """The same files as the tar stream, read from the copy (the basic level), symlinks never followed."""
    files: dict[str, tuple[bytes, float]] = {}
    for c in collect:
        base = copy / c
        cands = [base] if base.is_file() else sorted(base.glob("*")) if base.is_dir() and not base.is_symlink() else []
        for p in cands[:200]:
            st = p.lstat()
            if p.is_file() and not p.is_symlink() and st.st_size <= FILES_CAP:
                files[str(p.relative_to(copy))] = (p.read_bytes(), st.st_mtime_ns / 1e9)
    return files

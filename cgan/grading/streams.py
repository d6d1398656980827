"""What comes back from a sandboxed run through its pipes: its output (capped) and confine.py's status line."""

from __future__ import annotations

import json
import os
import threading


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

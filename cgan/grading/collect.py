"""The files a sandboxed run hands back, by one rule at every level (stdlib only; also run as a script).

    python -I -S collect.py SPEC_JSON     # SPEC: {"root": ..., "outputs": [...], "dirs": [...]}

It runs after every process of the submission is dead. First the part's own outputs (`samples/cgan.png`,
...), each looked up by its name and taken when it is a regular file of at most OUTPUT_CAP; then the other
regular files under `dirs` (two levels deep, in name order), each of at most FILE_CAP and together at
most OTHERS_CAP. A file that is too large, a link, a FIFO or a directory where an output should be is not
taken, and the notes say so: a 600 MB checkpoint beside the grid never costs the grid. No path
component is followed through a symbolic link.

As a script it writes one JSON line (the files' names, sizes and ctimes, and the notes), then the files'
bytes one after another: `read_stream` turns that back into files. At the namespaces level it runs
inside the sandbox's mount namespace, where the copy lives, from source text the grader passes on its
command line (never from a file the submission could have changed).
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
from typing import Iterator

OUTPUT_CAP = 32 * 2**20  # each of the part's own outputs
FILE_CAP = 16 * 2**20  # each other file
OTHERS_CAP = 64 * 2**20  # all other files together
MAX_FILES = 200
DEPTH = 2

NOFOLLOW = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
KINDS = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket",
         stat.S_IFLNK: "a symbolic link", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n} bytes"


def _open(root_fd: int, name: str) -> int:
    """`name` under `root_fd`, one component at a time, never through a link (OSError otherwise)."""
    fd = os.dup(root_fd)
    try:
        parts = name.split("/")
        for part in parts[:-1]:
            nxt = os.open(part, NOFOLLOW | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        return os.open(parts[-1], NOFOLLOW, dir_fd=fd)
    finally:
        os.close(fd)


def _read(root_fd: int, name: str, cap: int) -> tuple[bytes, int] | str:
    """(the bytes, ctime in ns) of a regular file of at most `cap` bytes, else why it was not taken. The
    ctime, not the mtime: a script can date a file as it likes (touch, tar, cp -p), never its last change."""
    try:
        fd = _open(root_fd, name)
    except FileNotFoundError:
        return "missing"
    except OSError as e:
        return "a symbolic link, not followed" if e.errno == errno.ELOOP else f"unreadable ({e.strerror})"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return f"{KINDS.get(stat.S_IFMT(st.st_mode), 'not a regular file')}, not a file"
        if st.st_size > cap:
            return f"{_mb(st.st_size)}, over the {_mb(cap)} cap"
        chunks, got = [], 0
        while got <= cap and (chunk := os.read(fd, min(1 << 20, cap + 1 - got))):
            chunks.append(chunk)
            got += len(chunk)
        if got > cap:
            return f"over the {_mb(cap)} cap"
        return b"".join(chunks), st.st_ctime_ns
    finally:
        os.close(fd)


def _listing(root_fd: int, folder: str, depth: int) -> Iterator[tuple[str, int]]:
    """(name, size) of the regular files under `folder`, `depth` levels deep, in name order; each looked
    at only when asked for (a folder of a million files costs its names, not a million stats)."""
    try:
        fd = _open(root_fd, folder)
    except OSError:
        return
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            return
        for entry in sorted(os.listdir(fd)):
            try:
                st = os.stat(entry, dir_fd=fd, follow_symlinks=False)
            except OSError:
                continue
            name = f"{folder}/{entry}"
            if stat.S_ISREG(st.st_mode):
                yield name, st.st_size
            elif stat.S_ISDIR(st.st_mode) and depth > 1:
                yield from _listing(root_fd, name, depth - 1)
    finally:
        os.close(fd)


def collect(root: str, outputs: list[str], dirs: list[str]) -> tuple[dict[str, tuple[bytes, int]], list[str]]:
    """The files of a finished run under `root` (name -> (bytes, ctime in ns)), and notes for the log."""
    files: dict[str, tuple[bytes, int]] = {}
    notes = []
    try:
        root_fd = os.open(root, NOFOLLOW | os.O_DIRECTORY)
    except OSError as e:
        return {}, [f"its folder could not be read back ({e.strerror})"]
    try:
        for name in outputs:
            got = _read(root_fd, name, OUTPUT_CAP)
            if isinstance(got, tuple):
                files[name] = got
            elif got != "missing":
                notes.append(f"{name} not collected: {got}")
        budget, taken = OTHERS_CAP, 0
        for name, size in (e for folder in dirs for e in _listing(root_fd, folder.rstrip("/"), DEPTH)):
            if name in files or name in outputs:
                continue
            if taken == MAX_FILES:
                notes.append(f"more than {MAX_FILES} files under {', '.join(dirs)}: the rest not collected")
                break
            cap = min(FILE_CAP, budget)
            got = _read(root_fd, name, cap) if size <= cap else (
                f"{_mb(size)}, over the {_mb(FILE_CAP)} cap for files other than the part's output"
                if size > FILE_CAP else f"{_mb(size)}: the {_mb(OTHERS_CAP)} for other files was used up")
            if isinstance(got, tuple):
                files[name] = got
                budget -= len(got[0])
                taken += 1
            elif got != "missing":
                notes.append(f"{name} not collected: {got}")
    finally:
        os.close(root_fd)
    return files, notes


def stream_cap(outputs: int) -> int:
    """The most a stream of a run with `outputs` named outputs can carry (its JSON line and the bytes)."""
    return outputs * OUTPUT_CAP + OTHERS_CAP + 2**20


def write_stream(files: dict[str, tuple[bytes, int]], notes: list[str], out) -> None:
    head = {"files": [[n, len(d), m] for n, (d, m) in files.items()], "notes": notes}
    out.write(json.dumps(head).encode() + b"\n")
    for data, _ in files.values():
        out.write(data)
    out.flush()


def read_stream(data: bytes) -> tuple[dict[str, tuple[bytes, float]], list[str]]:
    """The files (name -> (bytes, ctime in s)) and notes of a stream; a cut or garbled one gives what it
    holds whole."""
    line, sep, rest = data.partition(b"\n")
    try:
        head = json.loads(line) if sep else {}
    except ValueError:
        head = {}
    files, at = {}, 0
    for name, size, ctime in head.get("files", []):
        if at + size > len(rest):
            break
        files[name] = (rest[at:at + size], ctime / 1e9)
        at += size
    return files, list(head.get("notes", []))


if __name__ == "__main__":
    spec = json.loads(sys.argv[1])
    write_stream(*collect(spec["root"], spec["outputs"], spec["dirs"]), sys.stdout.buffer)

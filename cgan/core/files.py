"""Atomic file writes (a reader never sees a half-written checkpoint, PNG or CSV), the checks an output
path gets before any work is done, and the cache folder."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Callable, Iterator

from cgan.core.errors import CganError


def cache_dir() -> Path:
    """Where downloads, decoded data sets, Inception statistics and caption embeddings are cached."""
    return Path(os.environ.get("CGAN_CACHE", Path.home() / ".cache" / "cgan"))


def one_of(items: Sequence[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return " or ".join(items) if len(items) < 3 else f"{', '.join(items[:-1])} or {items[-1]}"


def check_output(path: str | Path, suffixes: Sequence[str] = (), what: str = "a file") -> Path:
    """Refuse, before any work is done, an output path that cannot become the file asked for: a folder,
    a path through a file, a folder that cannot be written, or a name not ending in one of `suffixes`
    (compared case-blind). A missing parent is fine: it is created when the file is written."""
    path = Path(path)
    if path.is_dir():
        raise CganError(f"{path}: is a folder; give the name of a file to write")
    if suffixes and path.suffix.lower() not in suffixes:
        got = f"'{path.suffix}'" if path.suffix else "no extension"
        raise CganError(f"{path}: cannot write {what} with {got} (name it {one_of(list(suffixes))})")
    _check_writable_above(path, path.parent)
    return path


def check_output_folder(path: str | Path) -> Path:
    """`check_output` for a folder to write into: an existing file of that name, or a file or a folder
    that cannot be written above it, is refused; a missing folder is fine (it is created)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise CganError(f"{path}: is a file, not a folder")
    _check_writable_above(path, path)
    return path


def _check_writable_above(path: Path, start: Path) -> None:
    """The nearest existing folder at or above `start` must be a folder we may write in."""
    parent = start
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise CganError(f"{path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CganError(f"{path}: cannot write in {parent} (permission denied)")


def _cannot_write(path: Path, e: OSError) -> CganError:
    why = "is a folder" if isinstance(e, IsADirectoryError) and Path(path).is_dir() else e.strerror or str(e)
    return CganError(f"{path}: cannot write it ({why})")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it over `path`, on failure delete it.

    The temporary file lives in the same directory so the final rename is atomic on POSIX. A place that
    cannot be written (no permission, a file where a folder should be, a folder of that name) is a
    one-line CganError naming `path`, and leaves nothing behind.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise _cannot_write(path, e) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        try:
            os.replace(tmp_path, path)
        except OSError as e:
            raise _cannot_write(path, e) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call `write(f)` on a temporary binary file, fsync it, then rename it to `path`."""
    with atomic_path(path) as tmp:
        try:
            with open(tmp, "wb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:  # a full disk, a quota: said of the file asked for, not of the temporary one
            raise _cannot_write(Path(path), e) from None
        # mkstemp creates 0600 files; give the result the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)

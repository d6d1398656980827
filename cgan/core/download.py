"""Verified downloads: streaming, retries with backoff, HTTP Range resume, sha256, atomic rename.

Nothing lands under the final name unless its hash matched; a partial download lives in
`<name>.part` (which `resume` continues) and is deleted when it turns out to be wrong. Without a
network (a host name that does not resolve, no route) it fails at once instead of retrying.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import socket
import time
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from tqdm import tqdm

from cgan.core.errors import CganError

CHUNK = 1 << 16


class _Retry(Exception):
    """A failure worth another attempt (connection dropped, 5xx, timeout)."""


class DownloadError(CganError):
    """The file could not be fetched (no network, the server kept failing). Its message says so and no
    more: the caller adds how to give the file instead (`cgan download --url`, `cgan eval --cascade`)."""


def _offline(e: BaseException) -> str | None:
    """Why `e` means there is no network to retry on: a name that does not resolve, no route; else None."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [e]
    while todo:
        x = todo.pop()
        if x is None or id(x) in seen:
            continue
        seen.add(id(x))
        # the system's own words ("Name or service not known", "Network is unreachable"): what a user searches
        if isinstance(x, socket.gaierror):
            return x.strerror or "the host name does not resolve"
        if isinstance(x, OSError) and x.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return x.strerror or os.strerror(x.errno)
        # requests and urllib3 keep the cause in `args` and `reason` as well as in the chain
        todo += [x.__cause__, x.__context__, getattr(x, "reason", None),
                 *(a for a in x.args if isinstance(a, BaseException))]
    return None


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _looks_like_html(head: bytes) -> bool:
    s = head.lstrip()[:64].lower()
    return s.startswith(b"<!doctype html") or s.startswith(b"<html") or b"<head" in s


def _fetch_once(url: str, part: Path, timeout: float, progress: bool) -> None:
    import requests  # only a download needs it: a bundled or cached model starts ~0.1 s sooner without

    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        with requests.get(url, stream=True, timeout=timeout, headers=headers, allow_redirects=True) as r:
            if r.status_code == 416:  # our partial file is already complete (or bogus): start over
                part.unlink(missing_ok=True)
                raise _Retry("range not satisfiable")
            if r.status_code >= 500 or r.status_code == 429:
                raise _Retry(f"HTTP {r.status_code}")
            if r.status_code not in (200, 206):
                raise CganError(f"{url}: HTTP {r.status_code} {r.reason}")
            if "text/html" in r.headers.get("Content-Type", "").lower():
                raise CganError(f"{url}: the server sent an HTML page, not the file (a dead or expired link?)")
            mode = "ab" if r.status_code == 206 else "wb"
            total = r.headers.get("Content-Length")
            total_n = int(total) + (have if mode == "ab" else 0) if total and total.isdigit() else None
            with open(part, mode) as f, tqdm(total=total_n, initial=have if mode == "ab" else 0, unit="B",
                                             unit_scale=True, disable=not progress, desc=part.name[:-5],
                                             leave=False) as bar:
                first = mode == "wb"
                for chunk in r.iter_content(CHUNK):
                    if first and _looks_like_html(chunk):
                        raise CganError(f"{url}: the server sent an HTML page, not the file (a dead or expired link?)")
                    first = False
                    f.write(chunk)
                    bar.update(len(chunk))
            if total_n is not None and part.stat().st_size < total_n:
                raise _Retry(f"connection closed after {part.stat().st_size} of {total_n} bytes")
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as e:
        why = _offline(e)
        if why:
            raise DownloadError(f"{url}: no network ({why})") from None
        raise _Retry(f"{type(e).__name__}") from None


def download(url: str, dest: str | Path, sha256: str, retries: int = 4, timeout: float = 30.0,
             backoff: float = 1.0, progress: bool = True, log: Callable[[str], None] = lambda m: None) -> Path:
    """Fetch `url` (http(s), file:// or a local path) to `dest`, verified against `sha256`."""
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CganError(f"{dest.parent}: cannot make the folder to download into ({e.strerror}); "
                        "CGAN_CACHE sets where downloads go") from None
    part = dest.with_name(dest.name + ".part")
    scheme = urlparse(url).scheme
    if scheme in ("", "file"):
        src = Path(urlparse(url).path if scheme == "file" else url)
        if not src.is_file():
            raise CganError(f"{src}: {'is a folder, not a file' if src.is_dir() else 'no such file'}")
        shutil.copyfile(src, part)
    elif scheme in ("http", "https"):
        last = ""
        for attempt in range(retries + 1):
            try:
                _fetch_once(url, part, timeout, progress)
                break
            except _Retry as e:
                last = str(e)
                if attempt == retries:
                    raise DownloadError(f"{url}: download failed after {retries + 1} attempts ({last}); "
                                        "run again to resume") from None
                wait = backoff * 2 ** attempt
                log(f"{url}: {last}; retrying in {wait:.0f} s")
                time.sleep(wait)
            except DownloadError:  # no network: a partial file is kept for the next run to resume
                raise
            except CganError:
                part.unlink(missing_ok=True)
                raise
    else:
        raise CganError(f"{url}: unsupported URL scheme {scheme!r}")
    got = sha256_file(part)
    if got != sha256:
        part.unlink(missing_ok=True)
        raise CganError(f"{url}: sha256 mismatch (expected {sha256[:16]}..., got {got[:16]}...); the file was discarded")
    os.replace(part, dest)
    return dest

"""Release models and assets: the manifest, the bundled files, the cache, and name resolution."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

from cgan.core.download import download, sha256_file
from cgan.core.errors import CganError
from cgan.core.files import atomic_write, cache_dir

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "release" / "manifest.json"


def load_manifest(path: Path | None = None) -> dict[str, dict]:
    path = path or MANIFEST  # looked up at call time, so tests and tools can point elsewhere
    try:
        return json.loads(path.read_text())["entries"]
    except FileNotFoundError:
        return {}
    except (json.JSONDecodeError, KeyError) as e:
        raise CganError(f"{path}: broken manifest ({e})") from None


def fetch(name: str, url: str | None = None, manifest: dict[str, dict] | None = None,
          log: Callable[[str], None] = lambda m: None, progress: bool = True) -> Path:
    """Path of a verified copy of manifest entry `name`: bundled file, else cache, else download."""
    entries = load_manifest() if manifest is None else manifest
    if name not in entries:
        known = ", ".join(sorted(entries)) or "none"
        raise CganError(f"unknown release name {name!r} (known: {known}); or pass a checkpoint file path")
    e = entries[name]
    sha = e["sha256"]
    bundled = ROOT / e["bundled"] if e.get("bundled") else None
    if bundled is not None and url is None and bundled.is_file():
        if sha256_file(bundled) == sha:
            return bundled
        log(f"{bundled}: bundled copy does not match its sha256 in the manifest; ignoring it")
    cached = cache_dir() / "files" / f"{sha[:16]}-{e.get('filename', name)}"
    if cached.is_file() and url is None:
        if sha256_file(cached) == sha:
            return cached
        cached.unlink()
    src = url or e.get("url")
    if not src:
        raise CganError(f"{name}: no bundled copy and no URL in the manifest; pass --url")
    log(f"downloading {name} from {src}")
    return download(src, cached, sha, log=log, progress=progress)


def register(name: str, path: Path, info: dict, manifest: Path | None = None) -> dict:
    """Add or replace manifest entry `name` for the file at `path` (bundled when inside the repo)."""
    manifest = manifest or MANIFEST
    path = Path(path).resolve()
    try:
        data = json.loads(manifest.read_text())
    except FileNotFoundError:
        data = {"entries": {}}
    old = data["entries"].get(name, {})
    entry = {"kind": "model", **old, **info, "filename": path.name,
             "sha256": sha256_file(path), "size": path.stat().st_size}
    if path.is_relative_to(ROOT):
        entry["bundled"] = str(path.relative_to(ROOT))
    data["entries"][name] = entry
    text = json.dumps(data, indent=2) + "\n"
    atomic_write(manifest, lambda f: f.write(text.encode()))
    return entry


def resolve_checkpoint(name_or_path: str, log: Callable[[str], None] = lambda m: None) -> Path:
    """A checkpoint file path as given, or a release model by name."""
    p = Path(name_or_path)
    # Only a file counts: a folder named like a release (the `cgan/` package itself) must not.
    if p.is_file() or os.sep in name_or_path or p.suffix:
        return p
    return fetch(name_or_path, log=log)

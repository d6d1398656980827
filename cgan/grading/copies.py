"""Copy detection across a class: the same grids, the same large files, the same code.

* Grids: a 64-bit difference hash (dHash) and a 16x16 colour thumbnail per tile; two tiles match when
  their hashes differ in at most `HAMMING` bits and their thumbnails by at most `THUMB_MAD` levels on
  average (the hash sees shapes, not colours: procedural faces of one template share it). Two grids of
  one part are flagged when `GRID_MATCH` of their 25 tiles have a match in the other (wherever it sits:
  a shuffled grid is caught too). Blank tiles never match.
* Large files: the sha256 of every file over 1 MB (the same checkpoint handed in twice).
* Code: the sha256 of every script and code file (.py, .sh, .ipynb) of some length, with trailing
  spaces and blank lines dropped.
A file that more than half the class (and at least three students) hands in is the handout's, not a copy.
"""

from __future__ import annotations

import hashlib
import os
from itertools import combinations
from pathlib import Path

import numpy as np
from PIL import Image

HAMMING = 6  # bits of 64; tiles of different teams' grids (real_grids): median 25, 1% under 14, 2e-5 at <= 6
THUMB_MAD = 10.0  # levels (0..255); a tile cut back out of the course's canvas is within ~4 of its source
GRID_MATCH = 13  # of 25 tiles: more than half the grid
LARGE_FILE = 2**20
CODE_EXTS = (".py", ".sh", ".ipynb")
CODE_MIN_CHARS = 300  # a two-line run script is written the same way by many on their own
SKIP_DIRS = {".git", "__pycache__", ".venv", "venv", "node_modules", ".ipynb_checkpoints"}
BLANK_STD = 2.0


Signature = tuple[int, np.ndarray]  # (dHash, 16x16x3 thumbnail)


def tile_hashes(tiles: np.ndarray) -> list[Signature | None]:
    """Each NHWC uint8 tile's signature (None for a blank one): the dHash of its 9x8 grey thumbnail, one
    bit per neighbour pair, and its 16x16 colour thumbnail."""
    out: list[Signature | None] = []
    for t in tiles:
        if t.reshape(-1, t.shape[-1]).std(0).max() < BLANK_STD:
            out.append(None)
            continue
        im = Image.fromarray(np.ascontiguousarray(t[..., :3]))
        g = np.asarray(im.convert("L").resize((9, 8), Image.Resampling.BILINEAR), np.int16)
        bits = (g[:, 1:] > g[:, :-1]).flatten()
        thumb = np.asarray(im.resize((16, 16), Image.Resampling.BILINEAR), np.int16)
        out.append((int(sum(1 << i for i, b in enumerate(bits) if b)), thumb))
    return out


def _same(x: Signature, y: Signature, hamming: int) -> bool:
    return bin(x[0] ^ y[0]).count("1") <= hamming and float(np.abs(x[1] - y[1]).mean()) <= THUMB_MAD


def grid_matches(a: list[Signature | None], b: list[Signature | None], hamming: int = HAMMING) -> int:
    """How many tiles of `a` have a near-identical tile anywhere in `b`."""
    others = [h for h in b if h is not None]
    return sum(1 for h in a if h is not None and any(_same(h, o, hamming) for o in others))


def _normalised(data: bytes) -> bytes:
    lines = [ln.rstrip() for ln in data.decode("utf-8", "replace").splitlines()]
    return "\n".join(ln for ln in lines if ln).encode()


def file_fingerprints(src: Path) -> dict[str, dict[str, str]]:
    """{"large": {sha256: path}, "code": {sha256: path}} for one submission folder (links not followed)."""
    large: dict[str, str] = {}
    code: dict[str, str] = {}
    for root, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for f in sorted(files):
            p = Path(root) / f
            if p.is_symlink() or not p.is_file():
                continue
            rel = str(p.relative_to(src))
            size = p.stat().st_size
            if size > LARGE_FILE:
                h = hashlib.sha256()
                with open(p, "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
                large.setdefault(h.hexdigest(), rel)
            elif p.suffix in CODE_EXTS:
                text = _normalised(p.read_bytes())
                if len(text) >= CODE_MIN_CHARS:
                    code.setdefault(hashlib.sha256(text).hexdigest(), rel)
    return {"large": large, "code": code}


def _common(prints: dict[str, dict], kind: str) -> set[str]:
    """Hashes handed in by more than half the class and by at least three: the handout's files."""
    counts: dict[str, int] = {}
    for fp in prints.values():
        for h in fp.get(kind, {}):
            counts[h] = counts.get(h, 0) + 1
    limit = max(2, len(prints) // 2)
    return {h for h, n in counts.items() if n > limit}


def find_copies(hashes: dict[str, dict[str, list]], prints: dict[str, dict]) -> list[dict]:
    """Pairs of students with what they share. `hashes`: student -> part -> tile hashes of its grid;
    `prints`: student -> file_fingerprints. Each pair: {"a", "b", "grids": {part: matches}, "files", "code"}."""
    common = {k: _common(prints, k) for k in ("large", "code")}
    pairs = []
    for a, b in combinations(sorted(set(hashes) | set(prints)), 2):
        grids = {}
        for part in sorted(set(hashes.get(a, {})) & set(hashes.get(b, {}))):
            n = grid_matches(hashes[a][part], hashes[b][part])
            if n >= GRID_MATCH:
                grids[part] = n
        shared = {}
        for kind in ("large", "code"):
            fa, fb = prints.get(a, {}).get(kind, {}), prints.get(b, {}).get(kind, {})
            shared[kind] = sorted(f"{fa[h]} = {fb[h]}" if fa[h] != fb[h] else fa[h]
                                  for h in set(fa) & set(fb) if h not in common[kind])
        if grids or shared["large"] or shared["code"]:
            pairs.append({"a": a, "b": b, "grids": grids, "files": shared["large"], "code": shared["code"]})
    return pairs


def pair_summary(pair: dict) -> str:
    parts = [f"{k}.png {n}/25 tiles" for k, n in pair["grids"].items()]
    if pair["files"]:
        parts.append(f"{len(pair['files'])} large file(s): {', '.join(pair['files'][:3])}")
    if pair["code"]:
        parts.append(f"{len(pair['code'])} code file(s): {', '.join(pair['code'][:3])}")
    return "; ".join(parts)


def similar_to(pairs: list[dict]) -> dict[str, str]:
    """student -> 'other (what they share); ...' for the gradebook's similar_to column."""
    out: dict[str, list[str]] = {}
    for p in pairs:
        s = pair_summary(p)
        out.setdefault(p["a"], []).append(f"{p['b']} ({s})")
        out.setdefault(p["b"], []).append(f"{p['a']} ({s})")
    return {k: "; ".join(v) for k, v in out.items()}

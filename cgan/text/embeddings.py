"""Caption embeddings through the sentence encoder, cached on disk by the caption's sha256."""

from __future__ import annotations

import hashlib
import sqlite3
import time

import numpy as np

from cgan.core.files import cache_dir
from cgan.data.captioned import CaptionedImages


def embed_texts(texts: list[str], encoder, cache: bool | str = True, log=print) -> np.ndarray:
    """Embeddings of `texts` (float32, encoder.dim wide), from the cache where it has them; `cache="read"`
    reads a cache that exists and writes none."""
    keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    found: dict[str, np.ndarray] = {}
    db = None
    path = cache_dir() / "text" / f"{encoder.name}.sqlite"
    if cache == "read" and not path.is_file():
        cache = False
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=60)
        db.execute("CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, vec BLOB)")
        uniq = list(set(keys))
        for s in range(0, len(uniq), 500):
            chunk = uniq[s:s + 500]
            rows = db.execute(f"SELECT key, vec FROM emb WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            found.update((k, np.frombuffer(v, np.float32)) for k, v in rows)
    todo = sorted({k: t for k, t in zip(keys, texts) if k not in found}.items())
    if todo:
        t0 = time.time()
        vecs = encoder.encode([t for _, t in todo])
        if encoder.truncated:
            log(f"note: {len(encoder.truncated)} caption(s) longer than 256 tokens were cut to 256")
        found.update((k, v) for (k, _), v in zip(todo, vecs))
        log(f"embedded {len(todo)} new captions with {encoder.name} in {time.time() - t0:.1f} s")
        if db is not None and cache != "read":
            with db:  # one transaction: all or nothing
                db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?)",
                               [(k, v.astype(np.float32).tobytes()) for (k, _), v in zip(todo, vecs)])
    if db is not None:
        db.close()
    return np.stack([found[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, encoder.dim), np.float32)


def embed_captions(data: CaptionedImages, encoder, cache: bool | str = True, log=print) -> CaptionedImages:
    """Embed each distinct caption once (tag-made captions repeat over thousands of images)."""
    flat = data.flat_captions()
    rows: dict[str, int] = {}
    data.caption_rows = np.array([rows.setdefault(c, len(rows)) for c in flat], np.int64)
    data.emb = embed_texts(list(rows), encoder, cache, log)
    return data

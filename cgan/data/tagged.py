"""Tagged image folders: `DIR/tags.csv` plus images in `DIR/` or `DIR/images/`, held in memory as uint8."""

from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from cgan.core.errors import CganError, at
from cgan.core.files import atomic_write, cache_dir
from cgan.core.images import TILE, load_rgb
from cgan.core.words import count
from cgan.course.colors import EYE_INDEX, HAIR_INDEX
from cgan.course.tags import TagLine, read_tags

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


@dataclass
class TaggedImages:
    """A whole data set in memory: images NHWC uint8, and hair/eye class indices."""

    images: np.ndarray
    hair: np.ndarray
    eyes: np.ndarray
    records: list[TagLine] = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.images)

    def epoch_labels(self, gen: torch.Generator, device: torch.device) -> tuple[torch.Tensor, ...]:
        """What each image is conditioned on: its (hair, eyes), the same every epoch (`gen` unused)."""
        return torch.from_numpy(self.hair).to(device), torch.from_numpy(self.eyes).to(device)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return sorted({r.pair for r in self.records}, key=lambda p: (HAIR_INDEX[p[0]], EYE_INDEX[p[1]]))


def image_dir(data_dir: Path) -> Path:
    sub = data_dir / "images"
    return sub if sub.is_dir() else data_dir


def _index_images(img_dir: Path) -> dict[str, str]:
    """stem -> file name, from one directory listing (36k stat calls would be slow on network disks)."""
    found: dict[str, str] = {}
    with os.scandir(img_dir) as it:
        for e in it:
            stem, ext = os.path.splitext(e.name)
            if ext.lower() in IMAGE_EXTS and stem not in found:
                found[stem] = e.name
    return found


def _cache_key(tags_path: Path, files: list[Path], size: int) -> str:
    """Key on the tags file's content and each image's name, size and mtime."""
    h = hashlib.sha256(tags_path.read_bytes())
    h.update(f"size={size}".encode())
    for p in files:
        st = p.stat()
        h.update(f"{p.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:24]


def _load_all(files: list[Path], lines: list[str], size: int, workers: int) -> np.ndarray:
    out = np.empty((len(files), size, size, 3), dtype=np.uint8)

    def load(i: int) -> None:
        try:
            out[i] = load_rgb(files[i], size)
        except Exception as e:  # Pillow raises many types for broken files
            raise CganError(f"{lines[i]}: cannot read image {files[i]}: {e}") from None

    # Pillow releases the GIL while decoding, so threads use every core without pickling arrays.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(load, range(len(files))))
    return out


def load_tagged_folder(data_dir: str | Path, size: int = TILE, cache: bool | str = True,
                       require_tags: bool = True, log=print) -> TaggedImages:
    """Load `data_dir/tags.csv` and its images.

    Without tags.csv and with `require_tags=False` (unconditional training) every image in the
    folder is loaded with unknown tags. Decoded arrays are cached under $CGAN_CACHE/data so a
    second run over 36k JPEGs takes a second instead of half a minute; `cache="read"` uses a cached
    array that is there and writes none (`cgan train --dry-run`).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise CganError(f"{data_dir}: no such data folder")
    t0 = time.time()
    tags_path = data_dir / "tags.csv"
    img_dir = image_dir(data_dir)
    index = _index_images(img_dir)
    summary: dict = {"data": str(data_dir)}
    if tags_path.exists():
        tf = read_tags(tags_path)
        log(tf.summary())
        records = tf.records
        files, where = [], []
        for r in records:
            name = index.get(r.id)
            if name is None:
                raise CganError(f"{at(tags_path, r.line)}: image {r.id!r} not found in {img_dir}")
            files.append(img_dir / name)
            where.append(at(tags_path, r.line))
        summary.update(format=tf.fmt, kept=tf.kept, dropped=dict(tf.dropped))
    elif require_tags:
        raise CganError(f"{tags_path}: no such file (conditional training needs tags; use --cond none without)")
    else:
        records = []
        names = sorted(index.values())
        files = [img_dir / n for n in names]
        where = [str(f) for f in files]
        summary.update(format="untagged", kept=len(files), dropped={})
    if not files:
        raise CganError(f"{data_dir}: no images to train on")

    cache_file = None
    if cache and tags_path.exists():
        cache_file = cache_dir() / "data" / f"{_cache_key(tags_path, files, size)}.npy"
    if cache_file is not None and cache_file.exists():
        images = np.load(cache_file, mmap_mode=None)
        source = "cache"
    else:
        images = _load_all(files, where, size, workers=max(1, os.cpu_count() or 1))
        source = "files"
        if cache_file is not None and cache != "read":
            atomic_write(cache_file, lambda f: np.save(f, images))
    hair = np.array([HAIR_INDEX[r.hair] for r in records], dtype=np.int64) if records else np.zeros(len(files), np.int64)
    eyes = np.array([EYE_INDEX[r.eyes] for r in records], dtype=np.int64) if records else np.zeros(len(files), np.int64)
    summary.update(images=len(images), seconds=round(time.time() - t0, 1), source=source,
                   memory_mb=round(images.nbytes / 2**20, 1))
    log(f"{data_dir}: {count(len(images), 'image')} {size}x{size} loaded from {source} in {summary['seconds']} s "
        f"({summary['memory_mb']} MiB in memory)")
    return TaggedImages(images, hair, eyes, records, summary)


def combine(sets: list[TaggedImages]) -> TaggedImages:
    """Several tagged folders as one training set (ids are prefixed with the folder to stay unique)."""
    if len(sets) == 1:
        return sets[0]
    records = [TagLine(f"{s.summary.get('data', k)}:{r.id}", r.hair, r.eyes, r.line)
               for k, s in enumerate(sets) for r in s.records]
    return TaggedImages(np.concatenate([s.images for s in sets]), np.concatenate([s.hair for s in sets]),
                        np.concatenate([s.eyes for s in sets]), records,
                        {"data": " + ".join(str(s.summary.get("data")) for s in sets), "parts": [s.summary for s in sets],
                         "images": int(sum(len(s) for s in sets))})

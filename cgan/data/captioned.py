"""Captioned image folders (Oxford-102 flowers, CUB birds, the procedural flowers); their embeddings are
made by `cgan.text.embeddings`.

Captions come from `DIR/captions.csv` (`image,caption`, one row per caption) or, as in Reed et al.'s
release, from `.txt` files anywhere under DIR named like the images (one caption per line). Each
image keeps all its captions; training draws one per image per epoch. Embeddings are cached in
$CGAN_CACHE/text/<encoder>.sqlite, keyed by the sha256 of the caption, so a caption is encoded once.
"""

from __future__ import annotations

import csv
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from cgan.core.errors import CganError, at
from cgan.core.images import TILE
from cgan.data.tagged import _index_images, _load_all, image_dir


@dataclass
class CaptionedImages:
    images: np.ndarray  # NHWC uint8
    captions: list[list[str]]  # per image
    ids: list[str]
    summary: dict = field(default_factory=dict)
    # The embeddings: one row per distinct caption; image i's captions are flat positions
    # offsets[i]:offsets[i]+counts[i], and caption_rows maps a flat position to its row.
    emb: np.ndarray | None = None
    caption_rows: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.images)

    @property
    def counts(self) -> np.ndarray:
        return np.array([len(c) for c in self.captions], np.int64)

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.counts)[:-1]]).astype(np.int64)

    def flat_captions(self) -> list[str]:
        return [c for caps in self.captions for c in caps]

    def epoch_labels(self, gen: torch.Generator, device: torch.device) -> tuple[torch.Tensor, ...]:
        """One caption embedding per image, drawn afresh each epoch."""
        if self.emb is None:
            raise CganError("captions are not embedded yet (call embed_captions)")
        counts = torch.from_numpy(self.counts)
        pick = torch.from_numpy(self.offsets) + (torch.rand(len(counts), generator=gen) * counts).long()
        if self.caption_rows is not None:
            pick = torch.from_numpy(self.caption_rows)[pick]
        return (torch.from_numpy(self.emb)[pick].to(device),)

    def preview(self, k: int = 5) -> list[str]:
        """`k` distinct first captions, spread over the data: the rows of the per-epoch grids."""
        seen: list[str] = []
        step = max(1, len(self.captions) // (4 * k))
        for caps in self.captions[::step] + self.captions:
            if caps[0] not in seen:
                seen.append(caps[0])
            if len(seen) == k:
                break
        return seen


def _read_csv(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for n, row in enumerate(csv.reader(f), 1):
            if n == 1 and [c.strip().lower() for c in row[:2]] == ["image", "caption"]:
                continue
            if not row or not "".join(row).strip():
                continue
            if len(row) < 2 or not row[1].strip():
                raise CganError(f"{at(path, n)}: expected 'image,caption', got {','.join(row)!r}")
            out.setdefault(Path(row[0].strip()).stem, []).append(",".join(row[1:]).strip())
    return out


def _read_txt_files(data_dir: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in sorted(data_dir.rglob("*.txt")):
        lines = [ln.strip() for ln in p.read_text(encoding="utf-8", errors="replace").splitlines()]
        if any(lines):
            out.setdefault(p.stem, []).extend(ln for ln in lines if ln)
    return out


def has_captions(data_dir: Path) -> bool:
    """Whether the folder holds captions: captions.csv, or .txt files named like its images (a readme.txt
    beside the images is no caption)."""
    if (data_dir / "captions.csv").is_file():
        return True
    stems = {p.stem for p in data_dir.rglob("*.txt")}
    return bool(stems) and not stems.isdisjoint(_index_images(image_dir(data_dir)))


def load_captioned_folder(data_dir: str | Path, size: int = TILE, log=print) -> CaptionedImages:
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise CganError(f"{data_dir}: no such data folder")
    t0 = time.time()
    csv_path = data_dir / "captions.csv"
    by_stem = _read_csv(csv_path) if csv_path.exists() else _read_txt_files(data_dir)
    if not by_stem:
        raise CganError(f"{data_dir}: no captions found (captions.csv with 'image,caption' rows, "
                        "or one .txt per image with a caption per line)")
    img_dir = image_dir(data_dir)
    index = _index_images(img_dir)
    ids = sorted(s for s in by_stem if s in index)
    no_image = len(by_stem) - len(ids)
    if not ids:
        raise CganError(f"{data_dir}: none of the {len(by_stem)} captioned names has an image in {img_dir}")
    files = [img_dir / index[s] for s in ids]
    images = _load_all(files, [str(f) for f in files], size, workers=max(1, os.cpu_count() or 1))
    captions = [by_stem[s] for s in ids]
    summary = {"data": str(data_dir), "format": "captions.csv" if csv_path.exists() else "txt files",
               "kept": len(ids), "dropped": {"captions without an image": no_image,
                                             "images without captions": len(index) - len(ids)},
               "captions": sum(len(c) for c in captions), "images": len(ids),
               "seconds": round(time.time() - t0, 1), "memory_mb": round(images.nbytes / 2**20, 1)}
    log(f"{data_dir}: {len(ids)} images with {summary['captions']} captions ({no_image} captions without an "
        f"image, {len(index) - len(ids)} images without captions dropped) in {summary['seconds']} s")
    return CaptionedImages(images, captions, ids, summary)

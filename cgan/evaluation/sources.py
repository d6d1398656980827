"""Where the images to score come from: a submitted grid, a generator, or real images (the ceiling)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from PIL import Image, UnidentifiedImageError

from cgan.core.errors import CganError
from cgan.core.images import GRID_COLS, as_array
from cgan.course.tags import TagLine
from cgan.evaluation.layouts import find_tiles
from cgan.gan.build import load_generator
from cgan.gan.sampling import generate
from cgan.gan.seeds import tag_seeds


def read_grid(path) -> np.ndarray:
    """A grid image as an HWC uint8 array (RGB or RGBA as stored)."""
    try:
        with Image.open(path) as im:
            return as_array(im)
    except FileNotFoundError:
        raise CganError(f"{path}: no such image") from None
    except (UnidentifiedImageError, OSError) as e:
        raise CganError(f"{path}: not a readable image ({e})") from None


def grid_tiles(path, n: int | None = None) -> tuple[np.ndarray, str, np.ndarray]:
    """(the first `n` tiles as 64x64 images, the layout found, the grid as read) of a grid PNG in any
    layout students used (tight, matplotlib canvases, torchvision padding, odd sizes: 5x5), or of any
    number of rows of 5 that `cgan generate` writes. Without `n`: every tile, less the empty (black)
    cells that end a last row left partly filled."""
    grid = read_grid(path)
    try:
        tiles, layout = find_tiles(grid, rows=None)
    except CganError as e:
        raise CganError(f"{path}: {e}") from None
    if n is None:
        n = len(tiles)
        while n > len(tiles) - GRID_COLS + 1 and not tiles[n - 1].any():
            n -= 1
    if n > len(tiles):
        raise CganError(f"{path}: {len(tiles)} tiles for {n} tag lines")
    return tiles[:n], layout, grid


def grid_reading(path, tiles: int, layout: str) -> str:
    """One line on how a grid was read: the images taken and the layout found."""
    rows = -(-tiles // GRID_COLS)
    return f"{path}: {tiles} image{'s' if tiles != 1 else ''} in {rows} row{'s' if rows != 1 else ''} " \
           f"of {GRID_COLS} ({layout})"


def checkpoint_samples(ckpt, tags: list[TagLine] | None, n: int, seed: int = 0,
                       tags_path: str = "<tags>") -> tuple[np.ndarray, list[TagLine] | None]:
    """Images from a generator file: see `generator_samples`."""
    G, cond, _ = load_generator(ckpt)
    return generator_samples(G, cond, tags, n, seed, tags_path)


def generator_samples(G, cond, tags: list[TagLine] | None, n: int, seed: int = 0, tags_path: str = "<tags>",
                      truncation: float = 1.0) -> tuple[np.ndarray, list[TagLine] | None]:
    """Images from a loaded generator: one per tag line, or `n` spread evenly over the pairs it was trained on
    (noise scaled by `truncation`, as `cgan generate --truncation`)."""
    if cond.kind == "sentence":
        raise CganError("this is a sentence model: cgan eval scores hair/eye tags; judge it with generate --text-file")
    if not cond.conditional:
        seeds = tag_seeds(tags, seed, tags_path) if tags else [seed + k for k in range(n)]
        return generate(G, cond, seeds, truncation=truncation), None
    if tags is None:
        k = len(cond.pairs)
        tags = [TagLine(str(i), *cond.pairs[i % k]) for i in range(n)]
    return generate(G, cond, tag_seeds(tags, seed, tags_path), tags, path=tags_path, truncation=truncation), tags


def real_samples(data, tags: list[TagLine] | None, n: int, seed: int = 0,
                 exclude: set[int] | None = None) -> tuple[np.ndarray, list[TagLine]]:
    """Real images as the ceiling: one distinct image per tag line, or `n` drawn at random
    (never one of `exclude`, e.g. the images an Inception reference was computed on)."""
    rng = np.random.RandomState(seed)
    allowed = np.array([i for i in range(len(data)) if not exclude or i not in exclude])
    if tags is None:
        idx = rng.choice(allowed, min(n, len(allowed)), replace=False)
        return data.images[idx], [data.records[i] for i in idx]
    by_pair: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in allowed:
        by_pair[data.records[i].pair].append(int(i))
    used: dict[tuple[str, str], list[int]] = {}
    picks = []
    for t in tags:
        pool = by_pair.get(t.pair)
        if not pool:
            raise CganError(f"{data.summary.get('data')}: no real image tagged '{t.text}'")
        if not used.get(t.pair):  # first use of this pair, or all its images used once
            used[t.pair] = list(rng.permutation(pool))
        picks.append(used[t.pair].pop())
    return data.images[np.array(picks)], tags

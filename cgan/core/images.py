"""Small image helpers in numpy + Pillow, no torch (image_tensors.py converts to and from tensors)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from PIL import Image

from cgan.core.files import atomic_write, check_output
from cgan.core.pixels import as_numpy

TILE = 64
GRID_COLS = 5
# What a grid may be written as, by the file's extension. PNG and WebP (lossless) keep every pixel; JPEG
# (quality 95, no chroma subsampling) is lossy, so only a PNG or WebP is the same on every machine.
IMAGE_FORMATS = {".png": "PNG", ".webp": "WEBP", ".jpg": "JPEG", ".jpeg": "JPEG"}


def as_uint8_images(images) -> np.ndarray:
    """Accept what students' code tends to hold and return NHWC uint8.

    uint8 arrays pass through; float arrays in [-1, 1] (tanh output) or [0, 1] are scaled;
    NCHW (3 channels first) is transposed.
    """
    a = as_numpy(images)
    if a.ndim != 4:
        raise ValueError(f"expected a batch of images (N, H, W, 3) or (N, 3, H, W), got shape {a.shape}")
    if a.shape[-1] != 3 and a.shape[1] == 3:
        a = a.transpose(0, 2, 3, 1)
    if a.shape[-1] != 3:
        raise ValueError(f"expected RGB images, got shape {a.shape}")
    if a.dtype == np.uint8:
        return np.ascontiguousarray(a)
    a = a.astype(np.float64)
    if a.min() < 0:
        a = (a + 1.0) / 2.0
    return (a * 255.0).round().clip(0, 255).astype(np.uint8)


def make_grid(images: np.ndarray, cols: int = GRID_COLS) -> np.ndarray:
    """Tile NHWC uint8 images row-major into `cols` columns, no padding; empty cells are black."""
    n, h, w, c = images.shape
    rows = max(1, math.ceil(n / cols))
    grid = np.zeros((rows * h, cols * w, c), dtype=np.uint8)
    for i in range(n):
        r, col = divmod(i, cols)
        grid[r * h:(r + 1) * h, col * w:(col + 1) * w] = images[i]
    return grid


def split_grid(grid: np.ndarray, tile: int = TILE) -> np.ndarray:
    """Inverse of make_grid for a tight grid: HWC -> NHWC tiles, row-major."""
    h, w = grid.shape[:2]
    if h % tile or w % tile:
        raise ValueError(f"grid of {w}x{h} is not a whole number of {tile}px tiles")
    tiles = grid.reshape(h // tile, tile, w // tile, tile, -1).swapaxes(1, 2)
    return tiles.reshape(-1, tile, tile, grid.shape[2])


def png_bytes(array: np.ndarray) -> bytes:
    """Encode an HWC uint8 array as PNG. Pillow writes no timestamp, so equal pixels give equal bytes."""
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def image_bytes(array: np.ndarray, fmt: str) -> bytes:
    """Encode an HWC uint8 array as PNG, WEBP (lossless) or JPEG."""
    if fmt == "PNG":
        return png_bytes(array)
    buf = io.BytesIO()
    options = {"lossless": True, "exact": True} if fmt == "WEBP" else {"quality": 95, "subsampling": 0}
    Image.fromarray(array).save(buf, format=fmt, **options)
    return buf.getvalue()


def check_image_output(path: str | Path) -> Path:
    """`check_output` for an image written by `save_image`: its extension picks the format."""
    return check_output(path, tuple(IMAGE_FORMATS), "an image")


def save_png(array: np.ndarray, path: str | Path) -> None:
    data = png_bytes(array)
    atomic_write(path, lambda f: f.write(data))


def save_image(array: np.ndarray, path: str | Path) -> None:
    """Write an HWC uint8 array in the format its name says (.png, .webp, .jpg, .jpeg), whole or not at all."""
    suffix = Path(path).suffix.lower()
    if suffix not in IMAGE_FORMATS:
        check_image_output(path)  # says which names are written
    data = image_bytes(array, IMAGE_FORMATS[suffix])
    atomic_write(path, lambda f: f.write(data))


def save_grid(images: np.ndarray, path: str | Path, cols: int = GRID_COLS) -> None:
    """The images tiled `cols` per row (make_grid), written as `save_image` writes."""
    save_image(make_grid(images, cols), path)


def as_array(im: Image.Image) -> np.ndarray:
    """HWC uint8: RGBA when the image can carry transparency (RGBA, LA, palette), else RGB."""
    return np.asarray(im.convert("RGBA" if im.mode in ("RGBA", "LA", "P") else "RGB"))


def load_rgb(path: str | Path, size: int | None = TILE) -> np.ndarray:
    """Read an image file as HWC uint8 RGB, resized to size x size (bicubic, antialiased)."""
    with Image.open(path) as im:
        im = im.convert("RGB")
        if size is not None and im.size != (size, size):
            im = im.resize((size, size), Image.Resampling.BICUBIC, reducing_gap=None)
        return np.asarray(im, dtype=np.uint8)


def read_png(data: bytes) -> tuple[np.ndarray | None, str]:
    """(HWC uint8 array or None, PIL mode or the error)."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None, "not a PNG file"
    try:
        with Image.open(io.BytesIO(data)) as im:
            mode = im.mode
            arr = as_array(im)
    except Exception as e:  # Pillow raises many kinds for a damaged file
        return None, f"unreadable PNG ({type(e).__name__}: {e})"
    return arr, mode

"""Procedural anime-style faces whose tags can be read back from the pixels.

The hair always covers a fixed patch at the top centre and the eyes a known band, whatever the
random pose, so `read_hair` / `read_eyes` can score generated images without a learned classifier.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from cgan.core.files import atomic_write
from cgan.course.colors import EYE_COLORS, HAIR_COLORS

HAIR_RGB: dict[str, tuple[int, int, int]] = {
    "orange": (255, 140, 0), "white": (245, 245, 245), "aqua": (0, 220, 220), "gray": (128, 128, 128),
    "green": (30, 170, 50), "red": (210, 20, 30), "purple": (130, 50, 180), "pink": (255, 140, 190),
    "blue": (30, 70, 220), "black": (20, 20, 20), "brown": (120, 70, 30), "blonde": (250, 225, 110),
}


EYE_RGB: dict[str, tuple[int, int, int]] = {
    "gray": (128, 128, 128), "black": (15, 15, 15), "orange": (255, 140, 0), "pink": (255, 130, 190),
    "yellow": (240, 220, 0), "aqua": (0, 210, 210), "purple": (130, 50, 180), "green": (30, 170, 50),
    "brown": (120, 70, 30), "red": (210, 20, 30), "blue": (30, 70, 220),
}


SKIN = (255, 224, 200)
RIM = (90, 45, 70)  # eye outline: far from every eye colour, so the iris can be told apart

# Patches (in 64-px coordinates) that are hair / eye for every pose the generator draws.
HAIR_PATCH = (slice(17, 22), slice(29, 36))


def draw_face(hair: str, eyes: str, rng: np.random.RandomState, size: int = 64) -> np.ndarray:
    """One face, HWC uint8, drawn on a 64-px design and scaled to `size`."""
    s = 4  # draw 4x larger, then downsample: smooth edges, like real illustrations
    big = 64 * s
    # Pale, low-saturation backgrounds: the hair is the picture's one strong colour, as in most
    # of the course's images, so a short training can be scored on it.
    grey = rng.randint(150, 246)
    bg = tuple(int(np.clip(grey + v, 0, 255)) for v in rng.randint(-25, 26, size=3))
    im = Image.new("RGB", (big, big), bg)
    d = ImageDraw.Draw(im)
    cx = 32 + rng.randint(-2, 3)
    cy = 34 + rng.randint(-2, 3)
    r = 18 + rng.randint(-2, 3)
    hc = HAIR_RGB[hair]
    ec = EYE_RGB[eyes]

    def box(x0: float, y0: float, x1: float, y1: float) -> list[float]:
        return [x0 * s, y0 * s, x1 * s, y1 * s]

    length = rng.randint(4, 16)  # hair length below the chin
    d.ellipse(box(cx - r - 4, cy - r - 6, cx + r + 4, cy + r + length), fill=hc)
    d.ellipse(box(cx - r + 2, cy - r + 5, cx + r - 2, cy + r + 2), fill=SKIN)
    d.ellipse(box(cx - r, cy - r - 6, cx + r, cy - r + 10), fill=hc)  # bangs
    for side in (-1, 1):
        ex = cx + side * 7
        ey = cy + 4
        d.ellipse(box(ex - 3.5, ey - 4, ex + 3.5, ey + 4), fill=RIM)
        d.ellipse(box(ex - 2.5, ey - 3, ex + 2.5, ey + 3), fill=ec)
        d.ellipse(box(ex - 1.5, ey - 2.5, ex, ey - 1), fill=(255, 255, 255))
    d.line(box(cx - 2, cy + 12, cx + 2, cy + 12), fill=(200, 80, 80), width=s)
    im = im.resize((size, size), Image.Resampling.LANCZOS)
    a = np.asarray(im, dtype=np.int16)
    a = a + rng.randint(-6, 7, size=a.shape)  # a little grain so the GAN has texture to learn
    return a.clip(0, 255).astype(np.uint8)


def _nearest(rgb: np.ndarray, palette: dict[str, tuple[int, int, int]]) -> str:
    names = list(palette)
    cols = np.array([palette[n] for n in names], dtype=np.float64)
    return names[int(np.argmin(((cols - rgb) ** 2).sum(1)))]


def read_hair(image: np.ndarray) -> str:
    """Hair colour of a 64x64 synthetic (or generated) face: nearest palette colour of the patch median."""
    patch = image[HAIR_PATCH].reshape(-1, 3).astype(np.float64)
    return _nearest(np.median(patch, axis=0), HAIR_RGB)


def read_eyes(image: np.ndarray) -> str:
    """Eye colour: median of the eye-band pixels that are neither skin, rim nor highlight."""
    band = image[34:43, 20:45].reshape(-1, 3).astype(np.float64)
    far = np.ones(len(band), dtype=bool)
    for ref in (SKIN, RIM, (255, 255, 255)):
        far &= ((band - np.array(ref, dtype=np.float64)) ** 2).sum(1) > 45 ** 2
    keep = band[far] if far.sum() >= 3 else band
    return _nearest(np.median(keep, axis=0), EYE_RGB)


FORMATS = ("extra", "faces")  # the extra data's layout, and the handout's faces/ with tag:count lines


def synth_dataset(out: str | Path, n: int, fmt: str = "extra", seed: int = 0,
                  pairs: list[tuple[str, str]] | None = None) -> Path:
    """Write `n` faces plus tags.csv in the real on-disk format.

    fmt 'extra': 64x64 images in `out/images/`, lines `id,aqua hair aqua eyes`.
    fmt 'faces': 96x96 images in `out/`, lines `id,aqua hair:123<TAB>long hair:45<TAB>aqua eyes:67`
    (with a distractor tag, as the handout's file has many), so loading exercises resizing and parsing.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    out = Path(out)
    rng = np.random.RandomState(seed)
    if pairs is None:
        pairs = [(h, e) for h in HAIR_COLORS for e in EYE_COLORS]
    img_dir = out / "images" if fmt == "extra" else out
    img_dir.mkdir(parents=True, exist_ok=True)
    size = 64 if fmt == "extra" else 96
    lines = []
    for i in range(n):
        hair, eyes = pairs[rng.randint(len(pairs))]
        Image.fromarray(draw_face(hair, eyes, rng, size)).save(img_dir / f"{i}.jpg", quality=95)
        if fmt == "extra":
            lines.append(f"{i},{hair} hair {eyes} eyes")
        else:
            extra = ["long hair", "smile", "short hair", "blush"][rng.randint(4)]
            lines.append(f"{i},{hair} hair:{rng.randint(1, 9999)}\t{extra}:{rng.randint(1, 9999)}"
                         f"\t{eyes} eyes:{rng.randint(1, 9999)}")
    text = "\n".join(lines) + "\n"
    atomic_write(out / "tags.csv", lambda f: f.write(text.encode()))
    return out

"""Procedural flowers with captions that name their colours, in Reed et al.'s on-disk layout.

`images/<id>.png` and `text/<id>.txt` (one caption per line, several per image). The petals always
cover a ring around the (slightly moving) centre, so `read_petals` scores generated images for tests
without a learned classifier.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from cgan.core.files import atomic_write

PETAL_RGB: dict[str, tuple[int, int, int]] = {
    "red": (215, 25, 35), "yellow": (245, 215, 20), "white": (245, 245, 245), "pink": (250, 140, 190),
    "purple": (125, 45, 175), "orange": (250, 135, 10), "blue": (35, 75, 215),
}


CENTER_RGB: dict[str, tuple[int, int, int]] = {
    "yellow": (245, 215, 20), "brown": (110, 65, 25), "green": (40, 160, 50), "white": (245, 245, 245),
}


TEMPLATES = (
    "a flower with {p} petals and a {c} center",
    "this flower has {p} petals and a {c} center",
    "this flower has petals that are {p} and a {c} center",
    "the petals of this flower are {p} and the center is {c}",
    "a {p} flower with a {c} center",
)


RING = (13, 19)  # petal pixels, in px from the centre, for every size and position drawn


def draw_flower(petals: str, center: str, rng: np.random.RandomState, size: int = 64) -> np.ndarray:
    """One flower, HWC uint8, drawn 4x larger and downsampled for smooth edges."""
    s = 4
    grey = rng.randint(150, 230)
    bg = (int(grey * 0.8), grey, int(grey * 0.75))  # pale leaf green, never a petal colour
    im = Image.new("RGB", (64 * s, 64 * s), bg)
    d = ImageDraw.Draw(im)
    cx, cy = 32 + rng.randint(-2, 3), 32 + rng.randint(-2, 3)
    n = rng.randint(5, 9)
    turn = rng.uniform(0, 2 * np.pi)
    length = rng.uniform(21, 25)
    for k in range(n):
        a = turn + 2 * np.pi * k / n
        for r in np.linspace(6, length - 4, 8):  # a petal: a row of discs along its axis
            x, y = cx + r * np.cos(a), cy + r * np.sin(a)
            w = 4.5 + 2.5 * np.sin(np.pi * (r - 6) / (length - 10))
            d.ellipse([(x - w) * s, (y - w) * s, (x + w) * s, (y + w) * s], fill=PETAL_RGB[petals])
    rc = rng.uniform(6, 8)
    d.ellipse([(cx - rc) * s, (cy - rc) * s, (cx + rc) * s, (cy + rc) * s], fill=CENTER_RGB[center])
    return np.asarray(im.resize((size, size), Image.LANCZOS))


def _nearest(pixels: np.ndarray, palette: dict[str, tuple[int, int, int]]) -> str:
    names = list(palette)
    cols = np.array([palette[k] for k in names], np.float32)
    d = ((pixels[:, None, :].astype(np.float32) - cols[None]) ** 2).sum(-1)
    return names[int(np.bincount(d.argmin(1), minlength=len(names)).argmax())]


def read_petals(image: np.ndarray) -> str:
    """The petal colour name closest to most pixels of the petal ring."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[:h, :w]
    r = np.hypot(yy - h / 2, xx - w / 2) * 64 / h
    return _nearest(image[(r >= RING[0]) & (r <= RING[1])], PETAL_RGB)


def captions_for(petals: str, center: str) -> list[str]:
    return [t.format(p=petals, c=center) for t in TEMPLATES]


def random_caption(rng: np.random.RandomState) -> tuple[str, str, str]:
    p, c = rng.choice(list(PETAL_RGB)), rng.choice(list(CENTER_RGB))
    return TEMPLATES[rng.randint(len(TEMPLATES))].format(p=p, c=c), p, c


def synth_captioned(out: str | Path, n: int, seed: int = 0) -> None:
    """`n` flowers under out/images and their captions under out/text (5 per image)."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "text").mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(seed)
    for i in range(n):
        p, c = rng.choice(list(PETAL_RGB)), rng.choice(list(CENTER_RGB))
        img = draw_flower(p, c, rng)
        name = f"image_{i:05d}"
        atomic_write(out / "images" / f"{name}.png", lambda f: Image.fromarray(img).save(f, format="PNG"))
        text = "\n".join(captions_for(p, c)) + "\n"
        atomic_write(out / "text" / f"{name}.txt", lambda f: f.write(text.encode()))

"""Applying a trained colour-transfer model: the pixel-exact path behind `cgan transfer` and extra_run.sh."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from cgan.core.checkpoint_io import load_checkpoint, load_weights, sampling_state
from cgan.core.devices import EXACT_DTYPE
from cgan.core.errors import CganError
from cgan.core.image_tensors import to_input
from cgan.core.images import load_rgb
from cgan.core.pixels import Rendered, render
from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.course.tags import TagLine
from cgan.data.tagged import IMAGE_EXTS, image_dir
from cgan.gan.build import load_generator
from cgan.gan.sampling import generate_rendered
from cgan.transfer.networks import ARCH, TransferG, tag_code


def transfer(G: TransferG, images: np.ndarray, hair: list[str], eyes: list[str]) -> np.ndarray:
    """Each image (NHWC uint8) with hair colour hair[i] and eye colour eyes[i]."""
    return transfer_rendered(G, images, hair, eyes).images


@torch.no_grad()
def transfer_rendered(G: TransferG, images: np.ndarray, hair: list[str], eyes: list[str]) -> Rendered:
    """`transfer` with each output's rounding margin; in G's dtype (float64 from load_transfer, so the same
    pixels on every machine), one image per forward pass, so a result never depends on the other images."""
    G.eval()
    p = next(G.parameters())
    x = to_input(images, p.dtype).to(p.device)
    code = tag_code(torch.tensor([HAIR_COLORS.index(h) for h in hair]),
                    torch.tensor([EYE_COLORS.index(e) for e in eyes])).to(p.device, p.dtype)
    return Rendered.concat([render(G(x[i:i + 1], code[i:i + 1])) for i in range(len(x))])


def transfer_grid(G: TransferG, images: np.ndarray, eyes: list[str], hairs: list[str],
                  input_margins: np.ndarray | None = None) -> Rendered:
    """Rows = input images; columns = the input, then the input with each of `hairs` (its own eyes kept).
    Files read from disk are pixels already (nothing to round); generated inputs bring their margins."""
    inputs = Rendered(images, np.full(len(images), np.inf) if input_margins is None else input_margins)
    cols = [inputs] + [transfer_rendered(G, images, [h] * len(images), eyes) for h in hairs]
    return Rendered(np.stack([c.images for c in cols], 1).reshape(-1, *images.shape[1:]),
                    np.stack([c.margins for c in cols], 1).reshape(-1))


def load_transfer(path: str | Path) -> tuple[TransferG, dict]:
    """The generator (EMA weights) of a training or release checkpoint, float64 on the CPU, eval mode."""
    obj = load_checkpoint(path, arch=ARCH)
    cfg = obj["config"]
    G = load_weights(TransferG(cfg["base_channels"], cfg["blocks"]), sampling_state(obj), path, EXACT_DTYPE)
    return G, obj


# Faces extra_run.sh uses when it is given none: drawn by the release cgan model, so nothing from
# the course data ships in the repository.
DEFAULT_HAIR = "blonde,blue,pink,red,green,black"  # the columns extra_run.sh shows
DEFAULT_FACES = [("black", "blue"), ("brown", "green"), ("blonde", "red"), ("white", "purple"), ("pink", "aqua")]


def default_faces(ckpt: str | Path, seed: int = 0) -> tuple[Rendered, list[str]]:
    """Faces from a tag-conditioned generator (one seed each, seed + row), and their eye colours."""
    G, cond, _ = load_generator(ckpt)
    tags = [TagLine(str(i), h, e) for i, (h, e) in enumerate(DEFAULT_FACES)]
    faces = generate_rendered(G, cond, [seed + i for i in range(len(tags))], tags, path=str(ckpt))
    return faces, [e for _, e in DEFAULT_FACES]


def read_inputs(paths: list[Path]) -> tuple[np.ndarray, list[str]]:
    """Image files, and the image files inside folders (sorted by name; a tagged folder's images/), as
    64x64 NHWC uint8."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in image_dir(p).iterdir() if f.suffix.lower() in IMAGE_EXTS and f.is_file())
            if not found:
                raise CganError(f"{p}: no images ({', '.join(IMAGE_EXTS)}) in this folder")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise CganError(f"{p}: no such file or folder")
    images = []
    for f in files:
        try:
            images.append(load_rgb(f))
        except (OSError, ValueError) as e:
            raise CganError(f"{f}: not a readable image ({e})") from None
    return np.stack(images), [str(f) for f in files]


def colour_list(text: str, known: tuple[str, ...] | list[str], option: str) -> list[str]:
    """'blonde,blue' -> ['blonde', 'blue'], every colour checked against `known`."""
    colours = [c.strip() for c in text.split(",") if c.strip()]
    bad = [c for c in colours if c not in known]
    if bad or not colours:
        raise CganError(f"{option}: unknown colour {bad[0] if bad else text!r} (known: {' '.join(known)})")
    return colours


@dataclass
class TransferJob:
    """What `cgan transfer` writes: the grid (rows = inputs), the input names and the eyes each row kept."""

    grid: Rendered
    names: list[str]
    eyes: list[str]
    cols: int


def transfer_job(G: TransferG, inputs: list[Path], hairs: list[str], eyes: str, faces_ckpt: Path | None = None,
                 read_eyes: Callable[[np.ndarray], list[str]] | None = None, seed: int = 0) -> TransferJob:
    """Rows for `inputs` (or, with none, faces drawn by the tag generator `faces_ckpt`): each input, then
    the input with each hair colour; eyes = one colour for all, or 'keep' (the generated faces' own tags,
    or what `read_eyes` reads on the files)."""
    if eyes != "keep" and eyes not in EYE_COLORS:
        raise CganError(f"--eyes: unknown colour {eyes!r} (known: keep {' '.join(EYE_COLORS)})")
    if inputs:
        images, names = read_inputs(inputs)
        own_eyes, margins = None, None
    else:
        faces, own_eyes = default_faces(faces_ckpt, seed)
        images, margins = faces.images, faces.margins
        names = [f"{faces_ckpt} seed {seed + k}" for k in range(len(images))]
    if eyes != "keep":
        target = [eyes] * len(images)
    elif own_eyes is not None:
        target = own_eyes
    else:
        target = read_eyes(images)
    return TransferJob(transfer_grid(G, images, target, hairs, margins), names, target, 1 + len(hairs))

"""What the demo's tabs compute, without any web framework: tag grids byte-identical to `cgan generate`,
transition strips, prompts, and colour transfer of an uploaded face, each with a clear error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from cgan.core.errors import CganError
from cgan.core.images import GRID_COLS, TILE, make_grid, png_bytes
from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.course.tags import TagLine
from cgan.gan.build import load_generator
from cgan.gan.interpolate import noise_strip, tag_strip
from cgan.gan.sampling import generate_rendered
from cgan.gan.seeds import tag_seeds
from cgan.gan.sentence_grids import sentence_grid
from cgan.text.prompts import plan_rows
from cgan.transfer.apply import load_transfer, transfer_grid

RANDOM = "random"
MAX_IMAGES = 100
MAX_UPLOAD_PIXELS = 4096 * 4096  # a face photo needs far less; larger is refused before decoding


@dataclass
class Result:
    png: bytes  # what the download button serves
    image: np.ndarray  # what the page shows
    note: str  # one line under the image: how to get the same file from the command line
    read: str = ""  # a colour reader's sentence model: the colours it read in each prompt
    notes: tuple[str, ...] = ()  # and what generate prints about them: synonyms, stand-ins, disagreements


class Models:
    """The generator (and optionally a sentence model for the prompt tab, and the transfer model) a demo
    serves, loaded once, float64 on the CPU."""

    def __init__(self, ckpt: Path, transfer: Path | None = None, name: str | None = None,
                 text: Path | None = None, text_name: str | None = None) -> None:
        self.path, self.name = ckpt, name or str(ckpt)
        self.G, self.cond, self.cfg = load_generator(ckpt)
        self.transfer = load_transfer(transfer)[0] if transfer else None
        self.text_G, self.text_cond, self.text_name = None, None, None
        if self.kind == "sentence":
            self.text_G, self.text_cond, self.text_name = self.G, self.cond, self.name
        elif text is not None:
            self.text_G, self.text_cond, _ = load_generator(text)
            self.text_name = text_name or str(text)
            if self.text_cond.kind != "sentence":
                raise CganError(f"{self.text_name}: conditioned on {self.text_cond.kind}, not sentences")

    @property
    def kind(self) -> str:
        return self.cond.kind

    def colours(self) -> tuple[list[str], list[str]]:
        """Hair and eye colours the model can draw (a pair model: those in its training pairs)."""
        if self.kind == "pair":
            return sorted({h for h, _ in self.cond.pairs}, key=HAIR_COLORS.index), \
                sorted({e for _, e in self.cond.pairs}, key=EYE_COLORS.index)
        return list(HAIR_COLORS), list(EYE_COLORS)


def tag_lines(models: Models, hair: str, eyes: str, n: int, seed: int) -> list[TagLine]:
    """The tags file the grid stands for: lines 1..n, 'random' colours drawn from RandomState(seed)
    among the pairs the model knows."""
    if not 1 <= n <= MAX_IMAGES:
        raise CganError(f"images: 1 to {MAX_IMAGES}")
    rng = np.random.RandomState(seed)
    hairs, eyes_known = models.colours()
    pairs = models.cond.pairs if models.kind == "pair" else [(h, e) for h in hairs for e in eyes_known]
    lines = []
    for i in range(1, n + 1):
        options = [(h, e) for h, e in pairs if hair in (RANDOM, h) and eyes in (RANDOM, e)]
        if not options:
            raise CganError(f"this model never saw {hair} hair with {eyes} eyes; pick another pair or 'random'")
        h, e = options[rng.randint(len(options))]
        lines.append(TagLine(str(i), h, e, i))
    return lines


def tags_file_text(lines: list[TagLine]) -> str:
    return "".join(f"{t.id},{t.hair} hair {t.eyes} eyes\n" for t in lines)


def tag_grid(models: Models, hair: str, eyes: str, n: int, seed: int,
             truncation: float = 1.0) -> tuple[Result, str]:
    """The grid `cgan generate TAGS --seed SEED --truncation PSI` writes for these tags (the same bytes),
    and that tags file."""
    flag = f" --truncation {truncation:g}" if truncation != 1.0 else ""
    if not models.cond.conditional:
        grid = make_grid(generate_rendered(models.G, models.cond, [seed + k for k in range(n)],
                                           truncation=truncation).images)
        note = f"cgan generate --ckpt {models.name} --n {n} --seed {seed}{flag}"
        return Result(png_bytes(grid), grid, note), ""
    if models.kind == "sentence":
        raise CganError("a sentence model: use the prompt tab")
    lines = tag_lines(models, hair, eyes, n, seed)
    images = generate_rendered(models.G, models.cond, tag_seeds(lines, seed), lines, truncation=truncation).images
    grid = make_grid(images)
    note = f"cgan generate tags.txt --ckpt {models.name} --seed {seed}{flag}  (tags.txt as shown)"
    return Result(png_bytes(grid), grid, note), tags_file_text(lines)


def transition(models: Models, mode: str, seed_a: int, seed_b: int, hair_a: str, eyes_a: str, hair_b: str,
               eyes_b: str, frames: int) -> Result:
    """A strip of `frames` images: from seed_a's noise to seed_b's ('seeds'), or from one pair to another ('tags')."""
    if not 2 <= frames <= 32:
        raise CganError("frames: 2 to 32")
    tag_a = TagLine("1", hair_a, eyes_a) if models.cond.conditional else None
    if mode == "seeds":
        r = noise_strip(models.G, models.cond, seed_a, seed_b, tag_a, frames)
        note = f"cgan interpolate --ckpt {models.name} --seeds {seed_a},{seed_b} --frames {frames}"
    else:
        r = tag_strip(models.G, models.cond, seed_a, tag_a, TagLine("2", hair_b, eyes_b), frames)
        note = (f"cgan interpolate --ckpt {models.name} --tags '{hair_a} hair {eyes_a} eyes' "
                f"--to '{hair_b} hair {eyes_b} eyes' --seeds {seed_a},{seed_b} --frames {frames}")
    strip = make_grid(r.images, cols=frames)
    return Result(png_bytes(strip), strip, note)


def prompts(models: Models, text: str, n: int, seed: int) -> Result:
    """One row of `n` images per non-blank line of `text` (same seeds in every row), by the sentence model."""
    if models.text_G is None:
        raise CganError(f"{models.name} is conditioned on {models.kind}, not sentences: use the tags tab "
                        "(or start the demo with --text-model NAME)")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise CganError("type a description, e.g. 'a girl with long pink hair and red eyes'")
    if not 1 <= n <= GRID_COLS * 4:
        raise CganError(f"images per prompt: 1 to {GRID_COLS * 4}")
    said: list[str] = []  # what generate --text-file prints on stderr: synonyms, stand-ins, disagreements
    g = sentence_grid(models.text_G, models.text_cond, *plan_rows(lines, n), seed, said.append)
    grid = make_grid(g.rendered.images, cols=g.cols)
    read = "; ".join(f"row {i + 1}: {h} hair ({ph:.0%}), {e} eyes ({pe:.0%})"
                     for i, (h, ph, e, pe) in enumerate(g.read[ln] for ln in lines)) if g.read else ""
    return Result(png_bytes(grid), grid,
                  f"cgan generate --ckpt {models.text_name} --text-file prompts.txt --n {n} --seed {seed}", read,
                  tuple(m.removeprefix("note: ") for m in said if m.startswith("note: ")))


def read_upload(path: str | Path | None) -> np.ndarray:
    """An uploaded file as a 64x64 RGB face, or a one-line reason it cannot be one."""
    if not path:
        raise CganError("upload a face image first (PNG or JPEG)")
    name = Path(path).name
    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_UPLOAD_PIXELS:
                raise CganError(f"{name}: {im.width}x{im.height} is too large (at most {MAX_UPLOAD_PIXELS:,} pixels)")
            im = im.convert("RGB")  # palette, greyscale, RGBA, CMYK, 16-bit: all read as RGB
            im = im.resize((TILE, TILE), Image.Resampling.BICUBIC, reducing_gap=None)
            return np.asarray(im, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise CganError(f"{name}: not a readable image ({type(e).__name__})") from None
    except Image.DecompressionBombError:
        raise CganError(f"{name}: too large to decode") from None


def transfer(models: Models, path: str | Path | None, hairs: list[str], eyes: str) -> Result:
    """The row `cgan transfer FILE --hair ... --eyes ...` writes for one uploaded face."""
    if models.transfer is None:
        raise CganError("no colour-transfer model loaded (start the demo with --transfer NAME)")
    if not hairs:
        raise CganError("pick at least one hair colour")
    if eyes not in EYE_COLORS:
        raise CganError("pick the eye colour to give the face")
    face = read_upload(path)[None]
    row = transfer_grid(models.transfer, face, [eyes], hairs)
    grid = make_grid(row.images, cols=1 + len(hairs))
    return Result(png_bytes(grid), grid, f"cgan transfer FACE --hair {','.join(hairs)} --eyes {eyes}")

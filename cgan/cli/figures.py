"""`cgan plot`, `cgan interpolate` and `cgan progress`: the figures a report needs."""

from __future__ import annotations

import io
from pathlib import Path

import click
import numpy as np
from PIL import Image

from cgan.cli.common import log
from cgan.core.errors import CganError
from cgan.core.files import atomic_write, check_output
from cgan.core.images import check_image_output, save_grid, save_image
from cgan.core.pixels import Rendered
from cgan.course.tags import TagLine, parse_pair
from cgan.gan.build import load_generator
from cgan.gan.figures import curves_png, progress_gif, read_losses
from cgan.gan.interpolate import noise_strip, tag_strip
from cgan.release.manifest import resolve_checkpoint


def _write(out: Path, data: bytes) -> None:
    atomic_write(out, lambda f: f.write(data))


def _write_png_as(out: Path, png: bytes) -> None:
    """A PNG written as the format `out`'s extension names (the PNG's own bytes for .png)."""
    if out.suffix.lower() == ".png":
        return _write(out, png)
    with Image.open(io.BytesIO(png)) as im:
        save_image(np.asarray(im.convert("RGB")), out)


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("curves.png"), show_default=True,
              help="Figure to write: .png, .webp or .jpg.")
@click.option("--label", "labels", multiple=True, help="Legend label per run, in order [default: from each config.json].")
@click.option("--smoothing", type=float, default=0.9, show_default=True, help="TensorBoard-style smoothing weight (0: none).")
def plot(runs: tuple[Path, ...], out: Path, labels: tuple[str, ...], smoothing: float) -> None:
    """Several runs' D and G loss curves on one figure (each run folder's losses.csv).

    \b
    Examples:
      cgan plot runs/baseline -o figures/baseline.png
      cgan plot runs/cmp/gan runs/cmp/acgan runs/cmp/wgan-gp -o figures/losses.png
    """
    check_image_output(out)
    if labels and len(labels) != len(runs):
        raise CganError(f"--label given {len(labels)} times for {len(runs)} runs")
    if not 0 <= smoothing < 1:
        raise CganError("--smoothing must be in [0, 1)")
    for run in runs:  # each run's losses read before drawing: a bad file is named, whichever of the runs it is
        try:
            read_losses(run)
        except UnicodeDecodeError:
            raise CganError(f"{run / 'losses.csv'}: not a cgan losses file (not text)") from None
    _write_png_as(out, curves_png(list(runs), list(labels) or None, smoothing))
    log(f"wrote {out} ({len(runs)} run(s))")


@click.command()
@click.option("--ckpt", default="cgan", show_default=True, help="Generator: checkpoint file or release name.")
@click.option("--tags", "tags", default=None, help="Tag pair of the noise strip, e.g. 'blue hair red eyes'.")
@click.option("--to", "to_tags", default=None, help="Also a strip fading --tags into this pair (same noise).")
@click.option("--seeds", default="0,1", show_default=True, help="Two seeds: the noise strip walks from one to the other.")
@click.option("--frames", type=int, default=8, show_default=True, help="Images per strip (the ends included).")
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("strip.png"), show_default=True,
              help="Image to write (.png, .webp, .jpg): one row per strip.")
def interpolate(ckpt: str, tags: str | None, to_tags: str | None, seeds: str, frames: int, out: Path) -> None:
    """Interpolation strips: noise from one seed to another (spherical), and one tag pair into another.

    The end images are exactly what `cgan generate` draws for those seeds and tags.

    \b
    Examples:
      cgan interpolate --tags "blue hair red eyes" --seeds 3,7 -o figures/noise.png
      cgan interpolate --tags "blue hair red eyes" --to "blonde hair green eyes" -o figures/tags.png
      cgan interpolate --ckpt gan --seeds 0,24 -o figures/gan.png
    """
    check_image_output(out)
    try:
        seed_a, seed_b = (int(s) for s in seeds.split(","))
    except ValueError:
        raise CganError(f"--seeds: two integers, e.g. 0,1 (got {seeds!r})") from None
    if frames < 2:
        raise CganError("--frames must be at least 2")
    G, cond, _ = load_generator(resolve_checkpoint(ckpt, log=log))
    tag_a = TagLine("1", *parse_pair(tags, "--tags")) if tags else None
    rows = [noise_strip(G, cond, seed_a, seed_b, tag_a, frames)]
    if to_tags:
        if tag_a is None:
            raise CganError("--to needs --tags (the pair to start from)")
        rows.append(tag_strip(G, cond, seed_a, tag_a, TagLine("2", *parse_pair(to_tags, "--to")), frames))
    strips = Rendered.concat(rows)
    save_grid(strips.images, out, cols=frames)
    log(f"wrote {out}: {len(rows)} strip(s) of {frames} images")


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("progress.gif"), show_default=True,
              help="GIF to write.")
@click.option("--ms", type=int, default=400, show_default=True, help="Milliseconds per frame.")
def progress(run: Path, out: Path, ms: int) -> None:
    """A run's per-epoch sample grids (fixed noise, fixed tags) as an animated GIF.

    \b
    Example:
      cgan progress runs/baseline -o figures/progress.gif
    """
    check_output(out, (".gif",), "an animated GIF")
    data = progress_gif(run, ms)
    _write(out, data)
    log(f"wrote {out}")


COMMANDS = [plot, interpolate, progress]

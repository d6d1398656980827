"""`cgan generate`: the pixel-exact grids behind run_cgan.sh and run_gan.sh. Imports no torch unless
torch draws (gan/samplers.py): the scripts start in a fraction of torch's import time."""

from __future__ import annotations

import time
from pathlib import Path

import click

from cgan.cli.common import log
from cgan.cli.margins import warn_margin
from cgan.core.images import check_image_output, save_grid
from cgan.core.malloc import keep_freed_memory
from cgan.core.words import count
from cgan.gan.grids import default_release, generate_grid
from cgan.gan.samplers import ENGINES
from cgan.release.manifest import resolve_checkpoint


@click.command()
@click.argument("tags_file", required=False, type=click.Path(path_type=Path))
@click.option("--ckpt", default=None,
              help="Checkpoint file, or the name of a release model (see `cgan download --list`) "
                   "[default: the release 'cgan' with a tags file, 'sentence' with --text/--text-file, 'gan' without either].")
@click.option("-o", "--out", "out", type=click.Path(path_type=Path), default=Path("samples/cgan.png"), show_default=True,
              help="Grid to write: 64x64 images, 5 per row. Its extension picks the format: .png, .webp (both "
                   "lossless: the same file on any machine) or .jpg/.jpeg (lossy).")
@click.option("--seed", type=int, default=0, show_default=True, help="Base seed: line i uses seed + its id; unconditional image k uses seed + k.")
@click.option("--n", type=int, default=None,
              help="Images: for an unconditional model or one --text [default: 25]; per prompt of --text-file [default: 5].")
@click.option("--text", default=None, help="Sentence model: one prompt, --n images of it (5 per row).")
@click.option("--text-file", type=click.Path(path_type=Path), default=None,
              help="Sentence model: one prompt per line, one row of --n images per prompt.")
@click.option("--truncation", type=click.FloatRange(0.0, 1.0), default=1.0, show_default=True,
              help="Noise scale (the truncation trick): lower draws fewer odd images and less variety. "
                   "run_gan.sh uses 0.6.")
@click.option("--engine", type=click.Choice(ENGINES), default="auto", show_default=True,
              help="Forward pass: numpy (BigGAN tag and unconditional models; starts without torch) or torch "
                   "(every model); auto picks numpy where it can. Both write the same PNG.")
@click.option("--strict", is_flag=True, help="Faces sentence model: refuse a prompt that names no hair or no eye "
                                             "colour [default: use a stand-in colour and say which].")
def generate(tags_file: Path | None, ckpt: str | None, out: Path, seed: int, n: int | None, text: str | None,
             text_file: Path | None, strict: bool, truncation: float, engine: str) -> None:
    """Write the grid of generated images for a tags file (one image per line, in order), or for sentences.

    Computed in float64 on the CPU, so the PNG is the same on every machine; an image whose values sit
    too close to a rounding boundary to be sure of that is named in a warning.

    A faces sentence model says on stderr how it read each prompt: synonyms mapped (blond -> blonde),
    a colour it could not place, a missing colour and the stand-in used (refused under --strict); a
    colour outside the vocabulary is an error that lists the known ones.

    \b
    Examples:
      cgan generate hw3/testing_tags.txt -o samples/cgan.png          (the release cgan model)
      cgan generate --truncation 0.6 -o samples/gan.png               (the release gan model, as run_gan.sh)
      cgan generate hw3/testing_tags.txt --ckpt runs/baseline/checkpoint.pt -o samples/cgan.png
      cgan generate --text "a girl with long pink hair and red eyes" -o samples/prompt.png   (the release sentence model)
      cgan generate --ckpt runs/flowers/checkpoint.pt --text "this flower has white petals and a yellow center" -o samples/flowers.png
      cgan generate --ckpt runs/flowers/checkpoint.pt --text-file prompts.txt --n 8 -o samples/prompts.png
    """
    t0 = time.time()
    check_image_output(out)
    keep_freed_memory()  # the forward pass's large arrays then come from a heap kept warm between layers
    name = ckpt or default_release(tags_file, text is not None or text_file is not None)
    grid = generate_grid(resolve_checkpoint(name, log=log), tags_file, seed, n, text, text_file, log=log, strict=strict,
                         truncation=truncation, engine=engine)
    save_grid(grid.rendered.images, out, grid.cols)
    warn_margin(grid.rendered, grid.names)
    prompts = f", {count(grid.prompts, 'prompt')}" if grid.prompts else ""
    log(f"wrote {out} ({count(len(grid.rendered.images), 'image')}{prompts}) in {time.time() - t0:.1f} s")


COMMANDS = [generate]

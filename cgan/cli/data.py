"""`cgan data synth`: procedural data sets whose labels can be read back from the pixels."""

from __future__ import annotations

from pathlib import Path

import click

from cgan.cli.common import Group, log
from cgan.core.errors import CganError
from cgan.data.synth_faces import FORMATS, synth_dataset
from cgan.data.synth_flowers import synth_captioned


@click.group(cls=Group)
def data() -> None:
    """Data sets: the procedural faces for tests and demos."""


@data.command()
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder to create.")
@click.option("--n", type=int, default=2000, show_default=True, help="Number of images.")
@click.option("--format", "fmt", type=click.Choice([*FORMATS, "captions"]), default="extra", show_default=True,
              help="extra: 64x64 in images/ with 'id,blue hair red eyes'; faces: 96x96 with the handout's tag:count lines; captions: flowers in images/ with 5 captions each in text/<id>.txt.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the drawings and tags.")
def synth(out: Path, n: int, fmt: str, seed: int) -> None:
    """Draw simple anime-style faces (or flowers with captions) whose colours can be checked, in the real on-disk formats.

    \b
    Example:
      cgan data synth --out synth/ --n 2000 --format faces
      cgan data synth --out flowers/ --n 2000 --format captions
    """
    if n < 1:
        raise CganError("--n must be at least 1")
    if fmt == "captions":
        synth_captioned(out, n, seed)
        log(f"wrote {n} flowers to {out / 'images'} and their captions to {out / 'text'}")
        return
    synth_dataset(out, n, fmt, seed)
    log(f"wrote {n} faces and {out / 'tags.csv'}")


COMMANDS = [data]

"""`cgan data synth`: procedural data sets whose labels can be read back from the pixels."""

from __future__ import annotations

from pathlib import Path

import click

from cgan.cli.common import Group, log
from cgan.core.errors import CganError
from cgan.core.files import check_output_folder
from cgan.data.synth_faces import FORMATS, synth_dataset
from cgan.data.synth_flowers import synth_captioned
from cgan.data.tagged import load_tagged_folder
from cgan.evaluation.relabel import agreeing, clean_summary, write_clean_folder
from cgan.evaluation.tagnet import load_classifier
from cgan.release.manifest import resolve_checkpoint


@click.group(cls=Group)
def data() -> None:
    """Data sets: the procedural faces for tests and demos; cleaning a tagged set's labels."""


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
    check_output_folder(out)
    if fmt == "captions":
        synth_captioned(out, n, seed)
        log(f"wrote {n} flowers to {out / 'images'} and their captions to {out / 'text'}")
        return
    synth_dataset(out, n, fmt, seed)
    log(f"wrote {n} faces and {out / 'tags.csv'}")


@data.command()
@click.option("--data", "data_dir", required=True, type=click.Path(path_type=Path), help="Tagged folder to clean.")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Folder for the cleaned tags.csv (its images/ links to the source's).")
@click.option("--classifier", default="tagnet", show_default=True,
              help="The reference classifier that judges the tags: file or release name.")
def clean(data_dir: Path, out: Path, classifier: str) -> None:
    """Keep the images whose hair and eye tags the reference classifier agrees with.

    Images with an eye colour it never saw (gray) are all kept.

    \b
    Example:
      cgan data clean --data ../shared/data/faces --out ~/cgan-data/faces-clean
      cgan train --data ../shared/data/extra_data --data ~/cgan-data/faces-clean --cond multi ...
    """
    check_output_folder(out)
    judge = load_classifier(resolve_checkpoint(classifier, log=log))
    data = load_tagged_folder(data_dir, log=log)
    keep = agreeing(data, judge)
    log(clean_summary(data, keep))
    n = write_clean_folder(data, keep, data_dir, out)
    log(f"wrote {out / 'tags.csv'} ({n} images)")


COMMANDS = [data]

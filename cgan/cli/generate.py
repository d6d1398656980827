"""`cgan generate` and `cgan transfer`: the pixel-exact paths behind run_cgan.sh, run_gan.sh and extra_run.sh."""

from __future__ import annotations

import time
from pathlib import Path

import click

from cgan.cli.common import log
from cgan.core.images import save_grid
from cgan.core.pixels import Rendered, portability_warning
from cgan.course.colors import HAIR_COLORS
from cgan.evaluation.tagnet import eye_reader
from cgan.gan.grids import default_release, generate_grid
from cgan.release.manifest import resolve_checkpoint
from cgan.transfer.apply import DEFAULT_HAIR, colour_list, load_transfer, transfer_job


def _warn_margin(r: Rendered, names: list[str]) -> None:
    msg = portability_warning(r, names)
    if msg:
        log(msg)


@click.command()
@click.argument("tags_file", required=False, type=click.Path(path_type=Path))
@click.option("--ckpt", default=None,
              help="Checkpoint file, or the name of a release model (see `cgan download --list`) "
                   "[default: the release 'cgan' with a tags file, 'sentence' with --text/--text-file, 'gan' without either].")
@click.option("-o", "--out", "out", type=click.Path(path_type=Path), default=Path("samples/cgan.png"), show_default=True,
              help="PNG to write: 64x64 images, 5 per row.")
@click.option("--seed", type=int, default=0, show_default=True, help="Base seed: line i uses seed + its id; unconditional image k uses seed + k.")
@click.option("--n", type=int, default=None,
              help="Images: for an unconditional model or one --text [default: 25]; per prompt of --text-file [default: 5].")
@click.option("--text", default=None, help="Sentence model: one prompt, --n images of it (5 per row).")
@click.option("--text-file", type=click.Path(path_type=Path), default=None,
              help="Sentence model: one prompt per line, one row of --n images per prompt.")
@click.option("--truncation", type=click.FloatRange(0.0, 1.0), default=1.0, show_default=True,
              help="Noise scale (the truncation trick): lower draws fewer odd images and less variety. "
                   "run_gan.sh uses 0.6.")
@click.option("--strict", is_flag=True, help="Faces sentence model: refuse a prompt that names no hair or no eye "
                                             "colour [default: use a stand-in colour and say which].")
def generate(tags_file: Path | None, ckpt: str | None, out: Path, seed: int, n: int | None, text: str | None,
             text_file: Path | None, strict: bool, truncation: float) -> None:
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
    name = ckpt or default_release(tags_file, text is not None or text_file is not None)
    grid = generate_grid(resolve_checkpoint(name, log=log), tags_file, seed, n, text, text_file, log=log, strict=strict,
                         truncation=truncation)
    save_grid(grid.rendered.images, out, grid.cols)
    _warn_margin(grid.rendered, grid.names)
    prompts = f", {grid.prompts} prompt(s)" if grid.prompts else ""
    log(f"wrote {out} ({len(grid.rendered.images)} images{prompts}) in {time.time() - t0:.1f} s")


@click.command("transfer")
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--ckpt", default="transfer", show_default=True, help="Transfer checkpoint file, or a release name.")
@click.option("--hair", default=DEFAULT_HAIR, show_default=True,
              help="Target hair colours, comma-separated: one column each.")
@click.option("--eyes", default="keep", show_default=True,
              help="Target eye colour for every image, or 'keep': each input's own (read by --classifier).")
@click.option("--classifier", default="tagnet", show_default=True, help="Reads the inputs' eye colours for --eyes keep.")
@click.option("--faces-from", default="cgan", show_default=True,
              help="With no INPUTS: the tag generator (file or release name) that draws five faces to transfer.")
@click.option("--seed", type=int, default=0, show_default=True, help="With no INPUTS: face k uses seed + k.")
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("samples/transfer.png"), show_default=True,
              help="Grid to write: rows = inputs; columns = the input, then one per --hair colour.")
def transfer_cmd(inputs: tuple[Path, ...], ckpt: str, hair: str, eyes: str, classifier: str, faces_from: str,
                 seed: int, out: Path) -> None:
    """Change the hair (and eye) colour of face images, keeping the face (HW3-3 bonus).

    INPUTS are image files or folders of them (any size; read at 64x64).

    \b
    Examples:
      cgan transfer my_faces/ -o samples/transfer.png
      cgan transfer a.png b.jpg --hair blue,white --eyes red
      cgan transfer --hair aqua,orange            (five faces drawn by the release cgan model)
    """
    hairs = colour_list(hair, HAIR_COLORS, "--hair")
    G, _ = load_transfer(resolve_checkpoint(ckpt, log=log))
    faces = None if inputs else resolve_checkpoint(faces_from, log=log)
    reader = eye_reader(resolve_checkpoint(classifier, log=log)) if inputs and eyes == "keep" else None
    job = transfer_job(G, list(inputs), hairs, eyes, faces, reader, seed)
    save_grid(job.grid.images, out, cols=job.cols)
    _warn_margin(job.grid, [f"{name}, column {k}" for name in job.names for k in range(job.cols)])
    for name, e in zip(job.names, job.eyes):
        log(f"{name}: eyes {e}")
    click.echo(f"wrote {out}: {len(job.names)} rows x {job.cols} columns (input, {', '.join(hairs)})")


COMMANDS = [generate, transfer_cmd]

"""`cgan transfer`: the pixel-exact hair-colour transfer grid behind extra_run.sh."""

from __future__ import annotations

from pathlib import Path

import click

from cgan.cli.common import log
from cgan.cli.margins import warn_margin
from cgan.core.images import check_image_output, save_grid
from cgan.course.colors import HAIR_COLORS
from cgan.evaluation.tagnet import eye_reader
from cgan.release.manifest import resolve_checkpoint
from cgan.transfer.apply import DEFAULT_HAIR, colour_list, load_transfer, transfer_job


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
              help="Grid to write (.png, .webp, .jpg): rows = inputs; columns = the input, then one per --hair colour.")
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
    check_image_output(out)
    hairs = colour_list(hair, HAIR_COLORS, "--hair")
    G, _ = load_transfer(resolve_checkpoint(ckpt, log=log))
    faces = None if inputs else resolve_checkpoint(faces_from, log=log)
    reader = eye_reader(resolve_checkpoint(classifier, log=log)) if inputs and eyes == "keep" else None
    job = transfer_job(G, list(inputs), hairs, eyes, faces, reader, seed)
    save_grid(job.grid.images, out, cols=job.cols)
    warn_margin(job.grid, [f"{name}, column {k}" for name in job.names for k in range(job.cols)])
    for name, e in zip(job.names, job.eyes):
        log(f"{name}: eyes {e}")
    click.echo(f"wrote {out}: {len(job.names)} rows x {job.cols} columns (input, {', '.join(hairs)})")


COMMANDS = [transfer_cmd]

"""The `cgan` command: a thin Click shell over the library.

\b
Examples:
  cgan data synth --out synth/ --n 2000
  cgan train --data ../shared/data/extra_data --out runs/base --loss gan --epochs 10
  cgan generate hw3/testing_tags.txt --ckpt runs/base/checkpoint.pt -o samples/cgan.png
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from cgan.errors import CganError


class _Group(click.Group):
    """Turns a CganError anywhere below into one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CganError as e:
            click.echo(f"cgan: error: {e}", err=True)
            ctx.exit(e.exit_code)


def _log(msg: str) -> None:
    click.echo(msg, err=True)


@click.group(cls=_Group, help=__doc__)
@click.version_option(package_name=None, version=__import__("cgan").__version__)
def cli() -> None:
    pass


@cli.command()
@click.option("--data", "data_dir", required=True, type=click.Path(path_type=Path),
              help="Folder with tags.csv and the images (in it or in images/).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Run folder: checkpoint, losses.csv, samples/.")
@click.option("--cond", type=click.Choice(["pair", "multi", "none"]), default="pair", show_default=True,
              help="pair: one-hot over the (hair, eyes) pairs seen in training; multi: 12 hair + 11 eye one-hots; none: unconditional.")
@click.option("--loss", type=click.Choice(["gan", "acgan", "wgan-gp"]), default="gan", show_default=True,
              help="gan: course baseline with the matching-aware D; acgan: auxiliary classifier; wgan-gp: critic + gradient penalty.")
@click.option("--base-channels", type=int, default=64, show_default=True, help="Width: 64 is the course baseline, 32 trains ~3.5x faster.")
@click.option("--batch-size", type=int, default=64, show_default=True, help="Images per step.")
@click.option("--epochs", type=int, default=25, show_default=True, help="Passes over the data.")
@click.option("--lr", type=float, default=None, help="Adam learning rate [default: 2e-4; 1e-4 for wgan-gp].")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for weights, data order and noise.")
@click.option("--ema", type=float, default=0.0, show_default=True, help="Keep an exponential moving average of G with this decay (0: off).")
@click.option("--flip/--no-flip", default=False, show_default=True, help="Random horizontal flips of the real images.")
@click.option("--n-critic", type=int, default=5, show_default=True, help="wgan-gp: critic steps per G step.")
@click.option("--max-steps", type=int, default=None, help="Stop after this many steps (the last epoch is cut short).")
@click.option("--time-limit", type=float, default=None, help="Stop after this many minutes, saving a checkpoint.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--device", default="auto", show_default=True, help="cpu, cuda, cuda:1, ... or auto.")
@click.option("--threads", type=int, default=None, help="CPU threads (fixed thread count = repeatable run) [default: torch's].")
@click.option("--cache/--no-cache", default=True, show_default=True, help="Cache decoded images under $CGAN_CACHE/data.")
def train(data_dir: Path, out: Path, cond: str, loss: str, base_channels: int, batch_size: int, epochs: int,
          lr: float | None, seed: int, ema: float, flip: bool, n_critic: int, max_steps: int | None,
          time_limit: float | None, resume: bool, device: str, threads: int | None, cache: bool) -> None:
    """Train a (conditional) GAN on a folder of images plus tags.csv.

    \b
    Examples:
      cgan train --data faces/ --out runs/baseline
      cgan train --data extra_data/ --out runs/ac32 --loss acgan --base-channels 32 --cond multi
      cgan train --data faces/ --out runs/gan --cond none --epochs 20
      cgan train --data faces/ --out runs/baseline --resume
    """
    import torch

    from cgan.data import load_tagged_folder
    from cgan.training import TrainOptions, train as run_training

    if threads:
        torch.set_num_threads(threads)
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    data = load_tagged_folder(data_dir, cache=cache, require_tags=cond != "none", log=_log)
    opts = TrainOptions(out=str(out), cond=cond, loss=loss, base_channels=base_channels, batch_size=batch_size,
                        epochs=epochs, lr=lr, seed=seed, ema=ema, flip=flip, n_critic=n_critic,
                        max_steps=max_steps, time_limit=time_limit, resume=resume, device=device,
                        progress=sys.stderr.isatty())
    t0 = time.time()
    ckpt = run_training(data, opts, log=_log)
    _log(f"done in {time.time() - t0:.0f} s: {ckpt}")


@cli.command()
@click.argument("tags_file", required=False, type=click.Path(path_type=Path))
@click.option("--ckpt", required=True, help="Checkpoint file, or the name of a release model (see `cgan download --list`).")
@click.option("-o", "--out", "out", type=click.Path(path_type=Path), default=Path("samples/cgan.png"), show_default=True,
              help="PNG to write: 64x64 images, 5 per row.")
@click.option("--seed", type=int, default=0, show_default=True, help="Base seed: line i uses seed + its id; unconditional image k uses seed + k.")
@click.option("--n", type=int, default=25, show_default=True, help="Number of images for an unconditional model.")
def generate(tags_file: Path | None, ckpt: str, out: Path, seed: int, n: int) -> None:
    """Write the grid of generated images for a tags file (one image per line, in order).

    \b
    Examples:
      cgan generate hw3/testing_tags.txt --ckpt runs/baseline/checkpoint.pt -o samples/cgan.png
      cgan generate --ckpt gan -o samples/gan.png --n 25
    """
    from cgan.checkpoints import load_generator
    from cgan.images import save_grid
    from cgan.release import resolve_checkpoint
    from cgan.sampling import generate as sample, tag_seeds
    from cgan.tags import read_testing_tags

    t0 = time.time()
    path = resolve_checkpoint(ckpt, log=_log)
    G, cond, _ = load_generator(path)
    if cond.conditional:
        if tags_file is None:
            raise CganError(f"{path}: a conditional model needs a tags file (e.g. hw3/testing_tags.txt)")
        tags = read_testing_tags(tags_file)
        images = sample(G, cond, tag_seeds(tags, seed, str(tags_file)), tags, path=str(tags_file))
    else:
        if tags_file is not None:
            tags = read_testing_tags(tags_file)
            seeds = tag_seeds(tags, seed, str(tags_file))
        else:
            if n < 1:
                raise CganError("--n must be at least 1")
            seeds = [seed + k for k in range(n)]
        images = sample(G, cond, seeds)
    save_grid(images, out)
    _log(f"wrote {out} ({len(images)} images) in {time.time() - t0:.1f} s")


@cli.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("dst", type=click.Path(path_type=Path))
@click.option("--fp16/--fp32", default=True, show_default=True, help="Store the weights as float16 (half the size).")
@click.option("--name", default=None, help="Also add/replace this entry in release/manifest.json (sha256, size, config).")
@click.option("--url", default=None, help="With --name: where the file will be hosted for `cgan download`.")
def export(src: Path, dst: Path, fp16: bool, name: str | None, url: str | None) -> None:
    """Write a generator-only checkpoint (the EMA weights when kept) for release.

    \b
    Examples:
      cgan export runs/ac32/checkpoint.pt release/cgan.pt
      cgan export runs/ac32/checkpoint.pt release/cgan.pt --name cgan
    """
    from cgan.checkpoints import export_generator
    from cgan.download import sha256_file
    from cgan.release import register

    out = export_generator(src, dst, fp16=fp16)
    _log(f"wrote {dst}: {dst.stat().st_size} bytes, sha256 {sha256_file(dst)}")
    if name:
        cfg = out["config"]
        info = {"loss": cfg["loss"], "cond": cfg["cond"]["kind"], "base_channels": cfg["base_channels"],
                "ema": cfg["ema"], "epochs": out["epoch"], "steps": out["step"], "trained_on": out["data"].get("data")}
        if url:
            info["url"] = url
        register(name, dst, info)
        _log(f"release/manifest.json: entry {name!r} updated")


@cli.command()
@click.argument("name", required=False)
@click.option("--url", default=None, help="Fetch from this URL or local file instead of the manifest's URL.")
@click.option("--list", "list_", is_flag=True, help="List the release models and assets in the manifest.")
def download(name: str | None, url: str | None, list_: bool) -> None:
    """Fetch a release checkpoint or asset into the cache ($CGAN_CACHE, default ~/.cache/cgan), sha256-checked.

    Prints the path of the verified file. Bundled files are used as they are.

    \b
    Examples:
      cgan download --list
      cgan download cgan
      cgan download lbpcascade_animeface --url ../shared/data/lbpcascade_animeface/lbpcascade_animeface.xml
    """
    from cgan.release import fetch, load_manifest

    entries = load_manifest()
    if list_ or name is None:
        for key, e in sorted(entries.items()):
            where = "bundled" if e.get("bundled") else (e.get("url") or "-")
            click.echo(f"{key:24s} {e.get('kind', 'model'):9s} {e['sha256'][:12]}  {where}")
        return
    click.echo(fetch(name, url=url, manifest=entries, log=_log, progress=sys.stderr.isatty()))


@cli.group(cls=_Group)
def data() -> None:
    """Data sets: the procedural faces for tests and demos."""


@data.command()
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder to create.")
@click.option("--n", type=int, default=2000, show_default=True, help="Number of images.")
@click.option("--format", "fmt", type=click.Choice(["extra", "faces"]), default="extra", show_default=True,
              help="extra: 64x64 in images/ with 'id,blue hair red eyes'; faces: 96x96 with the handout's tag:count lines.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the drawings and tags.")
def synth(out: Path, n: int, fmt: str, seed: int) -> None:
    """Draw simple anime-style faces with checkable hair/eye colours, in the real on-disk formats.

    \b
    Example:
      cgan data synth --out synth/ --n 2000 --format faces
    """
    from cgan.synth import synth_dataset

    if n < 1:
        raise CganError("--n must be at least 1")
    synth_dataset(out, n, fmt, seed)
    _log(f"wrote {n} faces and {out / 'tags.csv'}")


def main() -> None:
    # Keep BLAS from oversubscribing when several cgan processes share a machine (grading).
    os.environ.setdefault("KMP_WARNINGS", "0")
    cli(prog_name="cgan")


if __name__ == "__main__":
    main()

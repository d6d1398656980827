"""`cgan train`, `cgan train-classifier` and `cgan train-transfer`."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
import torch

from cgan.cli.common import field_option, log
from cgan.core.runs import PRECISIONS
from cgan.data.augment import check_policy
from cgan.data.tagged import combine, load_tagged_folder
from cgan.evaluation.tagnet_training import ClassifierOptions, register_classifier, train_classifier
from cgan.gan.loop import load_training_data
from cgan.gan.loop import train as run_training
from cgan.gan.options import CONDS, LOSSES, TrainOptions
from cgan.transfer.trainer import TransferOptions, train_transfer

T, C, X = TrainOptions, ClassifierOptions, TransferOptions


def _threads(n: int | None) -> None:
    if n:
        torch.set_num_threads(n)


THREADS = click.option("--threads", type=int, default=None,
                       help="CPU threads (fixed thread count = repeatable run) [default: torch's].")
CACHE = click.option("--cache/--no-cache", default=True, show_default=True, help="Cache decoded images under $CGAN_CACHE/data.")


@click.command()
@click.option("--data", "data_dir", required=True, type=click.Path(path_type=Path),
              help="Folder with the images (in it or in images/) and tags.csv, or captions (captions.csv or one .txt per image).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Run folder: checkpoint, losses.csv, samples/.")
@field_option(T, "cond", type=click.Choice(CONDS),
              help="pair: one-hot over the (hair, eyes) pairs seen in training; multi: 12 hair + 11 eye one-hots; "
                   "none: unconditional; sentence: captions through all-MiniLM-L6-v2 (GAN-CLS).")
@field_option(T, "loss", type=click.Choice(LOSSES),
              help="gan: course baseline with the matching-aware D; acgan: auxiliary classifier; wgan-gp: critic + "
                   "gradient penalty; hinge: the matching-aware D with the hinge loss.")
@field_option(T, "base_channels", help="Width: 64 is the course baseline, 32 trains ~3.5x faster.")
@field_option(T, "batch_size", help="Images per step.")
@field_option(T, "epochs", help="Passes over the data.")
@field_option(T, "lr", type=float, help="Adam learning rate [default: 2e-4; 1e-4 for wgan-gp].")
@field_option(T, "seed", help="Seed for weights, data order and noise.")
@field_option(T, "ema", help="Keep an exponential moving average of G with this decay (0: off).")
@field_option(T, "flip", help="Random horizontal flips of the real images.")
@field_option(T, "mode_seeking", help="Weight of the mode-seeking term (MSGAN): pushes images of one condition apart "
                                       "(0: off; may be set on --resume).")
@field_option(T, "gan_int", "--gan-int", is_flag=True,
              help="Sentences: GAN-INT, G also learns from midpoints of two captions (Reed et al.).")
@field_option(T, "kl_weight", help="Sentences: weight of the conditioning-augmentation KL term (its codes start at unit "
                                   "scale, so the KL starts near 60; at 1.0 a short test run stayed grey).")
@field_option(T, "n_critic", help="wgan-gp: critic steps per G step.")
@field_option(T, "spectral_norm", "--spectral-norm", is_flag=True,
              help="Spectral normalisation on every D weight (replaces D's batch norm).")
@field_option(T, "diffaug", help="DiffAugment policies for D's inputs: translation, cutout or translation,cutout "
                                 "(no colour: tags are colours).")
@field_option(T, "max_steps", type=int, help="Stop after this many steps (the last epoch is cut short).")
@field_option(T, "time_limit", type=float, help="Stop after this many minutes, saving a checkpoint.")
@field_option(T, "resume", "--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@field_option(T, "device", help="cpu, cuda, cuda:1, ... or auto.")
@field_option(T, "precision", type=click.Choice(PRECISIONS),
              help="bf16: forward passes under bf16 autocast: for GPUs, and CPUs with AVX512-BF16 or AMX.")
@THREADS
@CACHE
def train(data_dir: Path, out: Path, threads: int | None, cache: bool, **options) -> None:
    """Train a (conditional) GAN on a folder of images plus tags.csv.

    \b
    Examples:
      cgan train --data faces/ --out runs/baseline
      cgan train --data extra_data/ --out runs/ac32 --loss acgan --base-channels 32 --cond multi
      cgan train --data faces/ --out runs/gan --cond none --epochs 20
      cgan train --data faces/ --out runs/baseline --resume
      cgan train --data flowers/ --out runs/flowers --cond sentence --base-channels 32 --gan-int
    """
    check_policy(options["diffaug"])
    _threads(threads)
    say = log if int(os.environ.get("RANK", "0")) == 0 else (lambda m: None)  # under torchrun rank 0 speaks
    data = load_training_data(data_dir, options["cond"], cache=cache, log=say)
    t0 = time.time()
    ckpt = run_training(data, TrainOptions(out=str(out), progress=sys.stderr.isatty(), **options), log=say)
    say(f"done in {time.time() - t0:.0f} s: {ckpt}")


@click.command("train-classifier")
@click.option("--data", "data_dirs", required=True, multiple=True, type=click.Path(path_type=Path),
              help="Tagged folder (tags.csv + images); repeat to train on several.")
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("runs/tagnet.pt"), show_default=True,
              help="Classifier checkpoint to write.")
@field_option(C, "epochs", help="Passes over the training split.")
@field_option(C, "width", help="Channels of the first block (x2 per block).")
@field_option(C, "batch_size", help="Images per step.")
@field_option(C, "lr", help="Peak learning rate (one-cycle schedule).")
@field_option(C, "val_fraction", help="Share of images held out for the accuracy figure.")
@field_option(C, "seed", help="Seed for the split, weights and order.")
@THREADS
@click.option("--name", default=None, help="Also add/replace this entry in release/manifest.json.")
def train_classifier_cmd(data_dirs: tuple[Path, ...], out: Path, threads: int | None, name: str | None,
                         **options) -> None:
    """Train the reference hair/eye colour classifier that `cgan eval` and `cgan grade` use.

    The checkpoint stores its held-out accuracy and the real images' reference statistics.

    \b
    Examples:
      cgan train-classifier --data ../shared/data/extra_data --data ../shared/data/faces -o release/tagnet.pt
      cgan train-classifier --data synth/ -o runs/tagnet-synth.pt --epochs 16
    """
    _threads(threads)
    opts = ClassifierOptions(**options)
    data = combine([load_tagged_folder(d, log=log) for d in data_dirs])
    clf = train_classifier(data, out, opts, log=log)
    h = clf.heldout
    click.echo(f"{out}: held-out accuracy hair {h['hair']:.1%}, eyes {h['eyes']:.1%}, both {h['both']:.1%} "
               f"on {h['n']} images")
    if name:
        register_classifier(name, out, clf, "cgan " + " ".join(sys.argv[1:]))
        log(f"release/manifest.json: entry {name!r} updated")


@click.command("train-transfer")
@click.option("--data", "data_dir", required=True, type=click.Path(path_type=Path),
              help="Tagged folder (tags.csv + images): the faces and the colours to learn.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Run folder: checkpoint.pt, samples/.")
@field_option(X, "base_channels", help="Width of G and D.")
@field_option(X, "blocks", help="Residual blocks in G at 16x16.")
@field_option(X, "batch_size", help="Images per step.")
@field_option(X, "epochs", help="Passes over the data.")
@field_option(X, "lr", help="Adam learning rate of G and D.")
@field_option(X, "cls_weight", help="Weight of the domain-classification loss.")
@field_option(X, "rec_weight", help="Weight of the cycle-reconstruction L1.")
@field_option(X, "mask_weight", help="Weight of the L1 on G's paint mask.")
@field_option(X, "ema", help="Decay of the EMA of G that is saved and used.")
@field_option(X, "flip", help="Random horizontal flips of the images.")
@field_option(X, "seed", help="Seed for weights, order and targets.")
@field_option(X, "max_steps", type=int, help="Stop after this many steps.")
@field_option(X, "time_limit", type=float, help="Stop after this many minutes, saving a checkpoint.")
@field_option(X, "resume", "--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@field_option(X, "precision", type=click.Choice(PRECISIONS),
              help="bf16: forward passes under bf16 autocast (1.8x on this project's Zen 5 CPU); may change on --resume.")
@THREADS
@CACHE
def train_transfer_cmd(data_dir: Path, out: Path, threads: int | None, cache: bool, **options) -> None:
    """Train the hair/eye colour transfer model (StarGAN-style) that extra_run.sh uses.

    \b
    Examples:
      cgan train-transfer --data ../shared/data/extra_data --out runs/transfer
      cgan train-transfer --data ../shared/data/extra_data --out runs/transfer --resume --epochs 20
      cgan export runs/transfer/checkpoint.pt release/transfer.pt --name transfer
    """
    _threads(threads)
    data = load_tagged_folder(data_dir, cache=cache, log=log)
    t0 = time.time()
    ckpt = train_transfer(data, TransferOptions(out=str(out), **options), log=log)
    log(f"done in {time.time() - t0:.0f} s: {ckpt}")


COMMANDS = [train, train_classifier_cmd, train_transfer_cmd]

"""`cgan train`, `cgan train-classifier` and `cgan train-transfer`."""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path

import click
import torch
from click.core import ParameterSource

from cgan.cli.common import log
from cgan.cli.options import dataclass_options
from cgan.core.errors import CganError
from cgan.core.runs import ABSENT, ADJUSTABLE
from cgan.core.files import check_output, check_output_folder
from cgan.data.augment import check_policy
from cgan.data.captioned import has_captions
from cgan.data.tagged import combine, load_tagged_folder
from cgan.evaluation.tagnet_training import ClassifierOptions, register_classifier, train_classifier
from cgan.gan.build import load_run
from cgan.gan.loop import train as run_training
from cgan.gan.options import CHECKPOINT, TrainOptions
from cgan.gan.plan import plan_run
from cgan.gan.presets import DEFAULT_PRESET, PRESETS, compose, preset_options
from cgan.gan.reader_model import make_reader_model
from cgan.gan.training_data import load_training_data
from cgan.release.export import manifest_info
from cgan.release.manifest import register, resolve_checkpoint
from cgan.transfer.trainer import TransferOptions, train_transfer

THREADS = click.option("--threads", type=int, default=None,
                       help="CPU threads (fixed thread count = repeatable run) [default: torch's].")
CACHE = click.option("--cache/--no-cache", default=True, show_default=True, help="Cache decoded images under $CGAN_CACHE/data.")
RUN_CONTROL = "max_steps time_limit resume precision"


def saved_config(out: Path) -> dict | None:
    """The config of the run in `out`, or None where there is none yet."""
    path = out / CHECKPOINT
    return load_run(path)["config"] if path.is_file() else None


def run_preset(saved: dict | None) -> str | None:
    """The preset of the run whose config is `saved`: a plain --resume goes on with its own recipe. A run
    from before presets recorded none, and resumes from its options as given."""
    return DEFAULT_PRESET if saved is None else saved.get("preset")


def _threads(n: int | None) -> None:
    if n:
        torch.set_num_threads(n)


@click.command()
@click.option("--data", "data_dirs", required=True, multiple=True, type=click.Path(path_type=Path),
              help="Folder with the images (in it or in images/) and tags.csv, or captions (captions.csv or one .txt "
                   "per image); repeat to train on several tagged folders as one set.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Run folder: checkpoint, losses.csv, samples/.")
@dataclass_options(TrainOptions, "arch cond loss base_channels batch_size epochs lr seed ema flip mode_seeking mode_seeking_pairs "
                                 "aux_weight gan_int "
                                 "kl_weight n_critic d_steps spectral_norm diffaug latent_codes init_from d_warmup device tensorboard "
                                 + RUN_CONTROL,
                   defaults=PRESETS[DEFAULT_PRESET].options,
                   lr="Adam learning rate [default: 2e-4; 1e-4 for wgan-gp; biggan: G 1e-4, D 4x]; may change on "
                      "--resume (a lower rate to finish a run).")
@THREADS
@CACHE
@click.option("--preset", type=click.Choice(list(PRESETS)), default=None,
              help="Recipe the options start from; any option given here overrides it: "
                   + "; ".join(f"{k}: {p.summary}" for k, p in PRESETS.items())
                   + f" [default: {DEFAULT_PRESET}; on --resume, the run's own].")
@click.option("--dry-run", is_flag=True,
              help="Print the resolved configuration, the data found, images, steps and the checkpoint's size, "
                   "then exit without training or writing a run folder.")
@click.pass_context
def train(ctx: click.Context, data_dirs: tuple[Path, ...], out: Path, threads: int | None, cache: bool,
          preset: str | None, dry_run: bool, **options) -> None:
    """Train a (conditional) GAN on a folder of images plus tags.csv.

    \b
    Examples:
      cgan train --data faces/ --out runs/hour                        (the default preset, hour)
      cgan train --data faces/ --out runs/quick --preset laptop       (the fastest route to the course baseline)
      cgan train --data faces/ --out runs/course --preset course      (the handout's baseline)
      cgan train --data extra_data/ --out runs/rel --preset release --dry-run
      cgan train --data faces/ --out runs/course --preset course --epochs 50 --base-channels 32
      cgan train --data extra_data/ --out runs/ac32 --loss acgan --base-channels 32 --cond multi
      cgan train --data faces/ --out runs/gan --cond none --epochs 20
      cgan train --data faces/ --out runs/baseline --resume
      cgan train --data extra_data/ --data faces/ --out runs/big --arch biggan --cond multi --loss hinge --ema 0.999
      cgan train --data faces/ --out runs/gan-ft --arch biggan --cond none --loss hinge --latent-codes --init-from cgan --d-warmup 200
      cgan train --data flowers/ --out runs/flowers --cond sentence --base-channels 32 --gan-int
    """
    _check_out(out, options["resume"])
    say = log if int(os.environ.get("RANK", "0")) == 0 else (lambda m: None)  # under torchrun rank 0 speaks
    # Options not given come from the preset, else from TrainOptions (the help shows the default preset's).
    given = {k for k in options if ctx.get_parameter_source(k) is not ParameterSource.DEFAULT}
    saved = saved_config(out) if options["resume"] else None  # read once: a checkpoint is megabytes
    typed_preset = preset
    preset = preset or (run_preset(saved) if options["resume"] else DEFAULT_PRESET)
    recipe = preset_options(preset) if preset else {}
    base = {f.name: f.default for f in dataclasses.fields(TrainOptions)}
    options.update({k: recipe.get(k, base[k]) for k in options if k not in given})
    options.update({k: v for k, v in recipe.items() if k not in options})  # what has no option (the schedule)
    if saved is not None:  # a setting a resume may change keeps the run's own value unless typed now
        options.update({k: saved.get(k, ABSENT.get(k, options[k])) for k in ADJUSTABLE
                        if k in options and k not in given})
    if saved is not None and not typed_preset:
        # The schedule has no option to type: a plain --resume goes on with the run's own, even where
        # its preset's recipe has changed since the run started.
        options["schedule"] = tuple(saved.get("schedule", ()))
    if "cond" not in given and options["cond"] != "sentence" and any(has_captions(Path(d)) for d in data_dirs):
        say(f"note: --cond sentence instead of the {preset} preset's {options['cond']}: the data holds captions")
        options["cond"] = "sentence"
    for note in compose(options, given, preset):
        say(note)
    check_policy(options["diffaug"])
    if options["init_from"]:
        options["init_from"] = str(resolve_checkpoint(options["init_from"]))
        load_run(options["init_from"])  # a file that is no generator is refused before the data is read
    _threads(threads)
    # A dry run reads a cache that is there but writes none (the decoded images are large).
    data = load_training_data(data_dirs, options["cond"], cache="read" if dry_run and cache else cache, log=say)
    if dry_run:
        for line in plan_run(data, TrainOptions(out=str(out), **options)).lines():
            click.echo(line)
        return
    try:
        run_training(data, TrainOptions(out=str(out), progress=sys.stderr.isatty(), **options), log=say)
    except KeyboardInterrupt:  # the trainer has said where it stopped and what is kept
        ctx.exit(130)


def _check_out(out: Path, resume: bool) -> None:
    """--out must be a folder that can become a run's (cgan train's or train-transfer's), checked before the
    data is read."""
    if out.exists() and not out.is_dir():
        raise CganError(f"{out}: --out is a file; a run needs a folder (a new one, or a run's with --resume)")
    if not resume and (out / CHECKPOINT).is_file():
        raise CganError(f"{out}: a run already exists here; pass --resume to continue it or choose another --out")
    check_output_folder(out)


@click.command("train-classifier")
@click.option("--data", "data_dirs", required=True, multiple=True, type=click.Path(path_type=Path),
              help="Tagged folder (tags.csv + images); repeat to train on several.")
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("runs/tagnet.pt"), show_default=True,
              help="Classifier checkpoint to write.")
@dataclass_options(ClassifierOptions, "epochs width batch_size lr val_fraction seed",
                   epochs="Passes over the training split.", lr="Peak learning rate (one-cycle schedule).",
                   seed="Seed for the split, weights and order.")
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
    check_output(out, (".pt", ".pth"), "a checkpoint")
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
@dataclass_options(TransferOptions, "base_channels blocks batch_size epochs lr cls_weight rec_weight mask_weight ema "
                                    "flip seed " + RUN_CONTROL,
                   lr="Adam learning rate of G and D.", ema="Decay of the EMA of G that is saved and used.",
                   seed="Seed for weights, order and targets.", flip="Random horizontal flips of the images.")
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
    _check_out(out, options["resume"])
    _threads(threads)
    data = load_tagged_folder(data_dir, cache=cache, log=log)
    t0 = time.time()
    ckpt = train_transfer(data, TransferOptions(out=str(out), **options), log=log)
    log(f"done in {time.time() - t0:.0f} s: {ckpt}")


@click.command("train-reader")
@click.option("--gan", default="cgan", show_default=True,
              help="The tag generator to drive: a --cond multi checkpoint or release name.")
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("runs/sentence.pt"), show_default=True,
              help="Sentence model file to write.")
@click.option("--steps", type=int, default=1500, show_default=True, help="Training steps of 256 sentences.")
@click.option("--seed", type=int, default=0, show_default=True)
@THREADS
@click.option("--name", default=None, help="Also add/replace this entry in release/manifest.json.")
def train_reader_cmd(gan: str, out: Path, steps: int, seed: int, threads: int | None, name: str | None) -> None:
    """Make a sentence model of the anime faces: a colour reader on the sentence encoder's token
    vectors, trained on captions made from the 132 tag pairs, in front of a tag generator.

    \b
    Examples:
      cgan train-reader --gan cgan -o runs/sentence.pt
      cgan generate --ckpt runs/sentence.pt --text "a girl with long pink hair and red eyes"
    """
    check_output(out, (".pt", ".pth"), "a sentence model")
    _threads(threads)
    obj = make_reader_model(resolve_checkpoint(gan, log=log), out, steps=steps, seed=seed, log=log)
    log(f"wrote {out}")
    if name:
        info = manifest_info(obj)
        info.update(generator=gan, reader=obj["reader"], command="cgan " + " ".join(sys.argv[1:]),
                    trained_on=f"the reader: the tag-made training phrasings of all 132 pairs; the generator: {gan}")
        register(name, out, info)
        log(f"release/manifest.json: entry {name!r} updated")


COMMANDS = [train, train_classifier_cmd, train_transfer_cmd, train_reader_cmd]

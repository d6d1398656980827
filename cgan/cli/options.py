"""Options made from the library's option dataclasses: the default, the type and the choices come from
the library, the help text from one table, so a command lists its options by name."""

from __future__ import annotations

import dataclasses

import click

from cgan.core.runs import PRECISIONS
from cgan.gan.options import CONDS, LOSSES, NETS

# One help text per option name, for every command that has it; a command may override one.
HELP = {
    "arch": "dcgan: the course's networks (the baseline); biggan: residual blocks, conditional batch norm on a "
            "shared tag embedding and chunks of z, projection D, spectral norm in both (G 1e-4, D 4e-4, betas 0/0.999).",
    "cond": "pair: one-hot over the (hair, eyes) pairs seen in training; multi: 12 hair + 11 eye one-hots; "
            "none: unconditional; sentence: captions through all-MiniLM-L6-v2 (GAN-CLS).",
    "loss": "gan: course baseline with the matching-aware D; acgan: auxiliary classifier; wgan-gp: critic + "
            "gradient penalty; hinge: the matching-aware D with the hinge loss.",
    "base_channels": "Width of G and D: 64 is the course baseline, 32 trains ~3.5x faster.",
    "batch_size": "Images per step.",
    "epochs": "Passes over the data.",
    "lr": "Adam learning rate.",
    "seed": "Seed for weights, data order and noise.",
    "ema": "Keep an exponential moving average of G with this decay (0: off); the average is what samples and exports.",
    "flip": "Random horizontal flips of the real images.",
    "mode_seeking": "Weight of the mode-seeking term (MSGAN): pushes images of one condition apart "
                    "(0: off; may be set on --resume).",
    "mode_seeking_pairs": "The mode-seeking term compares the batch's two halves, drawn for the same tags, "
                          "instead of a second batch drawn through G: no extra pass while the term is on "
                          "(may be set on --resume).",
    "aux_weight": "gan, hinge: weight of an auxiliary hair and eye classifier on D's features beside its "
                  "tag-matching score (Odena et al.'s ACGAN term; D learns it on real images, G is pushed to "
                  "images it reads right): tags learnt in fewer steps (0: off).",
    "gan_int": "Sentences: GAN-INT, G also learns from midpoints of two captions (Reed et al.).",
    "kl_weight": "Sentences: weight of the conditioning-augmentation KL term (its codes start at unit scale, so "
                 "the KL starts near 60: keep the weight small).",
    "n_critic": "wgan-gp: critic steps per G step.",
    "d_steps": "gan, hinge, acgan: D steps (each on its own batch) per G step, for a D that must keep up with a "
               "trained G (--init-from); --max-steps counts D steps; may change on --resume.",
    "spectral_norm": "Spectral normalisation on every D weight (replaces D's batch norm).",
    "diffaug": "DiffAugment policies for D's inputs: translation, cutout or translation,cutout "
               "(no colour: tags are colours).",
    "latent_codes": "biggan, --cond none: G reads a hair and an eye code (12 x 11, learned embeddings) from its "
                    "first two noise components, so a --cond multi G's weights can start it (--init-from); no tags are read.",
    "init_from": "Start G (and its EMA) from this checkpoint or release name (a new run); D too where the file keeps "
                 "one that fits (a run's checkpoint, a release exported with --keep-d), else D starts afresh.",
    "d_warmup": "Steps in which only D learns, so a G started from another run meets a D that knows the data.",
    "device": "cpu, cuda, cuda:1, ... or auto.",
    "max_steps": "Stop after this many steps (the last epoch is cut short).",
    "time_limit": "Stop after this many minutes, saving a checkpoint.",
    "resume": "Continue the run in --out from its last checkpoint.",
    "precision": "bf16: forward passes under bf16 autocast (GPUs; CPUs with AVX512-BF16 or AMX); auto: bf16 on a GPU "
                 "that has it or a CPU with bf16 instructions (AVX512-BF16 or AMX), else fp32; may change on --resume.",
    "tensorboard": "Also write TensorBoard event files (losses, the per-epoch grid) into --out (needs tensorboard).",
    "width": "Channels of the first block (x2 per block).",
    "val_fraction": "Share of images held out for the accuracy figure.",
    "blocks": "Residual blocks in G at 16x16.",
    "cls_weight": "Weight of the domain-classification loss.",
    "rec_weight": "Weight of the cycle-reconstruction L1.",
    "mask_weight": "Weight of the L1 on G's paint mask.",
}
CHOICES = {"arch": NETS, "cond": CONDS, "loss": LOSSES, "precision": PRECISIONS}
FLAGS = {"resume", "gan_int", "spectral_norm", "tensorboard", "latent_codes"}  # plain switches; other booleans get --x/--no-x


def _option(f: dataclasses.Field, help_text: str, default=dataclasses.MISSING):
    flag = "--" + f.name.replace("_", "-")
    default = f.default if default is dataclasses.MISSING else default
    kw: dict = {"default": default, "help": help_text,
                "show_default": not (default is None or default is False or default == "")}
    if f.name in FLAGS:
        return click.option(flag, f.name, is_flag=True, **kw)
    if isinstance(f.default, bool):
        return click.option(f"{flag}/--no-{flag[2:]}", f.name, **kw)
    if f.name in CHOICES:
        kw["type"] = click.Choice(CHOICES[f.name])
    elif f.default is None:  # optional: the annotation says which type ("int | None")
        kw["type"] = float if "float" in str(f.type) else str if "str" in str(f.type) else int
    return click.option(flag, f.name, **kw)


def dataclass_options(cls: type, names: str, defaults: dict | None = None, **help_overrides: str):
    """Click options for the space-separated fields `names` of `cls`, in that order; `defaults` (a
    preset's values) replace the dataclass's where given."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    defaults = defaults or {}
    options = [_option(fields[n], help_overrides.get(n, HELP[n]), defaults.get(n, dataclasses.MISSING))
               for n in names.split()]

    def apply(func):
        for option in reversed(options):
            func = option(func)
        return func
    return apply

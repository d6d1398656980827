"""The GAN trainer's options, their defaults, and the config a run records."""

from __future__ import annotations

from dataclasses import dataclass, field

from cgan.core.errors import CganError
from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.data.augment import parse_policy
from cgan.gan.build import ARCHS
from cgan.gan.conditioning import Conditioning
from cgan.gan.tag_codes import KINDS

NETS = tuple(ARCHS)  # --arch
LOSSES = ("gan", "acgan", "wgan-gp", "hinge")
CONDS = (*KINDS, "sentence")  # tag encoders, and captions through the sentence encoder
CHECKPOINT = "checkpoint.pt"
LOSS_COLUMNS = ["epoch", "step", "d_loss", "g_loss"]


@dataclass
class TrainOptions:
    out: str
    arch: str = "dcgan"  # dcgan: the course's networks; biggan: biggan.py
    cond: str = "pair"
    loss: str = "gan"
    base_channels: int = 64
    z_dim: int = 100
    batch_size: int = 64
    epochs: int = 25
    lr: float | None = None  # None: the loss's own default
    seed: int = 0
    ema: float = 0.0
    flip: bool = False
    n_critic: int = 5
    d_steps: int = 1  # gan, hinge, acgan: D updates (each on its own batch) per G update
    gp_weight: float = 10.0
    spectral_norm: bool = False
    diffaug: str = ""  # DiffAugment policies, e.g. "translation,cutout"
    ca_dim: int = 128  # sentences: conditioning-augmentation width
    kl_weight: float = 0.1  # sentences: weight of CA's KL term in G's loss (see cli)
    gan_int: bool = False  # sentences: GAN-INT, G also fools D on midpoints of two captions
    mode_seeking: float = 0.0  # weight of Mao et al.'s mode-seeking term (0: off)
    aux_weight: float = 0.0  # gan, hinge: weight of D's auxiliary hair/eye classifier term (0: off)
    latent_codes: bool = False  # biggan, --cond none: G reads a hair and an eye code from its noise
    init_from: str | None = None  # a generator checkpoint whose weights start G (a new run only)
    d_warmup: int = 0  # steps in which only D learns (a G started from another run meets a fresh D)
    precision: str = "fp32"  # bf16: forward passes under bf16 autocast; auto: bf16 where the hardware has it
    schedule: tuple = ()  # stages ({"from_step": N, "lr_scale": x, "mode_seeking": w}) a preset's recipe changes at
    preset: str | None = None  # the preset the options came from, recorded in the run's config
    max_steps: int | None = None
    time_limit: float | None = None  # minutes
    resume: bool = False
    device: str = "auto"  # the GPU when there is one
    tensorboard: bool = False  # also TensorBoard event files (losses, the per-epoch grid) in the run folder
    log_every: int = 20
    progress: bool = True
    data_summary: dict = field(default_factory=dict)


def defaults_for(loss: str, arch: str = "dcgan") -> dict:
    if arch == "biggan":  # Brock et al.: D learns 4x faster than G, no momentum; no norm layers in D
        return {"lr": 1e-4, "lr_d": 4e-4, "betas": (0.0, 0.999), "d_norm": "none"}
    if loss == "wgan-gp":  # Gulrajani et al.'s settings
        return {"lr": 1e-4, "betas": (0.0, 0.9), "d_norm": "layer"}
    return {"lr": 2e-4, "betas": (0.5, 0.999), "d_norm": "batch"}


def model_config(opts: TrainOptions, cond: Conditioning) -> dict:
    d = defaults_for(opts.loss, opts.arch)
    lr = opts.lr or d["lr"]
    d_lr = d.get("lr_d", d["lr"])  # BigGAN's D learns faster than G; --lr moves both, keeping that ratio
    lr_d = d_lr if opts.lr is None else opts.lr * (d_lr / d["lr"])
    return {
        "arch": ARCHS[opts.arch], "image_size": 64, "z_dim": opts.z_dim, "base_channels": opts.base_channels,
        "cond": cond.to_config(), "loss": opts.loss,
        # Spectral normalisation replaces D's batch norm (as in SN-GAN), it does not stack on it.
        "d_norm": "none" if opts.spectral_norm else d["d_norm"],
        "lr": lr, "lr_d": lr_d, "betas": list(d["betas"]), "batch_size": opts.batch_size,
        "seed": opts.seed, "ema": opts.ema, "flip": opts.flip, "n_critic": opts.n_critic,
        "gp_weight": opts.gp_weight, "spectral_norm": opts.spectral_norm or opts.arch == "biggan",
        "diffaug": ",".join(parse_policy(opts.diffaug)), "mode_seeking": opts.mode_seeking,
        "precision": opts.precision,
        **({"latent_codes": [len(HAIR_COLORS), len(EYE_COLORS)]} if opts.latent_codes else {}),
        **({"d_warmup": opts.d_warmup} if opts.d_warmup else {}),
        "d_steps": opts.d_steps,
        **({"aux_weight": opts.aux_weight} if opts.aux_weight else {}),
        **({"schedule": [dict(stage) for stage in opts.schedule]} if opts.schedule else {}),
        **({"preset": opts.preset} if opts.preset else {}),
        **({"ca_dim": opts.ca_dim, "kl_weight": opts.kl_weight, "gan_int": opts.gan_int}
           if cond.kind == "sentence" else {}),
    }


RESUME_KEYS = ("arch", "loss", "base_channels", "z_dim", "cond", "ema", "spectral_norm", "diffaug", "ca_dim", "gan_int",
               "mode_seeking", "precision", "latent_codes", "d_steps", "schedule", "aux_weight")
LR_KEYS = ("lr", "lr_d")  # compared on --resume only when --lr is given; otherwise the run keeps its own


@dataclass(frozen=True)
class Preset:
    """A named recipe: the TrainOptions it sets; anything given on the command line wins."""

    summary: str
    options: dict


# The release recipe's stages, as steps of batch 64: plain hinge training until the images are good,
# then the mode-seeking term to spread each tag's images, then half the learning rates and half that
# weight to settle; the shipped cgan was made this way (release/manifest.json) in resumed runs.
RELEASE_SCHEDULE = ({"from_step": 10_220, "mode_seeking": 1.0},
                    {"from_step": 18_925, "lr_scale": 0.5, "mode_seeking": 0.5})
_BIGGAN = {"arch": "biggan", "cond": "multi", "loss": "hinge", "base_channels": 32, "batch_size": 64, "ema": 0.999,
           "flip": True, "diffaug": "translation", "precision": "auto"}
PRESETS: dict[str, Preset] = {
    # Tuned for minutes to the course baseline on a 2-core CPU (bench/time_to_quality.py, docs/speed.md): the
    # release family at base 16 (about 5x the base-32 step rate in bf16), an auxiliary tag classifier on D
    # (the eye colours, the slow part, learnt in far fewer steps) and no augmentation (an hour is too short
    # for D to overfit 11k images). It ends at 3,000 steps, soon after the baseline (step 2,314 on the faces set):
    # trained on, the auxiliary term collapses each tag to one face and the tags read worse (docs/speed.md).
    "laptop": Preset("the default: the release family at base 16 with an auxiliary tag classifier on D, tuned for "
                     "the minutes to the course baseline on a 2-core CPU, and ending soon after it",
                     {**_BIGGAN, "base_channels": 16, "aux_weight": 1.0, "diffaug": "", "epochs": 10_000,
                      "max_steps": 3_000, "time_limit": 60.0}),
    "course": Preset("the handout's baseline exactly: DCGAN G and D, one-hot (hair, eyes) pairs, the matching-aware "
                     "loss, Adam 2e-4 / beta1 0.5, batch 64, base 64", {
                         "arch": "dcgan", "cond": "pair", "loss": "gan", "base_channels": 64, "batch_size": 64,
                         "z_dim": 100, "ema": 0.0, "flip": False, "diffaug": "", "epochs": 25, "precision": "fp32"}),
    "release": Preset("the shipped cgan's recipe as one schedule: the BigGAN-style model at base 32 for 23,105 "
                      "steps, mode seeking 1.0 from step 10,220, half the rates and mode seeking 0.5 from 18,925",
                      {**_BIGGAN, "epochs": 10_000, "max_steps": 23_105, "schedule": RELEASE_SCHEDULE}),
}
DEFAULT_PRESET = "laptop"


def preset_options(name: str) -> dict:
    """The TrainOptions fields preset `name` sets (a copy), recorded with the preset's name."""
    if name not in PRESETS:
        raise CganError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})")
    return {**PRESETS[name].options, "preset": name}

"""The GAN trainer's options, their defaults, and the config a run records."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    mode_seeking_pairs: bool = False  # the term compares the batch's halves (drawn for the same tags): no second G pass
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
        **({"mode_seeking_pairs": True} if opts.mode_seeking_pairs else {}),
        **({"schedule": [dict(stage) for stage in opts.schedule]} if opts.schedule else {}),
        **({"preset": opts.preset} if opts.preset else {}),
        **({"ca_dim": opts.ca_dim, "kl_weight": opts.kl_weight, "gan_int": opts.gan_int}
           if cond.kind == "sentence" else {}),
    }


RESUME_KEYS = ("arch", "loss", "base_channels", "z_dim", "cond", "ema", "spectral_norm", "diffaug", "ca_dim", "gan_int",
               "mode_seeking", "precision", "latent_codes", "d_steps", "schedule", "aux_weight", "mode_seeking_pairs")
LR_KEYS = ("lr", "lr_d")  # compared on --resume only when --lr is given; otherwise the run keeps its own

"""Building the tag/sentence GAN's networks from a config, and loading a generator to sample with."""

from __future__ import annotations

from pathlib import Path

from cgan.core.checkpoint_io import load_checkpoint, load_weights, sampling_state
from cgan.core.devices import EXACT_DTYPE
from cgan.core.skip_init import skip_init
from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.gan.biggan import BigGenerator, ProjectionDiscriminator
from cgan.gan.biggan_layout import ARCH as BIGGAN_ARCH  # residual blocks, conditional batch norm, projection D
from cgan.gan.conditioning import Conditioning
from cgan.gan.models import Discriminator, Generator

ARCH = "dcgan64"  # the course's DCGAN
ARCHS = {"dcgan": ARCH, "biggan": BIGGAN_ARCH}  # --arch -> the name a checkpoint records


def build_generator(cfg: dict) -> Generator | BigGenerator:
    if cfg["arch"] == BIGGAN_ARCH:
        return BigGenerator(cfg["z_dim"], Conditioning.from_config(cfg["cond"]).dim, cfg["base_channels"],
                            cfg.get("ca_dim", 0), cfg.get("latent_codes"))
    return Generator(cfg["z_dim"], Conditioning.from_config(cfg["cond"]).dim, cfg["base_channels"], cfg.get("ca_dim", 0))


def build_discriminator(cfg: dict) -> Discriminator | ProjectionDiscriminator:
    cond = Conditioning.from_config(cfg["cond"])
    acgan = cfg["loss"] == "acgan"
    # ACGAN's D reads the class from the image alone (Odena et al.); the others see the tags, and with an
    # auxiliary weight also classify the image.
    aux = (len(HAIR_COLORS), len(EYE_COLORS)) if acgan or cfg.get("aux_weight") else None
    if cfg["arch"] == BIGGAN_ARCH:  # spectral norm is built in; the projection head reads the condition
        return ProjectionDiscriminator(0 if acgan else cond.dim, cfg["base_channels"], aux=aux)
    return Discriminator(0 if acgan else cond.dim, cfg["base_channels"], norm=cfg["d_norm"], aux=aux,
                         spectral_norm=cfg.get("spectral_norm", False), onehot_text=cond.kind != "sentence")


def generator_from_checkpoint(obj: dict, path: str | Path = "<checkpoint>") -> tuple[Generator, Conditioning, dict]:
    """G in eval mode, float64 on the CPU (pixels.py: the same pixels on every machine); the EMA weights
    when the run kept them."""
    cfg = obj["config"]
    with skip_init():  # every weight is loaded next
        G = build_generator(cfg)
    G = load_weights(G, sampling_state(obj), path, EXACT_DTYPE)
    return G, Conditioning.from_config(cfg["cond"]), cfg


def load_generator(path: str | Path) -> tuple[Generator, Conditioning, dict]:
    return generator_from_checkpoint(load_run(path), path)


def load_run(path: str | Path) -> dict:
    """A GAN training or release checkpoint (refusing other architectures)."""
    return load_checkpoint(path, tuple(ARCHS.values()))

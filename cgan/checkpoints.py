"""Checkpoints: plain tensors plus a JSON-able config, loaded with `weights_only=True`.

Two kinds share one format version:
* 'train': everything to resume (G, D, optional EMA G, optimisers, RNG states, epoch, step);
* 'generator': what `generate` needs (one G, often fp16) - the release files.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import torch

from cgan.conditioning import Conditioning
from cgan.errors import CganError
from cgan.files import atomic_write
from cgan.models import Discriminator, Generator
from cgan.pixels import EXACT_DTYPE

FORMAT_VERSION = 1
ARCH = "dcgan64"
TRANSFER_ARCH = "stargan64"  # cgan/transfer.py's image-to-image model


def build_generator(cfg: dict) -> Generator:
    return Generator(cfg["z_dim"], Conditioning.from_config(cfg["cond"]).dim, cfg["base_channels"], cfg.get("ca_dim", 0))


def build_discriminator(cfg: dict) -> Discriminator:
    from cgan.colors import EYE_COLORS, HAIR_COLORS
    cond = Conditioning.from_config(cfg["cond"])
    acgan = cfg["loss"] == "acgan"
    # ACGAN's D reads the class from the image alone (Odena et al.); the others see the tags.
    return Discriminator(0 if acgan else cond.dim, cfg["base_channels"], norm=cfg["d_norm"],
                         aux=(len(HAIR_COLORS), len(EYE_COLORS)) if acgan else None,
                         spectral_norm=cfg.get("spectral_norm", False), onehot_text=cond.kind != "sentence")


def save_checkpoint(obj: dict, path: str | Path) -> None:
    buf = io.BytesIO()
    torch.save(obj, buf)
    data = buf.getvalue()
    atomic_write(path, lambda f: f.write(data))


def load_checkpoint(path: str | Path, arch: str | tuple[str, ...] = ARCH) -> dict:
    """Load safely: code-carrying pickles are refused, and the format is checked before use."""
    path = Path(path)
    if not path.is_file():
        raise CganError(f"{path}: no such checkpoint")
    with open(path, "rb") as f:
        head = f.read(512)
    if not head.startswith(b"PK\x03\x04"):  # torch.save writes a zip archive
        kind = "an HTML page" if b"<html" in head.lower() or b"<!doctype" in head.lower() else "not a zip archive"
        raise CganError(f"{path}: not a readable checkpoint ({kind}; {len(head)}+ bytes)")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        lines = [ln.strip() for ln in str(e).splitlines() if "Unsupported" in ln or "WeightsUnpickler" in ln]
        raise CganError(f"{path}: refused to load: not a plain-tensor checkpoint "
                        f"({lines[0] if lines else type(e).__name__})") from None
    except Exception as e:  # zip errors, truncated files
        raise CganError(f"{path}: not a readable checkpoint ({type(e).__name__}: {e})") from None
    if not isinstance(obj, dict) or "format_version" not in obj or "config" not in obj:
        raise CganError(f"{path}: not a cgan checkpoint (no format_version/config)")
    if obj["format_version"] > FORMAT_VERSION:
        raise CganError(f"{path}: checkpoint format {obj['format_version']} is newer than this cgan "
                        f"understands ({FORMAT_VERSION}); upgrade cgan")
    found = obj["config"].get("arch")
    allowed = (arch,) if isinstance(arch, str) else arch
    if found not in allowed:
        raise CganError(f"{path}: architecture {found!r} is not {' or '.join(map(repr, allowed))}")
    return obj


def sampling_state(obj: dict) -> dict:
    """The generator weights to sample with: the EMA when the run kept one."""
    return obj.get("G_ema") or obj["G"]


def load_weights(module: torch.nn.Module, state: dict, path: str | Path,
                 dtype: torch.dtype = torch.float32) -> torch.nn.Module:
    """Load `state` (fp16 release files included) into `module` as `dtype`, returned in eval mode; weights
    of another shape than the config builds are a one-line error, not a traceback."""
    module = module.to(dtype)
    try:
        module.load_state_dict({k: (v.to(dtype) if v.is_floating_point() else v) for k, v in state.items()})
    except RuntimeError as e:
        msg = str(e).splitlines()[0]
        raise CganError(f"{path}: weights do not fit the architecture in its config ({msg})") from None
    return module.eval()


def generator_from_checkpoint(obj: dict, path: str | Path = "<checkpoint>") -> tuple[Generator, Conditioning, dict]:
    """G in eval mode, float64 on the CPU (pixels.py: the same pixels on every machine); the EMA weights
    when the run kept them."""
    cfg = obj["config"]
    G = load_weights(build_generator(cfg), sampling_state(obj), path, EXACT_DTYPE)
    return G, Conditioning.from_config(cfg["cond"]), cfg


def load_generator(path: str | Path) -> tuple[Generator, Conditioning, dict]:
    return generator_from_checkpoint(load_checkpoint(path), path)


def export_generator(src: str | Path, dst: str | Path, fp16: bool = True) -> dict:
    """Write a generator-only release checkpoint (EMA weights if present) and return what it wrote."""
    obj = load_checkpoint(src, arch=(ARCH, TRANSFER_ARCH))
    state = sampling_state(obj)
    if fp16:
        state = {k: (v.half() if v.is_floating_point() else v) for k, v in state.items()}
    out = {"format_version": FORMAT_VERSION, "kind": "generator", "config": obj["config"], "G": state,
           "epoch": obj.get("epoch", 0), "step": obj.get("step", 0), "data": obj.get("data", {})}
    save_checkpoint(out, dst)
    return out

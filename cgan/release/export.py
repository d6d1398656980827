"""Release files: a generator-only checkpoint (a tag/sentence GAN's G or a transfer G), and its manifest entry."""

from __future__ import annotations

from pathlib import Path

from cgan.core.checkpoint_io import FORMAT_VERSION, load_checkpoint, sampling_state, save_checkpoint
from cgan.core.errors import CganError


def export_generator(src: str | Path, dst: str | Path, fp16: bool = True, keep_d: bool = False) -> dict:
    """Write a generator-only release checkpoint (EMA weights if present) and return what it wrote. Any
    architecture with generator weights: the file keeps its config, so it loads as its own kind. With
    `keep_d`, the discriminator too, so that `cgan train --init-from` can go on training it."""
    obj = load_checkpoint(src, arch=None)
    if "G" not in obj:
        raise CganError(f"{src}: holds no generator weights (architecture {obj['config'].get('arch')!r})")
    if keep_d and "D" not in obj:
        raise CganError(f"{src}: keeps no discriminator to export (a release file? export from the run's checkpoint)")

    def cast(state: dict) -> dict:
        return {k: (v.half() if fp16 and v.is_floating_point() else v) for k, v in state.items()}

    out = {"format_version": FORMAT_VERSION, "kind": "generator", "config": obj["config"],
           "G": cast(sampling_state(obj)), "epoch": obj.get("epoch", 0), "step": obj.get("step", 0),
           "data": obj.get("data", {})}
    if keep_d:
        out["D"] = cast(obj["D"])
    save_checkpoint(out, dst)
    return out


def manifest_info(exported: dict, url: str | None = None) -> dict:
    """The manifest entry's description of an exported file (sha256 and size are added on registering)."""
    cfg = exported["config"]
    info = {"base_channels": cfg["base_channels"], "ema": cfg["ema"], "epochs": exported["epoch"],
            "steps": exported["step"], "trained_on": exported["data"].get("data")}
    if "cond" in cfg:  # a GAN: its objective and conditioning
        info.update(loss=cfg["loss"], cond=cfg["cond"]["kind"])
    else:  # the image-to-image transfer model
        info.update(kind="transfer", blocks=cfg["blocks"])
    if url:
        info["url"] = url
    return info

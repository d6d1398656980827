"""`cgan train --dry-run`: what a run would be, resolved and sized, without training or writing."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from cgan.core.devices import resolve_device
from cgan.data.captioned import CaptionedImages
from cgan.data.tagged import TaggedImages
from cgan.gan.loop import run_config
from cgan.gan.options import TrainOptions
from cgan.gan.presets import PRESETS
from cgan.gan.trainer import Trainer


@dataclass
class RunPlan:
    """A run's resolved configuration, its data and its size, as `--dry-run` prints them."""

    config: dict
    data: dict
    device: str
    images: int
    steps_per_epoch: int
    steps: int
    time_limit: float | None
    parameters: dict[str, int]
    checkpoint_bytes: int
    export_bytes: int

    def lines(self) -> list[str]:
        preset = self.config.get("preset")
        out = [f"preset: {preset} ({PRESETS[preset].summary})" if preset else "preset: none (options as given)",
               f"device: {self.device}"]
        out += [f"data: {k} = {v}" for k, v in self.data.items()]
        out.append(f"images: {self.images:,}; {self.steps_per_epoch:,} steps an epoch of {self.config['batch_size']}")
        limit = f", or {self.time_limit:g} minutes, whichever comes first" if self.time_limit else ""
        out.append(f"steps: {self.steps:,}{limit}")
        out += [f"config: {k} = {_short(v)}" for k, v in self.config.items()]
        out.append("parameters: " + ", ".join(f"{k} {v:,}" for k, v in self.parameters.items()))
        out.append(f"checkpoint: about {self.checkpoint_bytes / 2**20:.1f} MiB (G, D, their Adam states"
                   f"{', the EMA of G' if self.config['ema'] else ''}); `cgan export`: about "
                   f"{self.export_bytes / 2**20:.1f} MiB (fp16 G)")
        return out


def _short(value: object) -> object:
    """A conditioning config reads as its kind and how many tag pairs it knows, not the list."""
    if isinstance(value, dict) and "pairs" in value:
        return f"{value.get('kind')} ({len(value['pairs'])} tag pairs)"
    return value


def _bytes(module: torch.nn.Module) -> int:
    return sum(t.numel() * t.element_size() for t in module.state_dict().values())


def plan_run(data: TaggedImages | CaptionedImages, opts: TrainOptions) -> RunPlan:
    """Resolve and size the run `opts` describes, with the same checks training makes; builds the
    networks on the CPU to count them, and writes nothing."""
    device = resolve_device(opts.device)
    _, cfg = run_config(data, opts, device)
    trainer = Trainer(cfg, "cpu")
    n_g = sum(p.numel() for p in trainer.G.parameters())
    n_d = sum(p.numel() for p in trainer.D.parameters())
    g_bytes, d_bytes = _bytes(trainer.G), _bytes(trainer.D)
    adam = 2 * 4 * (n_g + n_d)  # two fp32 moments per parameter
    per_epoch = len(data) // cfg["batch_size"]
    steps = opts.epochs * per_epoch
    if opts.max_steps is not None:
        steps = min(steps, opts.max_steps)
    return RunPlan(config=cfg, data=dict(data.summary), device=device, images=len(data), steps_per_epoch=per_epoch,
                   steps=steps, time_limit=opts.time_limit, parameters={"G": n_g, "D": n_d},
                   checkpoint_bytes=g_bytes * (2 if trainer.G_ema is not None else 1) + d_bytes + adam,
                   export_bytes=math.ceil(g_bytes / 2))

"""Run helpers shared by the trainers: bf16 autocast, the EMA of a model, and which settings a
resumed run may change."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch

from cgan.core.errors import CganError

# bf16: forward passes under autocast; weights, optimiser and losses stay fp32. auto: bf16 where the
# hardware has it natively (core.devices.resolve_precision), fp32 elsewhere.
PRECISIONS = ("fp32", "bf16", "auto")


def autocast(cfg: dict, device_type: str) -> torch.autocast:
    """bf16 autocast for the forward passes when the run asks for it (backward runs outside it)."""
    return torch.autocast(device_type, dtype=torch.bfloat16, enabled=cfg.get("precision") == "bf16")


@torch.no_grad()
def update_ema(ema: torch.nn.Module, model: torch.nn.Module, step: int, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * model; buffers (batch-norm statistics) copied as they are."""
    # Warm-up (as TF's ExponentialMovingAverage with num_updates): early on, the average would
    # otherwise be mostly the random initialisation.
    d = min(decay, (1 + step) / (10 + step))
    for pe, p in zip(ema.parameters(), model.parameters()):
        pe.lerp_(p, 1.0 - d)
    for be, b in zip(ema.buffers(), model.buffers()):
        be.copy_(b)


# Settings a resumed run may change, with the note it logs: adding an EMA to a run without one
# changes nothing already trained (the average starts from the resumed G); a loss weight may change.
ADJUSTABLE = {
    "ema": (lambda old, new: not old and bool(new), "adding an EMA of G (decay {})"),
    "mode_seeking": (lambda old, new: True, "mode-seeking weight {}"),
    "mode_seeking_pairs": (lambda old, new: True, "mode seeking between the batch's halves: {}"),
    "precision": (lambda old, new: True, "precision {}"),
    "d_steps": (lambda old, new: True, "{} D steps per G step"),
}
# The learning rates too, for a trainer that compares them only when --lr is given (the GAN trainer):
# where --lr has a default of its own (the transfer trainer), a plain --resume would change them.
ADJUSTABLE_WITH_LR = {
    **ADJUSTABLE,
    "lr": (lambda old, new: True, "G learning rate {:.3g}"),
    "lr_d": (lambda old, new: True, "D learning rate {:.3g}"),
}


# What a setting was in runs from before it existed.
ABSENT = {"spectral_norm": False, "diffaug": "", "mode_seeking": 0.0, "precision": "fp32", "d_steps": 1, "schedule": [],
          "aux_weight": 0.0, "mode_seeking_pairs": False}


def resume_config(saved: dict, new: dict, keys: tuple[str, ...], step: int, path: Path,
                  log: Callable[[str], None], adjustable: dict = ADJUSTABLE) -> dict:
    """The configuration to resume with: the saved one, with the adjustable settings the new options
    change (each recorded with the step it took effect); any other difference among `keys` is an error."""
    old = {k: saved.get(k, ABSENT.get(k)) for k in keys}
    diff = [k for k in keys if old[k] != new.get(k, ABSENT.get(k))]
    fixed = [k for k in diff if not (k in adjustable and adjustable[k][0](old[k], new[k]))]
    if fixed:
        raise CganError(f"{path}: cannot resume: the run was started with other settings "
                        f"({', '.join(f'{k}={old[k]!r}' for k in fixed)}); use another --out or the original options")
    cfg = dict(saved)
    for k in diff:
        log(f"{adjustable[k][1].format(new[k])} from step {step} on")
        cfg.update({k: new[k], f"{k}_from_step": step})
    return cfg

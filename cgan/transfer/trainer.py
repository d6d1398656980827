"""Training the colour-transfer model: adversarial, domain-classification, cycle and mask losses."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from cgan.core.checkpoint_io import FORMAT_VERSION, load_checkpoint, save_checkpoint
from cgan.core.devices import resolve_precision
from cgan.core.errors import CganError
from cgan.core.image_tensors import batch_to_input
from cgan.core.images import save_grid
from cgan.core.kernels import warm_up_math_kernels
from cgan.core.runs import autocast, resume_config, update_ema
from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.data.tagged import TaggedImages
from cgan.transfer.apply import transfer_grid
from cgan.transfer.networks import ARCH, TransferD, TransferG, tag_code

PREVIEW_HAIR = ["blonde", "blue", "pink", "red", "green"]


@dataclass
class TransferOptions:
    out: str
    base_channels: int = 32
    blocks: int = 3
    batch_size: int = 16
    epochs: int = 10
    lr: float = 1e-4
    cls_weight: float = 1.0
    rec_weight: float = 10.0
    mask_weight: float = 0.1
    ema: float = 0.999
    flip: bool = True
    seed: int = 0
    max_steps: int | None = None
    time_limit: float | None = None  # minutes
    resume: bool = False
    precision: str = "fp32"  # "bf16": forward passes under bf16 autocast; may change on --resume


TRAINING_KEYS = ("base_channels", "blocks", "batch_size", "lr", "cls_weight", "rec_weight", "mask_weight", "ema",
                 "flip", "seed")


def _cls(hl: torch.Tensor, el: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(hl, hair) + F.cross_entropy(el, eyes)


class TransferTrainer:
    """G, D, the EMA of G and both optimisers; `step` is one D and one G update."""

    def __init__(self, cfg: dict) -> None:
        self.cfg = cfg
        self.G, self.D = TransferG(cfg["base_channels"], cfg["blocks"]), TransferD(cfg["base_channels"])
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=cfg["lr"], betas=(0.5, 0.999))
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=cfg["lr"], betas=(0.5, 0.999))
        self.steps = 0

    def step(self, x: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor, th: torch.Tensor,
             te: torch.Tensor) -> dict[str, float]:
        """Real images `x` with tags (hair, eyes), turned towards the targets (th, te)."""
        cfg, G, D = self.cfg, self.G, self.D
        target, source = tag_code(th, te), tag_code(hair, eyes)
        with self._amp():
            fake, mask = G.forward_with_mask(x, target)
            src_r, hr, er = D(x)
            src_f, _, _ = D(fake.detach())
            d_adv = F.softplus(-src_r).mean() + F.softplus(src_f).mean()
            d_cls = _cls(hr, er, hair, eyes)
        self.opt_D.zero_grad(set_to_none=True)
        (d_adv + cfg["cls_weight"] * d_cls).backward()
        self.opt_D.step()

        D.requires_grad_(False)  # G's step needs gradients through D, not D's own
        with self._amp():
            src_f, hf, ef = D(fake)
            g_cls = _cls(hf, ef, th, te)
            rec = G(fake, source)
            g_rec = (rec.float() - x).abs().mean()
            g_loss = (F.softplus(-src_f).mean() + cfg["cls_weight"] * g_cls + cfg["rec_weight"] * g_rec
                      + cfg["mask_weight"] * mask.float().mean())
        self.opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_G.step()
        D.requires_grad_(True)

        self.steps += 1
        update_ema(self.G_ema, G, self.steps, cfg["ema"])
        return {"d_adv": d_adv.item(), "d_cls": d_cls.item(), "g_cls": g_cls.item(), "g_rec": g_rec.item(),
                "mask": mask.mean().item()}

    def _amp(self):
        return autocast(self.cfg, "cpu")  # the transfer trainer runs on the CPU

    def state(self, epoch: int, gen: torch.Generator, data_summary: dict) -> dict:
        return {"format_version": FORMAT_VERSION, "kind": "train", "config": self.cfg, "epoch": epoch,
                "step": self.steps, "G": self.G.state_dict(), "D": self.D.state_dict(),
                "G_ema": self.G_ema.state_dict(), "opt_G": self.opt_G.state_dict(), "opt_D": self.opt_D.state_dict(),
                "rng": gen.get_state(), "torch_rng": torch.get_rng_state(), "data": data_summary}

    def load_state(self, s: dict, gen: torch.Generator) -> None:
        for name in ("G", "D", "G_ema", "opt_G", "opt_D"):
            getattr(self, name).load_state_dict(s[name])
        self.steps = s["step"]
        gen.set_state(s["rng"])
        torch.set_rng_state(s["torch_rng"])


def transfer_config(opts: TransferOptions) -> dict:
    return {"arch": ARCH, **{k: getattr(opts, k) for k in TRAINING_KEYS},
            "precision": resolve_precision(opts.precision, "cpu")}


def train_transfer(data: TaggedImages, opts: TransferOptions, log: Callable[[str], None] = print) -> Path:
    """Train (or resume) in `opts.out`; a checkpoint and a preview grid after every epoch. Returns the checkpoint."""
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "checkpoint.pt"
    if len(data) < opts.batch_size:
        raise CganError(f"{data.summary.get('data')}: {len(data)} images is fewer than one batch of {opts.batch_size}")
    cfg = transfer_config(opts)
    warm_up_math_kernels()  # see kernels.py: repeatable from one process to the next
    torch.manual_seed(opts.seed)
    tr = TransferTrainer(cfg)
    gen = torch.Generator().manual_seed(opts.seed)
    first_epoch = 1
    if opts.resume:
        saved = load_checkpoint(ckpt, arch=ARCH)
        tr.cfg = cfg = resume_config(saved["config"], cfg, (*TRAINING_KEYS, "precision"), saved["step"], ckpt, log)
        tr.load_state(saved, gen)
        first_epoch = saved["epoch"] + 1
        log(f"resumed {ckpt} at epoch {saved['epoch']}, step {tr.steps}")
    images = torch.from_numpy(data.images).permute(0, 3, 1, 2).contiguous()  # uint8: 4x less memory than float
    hair, eyes = torch.from_numpy(data.hair).long(), torch.from_numpy(data.eyes).long()
    n, bs = len(images), opts.batch_size
    pick = np.arange(0, n, max(1, n // 5))[:5]
    preview, preview_eyes = data.images[pick], [EYE_COLORS[int(e)] for e in data.eyes[pick]]
    t0, stop = time.time(), False
    for epoch in range(first_epoch, opts.epochs + 1):
        perm = torch.randperm(n, generator=gen)
        sums: dict[str, float] = {}
        for i in range(n // bs):
            idx = perm[i * bs:(i + 1) * bs]
            x = batch_to_input(images[idx])
            if opts.flip:
                flip = torch.rand(bs, generator=gen) < 0.5
                x[flip] = x[flip].flip(3)
            th = torch.randint(len(HAIR_COLORS), (bs,), generator=gen)
            te = torch.randint(len(EYE_COLORS), (bs,), generator=gen)
            for k, v in tr.step(x, hair[idx], eyes[idx], th, te).items():
                sums[k] = sums.get(k, 0.0) + v
            late = opts.time_limit is not None and time.time() - t0 > opts.time_limit * 60
            if late or (opts.max_steps is not None and tr.steps >= opts.max_steps):
                stop = True
                break
        means = {k: v / max(1, i + 1) for k, v in sums.items()}
        if not all(np.isfinite(v) for v in means.values()):
            raise CganError(f"non-finite loss at step {tr.steps} ({means}); try a lower --lr", exit_code=3)
        save_grid(transfer_grid(tr.G_ema, preview, preview_eyes, PREVIEW_HAIR).images,
                  out / "samples" / f"epoch_{epoch:04d}.png", cols=1 + len(PREVIEW_HAIR))
        save_checkpoint(tr.state(epoch, gen, data.summary), ckpt)
        log(f"epoch {epoch}: step {tr.steps}, " + ", ".join(f"{k} {v:.3f}" for k, v in means.items())
            + f", {time.time() - t0:.0f} s, checkpoint {ckpt}")
        if stop:
            break
    return ckpt

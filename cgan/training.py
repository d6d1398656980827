"""The training loop: matching-aware GAN, ACGAN and WGAN-GP over one in-memory data set (tags or captions)."""

from __future__ import annotations

import copy
import csv
import json
import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from tqdm import tqdm

from cgan import losses
from cgan.augment import diff_augment, parse_policy
from cgan.checkpoints import (ARCH, FORMAT_VERSION, build_discriminator, build_generator, load_checkpoint,
                              save_checkpoint)
from cgan.captions import CaptionedImages
from cgan.conditioning import Conditioning, SentenceConditioning
from cgan.data import TaggedImages
from cgan.distributed import Dist, any_rank, finish, init_from_env, mean_over_ranks, rank_spread, wrap
from cgan.errors import CganError
from cgan.images import save_grid
from cgan.kernels import warm_up_math_kernels
from cgan.sampling import generate, preview_tags

LOSSES = ("gan", "acgan", "wgan-gp", "hinge")
CHECKPOINT = "checkpoint.pt"
LOSS_COLUMNS = ["epoch", "step", "d_loss", "g_loss"]


@dataclass
class TrainOptions:
    out: str
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
    gp_weight: float = 10.0
    spectral_norm: bool = False
    diffaug: str = ""  # DiffAugment policies, e.g. "translation,cutout"
    ca_dim: int = 128  # sentences: conditioning-augmentation width
    kl_weight: float = 0.1  # sentences: weight of CA's KL term in G's loss (see cli)
    gan_int: bool = False  # sentences: GAN-INT, G also fools D on midpoints of two captions
    mode_seeking: float = 0.0  # weight of Mao et al.'s mode-seeking term (0: off)
    precision: str = "fp32"  # "bf16": forward passes under bf16 autocast (GPUs; CPUs with AVX512-BF16/AMX)
    max_steps: int | None = None
    time_limit: float | None = None  # minutes
    resume: bool = False
    device: str = "cpu"
    log_every: int = 20
    progress: bool = True
    data_summary: dict = field(default_factory=dict)


def defaults_for(loss: str) -> dict:
    if loss == "wgan-gp":  # Gulrajani et al.'s settings
        return {"lr": 1e-4, "betas": (0.0, 0.9), "d_norm": "layer"}
    return {"lr": 2e-4, "betas": (0.5, 0.999), "d_norm": "batch"}


def model_config(opts: TrainOptions, cond: Conditioning) -> dict:
    d = defaults_for(opts.loss)
    return {
        "arch": ARCH, "image_size": 64, "z_dim": opts.z_dim, "base_channels": opts.base_channels,
        "cond": cond.to_config(), "loss": opts.loss,
        # Spectral normalisation replaces D's batch norm (as in SN-GAN), it does not stack on it.
        "d_norm": "none" if opts.spectral_norm else d["d_norm"],
        "lr": opts.lr or d["lr"], "betas": list(d["betas"]), "batch_size": opts.batch_size,
        "seed": opts.seed, "ema": opts.ema, "flip": opts.flip, "n_critic": opts.n_critic,
        "gp_weight": opts.gp_weight, "spectral_norm": opts.spectral_norm,
        "diffaug": ",".join(parse_policy(opts.diffaug)), "mode_seeking": opts.mode_seeking,
        "precision": opts.precision,
        **({"ca_dim": opts.ca_dim, "kl_weight": opts.kl_weight, "gan_int": opts.gan_int}
           if cond.kind == "sentence" else {}),
    }


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


class Trainer:
    """Holds G, D, their optimisers and RNGs; `step()` is one D update and (maybe) one G update."""

    def __init__(self, cfg: dict, device: str = "cpu", dist: Dist = Dist()) -> None:
        self.cfg = cfg
        self.device = torch.device(device)
        self.cond = Conditioning.from_config(cfg["cond"])
        self.G = build_generator(cfg).to(self.device)
        self.D = build_discriminator(cfg).to(self.device)
        # Under torchrun, one call per step goes through DDP (its backward averages the gradients over
        # ranks); the other calls use the module itself and still add to the same gradients. D keeps
        # its own buffers: spectral norm updates them in place during the step.
        self.Gd = wrap(self.G, dist, device)
        self.Dd = wrap(self.D, dist, device, broadcast_buffers=False)
        betas = tuple(cfg["betas"])
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=cfg["lr"], betas=betas)
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=cfg["lr"], betas=betas)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False) if cfg["ema"] > 0 else None
        # One generator on the CPU for data order, flips, wrong tags and GP interpolation:
        # its state is checkpointed, so a resumed run draws exactly what an uninterrupted one would.
        self.gen = torch.Generator().manual_seed(cfg["seed"])
        self.step_count = 0
        # NaN until G's first update (a WGAN-GP run resumed between G steps): "no value yet", not a failure.
        self._last_g = torch.tensor(float("nan"))
        self.g_updated = False
        self.policy = parse_policy(cfg.get("diffaug", ""))

    def _aug(self, x: torch.Tensor) -> torch.Tensor:
        return diff_augment(x, self.policy, self.gen) if self.policy else x

    # -- one iteration -------------------------------------------------------------------------
    def step(self, real: torch.Tensor, *labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`labels`: (hair, eyes) class indices for tags, (embedding,) for captions."""
        loss = self.cfg["loss"]
        G, D = self.G, self.D
        c = self.cond.encode(*labels) if self.cond.conditional else None
        z = torch.randn(real.shape[0], G.z_dim, device=self.device)
        do_g = loss != "wgan-gp" or self.step_count % self.cfg["n_critic"] == 0
        with torch.set_grad_enabled(do_g), self._amp():
            fake = self.Gd(z, c)
            kl = G.text.kl if self.cfg.get("ca_dim") else None
        real = self._aug(real)
        fake_d = self._aug(fake.detach())

        with self._amp():
            d_loss = self._d_loss(loss, real, fake_d, c, labels)
        self.opt_D.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_D.step()

        # Generator: D's parameters need no gradients here (7% fewer FLOPs).
        if do_g:
            D.requires_grad_(False)
            with self._amp():
                g_loss = self._g_loss(loss, z, c, kl, fake, labels)
            self.opt_G.zero_grad(set_to_none=True)
            g_loss.backward()
            self.opt_G.step()
            D.requires_grad_(True)
            self._update_ema()
            self._last_g = g_loss.detach()
            self.g_updated = True
        self.step_count += 1
        return d_loss.detach(), self._last_g

    def _amp(self):
        return autocast(self.cfg, self.device.type)

    def _d_loss(self, loss: str, real: torch.Tensor, fake_d: torch.Tensor, c: torch.Tensor | None,
                labels: tuple[torch.Tensor, ...]) -> torch.Tensor:
        D = self.D
        if loss in ("gan", "hinge"):
            c_wrong = self.cond.wrong_codes(*labels, self.gen) if self.cond.conditional else None
            out = self.Dd(real, c, c_wrong)
            d_fn = losses.matching_d_loss if loss == "gan" else losses.hinge_d_loss
            return d_fn(out[0], D(fake_d, c)[0], out[3] if c_wrong is not None else None)
        if loss == "acgan":
            hair, eyes = labels
            sr, hr, er = self.Dd(real)
            sf, hf, ef = D(fake_d)
            return losses.acgan_d_loss(sr, sf, losses.class_loss(hr, er, hair, eyes),
                                       losses.class_loss(hf, ef, hair, eyes))
        gp = losses.gradient_penalty(D, real, fake_d, c, self.gen)
        return losses.wgan_d_loss(self.Dd(real, c)[0], D(fake_d, c)[0]) + self.cfg["gp_weight"] * gp

    def _g_loss(self, loss: str, z: torch.Tensor, c: torch.Tensor | None, kl: torch.Tensor | None,
                fake: torch.Tensor, labels: tuple[torch.Tensor, ...]) -> torch.Tensor:
        D = self.D
        fake = self._aug(fake)
        if loss == "gan":
            g_loss = losses.nonsaturating_g_loss(D(fake, c)[0])
        elif loss == "hinge":
            g_loss = losses.hinge_g_loss(D(fake, c)[0])
        elif loss == "acgan":
            sf, hf, ef = D(fake)
            g_loss = losses.acgan_g_loss(sf, losses.class_loss(hf, ef, *labels))
        else:
            g_loss = losses.wgan_g_loss(D(fake, c)[0])
        if kl is not None:
            g_loss = g_loss + self.cfg["kl_weight"] * kl
        if self.cfg.get("mode_seeking"):
            g_loss = g_loss + self.cfg["mode_seeking"] * self._mode_seeking(z, c, fake)
        if self.cfg.get("gan_int"):  # Reed et al.'s GAN-INT: midpoints of two captions should look real too
            c_int = 0.5 * (c + c.roll(1, 0))
            g_fn = losses.hinge_g_loss if loss == "hinge" else losses.nonsaturating_g_loss
            g_loss = g_loss + g_fn(D(self._aug(self.G(torch.randn_like(z), c_int)), c_int)[0])
        return g_loss

    def _mode_seeking(self, z: torch.Tensor, c: torch.Tensor | None, fake: torch.Tensor) -> torch.Tensor:
        """MSGAN (Mao et al. 2019): two noises under the same condition should give images as far apart
        as the noises are; the term is 1 / (image distance / noise distance), per sample."""
        z2 = torch.randn_like(z)
        fake2 = self.G(z2, c)
        ratio = (fake - fake2).abs().flatten(1).mean(1) / (z - z2).abs().mean(1)
        return (1.0 / (ratio + 1e-5)).mean()

    def _update_ema(self) -> None:
        if self.G_ema is not None:
            update_ema(self.G_ema, self.G, self.step_count, self.cfg["ema"])

    @property
    def sampler(self):
        return self.G_ema if self.G_ema is not None else self.G

    # -- state ---------------------------------------------------------------------------------
    def state(self, epoch: int, data_summary: dict) -> dict:
        s = {
            "format_version": FORMAT_VERSION, "kind": "train", "config": self.cfg, "epoch": epoch,
            "step": self.step_count, "G": self.G.state_dict(), "D": self.D.state_dict(),
            "opt_G": self.opt_G.state_dict(), "opt_D": self.opt_D.state_dict(),
            "rng": {"torch": torch.get_rng_state(), "gen": self.gen.get_state()},
            "data": json.loads(json.dumps(data_summary)),
        }
        if self.G_ema is not None:
            s["G_ema"] = self.G_ema.state_dict()
        return s

    def load_state(self, s: dict) -> None:
        self.G.load_state_dict(s["G"])
        self.D.load_state_dict(s["D"])
        self.opt_G.load_state_dict(s["opt_G"])
        self.opt_D.load_state_dict(s["opt_D"])
        if self.G_ema is not None:
            # A run resumed with --ema added starts its average from the resumed G.
            self.G_ema.load_state_dict(s["G_ema"] if "G_ema" in s else s["G"])
        torch.set_rng_state(s["rng"]["torch"])
        self.gen.set_state(s["rng"]["gen"])
        self.step_count = s["step"]


# Settings a resumed run may change, with the note it logs: adding an EMA to a run without one
# changes nothing already trained (the average starts from the resumed G); a loss weight may change.
ADJUSTABLE = {
    "ema": (lambda old, new: not old and bool(new), "adding an EMA of G (decay {})"),
    "mode_seeking": (lambda old, new: True, "mode-seeking weight {}"),
    "precision": (lambda old, new: True, "precision {}"),
}


# What a setting was in runs from before it existed.
ABSENT = {"spectral_norm": False, "diffaug": "", "mode_seeking": 0.0, "precision": "fp32"}
RESUME_KEYS = ("loss", "base_channels", "z_dim", "cond", "ema", "spectral_norm", "diffaug", "ca_dim", "gan_int",
               "mode_seeking", "precision")


def resume_config(saved: dict, new: dict, keys: tuple[str, ...], step: int, path: Path,
                  log: Callable[[str], None]) -> dict:
    """The configuration to resume with: the saved one, with the adjustable settings the new options
    change (each recorded with the step it took effect); any other difference among `keys` is an error."""
    old = {k: saved.get(k, ABSENT.get(k)) for k in keys}
    diff = [k for k in keys if old[k] != new.get(k)]
    fixed = [k for k in diff if not (k in ADJUSTABLE and ADJUSTABLE[k][0](old[k], new[k]))]
    if fixed:
        raise CganError(f"{path}: cannot resume: the run was started with other settings "
                        f"({', '.join(f'{k}={old[k]!r}' for k in fixed)}); use another --out or the original options")
    cfg = dict(saved)
    for k in diff:
        log(f"{ADJUSTABLE[k][1].format(new[k])} from step {step} on")
        cfg.update({k: new[k], f"{k}_from_step": step})
    return cfg


def _truncate_losses(path: Path, epochs_done: int) -> None:
    """Drop rows of an epoch that was interrupted before its checkpoint was written."""
    if not path.exists():
        return
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if int(r["epoch"]) <= epochs_done]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, LOSS_COLUMNS)
        w.writeheader()
        w.writerows(rows)


def _conditioning(data: TaggedImages | CaptionedImages, opts: TrainOptions) -> Conditioning | SentenceConditioning:
    if isinstance(data, CaptionedImages):
        from cgan.text_encoder import NAME

        if opts.cond != "sentence" or data.emb is None:
            raise CganError(f"{data.summary.get('data')}: captioned data needs --cond sentence (embedded captions)")
        if opts.loss == "acgan":
            raise CganError("--loss acgan predicts tag classes; captions need gan, hinge or wgan-gp")
        return SentenceConditioning(NAME, data.emb.shape[1], data.preview())
    if opts.cond == "sentence":
        raise CganError(f"{data.summary.get('data')}: --cond sentence needs captions (captions.csv or .txt files)")
    return Conditioning(opts.cond, data.pairs if opts.cond != "none" else [])


def train(data: TaggedImages | CaptionedImages, opts: TrainOptions, log: Callable[[str], None] = print) -> Path:
    """Train and return the path of the last checkpoint."""
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / CHECKPOINT
    cond = _conditioning(data, opts)
    if opts.loss not in LOSSES:
        raise CganError(f"unknown loss {opts.loss!r} (choose from {', '.join(LOSSES)})")
    if opts.loss in ("gan", "hinge") and cond.kind in ("pair", "multi") and len(cond.pairs) < 2:
        raise CganError(f"{data.summary.get('data')}: the matching-aware loss needs at least two tag pairs")
    if opts.loss == "acgan" and cond.kind == "none":
        raise CganError("--loss acgan needs tags (ACGAN's discriminator predicts them); use --cond pair or multi")
    cfg = model_config(opts, cond)
    dd, device = init_from_env(opts.device)
    if not dd.main:
        log = lambda m: None  # noqa: E731 - rank 0 speaks and writes for all
    try:
        return _train(data, opts, cond, cfg, dd, device, out, ckpt_path, log)
    finally:
        finish(dd)


def _train(data, opts: TrainOptions, cond, cfg: dict, dd: Dist, device: str, out: Path, ckpt_path: Path,
           log: Callable[[str], None]) -> Path:
    warm_up_math_kernels()  # else a run with 2 threads is not repeatable from one process to the next
    torch.manual_seed(opts.seed)
    start_epoch = 0
    if opts.resume and ckpt_path.exists():
        saved = load_checkpoint(ckpt_path)
        cfg = resume_config(saved["config"], cfg, RESUME_KEYS, saved["step"], ckpt_path, log)
        trainer = Trainer(cfg, device, dd)
        trainer.load_state(saved)
        start_epoch = saved["epoch"]
        log(f"resuming {ckpt_path} after epoch {start_epoch} (step {trainer.step_count})")
    else:
        if ckpt_path.exists() and not opts.resume:
            raise CganError(f"{ckpt_path}: a run already exists here; pass --resume to continue it or choose another --out")
        trainer = Trainer(cfg, device, dd)
    if dd.on:  # same weights on every rank (DDP broadcast rank 0's), but each rank its own noise
        torch.manual_seed(opts.seed * 1_000_003 + trainer.step_count * 1009 + dd.rank)
        log(f"torchrun: {dd.world} processes on {device.split(':')[0]}, {dd.world} x {cfg['batch_size']} images a step")
    losses_path = out / "losses.csv"
    if dd.main:
        (out / "config.json").write_text(json.dumps({**cfg, "data": data.summary}, indent=2) + "\n")
        _truncate_losses(losses_path, start_epoch)
        if not losses_path.exists():
            with open(losses_path, "w", newline="") as f:
                csv.writer(f).writerow(LOSS_COLUMNS)

    # Whole data set on the device as uint8 NCHW: batches are an index, never a Python loop.
    images = torch.from_numpy(data.images).permute(0, 3, 1, 2).contiguous().to(trainer.device)
    n, bs = len(images), cfg["batch_size"]
    if n < bs * dd.world:
        raise CganError(f"{data.summary.get('data')}: {n} images is fewer than one batch of {bs} per process")
    per_epoch = n // dd.world // bs
    preview = _preview(cond)
    t_start = time.time()
    stop = False
    for epoch in range(start_epoch + 1, opts.epochs + 1):
        # Every rank draws the same permutation (the shared generator) and takes its own slice of it.
        perm = torch.randperm(n, generator=trainer.gen).to(trainer.device)[dd.rank::dd.world]
        flips = torch.rand(n, generator=trainer.gen).to(trainer.device) < 0.5 if cfg["flip"] else None
        labels = data.epoch_labels(trainer.gen, trainer.device)
        rows: list[tuple[int, int, torch.Tensor, torch.Tensor]] = []
        bar = tqdm(range(per_epoch), desc=f"epoch {epoch}/{opts.epochs}", disable=not (opts.progress and dd.main),
                   mininterval=1.0, leave=False, dynamic_ncols=True)
        for i in bar:
            idx = perm[i * bs:(i + 1) * bs]
            real = images[idx].float().div_(127.5).sub_(1.0)
            if flips is not None:
                real = torch.where(flips[idx, None, None, None], real.flip(3), real)
            d_loss, g_loss = trainer.step(real, *(lab[idx] for lab in labels))
            rows.append((epoch, trainer.step_count, d_loss, g_loss))
            late = opts.time_limit is not None and time.time() - t_start > opts.time_limit * 60
            if (i + 1) % opts.log_every == 0 or i + 1 == per_epoch:
                d, g = d_loss.item(), g_loss.item()
                bad = not (math.isfinite(d) and (math.isfinite(g) or not trainer.g_updated))
                bad, late = any_rank([bad, late], dd, device)  # ranks stop together, or not at all
                if bad:
                    raise CganError(
                        f"non-finite loss at epoch {epoch}, step {trainer.step_count} (d={d}, g={g}); "
                        f"stopped; the last good checkpoint is {ckpt_path if ckpt_path.exists() else 'none yet'}"
                        " (try a lower --lr)", exit_code=3)
                bar.set_postfix(d=f"{d:.3f}", g=f"{g:.3f}")
            elif dd.on:
                late = False  # decided only where all ranks agree on it
            stop = stop or late or (opts.max_steps is not None and trainer.step_count >= opts.max_steps)
            if stop:
                break
        bar.close()
        values = mean_over_ranks(torch.stack([torch.stack([r[2], r[3]]) for r in rows]), dd).cpu().tolist()
        if dd.main:
            _end_epoch(trainer, epoch, rows, values, preview, data, out, losses_path, ckpt_path, t_start, log)
        if stop:
            break
    if dd.on:
        spread = rank_spread([trainer.G, trainer.D], dd, device)
        log(f"torchrun: G and D identical on all {dd.world} ranks (largest difference {spread:g})" if spread == 0
            else f"torchrun: warning: the ranks' weights differ by up to {spread:g}")
    return ckpt_path


def _preview(cond) -> tuple[list[int], list | None, torch.Tensor | None]:
    """Seeds, tags and codes of the per-epoch grid: 25 tag pairs, or 5 captions x the same 5 seeds."""
    if cond.kind == "sentence":
        return [i % 5 for i in range(5 * len(cond.preview))], None, cond.encode_texts(cond.preview).repeat_interleave(5, 0)
    return list(range(25)), (preview_tags(cond) if cond.kind in ("pair", "multi") else None), None


def _end_epoch(trainer: Trainer, epoch: int, rows: list, values: list, preview: tuple, data, out: Path,
               losses_path: Path, ckpt_path: Path, t_start: float, log: Callable[[str], None]) -> None:
    """Rank 0's part of an epoch's end: loss rows, the sample grid, the checkpoint, one log line."""
    with open(losses_path, "a", newline="") as f:
        csv.writer(f).writerows([(e, s, f"{v[0]:.6g}", f"{v[1]:.6g}") for (e, s, _, _), v in zip(rows, values)])
    seeds, tags, codes = preview
    save_grid(generate(trainer.sampler, trainer.cond, seeds, tags, codes=codes), out / "samples" / f"epoch_{epoch:04d}.png")
    save_checkpoint(trainer.state(epoch, data.summary), ckpt_path)
    with warnings.catch_warnings():  # an epoch cut short before G's first update has no g mean
        warnings.simplefilter("ignore", RuntimeWarning)
        mean_d, mean_g = (float(np.nanmean([v[k] for v in values])) for k in (0, 1))
    log(f"epoch {epoch}: step {trainer.step_count}, d_loss {mean_d:.4f}, g_loss {mean_g:.4f}, "
        f"{time.time() - t_start:.0f} s, checkpoint {ckpt_path}")

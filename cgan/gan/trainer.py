"""One training iteration of the matching-aware GAN, ACGAN, WGAN-GP or hinge objective; state for checkpoints."""

from __future__ import annotations

import copy
import json

import torch

from cgan.core.checkpoint_io import FORMAT_VERSION
from cgan.core.distributed import Dist, wrap
from cgan.core.runs import autocast, update_ema
from cgan.data.augment import diff_augment, parse_policy
from cgan.gan import losses
from cgan.gan.build import BIGGAN_ARCH, build_discriminator, build_generator
from cgan.gan.conditioning import Conditioning


def cpu_memory_format(cfg: dict) -> torch.memory_format:
    """channels_last where oneDNN's CPU convolutions run faster in it: under bf16 (in NCHW every call
    reorders its input) and for the BigGAN-style family in fp32 too (its 3x3 convolutions and 1x1
    shortcuts run NCHW badly). The course DCGAN in fp32 gains nothing from it and stays NCHW
    (bench/train_speed.py measures both layouts)."""
    if cfg.get("precision") == "bf16" or cfg.get("arch") == BIGGAN_ARCH:
        return torch.channels_last
    return torch.contiguous_format


def learning_rates(cfg: dict, step: int = 0) -> tuple[float, float]:
    """G's and D's Adam rates at `step` (a config without lr_d: D shares G's), scaled by the schedule."""
    scale = stage_settings(cfg, step).get("lr_scale", 1.0)
    return cfg["lr"] * scale, cfg.get("lr_d", cfg["lr"]) * scale


def stage_settings(cfg: dict, step: int) -> dict:
    """The settings of the schedule's stages that have begun by `step`, later stages over earlier ones:
    a recipe of several stages runs as one command instead of several resumed runs."""
    live: dict = {}
    for stage in cfg.get("schedule", ()):
        if step >= stage["from_step"]:
            live.update({k: v for k, v in stage.items() if k != "from_step"})
    return live


class Trainer:
    """Holds G, D, their optimisers and RNGs; `step()` is one D update and (maybe) one G update."""

    def __init__(self, cfg: dict, device: str = "cpu", dist: Dist = Dist()) -> None:
        self.cfg = cfg
        self.device = torch.device(device)
        self.cond = Conditioning.from_config(cfg["cond"])
        self.memory_format = cpu_memory_format(cfg) if self.device.type == "cpu" else torch.contiguous_format
        self.G = build_generator(cfg).to(self.device, memory_format=self.memory_format)
        self.D = build_discriminator(cfg).to(self.device, memory_format=self.memory_format)
        # Under torchrun, one call per step goes through DDP (its backward averages the gradients over
        # ranks); the other calls use the module itself and still add to the same gradients. D keeps
        # its own buffers: spectral norm updates them in place during the step.
        self.Gd = wrap(self.G, dist, device)
        self.Dd = wrap(self.D, dist, device, broadcast_buffers=False)
        betas = tuple(cfg["betas"])
        lr_g, lr_d = learning_rates(cfg)
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=lr_g, betas=betas)
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=lr_d, betas=betas)
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
        if self.cfg.get("schedule"):
            self._set_learning_rates()
        real = real.contiguous(memory_format=self.memory_format)
        c = self.cond.encode(*labels) if self.cond.conditional else None
        z = torch.randn(real.shape[0], G.z_dim, device=self.device)
        every = self.cfg["n_critic"] if loss == "wgan-gp" else self.cfg.get("d_steps", 1)
        do_g = self.step_count % every == 0 and self.step_count >= self.cfg.get("d_warmup", 0)
        fake_labels = self._fake_labels(labels)
        c_fake = c if fake_labels is labels else self.cond.encode(*fake_labels)
        with torch.set_grad_enabled(do_g), self._amp():
            fake = self.Gd(z, c_fake)
            kl = G.text.kl if self.cfg.get("ca_dim") else None
        real = self._aug(real)
        fake_d = self._aug(fake.detach())

        with self._amp():
            d_loss = self._d_loss(loss, real, fake_d, c, labels, c_fake, fake_labels)
        self.opt_D.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_D.step()

        # Generator: D's parameters need no gradients here (7% fewer FLOPs).
        if do_g:
            D.requires_grad_(False)
            with self._amp():
                g_loss = self._g_loss(loss, z, c_fake, kl, fake, fake_labels)
            self.opt_G.zero_grad(set_to_none=True)
            g_loss.backward()
            self.opt_G.step()
            D.requires_grad_(True)
            self._update_ema()
            self._last_g = g_loss.detach()
            self.g_updated = True
        self.step_count += 1
        return d_loss.detach(), self._last_g

    def _set_learning_rates(self) -> None:
        for opt, lr in zip((self.opt_G, self.opt_D), learning_rates(self.cfg, self.step_count)):
            for group in opt.param_groups:
                group["lr"] = lr

    def _amp(self):
        return autocast(self.cfg, self.device.type)

    def _pairs_mode_seeking(self) -> bool:
        """Whether this step's mode-seeking term compares the batch's two halves (see _fake_labels)."""
        return bool(self.cfg.get("mode_seeking_pairs") and self._mode_seeking_weight())

    def _mode_seeking_weight(self) -> float:
        return stage_settings(self.cfg, self.step_count).get("mode_seeking", self.cfg.get("mode_seeking"))

    def _fake_labels(self, labels: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        """The tags G draws this step: the batch's own, or, where the mode-seeking term compares the batch's
        halves, the first half's twice (the term then costs no second pass through G)."""
        if not self._pairs_mode_seeking():
            return labels
        n, half = labels[0].shape[0], labels[0].shape[0] // 2
        idx = torch.arange(n, device=labels[0].device)
        idx[half:2 * half] = idx[:half]
        return tuple(label[idx] for label in labels)

    def _d_loss(self, loss: str, real: torch.Tensor, fake_d: torch.Tensor, c: torch.Tensor | None,
                labels: tuple[torch.Tensor, ...], c_fake: torch.Tensor | None,
                fake_labels: tuple[torch.Tensor, ...]) -> torch.Tensor:
        D = self.D
        if loss in ("gan", "hinge"):
            c_wrong = self.cond.wrong_codes(*labels, self.gen) if self.cond.conditional else None
            out = self.Dd(real, c, c_wrong)
            d_fn = losses.matching_d_loss if loss == "gan" else losses.hinge_d_loss
            d_loss = d_fn(out[0], D(fake_d, c_fake)[0], out[3] if c_wrong is not None else None)
            if self.cfg.get("aux_weight"):  # on real images only: what the tags look like, not G's guesses
                d_loss = d_loss + self.cfg["aux_weight"] * losses.class_loss(out[1], out[2], *labels)
            return d_loss
        if loss == "acgan":
            sr, hr, er = self.Dd(real)
            sf, hf, ef = D(fake_d)
            return losses.acgan_d_loss(sr, sf, losses.class_loss(hr, er, *labels),
                                       losses.class_loss(hf, ef, *fake_labels))
        gp = losses.gradient_penalty(self.D, real, fake_d, c, self.gen)
        return losses.wgan_d_loss(self.Dd(real, c)[0], D(fake_d, c_fake)[0]) + self.cfg["gp_weight"] * gp

    def _g_loss(self, loss: str, z: torch.Tensor, c: torch.Tensor | None, kl: torch.Tensor | None,
                fake: torch.Tensor, labels: tuple[torch.Tensor, ...]) -> torch.Tensor:
        D = self.D
        drawn, fake = fake, self._aug(fake)
        if loss in ("gan", "hinge"):
            score, hair, eyes = D(fake, c)
            g_loss = (losses.nonsaturating_g_loss if loss == "gan" else losses.hinge_g_loss)(score)
            if self.cfg.get("aux_weight"):
                g_loss = g_loss + self.cfg["aux_weight"] * losses.class_loss(hair, eyes, *labels)
        elif loss == "acgan":
            sf, hf, ef = D(fake)
            g_loss = losses.acgan_g_loss(sf, losses.class_loss(hf, ef, *labels))
        else:
            g_loss = losses.wgan_g_loss(D(fake, c)[0])
        if kl is not None:
            g_loss = g_loss + self.cfg["kl_weight"] * kl
        weight = self._mode_seeking_weight()
        if weight:
            # The halves are compared as drawn (augmented, each image moves its own way); the second
            # pass's term compares with the augmented batch, as the shipped cgan was trained.
            g_loss = g_loss + weight * self._mode_seeking(z, c, drawn if self._pairs_mode_seeking() else fake)
        if self.cfg.get("gan_int"):  # Reed et al.'s GAN-INT: midpoints of two captions should look real too
            c_int = 0.5 * (c + c.roll(1, 0))
            g_fn = losses.hinge_g_loss if loss == "hinge" else losses.nonsaturating_g_loss
            g_loss = g_loss + g_fn(D(self._aug(self.G(torch.randn_like(z), c_int)), c_int)[0])
        return g_loss

    def _mode_seeking(self, z: torch.Tensor, c: torch.Tensor | None, fake: torch.Tensor) -> torch.Tensor:
        """MSGAN (Mao et al. 2019): two noises under the same condition should give images as far apart
        as the noises are; the term is 1 / (image distance / noise distance), per sample."""
        if self._pairs_mode_seeking():  # the batch's halves share their tags already
            half = z.shape[0] // 2
            z, z2, fake, fake2 = z[:half], z[half:2 * half], fake[:half], fake[half:2 * half]
        else:
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
        self.step_count = s["step"]
        # The optimisers' saved rates give way to the config's: a run resumed with another --lr.
        self._set_learning_rates()
        if self.G_ema is not None:
            # A run resumed with --ema added starts its average from the resumed G.
            self.G_ema.load_state_dict(s["G_ema"] if "G_ema" in s else s["G"])
        torch.set_rng_state(s["rng"]["torch"])
        self.gen.set_state(s["rng"]["gen"])

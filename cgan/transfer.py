"""Hair/eye colour transfer (the HW3-3 bonus): a StarGAN-style image-to-image generator (Choi et al. 2018).

G(image, target tags) -> the image with those colours. G paints through an attention mask
(GANimation, Pumarola et al. 2018): out = a * colour + (1 - a) * input, so whatever the mask leaves
alone (face, background) is the input's own pixels. D(image) -> (real/fake patches, hair logits, eye
logits). Losses: adversarial (non-saturating), domain classification (D learns the tags of real
images; G must make D read the target tags), cycle reconstruction (G(G(x, t), tags of x) ~ x) and a
small L1 on the mask, which keeps G from repainting more than it must.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from cgan.checkpoints import (FORMAT_VERSION, TRANSFER_ARCH, load_checkpoint, load_weights, sampling_state,
                              save_checkpoint)
from cgan.colors import EYE_COLORS, HAIR_COLORS
from cgan.data import TaggedImages
from cgan.errors import CganError
from cgan.kernels import warm_up_math_kernels
from cgan.images import save_grid, to_input
from cgan.pixels import EXACT_DTYPE, Rendered, render
from cgan.training import autocast, resume_config, update_ema

ARCH = TRANSFER_ARCH
N_TAGS = len(HAIR_COLORS) + len(EYE_COLORS)
PREVIEW_HAIR = ["blonde", "blue", "pink", "red", "green"]


def tag_code(hair: torch.Tensor, eyes: torch.Tensor) -> torch.Tensor:
    """StarGAN's target label: hair one-hot then eye one-hot (23 values)."""
    return torch.cat([F.one_hot(hair, len(HAIR_COLORS)), F.one_hot(eyes, len(EYE_COLORS))], 1).float()


def _conv_in_relu(cin: int, cout: int, k: int, s: int, p: int, transposed: bool = False) -> list[nn.Module]:
    conv = nn.ConvTranspose2d if transposed else nn.Conv2d
    return [conv(cin, cout, k, s, p, bias=False), nn.InstanceNorm2d(cout, affine=True), nn.ReLU(True)]


class ResBlock(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(*_conv_in_relu(c, c, 3, 1, 1), nn.Conv2d(c, c, 3, 1, 1, bias=False),
                                  nn.InstanceNorm2d(c, affine=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class TransferG(nn.Module):
    """Encoder (two stride-2 convolutions), residual blocks, decoder; the target code tiled as input channels."""

    def __init__(self, base: int = 32, blocks: int = 3) -> None:
        super().__init__()
        self.body = nn.Sequential(
            *_conv_in_relu(3 + N_TAGS, base, 7, 1, 3), *_conv_in_relu(base, base * 2, 4, 2, 1),
            *_conv_in_relu(base * 2, base * 4, 4, 2, 1), *[ResBlock(base * 4) for _ in range(blocks)],
            *_conv_in_relu(base * 4, base * 2, 4, 2, 1, transposed=True),
            *_conv_in_relu(base * 2, base, 4, 2, 1, transposed=True))
        self.colour = nn.Conv2d(base, 3, 7, 1, 3)
        self.mask = nn.Conv2d(base, 1, 7, 1, 3)
        # The mask starts nearly closed (sigmoid(-3) = 0.05): G starts as (almost) the identity, so the
        # first steps already keep the face and the training is spent on the colours.
        nn.init.zeros_(self.mask.weight)
        nn.init.constant_(self.mask.bias, -3.0)

    def forward_with_mask(self, x: torch.Tensor, code: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        c = code[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
        h = self.body(torch.cat([x, c], 1))
        a = torch.sigmoid(self.mask(h))
        return a * torch.tanh(self.colour(h)) + (1 - a) * x, a

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        return self.forward_with_mask(x, code)[0]


class TransferD(nn.Module):
    """PatchGAN (4x4 patches at 64 px) with hair and eye classification heads over the whole image."""

    def __init__(self, base: int = 32) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 3
        for o in (base, base * 2, base * 4, base * 8):
            layers += [nn.Conv2d(c, o, 4, 2, 1), nn.LeakyReLU(0.01, True)]
            c = o
        self.features = nn.Sequential(*layers)
        self.src = nn.Conv2d(c, 1, 3, 1, 1, bias=False)
        self.cls = nn.Conv2d(c, N_TAGS, 4, 1, 0, bias=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.features(x)
        logits = self.cls(h).flatten(1)
        return self.src(h).flatten(1), logits[:, :len(HAIR_COLORS)], logits[:, len(HAIR_COLORS):]


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
    return {"arch": ARCH, **{k: getattr(opts, k) for k in TRAINING_KEYS}, "precision": opts.precision}


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
            x = images[idx].float().div_(127.5).sub_(1.0)
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


def transfer(G: TransferG, images: np.ndarray, hair: list[str], eyes: list[str]) -> np.ndarray:
    """Each image (NHWC uint8) with hair colour hair[i] and eye colour eyes[i]."""
    return transfer_rendered(G, images, hair, eyes).images


@torch.no_grad()
def transfer_rendered(G: TransferG, images: np.ndarray, hair: list[str], eyes: list[str]) -> Rendered:
    """`transfer` with each output's rounding margin; in G's dtype (float64 from load_transfer, so the same
    pixels on every machine), one image per forward pass, so a result never depends on the other images."""
    G.eval()
    p = next(G.parameters())
    x = to_input(images, p.dtype).to(p.device)
    code = tag_code(torch.tensor([HAIR_COLORS.index(h) for h in hair]),
                    torch.tensor([EYE_COLORS.index(e) for e in eyes])).to(p.device, p.dtype)
    return Rendered.concat([render(G(x[i:i + 1], code[i:i + 1])) for i in range(len(x))])


def transfer_grid(G: TransferG, images: np.ndarray, eyes: list[str], hairs: list[str],
                  input_margins: np.ndarray | None = None) -> Rendered:
    """Rows = input images; columns = the input, then the input with each of `hairs` (its own eyes kept).
    Files read from disk are pixels already (nothing to round); generated inputs bring their margins."""
    inputs = Rendered(images, np.full(len(images), np.inf) if input_margins is None else input_margins)
    cols = [inputs] + [transfer_rendered(G, images, [h] * len(images), eyes) for h in hairs]
    return Rendered(np.stack([c.images for c in cols], 1).reshape(-1, *images.shape[1:]),
                    np.stack([c.margins for c in cols], 1).reshape(-1))


def load_transfer(path: str | Path) -> tuple[TransferG, dict]:
    """The generator (EMA weights) of a training or release checkpoint, float64 on the CPU, eval mode."""
    obj = load_checkpoint(path, arch=ARCH)
    cfg = obj["config"]
    G = load_weights(TransferG(cfg["base_channels"], cfg["blocks"]), sampling_state(obj), path, EXACT_DTYPE)
    return G, obj


# Faces extra_run.sh uses when it is given none: drawn by the release cgan model, so nothing from
# the course data ships in the repository.
DEFAULT_FACES = [("black", "blue"), ("brown", "green"), ("blonde", "red"), ("white", "purple"), ("pink", "aqua")]


def default_faces(ckpt: str | Path, seed: int = 0) -> tuple[Rendered, list[str]]:
    """Faces from a tag-conditioned generator (one seed each, seed + row), and their eye colours."""
    from cgan.checkpoints import load_generator
    from cgan.sampling import generate_rendered
    from cgan.tags import TagLine

    G, cond, _ = load_generator(ckpt)
    tags = [TagLine(str(i), h, e) for i, (h, e) in enumerate(DEFAULT_FACES)]
    faces = generate_rendered(G, cond, [seed + i for i in range(len(tags))], tags, path=str(ckpt))
    return faces, [e for _, e in DEFAULT_FACES]


def read_inputs(paths: list[Path]) -> tuple[np.ndarray, list[str]]:
    """Image files, and the image files inside folders (sorted by name; a tagged folder's images/), as
    64x64 NHWC uint8."""
    from cgan.data import IMAGE_EXTS, image_dir
    from cgan.images import load_rgb

    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in image_dir(p).iterdir() if f.suffix.lower() in IMAGE_EXTS and f.is_file())
            if not found:
                raise CganError(f"{p}: no images ({', '.join(IMAGE_EXTS)}) in this folder")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise CganError(f"{p}: no such file or folder")
    images = []
    for f in files:
        try:
            images.append(load_rgb(f))
        except (OSError, ValueError) as e:
            raise CganError(f"{f}: not a readable image ({e})") from None
    return np.stack(images), [str(f) for f in files]

"""Colour transfer networks (StarGAN-style, Choi et al. 2018): G paints through an attention mask
(GANimation), D is a PatchGAN with hair and eye heads."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from cgan.course.colors import EYE_COLORS, HAIR_COLORS

TRANSFER_ARCH = "stargan64"  # cgan/transfer.py's image-to-image model
ARCH = TRANSFER_ARCH
N_TAGS = len(HAIR_COLORS) + len(EYE_COLORS)


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

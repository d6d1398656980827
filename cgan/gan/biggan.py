"""A BigGAN-style generator and projection discriminator for 64x64 (Brock et al. 2019; Miyato & Koyama 2018).

G: the noise is split into five chunks (one for the 4x4 input, one per block: BigGAN's hierarchical z);
the condition goes through one shared embedding, and each residual up-block's batch norms take their
gain and bias from [embedding, z chunk] (conditional batch norm). D: residual down-blocks, ReLU, a sum over
positions, then a linear score plus the projection <features, embedding(condition)>. For the 12 + 11
one-hots of `--cond multi` the projection is the hair embedding's plus the eye embedding's inner product,
so every one of the 132 (hair, eyes) pairs has a code, seen together in training or not.

An unconditional G may still draw codes (`latent_codes`): a hair and an eye index read from the first two
noise components, through the same embedding, so a tag-trained G's weights start an unconditional run
whole (the unconditional `gan` fine-tuned from the release `cgan`; its training sees no tags).

Spectral norm on every weight of both (BigGAN), orthogonal initialisation. No self-attention: at 64x64
on two CPU cores its 32x32 attention map would cost about as much as the rest of D.
Same call signatures as the course DCGAN (models.py), so the losses and the trainer serve both.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from cgan.gan.biggan_layout import CHUNKS, EMBED_DIM, channels, code_edges
from cgan.gan.models import CondAugment


def _sn(m: nn.Module) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(m)


def _conv(cin: int, cout: int, k: int = 3) -> nn.Module:
    return _sn(nn.Conv2d(cin, cout, k, padding=k // 2))


def _linear(cin: int, cout: int, bias: bool = True) -> nn.Module:
    return _sn(nn.Linear(cin, cout, bias=bias))


def ortho_init(m: nn.Module) -> None:
    """BigGAN's orthogonal initialisation for every convolution and dense weight."""
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.orthogonal_(m.weight)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


# avg_pool2d(conv3x3(x), 2) tap by tap: output i averages conv outputs 2i and 2i+1, which read inputs
# 2i-1 .. 2i+2 through the kernel's taps (u) shifted by 0 or 1; row s of this matrix says which taps reach input 2i-1+s.
_POOL_TAPS = torch.tensor([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]]) / 2


def conv3x3_pool(x: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    """F.avg_pool2d(conv(x), 2) for a 3x3 convolution with padding 1, as one 4x4 stride-2 convolution whose
    kernel is the 3x3 one spread over the pooling window (exact up to rounding: both are linear, and the
    zero padding is the same). A quarter of the output positions at 16/9 of the taps: 2.3x fewer FLOPs and no
    pooling pass, which pays at 16x16 and above (bench/train_speed.py times the block both ways)."""
    w = conv.weight  # spectral norm's parametrization runs here, once, as in a call of the module
    taps = _POOL_TAPS.to(w)
    k = torch.einsum("su,oiuv,tv->oist", taps, w, taps)
    if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
        k = k.contiguous(memory_format=torch.channels_last)  # oneDNN reorders a mismatched kernel every call
    return F.conv2d(x, k, conv.bias, stride=2, padding=1)


class CondBatchNorm(nn.Module):
    """Batch norm without its own affine: gain 1 + W_g y and bias W_b y, y = [embedding, z chunk]."""

    def __init__(self, channels: int, cond_dim: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False, momentum=0.1)
        self.gain = _linear(cond_dim, channels, bias=False)
        self.bias = _linear(cond_dim, channels, bias=False)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        g = 1 + self.gain(y)[:, :, None, None]
        return self.bn(x) * g + self.bias(y)[:, :, None, None]


class UpBlock(nn.Module):
    def __init__(self, cin: int, cout: int, cond_dim: int) -> None:
        super().__init__()
        self.bn1, self.bn2 = CondBatchNorm(cin, cond_dim), CondBatchNorm(cout, cond_dim)
        self.conv1, self.conv2 = _conv(cin, cout), _conv(cout, cout)
        self.skip = _conv(cin, cout, 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.bn1(x, y)), scale_factor=2, mode="nearest")
        h = self.conv2(F.relu(self.bn2(self.conv1(h), y)))
        # BigGAN upsamples, then convolves the shortcut; a 1x1 convolution commutes with nearest
        # upsampling, so convolving first gives the same map at a quarter of the FLOPs (and the
        # thin 64x64 shortcut was the slowest convolution of the bf16 step).
        return h + F.interpolate(self.skip(x), scale_factor=2, mode="nearest")


class DownBlock(nn.Module):
    def __init__(self, cin: int, cout: int, preactivation: bool = True) -> None:
        super().__init__()
        self.pre = preactivation  # the first block sees the image itself: no ReLU before it
        self.conv1, self.conv2 = _conv(cin, cout), _conv(cout, cout)
        self.skip = _conv(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(x) if self.pre else x
        h = F.relu(self.conv1(h))
        # At 8x8 the 4x4 kernel's overhead outweighs the saved FLOPs: the fused form is slower there.
        h = conv3x3_pool(h, self.conv2) if h.shape[-1] >= 16 else F.avg_pool2d(self.conv2(h), 2)
        # BigGAN convolves a pre-activated block's shortcut, then pools; a 1x1 convolution and an average
        # pool are both linear and commute, so pooling first gives the same map at a quarter of the FLOPs.
        return h + self.skip(F.avg_pool2d(x, 2))


class BigGenerator(nn.Module):
    def __init__(self, z_dim: int = 100, cond_dim: int = 23, base: int = 32, ca_dim: int = 0,
                 latent_codes: tuple[int, int] | None = None) -> None:
        super().__init__()
        if z_dim % CHUNKS:
            raise ValueError(f"the BigGAN generator splits z into {CHUNKS} chunks: z_dim {z_dim} must divide by it")
        if latent_codes and cond_dim:
            raise ValueError("latent codes stand in for a condition: the generator takes one or the other")
        self.z_dim, self.cond_dim, self.base = z_dim, cond_dim, base
        self.latent_codes = tuple(latent_codes) if latent_codes else None
        if self.latent_codes:
            self._edges = [code_edges(k) for k in self.latent_codes]
            cond_dim = sum(self.latent_codes)  # the embedding reads their one-hots as it reads --cond multi's
        chunk = z_dim // CHUNKS
        # Tags: the shared embedding is a lookup table; a sentence code goes through conditioning
        # augmentation instead (as in the DCGAN), whose KL term the trainer reads from `text.kl`.
        self.text: nn.Module | None = None
        if cond_dim:
            self.text = CondAugment(cond_dim, ca_dim) if ca_dim else nn.Linear(cond_dim, EMBED_DIM, bias=False)
        y_dim = chunk + ((ca_dim or EMBED_DIM) if cond_dim else 0)
        chans = channels(base)
        self.fc = _linear(chunk, 4 * 4 * chans[0])
        self.blocks = nn.ModuleList(UpBlock(a, b, y_dim) for a, b in zip(chans[:-1], chans[1:]))
        self.out_bn = nn.BatchNorm2d(base, momentum=0.1)
        self.out = _conv(base, 3)
        self.apply(ortho_init)
        if isinstance(self.text, nn.Linear):  # a lookup table for one-hot codes, started as nn.Embedding is
            nn.init.normal_(self.text.weight, 0.0, 1.0)

    def codes(self, z: torch.Tensor) -> torch.Tensor:
        """The one-hot codes a noise batch stands for: code i of factor j where z[:, j] falls in bucket i."""
        hots = [F.one_hot(torch.bucketize(z[:, j].contiguous(), z.new_tensor(edges)), len(edges) + 1)
                for j, edges in enumerate(self._edges)]
        return torch.cat(hots, 1).to(z.dtype)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if self.latent_codes:
            c = self.codes(z)
        zs = z.chunk(CHUNKS, 1)
        e = self.text(c) if self.text is not None else None
        h = self.fc(zs[0]).view(-1, self.base * 8, 4, 4)
        for block, zc in zip(self.blocks, zs[1:]):
            h = block(h, zc if e is None else torch.cat([e, zc], 1))
        return torch.tanh(self.out(F.relu(self.out_bn(h))))


class ProjectionDiscriminator(nn.Module):
    """Returns (logit, hair_logits, eye_logits) like the DCGAN discriminator; the class logits are None
    unless `aux` is set (ACGAN's heads on the pooled features)."""

    def __init__(self, cond_dim: int = 23, base: int = 32, aux: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.cond_dim, self.base = cond_dim, base
        chans = [3, base, base * 2, base * 4, base * 8]
        self.blocks = nn.Sequential(*(DownBlock(a, b, preactivation=i > 0)
                                      for i, (a, b) in enumerate(zip(chans[:-1], chans[1:]))))
        self.out = _linear(chans[-1], 1)
        self.embed = _linear(cond_dim, chans[-1], bias=False) if cond_dim else None
        self.aux_hair = _linear(chans[-1], aux[0]) if aux else None
        self.aux_eyes = _linear(chans[-1], aux[1]) if aux else None
        self.apply(ortho_init)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None, c_wrong: torch.Tensor | None = None):
        """With `c_wrong`, also the logit of the same images under the wrong condition (one trunk pass)."""
        h = F.relu(self.blocks(x)).sum((2, 3))
        logit, hair, eyes = self._head(h, c)
        if c_wrong is None:
            return logit, hair, eyes
        return logit, hair, eyes, self._head(h, c_wrong)[0]

    def _head(self, h: torch.Tensor, c: torch.Tensor | None):
        logit = self.out(h).squeeze(1)
        if self.embed is not None:
            logit = logit + (self.embed(c) * h).sum(1)
        if self.aux_hair is None:
            return logit, None, None
        return logit, self.aux_hair(h), self.aux_eyes(h)

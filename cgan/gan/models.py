"""The course's DCGAN-style generator and discriminator, with the variants the losses need.

Layer sizes follow the course baseline (base_channels=64): G maps noise 100 (+ text through
Dense(256, relu)) to 4x4x512, then four 5x5 transposed convolutions to 64x64x3 with tanh.
D mirrors it and joins the text, tiled 4x4, before a 1x1 convolution.
"""

from __future__ import annotations

import torch
import torch.nn as nn

# Keras/TF batch norm 'momentum=0.9' keeps 90% of the running average; PyTorch's momentum is the
# complement (the weight of the new batch).
BN_MOMENTUM = 0.1
TEXT_DIM = 256


def _up(cin: int, cout: int) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(cin, cout, 5, stride=2, padding=2, output_padding=1, bias=False)


def _down(cin: int, cout: int, bias: bool) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 5, stride=2, padding=2, bias=bias)


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels, momentum=BN_MOMENTUM)
    if kind == "layer":  # LayerNorm over (C, H, W): per-sample, as WGAN-GP's critic requires
        return nn.GroupNorm(1, channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}")


def dcgan_init(m: nn.Module) -> None:
    """Radford et al.'s N(0, 0.02) for convolutions, BN scale N(1, 0.02); Glorot for dense layers,
    Keras' default in the course baseline (the tag layers are then re-initialised by embedding_init)."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def embedding_init(text: nn.Module | None) -> None:
    """The tag input is one-hot, so its first Dense layer is an embedding lookup: start it as
    nn.Embedding does, N(0, 1). With Glorot the tag features start ~10x smaller than the noise and
    G learns to follow the tags far more slowly."""
    if isinstance(text, nn.Sequential):
        nn.init.normal_(text[0].weight, 0.0, 1.0)


class CondAugment(nn.Module):
    """Conditioning augmentation (Zhang et al., StackGAN): the text code becomes a Gaussian, sampled in
    training (a smoother conditioning manifold from few captions) and its mean at sampling time, so
    an image depends only on its seed and its text. `kl` holds the last batch's KL term to N(0, I)."""

    def __init__(self, cond_dim: int, out_dim: int) -> None:
        super().__init__()
        self.fc = nn.Linear(cond_dim, 2 * out_dim)
        self.kl = torch.zeros(())

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.fc(c).chunk(2, 1)
        self.kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1).mean()
        if not self.training:
            return mu
        return mu + torch.randn_like(mu) * (0.5 * logvar).exp()


class Generator(nn.Module):
    def __init__(self, z_dim: int = 100, cond_dim: int = 119, base: int = 64, ca_dim: int = 0) -> None:
        super().__init__()
        self.z_dim, self.cond_dim, self.base = z_dim, cond_dim, base
        if cond_dim and ca_dim:
            self.text: nn.Module | None = CondAugment(cond_dim, ca_dim)
        else:
            self.text = nn.Sequential(nn.Linear(cond_dim, TEXT_DIM), nn.ReLU(True)) if cond_dim else None
        c0 = base * 8
        text_dim = (ca_dim or TEXT_DIM) if cond_dim else 0
        self.fc = nn.Linear(z_dim + text_dim, 4 * 4 * c0, bias=False)
        self.bn0 = nn.BatchNorm2d(c0, momentum=BN_MOMENTUM)
        chans = [c0, base * 4, base * 2, base]
        layers: list[nn.Module] = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            layers += [_up(cin, cout), nn.BatchNorm2d(cout, momentum=BN_MOMENTUM), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(base, 3, 5, stride=2, padding=2, output_padding=1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)
        embedding_init(self.text)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        h = z if self.text is None else torch.cat([z, self.text(c)], 1)
        h = self.fc(h).view(-1, self.base * 8, 4, 4)
        return self.net(torch.relu(self.bn0(h)))


class Discriminator(nn.Module):
    """Returns (logit, hair_logits, eye_logits); the class logits are None unless `aux` is set (ACGAN)."""

    def __init__(self, cond_dim: int = 119, base: int = 64, norm: str = "batch",
                 aux: tuple[int, int] | None = None, spectral_norm: bool = False, onehot_text: bool = True) -> None:
        super().__init__()
        self.cond_dim, self.base = cond_dim, base
        chans = [3, base, base * 2, base * 4, base * 8]
        layers: list[nn.Module] = []
        for i, (cin, cout) in enumerate(zip(chans[:-1], chans[1:])):
            # No normalisation on the first layer (Radford et al.); convs before a norm need no bias.
            first = i == 0
            layers += [_down(cin, cout, bias=first or norm == "none"),
                       nn.Identity() if first else _norm(norm, cout), nn.LeakyReLU(0.2, True)]
        self.features = nn.Sequential(*layers)
        c4 = base * 8
        self.text = nn.Sequential(nn.Linear(cond_dim, TEXT_DIM), nn.LeakyReLU(0.2, True)) if cond_dim else None
        self.join = nn.Sequential(
            nn.Conv2d(c4 + (TEXT_DIM if cond_dim else 0), c4, 1, bias=norm == "none"),
            _norm(norm, c4), nn.LeakyReLU(0.2, True))
        self.out = nn.Linear(c4 * 16, 1)
        self.aux_hair = nn.Linear(c4 * 16, aux[0]) if aux else None
        self.aux_eyes = nn.Linear(c4 * 16, aux[1]) if aux else None
        self.apply(dcgan_init)
        if onehot_text:  # a dense sentence code keeps Glorot: N(0, 1) rows would sum to ~20x its scale
            embedding_init(self.text)
        if spectral_norm:  # Miyato et al. 2018: every weight's largest singular value held at 1
            for m in list(self.modules()):
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.utils.parametrizations.spectral_norm(m)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None, c_wrong: torch.Tensor | None = None):
        """(logit, hair_logits, eye_logits); with `c_wrong`, also the logit of the same images under the
        wrong text: the image trunk runs once for both (GAN-CLS's third pass costs only the text head)."""
        h = self.features(x)
        logit, hair, eyes = self._head(h, c)
        if c_wrong is None:
            return logit, hair, eyes
        return logit, hair, eyes, self._head(h, c_wrong)[0]

    def _head(self, h: torch.Tensor, c: torch.Tensor | None):
        if self.text is not None:
            t = self.text(c)[:, :, None, None].expand(-1, -1, 4, 4)
            h = torch.cat([h, t], 1)
        h = self.join(h).flatten(1)
        logit = self.out(h).squeeze(1)
        if self.aux_hair is None:
            return logit, None, None
        return logit, self.aux_hair(h), self.aux_eyes(h)

"""GAN objectives as pure functions of discriminator outputs (plus the gradient penalty)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def matching_d_loss(real_right: torch.Tensor, fake_right: torch.Tensor,
                    real_wrong: torch.Tensor | None = None) -> torch.Tensor:
    """GAN-CLS (Reed et al. 2016): (real, right)=1, and the two negatives (fake, right)=0 and
    (real, wrong)=0 averaged, so D learns to reject mismatched tags as well as fakes.
    Without wrong tags (unconditional) this is the plain DCGAN loss."""
    if real_wrong is None:
        return _bce(real_right, 1.0) + _bce(fake_right, 0.0)
    return _bce(real_right, 1.0) + 0.5 * (_bce(fake_right, 0.0) + _bce(real_wrong, 0.0))


def nonsaturating_g_loss(fake_right: torch.Tensor) -> torch.Tensor:
    return _bce(fake_right, 1.0)


def hinge_d_loss(real_right: torch.Tensor, fake_right: torch.Tensor,
                 real_wrong: torch.Tensor | None = None) -> torch.Tensor:
    """Hinge loss (Lim & Ye 2017; SN-GAN, BigGAN), with GAN-CLS's two negatives averaged as above."""
    neg = F.relu(1.0 + fake_right).mean()
    if real_wrong is not None:
        neg = 0.5 * (neg + F.relu(1.0 + real_wrong).mean())
    return F.relu(1.0 - real_right).mean() + neg


def hinge_g_loss(fake_right: torch.Tensor) -> torch.Tensor:
    return -fake_right.mean()


def class_loss(hair_logits: torch.Tensor, eye_logits: torch.Tensor,
               hair: torch.Tensor, eyes: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(hair_logits, hair) + F.cross_entropy(eye_logits, eyes)


def acgan_d_loss(src_real: torch.Tensor, src_fake: torch.Tensor, cls_real: torch.Tensor,
                 cls_fake: torch.Tensor) -> torch.Tensor:
    """Odena et al. 2017: D maximises L_S + L_C, with the class term on real and fake images."""
    return _bce(src_real, 1.0) + _bce(src_fake, 0.0) + cls_real + cls_fake


def acgan_g_loss(src_fake: torch.Tensor, cls_fake: torch.Tensor) -> torch.Tensor:
    """G maximises L_C - L_S; non-saturating form for the source term."""
    return _bce(src_fake, 1.0) + cls_fake


def wgan_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return fake.mean() - real.mean()


def wgan_g_loss(fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor, c: torch.Tensor | None,
                     gen: torch.Generator | None = None) -> torch.Tensor:
    """Gulrajani et al. 2017: (||grad_x D(x_hat)||_2 - 1)^2 on random interpolates of real and fake."""
    eps = torch.rand(real.shape[0], 1, 1, 1, generator=gen, device="cpu").to(real.device)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    out = critic(x_hat, c)[0]
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()

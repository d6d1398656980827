from __future__ import annotations

import math

import torch

from cgan.gan import losses


def test_matching_loss_averages_the_two_negatives():
    big = torch.full((8,), 30.0)
    # Perfect D: real/right high, fake and wrong low -> ~0 loss.
    assert losses.matching_d_loss(big, -big, -big) < 1e-6
    # Fooled only by wrong tags: one negative of two is wrong -> half of its BCE.
    half = losses.matching_d_loss(big, -big, big)
    assert math.isclose(float(half), 0.5 * 30.0, rel_tol=1e-4)
    zero = torch.zeros(8)
    assert math.isclose(float(losses.matching_d_loss(zero, zero, zero)), 2 * math.log(2), rel_tol=1e-6)
    assert math.isclose(float(losses.matching_d_loss(zero, zero)), 2 * math.log(2), rel_tol=1e-6)


def test_acgan_class_term():
    logits_h = torch.tensor([[10.0, -10.0]])
    logits_e = torch.tensor([[-10.0, 10.0]])
    right = losses.class_loss(logits_h, logits_e, torch.tensor([0]), torch.tensor([1]))
    wrong = losses.class_loss(logits_h, logits_e, torch.tensor([1]), torch.tensor([0]))
    assert right < 1e-3 and wrong > 30


def test_gradient_penalty_is_zero_for_a_unit_gradient_critic():
    w = torch.zeros(3 * 4 * 4)
    w[0] = 1.0  # D(x) = x[0]: gradient norm exactly 1 everywhere

    def critic(x, c):
        return (x.flatten(1) @ w,)

    real, fake = torch.randn(5, 3, 4, 4), torch.randn(5, 3, 4, 4)
    assert float(losses.gradient_penalty(critic, real, fake, None)) < 1e-10

    def steep(x, c):
        return (3 * x.flatten(1) @ w,)

    assert math.isclose(float(losses.gradient_penalty(steep, real, fake, None)), 4.0, rel_tol=1e-5)


def test_wgan_losses_sign():
    assert losses.wgan_d_loss(torch.ones(4), -torch.ones(4)) == -2
    assert losses.wgan_g_loss(torch.ones(4)) == -1


def test_hinge_losses():
    from cgan.gan.losses import hinge_d_loss, hinge_g_loss

    real, fake, wrong = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0]), torch.tensor([-1.0, 1.0])
    # real: relu(1-2)=0, relu(1-0.5)=0.5 -> 0.25; fake: 0 and 1 -> 0.5; wrong: 0 and 2 -> 1.0
    assert torch.isclose(hinge_d_loss(real, fake), torch.tensor(0.75))
    assert torch.isclose(hinge_d_loss(real, fake, wrong), torch.tensor(0.25 + 0.5 * (0.5 + 1.0)))
    assert torch.isclose(hinge_g_loss(fake), torch.tensor(1.0))

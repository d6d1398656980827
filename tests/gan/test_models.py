from __future__ import annotations

import torch

from cgan.gan.models import BN_MOMENTUM, Discriminator, Generator


def test_course_baseline_shapes_and_layers():
    G = Generator(100, 119, 64)
    assert G.text[0].in_features == 119 and G.text[0].out_features == 256
    assert G.fc.in_features == 356 and G.fc.out_features == 4 * 4 * 512
    convs = [m for m in G.net if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [m.kernel_size for m in convs] == [(5, 5)] * 4
    assert [m.out_channels for m in convs] == [256, 128, 64, 3]
    assert all(m.momentum == BN_MOMENTUM == 0.1 for m in G.modules() if isinstance(m, torch.nn.BatchNorm2d))
    x = G(torch.randn(2, 100), torch.zeros(2, 119))
    assert x.shape == (2, 3, 64, 64) and x.abs().max() <= 1

    D = Discriminator(119, 64)
    assert [m.out_channels for m in D.features if isinstance(m, torch.nn.Conv2d)] == [64, 128, 256, 512]
    assert D.join[0].kernel_size == (1, 1) and D.join[0].in_channels == 512 + 256
    logit, h, e = D(x, torch.zeros(2, 119))
    assert logit.shape == (2,) and h is None and e is None


def test_acgan_heads_and_unconditional():
    D = Discriminator(0, 32, aux=(12, 11))
    logit, h, e = D(torch.randn(3, 3, 64, 64))
    assert logit.shape == (3,) and h.shape == (3, 12) and e.shape == (3, 11)
    G = Generator(100, 0, 32)
    assert G(torch.randn(3, 100)).shape == (3, 3, 64, 64)


def test_wgan_critic_has_no_batch_norm():
    D = Discriminator(23, 32, norm="layer")
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules())
    # Per-sample normalisation: a sample's score does not depend on the rest of the batch.
    x = torch.randn(4, 3, 64, 64)
    c = torch.zeros(4, 23)
    torch.testing.assert_close(D(x, c)[0][:1], D(x[:1], c[:1])[0])


def test_tag_embedding_starts_as_strong_as_the_noise():
    G = Generator(100, 23, 32)
    D = Discriminator(23, 32)
    for layer in (G.text[0], D.text[0]):
        assert 0.9 < float(layer.weight.detach().std()) < 1.1  # N(0, 1), like nn.Embedding
    assert float(G.fc.weight.detach().std()) < 0.1  # the rest keeps its small init


def test_wrong_text_logit_shares_the_image_trunk():
    """D(x, c, c_wrong) scores x under both texts with one trunk pass: the same values, and the same
    gradients, as two separate calls (batch norm sees the same batch either way)."""
    torch.manual_seed(0)
    D = Discriminator(23, 16)
    x = torch.randn(6, 3, 64, 64)
    c, w = torch.eye(23)[:6], torch.eye(23)[6:12]
    right, _, _, wrong = D(x, c, w)
    torch.testing.assert_close(right, D(x, c)[0])
    torch.testing.assert_close(wrong, D(x, w)[0])
    (right.sum() + 2 * wrong.sum()).backward()
    shared = [p.grad.clone() for p in D.parameters()]
    D.zero_grad()
    (D(x, c)[0].sum() + 2 * D(x, w)[0].sum()).backward()
    for a, b in zip(shared, [p.grad for p in D.parameters()]):
        assert (a - b).norm() <= 1e-4 * b.norm()  # equal up to float summation order

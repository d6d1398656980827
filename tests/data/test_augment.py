import pytest
import torch

from cgan.data.augment import cutout, diff_augment, parse_policy, translation


def _x():
    return torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).reshape(2, 3, 8, 8) / 100 + 1


def test_translation_shifts_content_and_is_seeded():
    x = _x()
    a = translation(x, torch.Generator().manual_seed(0), ratio=0.25)
    b = translation(x, torch.Generator().manual_seed(0), ratio=0.25)
    assert torch.equal(a, b) and a.shape == x.shape
    # Every output pixel is an input pixel of the same image and channel, or the zero fill.
    for i in range(2):
        vals = set(x[i].flatten().tolist()) | {0.0}
        assert set(a[i].flatten().tolist()) <= vals


def test_cutout_zeroes_a_square():
    x = torch.ones(4, 3, 8, 8)
    y = cutout(x, torch.Generator().manual_seed(1), ratio=0.5)
    zeros = (y[:, 0] == 0).flatten(1).sum(1)
    assert ((zeros > 0) & (zeros <= 16)).all()  # a 4x4 square, clipped at the border
    assert torch.equal(y[:, 0], y[:, 2])  # the same mask on every channel


def test_gradients_flow_through():
    x = _x().requires_grad_(True)
    diff_augment(x, ("translation", "cutout"), torch.Generator().manual_seed(2)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_policy_parsing():
    assert parse_policy("translation, cutout") == ("translation", "cutout") and parse_policy("") == ()
    with pytest.raises(ValueError, match="colour is left out on purpose"):
        parse_policy("color")

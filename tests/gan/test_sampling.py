from __future__ import annotations

import numpy as np
import pytest

from cgan.core.errors import CganError
from cgan.course.tags import TagLine
from cgan.gan.conditioning import Conditioning
from cgan.gan.models import Generator
from cgan.gan.sampling import generate, noise
from cgan.gan.seeds import tag_seeds


def tags(n):
    return [TagLine(str(i + 1), "blue", "red", i + 1) for i in range(n)]


@pytest.fixture
def model():
    import torch
    torch.manual_seed(0)
    G = Generator(100, 23, 8)
    G.train()
    for _ in range(2):  # non-trivial BatchNorm running statistics
        G(torch.randn(16, 100), torch.rand(16, 23))
    return G, Conditioning("multi", [("blue", "red"), ("green", "red")])


def test_noise_is_per_seed():
    assert np.array_equal(noise(3, 100).numpy(), np.random.RandomState(3).randn(100).astype(np.float32))


def test_image_of_a_line_does_not_depend_on_the_file(model):
    G, c = model
    t25 = tags(25)
    all25 = generate(G, c, tag_seeds(t25, 0), t25)
    one = generate(G, c, tag_seeds(t25[7:8], 0), t25[7:8])
    np.testing.assert_array_equal(all25[7], one[0])
    again = generate(G, c, tag_seeds(t25, 0), t25)
    np.testing.assert_array_equal(all25, again)
    assert not np.array_equal(all25[0], all25[1])  # different ids, different noise
    assert G.training  # the caller's mode is restored


def test_seed_is_base_plus_id_and_must_be_integer():
    assert tag_seeds(tags(3), 10) == [11, 12, 13]
    with pytest.raises(CganError, match=r"t.txt:4: id 'x' must be an integer"):
        tag_seeds([TagLine("x", "blue", "red", 4)], 0, "t.txt")


def test_pair_model_refuses_unseen_pair(model):
    G = Generator(100, 2, 8)
    c = Conditioning("pair", [("blue", "red"), ("green", "red")])
    bad = [TagLine("1", "blonde", "gray", 3)]
    with pytest.raises(CganError, match=r"t.txt:3: the pair 'blonde hair gray eyes' was never seen"):
        generate(G, c, [1], bad, path="t.txt")


def test_float64_images_side_by_side_equal_one_at_a_time(model):
    import torch

    from cgan.core.pixels import render
    from cgan.gan.sampling import render_codes

    G, _ = model
    G = G.double().eval()
    z, c = torch.randn(6, 100, dtype=torch.float64), torch.rand(6, 23, dtype=torch.float64)
    torch.set_num_threads(2)
    side_by_side = render_codes(G, z, c)
    assert torch.get_num_threads() == 2  # the caller's thread count is back
    with torch.no_grad():
        alone = [render(G(z[i:i + 1], c[i:i + 1])) for i in range(6)]
    np.testing.assert_array_equal(side_by_side.images, np.concatenate([r.images for r in alone]))
    np.testing.assert_array_equal(side_by_side.margins, np.concatenate([r.margins for r in alone]))


def test_truncation_scales_the_noise_but_not_a_latent_codes_choice():
    import torch

    from cgan.gan.biggan import BigGenerator
    from cgan.gan.sampling import code_components
    from cgan.gan.seeds import noise_rows, truncate

    torch.manual_seed(0)
    G = BigGenerator(100, 0, 8, latent_codes=(12, 11)).double().eval()
    rows = noise_rows(list(range(40)), 100)
    z = torch.from_numpy(rows)
    assert truncate(rows, 1.0) is rows
    t = torch.from_numpy(truncate(rows, 0.5, code_components(G)))
    assert code_components(G) == 2 and code_components(Generator(100, 23, 8)) == 0
    assert torch.equal(t[:, :2], z[:, :2]) and torch.equal(t[:, 2:], z[:, 2:] * 0.5)
    assert torch.equal(G.codes(t), G.codes(z))  # each seed keeps its hair and eye code
    # generate draws from the truncated noise, codes kept: the same image as that noise rendered directly.
    from cgan.gan.sampling import render_codes
    c = Conditioning("none", [])
    direct = render_codes(G, torch.from_numpy(truncate(rows[[3, 7]], 0.7, 2))).images
    np.testing.assert_array_equal(generate(G, c, [3, 7], truncation=0.7), direct)
    assert not np.array_equal(generate(G, c, [3], truncation=0.7), generate(G, c, [3]))


@pytest.mark.parametrize("psi", [-0.1, 1.5, float("nan")])
def test_truncation_outside_0_to_1_is_refused(model, psi):
    G, c = model
    with pytest.raises(CganError, match="outside 0..1"):
        generate(G, c, [1], tags(1), truncation=psi)

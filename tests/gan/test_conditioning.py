from __future__ import annotations

import pytest
import torch

from cgan.core.errors import CganError
from cgan.course.colors import EYE_INDEX, HAIR_INDEX
from cgan.course.tags import TagLine
from cgan.gan.conditioning import Conditioning

PAIRS = [("blue", "red"), ("aqua", "aqua"), ("blue", "blue"), ("green", "red")]


def idx(pairs):
    return (torch.tensor([HAIR_INDEX[h] for h, _ in pairs]), torch.tensor([EYE_INDEX[e] for _, e in pairs]))


def test_pair_one_hot_in_sorted_vocabulary_order():
    c = Conditioning("pair", PAIRS)
    assert c.dim == 4
    assert c.pairs == [("aqua", "aqua"), ("green", "red"), ("blue", "red"), ("blue", "blue")]  # handout order
    v = c.encode(*idx([("blue", "blue"), ("aqua", "aqua")]))
    assert v.tolist() == [[0, 0, 0, 1], [1, 0, 0, 0]]


def test_multi_is_two_one_hots_and_accepts_unseen_pairs():
    c = Conditioning("multi", PAIRS)
    assert c.dim == 23
    v = c.encode(*idx([("orange", "gray")]))  # never seen in training
    assert v.sum() == 2 and v[0, 0] == 1 and v[0, 12] == 1
    c.check(TagLine("1", "orange", "gray"), "t:1")


def test_pair_refuses_unseen_pair_with_its_name():
    c = Conditioning("pair", PAIRS)
    with pytest.raises(CganError, match=r"t.txt:7: the pair 'orange hair gray eyes' was never seen"):
        c.check(TagLine("7", "orange", "gray", 7), "t.txt:7")


def test_wrong_pairs_always_differ_and_stay_in_vocabulary():
    c = Conditioning("pair", PAIRS)
    h, e = idx(PAIRS * 50)
    wh, we = c.wrong_pairs(h, e, torch.Generator().manual_seed(0))
    assert not bool(((wh == h) & (we == e)).any())
    assert {(int(a), int(b)) for a, b in zip(wh, we)} <= {(HAIR_INDEX[x], EYE_INDEX[y]) for x, y in PAIRS}


def test_config_round_trip():
    c = Conditioning("pair", PAIRS)
    d = Conditioning.from_config(c.to_config())
    assert d.kind == "pair" and d.pairs == c.pairs


def test_none_has_zero_width():
    c = Conditioning("none", [])
    assert c.dim == 0 and not c.conditional
    assert c.encode(*idx(PAIRS)).shape == (4, 0)


def test_tag_codes_without_torch_equal_the_training_encoder():
    import numpy as np

    from cgan.gan.tag_codes import TagCodes

    pairs = [("blue", "red"), ("green", "red"), ("blonde", "gray")]
    lines = [TagLine(str(i), h, e, i) for i, (h, e) in enumerate(pairs + [("blue", "red")])]
    for kind in ("multi", "pair", "none"):
        want = Conditioning(kind, pairs).encode_tags(lines).double().numpy()
        np.testing.assert_array_equal(TagCodes(kind, pairs).onehots(lines), want.reshape(len(lines), -1))

import numpy as np
import pytest

from cgan.core.errors import CganError
from cgan.data.tagged import combine
from cgan.evaluation.tagnet import load_classifier
from cgan.evaluation.tagnet_training import split

from helpers import load


def test_heldout_accuracy_on_procedural_faces(synth_classifier):
    clf = load_classifier(synth_classifier)
    h = clf.heldout
    print(f"reference classifier, held-out procedural faces: hair {h['hair']:.1%}, eyes {h['eyes']:.1%}, "
          f"both {h['both']:.1%} on {h['n']} images")
    assert h["n"] == 160
    assert h["hair"] >= 0.95 and h["eyes"] >= 0.95


def test_checkpoint_carries_split_and_reference(synth_classifier):
    clf = load_classifier(synth_classifier)
    split_info = clf.info["split"]
    assert split_info["train"] + split_info["heldout"] == 1600 and len(split_info["heldout_ids"]) == 160
    ref = clf.reference
    d = clf.net.feature_dim
    assert np.asarray(ref["mu"]).shape == (d,) and np.asarray(ref["sigma"]).shape == (d, d)
    assert all(v[1] > 0 and v[2] > 0 for v in ref["per_tag"].values())


def test_split_is_seeded_and_disjoint():
    a_tr, a_va = split(100, 0.1, 3)
    b_tr, b_va = split(100, 0.1, 3)
    assert (a_va == b_va).all() and len(a_va) == 10
    assert not set(a_tr) & set(a_va) and len(a_tr) + len(a_va) == 100
    assert not (split(100, 0.1, 4)[1] == a_va).all()


def test_generator_checkpoint_is_not_a_classifier(tmp_path, synth_extra):
    from helpers import quick_train

    ckpt = quick_train(load(synth_extra), tmp_path / "run", max_steps=1)
    with pytest.raises(CganError, match="architecture 'dcgan64' is not 'tagnet'"):
        load_classifier(ckpt)


def test_combine_keeps_ids_apart(synth_extra, synth_faces):
    both = combine([load(synth_extra), load(synth_faces)])
    assert len(both) == 256 + 128 == len(both.records)
    assert len({r.id for r in both.records}) == len(both)

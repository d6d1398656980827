"""The release bar judges one generator in stages: the handout grids first, the 132 pairs and KID only
for a model that passed them."""

from __future__ import annotations

import torch

from cgan.core.devices import EXACT_DTYPE
from cgan.course.tags import read_testing_tags
from cgan.evaluation.release_bar import RELEASE_BAR, all_pairs, release_bar
from cgan.evaluation.tagnet import load_classifier
from cgan.gan.biggan import BigGenerator
from cgan.gan.conditioning import Conditioning

from conftest import ROOT


def _random_g() -> tuple[BigGenerator, Conditioning]:
    torch.manual_seed(0)
    cond = Conditioning("multi", [])
    return BigGenerator(100, cond.dim, 8).to(EXACT_DTYPE).eval(), cond


def test_all_pairs_cover_the_132_pairs_evenly():
    tags = all_pairs(264)
    assert len({t.pair for t in tags}) == 132 and tags[0].pair == tags[132].pair


def test_a_model_failing_the_handout_grids_is_not_measured_further(synth_classifier):
    G, cond = _random_g()
    tags_path = ROOT / "hw3" / "testing_tags.txt"
    clf = load_classifier(synth_classifier)
    res = release_bar(G, cond, clf, None, read_testing_tags(tags_path), str(tags_path))
    assert res["release_bar"] is False and len(res["handout_both"]) == RELEASE_BAR["handout_seeds"]
    assert "pairs_both" not in res and "kid" not in res


def test_unstaged_it_measures_the_pairs_and_spread_but_cannot_pass_without_kid(synth_classifier):
    G, cond = _random_g()
    tags_path = ROOT / "hw3" / "testing_tags.txt"
    bar = {**RELEASE_BAR, "pairs_n": 132, "handout_seeds": 1}
    res = release_bar(G, cond, load_classifier(synth_classifier), None, read_testing_tags(tags_path), str(tags_path),
                      bar=bar, staged=False)
    assert {"pairs_hair", "pairs_eyes", "pairs_both", "spread_ratio", "near_duplicates"} <= set(res)
    assert 0.0 <= res["pairs_both"] <= 1.0 and res["release_bar"] is False and "kid" not in res

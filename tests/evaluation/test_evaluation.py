import json

import numpy as np
import pytest
from click.testing import CliRunner

from cgan.cli import cli
from cgan.core.errors import CganError
from cgan.core.images import make_grid, save_png
from cgan.course.tags import TagLine, read_testing_tags
from cgan.data.synth_faces import synth_dataset
from cgan.evaluation.scoring import diversity, evaluate
from cgan.evaluation.sources import grid_tiles, real_samples
from cgan.evaluation.summary import summary_lines
from cgan.evaluation.tagnet import load_classifier

from conftest import ROOT
from helpers import load

TAGS = ROOT / "hw3" / "testing_tags.txt"


@pytest.fixture(scope="module")
def fresh_faces(tmp_path_factory):
    """Procedural faces the classifier never saw."""
    return load(synth_dataset(tmp_path_factory.mktemp("fresh"), 300, "extra", seed=77))


def test_right_colours_score_high(synth_classifier, fresh_faces):
    clf = load_classifier(synth_classifier)
    images, tags = real_samples(fresh_faces, None, 200, seed=0)
    res = evaluate(images, tags, clf)
    acc = res["tag_accuracy"]
    print(f"tag accuracy on unseen procedural faces: {acc}")
    assert acc["hair"] >= 0.9 and acc["eyes"] >= 0.9
    assert not res["diversity"]["collapse"] and res["diversity"]["near_duplicates"] == 0


def test_wrong_tags_score_low(synth_classifier, fresh_faces):
    clf = load_classifier(synth_classifier)
    images, tags = real_samples(fresh_faces, None, 100, seed=0)
    lie = [TagLine(t.id, "blonde" if t.hair != "blonde" else "red", t.eyes) for t in tags]
    assert evaluate(images, lie, clf)["tag_accuracy"]["hair"] <= 0.1


def test_copies_of_one_image_are_flagged(synth_classifier, fresh_faces):
    clf = load_classifier(synth_classifier)
    tags = read_testing_tags(TAGS)
    images = np.repeat(fresh_faces.images[:1], 25, axis=0)
    d = evaluate(images, tags, clf)["diversity"]
    assert d["collapse"] and d["feature_ratio"] < 1e-5
    assert d["near_duplicates"] == 5 * 10  # 5 tags x C(5, 2) identical pairs
    assert len(d["collapsed_tags"]) == 5


def test_fd_is_lower_for_real_than_for_noise(synth_classifier, fresh_faces):
    clf = load_classifier(synth_classifier)
    real = evaluate(fresh_faces.images[:200], None, clf)["fd_tagnet"]["value"]
    noise = np.random.RandomState(0).randint(0, 256, (200, 64, 64, 3)).astype(np.uint8)
    fake = evaluate(noise, None, clf)["fd_tagnet"]["value"]
    assert real * 5 < fake


def test_grid_tiles_round_trip_and_errors(tmp_path, fresh_faces):
    imgs = fresh_faces.images[:25]
    save_png(make_grid(imgs), tmp_path / "g.png")
    tiles, layout, grid = grid_tiles(tmp_path / "g.png", 25)
    assert (tiles == imgs).all() and layout == "320x320, tight grid of 64px tiles" and grid.shape == (320, 320, 3)
    save_png(np.zeros((64, 256, 3), np.uint8), tmp_path / "narrow.png")
    with pytest.raises(CganError, match="narrow.png: 256x64: could not find a 5x5 grid"):
        grid_tiles(tmp_path / "narrow.png")
    (tmp_path / "text.png").write_text("hello")
    with pytest.raises(CganError, match="not a readable image"):
        grid_tiles(tmp_path / "text.png")


def test_cli_eval_real_and_checkpoint(tmp_path, synth_classifier, fresh_faces, synth_extra):
    from helpers import quick_train

    runner = CliRunner()
    out = tmp_path / "real.json"
    r = runner.invoke(cli, ["eval", "--real", str(synth_extra), "--tags", str(TAGS), "--classifier",
                            str(synth_classifier), "--no-faces", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "tag accuracy: hair" in r.output and "fd_tagnet" in r.output
    res = json.loads(out.read_text())
    assert res["source"]["real"] == str(synth_extra) and res["images"] == 25
    assert res["tag_accuracy"]["both"] >= 0.8 and res["faces_error"] == "--no-faces"
    ckpt = quick_train(load(synth_extra), tmp_path / "run", max_steps=2)
    r = runner.invoke(cli, ["eval", "--ckpt", str(ckpt), "--n", "40", "--classifier", str(synth_classifier),
                            "--no-faces", "-o", str(tmp_path / "ck.json")])
    assert r.exit_code == 0, r.output
    res = json.loads((tmp_path / "ck.json").read_text())
    assert res["images"] == 40 and "tag_accuracy" in res
    r = runner.invoke(cli, ["eval", "--classifier", str(synth_classifier)])
    assert r.exit_code == 2 and "exactly one of GRID, --ckpt or --real" in r.output


def test_summary_names_the_fallback(synth_classifier, fresh_faces):
    res = evaluate(fresh_faces.images[:30], None, load_classifier(synth_classifier))
    text = "\n".join(summary_lines(res))
    assert "not Inception FID" in text and "held-out" in text


def test_a_pair_without_real_images_is_judged_against_a_typical_tag(synth_classifier, fresh_faces):
    """Real faces of one tag, scored as if the reference data lacked that pair (as the extra data lacks
    gray eyes), keep a ratio near their own tag's; the whole set's spread, the old yardstick, also
    spans the differences between tags and would about halve it."""
    clf = load_classifier(synth_classifier)
    images, tags = real_samples(fresh_faces, None, 300, seed=0)
    pair = max({t.pair for t in tags}, key=lambda p: sum(t.pair == p for t in tags))
    own = [i for i, t in enumerate(tags) if t.pair == pair]
    key = "|".join(pair)
    features = clf.predict(images[own]).features
    ref = clf.reference
    without = {**ref, "per_tag": {k: v for k, v in ref["per_tag"].items() if k != key}}
    as_seen = diversity(images[own], features, {key: list(range(len(own)))}, ref)["per_tag"][0]
    as_unseen = diversity(images[own], features, {key: list(range(len(own)))}, without)["per_tag"][0]
    assert as_seen["reference"] == "same tag" and as_unseen["reference"].startswith("typical real tag")
    typical = np.mean([v[1] for v in without["per_tag"].values()])
    assert as_unseen["feature_ratio"] == pytest.approx(as_unseen["feature_spread"] / typical)
    assert ref["all"][1] > 1.3 * typical  # why the whole set's spread is the wrong yardstick for one tag
    print(f"{len(own)} real faces of {pair}: ratio {as_seen['feature_ratio']:.2f} against their tag, "
          f"{as_unseen['feature_ratio']:.2f} against a typical tag, {as_unseen['feature_spread'] / ref['all'][1]:.2f} "
          f"against all real images")
    assert as_unseen["feature_ratio"] > 0.6 and not as_unseen["collapse"]
    # With no tags at all the whole set's spread is still the yardstick.
    assert evaluate(images[:50], None, clf)["diversity"]["per_tag"][0]["reference"] == "all real images"

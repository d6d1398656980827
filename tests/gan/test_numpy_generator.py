"""The numpy forward pass against the torch generator: the same images, byte for byte, and the same
refusals; torch is left to the models numpy does not draw, and not imported when numpy draws."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from cgan.core.checkpoint_io import save_checkpoint
from cgan.core.errors import CganError
from cgan.gan.biggan import BigGenerator
from cgan.gan.grids import generate_grid
from cgan.gan.numpy_generator import NumpyGenerator
from cgan.gan.samplers import load_sampler
from cgan.gan.torch_sampler import TorchSampler
from cgan.release.manifest import resolve_checkpoint

from conftest import ROOT, write

PAIRS = [["blue", "red"], ["green", "red"], ["blonde", "gray"], ["pink", "aqua"]]
TAGS = "1,blue hair red eyes\n2,pink hair aqua eyes\n3,green hair red eyes\n4,blonde hair gray eyes\n"


def _checkpoint(path, kind: str, latent_codes=None, half: bool = True):
    """A small random BigGAN generator file, with batch-norm statistics and spectral-norm vectors moved
    off their starting values by two training-mode passes; fp16 weights like a release file's."""
    torch.manual_seed(0)
    dim = {"multi": 23, "pair": len(PAIRS), "none": 0}[kind]
    G = BigGenerator(100, dim, 4, latent_codes=latent_codes)
    G.train()
    with torch.no_grad():
        for _ in range(2):
            G(torch.randn(8, 100), torch.rand(8, dim) if dim else None)
    state = {k: (v.half() if half and v.is_floating_point() else v) for k, v in G.state_dict().items()}
    cfg = {"arch": "biggan64", "z_dim": 100, "base_channels": 4, "cond": {"kind": kind, "pairs": PAIRS}}
    if latent_codes:
        cfg["latent_codes"] = list(latent_codes)
    save_checkpoint({"format_version": 1, "kind": "generator", "config": cfg, "G": state}, path)
    return path


@pytest.mark.parametrize("kind,codes,half", [("multi", None, True), ("pair", None, False), ("none", None, True),
                                             ("none", (12, 11), True)])
def test_numpy_and_torch_draw_the_same_png(tmp_path, kind, codes, half):
    ckpt = _checkpoint(tmp_path / "g.pt", kind, codes, half)
    tags = write(tmp_path / "tags.txt", TAGS) if kind != "none" else None
    assert isinstance(load_sampler(ckpt), NumpyGenerator) and isinstance(load_sampler(ckpt, "torch"), TorchSampler)
    for truncation in (1.0, 0.6):
        a = generate_grid(ckpt, tags, seed=3, n=9, truncation=truncation, engine="numpy")
        b = generate_grid(ckpt, tags, seed=3, n=9, truncation=truncation, engine="torch")
        assert a.names == b.names and len(a.rendered.images) == (4 if tags else 9)
        np.testing.assert_array_equal(a.rendered.images, b.rendered.images)
        np.testing.assert_allclose(a.rendered.margins, b.rendered.margins, rtol=0, atol=1e-9)
        assert len(np.unique(a.rendered.images.reshape(len(a.rendered.images), -1), axis=0)) > 1


def test_forward_matches_the_torch_module_to_float64_rounding(tmp_path):
    ckpt = _checkpoint(tmp_path / "g.pt", "multi", half=False)
    gen, torch_G = load_sampler(ckpt), load_sampler(ckpt, "torch").G
    z, c = np.random.RandomState(0).randn(3, 100), np.random.RandomState(1).rand(3, 23)
    with torch.no_grad():
        want = torch_G(torch.from_numpy(z), torch.from_numpy(c)).numpy()
    np.testing.assert_allclose(gen.forward(z, c), want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name,tags,truncation", [("cgan", True, 1.0), ("gan", False, 0.6)])
def test_bundled_models_draw_the_same_png_with_either_engine(name, tags, truncation):
    tags_file = ROOT / "hw3" / "testing_tags.txt" if tags else None
    a, b = (generate_grid(resolve_checkpoint(name), tags_file, n=25, truncation=truncation, engine=e) for e in ("numpy", "torch"))
    np.testing.assert_array_equal(a.rendered.images, b.rendered.images)
    assert a.rendered.margin > 1e-9


def test_models_numpy_does_not_draw_go_to_torch(tmp_path):
    assert isinstance(load_sampler(resolve_checkpoint("baseline")), TorchSampler)  # the course DCGAN
    with pytest.raises(CganError, match="the numpy engine draws BigGAN tag and unconditional generators only"):
        load_sampler(resolve_checkpoint("baseline"), "numpy")
    ckpt = _checkpoint(tmp_path / "g.pt", "multi")
    assert isinstance(load_sampler(ckpt, wants_text=True), TorchSampler)  # prompts need the text encoder
    with pytest.raises(CganError, match="no such checkpoint"):
        load_sampler(tmp_path / "missing.pt", "numpy")
    with pytest.raises(CganError, match="no such checkpoint"):
        load_sampler(tmp_path / "missing.pt")  # auto: torch's loader names the fault
    with pytest.raises(CganError, match="unknown engine 'jax'"):
        load_sampler(ckpt, "jax")


def test_a_damaged_or_mismatched_file_gets_torchs_error(tmp_path):
    ckpt = _checkpoint(tmp_path / "g.pt", "multi")
    obj = torch.load(ckpt, weights_only=True)
    obj["config"]["base_channels"] = 8  # weights of another width than the config builds
    save_checkpoint(obj, tmp_path / "wide.pt")
    with pytest.raises(CganError, match="weights do not fit the architecture"):
        generate_grid(tmp_path / "wide.pt", write(tmp_path / "t.txt", TAGS))
    with pytest.raises(CganError, match="not a readable checkpoint"):
        generate_grid(write(tmp_path / "page.pt", "<html>"), write(tmp_path / "t.txt", TAGS))


def test_refusals_are_the_same_on_both_engines(tmp_path):
    ckpt = _checkpoint(tmp_path / "g.pt", "pair")
    bad = write(tmp_path / "bad.txt", "1,blue hair red eyes\n2,orange hair black eyes\n")
    for engine in ("numpy", "torch"):
        with pytest.raises(CganError, match=r"bad.txt:2: the pair 'orange hair black eyes' was never seen"):
            generate_grid(ckpt, bad, engine=engine)
        with pytest.raises(CganError, match="a conditional model needs a tags file"):
            generate_grid(ckpt, engine=engine)


def test_generate_runs_without_importing_torch(tmp_path):
    code = ("import sys\nfrom cgan.cli import cli\n"
            "try:\n    cli(['generate', 'hw3/testing_tags.txt', '-o', sys.argv[1]])\nexcept SystemExit as e:\n"
            "    assert not e.code, e.code\n"
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "g.png")], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
    assert (tmp_path / "g.png").read_bytes() == (ROOT / "samples" / "cgan_original.png").read_bytes()

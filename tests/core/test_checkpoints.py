from __future__ import annotations

import os

import pytest
import torch

from cgan.core.checkpoint_io import save_checkpoint
from cgan.core.errors import CganError
from cgan.gan.build import load_generator, load_run
from cgan.gan.sampling import generate
from cgan.release.export import export_generator

from helpers import load, quick_train


@pytest.fixture(scope="module")
def ckpt(synth_extra, tmp_path_factory):
    return quick_train(load(synth_extra), tmp_path_factory.mktemp("run"), cond="multi", max_steps=4, ema=0.9)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/cgan-pwned",))


def test_pickle_with_code_is_refused(tmp_path):
    p = tmp_path / "evil.pt"
    torch.save({"format_version": 1, "config": {"arch": "dcgan64"}, "x": _Evil()}, p)
    with pytest.raises(CganError, match="refused to load: not a plain-tensor checkpoint"):
        load_run(p)
    assert not os.path.exists("/tmp/cgan-pwned")


@pytest.mark.parametrize("mutate, message", [
    (lambda s: s.update(format_version=99), "format 99 is newer"),
    (lambda s: s["config"].update(arch="stylegan2"), "architecture 'stylegan2'"),
    (lambda s: s.pop("config"), "not a cgan checkpoint"),
    (lambda s: s["config"].update(base_channels=16), "weights do not fit"),
])
def test_incompatible_checkpoints_are_explained(ckpt, tmp_path, mutate, message):
    s = load_run(ckpt)
    s.pop("G_ema", None)
    mutate(s)
    p = tmp_path / "x.pt"
    save_checkpoint(s, p)
    with pytest.raises(CganError, match=message):
        load_generator(p)


@pytest.mark.parametrize("content", [b"", b"<!DOCTYPE html><html>Not found</html>", b"PK\x03\x04 truncated zip"])
def test_garbage_files(tmp_path, content):
    p = tmp_path / "bad.pt"
    p.write_bytes(content)
    with pytest.raises(CganError, match="not a readable checkpoint"):
        load_run(p)


def test_export_fp16_is_small_and_close(ckpt, tmp_path):
    out = tmp_path / "g.pt"
    export_generator(ckpt, out)
    exported = load_run(out)
    assert exported["kind"] == "generator" and "D" not in exported and "opt_G" not in exported
    assert all(v.dtype == torch.float16 for v in exported["G"].values() if v.is_floating_point())
    assert out.stat().st_size < ckpt.stat().st_size / 3
    G32, c, _ = load_generator(ckpt)
    G16, _, _ = load_generator(out)
    a = generate(G32, c, [0, 1, 2], [t for t in _tags(3)]).astype(int)
    b = generate(G16, c, [0, 1, 2], [t for t in _tags(3)]).astype(int)
    assert abs(a - b).max() <= 8  # fp16 storage moves a pixel by a few levels at most


def _tags(n):
    from cgan.course.tags import TagLine
    return [TagLine(str(i), "blue", "red", i + 1) for i in range(n)]

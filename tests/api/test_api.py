"""The Python API on the bundled models: the same pixels as the command line, the seeds it documents,
and one-line errors for what a model cannot do."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cgan.api import evaluate, load
from cgan.core.errors import CganError
from cgan.core.images import make_grid, png_bytes
from cgan.course.tags import read_testing_tags
from cgan.evaluation.reproducibility import RUN_GAN_TRUNCATION

from conftest import ROOT

HANDOUT = ROOT / "hw3" / "testing_tags.txt"


@pytest.fixture(scope="module")
def cgan_model():
    return load("cgan")


def test_a_tags_file_gives_run_cgan_shs_grid(cgan_model):
    images = cgan_model.generate(HANDOUT, seed=0)
    assert png_bytes(make_grid(images.array)) == (ROOT / "samples" / "cgan_original.png").read_bytes()
    assert images.seeds == [int(t.id) for t in read_testing_tags(HANDOUT)]


def test_a_list_of_a_files_lines_gives_the_files_images(cgan_model):
    lines = read_testing_tags(HANDOUT)[:4]
    from_file = cgan_model.generate(HANDOUT, seed=0).array[:4]
    as_text = cgan_model.generate([t.text for t in lines], seed=0)
    as_pairs = cgan_model.generate([(t.hair, t.eyes) for t in lines], seed=0)
    assert np.array_equal(as_text.array, from_file) and np.array_equal(as_pairs.array, from_file)
    assert as_text.labels == [t.text for t in lines]


def test_images_views_agree(cgan_model):
    im = cgan_model.generate(["blue hair red eyes", "pink hair green eyes"], seed=3)
    assert im.array.shape == (2, 64, 64, 3) and im.array.dtype == np.uint8
    x = im.tensor
    assert tuple(x.shape) == (2, 3, 64, 64) and -1 <= float(x.min()) and float(x.max()) <= 1
    assert np.array_equal(np.asarray(im.pil()[1]), im.array[1])
    assert im.grid(cols=2).size == (128, 64)


def test_save_writes_the_grid(cgan_model, tmp_path):
    images = cgan_model.generate(["blue hair red eyes"] * 5, seed=0)
    path = images.save(tmp_path / "g.png")
    assert path.read_bytes() == png_bytes(make_grid(images.array))
    with Image.open(images.save(tmp_path / "g.webp")) as im:  # by its name: lossless WebP
        assert im.format == "WEBP" and np.array_equal(np.asarray(im.convert("RGB")), make_grid(images.array))
    with pytest.raises(CganError, match="g.gif: cannot write an image with '.gif'"):
        images.save(tmp_path / "g.gif")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.png", "g.webp"]


def test_unconditional_seeds_and_kinds():
    gan = load("gan")
    assert gan.kind == "none"
    a, b = gan.generate(n=3, seed=10), gan.generate(n=1, seed=12)
    assert a.seeds == [10, 11, 12] and np.array_equal(a.array[2], b.array[0])
    # run_gan.sh's pixels from Python: its seeds and truncation.
    grid = png_bytes(make_grid(gan.generate(n=25, seed=0, truncation=RUN_GAN_TRUNCATION).array))
    assert grid == (ROOT / "samples" / "gan_original.png").read_bytes()
    with pytest.raises(CganError, match="truncation 1.5 is outside 0..1"):
        gan.generate(n=1, truncation=1.5)


def test_what_a_model_cannot_do_is_a_one_line_error(cgan_model):
    with pytest.raises(CganError, match="unknown hair colour 'teal'"):
        cgan_model.generate(["teal hair red eyes"])
    with pytest.raises(CganError, match="needs tags"):
        cgan_model.generate(n=3)
    with pytest.raises(CganError, match="text needs a sentence model"):
        cgan_model.generate(text="pink hair")
    with pytest.raises(CganError, match="a sentence model"):
        load("sentence").generate(["blue hair red eyes"])
    with pytest.raises(CganError, match="unknown release name"):
        load("no-such-model")


def test_evaluate_judges_images_and_grids_alike(cgan_model):
    tags = [t.text for t in read_testing_tags(HANDOUT)]
    images = cgan_model.generate(tags, seed=0)
    mine = evaluate(images, tags=tags, faces=False)
    grid = evaluate(ROOT / "samples" / "cgan_original.png", tags=HANDOUT, faces=False)
    assert mine.tags == grid.tags and mine.tags["n"] == 25
    assert mine.faces is None and mine.faces_error is None  # not asked for, so no error either
    with pytest.raises(CganError, match="25 images but 3 tags"):
        evaluate(images, tags=tags[:3], faces=False)


def test_what_evaluate_lacks_is_named(cgan_model, tmp_path, monkeypatch):
    """A cascade file that does not load is an error; a cascade that cannot be fetched leaves the faces
    uncounted and says to pass `cascade=`; no scipy names the requirements file to install."""
    import importlib.util
    import json

    from cgan.release import manifest as release

    images = cgan_model.generate(["blue hair red eyes", "pink hair green eyes"], seed=0)
    (tmp_path / "bad.xml").write_text("<opencv_storage></opencv_storage>\n")
    with pytest.raises(CganError, match="bad.xml: not a loadable OpenCV cascade"):
        evaluate(images, cascade=tmp_path / "bad.xml")
    entries = release.load_manifest()
    entries["lbpcascade_animeface"]["url"] = "https://cgan-test.invalid/lbpcascade_animeface.xml"  # never resolves
    (tmp_path / "manifest.json").write_text(json.dumps({"entries": entries}))
    monkeypatch.setattr(release, "MANIFEST", tmp_path / "manifest.json")
    scores = evaluate(images)
    assert scores.faces is None and "no network" in scores.faces_error
    assert "evaluate(..., cascade=FILE)" in scores.faces_error
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "scipy" else find_spec(name, *a))
    with pytest.raises(CganError, match=r"needs scipy .*pip install -r requirements-eval.txt"):
        evaluate(images, faces=False)

from __future__ import annotations

import numpy as np
import pytest

from cgan.core.errors import CganError
from cgan.data.synth_faces import synth_dataset
from cgan.data.tagged import load_tagged_folder

from conftest import shared, write


def test_loads_both_formats_resized_to_64(synth_extra, synth_faces):
    for d, fmt in ((synth_extra, "extra"), (synth_faces, "faces")):
        data = load_tagged_folder(d, log=lambda m: None)
        assert data.images.shape == (len(data), 64, 64, 3) and data.images.dtype == np.uint8
        assert data.summary["format"] == fmt
        assert len(data.hair) == len(data.eyes) == len(data)


def test_second_load_comes_from_cache_and_is_equal(synth_extra):
    a = load_tagged_folder(synth_extra, log=lambda m: None)
    b = load_tagged_folder(synth_extra, log=lambda m: None)
    assert b.summary["source"] == "cache"
    np.testing.assert_array_equal(a.images, b.images)


def test_cache_notices_changed_tags(tmp_path):
    d = synth_dataset(tmp_path / "d", 8, "extra", seed=3)
    load_tagged_folder(d, log=lambda m: None)
    lines = (d / "tags.csv").read_text().splitlines()
    (d / "tags.csv").write_text("\n".join(lines[:4]) + "\n")
    again = load_tagged_folder(d, log=lambda m: None)
    assert len(again) == 4 and again.summary["source"] == "files"


def test_missing_image_names_tags_line(tmp_path):
    d = synth_dataset(tmp_path / "d", 5, "extra", seed=3)
    (d / "images" / "3.jpg").unlink()
    with pytest.raises(CganError, match=r"tags.csv:4: image '3' not found"):
        load_tagged_folder(d, log=lambda m: None)


def test_corrupt_image_names_tags_line(tmp_path):
    d = synth_dataset(tmp_path / "d", 5, "extra", seed=3)
    write(d / "images" / "2.jpg", b"this is not a jpeg")
    with pytest.raises(CganError, match=r"tags.csv:3: cannot read image"):
        load_tagged_folder(d, cache=False, log=lambda m: None)


def test_untagged_folder_for_unconditional(tmp_path):
    d = synth_dataset(tmp_path / "d", 6, "faces", seed=3)
    (d / "tags.csv").unlink()
    with pytest.raises(CganError, match="needs tags"):
        load_tagged_folder(d, log=lambda m: None)
    assert len(load_tagged_folder(d, require_tags=False, log=lambda m: None)) == 6


def test_real_faces_folder_loads():
    data = load_tagged_folder(shared("faces"), log=lambda m: None)
    assert data.images.shape == (11418, 64, 64, 3)
    assert len(data.pairs) == 128

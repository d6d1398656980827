import numpy as np
import pytest
import torch

from cgan.core.errors import CganError
from cgan.data.captioned import load_captioned_folder
from cgan.data.synth_flowers import PETAL_RGB, draw_flower, read_petals, synth_captioned
from cgan.text.embeddings import embed_texts


class CountingEncoder:
    """A stand-in encoder: a fixed random vector per text, counting how many texts it was asked for."""

    name, dim, truncated = "counting-test", 8, []

    def __init__(self):
        self.calls = 0

    def encode(self, texts):
        self.calls += len(texts)
        return np.stack([np.random.RandomState(abs(hash(t)) % 2**32).randn(self.dim) for t in texts]).astype(np.float32)


def test_txt_captions_in_reed_layout(tmp_path):
    synth_captioned(tmp_path / "d", 12, seed=1)
    (tmp_path / "d" / "text" / "image_00003.txt").unlink()  # an image without captions is dropped
    data = load_captioned_folder(tmp_path / "d", log=lambda m: None)
    assert len(data) == 11 and data.images.shape == (11, 64, 64, 3)
    assert all(len(c) == 5 for c in data.captions) and data.summary["dropped"]["images without captions"] == 1
    assert len(data.preview(5)) == 5 and len(set(data.preview(5))) == 5


def test_csv_captions_and_a_bad_line(tmp_path):
    synth_captioned(tmp_path / "d", 3)
    for p in (tmp_path / "d" / "text").iterdir():
        p.unlink()
    csv = tmp_path / "d" / "captions.csv"
    csv.write_text("image,caption\nimage_00000.png,a red flower, with a comma\nimage_00000.png,two\n"
                   "image_00002.png,three\n")
    data = load_captioned_folder(tmp_path / "d", log=lambda m: None)
    assert data.ids == ["image_00000", "image_00002"] and data.captions[0] == ["a red flower, with a comma", "two"]
    csv.write_text("image,caption\nimage_00000.png,fine\nimage_00001.png\n")
    with pytest.raises(CganError, match=r"captions.csv:3: expected 'image,caption'"):
        load_captioned_folder(tmp_path / "d", log=lambda m: None)


def test_embeddings_are_cached_by_encoder_and_caption(tmp_path, monkeypatch):
    monkeypatch.setenv("CGAN_CACHE", str(tmp_path / "cache"))
    enc = CountingEncoder()
    a = embed_texts(["red", "blue", "red"], enc, log=lambda m: None)
    assert enc.calls == 2 and np.array_equal(a[0], a[2])
    b = embed_texts(["blue", "red", "green"], enc, log=lambda m: None)
    assert enc.calls == 3  # only "green" was new
    assert np.array_equal(b[0], a[1]) and np.array_equal(b[1], a[0])
    assert (tmp_path / "cache" / "text" / "counting-test.sqlite").exists()


def test_each_epoch_draws_one_of_each_images_captions(tmp_path):
    synth_captioned(tmp_path / "d", 6)
    data = load_captioned_folder(tmp_path / "d", log=lambda m: None)
    data.emb = np.arange(30, dtype=np.float32)[:, None].repeat(4, 1)  # row k holds k: its caption index
    g = torch.Generator().manual_seed(0)
    picks = torch.stack([data.epoch_labels(g, torch.device("cpu"))[0][:, 0] for _ in range(40)]).long()
    for i in range(6):
        assert set(picks[:, i].tolist()) == set(range(5 * i, 5 * i + 5))  # all 5, never another image's


def test_petal_colour_reads_back_from_pixels():
    rng = np.random.RandomState(0)
    names = list(PETAL_RGB)
    assert all(read_petals(draw_flower(names[i % 7], "yellow", rng)) == names[i % 7] for i in range(70))

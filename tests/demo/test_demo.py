"""`cgan demo`: what its tabs compute (byte-identical to the CLI, clear errors), and the page itself in
headless Chromium, offline: it loads, draws a grid equal to `cgan generate`'s bytes, shows a bad upload's
message, keeps serving, and asks nothing of any host but 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.parse

import numpy as np
import pytest
from PIL import Image

from cgan.core.errors import CganError
from cgan.release.manifest import resolve_checkpoint

from conftest import ROOT

pytest.importorskip("gradio", reason="Gradio is not installed (pip install -r requirements-demo.txt)")
from cgan.demo import pages  # noqa: E402


@pytest.fixture(scope="module")
def models():
    return pages.Models(resolve_checkpoint("cgan"), resolve_checkpoint("transfer"), "cgan")


def _cli_generate(tags_text: str, seed: int, tmp_path, *more: str) -> bytes:
    (tmp_path / "tags.txt").write_text(tags_text)
    subprocess.run([sys.executable, "-m", "cgan", "generate", str(tmp_path / "tags.txt"), "--seed", str(seed),
                    *more, "-o", str(tmp_path / "cli.png")], cwd=ROOT, check=True, capture_output=True)
    return (tmp_path / "cli.png").read_bytes()


def test_tag_grid_is_the_png_cgan_generate_writes(models, tmp_path):
    r, text = pages.tag_grid(models, "random", "red", 7, 11)
    assert text.count("\n") == 7 and all(line.endswith("red eyes") for line in text.splitlines())
    assert r.png == _cli_generate(text, 11, tmp_path)
    t, text = pages.tag_grid(models, "random", "red", 7, 11, truncation=0.5)
    assert "--truncation 0.5" in t.note and t.png != r.png
    assert t.png == _cli_generate(text, 11, tmp_path, "--truncation", "0.5")


def test_random_picks_only_pairs_the_model_knows(models):
    lines = pages.tag_lines(models, "random", "random", 100, 3)
    hairs, eyes = models.colours()
    known = set(models.cond.pairs) if models.kind == "pair" else {(h, e) for h in hairs for e in eyes}
    assert {t.pair for t in lines} <= known and len({t.pair for t in lines}) > 30
    pair_model = pages.Models(resolve_checkpoint("baseline"), None, "baseline")  # one-hot over its 119 pairs
    with pytest.raises(CganError, match="never saw"):
        pages.tag_lines(pair_model, "blue", "gray", 1, 0)  # no gray eyes in the extra data


def test_uploads_of_every_kind(models, tmp_path):
    (tmp_path / "x.png").write_text("not an image")
    with pytest.raises(CganError, match="x.png: not a readable image"):
        pages.transfer(models, tmp_path / "x.png", ["blue"], "red")
    Image.new("1", (5000, 4000)).save(tmp_path / "big.png")  # small file, 20 million pixels
    with pytest.raises(CganError, match="too large"):
        pages.transfer(models, tmp_path / "big.png", ["blue"], "red")
    with pytest.raises(CganError, match="upload a face"):
        pages.transfer(models, None, ["blue"], "red")
    face = np.random.RandomState(0).randint(0, 255, (96, 96, 3), dtype=np.uint8)
    for mode in ("RGB", "RGBA", "LA", "P", "CMYK", "I;16"):
        im = Image.fromarray(face).convert(mode) if mode != "I;16" else Image.fromarray(face[..., 0].astype(np.uint16) * 256)
        path = tmp_path / f"face-{mode.replace(';', '')}.{'jpg' if mode == 'CMYK' else 'png'}"
        im.save(path)
        r = pages.transfer(models, path, ["blue", "pink"], "red")
        assert r.image.shape == (64, 3 * 64, 3), mode


def test_a_model_of_the_wrong_kind_says_so(models):
    with pytest.raises(CganError, match="not sentences"):
        pages.prompts(models, "a girl with pink hair", 5, 0)
    no_transfer = pages.Models(resolve_checkpoint("gan"), None, "gan")
    with pytest.raises(CganError, match="no colour-transfer model"):
        pages.transfer(no_transfer, None, ["blue"], "red")


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("Chromium is not installed (apt-get install chromium): the demo page is not opened in a browser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_page_in_a_browser_offline(models, tmp_path, monkeypatch):
    browser_path = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements-dev.txt)")
    from cgan.demo import app

    dialled = []  # every connection the server process tries to make
    real_connect = socket.socket.connect

    def connect(self, address):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "localhost", "::1"):
            dialled.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    with_text = pages.Models(models.path, resolve_checkpoint("transfer"), models.name,
                             text=resolve_checkpoint("sentence"), text_name="sentence")
    demo, url = app.serve(with_text, "127.0.0.1", _free_port(), block=False)
    outside = []
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)

            def route(r):
                if urllib.parse.urlparse(r.request.url).hostname not in ("127.0.0.1", "localhost"):
                    outside.append(r.request.url)
                    return r.abort()
                return r.continue_()

            page.route("**/*", route)
            page.goto(url)
            page.wait_for_selector("#generate", timeout=60_000)
            # A dropdown's typed value is sometimes not yet selected when Generate is clicked (seen in a fresh
            # clone: eyes stayed 'random', and some random lines happened to be red): check the tags file the
            # page shows, and pick again under a new seed when it is not 25 lines of the asked pair.
            for seed in (4, 14, 24):
                for field, value in (("#hair", "blue"), ("#eyes", "red")):
                    page.locator(f"{field} input").click()
                    page.locator(f"{field} input").fill(value)
                    page.keyboard.press("Enter")
                page.locator("#seed input").fill(str(seed))
                page.locator("#generate").click()
                page.wait_for_selector("#grid img", timeout=60_000)
                # The grid may still be an earlier seed's (a race seen once in a fresh clone): wait for this one.
                page.wait_for_function("document.querySelector('#note') && document.querySelector('#note')"
                                       f".innerText.includes('--seed {seed}')", timeout=60_000)
                page.wait_for_function("document.querySelector('#tags_text') && "
                                       "document.querySelector('#tags_text').innerText.includes('hair')")
                if page.locator("#tags_text").inner_text().count("blue hair red eyes") == 25:
                    break
            else:
                pytest.fail("the page never drew 25 images of blue hair red eyes")
            with page.expect_download() as d:
                page.locator("#download").click()
            d.value.save_as(tmp_path / "page.png")
            text = "".join(f"{i},blue hair red eyes\n" for i in range(1, 26))
            assert (tmp_path / "page.png").read_bytes() == _cli_generate(text, seed, tmp_path)

            page.get_by_role("tab", name="Transfer").click()
            (tmp_path / "bad.png").write_text("not an image")
            page.locator("#upload input[type=file]").set_input_files(str(tmp_path / "bad.png"))
            time.sleep(1)
            page.locator("#transfer").click()
            page.get_by_text("bad.png: not a readable image").first.wait_for(timeout=30_000)

            page.get_by_role("tab", name="Tags").click()  # still serving after the error
            page.locator("#seed input").fill("5")
            page.locator("#generate").click()
            page.wait_for_function("document.querySelector('#note') && "
                                   "document.querySelector('#note').innerText.includes('--seed 5')", timeout=60_000)
            with page.expect_download() as d:
                page.locator("#download").click()
            d.value.save_as(tmp_path / "page5.png")
            assert (tmp_path / "page5.png").read_bytes() == _cli_generate(text, 5, tmp_path)

            page.get_by_role("tab", name="Prompts").click()  # the release sentence model, and what it read
            page.locator("#prompt textarea").fill("a girl with long pink hair and red eyes")
            page.locator("#go_prompt").click()
            page.wait_for_function("document.querySelector('#prompt_note') && "
                                   "document.querySelector('#prompt_note').innerText.includes('read as row 1: pink hair')",
                                   timeout=60_000)
            assert page.locator("#prompt_grid img").count() == 1
            browser.close()
    finally:
        demo.close()
    assert not outside, outside
    assert not dialled, dialled


def test_prompt_rows_are_what_generate_text_file_writes(tmp_path):
    from cgan.data.captioned import load_captioned_folder
    from cgan.data.synth_flowers import synth_captioned
    from cgan.gan.loop import train
    from cgan.gan.options import TrainOptions
    from cgan.text.embeddings import embed_captions
    from cgan.text.minilm import load_encoder

    synth_captioned(tmp_path / "data", 40, seed=1)
    data = embed_captions(load_captioned_folder(tmp_path / "data", log=lambda m: None), load_encoder(), log=lambda m: None)
    ckpt = train(data, TrainOptions(out=str(tmp_path / "run"), cond="sentence", base_channels=8, batch_size=16,
                                    max_steps=2, progress=False), log=lambda m: None)
    m = pages.Models(ckpt, None, str(ckpt))
    text = "a flower with red petals\n\nthis flower has white petals and a yellow center\n"
    r = pages.prompts(m, text, 3, 2)
    (tmp_path / "prompts.txt").write_text(text)
    subprocess.run([sys.executable, "-m", "cgan", "generate", "--ckpt", str(ckpt), "--text-file",
                    str(tmp_path / "prompts.txt"), "--n", "3", "--seed", "2", "-o", str(tmp_path / "cli.png")],
                   cwd=ROOT, check=True, capture_output=True)
    assert r.png == (tmp_path / "cli.png").read_bytes() and r.image.shape == (128, 192, 3)
    with pytest.raises(CganError, match="sentence model: use the prompt tab"):
        pages.tag_grid(m, "blue", "red", 5, 0)


def test_demo_command_without_gradio_names_the_requirements_file(monkeypatch):
    import importlib.util

    from click.testing import CliRunner

    from cgan.cli import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "gradio" else real(name, *a))
    r = CliRunner().invoke(cli, ["demo"])
    assert r.exit_code == 2 and "requirements-demo.txt" in r.output

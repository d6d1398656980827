import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from cgan.core.images import make_grid, png_bytes
from cgan.core.tags import read_testing_tags
from cgan.grading.report import write_report

from conftest import ROOT


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("Chromium is not installed (apt-get install chromium): the report is not rendered in a browser")


def _class(out):
    tags = read_testing_tags(ROOT / "hw3" / "testing_tags.txt")
    rng = np.random.RandomState(0)
    rows, docs = [], {}
    for name, verdict, rep in (("alice", "ok", "identical"), ("bob", "not reproducible", "different")):
        d = out / "students" / name
        d.mkdir(parents=True)
        grid = png_bytes(make_grid(rng.randint(0, 256, (25, 64, 64, 3)).astype(np.uint8)))
        (d / "cgan.png").write_bytes(grid)
        orig = grid if rep == "identical" else png_bytes(make_grid(rng.randint(0, 256, (25, 64, 64, 3)).astype(np.uint8)))
        (d / "cgan_original.png").write_bytes(orig)
        (d / "log.txt").write_text("wrote samples/cgan.png\n<script>alert(1)</script>\n")
        row = {"student": name, "verdict": verdict, "points": 3, "review_hint": "-", "reproduce": rep, "format": "ok"}
        per_image = [{"ok_hair": True, "ok_eyes": i % 2 == 0} for i in range(25)]
        docs[name] = {"row": row, "eval": {"per_image": per_image, "faces": {"canvas_boxes": [[91, 58, 60, 60]]}}}
        rows.append(row)
    write_report(out, pd.DataFrame(rows), docs, tags, None)
    return out / "report.html"


def test_report_escapes_and_embeds(tmp_path):
    html = _class(tmp_path).read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
    assert html.count('class="tile"') == 50 and 'alt="difference"' in html and 'alt="faces"' in html


def test_report_renders_in_a_browser(tmp_path):
    browser = _chromium()
    page = _class(tmp_path)
    shot = tmp_path / "shot.png"
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1100,1600"]
    subprocess.run(args + [f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120)
    dom = subprocess.run(args + ["--virtual-time-budget=5000", "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=120).stdout
    loaded = re.search(r'data-images-loaded="(\d+)/(\d+)"', dom)
    assert loaded and loaded.group(1) == loaded.group(2) and int(loaded.group(2)) >= 50 + 2 + 1 + 1
    assert shot.stat().st_size > 20000

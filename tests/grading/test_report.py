import re
import shutil
import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest

from cgan.core.images import make_grid, png_bytes
from cgan.course.tags import read_testing_tags
from cgan.grading.feedback import write_feedback
from cgan.grading.gather import NOT_GRADED, gather
from cgan.grading.pages import write_figures
from cgan.grading.parts import PARTS
from cgan.grading.report import write_report
from cgan.grading.results import PartResult

from conftest import ROOT


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("Chromium is not installed (apt-get install chromium): the report is not rendered in a browser")


def _part_row(verdict: str, rep: str, points: int) -> PartResult:
    return PartResult.from_row({"verdict": verdict, "points": points, "review_hint": "-", "reproduce": rep, "format": "ok",
            "missing": "", "exit_code": 0, "run_s": 1.0, "timed_out": False, "points_reproduce": points,
            "points_baseline": 0, "scorable": True, "max_abs_diff": 40 if rep == "different" else 0,
            "diff_fraction": 0.5, "hair_acc": 1.0, "eyes_acc": 0.5, "both_acc": 0.5})


def _class(out):
    """alice reproduces, bob does not, carol's output is not a PNG: the report must show all three."""
    tags = read_testing_tags(ROOT / "hw3" / "testing_tags.txt")
    rng = np.random.RandomState(0)
    rows, docs = [], {}
    for name, verdict, rep in (("alice", "ok", "identical"), ("bob", "not reproducible", "different"),
                               ("carol", "bad format", "different")):
        d = out / "students" / name
        d.mkdir(parents=True)
        grid = png_bytes(make_grid(rng.randint(0, 256, (25, 64, 64, 3)).astype(np.uint8)))
        (d / "cgan.png").write_bytes(grid if name != "carol" else b"not an image")
        orig = grid if rep == "identical" else png_bytes(make_grid(rng.randint(0, 256, (25, 64, 64, 3)).astype(np.uint8)))
        (d / "cgan_original.png").write_bytes(orig)
        (d / "log_cgan.txt").write_text("wrote samples/cgan.png\n<script>alert(1)</script>\n")
        per_image = [{"ok_hair": True, "ok_eyes": i % 2 == 0, "hair": "blue", "eyes": "red"} for i in range(25)]
        part = _part_row(verdict, rep, 2 if rep == "identical" else 0)
        docs[name] = {"student": name, "parts": {"cgan": part}, "missing_recommended": "",
                      "eval": {"cgan": {"per_image": per_image, "faces": {"canvas_boxes": [[91, 58, 60, 60]]}}
                               if name != "carol" else {}}}
        rows.append({"student": name, "points": part.points, "points_cgan": part.points,
                     "verdict_cgan": verdict, "similar_to": "", "review_cgan": "-"})
    pairs = [{"a": "alice", "b": "bob", "grids": {"cgan": 25}, "files": ["model.pt"], "code": []}]
    for name, doc in docs.items():  # as gather does: the figures once, then both pages
        write_figures(out / "students" / name, "cgan", doc["parts"]["cgan"], doc["eval"]["cgan"], len(tags))
    write_report(out, pd.DataFrame(rows), docs, pairs, ("cgan",), tags, {"checkpoint": "baseline.pt", "both": 0.2,
                                                                      "fd_tagnet": 40.0})
    for name, doc in docs.items():
        write_feedback(out / "students" / name, doc, ("cgan",), tags)
    return out / "report.html"


def test_report_leads_with_the_overview_and_escapes(tmp_path):
    html = _class(tmp_path).read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
    assert html.index("Class overview") < html.index("Gradebook") < html.index('<section id="alice"')
    assert "alice</b> and <b>bob</b>" in html and "model.pt" in html  # the copy pair, side by side
    assert 'src="students/bob/figures/cgan_diff.png"' in html and (tmp_path / "students/bob/figures/cgan_diff.png").is_file()
    assert "figures/cgan_faces.png" in html
    assert "<details><summary>All fields</summary>" in html  # the field table is folded
    assert 'src="students/carol/cgan.png"' not in html and "cannot be shown: not a PNG file" in html
    assert str(tmp_path) not in html
    fb = (tmp_path / "students" / "bob" / "feedback.html").read_text()
    assert "reproduction: different (pixels differ by up to 40 levels on 50.0% of values)" in fb
    assert "alice" not in fb  # nothing of another student's
    assert fb.count("&#10007;") == 12 and "red eyes" not in fb  # 12 wrong eyes marked, what was read in brackets


@pytest.mark.parametrize("page", ["report.html", "students/bob/feedback.html"])
def test_pages_render_in_a_browser(tmp_path, page):
    browser = _chromium()
    _class(tmp_path)
    target = tmp_path / page
    shot = tmp_path / "shot.png"
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1100,1600",
            "--disable-background-networking", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run(args + [f"--screenshot={shot}", target.as_uri()], capture_output=True, timeout=120)
    dom = subprocess.run(args + ["--virtual-time-budget=5000", "--dump-dom", target.as_uri()], capture_output=True,
                         text=True, timeout=120).stdout
    loaded = re.search(r'data-images-loaded="(\d+)/(\d+)"', dom)
    assert loaded and loaded.group(1) == loaded.group(2) and int(loaded.group(2)) >= 3, loaded
    assert shot.stat().st_size > 20000


def test_gather_without_copies_warns_nothing(tmp_path):
    """A class with no copy pairs (here: nobody graded yet) fills similar_to with blanks; pandas warns when
    a float column of NaNs is filled with strings, and a warning here is a future error."""
    tags = read_testing_tags(ROOT / "hw3" / "testing_tags.txt")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = gather(tmp_path, {"alice": None, "bob": None}, tuple(PARTS), tags, None)
    assert df["similar_to"].tolist() == ["", ""]
    assert set(pd.read_csv(tmp_path / "grades.csv")["verdict_cgan"]) == {NOT_GRADED}

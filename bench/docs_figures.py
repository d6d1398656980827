"""Every figure under docs/, made again from the bundled release models.

    python bench/docs_figures.py                       # all of them, into docs/
    python bench/docs_figures.py --only grids          # the generated grids and strip only (seconds)
    python bench/docs_figures.py --only report,demo    # the two browser screenshots

Figures (each made by the command the docs show beside it):
  grids      docs/cgan_handout_seed1000.png   cgan generate hw3/testing_tags.txt --seed 1000
             docs/cgan_gray.png               cgan generate <12 hair colours with gray eyes, then 3 again> --seed 1
             docs/interpolate.png             cgan interpolate --tags "blue hair red eyes" --to "blonde hair green eyes" --seeds 3,7
  report     docs/report.png                  cgan grade on this repository (its last commit) handed in twice, in Chromium
  demo       docs/demo.png                    cgan demo, a blue-hair red-eyes grid, in Chromium
  sentences  docs/sentences.png               python bench/sentence_quality.py --ckpt sentence --grid docs/sentences.png

The grids go through generate's float64 path, so they come out byte for byte the same on any CPU (a
test compares them with the committed files). The screenshots need Debian's `chromium` and
`playwright` (requirements-dev.txt); `report` uses the course's face detector from ../shared/data when
it is there; `sentences` runs the sentence bench (a few minutes), which needs ../shared/data's cascade.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cgan.course.colors import HAIR_COLORS  # noqa: E402

FIGURES = ("grids", "report", "demo", "sentences")
CASCADE = ROOT.parent / "shared" / "data" / "lbpcascade_animeface" / "lbpcascade_animeface.xml"


def cgan(*args: str, cwd: Path = ROOT) -> None:
    """One `cgan` command, as a user types it; its output passes through."""
    subprocess.run([sys.executable, "-m", "cgan", *args], cwd=cwd, check=True)


def gray_eyes_tags(path: Path) -> Path:
    """The 12 hair colours with gray eyes (the pairs the extra data never shows), then the first three again."""
    path.write_text("".join(f"{i + 1},{HAIR_COLORS[i % 12]} hair gray eyes\n" for i in range(15)))
    return path


def grids(out: Path, tmp: Path) -> None:
    cgan("generate", "hw3/testing_tags.txt", "--seed", "1000", "-o", str(out / "cgan_handout_seed1000.png"))
    cgan("generate", str(gray_eyes_tags(tmp / "gray.txt")), "-o", str(out / "cgan_gray.png"))
    cgan("interpolate", "--tags", "blue hair red eyes", "--to", "blonde hair green eyes", "--seeds", "3,7",
         "-o", str(out / "interpolate.png"))


def chromium() -> str:
    """The browser for the screenshots, once playwright is known to be importable."""
    found = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
    if found is None or importlib.util.find_spec("playwright") is None:
        sys.exit("docs_figures.py: the screenshots need Chromium (apt-get install chromium) and playwright "
                 "(pip install -r requirements-dev.txt); --only grids makes the rest")
    return found


def committed_copy(dst: Path) -> None:
    """This repository as a student hands it in: its last commit (work in progress stays out)."""
    dst.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dst)], input=archive, check=True)


def report(out: Path, tmp: Path) -> None:
    browser_path = chromium()
    from playwright.sync_api import sync_playwright

    for student in ("student_a", "student_b"):
        committed_copy(tmp / "class" / student)
    cascade = ["--cascade", str(CASCADE)] if CASCADE.is_file() else []
    cgan("grade", str(tmp / "class"), "--tags", "hw3/testing_tags.txt", "--out", str(tmp / "grades"),
         "--jobs", "2", *cascade)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 1500})
        page.goto((tmp / "grades" / "report.html").as_uri())
        page.wait_for_load_state("load")
        page.screenshot(path=str(out / "report.png"))
        browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo(out: Path, tmp: Path) -> None:
    browser_path = chromium()
    if importlib.util.find_spec("gradio") is None:
        sys.exit("docs_figures.py: the demo screenshot needs Gradio (pip install -r requirements-demo.txt)")
    from playwright.sync_api import sync_playwright

    from cgan.demo import app, pages
    from cgan.release.manifest import resolve_checkpoint

    models = pages.Models(resolve_checkpoint("cgan"), resolve_checkpoint("transfer"), "cgan",
                          text=resolve_checkpoint("sentence"), text_name="sentence")
    server, url = app.serve(models, "127.0.0.1", free_port(), block=False)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(url)
            page.wait_for_selector("#generate", timeout=60_000)
            for field, value in (("#hair", "blue"), ("#eyes", "red")):
                page.locator(f"{field} input").click()
                page.locator(f"{field} input").fill(value)
                page.keyboard.press("Enter")
            page.locator("#seed input").fill("4")
            page.locator("#generate").click()
            page.wait_for_function("document.querySelector('#note') && "
                                   "document.querySelector('#note').innerText.includes('--seed 4')", timeout=60_000)
            page.wait_for_selector("#grid img", timeout=60_000)
            page.wait_for_timeout(500)  # the grid image's own load
            page.screenshot(path=str(out / "demo.png"))
            browser.close()
    finally:
        server.close()


def sentences(out: Path, tmp: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "bench" / "sentence_quality.py"), "--ckpt", "sentence",
                    "--grid", str(out / "sentences.png")], cwd=ROOT, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(FIGURES), help=f"comma-separated, of: {', '.join(FIGURES)}")
    ap.add_argument("--out", type=Path, default=ROOT / "docs", help="folder to write into")
    a = ap.parse_args()
    chosen = [f for f in a.only.split(",") if f]
    unknown = sorted(set(chosen) - set(FIGURES))
    if unknown:
        sys.exit(f"docs_figures.py: unknown figure {', '.join(unknown)} (known: {', '.join(FIGURES)})")
    a.out.mkdir(parents=True, exist_ok=True)
    makers = {"grids": grids, "report": report, "demo": demo, "sentences": sentences}
    with tempfile.TemporaryDirectory() as tmp:
        for name in FIGURES:
            if name in chosen:
                print(f"== {name}", flush=True)
                (Path(tmp) / name).mkdir()
                makers[name](a.out.resolve(), Path(tmp) / name)


if __name__ == "__main__":
    main()

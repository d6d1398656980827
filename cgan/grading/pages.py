"""Pieces of the grader's pages (the class report and each student's feedback): one part's figures.

Images are files beside the page, linked by relative path (a class of a hundred would make a page of
tens of megabytes inlined); the figures made here (the difference map, the detector's boxes) are
written once per grading into the student's `figures/` folder (`write_figures`). An output that does
not decode is said in words, never shown as a broken image.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from cgan.core.files import atomic_write
from cgan.core.images import GRID_COLS, png_bytes, read_png
from cgan.course.tags import TagLine
from cgan.evaluation.layouts import course_canvas
from cgan.evaluation.sources import grid_tiles
from cgan.grading.parts import PARTS
from cgan.grading.results import PartResult

STYLE = """
body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1200px} table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px;vertical-align:top;text-align:left}
.ok{color:#080} .bad{color:#b00} .v-ok{background:#e6f4e6} .v-bad{background:#fbe3e3} .v-none{background:#eee}
pre{background:#f6f6f6;padding:6px;max-height:18em;overflow:auto;font-size:12px}
section{border-top:2px solid #888;margin-top:1.5em;padding-top:.5em} .part{margin:.8em 0 1.2em 1em}
figure{display:inline-block;margin:0 1em .5em 0;vertical-align:top} figcaption{font-size:12px;color:#555}
img.grid{width:320px;image-rendering:pixelated} img.small{width:160px} .bar{background:#6a8fd0;height:12px}
.ticks td{font-size:11px;width:60px;height:40px;text-align:center} details{margin:.3em 0}
"""


def esc(v) -> str:
    return html.escape(fmt(v))


def fmt(v) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:.3g}"
    return "" if v is None else str(v)


def verdict_class(v: str) -> str:
    return "v-ok" if v == "ok" else "v-none" if v == "not graded" else "v-bad"


def page(title: str, body: list[str]) -> bytes:
    # A browser (or a headless test) can read whether every image decoded.
    script = ("<script>window.addEventListener('load',()=>{const im=[...document.images];"
              "document.body.dataset.imagesLoaded=im.filter(i=>i.complete&&i.naturalWidth>0).length+'/'+im.length;"
              "});</script>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>" + "\n".join(body) + script + "</body></html>").encode()


def _figure(src: str, caption: str, cls: str = "grid") -> str:
    return (f'<figure><img class="{cls}" src="{html.escape(src)}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _readable(path: Path) -> str | None:
    """None when the PNG decodes, else why not."""
    arr, why = read_png(path.read_bytes())
    return None if arr is not None else why


def heat_map(a_png: bytes, b_png: bytes) -> bytes | None:
    """Where two PNGs of one size differ: black where equal, brighter red the larger the difference."""
    a, _ = read_png(a_png)
    b, _ = read_png(b_png)
    if a is None or b is None or a.shape[:2] != b.shape[:2]:
        return None
    d = np.abs(a[..., :3].astype(np.int16) - b[..., :3].astype(np.int16)).max(2)
    scale = 255.0 / max(1, int(d.max()))
    heat = np.zeros(d.shape + (3,), np.uint8)
    heat[..., 0] = np.clip(d * scale, 0, 255).astype(np.uint8)
    heat[..., 1] = np.where(d > 0, 40, 0).astype(np.uint8)
    return png_bytes(heat)


def faces_canvas(grid_png: bytes, n: int, boxes: list) -> bytes:
    """The course's canvas rebuilt from the grid's tiles, with the detector's boxes drawn on it."""
    tiles, _, _ = grid_tiles(io.BytesIO(grid_png), n)
    im = Image.fromarray(course_canvas(tiles)).convert("RGB")
    draw = ImageDraw.Draw(im)
    for x, y, w, h in boxes:
        draw.rectangle([x, y, x + w - 1, y + h - 1], outline=(230, 0, 0), width=2)
    return png_bytes(np.asarray(im))


def tag_ticks(tags: list[TagLine], per_image: list[dict]) -> str:
    """A 5-column table laid out like the grid: the tags asked, and what the classifier read when wrong."""
    mark = lambda ok: '<span class="ok">&#10003;</span>' if ok else '<span class="bad">&#10007;</span>'  # noqa: E731
    cells = []
    for i, t in enumerate(tags):
        p = per_image[i] if i < len(per_image) else {}
        hair = f"{html.escape(t.hair)} {mark(p.get('ok_hair'))}" + ("" if p.get("ok_hair") else f" ({esc(p.get('hair'))})")
        eyes = f"{html.escape(t.eyes)} {mark(p.get('ok_eyes'))}" + ("" if p.get("ok_eyes") else f" ({esc(p.get('eyes'))})")
        cells.append(f"<td>{hair}<br>{eyes}</td>")
    rows = ["<tr>" + "".join(cells[k:k + GRID_COLS]) + "</tr>" for k in range(0, len(cells), GRID_COLS)]
    return '<table class="ticks">' + "".join(rows) + "</table>"


def write_figures(student_dir: Path, key: str, res: PartResult, ev: dict, n: int) -> None:
    """One part's made figures, once per grading (the report and the feedback page both link them):
    the difference map when output and original differ, the detector's boxes on the course canvas.
    Figures of an earlier grading are removed first, so a regraded student never shows stale ones."""
    figs = student_dir / "figures"
    diff, faces = figs / f"{key}_diff.png", figs / f"{key}_faces.png"
    for p in (diff, faces):
        p.unlink(missing_ok=True)
    grid, orig = student_dir / f"{key}.png", student_dir / f"{key}_original.png"
    if not grid.is_file() or _readable(grid):
        return
    data = grid.read_bytes()
    if orig.is_file() and (res.check is None or res.check.reproduce != "identical"):
        heat = heat_map(data, orig.read_bytes())
        if heat is not None:
            atomic_write(diff, lambda f: f.write(heat))
    boxes = ev.get("faces", {}).get("canvas_boxes")
    if boxes is not None:
        canvas = faces_canvas(data, n, boxes)
        atomic_write(faces, lambda f: f.write(canvas))


def part_figures(student_dir: Path, rel: str, key: str, res: PartResult, ev: dict, tags: list[TagLine]) -> str:
    """One part's images, output beside the original and their difference, with the tag ticks (HW3-2)
    and the detector's faces behind a fold (the figures `write_figures` made). `rel`: the student folder
    as seen from the page."""
    part = PARTS[key]
    out: list[str] = []
    if part.output is None:
        imgs = sorted((student_dir / key).glob("*")) if (student_dir / key).is_dir() else []
        for p in imgs:
            why = _readable(p) if p.suffix == ".png" else None
            out.append(_figure(f"{rel}{key}/{p.name}", p.name[3:], "grid") if why is None
                       else f'<p class="bad">{html.escape(p.name[3:])}: cannot be shown ({html.escape(why)})</p>')
        return "".join(out) or "<p>No image was written.</p>"
    grid, orig = student_dir / f"{key}.png", student_dir / f"{key}_original.png"
    shown = []
    for path, caption in ((grid, "output, run by the grader"), (orig, "committed original")):
        if not path.is_file():
            out.append(f"<p class='bad'>{html.escape(caption)}: none</p>")
            continue
        why = _readable(path)
        if why:
            out.append(f"<p class='bad'>{html.escape(caption)} cannot be shown: {html.escape(why)}</p>")
            continue
        out.append(_figure(f"{rel}{path.name}", caption))
        shown.append(path)
    if len(shown) == 2 and (student_dir / "figures" / f"{key}_diff.png").is_file():
        out.append(_figure(f"{rel}figures/{key}_diff.png", "difference (brighter: larger)"))
    if part.conditional and ev.get("per_image"):
        out.append(tag_ticks(tags, ev["per_image"]))
    if grid in shown and (student_dir / "figures" / f"{key}_faces.png").is_file():
        boxes = ev["faces"]["canvas_boxes"]
        out.append(f"<details><summary>The course's canvas with the detector's {len(boxes)} faces</summary>"
                   + _figure(f"{rel}figures/{key}_faces.png", "faces found", "grid") + "</details>")
    return "".join(out)


def fields_table(row: dict) -> str:
    """Every field of a part as the gradebook names it (`PartResult.to_row`)."""
    body = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{esc(v)}</td></tr>" for k, v in row.items())
    return f"<details><summary>All fields</summary><table>{body}</table></details>"


def log_tail(student_dir: Path, key: str, n: int = 4000) -> str:
    p = student_dir / f"log_{key}.txt"
    text = p.read_text(errors="replace")[-n:] if p.is_file() else ""
    return f"<details><summary>Log (tail)</summary><pre>{html.escape(text)}</pre></details>"

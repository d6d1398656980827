"""The grader's HTML report: one self-contained page a TA scrolls through (images inlined)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from cgan.core.files import atomic_write
from cgan.core.images import GRID_COLS, png_bytes, read_png
from cgan.core.tags import TagLine
from cgan.evaluation.layouts import course_canvas
from cgan.evaluation.sources import grid_tiles

STYLE = """
body{font-family:sans-serif;margin:1.5em;color:#222} table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px;vertical-align:top}
.tiles td{text-align:center;font-size:11px;border:none;padding:2px} .ok{color:#080} .bad{color:#b00}
.v-ok{background:#e6f4e6} .v-bad{background:#fbe3e3} pre{background:#f6f6f6;padding:6px;max-height:18em;overflow:auto}
section{border-top:2px solid #888;margin-top:1.5em;padding-top:.5em} img.tile{width:64px;height:64px;image-rendering:pixelated}
"""


def _img(data: bytes, cls: str = "", alt: str = "") -> str:
    return f'<img class="{cls}" alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _tiles(grid_png: bytes, tags: list[TagLine], per_image: list[dict]) -> str:
    """The grid tile by tile (any layout), each with the tags asked and the classifier's tick or cross."""
    tiles, _, _ = grid_tiles(io.BytesIO(grid_png), len(tags))
    mark = lambda ok: '<span class="ok">&#10003;</span>' if ok else '<span class="bad">&#10007;</span>'
    cells = []
    for i, t in enumerate(tags):
        p = per_image[i] if i < len(per_image) else {}
        cells.append(f"<td>{_img(png_bytes(np.ascontiguousarray(tiles[i])), 'tile', t.text)}<br>{html.escape(t.hair)} "
                     f"{mark(p.get('ok_hair'))}<br>{html.escape(t.eyes)} {mark(p.get('ok_eyes'))}</td>")
    rows = ["<tr>" + "".join(cells[k:k + GRID_COLS]) + "</tr>" for k in range(0, len(cells), GRID_COLS)]
    return '<table class="tiles">' + "".join(rows) + "</table>"


def _faces_canvas(grid_png: bytes, n: int, boxes: list) -> bytes:
    """The course's canvas rebuilt from the grid's tiles, with the detector's boxes drawn on it."""
    tiles, _, _ = grid_tiles(io.BytesIO(grid_png), n)
    im = Image.fromarray(course_canvas(tiles)).convert("RGB")
    draw = ImageDraw.Draw(im)
    for x, y, w, h in boxes:
        draw.rectangle([x, y, x + w - 1, y + h - 1], outline=(230, 0, 0), width=2)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def _heat_map(a_png: bytes, b_png: bytes) -> bytes | None:
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


def _fmt(v) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:.3g}"
    return "" if v is None else str(v)


def write_report(out: Path, df, docs: dict[str, dict], tags: list[TagLine], baseline: dict | None) -> Path:
    """report.html: the gradebook table, then per student (in the CSV's order) the grid, figures and log."""
    cols = ["student", "verdict", "points", "review_hint", "reproduce", "format", "both_acc", "fd_tagnet",
            "collapse", "faces", "run_s", "exit_code"]
    cols = [c for c in cols if c in df.columns]
    head = "".join(f"<th>{c}</th>" for c in cols)
    body = []
    for _, r in df.iterrows():
        cls = "v-ok" if r["verdict"] == "ok" else "v-bad"
        cells = "".join(f"<td>{html.escape(_fmt(r[c]))}</td>" for c in cols)
        body.append(f'<tr class="{cls}">{cells.replace(html.escape(str(r["student"])), _link(r["student"]), 1)}</tr>')
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>cgan grades</title><style>{STYLE}</style>"
             "</head><body><h1>HW3-2 grading report</h1>",
             f"<p>Submissions: {len(df)}. Points: reproduce 2, baseline 1; the review's 2 points are the TA's "
             "(hints in <i>review_hint</i>).</p>"]
    if baseline:
        parts.append(f"<p>Baseline ({html.escape(str(baseline.get('checkpoint')))}): tags both-correct "
                     f"{_fmt(baseline.get('both'))}, fd_tagnet {_fmt(baseline.get('fd_tagnet'))}.</p>")
    parts.append(f"<table><tr>{head}</tr>{''.join(body)}</table>")
    for _, r in df.iterrows():
        name = str(r["student"])
        doc = docs.get(name, {})
        d = out / "students" / name
        parts.append(f'<section id="{html.escape(name)}"><h2>{html.escape(name)}: {html.escape(r["verdict"])}</h2>')
        figures = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(_fmt(v))}</td></tr>"
                          for k, v in doc.get("row", {}).items())
        grid = d / "cgan.png"
        ev = doc.get("eval") or {}
        if grid.is_file() and ev:
            parts.append(_tiles(grid.read_bytes(), tags, ev.get("per_image", [])))
        elif grid.is_file():
            parts.append("<p>Output (not scored):</p>" + _img(grid.read_bytes(), alt="output"))
        boxes = ev.get("faces", {}).get("canvas_boxes")
        if grid.is_file() and boxes is not None:
            parts.append(f"<p>Course canvas with the detector's {len(boxes)} faces:</p>"
                         + _img(_faces_canvas(grid.read_bytes(), len(tags), boxes), alt="faces"))
        orig = d / "cgan_original.png"
        if orig.is_file() and r.get("reproduce") != "identical":
            parts.append("<p>Committed original:</p>" + _img(orig.read_bytes(), alt="original"))
            heat = _heat_map(grid.read_bytes(), orig.read_bytes()) if grid.is_file() else None
            if heat is not None:
                parts.append("<p>Difference (brighter: larger):</p>" + _img(heat, alt="difference"))
        parts.append(f"<table>{figures}</table>")
        log = (d / "log.txt").read_text(errors="replace") if (d / "log.txt").is_file() else ""
        parts.append(f"<p>Log (tail):</p><pre>{html.escape(log[-4000:])}</pre></section>")
    # A browser (or a headless test) can read whether every image decoded.
    parts.append("<script>window.addEventListener('load',()=>{const im=[...document.images];"
                 "document.body.dataset.imagesLoaded=im.filter(i=>i.complete&&i.naturalWidth>0).length+'/'+im.length;"
                 "});</script></body></html>")
    text = "\n".join(parts).encode()
    path = out / "report.html"
    atomic_write(path, lambda f: f.write(text))
    return path


def _link(name) -> str:
    n = html.escape(str(name))
    return f'<a href="#{n}">{n}</a>'

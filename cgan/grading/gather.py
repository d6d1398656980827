"""The class-level step after every student is graded: the gradebook, copy pairs, exports and pages.

grades.csv has one row per student: the points per part (the automatic ones; the review points are
the TA's), each part's verdict, `similar_to`, then every part's fields prefixed with the part's name.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from cgan.core.files import atomic_write
from cgan.course.tags import TagLine
from cgan.evaluation.sources import grid_tiles
from cgan.grading.checks import VERDICTS
from cgan.grading.copies import find_copies, similar_to, tile_hashes
from cgan.grading.feedback import write_feedback
from cgan.grading.pages import write_figures
from cgan.grading.parts import GRID_IMAGES, PARTS
from cgan.grading.report import write_report

NOT_GRADED = "not graded"  # the student's task failed (killed, node lost): the next run grades it


def _row(name: str, doc: dict | None, parts: tuple[str, ...]) -> dict:
    row: dict = {"student": name}
    if doc is None:
        row.update({f"verdict_{k}": NOT_GRADED for k in parts})
        row.update({f"points_{k}": 0 for k in parts})
        return row
    for k in parts:
        r = doc["parts"][k]
        row[f"verdict_{k}"] = r.verdict
        row[f"points_{k}"] = r.points
        row[f"review_{k}"] = r.review_hint
    row["missing_recommended"] = doc.get("missing_recommended", "")
    for k in parts:  # every other field under its part's name, flattened as result.json holds it
        row.update({f"{k}_{f}": v for f, v in doc["parts"][k].to_row().items()
                    if f not in ("verdict", "points", "review_hint")})
    return row


def _grid_hashes(out: Path, docs: dict[str, dict | None], parts: tuple[str, ...], n_tags: int) -> dict:
    hashes: dict[str, dict[str, list]] = {}
    for name, doc in docs.items():
        for k in parts:
            p = out / "students" / name / f"{k}.png"
            if doc is None or PARTS[k].output is None or not p.is_file() or not doc["parts"][k].scorable:
                continue
            tiles, _, _ = grid_tiles(io.BytesIO(p.read_bytes()), n_tags if PARTS[k].conditional else GRID_IMAGES)
            hashes.setdefault(name, {})[k] = tile_hashes(tiles)
    return hashes


def gather(out: Path, docs: dict[str, dict | None], parts: tuple[str, ...],
           tags: list[TagLine], baseline: dict | None, export: tuple[str, ...] = ()) -> pd.DataFrame:
    """Write grades.csv, copies.csv, report.html, students/*/feedback.html (and canvas.csv); return the table."""
    pairs = find_copies(_grid_hashes(out, docs, parts, len(tags)),
                        {n: d["fingerprints"] for n, d in docs.items() if d is not None})
    similar = similar_to(pairs)
    rows = [_row(name, doc, parts) for name, doc in docs.items()]
    df = pd.DataFrame(rows)
    df["points"] = sum(df[f"points_{k}"] for k in parts)
    df["similar_to"] = [similar.get(name, "") for name in df["student"]]
    for k in parts:
        col = f"{k}_exit_code"
        if col in df.columns:
            df[col] = df[col].astype("Int64")  # stays an integer beside the missing ones
    order = {v: i for i, v in enumerate((NOT_GRADED,) + VERDICTS)}
    df["_worst"] = df[[f"verdict_{k}" for k in parts]].apply(lambda r: min(order.get(v, 99) for v in r), axis=1)
    df = df.sort_values(["_worst", "student"]).drop(columns="_worst")
    front = (["student", "points"] + [f"points_{k}" for k in parts] + [f"verdict_{k}" for k in parts]
             + ["similar_to"] + [f"review_{k}" for k in parts if f"review_{k}" in df.columns])
    df = df[front + [c for c in df.columns if c not in front]]
    _csv(out / "grades.csv", df)
    _csv(out / "copies.csv", pd.DataFrame(
        [{"a": p["a"], "b": p["b"], **{f"{k}_tiles": p["grids"].get(k) for k in parts if PARTS[k].output},
          "large_files": "; ".join(p["files"]), "code_files": "; ".join(p["code"])} for p in pairs],
        columns=["a", "b", *[f"{k}_tiles" for k in parts if PARTS[k].output], "large_files", "code_files"]))
    if "canvas" in export:
        _csv(out / "canvas.csv", canvas_gradebook(df, parts))
    live = {n: d for n, d in docs.items() if d is not None}
    for name, doc in live.items():
        for k in parts:
            write_figures(out / "students" / name, k, doc["parts"][k], doc["eval"].get(k) or {},
                          len(tags) if PARTS[k].conditional else GRID_IMAGES)
    write_report(out, df, live, pairs, parts, tags, baseline)
    for name, doc in live.items():
        write_feedback(out / "students" / name, doc, parts, tags)
    return df


def canvas_gradebook(df: pd.DataFrame, parts: tuple[str, ...]) -> pd.DataFrame:
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, one column per
    assignment, and the 'Points Possible' row under the header. The student's folder name goes in as the
    SIS Login ID, which Canvas matches on. A part's column holds its automatic points; HW3-3, all of
    whose points are the TA's, is left blank for the TA to fill in."""
    cols = {k: f"{PARTS[k].title} (automatic)" if PARTS[k].auto_max else f"{PARTS[k].title} (TA)" for k in parts}
    possible = {"Student": "    Points Possible", "ID": "", "SIS User ID": "", "SIS Login ID": "", "Section": ""}
    possible.update({cols[k]: PARTS[k].auto_max or PARTS[k].points["review"] for k in parts})
    rows = [possible] + [{"Student": r["student"], "ID": "", "SIS User ID": "", "SIS Login ID": r["student"],
                          "Section": "", **{cols[k]: r[f"points_{k}"] if PARTS[k].auto_max else "" for k in parts}}
                         for _, r in df.iterrows()]
    return pd.DataFrame(rows, columns=list(possible))


def _csv(path: Path, df: pd.DataFrame) -> None:
    data = df.to_csv(index=False).encode()
    atomic_write(path, lambda f: f.write(data))

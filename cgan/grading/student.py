"""One student: every chosen part graded in order, and the student's folder of results.

OUT/students/<name>/ holds each part's output and original (`gan.png`, `gan_original.png`, ...), HW3-3's
images (`extra/`), the logs, Gradescope's `results.json`, and `result.json` written last: its presence
marks the student done.
"""

from __future__ import annotations

import json
from pathlib import Path

from cgan.core.files import atomic_write
from cgan.grading.copies import file_fingerprints
from cgan.grading.gradescope import gradescope_results
from cgan.grading.parts import PARTS, RECOMMENDED, PartContext, grade_part
from cgan.grading.results import PartFiles, PartResult


def grade_student(name: str, src: Path, parts: tuple[str, ...], ctx: PartContext, uid: int, hide: list[Path],
                  env: dict[str, str] | None = None) -> tuple[dict, dict[str, PartFiles]]:
    """Every chosen part of one submission, in order: (its result document, the bulky files per part).
    The document's "parts" map each part to its `PartResult`."""
    doc: dict = {"student": name, "parts": {}, "eval": {}, "fingerprints": file_fingerprints(src),
                 "missing_recommended": ", ".join(f for f in RECOMMENDED if not (src / f).is_file())}
    files: dict[str, PartFiles] = {}
    for key in parts:
        doc["parts"][key], files[key] = grade_part(PARTS[key], src, ctx, uid, hide, env)
        doc["eval"][key] = files[key].eval
    return doc, files


def _write(path: Path, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data))


def save_student(out: Path, doc: dict, files: dict[str, PartFiles], fingerprint: str) -> None:
    d = out / "students" / doc["student"]
    d.mkdir(parents=True, exist_ok=True)
    for key, f in files.items():
        if f.output is not None:
            _write(d / f"{key}.png", f.output)
        if f.original is not None:
            _write(d / f"{key}_original.png", f.original)
        for i, (name, data) in enumerate(f.images.items()):
            _write(d / key / f"{i:02d}_{Path(name).name}", data)
        _write(d / f"log_{key}.txt", f.log.encode())
    logs = {k: f.log for k, f in files.items()}
    _write(d / "results.json", json.dumps(gradescope_results(doc["parts"], logs), indent=1, default=str).encode())
    # On disk each part is its flat row, as before the typed results: "parts" keeps its place after "student".
    saved = {**{"fingerprint": fingerprint, **doc}, "parts": {k: r.to_row() for k, r in doc["parts"].items()}}
    _write(d / "result.json", json.dumps(saved, indent=1, default=str).encode())


def load_result(out: Path, name: str, fingerprint: str) -> dict | None:
    """A finished student's result document, its parts read back as `PartResult`s (None when missing,
    unreadable or from other settings)."""
    p = out / "students" / name / "result.json"
    try:
        doc = json.loads(p.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if doc.get("fingerprint") != fingerprint:
        return None
    doc["parts"] = {k: PartResult.from_row(r) for k, r in doc["parts"].items()}
    return doc



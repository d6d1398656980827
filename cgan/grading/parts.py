"""The homework's three parts, as the course graded them, and grading one part of one submission.

HW3-1 `bash run_gan.sh` -> samples/gan.png (reproduce 2, baseline 2: the course's face detector finds
>= 20 faces, review 1: mode collapse); HW3-2 `bash run_cgan.sh testing_tags.txt` -> samples/cgan.png
(reproduce 2, baseline 1, review 2: collapse and tags); HW3-3 `bash extra_run.sh` (the style-transfer
bonus, 2 points the TA gives on seeing its output). Each part runs in its own sandboxed copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cgan.course.tags import TagLine
from cgan.evaluation.scoring import evaluate
from cgan.grading.checks import check_format, compare, review_hint, verdict
from cgan.grading.sandbox import Limits, RunResult, run_submission

IMAGE_EXTS = (".png", ".jpg", ".jpeg")
MAX_EXTRA_IMAGES = 8  # HW3-3 images kept for the TA's report
RECOMMENDED = ("report.pdf",)


@dataclass(frozen=True)
class Part:
    key: str
    title: str
    argv: tuple[str, ...]
    output: str | None  # the grid this part must write (None: any image, HW3-3)
    original: str | None  # the committed grid it must reproduce
    points: dict  # the course's points: automatic ones (reproduce, baseline) and the TA's (review)
    conditional: bool = False

    @property
    def script(self) -> str:
        return self.argv[1]

    @property
    def required(self) -> tuple[str, ...]:
        return (self.script,) + ((self.original,) if self.original else ())

    @property
    def auto_max(self) -> int:
        return self.points.get("reproduce", 0) + self.points.get("baseline", 0)


PARTS = {
    "gan": Part("gan", "HW3-1 GAN", ("bash", "run_gan.sh"), "samples/gan.png", "samples/gan_original.png",
                {"reproduce": 2, "baseline": 2, "review": 1}),
    "cgan": Part("cgan", "HW3-2 conditional GAN", ("bash", "run_cgan.sh", "testing_tags.txt"), "samples/cgan.png",
                 "samples/cgan_original.png", {"reproduce": 2, "baseline": 1, "review": 2}, conditional=True),
    "extra": Part("extra", "HW3-3 bonus: style transfer", ("bash", "extra_run.sh"), None, None, {"review": 2}),
}
ORDER = ("gan", "cgan", "extra")  # the course ran them in this order
GRID_IMAGES = 25


def parse_parts(text: str) -> tuple[str, ...]:
    """`--parts gan,cgan,extra` in the course's order; an unknown name is an error naming it."""
    names = [p.strip() for p in text.split(",") if p.strip()]
    bad = [p for p in names if p not in PARTS]
    if bad or not names:
        raise ValueError(f"unknown part {', '.join(bad) or '(none given)'} (choose from {', '.join(ORDER)})")
    return tuple(p for p in ORDER if p in names)


@dataclass
class PartContext:
    """What grading one part needs beside the submission itself."""

    tags: list[TagLine]
    tags_bytes: bytes
    limits: Limits
    tolerance_levels: int
    tolerance_fraction: float
    classifier: object
    detector: object = None
    baseline: dict | None = None


def _new_images(run: RunResult, src: Path) -> dict[str, bytes]:
    """HW3-3's output: image files under samples/ that the run wrote or changed (not the originals)."""
    out = {}
    for name, data in sorted(run.files.items()):
        if not name.lower().endswith(IMAGE_EXTS) or "_original" in Path(name).stem:
            continue
        before = src / name
        if before.is_file() and not before.is_symlink() and before.read_bytes() == data:
            continue
        out[name] = data
        if len(out) == MAX_EXTRA_IMAGES:
            break
    return out


def grade_part(part: Part, src: Path, ctx: PartContext, uid: int, hide: list[Path],
               env: dict[str, str] | None = None) -> dict:
    """Run one part of one submission and score it: its gradebook fields, the bulky parts under '_files'."""
    missing = [f for f in part.required if not (src / f).is_file()]
    row: dict = {"missing": ", ".join(missing)}
    original = None
    if part.original:
        p = src / part.original
        # Read the original before the run: the submission's copy could overwrite it.
        original = p.read_bytes() if p.is_file() and not p.is_symlink() else None
    run: RunResult | None = None
    if part.script not in missing:
        run = run_submission(src, list(part.argv), ctx.limits, extra_files={"testing_tags.txt": ctx.tags_bytes},
                             hide=hide, uid=uid, extra_env=env)
    log = run.output if run else ""
    row.update(exit_code=run.exit_code if run else None, timed_out=bool(run and run.timed_out),
               run_s=round(run.wall_s, 2) if run else None, output_bytes=run.output_bytes if run else 0,
               isolation=run.isolation if run else "", setup_error=run.setup_error if run else None,
               network="allowed" if ctx.limits.network else "denied")
    files: dict = {"log": log, "eval": {}, "original": original, "output": None, "images": {}}
    if part.output is None:
        images = _new_images(run, src) if run else {}
        files["images"] = images
        row.update(output_written=bool(images), outputs=", ".join(images))
        row["verdict"] = verdict(row, log, ctx.limits.network, part.script, judged=False)
        row["points"] = 0
        row["review_hint"] = (f"{len(images)} image(s) written: judge the transfer in the report" if images
                              else "nothing to review")
        row["_files"] = files
        return row
    n = len(ctx.tags) if part.conditional else GRID_IMAGES
    output = run.files.get(part.output) if run else None
    files["output"] = output
    fmt = check_format(output, n, part.output)
    rep = compare(output, original, ctx.tolerance_levels, ctx.tolerance_fraction)
    row.update(output_written=output is not None, format_ok=fmt["ok"], scorable=fmt["scorable"], layout=fmt["layout"],
               format="; ".join(fmt["problems"]) or "ok", reproduce=rep["status"],
               max_abs_diff=rep.get("max_abs_diff"), diff_fraction=rep.get("diff_fraction"),
               reproduce_note=rep.get("why", ""))
    ev: dict = {}
    if fmt["scorable"]:
        ev = _score(part, fmt["tiles"], ctx, row)
    row["verdict"] = verdict(row, log, ctx.limits.network, part.script)
    row["points_reproduce"] = (part.points["reproduce"] if rep["status"] in ("identical", "within tolerance")
                               and fmt["scorable"] else 0)
    row["points_baseline"] = part.points["baseline"] if _passes_baseline(part, row, ev, ctx) else 0
    row["points"] = row["points_reproduce"] + row["points_baseline"]
    row["review_hint"] = review_hint(row, ev)
    files["eval"] = ev
    row["_files"] = files
    return row


def _score(part: Part, tiles: np.ndarray, ctx: PartContext, row: dict) -> dict:
    # Faces are counted on the course's canvas rebuilt from the tiles, whatever layout was written.
    ev = evaluate(tiles, ctx.tags if part.conditional else None, ctx.classifier, ctx.detector)
    d = ev["diversity"]
    if part.conditional:
        acc = ev["tag_accuracy"]
        row.update(hair_acc=acc["hair"], eyes_acc=acc["eyes"], both_acc=acc["both"])
    row.update(fd_tagnet=ev.get("fd_tagnet", {}).get("value"), feature_ratio=d["feature_ratio"],
               pixel_ratio=d["pixel_ratio"], collapse=d["collapse"], near_duplicates=d["near_duplicates"])
    if "faces" in ev:
        f = ev["faces"]
        row.update(faces=f["found"], faces_ge_20=f["pass_ge_20"], faces_gt_20=f["pass_gt_20"],
                   faces_course_canvas=f.get("course_canvas"), faces_tight=f["tight_grid"])
    return ev


def _passes_baseline(part: Part, row: dict, ev: dict, ctx: PartContext) -> bool:
    """The course's rule where the detector is there (>= 20 faces on its canvas). Without it, HW3-2 falls
    back to beating the baseline model's tags and Fréchet distance; HW3-1 cannot be judged (no points)."""
    if not ev:
        return False
    b = ctx.baseline
    if part.conditional and b:
        fd = row.get("fd_tagnet")
        row["beats_baseline"] = bool(row["both_acc"] >= b["both"]
                                     and (fd is None or b["fd_tagnet"] is None or fd <= b["fd_tagnet"]))
    if "faces_ge_20" in row:
        return bool(row["faces_ge_20"])
    return bool(row.get("beats_baseline"))


def lost_points(key: str, row: dict) -> list[str]:
    """Why this part got fewer automatic points than it could, in words a student can act on."""
    part = PARTS[key]
    v = row["verdict"]
    why = {"setup error": "the grader could not set up the run (not your fault: ask the TA)",
           "missing files": f"missing: {row['missing']}",
           "needs network": "it tried to download something and the grading machine has no network",
           "timeout": "it did not finish within the time limit",
           "crash": f"it stopped with exit code {row['exit_code']} before writing {part.output or 'any image'}",
           "no output": f"it finished but did not write {part.output or 'any image'}"}
    if v in why:
        return [why[v]]
    if part.output is None:
        return []
    out = []
    if row["format"] != "ok":
        out.append(f"format: {row['format']}")
    if not row["points_reproduce"]:
        detail = row.get("reproduce_note") or (f"pixels differ by up to {row['max_abs_diff']} levels on "
                                               f"{row['diff_fraction']:.1%} of values" if row.get("max_abs_diff") else "")
        out.append(f"reproduction: {row['reproduce']}" + (f" ({detail})" if detail else ""))
    if row["points_reproduce"] or row.get("scorable"):
        if not row["points_baseline"]:
            if "faces" in row:
                out.append(f"baseline: the course's face detector found {row['faces']} faces (20 needed)")
            elif part.conditional and row.get("beats_baseline") is False:
                out.append("baseline: tags and Fréchet distance did not beat the course baseline model")
            else:
                out.append("baseline: faces were not counted in this grading")
    return out

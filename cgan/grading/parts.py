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

from cgan.core.words import count
from cgan.course.tags import TagLine
from cgan.evaluation.scoring import evaluate
from cgan.grading.checks import check_format, compare, review_hint, verdict
from cgan.grading.results import AutoPoints, Diversity, FaceCount, GridCheck, PartFiles, PartResult, RunInfo, TagScores
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
    named: tuple[str, ...] = ()  # besides `output`, files collected by name first (HW3-3's usual grid)

    @property
    def script(self) -> str:
        return self.argv[1]

    @property
    def required(self) -> tuple[str, ...]:
        return (self.script,) + ((self.original,) if self.original else ())

    @property
    def outputs(self) -> tuple[str, ...]:
        """What the sandbox hands back first, each by its name and within its own cap, before any other file."""
        return ((self.output,) if self.output else ()) + self.named

    @property
    def auto_max(self) -> int:
        return self.points.get("reproduce", 0) + self.points.get("baseline", 0)


PARTS = {
    "gan": Part("gan", "HW3-1 GAN", ("bash", "run_gan.sh"), "samples/gan.png", "samples/gan_original.png",
                {"reproduce": 2, "baseline": 2, "review": 1}),
    "cgan": Part("cgan", "HW3-2 conditional GAN", ("bash", "run_cgan.sh", "testing_tags.txt"), "samples/cgan.png",
                 "samples/cgan_original.png", {"reproduce": 2, "baseline": 1, "review": 2}, conditional=True),
    "extra": Part("extra", "HW3-3 bonus: style transfer", ("bash", "extra_run.sh"), None, None, {"review": 2},
                  named=("samples/transfer.png",)),
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
               env: dict[str, str] | None = None) -> tuple[PartResult, PartFiles]:
    """Run one part of one submission and score it: (its gradebook fields, its bulky files)."""
    missing = [f for f in part.required if not (src / f).is_file()]
    original = None
    if part.original:
        p = src / part.original
        # Read the original before the run: the submission's copy could overwrite it.
        original = p.read_bytes() if p.is_file() and not p.is_symlink() else None
    run: RunResult | None = None
    if part.script not in missing:
        run = run_submission(src, list(part.argv), ctx.limits, extra_files={"testing_tags.txt": ctx.tags_bytes},
                             outputs=part.outputs, hide=hide, uid=uid, extra_env=env)
    network = "allowed" if ctx.limits.network else "denied"
    info = RunInfo(run.exit_code, bool(run.timed_out), round(run.wall_s, 2), run.output_bytes, run.isolation,
                   run.setup_error, network) if run else RunInfo(network=network)
    res = PartResult(missing=", ".join(missing), run=info)
    files = PartFiles(log=run.log if run else "", original=original)
    if part.output is None:
        files.images = _new_images(run, src) if run else {}
        res.output_written, res.outputs = bool(files.images), ", ".join(files.images)
        res.verdict = verdict(res, files.log, ctx.limits.network, part.script, judged=False)
        res.review_hint = (f"{count(len(files.images), 'image')} written: judge the transfer in the report" if files.images
                           else "nothing to review")
        return res, files
    n = len(ctx.tags) if part.conditional else GRID_IMAGES
    files.output = run.files.get(part.output) if run else None
    fmt = check_format(files.output, n, part.output)
    rep = compare(files.output, original, ctx.tolerance_levels, ctx.tolerance_fraction)
    res.output_written = files.output is not None
    res.check = GridCheck(fmt["ok"], fmt["scorable"], fmt["layout"], "; ".join(fmt["problems"]) or "ok",
                          rep["status"], rep.get("max_abs_diff"), rep.get("diff_fraction"), rep.get("why", ""))
    if fmt["scorable"]:
        files.eval = _score(part, fmt["tiles"], ctx, res)
    res.verdict = verdict(res, files.log, ctx.limits.network, part.script)
    reproduced = rep["status"] in ("identical", "within tolerance") and fmt["scorable"]
    res.auto = AutoPoints(part.points["reproduce"] if reproduced else 0, _beats_baseline(part, res, files.eval, ctx))
    res.auto.baseline = part.points["baseline"] if _passes_baseline(res, files.eval) else 0
    res.points = res.auto.reproduce + res.auto.baseline
    res.review_hint = review_hint(res, files.eval)
    return res, files


def _score(part: Part, tiles: np.ndarray, ctx: PartContext, res: PartResult) -> dict:
    # Faces are counted on the course's canvas rebuilt from the tiles, whatever layout was written.
    ev = evaluate(tiles, ctx.tags if part.conditional else None, ctx.classifier, ctx.detector)
    d = ev["diversity"]
    if part.conditional:
        acc = ev["tag_accuracy"]
        res.tags = TagScores(acc["hair"], acc["eyes"], acc["both"])
    res.diversity = Diversity(ev.get("fd_tagnet", {}).get("value"), d["feature_ratio"], d["pixel_ratio"],
                              d["collapse"], d["near_duplicates"])
    if "faces" in ev:
        f = ev["faces"]
        res.faces = FaceCount(f["found"], f["pass_ge_20"], f["pass_gt_20"], f.get("course_canvas"), f["tight_grid"])
    return ev


def _beats_baseline(part: Part, res: PartResult, ev: dict, ctx: PartContext) -> bool | None:
    """HW3-2 against the baseline model's tags and Fréchet distance; None where not compared."""
    b = ctx.baseline
    if not ev or not (part.conditional and b) or res.tags is None or res.diversity is None:
        return None
    fd = res.diversity.fd_tagnet
    return bool(res.tags.both_acc >= b["both"] and (fd is None or b["fd_tagnet"] is None or fd <= b["fd_tagnet"]))


def _passes_baseline(res: PartResult, ev: dict) -> bool:
    """The course's rule where the detector is there (>= 20 faces on its canvas). Without it, HW3-2 falls
    back to beating the baseline model; HW3-1 cannot be judged (no points)."""
    if not ev:
        return False
    if res.faces is not None:
        return bool(res.faces.ge_20)
    return bool(res.auto and res.auto.beats_baseline)


def lost_points(key: str, res: PartResult) -> list[str]:
    """Why this part got fewer automatic points than it could, in words a student can act on."""
    part = PARTS[key]
    v = res.verdict
    why = {"setup error": "the grader could not set up the run (not your fault: ask the TA)",
           "missing files": f"missing: {res.missing}",
           "needs network": "it tried to download something and the grading machine has no network",
           "timeout": "it did not finish within the time limit",
           "crash": f"it stopped with exit code {res.run.exit_code} before writing {part.output or 'any image'}",
           "no output": f"it finished but did not write {part.output or 'any image'}"}
    if v in why:
        return [why[v]]
    if part.output is None or res.check is None:
        return []
    c, auto = res.check, res.auto or AutoPoints()
    out = []
    if c.format != "ok":
        out.append(f"format: {c.format}")
    if not auto.reproduce:
        detail = c.reproduce_note or (f"pixels differ by up to {c.max_abs_diff} levels on "
                                      f"{c.diff_fraction:.1%} of values" if c.max_abs_diff else "")
        out.append(f"reproduction: {c.reproduce}" + (f" ({detail})" if detail else ""))
    if (auto.reproduce or c.scorable) and not auto.baseline:
        if res.faces is not None:
            out.append(f"baseline: the course's face detector found {res.faces.found} faces (20 needed)")
        elif part.conditional and auto.beats_baseline is False:
            out.append("baseline: tags and Fréchet distance did not beat the course baseline model")
        else:
            out.append("baseline: faces were not counted in this grading")
    return out

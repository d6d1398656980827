"""`cgan grade`: run every submission the way the course did, check its grid, and keep a gradebook.

Per submission (a folder holding one student's hw3/): required files, a sandboxed run of
`bash run_cgan.sh testing_tags.txt` in a copy, the output's format, reproduction of the committed
original, tag accuracy / collapse / Fréchet distance from `cgan eval`, and the baseline comparison.
Each result is saved as it finishes, so an interrupted grading resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import queue
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch

from cgan.core.errors import CganError
from cgan.core.files import atomic_write
from cgan.core.tags import TagLine, read_testing_tags
from cgan.evaluation.scoring import evaluate
from cgan.evaluation.sources import checkpoint_samples
from cgan.evaluation.tools import load_eval_tools
from cgan.grading.checks import (
    OUTPUT,
    POINTS,
    RECOMMENDED,
    REQUIRED,
    VERDICTS,
    _review_hint,
    _verdict,
    check_format,
    compare,
)
from cgan.grading.gradescope import gradescope_results
from cgan.grading.report import write_report
from cgan.grading.sandbox import Limits, RunResult, namespaces_available, run_submission
from cgan.release.manifest import resolve_checkpoint


@dataclass
class GradeOptions:
    tags_file: Path
    out: Path
    limits: Limits = field(default_factory=Limits)
    jobs: int = 1
    tolerance_levels: int = 2  # reproduce: max abs diff allowed ...
    tolerance_fraction: float = 0.01  # ... on at most this share of the pixel values
    resume: bool = True
    gpus: int = 0  # GPUs on this machine: job k sees only GPU k mod gpus

    def fingerprint(self, tags: bytes) -> str:
        """Results from a grading with other settings are not reused on resume."""
        h = hashlib.sha256(tags)
        h.update(json.dumps({**asdict(self.limits), "tol": [self.tolerance_levels, self.tolerance_fraction]},
                            sort_keys=True).encode())
        return h.hexdigest()[:16]


@dataclass
class Tools:
    """What scoring needs, loaded once per grading."""

    classifier: object
    detector: object = None
    baseline: dict | None = None  # the baseline checkpoint's figures on the same tags


def score(images: np.ndarray, tags: list[TagLine], tools: Tools) -> dict:

    return evaluate(images, tags, tools.classifier, tools.detector)


def baseline_figures(ckpt: Path, tags: list[TagLine], tools: Tools, tags_path: str) -> dict:
    """The course baseline checkpoint run through the same pipeline as the students."""
    images, t = checkpoint_samples(ckpt, tags, len(tags), 0, tags_path)
    res = score(images, t or tags, tools)
    return {"checkpoint": str(ckpt), "both": res["tag_accuracy"]["both"],
            "fd_tagnet": res.get("fd_tagnet", {}).get("value"), "faces_course_canvas": res.get("faces", {}).get("found")}


def grade_one(name: str, src: Path, tags: list[TagLine], tags_bytes: bytes, opts: GradeOptions, tools: Tools,
              uid: int, hide: list[Path], env: dict[str, str] | None = None) -> dict:
    """Run and score one submission; returns its gradebook row (with the bulky parts under '_files')."""
    missing = [f for f in REQUIRED if not (src / f).is_file()]
    absent = [f for f in RECOMMENDED if not (src / f).is_file()]
    original_path = src / "samples" / "cgan_original.png"
    # Read the original before the run: the submission's copy could overwrite it.
    original = original_path.read_bytes() if original_path.is_file() and not original_path.is_symlink() else None
    row: dict = {"student": name, "missing": ", ".join(missing), "missing_recommended": ", ".join(absent)}
    run: RunResult | None = None
    if "run_cgan.sh" not in missing:
        run = run_submission(src, ["bash", "run_cgan.sh", "testing_tags.txt"], opts.limits,
                             extra_files={"testing_tags.txt": tags_bytes}, hide=hide, uid=uid, extra_env=env)
    output = run.files.get(OUTPUT) if run else None
    fmt = check_format(output, len(tags))
    rep = compare(output, original, opts.tolerance_levels, opts.tolerance_fraction)
    row.update(exit_code=run.exit_code if run else None, timed_out=bool(run and run.timed_out),
               run_s=round(run.wall_s, 2) if run else None, output_bytes=run.output_bytes if run else 0,
               isolation=run.isolation if run else "", setup_error=run.setup_error if run else None,
               output_written=output is not None, format_ok=fmt["ok"], scorable=fmt["scorable"],
               layout=fmt["layout"], format="; ".join(fmt["problems"]) or "ok",
               reproduce=rep["status"], max_abs_diff=rep.get("max_abs_diff"), diff_fraction=rep.get("diff_fraction"),
               reproduce_note=rep.get("why", ""))
    ev: dict = {}
    if fmt["scorable"]:
        # Faces are counted on the course's canvas rebuilt from the tiles, whatever layout was written.
        ev = score(fmt["tiles"], tags, tools)
        acc = ev["tag_accuracy"]
        row.update(hair_acc=acc["hair"], eyes_acc=acc["eyes"], both_acc=acc["both"],
                   fd_tagnet=ev.get("fd_tagnet", {}).get("value"), feature_ratio=ev["diversity"]["feature_ratio"],
                   pixel_ratio=ev["diversity"]["pixel_ratio"], collapse=ev["diversity"]["collapse"],
                   near_duplicates=ev["diversity"]["near_duplicates"])
        if "faces" in ev:
            f = ev["faces"]
            row.update(faces=f["found"], faces_ge_20=f["pass_ge_20"], faces_gt_20=f["pass_gt_20"],
                       faces_course_canvas=f.get("course_canvas"), faces_tight=f["tight_grid"])
    row["verdict"] = _verdict(row, run.output if run else "", opts.limits.network)
    row["network"] = "allowed" if opts.limits.network else "denied"
    row["points_reproduce"] = (POINTS["reproduce"] if rep["status"] in ("identical", "within tolerance")
                               and fmt["scorable"] else 0)
    b = tools.baseline
    beats = None
    if ev and b:
        fd = row.get("fd_tagnet")
        beats = bool(row["both_acc"] >= b["both"] and (fd is None or b["fd_tagnet"] is None or fd <= b["fd_tagnet"]))
    row["beats_baseline"] = beats
    # The course's rule when the detector is there (>= 20 faces on its canvas); else the baseline model.
    passed = row.get("faces_ge_20") if "faces_ge_20" in row else beats
    row["points_baseline"] = POINTS["baseline"] if passed else 0
    row["review_hint"] = _review_hint(row, ev)
    row["_files"] = {"output": output, "original": original, "log": run.output if run else "", "eval": ev}
    return row


def submissions(root: Path) -> list[tuple[str, Path]]:
    if not root.is_dir():
        raise CganError(f"{root}: no such submissions folder")
    subs = [(p.name, p) for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")]
    if not subs:
        raise CganError(f"{root}: no submission folders in it (one folder per student, holding their hw3/)")
    return subs


def _save_student(out: Path, row: dict, fingerprint: str) -> None:
    files = row.pop("_files")
    d = out / "students" / row["student"]
    d.mkdir(parents=True, exist_ok=True)
    for key, fname in (("output", "cgan.png"), ("original", "cgan_original.png")):
        if files[key] is not None:
            data = files[key]
            atomic_write(d / fname, lambda f: f.write(data))
    log = files["log"].encode()
    atomic_write(d / "log.txt", lambda f: f.write(log))
    gs = json.dumps(gradescope_results(row, files["log"]), indent=1, default=str).encode()
    atomic_write(d / "results.json", lambda f: f.write(gs))
    doc = json.dumps({"fingerprint": fingerprint, "row": row, "eval": files["eval"]}, indent=1, default=str).encode()
    atomic_write(d / "result.json", lambda f: f.write(doc))  # last: its presence marks the student done


def load_result(out: Path, name: str, fingerprint: str) -> dict | None:
    p = out / "students" / name / "result.json"
    try:
        doc = json.loads(p.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return doc if doc.get("fingerprint") == fingerprint else None


def grade(root: str | Path, opts: GradeOptions, tools: Tools, log: Callable[[str], None] = print):
    """Grade every submission folder under `root`; writes grades.csv and report.html under opts.out."""
    root, out = Path(root).resolve(), Path(opts.out).resolve()
    if out.is_relative_to(root):
        raise CganError(f"{out}: the output folder must not be inside the submissions folder {root}")
    tags = read_testing_tags(opts.tags_file)
    tags_bytes = Path(opts.tags_file).read_bytes()
    fp = opts.fingerprint(tags_bytes)
    subs = submissions(root)
    out.mkdir(parents=True, exist_ok=True)
    todo = []
    for name, path in subs:
        if opts.resume and load_result(out, name, fp) is not None:
            log(f"{name}: done before, kept")
        else:
            todo.append((name, path))
    uids: queue.Queue[int] = queue.Queue()
    for k in range(max(1, opts.jobs)):
        uids.put(61000 + k)  # one uid per concurrent job: its process limit is its own

    def job(item: tuple[str, Path]) -> None:
        name, path = item
        uid = uids.get()
        # Each concurrent job owns one GPU (none of the common autograders schedules GPUs).
        env = {"CUDA_VISIBLE_DEVICES": str((uid - 61000) % opts.gpus)} if opts.gpus else {"CUDA_VISIBLE_DEVICES": ""}
        try:
            row = grade_one(name, path, tags, tags_bytes, opts, tools, uid, hide=[root, out], env=env)
        finally:
            uids.put(uid)
        _save_student(out, row, fp)
        log(f"{name}: {row['verdict']} ({row['points_reproduce'] + row['points_baseline']} points, "
            f"{row['run_s']} s)")

    with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        list(pool.map(job, todo))
    docs = [load_result(out, name, fp) for name, _ in subs]
    rows = [d["row"] for d in docs if d]
    df = pd.DataFrame(rows)
    df["points"] = df["points_reproduce"] + df["points_baseline"]
    df["exit_code"] = df["exit_code"].astype("Int64")  # stays an integer beside the missing ones
    df["verdict_order"] = df["verdict"].map({v: i for i, v in enumerate(VERDICTS)})
    df = df.sort_values(["verdict_order", "student"]).drop(columns="verdict_order")
    front = ["student", "verdict", "points", "points_reproduce", "points_baseline", "review_hint"]
    df = df[front + [c for c in df.columns if c not in front]]
    csv = df.to_csv(index=False).encode()
    atomic_write(out / "grades.csv", lambda f: f.write(csv))
    write_report(out, df, {d["row"]["student"]: d for d in docs if d}, tags, tools.baseline)
    return df


def grade_class(submissions_dir: Path, tags_file: Path, out: Path, limits: Limits, jobs: int = 1,
                tolerance_levels: int = 2, tolerance_fraction: float = 0.01, classifier: str = "tagnet",
                baseline: str = "baseline", faces: bool = True, cascade: Path | None = None, resume: bool = True,
                log: Callable[[str], None] = print) -> pd.DataFrame:
    """`cgan grade`: load the judging tools and the baseline's figures once, then grade every submission."""
    if jobs < 1 or limits.wall_s <= 0:
        raise CganError("--jobs and --time-limit must be positive")
    tags = read_testing_tags(tags_file)
    clf, detector, why = load_eval_tools(classifier, faces, cascade, log)
    if why:
        log(f"faces not counted: {why}")
    tools = Tools(clf, detector)
    if baseline != "none":
        tools.baseline = baseline_figures(resolve_checkpoint(baseline, log=log), tags, tools, str(tags_file))
        log(f"baseline {baseline}: tags both-correct {tools.baseline['both']:.0%}, "
            f"fd_tagnet {tools.baseline['fd_tagnet']:.1f}")
    iso = namespaces_available()
    log("isolation: namespaces" if iso is None else f"isolation: basic only ({iso})")
    opts = GradeOptions(tags_file=tags_file, out=out, limits=limits, jobs=jobs, tolerance_levels=tolerance_levels,
                        tolerance_fraction=tolerance_fraction, resume=resume, gpus=torch.cuda.device_count())
    return grade(submissions_dir, opts, tools, log=log)

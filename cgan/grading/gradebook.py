"""`cgan grade`: run every submission's parts the way the course did, and keep a gradebook.

Per student (a folder holding one student's hw3/): each part chosen (HW3-1, HW3-2, HW3-3, in the
course's order) in its own sandboxed run (parts.py), the student's file fingerprints for copy detection,
and everything saved under OUT/students/<name>/ as it finishes, `result.json` last: a grading that is
interrupted, or a cluster task that dies, is picked up by running the same command again.
The class-level step (gather) then writes grades.csv, the copy pairs, the report, the feedback pages and,
when asked, the Canvas gradebook.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import torch

from cgan.core.errors import CganError
from cgan.core.files import check_output_folder
from cgan.course.tags import read_testing_tags
from cgan.grading.executors import Task, ToolSpec, run_local, run_submitit
from cgan.grading.gather import gather
from cgan.grading.parts import ORDER
from cgan.grading.sandbox import Limits, choose_level
from cgan.grading.slurm import settle_request
from cgan.grading.student import load_result

EXECUTORS = ("local", "slurm", "submitit-local")


@dataclass
class GradeOptions:
    tags_file: Path
    out: Path
    limits: Limits = field(default_factory=Limits)
    parts: tuple[str, ...] = ORDER
    jobs: int = 1
    tolerance_levels: int = 2  # reproduce: max abs diff allowed ...
    tolerance_fraction: float = 0.01  # ... on at most this share of the pixel values
    resume: bool = True
    students: tuple[str, ...] = ()  # regrade these, keep every other result
    gpus: int = 0  # GPUs on this machine: local job k sees only GPU k mod gpus
    executor: str = "local"
    slurm: dict = field(default_factory=dict)  # partition, account, gpus, parallelism, timeout_min
    export: tuple[str, ...] = ()  # "canvas"

    def fingerprint(self, tags: bytes) -> str:
        """Results from a grading with other settings are not reused on resume."""
        h = hashlib.sha256(tags)
        h.update(json.dumps({**asdict(self.limits), "tol": [self.tolerance_levels, self.tolerance_fraction],
                             "parts": list(self.parts)}, sort_keys=True).encode())
        return h.hexdigest()[:16]


def submissions(root: Path) -> list[tuple[str, Path]]:
    if not root.is_dir():
        raise CganError(f"{root}: no such submissions folder")
    subs = [(p.name, p) for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")]
    if not subs:
        raise CganError(f"{root}: no submission folders in it (one folder per student, holding their hw3/)")
    return subs


def grade(root: str | Path, opts: GradeOptions, tools: ToolSpec, log: Callable[[str], None] = print) -> pd.DataFrame:
    """Grade every submission folder under `root` that has no result yet (or is named in opts.students),
    then gather the class: grades.csv, report.html, feedback pages. Students whose grading failed (a
    killed cluster task) get a 'not graded' row and are graded by the next run."""
    root, out = Path(root).resolve(), Path(opts.out).resolve()
    if out.is_relative_to(root):
        raise CganError(f"{out}: the output folder must not be inside the submissions folder {root}")
    tags_bytes = Path(opts.tags_file).read_bytes()
    tags = read_testing_tags(opts.tags_file)
    fp = opts.fingerprint(tags_bytes)
    subs = submissions(root)
    unknown = sorted(set(opts.students) - {n for n, _ in subs})
    if unknown:
        raise CganError(f"--students: no submission folder for {', '.join(unknown)} in {root}")
    out.mkdir(parents=True, exist_ok=True)
    todo = []
    for name, path in subs:
        again = name in opts.students
        if not again and opts.resume and load_result(out, name, fp) is not None:
            log(f"{name}: done before, kept")
        else:
            todo.append(Task(name, path, root, out, fp, opts.parts, opts.limits, opts.tags_file,
                             opts.tolerance_levels, opts.tolerance_fraction, tools))
    if opts.executor == "local":
        run_local(todo, opts.jobs, opts.gpus, log)
    else:
        run_submitit(todo, out / "submitit", "local" if opts.executor == "submitit-local" else "slurm",
                     opts.slurm, log)
    docs = {name: load_result(out, name, fp) for name, _ in subs}
    return gather(out, docs, opts.parts, tags, tools.baseline, opts.export)


def grade_class(submissions_dir: Path, tags_file: Path, out: Path, limits: Limits, jobs: int = 1,
                tolerance_levels: int = 2, tolerance_fraction: float = 0.01, classifier: str = "tagnet",
                baseline: str = "baseline", faces: bool = True, cascade: Path | None = None, resume: bool = True,
                parts: tuple[str, ...] = ORDER, students: tuple[str, ...] = (), executor: str = "local",
                slurm: dict | None = None, export: tuple[str, ...] = (),
                log: Callable[[str], None] = print) -> pd.DataFrame:
    """`cgan grade`: settle the judging tools and the baseline's figures once, then grade the class."""
    if jobs < 1 or limits.wall_s <= 0:
        raise CganError("--jobs and --time-limit must be positive")
    if executor not in EXECUTORS:
        raise CganError(f"unknown executor {executor!r} (choose from {', '.join(EXECUTORS)})")
    if not Path(submissions_dir).is_dir():  # the class and the output folder first: the tools take a while to settle
        raise CganError(f"{submissions_dir}: no such submissions folder")
    check_output_folder(out)
    slurm = dict(slurm or {})
    if executor == "slurm":  # before the tools and the baseline: a request that cannot run stops at once
        slurm = settle_request({**slurm, "timeout_min": slurm.get("timeout_min") or
                                int(limits.wall_s * len(parts) / 60 + 10)}, log)
    tags = read_testing_tags(tags_file)
    tools = ToolSpec.settle(classifier, faces, cascade, baseline, tags, tags_file, "cgan" in parts, log)
    level, why = choose_level(limits.sandbox)
    log(f"isolation: {level}" + (f" ({why})" if why else ""))
    opts = GradeOptions(tags_file=Path(tags_file), out=Path(out), limits=limits, parts=parts, jobs=jobs,
                        tolerance_levels=tolerance_levels, tolerance_fraction=tolerance_fraction, resume=resume,
                        students=tuple(students), gpus=torch.cuda.device_count() if executor == "local" else 0,
                        executor=executor, slurm=slurm, export=tuple(export))
    return grade(submissions_dir, opts, tools, log=log)

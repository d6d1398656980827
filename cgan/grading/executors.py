"""Where the students are graded: threads on this machine, or one task each of a Slurm job array.

A `Task` is everything one student's grading needs, as plain data (picklable: submitit sends it to
the cluster node), and `Task.__call__` grades and saves that student. On Slurm each task owns one GPU,
the time limit covers all three parts, and the results land in the output folder, which must be on a
filesystem shared with the nodes.
"""

from __future__ import annotations

import csv
import io
import os
import queue
import signal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cgan.core.errors import CganError
from cgan.core.files import atomic_write
from cgan.course.tags import TagLine, read_testing_tags
from cgan.evaluation.scoring import evaluate
from cgan.evaluation.sources import checkpoint_samples
from cgan.evaluation.tools import load_eval_tools
from cgan.grading.parts import PARTS, PartContext
from cgan.grading.sandbox import DEFAULT_UID, Limits
from cgan.grading.slurm import submit_error, wait_array
from cgan.grading.student import grade_student, save_student
from cgan.release.manifest import resolve_checkpoint

FIRST_UID = DEFAULT_UID  # one unprivileged uid per concurrent job: its process limit is its own


@dataclass
class ToolSpec:
    """The judging tools as paths (loaded where the task runs), and the baseline's figures, made once."""

    classifier: str
    faces: bool
    cascade: str | None
    baseline: dict | None
    # The classifier and detector `settle` loaded, reused by `context` in this process; never pickled
    # (the cascade is an OpenCV object): a cluster task loads its own from the paths.
    loaded: tuple | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "loaded": None}

    @classmethod
    def settle(cls, classifier: str, faces: bool, cascade: Path | None, baseline: str, tags: list[TagLine],
               tags_file: Path, conditional: bool, log: Callable[[str], None]) -> "ToolSpec":
        """Resolve release names to files (downloading them once, here) and run the baseline model."""
        clf_path = str(resolve_checkpoint(classifier, log=log))
        clf, detector, why = load_eval_tools(clf_path, faces, cascade, log)
        if why:
            log(f"faces not counted: {why}")
        figures = None
        if baseline != "none" and conditional:
            ckpt = resolve_checkpoint(baseline, log=log)
            images, t = checkpoint_samples(ckpt, tags, len(tags), 0, str(tags_file))
            res = evaluate(images, t or tags, clf, detector)
            figures = {"checkpoint": Path(ckpt).name, "both": res["tag_accuracy"]["both"],
                       "fd_tagnet": res.get("fd_tagnet", {}).get("value"),
                       "faces_course_canvas": res.get("faces", {}).get("found")}
            log(f"baseline {baseline}: tags both-correct {figures['both']:.0%}, fd_tagnet {figures['fd_tagnet']:.1f}")
        return cls(clf_path, detector is not None, str(cascade) if cascade else None, figures, (clf, detector))

    def context(self, tags_file: Path, limits: Limits, levels: int, fraction: float) -> PartContext:
        if self.loaded is None:
            self.loaded = load_eval_tools(self.classifier, self.faces, Path(self.cascade) if self.cascade else None)[:2]
        clf, detector = self.loaded
        return PartContext(read_testing_tags(tags_file), Path(tags_file).read_bytes(), limits, levels, fraction,
                           clf, detector, self.baseline)


@dataclass
class Task:
    name: str
    src: Path
    root: Path  # the submissions folder: hidden from every run
    out: Path
    fingerprint: str
    parts: tuple[str, ...]
    limits: Limits
    tags_file: Path
    tolerance_levels: int
    tolerance_fraction: float
    tools: ToolSpec

    def __call__(self, ctx: PartContext | None = None, uid: int = FIRST_UID, env: dict[str, str] | None = None) -> str:
        """Grade and save this student; returns a one-line summary."""
        if ctx is None:
            ctx = self.tools.context(self.tags_file, self.limits, self.tolerance_levels, self.tolerance_fraction)
        if env is None:  # on a cluster node: the GPU Slurm gave this task, nothing of the grader's otherwise
            env = {"CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", "")}
        doc, files = grade_student(self.name, self.src, self.parts, ctx, uid, [self.root, self.out], env)
        save_student(self.out, doc, files, self.fingerprint)
        return summary(doc)


def summary(doc: dict) -> str:
    parts = ", ".join(f"{PARTS[k].title.split()[0]} {r.verdict} {r.points}/{PARTS[k].auto_max}"
                      for k, r in doc["parts"].items())
    return f"{doc['student']}: {parts}"


def run_local(tasks: list[Task], jobs: int, gpus: int, log: Callable[[str], None]) -> None:
    """`jobs` students at once in threads of this process, the judging tools loaded once."""
    if not tasks:
        return
    t0 = tasks[0]
    ctx = t0.tools.context(t0.tags_file, t0.limits, t0.tolerance_levels, t0.tolerance_fraction)
    uids: queue.Queue[int] = queue.Queue()
    for k in range(max(1, jobs)):
        uids.put(FIRST_UID + k)

    def job(task: Task) -> None:
        uid = uids.get()
        # Each concurrent job owns one GPU (none of the common autograders schedules GPUs).
        env = {"CUDA_VISIBLE_DEVICES": str((uid - FIRST_UID) % gpus) if gpus else ""}
        try:
            log(task(ctx, uid, env))
        finally:
            uids.put(uid)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(job, tasks))


class TaskStopped(Exception):
    """The cluster stopped this task (scancel, pre-emption, its time limit): its student stays ungraded."""


def _stopped(signum: int, frame: object) -> None:
    raise TaskStopped(f"the cluster stopped this task ({signal.Signals(signum).name}); its student is not graded")


def _indexed_call(task: Task, index: int) -> str:
    """A job array's task: its own uid, so two tasks on one node never share a process limit. Slurm stops
    a task by sending SIGTERM to each of its processes: the submission's run then ends as if it had
    crashed, so the task must stop too rather than save that verdict (submitit's own handler would let
    it carry on)."""
    signal.signal(signal.SIGTERM, _stopped)
    return task(uid=FIRST_UID + index % 1000)


def run_submitit(tasks: list[Task], folder: Path, cluster: str, slurm: dict, log: Callable[[str], None]) -> list[str]:
    """One Slurm job array (or, with cluster 'local', one process per student on this machine), waited
    for; returns the students whose task failed. Their results are missing, so the next run grades them.
    On Slurm, `slurm` is the request as `slurm.settle_request` checked it, and each task's job id, array id
    and state go to `folder`/../jobs.csv for the report."""
    try:
        import submitit  # optional: only the cluster executors need it
    except ImportError:
        raise CganError("--executor slurm needs submitit: pip install submitit") from None
    if not tasks:
        return []
    per_task = tasks[0].limits.wall_s * len(tasks[0].parts)
    params: dict = {"name": "cgan-grade", "timeout_min": int(slurm.get("timeout_min") or per_task / 60 + 10),
                    "cpus_per_task": int(slurm.get("cpus") or 4)}
    if cluster == "slurm":
        params.update(slurm_array_parallelism=int(slurm.get("parallelism", 64)))
        if int(slurm.get("gpus") or 0):
            params["gpus_per_node"] = int(slurm["gpus"])
        if slurm.get("mem_gb"):
            params["mem_gb"] = float(slurm["mem_gb"])
        for key in ("partition", "account"):
            if slurm.get(key):
                params[f"slurm_{key}"] = slurm[key]
    try:
        ex = submitit.AutoExecutor(folder=str(folder / "%j"), cluster=cluster)
        ex.update_parameters(**params)
        jobs = ex.map_array(_indexed_call, tasks, list(range(len(tasks))))
    except Exception as e:  # submitit's FailedJobError and the like: sbatch's complaint, in one line
        raise submit_error(e) from None
    log(f"submitted {len(jobs)} tasks ({cluster}): job ids {jobs[0].job_id} ... {jobs[-1].job_id}; logs in {folder}")
    if cluster == "slurm":
        records = wait_array([t.name for t in tasks], jobs, log)
        write_jobs(folder.parent / "jobs.csv", list(records.values()))
        return [n for n, r in records.items() if r["result"] != "graded"]
    failed = []
    for task, job in zip(tasks, jobs):
        try:
            log(job.result())
        except Exception as e:  # submitit's FailedJobError / UncompletedJobError: the task died
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            log(f"{task.name}: task {job.job_id} failed ({first[:200]}); run the same command again to grade it")
            failed.append(task.name)
    return failed


def write_jobs(path: Path, records: list[dict]) -> None:
    """The cluster's side of this run, one row per task, added to the rows of earlier runs."""
    old = list(csv.DictReader(path.open())) if path.is_file() else []
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["student", "job_id", "array_id", "state", "result"])
    w.writeheader()
    w.writerows(old + records)
    data = buf.getvalue().encode()
    atomic_write(path, lambda f: f.write(data))

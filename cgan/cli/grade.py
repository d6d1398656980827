"""`cgan grade`: run and grade a whole class's submissions."""

from __future__ import annotations

from pathlib import Path

import click

from cgan.cli.common import log
from cgan.core.errors import CganError
from cgan.grading.gather import NOT_GRADED
from cgan.grading.gradebook import EXECUTORS, grade_class
from cgan.grading.parts import ORDER, parse_parts
from cgan.grading.sandbox import Limits

L = Limits()


@click.command()
@click.argument("submissions_dir", type=click.Path(path_type=Path))
@click.option("--tags", "tags_file", type=click.Path(path_type=Path), default=Path("hw3/testing_tags.txt"),
              show_default=True, help="Tags file every submission is run on (copied in as testing_tags.txt).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("grades"), show_default=True,
              help="Folder for grades.csv, report.html and students/<name>/.")
@click.option("--parts", "parts_text", default=",".join(ORDER), show_default=True,
              help="Parts to grade, run in the course's order: gan (run_gan.sh), cgan (run_cgan.sh), extra (extra_run.sh).")
@click.option("--students", default="", help="Regrade only these students (comma-separated), keeping every other result.")
@click.option("--time-limit", type=float, default=L.wall_s, show_default=True, help="Wall-clock seconds per part.")
@click.option("--memory-mb", type=int, default=L.memory_mb, show_default=True,
              help="Address space per process, and the run's memory in all where a cgroup holds it.")
@click.option("--file-mb", type=int, default=L.file_mb, show_default=True, help="Largest file a submission may write.")
@click.option("--disk-mb", type=int, default=L.disk_mb, show_default=True, help="Room a submission may fill beyond its own size.")
@click.option("--processes", type=int, default=L.processes, show_default=True, help="Processes and threads per submission.")
@click.option("--jobs", type=int, default=1, show_default=True, help="Submissions graded at once (--executor local).")
@click.option("--executor", type=click.Choice(EXECUTORS), default="local", show_default=True,
              help="local: threads on this machine; slurm: one task per student in a Slurm job array (submitit); "
                   "submitit-local: the same tasks as processes on this machine, to try a set-up.")
@click.option("--slurm-partition", default=None, help="Slurm partition.")
@click.option("--slurm-account", default=None, help="Slurm account to charge.")
@click.option("--slurm-gpus", type=int, default=None,
              help="GPUs per task (default: 1 where the partition's nodes have GPUs, else 0).")
@click.option("--slurm-cpus", type=int, default=None,
              help="CPUs per task (default: 4, or fewer where the partition's nodes have fewer).")
@click.option("--slurm-mem-gb", type=float, default=None, help="Memory per task (GB; default: the partition's).")
@click.option("--slurm-time-min", type=int, default=None,
              help="Time limit per task in minutes (default: every part's --time-limit plus 10 minutes).")
@click.option("--slurm-parallelism", type=int, default=64, show_default=True, help="Tasks of the array running at once.")
@click.option("--export", "exports", multiple=True, type=click.Choice(["canvas"]),
              help="Also write canvas.csv, a Canvas gradebook import (one column per part).")
@click.option("--tolerance-levels", type=int, default=2, show_default=True,
              help="Reproduce: largest pixel difference (0..255) still counted as reproduced ...")
@click.option("--tolerance-fraction", type=float, default=0.01, show_default=True,
              help="... on at most this share of the pixel values.")
@click.option("--classifier", default="tagnet", show_default=True, help="Reference tag classifier: file or release name.")
@click.option("--baseline", default="baseline", show_default=True,
              help="Course-baseline generator the students must beat (file or release name; 'none' to skip).")
@click.option("--faces/--no-faces", default=True, show_default=True, help="Count faces with the course's detector.")
@click.option("--cascade", type=click.Path(path_type=Path), default=None, help="The anime face cascade XML.")
@click.option("--resume/--restart", default=True, show_default=True, help="Keep results of submissions graded before.")
@click.option("--sandbox", type=click.Choice(["basic", "namespaces"]), default=None,
              help="Isolation level (default: the strongest this machine allows; see docs/grading.md).")
@click.option("--network", type=click.Choice(["deny", "allow"]), default="deny", show_default=True,
              help="allow: submissions may download (the course's setting); deny: a failed download is 'needs network'.")
def grade(submissions_dir: Path, tags_file: Path, out: Path, parts_text: str, students: str, time_limit: float,
          memory_mb: int, file_mb: int, disk_mb: int, processes: int, network: str, sandbox: str | None,
          slurm_partition: str | None,
          slurm_account: str | None, slurm_gpus: int | None, slurm_cpus: int | None, slurm_parallelism: int,
          slurm_mem_gb: float | None, slurm_time_min: int | None,
          exports: tuple[str, ...], **options) -> None:
    """Run and grade every submission (one folder per student, holding their hw3/).

    Each part runs in its own private copy, in the course's order (bash run_gan.sh, bash run_cgan.sh
    testing_tags.txt, bash extra_run.sh), with a time limit, resource limits and no network; see the
    report for which isolation was in force. Running the same command again grades only the students
    without a result (a killed task, an interrupted run).

    \b
    Examples:
      cgan grade submissions/ --tags hw3/testing_tags.txt --out grades/
      cgan grade submissions/ --parts cgan --jobs 2 --time-limit 300 --baseline none
      cgan grade submissions/ --students alice,bob          # regrade two, keep the rest
      cgan grade /shared/subs --out /shared/grades --executor slurm --slurm-partition gpu --export canvas
    """
    try:
        parts = parse_parts(parts_text)
    except ValueError as e:
        raise CganError(f"--parts: {e}") from None
    limits = Limits(wall_s=time_limit, memory_mb=memory_mb, file_mb=file_mb, disk_mb=disk_mb, processes=processes,
                    network=network == "allow", sandbox=sandbox or "")
    slurm = {"partition": slurm_partition, "account": slurm_account, "gpus": slurm_gpus, "cpus": slurm_cpus,
             "parallelism": slurm_parallelism, "mem_gb": slurm_mem_gb, "timeout_min": slurm_time_min}
    df = grade_class(submissions_dir, tags_file, out, limits, parts=parts,
                     students=tuple(s.strip() for s in students.split(",") if s.strip()),
                     slurm=slurm, export=exports, log=log, **options)
    for k in parts:
        counts = df[f"verdict_{k}"].value_counts().to_dict()
        click.echo(f"{k}: " + ", ".join(f"{v} {name}" for name, v in counts.items()))
    click.echo(f"wrote {out / 'grades.csv'}, {out / 'report.html'} and students/*/feedback.html")
    missing = int((df[[f"verdict_{k}" for k in parts]] == NOT_GRADED).any(axis=1).sum())
    if missing:
        raise CganError(f"{missing} student(s) not graded (their task failed): run the same command again", exit_code=4)


COMMANDS = [grade]

"""`cgan grade`: run and grade a whole class's submissions."""

from __future__ import annotations

from pathlib import Path

import click

from cgan.cli.common import log
from cgan.grading.gradebook import grade_class
from cgan.grading.sandbox import Limits

L = Limits()


@click.command()
@click.argument("submissions_dir", type=click.Path(path_type=Path))
@click.option("--tags", "tags_file", type=click.Path(path_type=Path), default=Path("hw3/testing_tags.txt"),
              show_default=True, help="Tags file every submission is run on (copied in as testing_tags.txt).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("grades"), show_default=True,
              help="Folder for grades.csv, report.html and students/<name>/.")
@click.option("--time-limit", type=float, default=L.wall_s, show_default=True, help="Wall-clock seconds per submission.")
@click.option("--memory-mb", type=int, default=L.memory_mb, show_default=True, help="Address-space limit per process.")
@click.option("--file-mb", type=int, default=L.file_mb, show_default=True, help="Largest file a submission may write.")
@click.option("--disk-mb", type=int, default=L.disk_mb, show_default=True, help="Room a submission may fill beyond its own size.")
@click.option("--processes", type=int, default=L.processes, show_default=True, help="Processes and threads per submission.")
@click.option("--jobs", type=int, default=1, show_default=True, help="Submissions graded at once.")
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
@click.option("--network", type=click.Choice(["deny", "allow"]), default="deny", show_default=True,
              help="allow: submissions may download (the course's setting); deny: a failed download is 'needs network'.")
def grade(submissions_dir: Path, tags_file: Path, out: Path, time_limit: float, memory_mb: int, file_mb: int,
          disk_mb: int, processes: int, network: str, **options) -> None:
    """Run and grade every submission (one folder per student, holding their hw3/).

    Each runs as `bash run_cgan.sh testing_tags.txt` in a private copy, with a time limit, resource
    limits and no network; see the report for which isolation was in force.

    \b
    Examples:
      cgan grade submissions/ --tags hw3/testing_tags.txt --out grades/
      cgan grade submissions/ --jobs 2 --time-limit 300 --baseline none
    """
    limits = Limits(wall_s=time_limit, memory_mb=memory_mb, file_mb=file_mb, disk_mb=disk_mb, processes=processes,
                    network=network == "allow")
    df = grade_class(submissions_dir, tags_file, out, limits, log=log, **options)
    counts = df["verdict"].value_counts().to_dict()
    click.echo(f"graded {len(df)} submissions: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    click.echo(f"wrote {out / 'grades.csv'} and {out / 'report.html'}")


COMMANDS = [grade]

"""Benches write their own tables into docs/results.md, so the page is never edited by hand.

A section of the page is held between two markers,

    <!-- bench:NAME -->
    ...
    <!-- /bench:NAME -->

and a bench run with `--docs NAME` replaces what is between them with the hardware it ran on, the
command that made it and the table it printed. Everything outside the markers is left as it was; the
page is written to a temporary file and renamed, so a failed run never leaves half a page.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "results.md"


def add_docs_options(ap: argparse.ArgumentParser) -> None:
    """`--docs NAME` and `--docs-page FILE` on a bench's parser."""
    ap.add_argument("--docs", metavar="NAME", default=None,
                    help="also write the table into the <!-- bench:NAME --> section of docs/results.md")
    ap.add_argument("--docs-page", type=Path, default=PAGE, help="the page --docs writes into")


def cpu_name() -> str:
    """The CPU's model name as lscpu gives it, with the cores this process may use."""
    name = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        name = next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "")
    except (OSError, subprocess.CalledProcessError):
        pass
    name = name or platform.processor() or platform.machine()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{name}, {cores} cores"


def hardware() -> str:
    import torch

    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} (GPU) beside {cpu_name()}, torch {torch.__version__}"
    return f"{cpu_name()}, torch {torch.__version__}"


def command(argv: list[str] | None = None) -> str:
    """The command line that made the table, as one would type it from the repository root (without --docs-page)."""
    argv = list(sys.argv if argv is None else argv)
    script = Path(argv[0]).resolve()
    shown = [str(script.relative_to(ROOT)) if script.is_relative_to(ROOT) else argv[0]]
    skip = False
    for arg in argv[1:]:
        if skip:
            skip = False
            continue
        if arg == "--docs-page":
            skip = True
            continue
        if not arg.startswith("--docs-page="):
            shown.append(arg)
    return "python " + shlex.join(shown)


def markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"


def replace_section(page: Path, name: str, body: str) -> None:
    """Put `body` between the section's markers in `page`; a missing or doubled marker is an error naming the file."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise SystemExit(f"{page}: section name {name!r}: use lower-case letters, digits and '-'")
    try:
        text = page.read_text()
    except OSError as e:
        raise SystemExit(f"{page}: cannot read it ({e.strerror})") from None
    start, end = markers(name)
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise SystemExit(f"{page}: needs one '{start}' followed by one '{end}' for --docs {name}")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    tmp = page.with_name(f".{page.name}.tmp")
    tmp.write_text(f"{head}{start}\n{body.strip()}\n{end}{tail}")
    os.replace(tmp, page)


def write_table(page: Path, name: str, table: str, note: str = "") -> None:
    """The section's text: where it ran, the command, the table (and a note under it); then say so."""
    body = f"Measured on {hardware()}:\n\n    {command()}\n\n{table.strip()}\n"
    if note:
        body += f"\n{note.strip()}\n"
    replace_section(page, name, body)
    print(f"wrote the table into {page} (section {name})")

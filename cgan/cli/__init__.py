"""The `cgan` command: a thin Click shell over the library, one module per command group.

\b
Examples:
  cgan data synth --out synth/ --n 2000
  cgan train --data ../shared/data/extra_data --out runs/base --loss gan --epochs 10
  cgan generate hw3/testing_tags.txt -o samples/cgan.png
"""

from __future__ import annotations

import os
import sys

import click

from cgan import __version__
from cgan.cli import data, demo, evaluate, figures, generate, grade, release, train
from cgan.cli.common import Group
from cgan.core import malloc


@click.group(cls=Group, help=__doc__)
@click.version_option(package_name=None, version=__version__)
def cli() -> None:
    pass


for _module in (train, generate, figures, demo, evaluate, grade, release, data):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


# Long-running commands start again under glibc settings that keep freed memory (core/malloc.py).
TUNED_COMMANDS = ("train", "train-transfer", "train-classifier")


def main() -> None:
    os.environ.setdefault("KMP_WARNINGS", "0")
    if len(sys.argv) > 1 and sys.argv[1] in TUNED_COMMANDS and "--help" not in sys.argv:
        malloc.reexec_tuned(["-m", "cgan", *sys.argv[1:]])
    cli(prog_name="cgan")


if __name__ == "__main__":
    main()

"""Conditional GANs for the anime-face homework: train a model, draw faces from tags or sentences,
evaluate grids and grade a class. `cgan COMMAND --help` lists each command's options.

\b
Examples:
  cgan generate hw3/testing_tags.txt -o samples/cgan.png
  cgan train --data faces/ --out runs/hour --dry-run
  cgan data synth --out synth/ --n 2000
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from cgan import __version__
from cgan.cli.common import Group
from cgan.core import malloc

# Command -> the module under cgan/cli that defines it. A command's module is imported only when that
# command runs (or --help lists them all): `cgan generate` then loads neither the trainer, the grader,
# pandas nor the demo, and `cgan --version` not even torch.
COMMAND_MODULES = {
    "train": "train", "train-classifier": "train", "train-transfer": "train", "train-reader": "train",
    "generate": "generate", "transfer": "transfer",
    "plot": "figures", "interpolate": "figures", "progress": "figures",
    "demo": "demo", "eval": "evaluate", "grade": "grade", "export": "release", "download": "release", "data": "data",
}


class LazyGroup(Group):
    """The top-level group: its commands come from COMMAND_MODULES, each imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMAND_MODULES:
            return None
        if cmd_name not in self.commands:
            module = importlib.import_module(f"cgan.cli.{COMMAND_MODULES[cmd_name]}")
            for command in module.COMMANDS:
                self.add_command(command)
        return self.commands.get(cmd_name)


@click.group(cls=LazyGroup, help=__doc__)
@click.version_option(__version__, "--version", package_name=None, prog_name="cgan", message="%(prog)s %(version)s")
def cli() -> None:
    pass


# Long-running commands start again under glibc settings that keep freed memory (core/malloc.py).
TUNED_COMMANDS = ("train", "train-transfer", "train-classifier")


def main() -> None:
    os.environ.setdefault("KMP_WARNINGS", "0")
    if len(sys.argv) > 1 and sys.argv[1] in TUNED_COMMANDS and "--help" not in sys.argv:
        malloc.reexec_tuned(["-m", "cgan", *sys.argv[1:]])
    cli(prog_name="cgan")


if __name__ == "__main__":
    main()

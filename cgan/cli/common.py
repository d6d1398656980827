"""What every command module shares: the group that turns errors into one line, and logging."""

from __future__ import annotations

import click

from cgan.core.errors import CganError


class Group(click.Group):
    """Turns a CganError anywhere below into one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CganError as e:
            click.echo(f"cgan: error: {e}", err=True)
            ctx.exit(e.exit_code)


def log(msg: str) -> None:
    click.echo(msg, err=True)


"""What every command module shares: the group that turns errors into one line, logging, and options
whose defaults come from the library's own option dataclasses."""

from __future__ import annotations

import dataclasses

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


def field_option(cls: type, name: str, *decls: str, help: str, **kw):  # noqa: A002 - click's own keyword
    """A click option for field `name` of the options dataclass `cls`, with that field's default, so the
    CLI and the library cannot drift apart."""
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    default = f.default
    if isinstance(default, bool) and not decls:
        flag = name.replace("_", "-")
        decls = (f"--{flag}/--no-{flag}",)
    return click.option(*(decls or (f"--{name.replace('_', '-')}",)), name, default=default,
                        show_default=default is not None and default != "", help=help, **kw)

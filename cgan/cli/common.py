"""What every command module shares: the group that turns errors into one line, and logging."""

from __future__ import annotations

from typing import NoReturn

import click

from cgan.core.errors import CganError


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"cgan: error: {message}", err=True)
    raise click.exceptions.Exit(code)


def _usage(e: click.ClickException) -> NoReturn:
    """Click's own errors (a bad option value, a missing argument) in the same one line as ours, with
    where to read more, instead of click's usage block."""
    if isinstance(e, click.exceptions.NoArgsIsHelpError):  # `cgan data` alone: its help, as click shows it
        raise e
    ctx = getattr(e, "ctx", None)
    hint = f" (see {ctx.command_path} --help)" if isinstance(e, click.UsageError) and ctx else ""
    _fail(" ".join(e.format_message().split()) + hint, e.exit_code)


class Group(click.Group):
    """Turns a CganError anywhere below, a click usage error, or a file the system refused (an OSError
    naming it) into one line on stderr and a non-zero exit: 2 for bad input, or the CganError's own code."""

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.ClickException as e:
            _usage(e)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CganError as e:
            _fail(str(e), e.exit_code)
        except click.ClickException as e:
            _usage(e)
        except OSError as e:
            if e.filename is None:  # not a file's fault (a dropped connection, a broken pipe): not ours to word
                raise
            _fail(f"{e.filename}: {e.strerror or e}", 2)


def log(msg: str) -> None:
    click.echo(msg, err=True)

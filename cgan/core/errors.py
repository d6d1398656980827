"""One error type for everything a user can get wrong; the CLI turns it into a one-line message."""

from __future__ import annotations

from pathlib import Path


class CganError(Exception):
    """A user-facing error: bad input, a missing file, a checkpoint that does not fit.

    `exit_code` is what the CLI exits with (2 for bad input, as click does for bad usage).
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def at(path: str | Path, line: int | None = None) -> str:
    """'file:line' prefix for error messages, so a user can jump straight to the culprit."""
    return f"{path}:{line}" if line is not None else str(path)

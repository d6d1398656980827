"""The warning `cgan generate` and `cgan transfer` give for an image that may round differently elsewhere
(apart from common.py, which `cgan --version` loads without numpy)."""

from __future__ import annotations

from cgan.cli.common import log
from cgan.core.pixels import Rendered, portability_warning


def warn_margin(r: Rendered, names: list[str]) -> None:
    """Name the images of a written grid that may round differently on another machine (core/pixels.py)."""
    msg = portability_warning(r, names)
    if msg:
        log(msg)

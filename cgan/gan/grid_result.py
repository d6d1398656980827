"""What drawing a grid returns, whichever forward pass drew it."""

from __future__ import annotations

from dataclasses import dataclass, field

from cgan.core.images import GRID_COLS
from cgan.core.pixels import Rendered


@dataclass
class Grid:
    """Images (with their rounding margins), a name for each (for warnings), and the columns to lay them in."""

    rendered: Rendered
    names: list[str]
    cols: int = GRID_COLS
    prompts: int = 0
    read: dict[str, tuple[str, float, str, float]] = field(default_factory=dict)  # a colour reader's, per prompt

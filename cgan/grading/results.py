"""One graded part as a typed structure: what the run did, the grid's format and reproduction check,
the scores, the points; the bulky files (log, images, evaluation) kept apart in `PartFiles`.

On disk (result.json, grades.csv's `<part>_<field>` columns) a result stays the flat row it always was:
`to_row` writes those columns in their historical order, and leaves out a group the part never had (no
tag scores for HW3-1, no grid check for HW3-3), so existing gradebooks and cached results read back
with `from_row` unchanged.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any

# A field's column, where it differs from the field's name (the columns predate the groups).
COL = "col"
# Columns written only when set: a None here means the part never had the field.
OPTIONAL = "optional"


def _columns(group: Any) -> dict[str, Any]:
    out = {}
    for f in fields(group):
        value = getattr(group, f.name)
        if not (f.metadata.get(OPTIONAL) and value is None):
            out[f.metadata.get(COL, f.name)] = value
    return out


def _group(cls: type, row: dict) -> Any:
    """The group `cls` read from a flat row; None when the row holds none of its columns."""
    cols = {f.metadata.get(COL, f.name): f for f in fields(cls)}
    if not any(c in row for c in cols):
        return None
    return cls(**{f.name: row[c] for c, f in cols.items() if c in row})


@dataclass
class RunInfo:
    """The submission's run in the sandbox (all defaults: it did not run)."""

    exit_code: int | None = None
    timed_out: bool = False
    run_s: float | None = None
    output_bytes: int = 0
    isolation: str = ""
    setup_error: str | None = None
    network: str = "denied"


@dataclass
class GridCheck:
    """The grid's format (the course's layout, or at least scorable) and its reproduction of the original."""

    format_ok: bool = False
    scorable: bool = False
    layout: str | None = None
    format: str = ""
    reproduce: str = "n/a"
    max_abs_diff: int | None = None
    diff_fraction: float | None = None
    reproduce_note: str = ""


@dataclass
class TagScores:
    """HW3-2: the share of images whose tags the reference classifier reads as asked."""

    hair_acc: float = 0.0
    eyes_acc: float = 0.0
    both_acc: float = 0.0


@dataclass
class Diversity:
    fd_tagnet: float | None = None
    feature_ratio: float | None = None
    pixel_ratio: float | None = None
    collapse: bool = False
    near_duplicates: int = 0


@dataclass
class FaceCount:
    """The course's face detector on its canvas rebuilt from the tiles."""

    found: int = field(default=0, metadata={COL: "faces"})
    ge_20: bool = field(default=False, metadata={COL: "faces_ge_20"})
    gt_20: bool = field(default=False, metadata={COL: "faces_gt_20"})
    course_canvas: int | None = field(default=None, metadata={COL: "faces_course_canvas"})
    tight: bool = field(default=False, metadata={COL: "faces_tight"})


@dataclass
class AutoPoints:
    """A judged grid's automatic points; `beats_baseline` only where the baseline model was compared."""

    reproduce: int = field(default=0, metadata={COL: "points_reproduce"})
    beats_baseline: bool | None = field(default=None, metadata={OPTIONAL: True})
    baseline: int = field(default=0, metadata={COL: "points_baseline"})


@dataclass
class PartFiles:
    """The bulky side of a part: saved as files beside result.json, never in the gradebook."""

    log: str = ""
    eval: dict = field(default_factory=dict)
    original: bytes | None = None
    output: bytes | None = None
    images: dict[str, bytes] = field(default_factory=dict)


# The optional groups in their column order, each placed between `output_written` and `verdict`.
_SCORE_GROUPS = (("check", GridCheck), ("tags", TagScores), ("diversity", Diversity), ("faces", FaceCount))


@dataclass
class PartResult:
    """One part of one submission as graded. A group that is None was never reached: HW3-3 has no grid
    check, a grid that is not scorable has no scores, faces are missing without the detector."""

    missing: str = ""
    run: RunInfo = field(default_factory=RunInfo)
    output_written: bool = False
    outputs: str | None = None  # HW3-3 only: the images it wrote
    check: GridCheck | None = None
    tags: TagScores | None = None
    diversity: Diversity | None = None
    faces: FaceCount | None = None
    verdict: str = ""
    auto: AutoPoints | None = None  # HW3-3 has no automatic points
    points: int = 0
    review_hint: str = ""

    @property
    def scorable(self) -> bool:
        return bool(self.check and self.check.scorable)

    def to_row(self) -> dict[str, Any]:
        """The flat row result.json and grades.csv hold, key for key and in the same order as ever."""
        row: dict[str, Any] = {"missing": self.missing, **_columns(self.run), "output_written": self.output_written}
        if self.outputs is not None:
            row["outputs"] = self.outputs
        for name, _ in _SCORE_GROUPS:
            if getattr(self, name) is not None:
                row.update(_columns(getattr(self, name)))
        row["verdict"] = self.verdict
        if self.auto is not None:
            row.update(_columns(self.auto))
        row.update(points=self.points, review_hint=self.review_hint)
        return row

    @classmethod
    def from_row(cls, row: dict) -> "PartResult":
        """A result read back from its row (a cached result.json); missing fields take their defaults."""
        defaults = {f.name: f.default for f in fields(cls) if f.default is not MISSING}
        return cls(missing=row.get("missing", ""), run=_group(RunInfo, row) or RunInfo(),
                   output_written=row.get("output_written", False), outputs=row.get("outputs"),
                   **{name: _group(g, row) for name, g in _SCORE_GROUPS}, auto=_group(AutoPoints, row),
                   **{k: row.get(k, defaults[k]) for k in ("verdict", "points", "review_hint")})

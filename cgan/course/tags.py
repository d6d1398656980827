"""Parsers for the course's tag files.

Two on-disk formats exist and both are read:

* faces (the handout's `tags.csv`): ``img_id,tag1:#post<TAB>tag2:#post...`` with every
  Danbooru-style tag of the image; only hair-colour and eye-colour tags matter here, and an
  image with no or several hair (or eye) colours is dropped because its condition is ambiguous.
* extra / testing (`extra_data/tags.csv`, `testing_tags.txt`): ``id,aqua hair aqua eyes``.

Every error names the file and the line, so a user with 36k lines can find the bad one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cgan.core.errors import CganError, at
from cgan.course.colors import EYE_COLORS, EYE_INDEX, HAIR_COLORS, HAIR_INDEX

_PAIR_RE = re.compile(r"^(\S+)\s+hair\s+(\S+)\s+eyes$")
_ID_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class TagLine:
    """One image's (or one requested sample's) condition."""

    id: str
    hair: str
    eyes: str
    line: int = 0

    @property
    def pair(self) -> tuple[str, str]:
        return (self.hair, self.eyes)

    @property
    def text(self) -> str:
        return f"{self.hair} hair {self.eyes} eyes"


@dataclass
class TagsFile:
    path: Path
    fmt: str  # "faces" or "extra"
    records: list[TagLine]
    dropped: Counter = field(default_factory=Counter)  # reason -> count

    @property
    def kept(self) -> int:
        return len(self.records)

    def summary(self) -> str:
        parts = [f"{self.kept} kept"]
        if self.dropped:
            n = sum(self.dropped.values())
            why = ", ".join(f"{v} {k}" for k, v in sorted(self.dropped.items()))
            parts.append(f"{n} dropped ({why})")
        return f"{self.path}: {self.fmt} format, " + ", ".join(parts)


def parse_pair(text: str, where: str) -> tuple[str, str]:
    """'blue hair green eyes' -> ('blue', 'green'); unknown colours are an error."""
    m = _PAIR_RE.match(" ".join(text.lower().split()))
    if not m:
        raise CganError(f"{where}: expected '<colour> hair <colour> eyes', got {text.strip()!r}")
    hair, eyes = m.groups()
    if hair not in HAIR_INDEX:
        raise CganError(f"{where}: unknown hair colour {hair!r} (known: {', '.join(HAIR_COLORS)})")
    if eyes not in EYE_INDEX:
        raise CganError(f"{where}: unknown eye colour {eyes!r} (known: {', '.join(EYE_COLORS)})")
    return hair, eyes


def _read_lines(path: Path) -> list[str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CganError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CganError(f"{path}: is a directory, expected a tags file") from None
    except OSError as e:
        raise CganError(f"{path}: cannot read ({e.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise CganError(f"{at(path, line)}: not UTF-8 text (byte {e.start})") from None
    return text.splitlines()


def _split_id(raw: str, where: str) -> tuple[str, str]:
    if "," not in raw:
        raise CganError(f"{where}: expected 'id,tags', found no comma")
    img_id, rest = raw.split(",", 1)
    img_id = img_id.strip()
    if not img_id or not _ID_RE.match(img_id):
        raise CganError(f"{where}: bad image id {img_id!r}")
    return img_id, rest


def _faces_colours(rest: str, where: str) -> tuple[set[str], set[str]]:
    hairs: set[str] = set()
    eyes: set[str] = set()
    for tag in rest.split("\t"):
        tag = tag.strip()
        if not tag:
            continue
        name, sep, count = tag.rpartition(":")
        if not sep or not name:
            raise CganError(f"{where}: expected 'tag:#posts', got {tag!r}")
        if not count.strip().isdigit():
            raise CganError(f"{where}: post count of tag {name!r} is not a number: {count!r}")
        words = name.lower().split()
        if len(words) == 2 and words[1] == "hair" and words[0] in HAIR_INDEX:
            hairs.add(words[0])
        elif len(words) == 2 and words[1] == "eyes" and words[0] in EYE_INDEX:
            eyes.add(words[0])
        # Other tags ('long hair', 'smile', 'silver hair', ...) carry no colour we condition on.
    return hairs, eyes


def read_tags(path: str | Path) -> TagsFile:
    """Read a tags file in either format (detected from its first line)."""
    path = Path(path)
    lines = _read_lines(path)
    numbered = [(i + 1, ln) for i, ln in enumerate(lines) if ln.strip()]
    if not numbered:
        raise CganError(f"{path}: empty tags file")
    first_rest = numbered[0][1].split(",", 1)[-1]
    fmt = "faces" if ":" in first_rest else "extra"
    records: list[TagLine] = []
    dropped: Counter = Counter()
    seen: dict[str, int] = {}
    for lineno, raw in numbered:
        where = at(path, lineno)
        img_id, rest = _split_id(raw, where)
        if img_id in seen:
            raise CganError(f"{where}: duplicate id {img_id!r} (first on line {seen[img_id]})")
        seen[img_id] = lineno
        if fmt == "extra":
            hair, eyes = parse_pair(rest, where)
            records.append(TagLine(img_id, hair, eyes, lineno))
            continue
        hairs, eyes = _faces_colours(rest, where)
        if len(hairs) != 1 or len(eyes) != 1:
            reason = []
            if len(hairs) != 1:
                reason.append("no hair colour" if not hairs else "several hair colours")
            if len(eyes) != 1:
                reason.append("no eye colour" if not eyes else "several eye colours")
            dropped[" and ".join(reason)] += 1
            continue
        records.append(TagLine(img_id, hairs.pop(), eyes.pop(), lineno))
    return TagsFile(path, fmt, records, dropped)


def read_testing_tags(path: str | Path) -> list[TagLine]:
    """The handout's `testing_tags.txt`: one requested sample per line, `id,blue hair green eyes`."""
    tf = read_tags(path)
    if tf.fmt != "extra":
        raise CganError(f"{path}:1: expected 'id,<colour> hair <colour> eyes' lines, got tag:count format")
    return tf.records

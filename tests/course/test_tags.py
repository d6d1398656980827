from __future__ import annotations

import pytest

from cgan.core.errors import CganError
from cgan.course.tags import parse_pair, read_tags, read_testing_tags

from conftest import shared, write


def test_extra_format(tmp_path):
    p = write(tmp_path / "tags.csv", "0,aqua hair aqua eyes\n1,Blonde  hair red eyes\r\n\n")
    tf = read_tags(p)
    assert tf.fmt == "extra"
    assert [(r.id, r.hair, r.eyes, r.line) for r in tf.records] == [("0", "aqua", "aqua", 1), ("1", "blonde", "red", 2)]


def test_faces_format_keeps_only_unambiguous_colours(tmp_path):
    p = write(tmp_path / "tags.csv",
              "2,blonde hair:0\tpink eyes:0\n"
              "3,long hair:120\tblue hair:55\tsmile:3\tred eyes:9\n"      # style tags ignored
              "4,blue hair:1\tred hair:2\tred eyes:1\n"                 # two hair colours
              "5,blue hair:1\n"                                          # no eye colour
              "6,smile:1\n"                                              # nothing
              "7,silver hair:5\tgreen eyes:2\n")                         # colour outside the vocabulary
    tf = read_tags(p)
    assert tf.fmt == "faces"
    assert [(r.id, r.hair, r.eyes) for r in tf.records] == [("2", "blonde", "pink"), ("3", "blue", "red")]
    assert tf.dropped == {"several hair colours": 1, "no eye colour": 1,
                          "no hair colour and no eye colour": 1, "no hair colour": 1}
    assert "2 kept" in tf.summary() and "4 dropped" in tf.summary()


def test_bom_is_ignored(tmp_path):
    p = write(tmp_path / "t.txt", "\ufeff1,blue hair blue eyes\n".encode("utf-8"))
    assert read_testing_tags(p)[0].id == "1"


@pytest.mark.parametrize("content, line, message", [
    ("0,aqua hair aqua eyes\n1,silver hair red eyes\n", 2, "unknown hair colour 'silver'"),
    ("0,aqua hair violet eyes\n", 1, "unknown eye colour 'violet'"),
    ("0 aqua hair aqua eyes\n", 1, "no comma"),
    (",aqua hair aqua eyes\n", 1, "bad image id"),
    ("a b,aqua hair aqua eyes\n", 1, "bad image id"),
    ("0,aqua hair aqua eyes\n0,red hair red eyes\n", 2, "duplicate id '0' (first on line 1)"),
    ("0,aqua hair\n", 1, "expected '<colour> hair <colour> eyes'"),
    ("0,aqua hair aqua eyes extra\n", 1, "expected '<colour> hair <colour> eyes'"),
    ("0,blue hair:1\tred eyes\n", 1, "expected 'tag:#posts'"),
    ("0,blue hair:1\tred eyes:many\n", 1, "post count of tag 'red eyes' is not a number"),
    ("0,blue hair:1\n1,blue hair red eyes\n", 2, "expected 'tag:#posts'"),
])
def test_malformed_lines_name_file_and_line(tmp_path, content, line, message):
    p = write(tmp_path / "tags.csv", content)
    with pytest.raises(CganError) as e:
        read_tags(p)
    assert str(e.value).startswith(f"{p}:{line}: ")
    assert message in str(e.value)
    assert e.value.exit_code == 2


def test_not_utf8_names_the_line(tmp_path):
    p = write(tmp_path / "tags.csv", b"0,aqua hair aqua eyes\n1,\xff\xfe hair\n")
    with pytest.raises(CganError, match=r"tags.csv:2: not UTF-8"):
        read_tags(p)


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.csv", "no such file"),
    (lambda d: d, "is a directory"),
    (lambda d: write(d / "empty.csv", "\n\n"), "empty tags file"),
])
def test_unreadable_files(tmp_path, make, message):
    with pytest.raises(CganError, match=message):
        read_tags(make(tmp_path))


def test_testing_tags_refuses_faces_format(tmp_path):
    p = write(tmp_path / "t.txt", "1,blue hair:0\tred eyes:0\n")
    with pytest.raises(CganError, match=r"t.txt:1: expected 'id,<colour> hair"):
        read_testing_tags(p)


def test_parse_pair_normalises_case_and_spaces():
    assert parse_pair("  Blue   HAIR green eyes ", "x:1") == ("blue", "green")


def test_handout_files_parse():
    recs = read_testing_tags(shared("testing_tags.txt"))
    assert len(recs) == 25 and recs[0].text == "blue hair blue eyes" and recs[-1].text == "green hair red eyes"
    faces = read_tags(shared("faces", "tags.csv"))
    assert faces.fmt == "faces" and faces.kept == 11418
    extra = read_tags(shared("extra_data", "tags.csv"))
    assert extra.kept == 36740 and len({r.pair for r in extra.records}) == 119

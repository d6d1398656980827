import pytest

from cgan.core.errors import CganError
from cgan.text.prompts import plan_images


def test_one_text_and_a_file(tmp_path):
    prompts, seeds, cols = plan_images("a red flower", None, None)
    assert prompts == ["a red flower"] * 25 and seeds == list(range(25)) and cols == 5
    f = tmp_path / "p.txt"
    f.write_text("first prompt\n\n  second prompt  \n")
    prompts, seeds, cols = plan_images(None, f, 3)
    assert prompts == ["first prompt"] * 3 + ["second prompt"] * 3 and seeds == [0, 1, 2] * 2 and cols == 3


def test_bad_prompts(tmp_path):
    with pytest.raises(CganError, match="--text is empty"):
        plan_images("  ", None, None)
    f = tmp_path / "p.txt"
    f.write_bytes(b"fine\n\xff\xfe broken\n")
    with pytest.raises(CganError, match=r"p.txt:2: not UTF-8"):
        plan_images(None, f, None)
    f.write_text("\n \n")
    with pytest.raises(CganError, match="no prompts"):
        plan_images(None, f, None)

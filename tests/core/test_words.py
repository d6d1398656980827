"""Counts read as English: one image, two images."""

from cgan.core.words import count


def test_one_is_singular_and_the_rest_plural():
    assert count(1, "image") == "1 image"
    assert count(0, "image") == "0 images" and count(2500, "image") == "2,500 images"
    assert count(2, "child", "children") == "2 children"

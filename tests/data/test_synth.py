from __future__ import annotations

import numpy as np

from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.course.tags import read_tags
from cgan.data.synth_faces import EYE_RGB, HAIR_RGB, draw_face, read_eyes, read_hair


def test_palettes_cover_the_course_vocabulary():
    assert set(HAIR_RGB) == set(HAIR_COLORS) and set(EYE_RGB) == set(EYE_COLORS)


def test_tags_can_be_read_back_from_pixels():
    rng = np.random.RandomState(0)
    hair_ok = eyes_ok = n = 0
    for h in HAIR_COLORS:
        for e in EYE_COLORS:
            im = draw_face(h, e, rng)
            hair_ok += read_hair(im) == h
            eyes_ok += read_eyes(im) == e
            n += 1
    assert hair_ok / n == 1.0
    assert eyes_ok / n >= 0.85


def test_synth_writes_the_real_formats(synth_faces, synth_extra):
    faces = read_tags(synth_faces / "tags.csv")
    assert faces.fmt == "faces" and faces.kept == 128 and not faces.dropped
    assert (synth_faces / "0.jpg").exists()
    extra = read_tags(synth_extra / "tags.csv")
    assert extra.fmt == "extra" and (synth_extra / "images" / "0.jpg").exists()

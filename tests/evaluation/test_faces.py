from __future__ import annotations

import numpy as np
import pytest

from cgan.core.images import make_grid
from cgan.data.tagged import load_tagged_folder
from cgan.evaluation.face_detector import detect_faces, load_detector

from conftest import shared

pytest.importorskip("cv2", reason="opencv-python-headless<5 not installed (optional extra)")


@pytest.fixture(scope="module")
def detector():
    return load_detector(shared("lbpcascade_animeface", "lbpcascade_animeface.xml"))


def test_real_faces_are_found_noise_is_not(detector):
    data = load_tagged_folder(shared("extra_data"), log=lambda m: None)
    grid = make_grid(data.images[np.random.RandomState(0).choice(len(data), 25, replace=False)])
    assert len(detect_faces(grid, detector)) >= 20
    noise = np.random.RandomState(0).randint(0, 256, (320, 320, 3)).astype(np.uint8)
    assert len(detect_faces(noise, detector)) == 0

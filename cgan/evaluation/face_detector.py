"""The course's baseline check: the anime face detector (nagadomi's LBP cascade) on a grid PNG.

Course parameters: gray, equalizeHist, detectMultiScale(scaleFactor=1.1, minNeighbors=5,
minSize=(24, 24)); a grid passes with >= 20 faces among its 25 images.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cgan.core.download import DownloadError
from cgan.core.errors import CganError
from cgan.release.manifest import fetch

PASS_FACES = 20
CASCADE = "lbpcascade_animeface"


def _cv2():
    try:
        import cv2
    except ImportError:
        raise CganError("the face detector needs OpenCV: pip install -r requirements-eval.txt") from None
    if not hasattr(cv2, "CascadeClassifier"):
        raise CganError("this OpenCV has no CascadeClassifier (5.0 dropped it): pip install -r requirements-eval.txt "
                        "(opencv-python-headless<5)")
    return cv2


def load_detector(path: str | Path | None = None, log=lambda m: None, give_file: str = "--cascade FILE"):
    """The cascade from `path`, or fetched once (pinned sha256) through the release cache. Where it cannot
    be fetched, the error says to pass the file instead, as `give_file` (the caller's option for it)."""
    cv2 = _cv2()
    if path is None:
        try:
            path = fetch(CASCADE, log=log, progress=False)
        except DownloadError as e:
            raise DownloadError(f"the course's face detector ({CASCADE}) could not be fetched: {e}; "
                                f"give a copy of {CASCADE}.xml with {give_file}") from None
    p = Path(path)
    if not p.is_file():
        raise CganError(f"{p}: {'is a folder, not' if p.is_dir() else 'no such file; expected'} "
                        f"an OpenCV cascade XML ({CASCADE}.xml)")
    try:
        det = cv2.CascadeClassifier(str(p))
    except (cv2.error, SystemError):  # OpenCV raises on some malformed XML rather than returning an empty one
        det = None
    if det is None or det.empty():
        raise CganError(f"{p}: not a loadable OpenCV cascade")
    return det


def detect_faces(image: np.ndarray, detector) -> np.ndarray:
    """Boxes (x, y, w, h) found in an RGB(A) or gray uint8 image."""
    cv2 = _cv2()
    if image.ndim == 3:
        image = cv2.cvtColor(image[..., :3], cv2.COLOR_RGB2GRAY)
    gray = cv2.equalizeHist(np.ascontiguousarray(image))
    faces = detector.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24))
    return np.asarray(faces, dtype=np.int64).reshape(-1, 4)

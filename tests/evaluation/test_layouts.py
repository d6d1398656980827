import csv

import numpy as np
import pytest
from PIL import Image

from cgan.core.errors import CganError
from cgan.core.images import make_grid
from cgan.evaluation.layouts import (
    course_boxes,
    course_canvas,
    find_tiles,
    grid_rows,
    matplotlib_canvas,
)

from conftest import shared

# Where matplotlib 3.11 (Agg, defaults) draws the 25 images of the course's save_imgs(): first and
# last pixel rows/columns of each tile, measured on its canvas.
MPL_ROWS = [(58, 120), (134, 197), (211, 273), (287, 350), (363, 426)]
MPL_COLS = [(91, 154), (194, 256), (296, 359), (399, 461), (501, 564)]


def _images(seed=0, n=25):
    """Smooth random images (8x8 noise, upsampled): like faces, little energy at the pixel scale."""
    rng = np.random.RandomState(seed)
    small = rng.randint(30, 220, (n, 8, 8, 3)).astype(np.uint8)
    return np.stack([np.asarray(Image.fromarray(s).resize((64, 64), Image.Resampling.BICUBIC)) for s in small])


def test_course_geometry_matches_matplotlib_within_a_pixel():
    boxes = course_boxes()
    for r, (top, bottom) in enumerate(MPL_ROWS):
        for c, (left, right) in enumerate(MPL_COLS):
            x0, y0, x1, y1 = boxes[r * 5 + c]
            assert abs(x0 - left) <= 1 and abs(x1 - 1 - right) <= 1
            assert abs(y0 - top) <= 1 and abs(y1 - 1 - bottom) <= 1


def test_canvas_is_the_course_png_and_tiles_come_back():
    imgs = _images()
    canvas = course_canvas(imgs)
    assert canvas.shape == (480, 640, 4) and (canvas[0, 0] == 255).all()
    tiles, layout = find_tiles(canvas)
    assert "640x480, tiles found" in layout
    # Resampled twice (64 -> 63.7 -> 64), so close to the originals, not equal.
    assert np.abs(tiles.astype(int) - imgs).mean() < 25


def test_pillow_rebuild_agrees_with_matplotlib():
    pytest.importorskip("matplotlib", reason="matplotlib not installed: the Pillow rebuild is all there is")
    imgs = _images(1)
    ours, theirs = course_canvas(imgs), matplotlib_canvas(imgs)
    assert ours.shape == theirs.shape
    assert np.abs(ours.astype(int) - theirs.astype(int)).mean() < 1.5
    assert find_tiles(ours)[1] == find_tiles(theirs)[1]  # the same tile boxes


@pytest.mark.parametrize("pad", [0, 2])
def test_tight_and_torchvision_layouts(pad):
    imgs = _images(2)
    if pad:
        grid = np.zeros((5 * 64 + 6 * pad,) * 2 + (3,), np.uint8)
        for k, im in enumerate(imgs):
            r, c = divmod(k, 5)
            grid[pad + r * (64 + pad):pad + r * (64 + pad) + 64, pad + c * (64 + pad):pad + c * (64 + pad) + 64] = im
    else:
        grid = make_grid(imgs)
    tiles, _ = find_tiles(grid)
    assert (tiles == imgs).all()


def test_no_grid_found():
    with pytest.raises(CganError, match="could not find a 5x5 grid"):
        find_tiles(np.full((100, 37, 3), 255, np.uint8))


def test_real_submitted_grids():
    """Every layout the course's students submitted: 25 tiles found, and the course's face count."""
    from cgan.evaluation.face_detector import detect_faces, load_detector

    root = shared("real_grids")
    det = load_detector(shared("lbpcascade_animeface", "lbpcascade_animeface.xml"))
    rows = list(csv.DictReader(open(root / "grids.csv")))
    assert len(rows) == 44
    for row in rows:
        grid = np.asarray(Image.open(root / row["team"] / row["file"]))
        tiles, layout = find_tiles(grid)
        assert tiles.shape == (25, 64, 64, 3), (row["file"], layout)
        assert len(detect_faces(grid, det)) == int(row["course_faces"]), row


@pytest.mark.parametrize("n", [1, 7, 10, 25, 26])
def test_any_number_of_rows_as_generate_writes_them(n, tmp_path):
    """A tight grid of 5 per row, the last row partly black (make_grid's empty cells): every image back,
    the empty cells left out."""
    from cgan.core.images import save_grid
    from cgan.evaluation.sources import grid_reading, grid_tiles

    imgs = _images(3, n)
    save_grid(imgs, tmp_path / "g.png")
    tiles, layout, _ = grid_tiles(tmp_path / "g.png")
    assert (tiles == imgs).all()
    rows = -(-n // 5)
    assert layout == f"320x{64 * rows}, tight grid of 64px tiles"
    assert grid_reading("g.png", len(tiles), layout) == \
        f"g.png: {n} image{'s' * (n > 1)} in {rows} row{'s' * (rows > 1)} of 5 ({layout})"
    with pytest.raises(CganError, match=f"{5 * rows} tiles for {5 * rows + 1} tag lines"):
        grid_tiles(tmp_path / "g.png", 5 * rows + 1)


def test_padded_grid_of_two_rows():
    imgs, pad = _images(4, 10), 2
    grid = np.zeros((2 * 64 + 3 * pad, 5 * 64 + 6 * pad, 3), np.uint8)
    for k, im in enumerate(imgs):
        r, c = divmod(k, 5)
        grid[pad + r * (64 + pad):pad + r * (64 + pad) + 64, pad + c * (64 + pad):pad + c * (64 + pad) + 64] = im
    tiles, layout = find_tiles(grid, rows=None)
    assert (tiles == imgs).all() and "torchvision grid with 2px padding" in layout
    assert grid_rows(320, 128) == 2 and grid_rows(640, 480) is None

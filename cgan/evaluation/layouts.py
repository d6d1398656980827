"""Grid layouts a grader meets: the course's matplotlib canvas, rebuilt, and finding the 25 tiles in any PNG
(or any number of rows of a tight or padded grid, as `cgan generate` writes for any number of tag lines).

The course's `save_imgs()` drew each 64x64 image with `imshow` into a default 5x5
`plt.subplots` figure (6.4x4.8 in at 100 dpi = 640x480, subplot margins left 0.125, right 0.9,
bottom 0.11, top 0.88, spacing 0.2) and saved it: tiles of ~63.7 px inside wide white margins.
The course's face detector ran on that canvas, so the baseline check must too.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from cgan.core.errors import CganError
from cgan.core.images import TILE

# matplotlib's rcParams defaults (figure.figsize, figure.dpi, figure.subplot.*)
FIGSIZE = (6.4, 4.8)
DPI = 100


LEFT, RIGHT, BOTTOM, TOP, WSPACE, HSPACE = 0.125, 0.9, 0.11, 0.88, 0.2, 0.2


def course_boxes(width: int = 640, height: int = 480, rows: int = 5, cols: int = 5) -> list[tuple[float, float, float, float]]:
    """(x0, y0, x1, y1) in pixels, from the top left, of each image drawn by `imshow` on a
    `plt.subplots(rows, cols)` figure of width x height pixels (square images, aspect 'equal')."""
    cell_w = (RIGHT - LEFT) * width / (cols + (cols - 1) * WSPACE)
    cell_h = (TOP - BOTTOM) * height / (rows + (rows - 1) * HSPACE)
    side = min(cell_w, cell_h)  # the axes box shrinks to keep the image square
    boxes = []
    for r in range(rows):
        for c in range(cols):
            ax_x = LEFT * width + c * cell_w * (1 + WSPACE)
            ax_y = (1 - TOP) * height + r * cell_h * (1 + HSPACE)
            x0, y0 = ax_x + (cell_w - side) / 2, ax_y + (cell_h - side) / 2
            boxes.append((x0, y0, x0 + side, y0 + side))
    return boxes


def course_canvas(images: np.ndarray, width: int = 640, height: int = 480) -> np.ndarray:
    """The course's saved figure rebuilt with Pillow: RGBA, white, each tile resampled into its box."""
    canvas = Image.new("RGBA", (width, height), (255, 255, 255, 255))
    for img, (x0, y0, x1, y1) in zip(images, course_boxes(width, height)):
        left, top = int(round(x0)), int(round(y0))
        size = (int(round(x1)) - left, int(round(y1)) - top)
        tile = Image.fromarray(np.ascontiguousarray(img)).convert("RGBA").resize(size, Image.Resampling.BILINEAR)
        canvas.paste(tile, (left, top))
    return np.asarray(canvas)


def matplotlib_canvas(images: np.ndarray, figsize: tuple[float, float] = FIGSIZE, dpi: int = DPI) -> np.ndarray:
    """The course's own code path (needs matplotlib): the reference the Pillow rebuild is tested against."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"figure.figsize": figsize, "figure.dpi": dpi, "savefig.dpi": "figure"}):
        fig, axs = plt.subplots(5, 5)
        for k, ax in enumerate(axs.flat):
            ax.imshow(images[k])
            ax.axis("off")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())))


def _runs(mask: np.ndarray, min_gap: int = 2) -> list[tuple[int, int]]:
    """[start, end) of the True runs, closing gaps shorter than `min_gap` (a white line inside a tile)."""
    idx = np.flatnonzero(mask)
    if not len(idx):
        return []
    runs = [[idx[0], idx[0] + 1]]
    for x in idx[1:]:
        if x - runs[-1][1] < min_gap:
            runs[-1][1] = x + 1
        else:
            runs.append([x, x + 1])
    return [(int(a), int(b)) for a, b in runs]


def _pick(runs: list[tuple[int, int]], n: int) -> list[tuple[int, int]] | None:
    """The n widest runs when they are alike in size (tiles), in order; None when they are not."""
    if len(runs) < n:
        return None
    best = sorted(sorted(runs, key=lambda r: r[1] - r[0], reverse=True)[:n])
    sizes = [b - a for a, b in best]
    return best if min(sizes) >= 0.8 * max(sizes) else None


def grid_rows(width: int, height: int, cols: int = 5, size: int = TILE) -> int | None:
    """Rows of a tight or torchvision-padded grid `cols` tiles of `size` px wide, of any height; None for
    any other layout."""
    if width == cols * size and height and height % size == 0:
        return height // size
    for pad in range(1, 5):
        if width == cols * size + (cols + 1) * pad and height > pad and (height - pad) % (size + pad) == 0:
            return (height - pad) // (size + pad)
    return None


def find_tiles(grid: np.ndarray, rows: int | None = 5, cols: int = 5, size: int = TILE) -> tuple[np.ndarray, str]:
    """The rows x cols images in a grid PNG of any common layout, resized to size x size.

    Tight grids (no margins) are cut evenly; otherwise tiles are the runs of rows and columns that
    differ from the background (the corner colour: white canvases, black torchvision padding).
    `rows=None`: as many rows as a tight or padded grid holds (`grid_rows`), else the course's 5.
    Returns (NHWC uint8 tiles, a word on the layout found).
    """
    tiles, layout, _ = find_tiles_sized(grid, rows, cols, size)
    return tiles, layout


def find_tiles_sized(grid: np.ndarray, rows: int | None = 5, cols: int = 5,
                     size: int = TILE) -> tuple[np.ndarray, str, tuple[float, float]]:
    """`find_tiles`, plus the (width, height) in pixels the tiles had in the PNG before resizing."""
    rgb = np.asarray(Image.fromarray(grid).convert("RGB")) if grid.shape[-1] == 4 else grid[..., :3]
    h, w = rgb.shape[:2]
    rows = rows or grid_rows(w, h, cols, size) or 5
    if (w, h) == (cols * size, rows * size):  # the course's format: cut it, never guess
        return rgb.reshape(rows, size, cols, size, 3).swapaxes(1, 2).reshape(-1, size, size, 3).copy(), \
            f"{w}x{h}, tight grid of {size}px tiles", (size, size)
    for pad in range(1, 5):  # torchvision's make_grid: `pad` pixels around and between the tiles
        if (w, h) == (cols * size + (cols + 1) * pad, rows * size + (rows + 1) * pad):
            step = size + pad
            tiles = [rgb[pad + r * step:pad + r * step + size, pad + c * step:pad + c * step + size]
                     for r in range(rows) for c in range(cols)]
            return np.stack(tiles), f"{w}x{h}, torchvision grid with {pad}px padding", (size, size)
    corners = np.array([rgb[0, 0], rgb[0, -1], rgb[-1, 0], rgb[-1, -1]], dtype=np.int32)
    bg = np.median(corners, axis=0)
    content = np.abs(rgb.astype(np.int32) - bg).sum(2) > 24
    row_runs = _pick(_runs(content.mean(1) > 0.01), rows)
    col_runs = _pick(_runs(content.mean(0) > 0.01), cols)
    if row_runs and col_runs:
        layout = f"{w}x{h}, tiles found at {col_runs[0][1] - col_runs[0][0]}x{row_runs[0][1] - row_runs[0][0]} px"
        boxes = [(c0, r0, c1, r1) for r0, r1 in row_runs for c0, c1 in col_runs]
        tile_px = (float(np.mean([c1 - c0 for c0, c1 in col_runs])), float(np.mean([r1 - r0 for r0, r1 in row_runs])))
    elif w % cols == 0 and h % rows == 0 or (abs(w / cols - h / rows) < 1 and w >= cols * 16):
        tw, th = w / cols, h / rows
        layout = f"{w}x{h}, tight grid of {tw:g}x{th:g} px tiles"
        tile_px = (tw, th)
        boxes = [(round(c * tw), round(r * th), round((c + 1) * tw), round((r + 1) * th))
                 for r in range(rows) for c in range(cols)]
    else:
        raise CganError(f"{w}x{h}: could not find a {rows}x{cols} grid of images in it")
    tiles = []
    for x0, y0, x1, y1 in boxes:
        t = Image.fromarray(np.ascontiguousarray(rgb[y0:y1, x0:x1]))
        if t.size != (size, size):
            t = t.resize((size, size), Image.Resampling.BICUBIC)
        tiles.append(np.asarray(t))
    return np.stack(tiles), layout, tile_px

"""What the grader checks in one submission's output: format, reproduction, verdict, review hints."""

from __future__ import annotations

import re

import numpy as np

from cgan.core.errors import CganError
from cgan.core.images import GRID_COLS, TILE, read_png
from cgan.evaluation.layouts import find_tiles_sized
from cgan.grading.results import PartResult

OUTPUT = "samples/cgan.png"
BLANK_STD = 2.0  # a tile whose pixels vary less than this (0..255) is blank
# The rule is 'a grid of 64x64 images'. The course's matplotlib canvas draws them at ~63.7 px; a tile
# outside this range was resized (a 256x256 PNG holds 51x51 px tiles) and does not pass.
TILE_PX_RANGE = (60.0, 68.0)
# A grid is judged as a viewer shows it: transparency composited over white (a browser's page). One
# whose average opacity is under this shows mostly the page, not the images: not scorable.
MIN_OPACITY = 0.5

# Verdicts in the order a TA should look at them.
VERDICTS = ("setup error", "missing files", "needs network", "timeout", "crash", "no output", "bad format",
            "not reproducible", "ok")


# What a failed download prints (requests, urllib, curl, wget, gdown, socket errors).
NETWORK_FAILURES = re.compile(
    r"Temporary failure in name resolution|Name or service not known|Network is unreachable|"
    r"Failed to establish a new connection|Could not resolve host|unable to resolve host|URLError|"
    r"ConnectionError|Max retries exceeded|getaddrinfo failed|No route to host", re.I)


def check_format(data: bytes | None, n_images: int, output: str = OUTPUT) -> dict:
    """The course's format: PNG, (5*64) x (rows*64), RGB, no blank tile ('ok'). A grid in another
    layout that holds 64x64 images (the course's matplotlib canvas, torchvision padding) fails that
    but is still 'scorable' when its 25 tiles are found, so it can be reproduced and scored all the
    same; tiles of another size (a resized grid) are not."""
    res: dict = {"ok": False, "scorable": False, "problems": [], "size": None, "mode": None, "blank_tiles": [],
                 "layout": None, "tiles": None}
    if data is None:
        res["problems"].append(f"{output} was not written")
        return res
    arr, mode = read_png(data)
    if arr is None:
        res["problems"].append(mode)
        return res
    arr, opacity = displayed(arr)
    if opacity < 1.0:
        res["problems"].append(f"{1 - opacity:.0%} transparent: judged as shown on a white page")
    if opacity < MIN_OPACITY:
        res["problems"].append("largely transparent: a viewer shows an almost empty image")
        return res
    h, w = arr.shape[:2]
    rows = -(-n_images // GRID_COLS)
    res.update(size=f"{w}x{h}", mode=mode)
    if (w, h) != (GRID_COLS * TILE, rows * TILE):
        res["problems"].append(f"size {w}x{h}, expected {GRID_COLS * TILE}x{rows * TILE} "
                               f"({GRID_COLS} columns of {TILE}px, {rows} rows)")
    if mode != "RGB":
        res["problems"].append(f"mode {mode}, expected RGB")
    if not res["problems"]:
        tiles = arr[..., :3].reshape(rows, TILE, GRID_COLS, TILE, 3).swapaxes(1, 2).reshape(-1, TILE, TILE, 3)
        res["layout"] = "tight"
    elif n_images == 25:
        try:
            tiles, res["layout"], (tw, th) = find_tiles_sized(arr)
        except CganError:
            return res
        lo, hi = TILE_PX_RANGE
        if not (lo <= tw <= hi and lo <= th <= hi):
            res["problems"].append(f"its tiles are {tw:.0f}x{th:.0f} px: a grid of 64x64 images is required")
            return res
    else:
        return res
    tiles = np.ascontiguousarray(tiles[:n_images])
    # Per channel: a uniformly red tile is as blank as a black one.
    res["blank_tiles"] = [i for i in range(n_images) if tiles[i].reshape(-1, 3).std(0).max() < BLANK_STD]
    blank = res["blank_tiles"]
    if blank:
        which = ", ".join(str(i + 1) for i in blank[:5]) + (", ..." if len(blank) > 5 else "")
        res["problems"].append(f"{len(blank)} blank tiles ({which})")
    res["ok"] = not res["problems"]
    res["scorable"] = len(res["blank_tiles"]) < n_images / 2  # a few blank tiles are scored; a blank grid is not
    res["tiles"] = tiles if res["scorable"] else None
    return res


def displayed(arr: np.ndarray) -> tuple[np.ndarray, float]:
    """The RGB a viewer shows (alpha composited over white) and the image's average opacity (0..1)."""
    if arr.ndim != 3 or arr.shape[2] != 4:
        return arr, 1.0
    alpha = arr[..., 3:].astype(np.float32) / 255.0
    rgb = arr[..., :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
    return np.rint(rgb).astype(np.uint8), float(alpha.mean())


def compare(a: bytes | None, b: bytes | None, levels: int = 2, fraction: float = 0.01) -> dict:
    """Reproduction: 'identical', 'within tolerance' (<= `levels` off on <= `fraction` of values), else 'different'."""
    if a is None or b is None:
        return {"status": "n/a", "why": "no output" if a is None else "no committed original"}
    if a == b:
        return {"status": "identical", "max_abs_diff": 0, "diff_fraction": 0.0}
    x, _ = read_png(a)
    y, _ = read_png(b)
    if x is None or y is None:
        return {"status": "different", "why": "unreadable image"}
    x, y = displayed(x)[0], displayed(y)[0]  # hidden colours under transparent pixels do not count
    if x.shape[:2] != y.shape[:2]:
        return {"status": "different", "why": f"sizes differ: {x.shape[1]}x{x.shape[0]} vs {y.shape[1]}x{y.shape[0]}"}
    d = np.abs(x[..., :3].astype(np.int16) - y[..., :3].astype(np.int16))
    mx, frac = int(d.max()), float((d > 0).mean())
    ok = mx == 0 or (mx <= levels and frac <= fraction)
    status = "identical" if mx == 0 else "within tolerance" if ok else "different"
    return {"status": status, "max_abs_diff": mx, "diff_fraction": frac}


def verdict(res: PartResult, log: str = "", network: bool = False, script: str = "run_cgan.sh",
            judged: bool = True) -> str:
    """One part's verdict; `judged`: its output is a grid checked for format and reproduction (HW3-1,
    HW3-2), else (HW3-3) writing an image is all that is checked."""
    if res.run.setup_error:
        return "setup error"
    if res.missing and script in res.missing.split(", "):
        return "missing files"
    if not network and not res.output_written and NETWORK_FAILURES.search(log):
        return "needs network"  # the course allowed downloads; with --network deny this is no crash
    if res.run.timed_out:
        return "timeout"
    if not res.output_written:
        return "crash" if res.run.exit_code not in (0, None) else "no output"
    if not judged:
        return "ok"
    if not res.scorable:
        return "bad format"
    if res.check.reproduce not in ("identical", "within tolerance"):
        return "not reproducible"
    return "ok"


def review_hint(res: PartResult, ev: dict) -> str:
    """What the TA's review points (mode collapse, and tags for a conditional grid) should look at."""
    if not ev:
        return "no valid grid to review"
    parts = [f"tags both-correct {res.tags.both_acc:.0%}"] if res.tags is not None else []
    d = ev["diversity"]
    if d["collapse"]:
        parts.append(f"mode collapse (feature ratio {d['feature_ratio']:.2f})")
    elif d["collapsed_tags"]:
        parts.append(f"collapse within: {', '.join(d['collapsed_tags'])}")
    if d["near_duplicates"]:
        parts.append(f"{d['near_duplicates']} near-duplicate pairs")
    return "; ".join(parts) or "no collapse flagged"

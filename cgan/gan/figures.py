"""Figures for a report: training curves of one run or several, and a run's per-epoch grids as an animation.

matplotlib (requirements-eval.txt) draws the curves with its headless Agg backend; without it training
still runs, and only the curve files are left out.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

from cgan.core.errors import CganError
from cgan.core.files import atomic_write

INSTALL = "pip install matplotlib"


def plotting_available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def read_losses(run: Path) -> dict[str, np.ndarray]:
    """losses.csv of a run folder as arrays: epoch, step, d_loss, g_loss (NaN where G had no value yet)."""
    path = Path(run) / "losses.csv"
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError:
        raise CganError(f"{path}: no such file (is {run} a cgan training run?)") from None
    if not rows:
        raise CganError(f"{path}: no loss rows yet")
    try:
        return {k: np.array([float(r[k]) for r in rows]) for k in ("epoch", "step", "d_loss", "g_loss")}
    except (KeyError, ValueError) as e:
        raise CganError(f"{path}: not a cgan losses file ({e})") from None


def smooth(values: np.ndarray, weight: float = 0.9) -> np.ndarray:
    """TensorBoard's smoothing: an exponential moving average, debiased, skipping NaN."""
    out, avg, n = np.empty_like(values), 0.0, 0
    for i, v in enumerate(values):
        if np.isfinite(v):
            avg, n = weight * avg + (1 - weight) * v, n + 1
        out[i] = avg / (1 - weight ** n) if n else np.nan
    return out


def run_label(run: Path) -> str:
    """A run's name in a legend: its folder, loss, conditioning and width from config.json."""
    try:
        cfg = json.loads((Path(run) / "config.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return Path(run).name
    extra = f", EMA {cfg['ema']}" if cfg.get("ema") else ""
    return f"{Path(run).name} ({cfg.get('loss')}, {cfg.get('cond', {}).get('kind')}, base {cfg.get('base_channels')}{extra})"


def _pyplot():
    if not plotting_available():
        raise CganError(f"figures need matplotlib: {INSTALL} (or pip install -r requirements-eval.txt)")
    import matplotlib  # optional: requirements-eval.txt

    matplotlib.use("Agg")  # headless: no display needed
    import matplotlib.pyplot as plt

    return plt


def curves_png(runs: list[Path], labels: list[str] | None = None, weight: float = 0.9) -> bytes:
    """D and G losses of each run against the step (raw faint, smoothed solid), epoch boundaries of the
    first run marked; one PNG."""
    plt = _pyplot()
    labels = labels or [run_label(r) for r in runs]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), dpi=100)
    for k, (run, label) in enumerate(zip(runs, labels)):
        data = read_losses(run)
        colour = f"C{k}"
        for ax, key in zip(axes, ("d_loss", "g_loss")):
            ax.plot(data["step"], data[key], color=colour, alpha=0.2, linewidth=0.8)
            ax.plot(data["step"], smooth(data[key], weight), color=colour, linewidth=1.6, label=label)
        if k == 0:
            ends = [data["step"][i] for i in range(len(data["step"]) - 1) if data["epoch"][i + 1] != data["epoch"][i]]
            for ax in axes:
                for s in ends:
                    ax.axvline(s, color="0.85", linewidth=0.8, zorder=0)
    for ax, title in zip(axes, ("discriminator loss", "generator loss")):
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=8, loc="best")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def write_losses_png(run: Path) -> Path:
    """`run/losses.png` from `run/losses.csv`, atomically."""
    data = curves_png([run], [Path(run).name])
    atomic_write(Path(run) / "losses.png", lambda f: f.write(data))
    return Path(run) / "losses.png"


def progress_gif(run: Path, ms_per_frame: int = 400) -> bytes:
    """The run's per-epoch sample grids (samples/epoch_*.png: fixed noise and tags) as an animated GIF."""
    frames_dir = Path(run) / "samples"
    files = sorted(frames_dir.glob("epoch_*.png"))
    if not files:
        raise CganError(f"{frames_dir}: no epoch_*.png grids (is {run} a cgan training run?)")
    frames = []
    for f in files:
        with Image.open(f) as im:
            frames.append(im.convert("RGB").quantize(256, dither=Image.Dither.NONE))
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=ms_per_frame, loop=0)
    return buf.getvalue()

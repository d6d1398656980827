"""The training loop: epochs over one in-memory data set (tags or captions), a checkpoint each epoch, resume."""

from __future__ import annotations

import csv
import json
import math
import time
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from cgan.core.checkpoint_io import load_weights, sampling_state, save_checkpoint
from cgan.core.devices import resolve_device, resolve_precision
from cgan.core.distributed import (
    Dist,
    any_rank,
    finish,
    init_from_env,
    mean_over_ranks,
    rank_spread,
)
from cgan.core.errors import CganError
from cgan.core.image_tensors import batch_to_input
from cgan.core.images import make_grid, save_grid
from cgan.core.kernels import warm_up_math_kernels
from cgan.core.runs import ADJUSTABLE_WITH_LR, resume_config
from cgan.data.captioned import CaptionedImages
from cgan.data.tagged import TaggedImages
from cgan.gan.build import load_run
from cgan.gan.conditioning import Conditioning, SentenceConditioning
from cgan.gan.figures import plotting_available, write_losses_png
from cgan.gan.presets import REQUIREMENTS, compose
from cgan.gan.progress import RunProgress, stop_line
from cgan.gan.options import (
    CHECKPOINT,
    LOSS_COLUMNS,
    LOSSES,
    LR_KEYS,
    RESUME_KEYS,
    TrainOptions,
    model_config,
)
from cgan.gan.sampling import generate, preview_tags
from cgan.gan.trainer import Trainer
from cgan.text.minilm import NAME


def _truncate_losses(path: Path, epochs_done: int) -> None:
    """Drop rows of an epoch that was interrupted before its checkpoint was written."""
    if not path.exists():
        return
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if int(r["epoch"]) <= epochs_done]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, LOSS_COLUMNS)
        w.writeheader()
        w.writerows(rows)


def _conditioning(data: TaggedImages | CaptionedImages, opts: TrainOptions) -> Conditioning | SentenceConditioning:
    if isinstance(data, CaptionedImages):
        if opts.cond != "sentence" or data.emb is None:
            raise CganError(f"{data.summary.get('data')}: captioned data needs --cond sentence (embedded captions)")
        if opts.loss == "acgan":
            raise CganError("--loss acgan predicts tag classes; captions need gan, hinge or wgan-gp")
        return SentenceConditioning(NAME, data.emb.shape[1], data.preview())
    if opts.cond == "sentence":
        raise CganError(f"{data.summary.get('data')}: --cond sentence needs captions (captions.csv or .txt files)")
    return Conditioning(opts.cond, data.pairs if opts.cond != "none" else [])


def run_config(data: TaggedImages | CaptionedImages, opts: TrainOptions,
               device: str) -> tuple[Conditioning | SentenceConditioning, dict]:
    """The conditioning and the config a run of `opts` on `data` records, checked before anything is written."""
    cond = _conditioning(data, opts)
    if opts.loss not in LOSSES:
        raise CganError(f"unknown loss {opts.loss!r} (choose from {', '.join(LOSSES)})")
    if opts.loss in ("gan", "hinge") and cond.kind in ("pair", "multi") and len(cond.pairs) < 2:
        raise CganError(f"{data.summary.get('data')}: the matching-aware loss needs at least two tag pairs")
    if opts.loss == "acgan" and cond.kind == "none":
        raise CganError("--loss acgan needs tags (ACGAN's discriminator predicts them); use --cond pair or multi")
    # The command line has composed its options with the preset already; an API caller typed them all.
    chosen = {n: getattr(opts, n) for req in REQUIREMENTS for n in (req.option, *req.depends)} | {"cond": cond.kind}
    compose(chosen, set(chosen), opts.preset)
    cfg = model_config(opts, cond)
    cfg["precision"] = resolve_precision(cfg["precision"], device)
    if opts.init_from:
        cfg["init_from"] = str(opts.init_from)
    return cond, cfg


def train(data: TaggedImages | CaptionedImages, opts: TrainOptions, log: Callable[[str], None] = print) -> Path:
    """Train and return the path of the last checkpoint."""
    out = Path(opts.out)
    dd, device = init_from_env(resolve_device(opts.device))
    try:
        cond, cfg = run_config(data, opts, device)
        out.mkdir(parents=True, exist_ok=True)
        if not dd.main:
            log = lambda m: None  # noqa: E731 - rank 0 speaks and writes for all
        return _train(data, opts, cond, cfg, dd, device, out, out / CHECKPOINT, log)
    finally:
        finish(dd)


def _train(data, opts: TrainOptions, cond, cfg: dict, dd: Dist, device: str, out: Path, ckpt_path: Path,
           log: Callable[[str], None]) -> Path:
    warm_up_math_kernels()  # else a run with 2 threads is not repeatable from one process to the next
    torch.manual_seed(opts.seed)
    start_epoch = 0
    if opts.resume and ckpt_path.exists():
        saved = load_run(ckpt_path)
        keys = RESUME_KEYS + (LR_KEYS if opts.lr is not None else ())
        cfg = resume_config(saved["config"], cfg, keys, saved["step"], ckpt_path, log, ADJUSTABLE_WITH_LR)
        trainer = Trainer(cfg, device, dd)
        trainer.load_state(saved)
        start_epoch = saved["epoch"]
        log(f"resuming {ckpt_path} after epoch {start_epoch} (step {trainer.step_count})")
    else:
        if ckpt_path.exists() and not opts.resume:
            raise CganError(f"{ckpt_path}: a run already exists here; pass --resume to continue it or choose another --out")
        trainer = Trainer(cfg, device, dd)
        if opts.init_from:
            cfg["init_from_d"] = start_from(trainer, Path(opts.init_from), log)
    if dd.on:  # same weights on every rank (DDP broadcast rank 0's), but each rank its own noise
        torch.manual_seed(opts.seed * 1_000_003 + trainer.step_count * 1009 + dd.rank)
        log(f"torchrun: {dd.world} processes on {device.split(':')[0]}, {dd.world} x {cfg['batch_size']} images a step")
    losses_path = out / "losses.csv"
    if dd.main:
        (out / "config.json").write_text(json.dumps({**cfg, "data": data.summary}, indent=2) + "\n")
        _truncate_losses(losses_path, start_epoch)
        if not losses_path.exists():
            with open(losses_path, "w", newline="") as f:
                csv.writer(f).writerow(LOSS_COLUMNS)

    # Whole data set on the device as uint8 NCHW: batches are an index, never a Python loop.
    images = torch.from_numpy(data.images).permute(0, 3, 1, 2).contiguous().to(trainer.device)
    n, bs = len(images), cfg["batch_size"]
    if n < bs * dd.world:
        raise CganError(f"{data.summary.get('data')}: {n} images is fewer than one batch of {bs} per process")
    per_epoch = n // dd.world // bs
    preview = _preview(cond)
    board = _tensorboard(out) if opts.tensorboard and dd.main else None
    total = opts.epochs * per_epoch if opts.max_steps is None else min(opts.epochs * per_epoch, opts.max_steps)
    t_start = time.time()
    progress = RunProgress(trainer.step_count, total, bs * dd.world, opts.time_limit, t_start,
                           opts.progress and dd.main)

    def say(message: str) -> None:  # a line above the progress bar, not through it
        with progress.bar.external_write_mode():
            log(message)

    reason = "steps"
    try:
        for epoch in range(start_epoch + 1, opts.epochs + 1):
            rows, values, late = _epoch(trainer, epoch, images, data, per_epoch, opts, dd, device, ckpt_path, progress,
                                        t_start)
            if dd.main:
                _end_epoch(trainer, epoch, rows, values, preview, data, out, losses_path, ckpt_path, t_start, say, board)
            if late:
                reason = "time limit"
            if late or trainer.step_count >= total:
                break
    except KeyboardInterrupt:
        progress.close()
        if dd.main:
            log(stop_line("interrupted", trainer.step_count, total, time.time() - t_start,
                          str(ckpt_path) if ckpt_path.exists() else "none yet (none is written before an epoch ends)"))
        raise
    progress.close()
    if dd.on:
        spread = rank_spread([trainer.G, trainer.D], dd, device)
        log(f"torchrun: G and D identical on all {dd.world} ranks (largest difference {spread:g})" if spread == 0
            else f"torchrun: warning: the ranks' weights differ by up to {spread:g}")
    log(stop_line(reason, trainer.step_count, total, time.time() - t_start, str(ckpt_path)))
    return ckpt_path


def _epoch(trainer: Trainer, epoch: int, images: torch.Tensor, data, per_epoch: int, opts: TrainOptions,
           dd: Dist, device: str, ckpt_path: Path, progress: RunProgress, t_start: float) -> tuple[list, list, bool]:
    """One pass over the data, cut short by --max-steps or --time-limit: the loss rows, their means over
    the ranks, and whether the time limit stopped it."""
    n, bs = len(images), trainer.cfg["batch_size"]
    # Every rank draws the same permutation (the shared generator) and takes its own slice of it.
    perm = torch.randperm(n, generator=trainer.gen).to(trainer.device)[dd.rank::dd.world]
    flips = torch.rand(n, generator=trainer.gen).to(trainer.device) < 0.5 if trainer.cfg["flip"] else None
    labels = data.epoch_labels(trainer.gen, trainer.device)
    rows: list[tuple[int, int, torch.Tensor, torch.Tensor]] = []
    late = False
    for i in range(per_epoch):
        idx = perm[i * bs:(i + 1) * bs]
        real = batch_to_input(images[idx])
        if flips is not None:
            real = torch.where(flips[idx, None, None, None], real.flip(3), real)
        d_loss, g_loss = trainer.step(real, *(lab[idx] for lab in labels))
        rows.append((epoch, trainer.step_count, d_loss, g_loss))
        late = opts.time_limit is not None and time.time() - t_start > opts.time_limit * 60
        if (i + 1) % opts.log_every == 0 or i + 1 == per_epoch:
            d, g = d_loss.item(), g_loss.item()
            bad = not (math.isfinite(d) and (math.isfinite(g) or not trainer.g_updated))
            bad, late = any_rank([bad, late], dd, device)  # ranks stop together, or not at all
            if bad:
                raise CganError(
                    f"non-finite loss at epoch {epoch}, step {trainer.step_count} (d={d}, g={g}); "
                    f"stopped; the last good checkpoint is {ckpt_path if ckpt_path.exists() else 'none yet'}"
                    " (try a lower --lr)", exit_code=3)
            progress.step(trainer.step_count, d, g if math.isfinite(g) else None)
        else:
            if dd.on:
                late = False  # decided only where all ranks agree on it
            progress.step(trainer.step_count)
        if late or (opts.max_steps is not None and trainer.step_count >= opts.max_steps):
            break
    values = mean_over_ranks(torch.stack([torch.stack([r[2], r[3]]) for r in rows]), dd).cpu().tolist()
    return rows, values, late


def start_from(trainer: Trainer, path: Path, log: Callable[[str], None]) -> bool:
    """G (and its EMA) start from another run's sampling weights; so does D where the file keeps one of
    the same shapes (a run's checkpoint, a release exported with --keep-d): a D trained afresh against a
    finished G makes it worse. The optimisers and the step count start afresh. Returns whether
    D was loaded."""
    obj = load_run(path)
    load_weights(trainer.G, sampling_state(obj), path)
    trainer.G.train()
    if trainer.G_ema is not None:
        trainer.G_ema.load_state_dict(trainer.G.state_dict())
    own = trainer.D.state_dict()
    theirs = obj.get("D") or {}
    fits = bool(theirs) and theirs.keys() == own.keys() and all(theirs[k].shape == v.shape for k, v in own.items())
    if fits:
        load_weights(trainer.D, theirs, path).train()
    why = "its D too" if fits else ("D starts afresh (its D has other shapes)" if theirs else "D starts afresh (it keeps no D)")
    log(f"G started from {path} (its step {obj.get('step', '?')}); {why}")
    return fits


def _preview(cond) -> tuple[list[int], list | None, torch.Tensor | None]:
    """Seeds, tags and codes of the per-epoch grid: 25 tag pairs, or 5 captions x the same 5 seeds."""
    if cond.kind == "sentence":
        return [i % 5 for i in range(5 * len(cond.preview))], None, cond.encode_texts(cond.preview).repeat_interleave(5, 0)
    return list(range(25)), (preview_tags(cond) if cond.kind in ("pair", "multi") else None), None


def _end_epoch(trainer: Trainer, epoch: int, rows: list, values: list, preview: tuple, data, out: Path,
               losses_path: Path, ckpt_path: Path, t_start: float, log: Callable[[str], None], board=None) -> None:
    """Rank 0's part of an epoch's end: loss rows, the sample grid, the checkpoint, one log line."""
    with open(losses_path, "a", newline="") as f:
        csv.writer(f).writerows([(e, s, f"{v[0]:.6g}", f"{v[1]:.6g}") for (e, s, _, _), v in zip(rows, values)])
    if plotting_available():
        write_losses_png(out)
    seeds, tags, codes = preview
    grid = generate(trainer.sampler, trainer.cond, seeds, tags, codes=codes)
    save_grid(grid, out / "samples" / f"epoch_{epoch:04d}.png")
    if board is not None:
        for (_, step, _, _), v in zip(rows, values):
            board.add_scalar("loss/d", v[0], step)
            if math.isfinite(v[1]):  # no G value yet (WGAN-GP between G steps)
                board.add_scalar("loss/g", v[1], step)
        board.add_image("samples", make_grid(grid), epoch, dataformats="HWC")
        board.flush()
    save_checkpoint(trainer.state(epoch, data.summary), ckpt_path)
    with warnings.catch_warnings():  # an epoch cut short before G's first update has no g mean
        warnings.simplefilter("ignore", RuntimeWarning)
        mean_d, mean_g = (float(np.nanmean([v[k] for v in values])) for k in (0, 1))
    log(f"epoch {epoch}: step {trainer.step_count}, d_loss {mean_d:.4f}, g_loss {mean_g:.4f}, "
        f"{time.time() - t_start:.0f} s, checkpoint {ckpt_path}")


def _tensorboard(out: Path):
    """TensorBoard event files in the run folder (`tensorboard --logdir runs/`)."""
    try:
        from torch.utils.tensorboard import SummaryWriter  # optional: the tensorboard package
    except ImportError:
        raise CganError("--tensorboard needs the tensorboard package: pip install tensorboard") from None
    return SummaryWriter(log_dir=str(out))

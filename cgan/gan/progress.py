"""A training run's live progress line and the line that says why it stopped."""

from __future__ import annotations

import sys
import time

from tqdm import tqdm


def clock(seconds: float) -> str:
    """h:mm:ss, or m:ss under an hour."""
    s = max(0, round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class RunProgress:
    """One line for the whole run on stderr (not per epoch): step / total, img/s, elapsed, and the time
    left both to the step budget and to --time-limit. Off where stderr is no terminal, where the
    per-epoch lines are all a log needs."""

    def __init__(self, done: int, total: int, batch: int, time_limit: float | None, t_start: float,
                 enabled: bool) -> None:
        self.done0, self.total, self.batch, self.t_start = done, total, batch, t_start
        self.limit_s = time_limit * 60 if time_limit is not None else None
        self.bar = tqdm(total=total, initial=done, disable=not enabled, file=sys.stderr, dynamic_ncols=True,
                        mininterval=0.5, bar_format="train {n_fmt}/{total_fmt} steps |{bar:20}| {desc}")
        self._shown = 0.0
        self.bar.set_description_str(self.status(done, time.time()))

    def status(self, step: int, now: float) -> str:
        elapsed = now - self.t_start
        rate = (step - self.done0) / elapsed if elapsed > 0 else 0.0
        parts = [f"{rate * self.batch:.0f} img/s" if step > self.done0 else "starting", f"{clock(elapsed)} elapsed"]
        left = [f"{clock((self.total - step) / rate)} to step {self.total:,}"] if rate > 0 else []
        if self.limit_s is not None:
            left.append(f"{clock(self.limit_s - elapsed)} to the {self.limit_s / 60:g}-minute limit")
        return ", ".join(parts + ([f"ETA {' / '.join(left)}"] if left else []))

    def step(self, step: int, d_loss: float | None = None, g_loss: float | None = None) -> None:
        if self.bar.disable:
            return
        now = time.time()
        if now - self._shown >= 0.5:  # the status costs little, but not every step
            self._shown = now
            losses = f"d {d_loss:.3f}, g {g_loss:.3f}, " if d_loss is not None and g_loss is not None else ""
            self.bar.set_description_str(losses + self.status(step, now), refresh=False)
        self.bar.update(step - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def stop_line(reason: str, step: int, total: int, seconds: float, checkpoint: str) -> str:
    """The run's last line: why it stopped (steps done, the time limit, an interrupt) and what is kept."""
    head = {"steps": f"stopped: all {total:,} steps done",
            "time limit": f"stopped: the time limit, at step {step:,} of {total:,}",
            "interrupted": f"stopped: interrupted at step {step:,} of {total:,}"}[reason]
    keep = (f"the last checkpoint is {checkpoint}; --resume continues from it" if reason == "interrupted"
            else f"checkpoint {checkpoint}")
    return f"{head}, after {clock(seconds)}; {keep}"

"""Time to quality: the minutes each training recipe needs, from scratch, to reach the course baseline
and the release bar.

    python bench/time_to_quality.py                                   # course, then laptop: 120 min each
    python bench/time_to_quality.py --recipes laptop,release --budget 60,240 --stop-at release-bar
    python bench/time_to_quality.py --recipes hour --budget 60 --precision fp32   # as on a CPU without bf16
    python bench/time_to_quality.py --budget 3 --check-every 1 --work /tmp/ttq \\
        --json /tmp/ttq/ttq.json --plot /tmp/ttq/ttq.png                # a smoke run

Each recipe (`cgan train --preset NAME`) trains in turn, never side by side, on the same data and gets
the same wall-clock budget, counted from the start of its `cgan train` process (start-up and data
loading included, as a student feels them). Whenever the trainer writes its checkpoint (each epoch's
end) and --check-every minutes have passed since the last check, the trainer is paused (SIGSTOP), the
checkpoint's sampling G (the EMA where the run keeps one) draws the handout grid exactly as
run_cgan.sh would (hw3/testing_tags.txt, seed 0, float64), the reference classifier reads its tags and
the course's face detector counts its faces, and the trainer goes on (SIGCONT); paused time is not
counted. The baseline is the course's: both tags right on >= 90% of the handout lines and >= 20 faces.
The release bar (cgan/evaluation/release_bar.py) is what the bundled `cgan` shows: every handout tag right
on seed 0 and >= 96% over 5 seeds, >= 24 faces on each of those grids, both tags right on >= 95% of 500
samples over all 132 pairs, within-tag spread >= 0.8 of real images' without near-duplicates, and
Inception KID <= 0.05; a check measures its dearer parts only once the cheaper ones pass, or every part
with --full-bar (the curves then show KID).

Each check also records the within-tag spread of the grid over real images' (feature and pixel; the
handout repeats each pair five times): not part of the baseline, but a recipe that gets there by
drawing one face per tag shows it.

`--carry NAME=FILE` takes recipe NAME's curve from an earlier run's JSON instead of training it again
(refused unless that run had the same CPU model, threads and data): to rerun one recipe after a change
to it without another hours-long run of one that did not change. The JSON names each carried
recipe's own command.

Writes --json (default bench/results/time_to_quality.json) after every recipe, and the curves as
--plot (default docs/time_to_quality.png); both atomically. Linux/macOS only (SIGSTOP).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from results_page import cpu_name  # noqa: E402
from tqdm import tqdm  # noqa: E402

from cgan.core.errors import CganError  # noqa: E402
from cgan.core.files import atomic_path, atomic_write  # noqa: E402
from cgan.course.tags import read_testing_tags  # noqa: E402
from cgan.evaluation.face_detector import PASS_FACES, load_detector  # noqa: E402
from cgan.evaluation.release_bar import RELEASE_BAR, release_bar  # noqa: E402
from cgan.evaluation.scoring import evaluate  # noqa: E402
from cgan.evaluation.tagnet import load_classifier  # noqa: E402
from cgan.gan.build import generator_from_checkpoint, load_run  # noqa: E402
from cgan.gan.presets import DEFAULT_PRESET  # noqa: E402
from cgan.gan.sampling import generate  # noqa: E402
from cgan.gan.seeds import tag_seeds  # noqa: E402
from cgan.release.manifest import resolve_checkpoint  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
SHARED_CASCADE = SHARED / "lbpcascade_animeface" / "lbpcascade_animeface.xml"
BASELINE_BOTH = 0.9  # handout tags: share of lines with hair and eyes both right
POLL_S = 0.5
STOPS = ("baseline", "release-bar", "budget")


class Judge:
    """The handout grid of a checkpoint, read by the reference classifier and the course's face rule."""

    def __init__(self, tags_file: Path, classifier: str, seed: int, real: Path | None, staged: bool = True) -> None:
        self.tags_file, self.seed, self.staged = tags_file, seed, staged
        self.tags = read_testing_tags(tags_file)
        self.clf = load_classifier(resolve_checkpoint(classifier))
        self.detector = load_detector(SHARED_CASCADE if SHARED_CASCADE.exists() else None)
        self.inception_ref = None
        if real is not None:  # the release bar's KID reference: bench/quality.py's fixed sample of real images
            from cgan.data.tagged import load_tagged_folder
            from cgan.evaluation.inception import reference_features

            data = load_tagged_folder(real, log=lambda m: None)
            self.inception_ref = reference_features(data, 2000, log=lambda m: print(m, file=sys.stderr))

    def __call__(self, ckpt: Path) -> dict:
        obj = load_run(ckpt)
        G, cond, _ = generator_from_checkpoint(obj, ckpt)
        seeds = tag_seeds(self.tags, self.seed, str(self.tags_file))
        try:
            images = generate(G, cond, seeds, self.tags if cond.conditional else None, str(self.tags_file))
        except CganError as e:  # a pair model whose data lacked a handout pair cannot draw that line
            print(f"{ckpt}: {e}", file=sys.stderr)
            return {"step": int(obj["step"]), "hair": 0.0, "eyes": 0.0, "both": 0.0, "faces": 0, "baseline": False,
                    "error": str(e)}
        res = evaluate(images, self.tags, self.clf, self.detector)
        acc, faces, div = res["tag_accuracy"], res["faces"]["found"], res["diversity"]
        # Within-tag spread over real images' (the handout repeats each pair): not part of the baseline,
        # but a recipe that reaches it by drawing one face per tag should show it.
        point = {"step": int(obj["step"]), "hair": acc["hair"], "eyes": acc["eyes"], "both": acc["both"], "faces": faces,
                 "feature_spread": round(div["feature_ratio"], 3), "pixel_spread": round(div["pixel_ratio"], 3),
                 "baseline": acc["both"] >= BASELINE_BOTH and faces >= PASS_FACES}
        if self.inception_ref is not None:
            bar = release_bar(G, cond, self.clf, self.detector, self.tags, str(self.tags_file), self.inception_ref,
                              staged=self.staged)
            point["release"] = {k: v for k, v in bar.items() if k != "release_bar"}
            point["release_bar"] = bar["release_bar"]
        return point


class Trainer:
    """One `cgan train` process, its wall clock less the time it spent paused."""

    def __init__(self, cmd: list[str], log: Path) -> None:
        self.log = open(log, "wb")
        # Its own session: stopping it reaches the whole process tree (cgan re-executes itself once).
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.t0, self.paused = time.time(), 0.0

    def minutes(self, at: float | None = None) -> float:
        return ((time.time() if at is None else at) - self.t0 - self.paused) / 60

    def running(self) -> bool:
        return self.proc.poll() is None

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:  # it ended in between: nothing left to pause or wake
            pass

    def pause(self) -> float:
        self._signal(signal.SIGSTOP)
        return time.time()

    def resume(self, since: float) -> None:
        self.paused += time.time() - since
        self._signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.running():
            self._signal(signal.SIGCONT)
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def run_recipe(name: str, budget: float, a: argparse.Namespace, judge: Judge, work: Path) -> dict:
    """Train recipe `name` from scratch for `budget` minutes of its own wall clock, judging it on the way."""
    out = work / name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    ckpt = out / "checkpoint.pt"
    # The budget is the bench's to enforce (the trainer's own clock would count the paused time).
    cmd = [sys.executable, "-m", "cgan", "train", "--preset", name, "--out", str(out),
           "--time-limit", str(budget * 4 + 60), *[x for d in a.data for x in ("--data", str(d))]]
    if a.threads:
        cmd += ["--threads", str(a.threads)]
    if a.device:
        cmd += ["--device", a.device]
    if a.precision:
        cmd += ["--precision", a.precision]
    tr = Trainer(cmd, work / f"{name}.log")
    curve: list[dict] = []
    reached, bar_reached, stopped, seen, next_check, elapsed = None, None, "budget", None, a.check_every, 0.0
    bar = tqdm(total=round(budget * 60), desc=name, file=sys.stderr, mininterval=1.0, dynamic_ncols=True,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {n}/{total} s of training {postfix}")
    try:
        while True:
            alive, elapsed = tr.running(), tr.minutes()
            mtime = ckpt.stat().st_mtime if ckpt.exists() else None
            fresh = mtime is not None and mtime != seen
            at = tr.minutes(mtime) if fresh else None
            over = elapsed >= budget
            # A checkpoint written in budget is judged when a check is due, or when it is the recipe's last.
            if fresh and at <= budget and (at >= next_check or not alive or over):
                seen = mtime
                since = tr.pause() if alive else time.time()
                point = {"minutes": round(at, 3), **judge(ckpt)}
                if alive:
                    tr.resume(since)
                curve.append(point)
                next_check = at + a.check_every
                bar.set_postfix(step=point["step"], both=f"{point['both']:.2f}", faces=point["faces"])
                if point["baseline"] and reached is None:
                    reached = point["minutes"]
                if point.get("release_bar") and bar_reached is None:
                    bar_reached = point["minutes"]
                if (a.stop_at == "baseline" and reached is not None
                        or a.stop_at == "release-bar" and bar_reached is not None):
                    stopped = a.stop_at
                    break
            if not alive:
                stopped = "finished" if tr.proc.returncode == 0 else f"exit {tr.proc.returncode}"
                break
            if over:
                break
            bar.update(min(bar.total, round(elapsed * 60)) - bar.n)
            time.sleep(POLL_S)
    finally:
        bar.close()
        tr.stop()
    trained = min(elapsed, budget)  # when the last check began: judging it is not training
    steps = curve[-1]["step"] if curve else 0
    last = curve[-1] if curve else None
    img_s = steps * _batch(out) / (last["minutes"] * 60) if last and last["minutes"] > 0 else None
    print(f"{name}: {'baseline at %.1f min' % reached if reached is not None else 'baseline not reached'}, "
          f"{'release bar at %.1f min' % bar_reached if bar_reached is not None else 'release bar not reached'}"
          f" ({stopped} after {trained:.1f} min, {len(curve)} checks, last step {steps})", file=sys.stderr)
    if stopped.startswith("exit"):
        print(f"{name}: the trainer failed; its log is {work / (name + '.log')}", file=sys.stderr)
    return {"minutes_to_baseline": reached, "minutes_to_release_bar": bar_reached, "stopped": stopped,
            "budget_minutes": budget, "trained_minutes": round(trained, 3), "precision": _config(out).get("precision"),
            "steps": steps, "img_per_s": round(img_s, 2) if img_s else None, "curve": curve}


def _config(out: Path) -> dict:
    try:
        return json.loads((out / "config.json").read_text())
    except (OSError, ValueError):
        return {}


def _batch(out: Path) -> int:
    return int(_config(out).get("batch_size", 0))


def carried_recipe(spec: str, a: argparse.Namespace) -> tuple[str, dict, dict]:
    """NAME=FILE: recipe NAME's result in FILE (an earlier run's --json), and where it came from."""
    name, _, path = spec.partition("=")
    where = f"--carry {spec}"
    try:
        old = json.loads(Path(path).expanduser().read_text())
        run = {**old["recipes"][name], "curve": old["curve"][name]}
    except (OSError, ValueError) as e:
        sys.exit(f"time_to_quality: error: {where}: {e}")
    except KeyError:
        sys.exit(f"time_to_quality: error: {where}: no recipe {name!r} in that file")
    for key, mine in (("cpu", cpu_name()), ("threads", a.threads or torch.get_num_threads()),
                      ("data", [str(d) for d in a.data])):
        if old.get(key) != mine:
            sys.exit(f"time_to_quality: error: {where}: measured with {key} {old.get(key)!r}, not this run's {mine!r}")
    old_budget = old["budget_minutes"]
    run.setdefault("budget_minutes", old_budget.get(name) if isinstance(old_budget, dict) else old_budget)
    return name, run, {"from": path, "command": old["command"], "torch": old.get("torch")}


def summary(a: argparse.Namespace, runs: dict, carried: dict | None = None) -> dict:
    """The JSON: for the default preset (`preset_*`), the course recipe and the release recipe, the minutes
    to the course baseline and to the release bar (null: not run or not reached), and the ratios."""
    precisions = sorted({r.get("precision") for r in runs.values() if r.get("precision")})
    res = {"cpu": cpu_name(), "threads": a.threads or torch.get_num_threads(), "device": a.device or "auto",
           "precision": precisions[0] if len(precisions) == 1 else (precisions or None),
           "budget_minutes": {name: budget for name, budget in zip(a.recipes, a.budgets)} or None,
           "check_every_minutes": a.check_every, "data": [str(d) for d in a.data],
           "baseline": {"both": BASELINE_BOTH, "faces": PASS_FACES, "tags": str(a.tags), "seed": a.seed},
           "release_bar": {**RELEASE_BAR, "real": str(a.real) if a.real else None},
           "default_preset": DEFAULT_PRESET,
           "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]), "torch": torch.__version__,
           "complete": all(r in runs for r in a.recipes)}

    def minutes(name: str, key: str) -> float | None:
        return runs[name].get(key) if name in runs else None

    res.update(course_minutes=minutes("course", "minutes_to_baseline"),
               preset_minutes=minutes(DEFAULT_PRESET, "minutes_to_baseline"),
               preset_release_minutes=minutes(DEFAULT_PRESET, "minutes_to_release_bar"))
    if "release" in runs:
        reached = minutes("release", "minutes_to_release_bar")
        res["release_minutes"] = minutes("release", "minutes_to_baseline")
        # Not reached: its budget, a lower bound on its minutes to the bar.
        res["release_recipe_release_minutes"] = reached if reached is not None else runs["release"]["budget_minutes"]
        res["release_recipe_reached_release_bar"] = reached is not None
        if res["preset_release_minutes"]:
            res["release_ratio"] = round(res["release_recipe_release_minutes"] / res["preset_release_minutes"], 2)
            res["release_ratio_is_lower_bound"] = reached is None
    if "course" in runs and res["preset_minutes"]:
        course = runs["course"]["minutes_to_baseline"]
        budget = runs["course"]["budget_minutes"]
        res["ratio"] = round((course if course is not None else budget) / res["preset_minutes"], 2)
        res["ratio_is_lower_bound"] = course is None
    if carried:
        res["carried"] = carried
    res["curve"] = {k: r["curve"] for k, r in runs.items()}
    res["recipes"] = {k: {x: v for x, v in r.items() if x != "curve"} for k, r in runs.items()}
    return res


def plot(res: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("both", "handout tags, both right", (0, 1.02), BASELINE_BOTH),
              ("faces", "faces found (of 25)", (0, 25.5), PASS_FACES),
              ("feature_spread", "within-tag spread / real's", (0, 1.3), None)]
    if any("kid" in p.get("release", {}) for curve in res["curve"].values() for p in curve):  # --full-bar
        panels.append(("kid", "Inception KID (n=500)", (0, 0.35), res.get("release_bar", RELEASE_BAR)["kid"]))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.7 * len(panels), 3.8))
    budget = max([0] + [r.get("budget_minutes", 0) for r in res["recipes"].values()])

    def value(p: dict, key: str):
        return p.get("release", {}).get(key) if key == "kid" else p.get(key)

    for name, curve in res["curve"].items():
        reached = res["recipes"][name]["minutes_to_baseline"]
        bar_reached = res["recipes"][name].get("minutes_to_release_bar")
        color = None
        for ax, (key, _, _, _) in zip(axes, panels):
            points = [(p["minutes"], value(p, key)) for p in curve if value(p, key) is not None]
            if key in ("both", "faces"):
                points = [(0.0, 0)] + points
            if not points:  # a carried curve from before the spread was recorded
                continue
            line, = ax.plot(*zip(*points), marker="o", ms=3, color=color, label=name)
            color = line.get_color()
            if reached is not None:
                ax.axvline(reached, color=color, ls=":", lw=1)
            if bar_reached is not None:
                ax.axvline(bar_reached, color=color, ls="--", lw=1.5)
    for ax, (key, label, ylim, rule) in zip(axes, panels):
        if rule is not None:
            ax.axhline(rule, color="gray", ls="--", lw=1)
        ax.set(xlabel="training minutes", ylabel=label, ylim=ylim, xlim=(0, budget))
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(loc="upper right" if key == "kid" else "lower right" if key == "feature_spread" else "upper left")
    fig.suptitle(f"Time to the course baseline (dotted: reached) and the release bar (dashed), {res['cpu']}, "
                 f"torch threads {res['threads']}",
                 fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipes", default=f"course,{DEFAULT_PRESET}",
                    help="presets to train, in this order (comma-separated)")
    ap.add_argument("--budget", default="120",
                    help="wall-clock minutes per recipe: one figure for all, or one per recipe (comma-separated)")
    ap.add_argument("--check-every", type=float, default=5.0, help="minutes between checks (at the next checkpoint)")
    ap.add_argument("--stop-at", choices=STOPS, default="budget",
                    help="end a recipe at its first check on the course baseline or on the release bar")
    ap.add_argument("--stop-at-baseline", dest="stop_at", action="store_const", const="baseline",
                    help="the same as --stop-at baseline")
    ap.add_argument("--release-bar", dest="real", type=Path, default=SHARED / "extra_data",
                    help="real images of the release bar's KID reference [default: ../shared/data/extra_data]")
    ap.add_argument("--no-release-bar", dest="real", action="store_const", const=None,
                    help="judge the course baseline only (no Inception features, no 132-pair samples)")
    ap.add_argument("--full-bar", action="store_true",
                    help="measure every part of the release bar at every check, KID included (about 90 s of "
                         "paused time each), for its curves; by default a check stops at the first part that fails")
    ap.add_argument("--data", type=Path, action="append", default=None,
                    help="training data folder, repeatable [default: ../shared/data/faces]")
    ap.add_argument("--tags", type=Path, default=ROOT / "hw3" / "testing_tags.txt", help="the handout tags")
    ap.add_argument("--seed", type=int, default=0, help="base seed of the judged grid (run_cgan.sh's: 0)")
    ap.add_argument("--classifier", default="tagnet", help="reference classifier (file or release name)")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads for training [default: torch's]")
    ap.add_argument("--device", default=None, help="training device (cgan train --device) [default: its auto]")
    ap.add_argument("--precision", choices=("auto", "bf16", "fp32"), default=None,
                    help="training precision (cgan train --precision), e.g. fp32 for a CPU without bf16 "
                         "[default: each recipe's own]")
    ap.add_argument("--work", type=Path, default=None,
                    help="folder for the runs and their logs [default: a temp folder]")
    ap.add_argument("--carry", action="append", default=[], metavar="NAME=FILE",
                    help="take recipe NAME's result from FILE, an earlier run's --json, instead of training it")
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "time_to_quality.json")
    ap.add_argument("--plot", type=Path, default=ROOT / "docs" / "time_to_quality.png")
    a = ap.parse_args()
    a.recipes = [r.strip() for r in a.recipes.split(",") if r.strip()]
    a.data = a.data or [SHARED / "faces"]
    missing = [str(d) for d in a.data if not d.is_dir()]
    if missing:
        sys.exit(f"time_to_quality: error: {', '.join(missing)}: no such data folder (see ../shared/data/README.md)")
    try:
        budgets = [float(b) for b in a.budget.split(",")]
    except ValueError:
        sys.exit(f"time_to_quality: error: --budget {a.budget}: minutes, or one per recipe, comma-separated")
    a.budgets = budgets * len(a.recipes) if len(budgets) == 1 else budgets
    if len(a.budgets) != len(a.recipes):
        sys.exit(f"time_to_quality: error: --budget gives {len(budgets)} figures for {len(a.recipes)} recipes")
    if not (all(b > 0 and math.isfinite(b) for b in a.budgets) and a.check_every > 0):
        sys.exit("time_to_quality: error: --budget and --check-every must be positive minutes")
    if a.real is not None and not a.real.is_dir():
        sys.exit(f"time_to_quality: error: --release-bar {a.real}: no such data folder")
    if a.threads:
        torch.set_num_threads(a.threads)
    runs: dict = {}
    carried: dict = {}
    for spec in a.carry:  # read (and refused) before anything trains
        name, runs[name], carried[name] = carried_recipe(spec, a)
        if name in a.recipes:
            sys.exit(f"time_to_quality: error: --carry {spec}: {name} is also in --recipes")
    work = a.work or (Path(tempfile.mkdtemp(prefix="cgan-ttq-")) if a.recipes else None)  # nothing to train: no folder
    judge = Judge(a.tags, a.classifier, a.seed, a.real, staged=not a.full_bar) if a.recipes else None

    def publish(res: dict) -> None:
        text = json.dumps(res, indent=2) + "\n"
        atomic_write(a.json, lambda f: f.write(text.encode()))
        plot(res, a.plot)

    res = summary(a, runs, carried)
    if not a.recipes:  # only carried results: merge them
        publish(res)
    for name, budget in zip(a.recipes, a.budgets):
        work.mkdir(parents=True, exist_ok=True)
        runs[name] = run_recipe(name, budget, a, judge, work)
        res = summary(a, runs, carried)
        publish(res)
    for name, r in runs.items():
        def said(m: float | None) -> str:
            return "%.1f minutes" % m if m is not None else "not within %g minutes" % r["budget_minutes"]

        print(f"{name}: {said(r['minutes_to_baseline'])} to the baseline (both >= {BASELINE_BOTH:.0%}, faces >= "
              f"{PASS_FACES}), {said(r.get('minutes_to_release_bar'))} to the release bar; {r['steps']} steps, "
              f"{r['img_per_s']} img/s ({r.get('precision')})")
    if "ratio" in res:
        print(f"course / {DEFAULT_PRESET} to the baseline: {'>= ' if res['ratio_is_lower_bound'] else ''}{res['ratio']}x")
    if "release_ratio" in res:
        print(f"release / {DEFAULT_PRESET} to the release bar: {'>= ' if res['release_ratio_is_lower_bound'] else ''}"
              f"{res['release_ratio']}x")
    print(f"wrote {a.json} and {a.plot}" + (f"; runs and logs in {work}" if a.recipes else ""))


if __name__ == "__main__":
    main()

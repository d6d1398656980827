"""`cgan grade`: run every submission the way the course did, check its grid, and keep a gradebook.

Per submission (a folder holding one student's hw3/): required files, a sandboxed run of
`bash run_cgan.sh testing_tags.txt` in a copy, the output's format, reproduction of the committed
original, tag accuracy / collapse / Fréchet distance from `cgan eval`, and the baseline comparison.
Each result is saved as it finishes, so an interrupted grading resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import io
import json
import queue
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from cgan.errors import CganError
from cgan.files import atomic_write
from cgan.images import GRID_COLS, TILE, as_array
from cgan.sandbox import Limits, RunResult, run_submission
from cgan.tags import TagLine, read_testing_tags

REQUIRED = ("run_cgan.sh", "samples/cgan_original.png")
RECOMMENDED = ("report.pdf",)
OUTPUT = "samples/cgan.png"
BLANK_STD = 2.0  # a tile whose pixels vary less than this (0..255) is blank
POINTS = {"reproduce": 2, "baseline": 1, "review": 2}
# Verdicts in the order a TA should look at them.
VERDICTS = ("setup error", "missing files", "needs network", "timeout", "crash", "no output", "bad format",
            "not reproducible", "ok")
# What a failed download prints (requests, urllib, curl, wget, gdown, socket errors).
NETWORK_FAILURES = re.compile(
    r"Temporary failure in name resolution|Name or service not known|Network is unreachable|"
    r"Failed to establish a new connection|Could not resolve host|unable to resolve host|URLError|"
    r"ConnectionError|Max retries exceeded|getaddrinfo failed|No route to host", re.I)


@dataclass
class GradeOptions:
    tags_file: Path
    out: Path
    limits: Limits = field(default_factory=Limits)
    jobs: int = 1
    tolerance_levels: int = 2  # reproduce: max abs diff allowed ...
    tolerance_fraction: float = 0.01  # ... on at most this share of the pixel values
    resume: bool = True
    gpus: int = 0  # GPUs on this machine: job k sees only GPU k mod gpus

    def fingerprint(self, tags: bytes) -> str:
        """Results from a grading with other settings are not reused on resume."""
        h = hashlib.sha256(tags)
        h.update(json.dumps({**asdict(self.limits), "tol": [self.tolerance_levels, self.tolerance_fraction]},
                            sort_keys=True).encode())
        return h.hexdigest()[:16]


def read_png(data: bytes) -> tuple[np.ndarray | None, str]:
    """(HWC uint8 array or None, PIL mode or the error)."""
    from PIL import Image

    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None, "not a PNG file"
    try:
        with Image.open(io.BytesIO(data)) as im:
            mode = im.mode
            arr = as_array(im)
    except Exception as e:  # Pillow raises many kinds for a damaged file
        return None, f"unreadable PNG ({type(e).__name__}: {e})"
    return arr, mode


def check_format(data: bytes | None, n_images: int) -> dict:
    """The course's format: PNG, (5*64) x (rows*64), RGB, no blank tile ('ok'). A grid in another
    layout students used (a matplotlib canvas, torchvision padding) fails that but is still
    'scorable' when its 25 tiles are found, so it can be reproduced and scored all the same."""
    from cgan.errors import CganError
    from cgan.layouts import find_tiles

    res: dict = {"ok": False, "scorable": False, "problems": [], "size": None, "mode": None, "blank_tiles": [],
                 "layout": None, "tiles": None}
    if data is None:
        res["problems"].append(f"{OUTPUT} was not written")
        return res
    arr, mode = read_png(data)
    if arr is None:
        res["problems"].append(mode)
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
            tiles, res["layout"] = find_tiles(arr)
        except CganError:
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
    if x.shape[:2] != y.shape[:2]:
        return {"status": "different", "why": f"sizes differ: {x.shape[1]}x{x.shape[0]} vs {y.shape[1]}x{y.shape[0]}"}
    d = np.abs(x[..., :3].astype(np.int16) - y[..., :3].astype(np.int16))
    mx, frac = int(d.max()), float((d > 0).mean())
    ok = mx == 0 or (mx <= levels and frac <= fraction)
    status = "identical" if mx == 0 else "within tolerance" if ok else "different"
    return {"status": status, "max_abs_diff": mx, "diff_fraction": frac}


@dataclass
class Tools:
    """What scoring needs, loaded once per grading."""

    classifier: object
    detector: object = None
    baseline: dict | None = None  # the baseline checkpoint's figures on the same tags


def score(images: np.ndarray, tags: list[TagLine], tools: Tools) -> dict:
    from cgan.evaluation import evaluate

    return evaluate(images, tags, tools.classifier, tools.detector)


def baseline_figures(ckpt: Path, tags: list[TagLine], tools: Tools, tags_path: str) -> dict:
    """The course baseline checkpoint run through the same pipeline as the students."""
    from cgan.evaluation import checkpoint_samples

    images, t = checkpoint_samples(ckpt, tags, len(tags), 0, tags_path)
    res = score(images, t or tags, tools)
    return {"checkpoint": str(ckpt), "both": res["tag_accuracy"]["both"],
            "fd_tagnet": res.get("fd_tagnet", {}).get("value"), "faces_course_canvas": res.get("faces", {}).get("found")}


def _verdict(row: dict, log: str = "", network: bool = False) -> str:
    if row.get("setup_error"):
        return "setup error"
    if row["missing"] and "run_cgan.sh" in row["missing"]:
        return "missing files"
    if not network and not row["output_written"] and NETWORK_FAILURES.search(log):
        return "needs network"  # the course allowed downloads; with --network deny this is no crash
    if row["timed_out"]:
        return "timeout"
    if not row["output_written"]:
        return "crash" if row["exit_code"] not in (0, None) else "no output"
    if not row["scorable"]:
        return "bad format"
    if row["reproduce"] not in ("identical", "within tolerance"):
        return "not reproducible"
    return "ok"


def grade_one(name: str, src: Path, tags: list[TagLine], tags_bytes: bytes, opts: GradeOptions, tools: Tools,
              uid: int, hide: list[Path], env: dict[str, str] | None = None) -> dict:
    """Run and score one submission; returns its gradebook row (with the bulky parts under '_files')."""
    missing = [f for f in REQUIRED if not (src / f).is_file()]
    absent = [f for f in RECOMMENDED if not (src / f).is_file()]
    original_path = src / "samples" / "cgan_original.png"
    # Read the original before the run: the submission's copy could overwrite it.
    original = original_path.read_bytes() if original_path.is_file() and not original_path.is_symlink() else None
    row: dict = {"student": name, "missing": ", ".join(missing), "missing_recommended": ", ".join(absent)}
    run: RunResult | None = None
    if "run_cgan.sh" not in missing:
        run = run_submission(src, ["bash", "run_cgan.sh", "testing_tags.txt"], opts.limits,
                             extra_files={"testing_tags.txt": tags_bytes}, hide=hide, uid=uid, extra_env=env)
    output = run.files.get(OUTPUT) if run else None
    fmt = check_format(output, len(tags))
    rep = compare(output, original, opts.tolerance_levels, opts.tolerance_fraction)
    row.update(exit_code=run.exit_code if run else None, timed_out=bool(run and run.timed_out),
               run_s=round(run.wall_s, 2) if run else None, output_bytes=run.output_bytes if run else 0,
               isolation=run.isolation if run else "", setup_error=run.setup_error if run else None,
               output_written=output is not None, format_ok=fmt["ok"], scorable=fmt["scorable"],
               layout=fmt["layout"], format="; ".join(fmt["problems"]) or "ok",
               reproduce=rep["status"], max_abs_diff=rep.get("max_abs_diff"), diff_fraction=rep.get("diff_fraction"),
               reproduce_note=rep.get("why", ""))
    ev: dict = {}
    if fmt["scorable"]:
        # Faces are counted on the course's canvas rebuilt from the tiles, whatever layout was written.
        ev = score(fmt["tiles"], tags, tools)
        acc = ev["tag_accuracy"]
        row.update(hair_acc=acc["hair"], eyes_acc=acc["eyes"], both_acc=acc["both"],
                   fd_tagnet=ev.get("fd_tagnet", {}).get("value"), feature_ratio=ev["diversity"]["feature_ratio"],
                   pixel_ratio=ev["diversity"]["pixel_ratio"], collapse=ev["diversity"]["collapse"],
                   near_duplicates=ev["diversity"]["near_duplicates"])
        if "faces" in ev:
            f = ev["faces"]
            row.update(faces=f["found"], faces_ge_20=f["pass_ge_20"], faces_gt_20=f["pass_gt_20"],
                       faces_course_canvas=f.get("course_canvas"), faces_tight=f["tight_grid"])
    row["verdict"] = _verdict(row, run.output if run else "", opts.limits.network)
    row["network"] = "allowed" if opts.limits.network else "denied"
    row["points_reproduce"] = (POINTS["reproduce"] if rep["status"] in ("identical", "within tolerance")
                               and fmt["scorable"] else 0)
    b = tools.baseline
    beats = None
    if ev and b:
        fd = row.get("fd_tagnet")
        beats = bool(row["both_acc"] >= b["both"] and (fd is None or b["fd_tagnet"] is None or fd <= b["fd_tagnet"]))
    row["beats_baseline"] = beats
    # The course's rule when the detector is there (>= 20 faces on its canvas); else the baseline model.
    passed = row.get("faces_ge_20") if "faces_ge_20" in row else beats
    row["points_baseline"] = POINTS["baseline"] if passed else 0
    row["review_hint"] = _review_hint(row, ev)
    row["_files"] = {"output": output, "original": original, "log": run.output if run else "", "eval": ev}
    return row


def _review_hint(row: dict, ev: dict) -> str:
    """What the TA's review points (mode collapse, tags) should look at."""
    if not ev:
        return "no valid grid to review"
    parts = [f"tags both-correct {row['both_acc']:.0%}"]
    d = ev["diversity"]
    if d["collapse"]:
        parts.append(f"mode collapse (feature ratio {d['feature_ratio']:.2f})")
    elif d["collapsed_tags"]:
        parts.append(f"collapse within: {', '.join(d['collapsed_tags'])}")
    if d["near_duplicates"]:
        parts.append(f"{d['near_duplicates']} near-duplicate pairs")
    return "; ".join(parts)


RESULTS_CAP = 1_000_000  # Gradescope's limit on results.json output


def gradescope_results(row: dict, log: str) -> dict:
    """The submission's result in Gradescope's results.json shape (score, tests[], visibility)."""
    def test(name: str, score: float, max_score: float, output: str) -> dict:
        return {"name": name, "score": score, "max_score": max_score, "output": output, "visibility": "visible"}

    ran = row["exit_code"] is not None
    tests = [
        test("Required files", 0, 0, "all present" if not row["missing"] else f"missing: {row['missing']}"),
        test("Runs bash run_cgan.sh testing_tags.txt", 0, 0,
             "did not run" if not ran else f"exit code {row['exit_code']} in {row['run_s']} s"
             + (" (time limit reached)" if row["timed_out"] else "")),
        test("samples/cgan.png format", 0, 0, row["format"]),
        test("Reproduces samples/cgan_original.png", row["points_reproduce"], POINTS["reproduce"],
             f"{row['reproduce']}" + (f", max abs diff {row['max_abs_diff']}" if row.get("max_abs_diff") else "")),
        test("Baseline (course face detector >= 20 on its canvas)", row["points_baseline"], POINTS["baseline"],
             f"faces {row.get('faces')}, tags both-correct {row.get('both_acc')}, beats the baseline model: "
             f"{row.get('beats_baseline')}"),
        test("Review hints (mode collapse, tags; graded by the TA)", 0, 0, row["review_hint"]),
    ]
    tail = log[-20000:]
    out = {"score": row["points_reproduce"] + row["points_baseline"],
           "max_score": POINTS["reproduce"] + POINTS["baseline"],
           "execution_time": row["run_s"] or 0, "visibility": "after_published",
           "output": f"verdict: {row['verdict']}\n\nlog tail:\n{tail}", "tests": tests}
    while len(json.dumps(out, default=str)) > RESULTS_CAP and len(tail) > 1000:
        tail = tail[len(tail) // 2:]
        out["output"] = f"verdict: {row['verdict']}\n\nlog tail:\n{tail}"
    return out


def submissions(root: Path) -> list[tuple[str, Path]]:
    if not root.is_dir():
        raise CganError(f"{root}: no such submissions folder")
    subs = [(p.name, p) for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")]
    if not subs:
        raise CganError(f"{root}: no submission folders in it (one folder per student, holding their hw3/)")
    return subs


def _save_student(out: Path, row: dict, fingerprint: str) -> None:
    files = row.pop("_files")
    d = out / "students" / row["student"]
    d.mkdir(parents=True, exist_ok=True)
    for key, fname in (("output", "cgan.png"), ("original", "cgan_original.png")):
        if files[key] is not None:
            data = files[key]
            atomic_write(d / fname, lambda f: f.write(data))
    log = files["log"].encode()
    atomic_write(d / "log.txt", lambda f: f.write(log))
    gs = json.dumps(gradescope_results(row, files["log"]), indent=1, default=str).encode()
    atomic_write(d / "results.json", lambda f: f.write(gs))
    doc = json.dumps({"fingerprint": fingerprint, "row": row, "eval": files["eval"]}, indent=1, default=str).encode()
    atomic_write(d / "result.json", lambda f: f.write(doc))  # last: its presence marks the student done


def load_result(out: Path, name: str, fingerprint: str) -> dict | None:
    p = out / "students" / name / "result.json"
    try:
        doc = json.loads(p.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return doc if doc.get("fingerprint") == fingerprint else None


def grade(root: str | Path, opts: GradeOptions, tools: Tools, log: Callable[[str], None] = print):
    """Grade every submission folder under `root`; writes grades.csv and report.html under opts.out."""
    import pandas as pd

    from cgan.report import write_report

    root, out = Path(root).resolve(), Path(opts.out).resolve()
    if out.is_relative_to(root):
        raise CganError(f"{out}: the output folder must not be inside the submissions folder {root}")
    tags = read_testing_tags(opts.tags_file)
    tags_bytes = Path(opts.tags_file).read_bytes()
    fp = opts.fingerprint(tags_bytes)
    subs = submissions(root)
    out.mkdir(parents=True, exist_ok=True)
    todo = []
    for name, path in subs:
        if opts.resume and load_result(out, name, fp) is not None:
            log(f"{name}: done before, kept")
        else:
            todo.append((name, path))
    uids: queue.Queue[int] = queue.Queue()
    for k in range(max(1, opts.jobs)):
        uids.put(61000 + k)  # one uid per concurrent job: its process limit is its own

    def job(item: tuple[str, Path]) -> None:
        name, path = item
        uid = uids.get()
        # Each concurrent job owns one GPU (none of the common autograders schedules GPUs).
        env = {"CUDA_VISIBLE_DEVICES": str((uid - 61000) % opts.gpus)} if opts.gpus else {"CUDA_VISIBLE_DEVICES": ""}
        try:
            row = grade_one(name, path, tags, tags_bytes, opts, tools, uid, hide=[root, out], env=env)
        finally:
            uids.put(uid)
        _save_student(out, row, fp)
        log(f"{name}: {row['verdict']} ({row['points_reproduce'] + row['points_baseline']} points, "
            f"{row['run_s']} s)")

    with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        list(pool.map(job, todo))
    docs = [load_result(out, name, fp) for name, _ in subs]
    rows = [d["row"] for d in docs if d]
    df = pd.DataFrame(rows)
    df["points"] = df["points_reproduce"] + df["points_baseline"]
    df["exit_code"] = df["exit_code"].astype("Int64")  # stays an integer beside the missing ones
    df["verdict_order"] = df["verdict"].map({v: i for i, v in enumerate(VERDICTS)})
    df = df.sort_values(["verdict_order", "student"]).drop(columns="verdict_order")
    front = ["student", "verdict", "points", "points_reproduce", "points_baseline", "review_hint"]
    df = df[front + [c for c in df.columns if c not in front]]
    csv = df.to_csv(index=False).encode()
    atomic_write(out / "grades.csv", lambda f: f.write(csv))
    write_report(out, df, {d["row"]["student"]: d for d in docs if d}, tags, tools.baseline)
    return df

"""Gradescope's results.json for one submission."""

from __future__ import annotations

import json

from cgan.grading.checks import POINTS

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

"""Gradescope's results.json for one submission: one test per check of each part, with visibility."""

from __future__ import annotations

import json

from cgan.grading.parts import PARTS

RESULTS_CAP = 1_000_000  # Gradescope's limit on results.json output
LOG_TAIL = 6000  # characters of each part's log


def _test(name: str, score: float, max_score: float, output: str, visibility: str = "visible") -> dict:
    return {"name": name, "score": score, "max_score": max_score, "output": output, "visibility": visibility}


def part_tests(key: str, row: dict) -> list[dict]:
    """The checks of one part. Whether it ran is visible at once (a student can fix a crash before the
    deadline); the scored checks show once the grades are published."""
    part = PARTS[key]
    t = part.title
    ran = row["exit_code"] is not None
    tests = [
        _test(f"{t}: required files", 0, 0, "all present" if not row["missing"] else f"missing: {row['missing']}"),
        _test(f"{t}: runs {' '.join(part.argv)}", 0, 0,
              "did not run" if not ran else f"exit code {row['exit_code']} in {row['run_s']} s"
              + (" (time limit reached)" if row["timed_out"] else "")),
    ]
    if part.output is None:
        tests.append(_test(f"{t}: output for the TA's review", 0, 0,
                           f"images written: {row.get('outputs') or 'none'}; {part.points['review']} bonus points "
                           "are the TA's", "after_published"))
        return tests
    tests += [
        _test(f"{t}: {part.output} format", 0, 0, row["format"]),
        _test(f"{t}: reproduces {part.original}", row["points_reproduce"], part.points["reproduce"],
              f"{row['reproduce']}" + (f", max abs diff {row['max_abs_diff']}" if row.get("max_abs_diff") else ""),
              "after_published"),
        _test(f"{t}: baseline (course face detector >= 20 on its canvas)", row["points_baseline"],
              part.points["baseline"], f"faces {row.get('faces')}"
              + (f", tags both-correct {row.get('both_acc')}, beats the baseline model: {row.get('beats_baseline')}"
                 if part.conditional else ""), "after_published"),
        _test(f"{t}: review hints ({part.points['review']} points, graded by the TA)", 0, 0, row["review_hint"],
              "after_published"),
    ]
    return tests


def gradescope_results(parts: dict[str, dict], logs: dict[str, str]) -> dict:
    """The submission's result in Gradescope's results.json shape (score, tests[], visibility fields)."""
    tests = [t for key, row in parts.items() for t in part_tests(key, row)]
    tail = LOG_TAIL

    def output(n: int) -> str:
        lines = [f"{PARTS[k].title}: {r['verdict']}" for k, r in parts.items()]
        for k in parts:
            lines.append(f"\n--- {' '.join(PARTS[k].argv)} (log tail) ---\n{logs.get(k, '')[-n:]}")
        return "\n".join(lines)

    out = {"score": sum(r["points"] for r in parts.values()),
           "max_score": sum(PARTS[k].auto_max for k in parts),
           "execution_time": sum(r["run_s"] or 0 for r in parts.values()),
           "visibility": "after_published", "stdout_visibility": "hidden", "output": output(tail), "tests": tests}
    while len(json.dumps(out, default=str)) > RESULTS_CAP and tail > 500:
        tail //= 2
        out["output"] = output(tail)
    return out

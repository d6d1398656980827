"""Gradescope's results.json for one submission: one test per check of each part, with visibility."""

from __future__ import annotations

import json

from cgan.grading.parts import PARTS
from cgan.grading.results import AutoPoints, GridCheck, PartResult

RESULTS_CAP = 1_000_000  # Gradescope's limit on results.json output
LOG_TAIL = 6000  # characters of each part's log


def _test(name: str, score: float, max_score: float, output: str, visibility: str = "visible") -> dict:
    return {"name": name, "score": score, "max_score": max_score, "output": output, "visibility": visibility}


def part_tests(key: str, res: PartResult) -> list[dict]:
    """The checks of one part. Whether it ran is visible at once (a student can fix a crash before the
    deadline); the scored checks show once the grades are published."""
    part = PARTS[key]
    t = part.title
    run = res.run
    tests = [
        _test(f"{t}: required files", 0, 0, "all present" if not res.missing else f"missing: {res.missing}"),
        _test(f"{t}: runs {' '.join(part.argv)}", 0, 0,
              "did not run" if run.exit_code is None else f"exit code {run.exit_code} in {run.run_s} s"
              + (" (time limit reached)" if run.timed_out else "")),
    ]
    if part.output is None:
        tests.append(_test(f"{t}: output for the TA's review", 0, 0,
                           f"images written: {res.outputs or 'none'}; {part.points['review']} bonus points "
                           "are the TA's", "after_published"))
        return tests
    # A part that never reached its checks reads as the defaults: nothing reproduced, no points.
    c, auto = res.check or GridCheck(), res.auto or AutoPoints()
    faces = res.faces.found if res.faces else None
    both = res.tags.both_acc if res.tags else None
    tests += [
        _test(f"{t}: {part.output} format", 0, 0, c.format),
        _test(f"{t}: reproduces {part.original}", auto.reproduce, part.points["reproduce"],
              f"{c.reproduce}" + (f", max abs diff {c.max_abs_diff}" if c.max_abs_diff else ""),
              "after_published"),
        _test(f"{t}: baseline (course face detector >= 20 on its canvas)", auto.baseline,
              part.points["baseline"], f"faces {faces}"
              + (f", tags both-correct {both}, beats the baseline model: {auto.beats_baseline}"
                 if part.conditional else ""), "after_published"),
        _test(f"{t}: review hints ({part.points['review']} points, graded by the TA)", 0, 0, res.review_hint,
              "after_published"),
    ]
    return tests


def gradescope_results(parts: dict[str, PartResult], logs: dict[str, str]) -> dict:
    """The submission's result in Gradescope's results.json shape (score, tests[], visibility fields)."""
    tests = [t for key, res in parts.items() for t in part_tests(key, res)]
    tail = LOG_TAIL

    def output(n: int) -> str:
        lines = [f"{PARTS[k].title}: {r.verdict}" for k, r in parts.items()]
        for k in parts:
            lines.append(f"\n--- {' '.join(PARTS[k].argv)} (log tail) ---\n{logs.get(k, '')[-n:]}")
        return "\n".join(lines)

    out = {"score": sum(r.points for r in parts.values()),
           "max_score": sum(PARTS[k].auto_max for k in parts),
           "execution_time": sum(r.run.run_s or 0 for r in parts.values()),
           "visibility": "after_published", "stdout_visibility": "hidden", "output": output(tail), "tests": tests}
    while len(json.dumps(out, default=str)) > RESULTS_CAP and tail > 500:
        tail //= 2
        out["output"] = output(tail)
    return out

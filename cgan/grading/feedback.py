"""Each student's feedback.html: their grids, the tags asked and what the classifier read, why points
were lost, and the log tail of every part (no other student's name or file appears on it)."""

from __future__ import annotations

import html
from pathlib import Path

from cgan.core.files import atomic_write
from cgan.course.tags import TagLine
from cgan.grading.pages import esc, log_tail, page, part_figures, verdict_class
from cgan.grading.parts import PARTS, lost_points


def write_feedback(student_dir: Path, doc: dict, parts: tuple[str, ...], tags: list[TagLine]) -> Path:
    body = [f"<h1>HW3 feedback: {html.escape(doc['student'])}</h1>"]
    total = sum(doc["parts"][k].points for k in parts)
    body.append(f"<p>Automatic points: {total} of {sum(PARTS[k].auto_max for k in parts)}. The review points "
                "(mode collapse, tags, the bonus) are given by the TA.</p>")
    if doc.get("missing_recommended"):
        body.append(f"<p class='bad'>Not found: {esc(doc['missing_recommended'])}</p>")
    for k in parts:
        r = doc["parts"][k]
        part = PARTS[k]
        lost = lost_points(k, r)
        body.append(f'<h2 class="{verdict_class(r.verdict)}">{html.escape(part.title)}: {html.escape(r.verdict)}, '
                    f'{esc(r.points)}/{part.auto_max} points</h2>'
                    f"<p>The grader ran <code>{html.escape(' '.join(part.argv))}</code> in a fresh copy of your "
                    f"repository: {esc(r.run.run_s)} s, exit code {esc(r.run.exit_code)}.</p>")
        if lost:
            body.append("<p>Points lost:</p><ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in lost) + "</ul>")
        if part.conditional and r.tags is not None and r.tags.both_acc is not None:
            body.append(f"<p>The reference classifier read the hair colour right on {r.tags.hair_acc:.0%} of the "
                        f"images, the eyes on {r.tags.eyes_acc:.0%}, both on {r.tags.both_acc:.0%} (a mark per "
                        "image below; in brackets what it read instead).</p>")
        body.append(part_figures(student_dir, "", k, r, doc["eval"].get(k) or {}, tags) + log_tail(student_dir, k))
    path = student_dir / "feedback.html"
    data = page(f"HW3 feedback: {doc['student']}", body)
    atomic_write(path, lambda f: f.write(data))
    return path

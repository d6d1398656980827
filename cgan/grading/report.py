"""The grader's class report: the overview first (verdicts, points, copies), then the gradebook, then one
section per student that leads with the grids, the verdict and the points of each part; every field
and the logs are behind folds."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from cgan.core.files import atomic_write
from cgan.course.tags import TagLine
from cgan.grading.checks import VERDICTS
from cgan.grading.copies import pair_summary
from cgan.grading.pages import esc, fields_table, log_tail, page, part_figures, verdict_class
from cgan.grading.parts import PARTS


def _points_line(parts: tuple[str, ...]) -> str:
    items = []
    for k in parts:
        p = PARTS[k].points
        auto = ", ".join(f"{n} {p[n]}" for n in ("reproduce", "baseline") if n in p)
        items.append(f"<li>{html.escape(PARTS[k].title)}: {auto + '; ' if auto else ''}review {p['review']} "
                     "(the TA's)</li>")
    return "<ul>" + "".join(items) + "</ul>"


def _overview(df: pd.DataFrame, parts: tuple[str, ...], pairs: list[dict], baseline: dict | None) -> list[str]:
    out = ["<h2>Class overview</h2>", _points_line(parts)]
    if baseline:
        out.append(f"<p>Course baseline ({esc(baseline.get('checkpoint'))}) on the same tags: both tags right "
                   f"{esc(baseline.get('both'))}, fd_tagnet {esc(baseline.get('fd_tagnet'))}.</p>")
    seen = [v for v in ("not graded",) + VERDICTS if any((df[f"verdict_{k}"] == v).any() for k in parts)]
    head = "".join(f"<th>{html.escape(PARTS[k].title)}</th>" for k in parts)
    rows = "".join(f'<tr class="{verdict_class(v)}"><td>{html.escape(v)}</td>'
                   + "".join(f"<td>{int((df[f'verdict_{k}'] == v).sum())}</td>" for k in parts) + "</tr>" for v in seen)
    out.append(f"<h3>Verdicts</h3><table><tr><th>verdict</th>{head}</tr>{rows}</table>")
    counts = df["points"].value_counts().sort_index()
    top = max(1, int(counts.max()))
    bars = "".join(f'<tr><td>{esc(p)}</td><td><div class="bar" style="width:{200 * n // top}px"></div></td>'
                   f"<td>{n}</td></tr>" for p, n in counts.items())
    out.append(f"<h3>Automatic points</h3><table><tr><th>points</th><th></th><th>students</th></tr>{bars}</table>")
    out.append(f"<h3>Possible copies ({len(pairs)} pairs)</h3>")
    if not pairs:
        out.append("<p>No two submissions share a grid, a large file or a code file.</p>")
    for p in pairs:
        figs = "".join(f'<figure><img class="small" src="students/{html.escape(s)}/{k}.png" alt="{html.escape(s)} {k}">'
                       f"<figcaption>{html.escape(s)}: {k}.png</figcaption></figure>"
                       for k in p["grids"] for s in (p["a"], p["b"]))
        out.append(f"<div><p><b>{html.escape(p['a'])}</b> and <b>{html.escape(p['b'])}</b>: "
                   f"{html.escape(pair_summary(p))}</p>{figs}</div>")
    return out


def _gradebook(df: pd.DataFrame, parts: tuple[str, ...]) -> str:
    head = ("<tr><th>student</th><th>points</th>" + "".join(f"<th>{html.escape(PARTS[k].title)}</th>" for k in parts)
            + "<th>similar to</th></tr>")
    body = []
    for _, r in df.iterrows():
        n = html.escape(str(r["student"]))
        cells = "".join(f'<td class="{verdict_class(r[f"verdict_{k}"])}">{esc(r[f"verdict_{k}"])}, '
                        f"{esc(r[f'points_{k}'])}/{PARTS[k].auto_max}</td>" for k in parts)
        body.append(f'<tr><td><a href="#{n}">{n}</a></td><td>{esc(r["points"])}</td>{cells}'
                    f"<td>{esc(r['similar_to'])}</td></tr>")
    return f"<h2>Gradebook</h2><table>{head}{''.join(body)}</table>"


def _student(out: Path, name: str, doc: dict | None, parts: tuple[str, ...], tags: list[TagLine], row) -> str:
    d = out / "students" / name
    n = html.escape(name)
    s = [f'<section id="{n}"><h2>{n}: {esc(row["points"])} automatic points</h2>']
    if row["similar_to"]:
        s.append(f"<p class='bad'>Similar to: {esc(row['similar_to'])}</p>")
    if doc is None:
        s.append("<p>Not graded: its task failed. Run the same command again to grade it.</p></section>")
        return "".join(s)
    for k in parts:
        r = doc["parts"][k]
        s.append(f'<div class="part"><h3 class="{verdict_class(r.verdict)}">{html.escape(PARTS[k].title)}: '
                 f'{html.escape(r.verdict)}, {esc(r.points)}/{PARTS[k].auto_max} points</h3>'
                 f"<p>Review: {esc(r.review_hint)}</p>"
                 + part_figures(d, f"students/{name}/", k, r, doc["eval"].get(k) or {}, tags)
                 + fields_table(r.to_row()) + log_tail(d, k) + "</div>")
    s.append(f'<p><a href="students/{n}/feedback.html">The student\'s feedback page</a></p></section>')
    return "".join(s)


def _jobs(path: Path) -> str:
    """The cluster's side (--executor slurm): each task's job and array ids and its state, every run."""
    if not path.is_file():
        return ""
    jobs = pd.read_csv(path, dtype=str).fillna("")
    rows = "".join(f'<tr class="{"v-ok" if r["result"] == "graded" else "v-bad"}"><td>{html.escape(r["student"])}</td>'
                   f"<td>{html.escape(r['array_id'])}</td><td>{html.escape(r['job_id'])}</td>"
                   f"<td>{html.escape(r['state'])}</td><td>{html.escape(r['result'])}</td></tr>"
                   for _, r in jobs.iterrows())
    return ("<h2>Cluster jobs</h2><p>Every Slurm task of every run, oldest first.</p><table><tr><th>student</th>"
            f"<th>array</th><th>task</th><th>state</th><th>result</th></tr>{rows}</table>")


def write_report(out: Path, df: pd.DataFrame, docs: dict[str, dict], pairs: list[dict], parts: tuple[str, ...],
                 tags: list[TagLine], baseline: dict | None) -> Path:
    """report.html beside grades.csv (its images are the files under students/, linked)."""
    body = [f"<h1>HW3 grading report</h1><p>{len(df)} submissions; parts graded: "
            + ", ".join(html.escape(PARTS[k].title) for k in parts) + ".</p>"]
    body += _overview(df, parts, pairs, baseline)
    body.append(_gradebook(df, parts))
    body.append(_jobs(out / "jobs.csv"))
    for _, r in df.iterrows():
        body.append(_student(out, str(r["student"]), docs.get(str(r["student"])), parts, tags, r))
    path = out / "report.html"
    data = page("cgan grades", body)
    atomic_write(path, lambda f: f.write(data))
    return path

"""The documentation a newcomer meets: a short README without lab-notebook words, the docs pages it
promises, links that resolve, current figures, code comments free of issue numbers and one machine's
figures, and the benches' path into docs/results.md."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import results_page  # noqa: E402

README = ROOT / "README.md"
PAGES = ("training", "models", "reproducibility", "grading", "api", "results")
SHARED = ROOT.parent / "shared" / "data"

# Words that tell a story of how the repository was made, not how to use it.
BANNED_README = [
    (r"\bissues?\s*#?\d+", "an issue number"),
    (r"(?<![\w&/])#\d+\b", "an issue reference"),
    (r"\bsessions?\b", "a session"),
    (r"\bthis machine\b", "'this machine'"),
    (r"\bwas lent\b|\blent\b", "'lent'"),
    (r"\btried on\b", "'tried on'"),
    (r"\b20\d\d-\d\d-\d\d\b", "a date"),
]

# In code: issue numbers, work sessions, the README, and CPU models (a figure measured on one machine).
BANNED_CODE = [
    (r"\bissues?\s*#?\d+", "an issue number"),
    (r"(?:\(|\b(?:see|in|of|from|per|issue|PR|fixes|closes)\s+)#\d+\b", "an issue reference"),
    (r"\b(this|that|another|a later|later|earlier|previous|next|same|one) session\b|\bsessions\b", "a work session"),
    (r"\bREADME\b", "the README"),
    (r"\b(EPYC|Xeon|Ryzen|Threadripper|Zen ?\d|Core i\d)\b", "a CPU model"),
    (r"\b(on|with) (an? |the |this )?AMX\b[^\n]*\d+(\.\d+)?\s*(ms|img/s|x|GFLOP)", "one machine's figure"),
]


def markdown_files() -> list[Path]:
    return [README, ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {slug(m) for m in re.findall(r"^#{1,6}\s+(.*)$", text, flags=re.M)}


def links(path: Path) -> list[tuple[int, str]]:
    """(line, target) of every markdown link and image outside code blocks and indented code."""
    out, fenced = [], False
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.startswith("```"):
            fenced = not fenced
        if fenced or line.startswith("    "):
            continue
        line = re.sub(r"`[^`]*`", "", line)
        out += [(n, m) for m in re.findall(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", line)]
    return out


def test_readme_is_short_and_tells_no_lab_story():
    lines = README.read_text().splitlines()
    assert len(lines) <= 400, f"README.md has {len(lines)} lines (at most 400)"
    found = [f"README.md:{n}: {what}: {line.strip()[:80]}" for n, line in enumerate(lines, 1)
             for pattern, what in BANNED_README if re.search(pattern, line, flags=re.I)]
    assert not found, "\n".join(found)


def test_readme_shows_the_two_commands_a_picture_and_the_presets():
    text = README.read_text()
    for needed in ("bash run_cgan.sh hw3/testing_tags.txt", "bash scripts/test.sh", "--preset", "--dry-run",
                   "`course`", "`release`", "`laptop`", "![", "docs/"):
        assert needed in text, needed


def test_the_promised_docs_pages_exist_and_are_linked_from_the_readme():
    text = README.read_text()
    for name in PAGES:
        assert (ROOT / "docs" / f"{name}.md").is_file(), f"docs/{name}.md is missing"
        assert f"docs/{name}.md" in text, f"README.md does not link docs/{name}.md"
    assert (ROOT / "CHANGELOG.md").is_file()


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    broken = []
    for n, target in links(path):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        dest = (path.parent / file).resolve() if file else path
        where = f"{path.relative_to(ROOT)}:{n}: {target}"
        if not dest.exists():
            broken.append(f"{where}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{where}: no heading with that anchor")
    assert not broken, "\n".join(broken)


def test_link_checker_catches_a_broken_link_and_anchor(tmp_path):
    (tmp_path / "a.md").write_text("# Top\n\n[ok](#top) [bad](missing.md) ![img](x.png)\n    [code](ignored.md)\n")
    assert [t for _, t in links(tmp_path / "a.md")] == ["#top", "missing.md", "x.png"]
    assert anchors(tmp_path / "a.md") == {"top"}
    assert slug("Training recipes at equal steps (the extra data's 119 pairs)") == \
        "training-recipes-at-equal-steps-the-extra-datas-119-pairs"


def test_changelog_follows_keep_a_changelog_and_quotes_the_package_version():
    import cgan

    text = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in text
    versions = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d\d-\d\d)$", text, flags=re.M)
    assert len(versions) >= 5
    assert versions[0][0] == cgan.__version__, "the newest release in CHANGELOG.md is not cgan.__version__"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(rf'^version = "{re.escape(cgan.__version__)}"$', pyproject, flags=re.M)
    numbers = [tuple(map(int, v.split("."))) for v, _ in versions]
    assert numbers == sorted(numbers, reverse=True), "versions are not newest first"


def test_no_code_line_names_an_issue_a_session_the_readme_or_a_cpu_model():
    found = []
    for path in sorted((ROOT / "cgan").rglob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for pattern, what in BANNED_CODE:
                if re.search(pattern, line):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {what}: {line.strip()[:90]}")
    assert not found, "\n".join(found)


def test_code_patterns_tell_a_story_from_a_colour_or_a_posix_session():
    def flagged(line: str) -> bool:
        return any(re.search(p, line) for p, _ in BANNED_CODE)

    assert flagged("# measured on an Intel Xeon (2 threads): 415 -> 456 img/s")
    assert flagged("# see issue 18")
    assert flagged("# the fix of #18") and flagged("# (#18)")
    assert flagged("# the same fix as in another session")
    assert flagged("# on AMX (20 against 14 ms, batch 64)")
    assert not flagged('body{color:#222} .ok{color:#080} section{border-top:2px solid #888}')
    assert not flagged("its own session killed as a group at the limit")
    assert not flagged('"bf16: CPUs with AVX512-BF16 or AMX"')


def test_the_docs_grids_are_current(tmp_path):
    """The generated figures under docs/ are what bench/docs_figures.py makes from today's release models
    (float64, so the bytes are the same on any CPU)."""
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "docs_figures.py"), "--only", "grids",
                        "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    for name in ("cgan_handout_seed1000.png", "cgan_gray.png", "interpolate.png"):
        assert (tmp_path / name).read_bytes() == (ROOT / "docs" / name).read_bytes(), f"docs/{name} is stale"


def test_every_docs_figure_is_used_by_a_page():
    text = "".join(p.read_text() for p in markdown_files())
    unused = [p.name for p in sorted((ROOT / "docs").glob("*.png")) if p.name not in text]
    assert not unused, f"figures no page shows: {unused}"


def test_a_bench_section_is_replaced_and_nothing_else(tmp_path):
    page = tmp_path / "results.md"
    page.write_text("# R\n\nbefore\n<!-- bench:t -->\nold table\n<!-- /bench:t -->\nafter\n")
    results_page.replace_section(page, "t", "| a |\n|---|\n| 1 |")
    assert page.read_text() == "# R\n\nbefore\n<!-- bench:t -->\n| a |\n|---|\n| 1 |\n<!-- /bench:t -->\nafter\n"
    with pytest.raises(SystemExit, match=r"results.md: needs one '<!-- bench:other -->'"):
        results_page.replace_section(page, "other", "x")
    assert "| 1 |" in page.read_text() and not list(tmp_path.glob(".*.tmp"))


def test_the_command_shown_leaves_out_the_page_it_wrote_to():
    argv = [str(ROOT / "bench" / "faces.py"), "--ckpt", "cgan", "--docs", "faces", "--docs-page", "/tmp/x.md"]
    assert results_page.command(argv) == "python bench/faces.py --ckpt cgan --docs faces"


def test_results_page_has_a_section_for_each_wired_bench():
    text = (ROOT / "docs" / "results.md").read_text()
    for name in ("quality-release", "quality-compare", "quality-gan", "faces-cgan", "faces-gan"):
        start, end = results_page.markers(name)
        assert text.count(start) == 1 and text.count(end) == 1, name
        section = text.split(start)[1].split(end)[0]
        assert "Measured on" in section and "python bench/" in section, f"{name}: no hardware or command"


@pytest.mark.skipif(not (SHARED / "lbpcascade_animeface" / "lbpcascade_animeface.xml").is_file(),
                    reason="needs ../shared/data (the course's face detector cascade): only on the project's machines")
def test_faces_bench_writes_its_table_into_the_page(tmp_path):
    page = tmp_path / "results.md"
    page.write_text("intro\n<!-- bench:faces-cgan -->\nold\n<!-- /bench:faces-cgan -->\nend\n")
    r = subprocess.run([sys.executable, "bench/faces.py", "--ckpt", "cgan", "--tags", "hw3/testing_tags.txt",
                        "--seeds", "1", "--docs", "faces-cgan", "--docs-page", str(page)],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    text = page.read_text()
    assert text.startswith("intro\n<!-- bench:faces-cgan -->\nMeasured on ") and text.endswith("end\n")
    assert "python bench/faces.py --ckpt cgan --tags hw3/testing_tags.txt --seeds 1 --docs faces-cgan" in text
    assert re.search(r"\| cgan \| course canvas \| \d+ \| \d+\.\d \| \d+ \| [01]/1 \|", text), text


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED / "extra_data").is_dir(),
                    reason="needs ../shared/data/extra_data (the real course data): only on the project's machines")
def test_quality_bench_writes_its_table_into_the_page(tmp_path):
    page = tmp_path / "results.md"
    page.write_text("<!-- bench:q -->\n<!-- /bench:q -->\n")
    r = subprocess.run([sys.executable, "bench/quality.py", "--models", "baseline", "--n", "20", "--no-inception",
                        "--no-real", "--docs", "q", "--docs-page", str(page)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    rows = [line for line in page.read_text().splitlines() if line.startswith("| baseline |")]
    assert len(rows) == 1 and "| gan, pair, base 32 |" in rows[0], page.read_text()

"""The documentation a newcomer meets: a short README and pages that read as a manual (no lab-notebook
sentences), every page indexed, links that resolve, current figures, `--help` texts that agree with the
code, code comments free of issue numbers and one machine's figures, and the benches' path into
docs/results.md."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from cgan.cli import cli
from cgan.core import devices
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


# Sentences that tell how the project got here (a lab notebook) instead of what the tool does and how well.
# The CHANGELOG is history by design and is not checked.
NOTEBOOK = [
    (r"\bfor lack of time\b", "'for lack of time'"),
    (r"\b(earlier|previous) ([\w-]+ ){0,2}(runs?|trials?|bench|benches|checkouts?|models?|readers?|versions?|releases?|"
     r"defaults?|presets?|recipes?|trees?|templates?|commits?)\b", "an earlier run or model"),
    (r"\ba (first|second) run\b", "a first or second run"),
    (r"\bthe (old|previous)\b(?! (section|page|line|lines|step|steps|epoch|epochs|checkpoint|paragraph|table|"
     r"command|one|image|images|row|rows)\b)", "'the old' or 'the previous'"),
    (r"\bold (default|reader|model|preset|recipe|release|version|one|code|path|tree)s?\b", "'old' of our own work"),
    (r"\bgoals?\b[^.]*\bmet\b|\b(goal|all|both) met\b|\b(under|over|above|below|beyond|meets?|reach(es|ed)?) the "
     r"goals?\b", "a goal met"),
    (r"\btrials?\b|\btried\b", "a trial"),
    (r"\bshared (the|its) (cores|machine|CPU)\b|\bwith other runs\b", "who else was on the machine"),
    (r"\bat the time\b", "'at the time'"),
    (r"\b(is|are|was) now\b|\bnow (picks|draws|takes|runs|reads|makes?|uses|has|gives)\b|\((now|before|then)\)",
     "'now' against before"),
    (r"\bedited\b", "something edited by hand"),
    (r"\b(was|were) remade\b", "a file remade"),
    (r"\bthe next steps\b", "a to-do list"),
    (r"\bwe (tried|found|measured|chose|decided|saw|ran|used)\b", "what we did"),
    (r"\btook (about )?\d[\d.,]* ?(ms|s|min|minutes|seconds|hours?)\b", "how long it took once (say what it takes)"),
    (r"\bit replaced\b", "what a model replaced"),
    (r"\bissues?\s*#?\d+", "an issue number"),
    (r"(?<![\w&/:])#\d+\b", "an issue reference"),
    (r"\bsessions?\b", "a work session"),
    (r"\b20\d\d-\d\d-\d\d\b", "a date"),
]

# How `--help` and the pages name each /proc/cpuinfo flag that `--precision auto` checks for bf16.
CPU_FEATURE_NAMES = {"amx_bf16": r"\bAMX\b", "avx512_bf16": r"\bAVX-?512[- ]?bf16\b"}


def markdown_files() -> list[Path]:
    return [README, ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]


def manual_pages() -> list[Path]:
    """The pages a user reads as the manual: the README and docs/."""
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


def notebook_sentences(text: str) -> list[tuple[int, str, str]]:
    """(line, what, text) of every lab-notebook phrase in `text`; a phrase may run over a line break."""
    flat, lines = text.replace("\n", " "), text.splitlines()
    found = []
    for pattern, what in NOTEBOOK:
        for m in re.finditer(pattern, flat, flags=re.I):
            n = text.count("\n", 0, m.start()) + 1
            found.append((n, what, lines[n - 1].strip()[:90]))
    return sorted(found)


def paragraphs(path: Path) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", path.read_text()) if p.strip()]


def auto_bf16_cpu_flags() -> set[str]:
    """The CPU flags for which `--precision auto` picks bf16: every flag-like string in cgan/core/devices.py
    that, alone in /proc/cpuinfo, makes resolve_precision('auto', 'cpu') answer bf16."""
    tree = ast.parse(Path(devices.__file__).read_text())
    candidates = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                  and re.fullmatch(r"[a-z][a-z0-9]*_[a-z0-9_]+", n.value)}
    found = set()
    original = devices.cpu_flags
    try:
        for flag in sorted(candidates):
            devices.cpu_flags = lambda *_, f=flag: {f}
            if devices.resolve_precision("auto", "cpu") == "bf16":
                found.add(flag)
        devices.cpu_flags = lambda *_: set()
        assert devices.resolve_precision("auto", "cpu") == "fp32", "auto picks bf16 on a CPU without any flag"
    finally:
        devices.cpu_flags = original
    return found


def every_command(group: click.Group = cli, path: str = "cgan") -> list[tuple[str, click.Command]]:
    ctx = click.Context(group)
    out = [(path, group)]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            out += every_command(command, f"{path} {name}")
        else:
            out.append((f"{path} {name}", command))
    return out


def help_texts(command: click.Command) -> list[str]:
    return [command.help or "", *(getattr(p, "help", None) or "" for p in command.params)]


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


@pytest.mark.parametrize("path", manual_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_manual_reads_as_a_manual_not_a_lab_notebook(path):
    found = [f"{path.relative_to(ROOT)}:{n}: {what}: {line}" for n, what, line in notebook_sentences(path.read_text())]
    assert not found, "say what the tool does and how well; history goes to CHANGELOG.md:\n" + "\n".join(found)


def test_the_notebook_patterns_catch_the_stories_and_spare_the_manual():
    stories = ["**Not tried for lack of time:** batch size", "(An earlier run of the same bench: 0.58x, before 1.64x.)",
               "a lower bound: goal >= 3x, and <= 60 minutes: both met", "that trial's checkpoint had its recorded "
               "weight edited", "Goals the release was held to, all met: hair >= 95%", "img/s is each run's own "
               "rate (some rows shared the cores with other runs", "the shapes that trip the old reader",
               "(the previous `sentence`: 91.7%)", "Base 16 runs about 5x the old default's images per second",
               "`--precision auto` now picks bf16", "| numpy forward pass (now) | 1.34 s |", "see issue 53",
               "A first run with 25 prompts per family", "the DCGAN it replaced", "on every seed set tried",
               "every set >= 0.95 on both (goal\nmet)", "`up` took 12 s on a 2-core AMD EPYC",
               "**The earlier held-out templates** (`python bench/",
               "the lower rates take KID and FID under the goals", "the numpy pass reached the goal"]
    manual = ["11 s to decode the first time and 2 s from the cache", "one throw-away call before training",
              "continue from the previous checkpoint", "a 5x5 `subplots` canvas", "`--before DIR` times another "
              "checkout", "an `img_id,tag1:#post` line", "body{color:#222}", "the course's goal for HW3-2 is a face",
              "the minutes each recipe took to reach the baseline", "`up` takes 12 s"]
    assert all(notebook_sentences(s) for s in stories), [s for s in stories if not notebook_sentences(s)]
    assert not any(notebook_sentences(s) for s in manual), [notebook_sentences(s) for s in manual]


def test_every_docs_page_is_in_the_index_and_the_readme():
    index, readme = (ROOT / "docs" / "index.md").read_text(), README.read_text()
    for page in sorted((ROOT / "docs").glob("*.md")):
        if page.name == "index.md":
            continue
        assert f"]({page.name})" in index, f"docs/index.md does not list {page.name}"
        assert f"](docs/{page.name})" in readme, f"README.md's docs table does not list docs/{page.name}"
    assert "](docs/index.md)" in readme


def test_run_cgan_commands_in_the_manual_work_from_the_repository_root():
    """A shown `bash run_cgan.sh FILE` must name a tags file that exists from the repository root, unless it
    is the course's own command with its testing_tags.txt beside the script (grading.md: a copy per
    submission)."""
    bad = []
    for path in manual_pages():
        if path.name == "grading.md":
            continue
        for para in paragraphs(path):
            for arg in re.findall(r"bash run_cgan\.sh\s+([^\s`|)\]]+)", para):
                if arg.isupper() or (ROOT / arg).is_file() or "beside the script" in para:
                    continue
                bad.append(f"{path.relative_to(ROOT)}: bash run_cgan.sh {arg}: no such file from the repository root")
    assert not bad, "\n".join(bad)


def _quoted(row: str, pattern: str) -> str:
    m = re.search(pattern, row)
    assert m, f"no {pattern!r} in: {row}"
    return m.group(1)


def _agrees(quoted: str, value: float) -> bool:
    """A figure printed with k decimals agrees with the measured value rounded to k decimals."""
    decimals = len(quoted.partition(".")[2])
    return abs(float(quoted) - value) <= 0.5 * 10 ** -decimals + 1e-9


def test_the_readme_quotes_the_bundled_models_measured_figures():
    """The headline figures are the manifest's measurements; the `gan`'s at the truncation run_gan.sh draws."""
    entries = json.loads((ROOT / "release" / "manifest.json").read_text())["entries"]
    rows = {m.group(1): line for line in README.read_text().splitlines() if (m := re.match(r"\| `(\w+)` \|", line))}
    cgan = entries["cgan"]["metrics"]["all_132_pairs"]
    for pattern, value in ((r"hair (\d+\.\d+)%", cgan["hair"] * 100), (r"eyes (\d+\.\d+)%", cgan["eyes"] * 100),
                           (r"KID (\d\.\d+)", cgan["kid"]), (r"FID (\d+\.\d+)", cgan["fid"])):
        assert _agrees(_quoted(rows["cgan"], pattern), value), f"cgan: {pattern} is not {value}"
    psi = re.search(r"--truncation (\d(?:\.\d+)?)", (ROOT / "run_gan.sh").read_text()).group(1)
    gan = entries["gan"]["metrics"][f"quality_py_n500_vs_faces_set_truncation_{psi.replace('.', '_')}"]
    assert f"truncation {psi}" in rows["gan"], "the gan's figures must say they are at run_gan.sh's truncation"
    for pattern, value in ((r"(\d+\.\d) faces of 25", gan["faces_mean"]), (r"KID (\d\.\d+)", gan["kid"]),
                           (r"FID (\d+\.\d+)", gan["fid"])):
        assert _agrees(_quoted(rows["gan"], pattern), value), f"gan: {pattern} is not {value}"


def test_the_figure_check_rounds_as_printed():
    assert _agrees("0.036", 0.0355) and _agrees("57.8", 57.8) and _agrees("99.0", 99.0)
    assert not _agrees("0.047", 0.0499) and not _agrees("84.6", 86.5)


def test_the_start_up_figure_is_the_same_on_every_page():
    """speed.md's bench table holds run_cgan.sh's start and the import-torch floor; results.md and the README
    quote those figures (the README rounded)."""
    row = next(line for line in (ROOT / "docs" / "speed.md").read_text().splitlines() if line.startswith("| numpy"))
    floor, script = (float(x) for x in re.findall(r"(\d+\.\d+) s\b", row)[:2])
    timings = next(line for line in (ROOT / "docs" / "results.md").read_text().splitlines()
                   if line.startswith("| warm `bash run_cgan.sh"))
    assert re.findall(r"(\d+\.\d+) s\b", timings)[:2] == [f"{script:.2f}", f"{floor:.2f}"], timings
    readme = " ".join(README.read_text().split())
    quoted = re.search(r"warm `bash run_cgan.sh [^`]*` takes about (\d+\.\d+) s .*?`python -c \"import torch\"` takes "
                       r"(\d+\.\d+) s", readme)
    assert quoted, "README.md does not quote run_cgan.sh's start against the import-torch floor"
    assert _agrees(quoted.group(1), script) and _agrees(quoted.group(2), floor), quoted.group(0)


def test_the_precision_help_names_every_cpu_feature_auto_checks():
    """`--precision`'s help says where `auto` picks bf16: a GPU that has it, and a CPU with each feature
    cgan/core/devices.py checks for."""
    flags = auto_bf16_cpu_flags()
    assert flags, "found no CPU flag for which --precision auto picks bf16 in cgan/core/devices.py"
    unnamed = flags - CPU_FEATURE_NAMES.keys()
    assert not unnamed, f"auto checks {sorted(unnamed)}: add how the help names it to CPU_FEATURE_NAMES"
    wrong = []
    for name, command in every_command():
        for p in command.params:
            if p.name == "precision" and "auto" in getattr(p.type, "choices", ()):
                auto = re.search(r"\bauto: ([^;]*)", p.help or "")
                if not auto:
                    wrong.append(f"{name} --precision: its help does not say what auto picks")
                    continue
                wrong += [f"{name} --precision: auto's help ({auto.group(1)!r}) does not name {flag}"
                          for flag in sorted(flags) if not re.search(CPU_FEATURE_NAMES[flag], auto.group(1), re.I)]
                if "GPU" not in auto.group(1):
                    wrong.append(f"{name} --precision: auto's help does not say it picks bf16 on a GPU")
    assert not wrong, "\n".join(wrong)


def test_pages_that_say_where_auto_picks_bf16_name_every_cpu_feature():
    flags = auto_bf16_cpu_flags()
    wrong = [f"{path.relative_to(ROOT)}: {para.strip()[:100]}... does not name {flag}"
             for path in manual_pages() for para in paragraphs(path)
             if re.search(r"precision auto|`auto`|\bauto:", para) and re.search(r"\bAMX\b", para)
             for flag in sorted(flags) if not re.search(CPU_FEATURE_NAMES[flag], para, re.I)]
    assert not wrong, "\n".join(wrong)


def test_help_texts_are_for_users_and_tell_no_lab_story():
    found = []
    for name, command in every_command():
        for text in help_texts(command):
            found += [f"{name}: {what}: {line}" for _, what, line in notebook_sentences(text)]
            found += [f"{name}: words for the project's developers: {text[:80]}"
                      for pattern in (r"\bthin (Click )?shell\b", r"\bone module per command group\b",
                                      r"\ba short test run\b") if re.search(pattern, text)]
    assert not found, "\n".join(found)


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

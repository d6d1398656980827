"""Hostile submissions against both sandbox levels: each class of attack, not one named case.

The levels: "namespaces" (root), "basic" with user namespaces, and "basic" without them (the plain copy,
as on a machine that forbids user namespaces: there the grader's files are visible, and the run says so).
"""

import os
import subprocess

import pytest

from cgan.grading import sandbox

from grading.levels import LEVELS, run_at, use_level

def _alive(marker: str) -> list[str]:
    return subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()


@pytest.mark.parametrize("level", LEVELS)
def test_post_exit_rewriter(tmp_path, level, monkeypatch):
    """A grid written on time, then replaced by a job the script left behind: the on-time one is graded,
    whether the job waits a moment, polls for the script's end, or detaches by double fork."""
    use_level(level, monkeypatch)
    marker = f"cgan-rewriter-{os.getpid()}-{level}"
    r = run_at(tmp_path, level, f"""mkdir -p samples; echo good > samples/cgan.png; echo good > samples/b.png
        (setsid bash -c 'exec -a {marker} bash -c "sleep 0.5; echo late > samples/cgan.png"' &) &
        me=$$; (setsid bash -c "while kill -0 $me 2>/dev/null; do :; done; echo late > samples/b.png" &) &
        (nohup bash -c 'exec -a {marker} sleep 30' >/dev/null 2>&1 &)
        sleep 0.2
        """)
    assert r.exit_code == 0 and not r.timed_out
    assert r.files.get("samples/cgan.png") == b"good\n"
    assert r.files.get("samples/b.png", b"good\n") == b"good\n"  # on time, or left out as late: never 'late'
    assert r.left_behind >= 1
    assert _alive(marker) == []


@pytest.mark.parametrize("level", LEVELS)
def test_an_output_dated_ahead_is_on_time(tmp_path, level, monkeypatch):
    """A grid unpacked with its maker's clock ahead (tar, cp -p) was still written on time: what counts is
    when the file last changed, which no script can set (nor, then, date a late write back)."""
    use_level(level, monkeypatch)
    r = run_at(tmp_path, level, """mkdir -p samples; echo good > samples/cgan.png; touch -m -d '+1 hour' samples/cgan.png
        """, outputs=("samples/cgan.png",))
    assert r.exit_code == 0, r.output
    assert r.files.get("samples/cgan.png") == b"good\n" and r.late == []


@pytest.mark.parametrize("level", LEVELS)
def test_double_forked_survivor_is_killed_at_the_limit(tmp_path, level, monkeypatch):
    use_level(level, monkeypatch)
    marker = f"cgan-survivor-{os.getpid()}-{level}"
    r = run_at(tmp_path, level, f"""(setsid bash -c '(exec -a {marker} sleep 300) &' &)
        (exec -a {marker} python -c 'import os, time; os.setsid(); os.fork() or time.sleep(300)') &
        sleep 300
        """, wall_s=2)
    assert r.timed_out and r.wall_s < 15
    assert _alive(marker) == []


@pytest.mark.parametrize("level", LEVELS)
def test_home_and_cache_hunt_finds_nothing_of_the_graders(tmp_path, level, monkeypatch):
    use_level(level, monkeypatch)
    home = os.path.expanduser("~")
    probe = os.path.join(home, ".cache", f"cgan-hostile-probe-{os.getpid()}")
    with open(probe, "w") as f:
        f.write("grader-secret-in-cache")
    try:
        r = run_at(tmp_path, level, f"""ls -a {home} {home}/.cache {home}/.pyenv 2>&1 | head -50
            cat {probe} 2>&1; cat /root/.bash_history /home/*/.ssh/id_* 2>&1 | head -5
            find {home} /home /tmp /var/tmp -name 'cgan-hostile-probe-*' 2>/dev/null | sed 's/^/FOUND:/'
            echo HOME=$HOME
            """)
    finally:
        os.unlink(probe)
    assert r.exit_code == 0, r.output
    if level == "basic-plain":  # no namespaces: nothing can be covered, and the run says so
        assert "NOT hidden" in r.isolation
        return
    assert "grader-secret-in-cache" not in r.output and "FOUND:" not in r.output, r.output
    assert ".bashrc" not in r.output and ".cache:" not in r.output, r.output  # no listing of the home's own files
    assert "HOME=/tmp/hw3/.home" in r.output
    assert "covered: the grader's home" in r.isolation


@pytest.mark.parametrize("level", LEVELS)
def test_graders_environment_does_not_leak(tmp_path, level, monkeypatch):
    use_level(level, monkeypatch)
    monkeypatch.setenv("CGAN_TEST_TOKEN", "tok-123-secret")
    r = run_at(tmp_path, level, """env; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'
        cat /proc/$PPID/environ /proc/1/environ 2>/dev/null | tr '\\0' '\\n'
        """, extra_env={"CUDA_VISIBLE_DEVICES": "0", "AWS_SECRET_ACCESS_KEY": "nope"})
    assert "CUDA_VISIBLE_DEVICES=0" in r.output  # the one variable a caller may pass
    assert "AWS_SECRET_ACCESS_KEY" not in r.output
    if level != "basic-plain":  # without a PID namespace, the grader's own /proc entry is readable
        assert "tok-123-secret" not in r.output, r.output
    else:
        assert "tok-123-secret" not in r.output.split("/proc")[0]  # never in its own environment


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("grid_first", [True, False])
def test_outputs_come_back_by_name_whatever_lies_beside_them(tmp_path, level, grid_first, monkeypatch):
    """The part's own output is collected by name, within its own cap, before anything else: 600 MB files
    (sparse), a link, a FIFO and a directory in samples/ cost it nothing, whichever was written last, and
    the student's log says what was left out and why."""
    use_level(level, monkeypatch)
    grid = "printf GRID > samples/cgan.png; sleep 0.05\n"
    big = "truncate -s 600M samples/aa.ckpt samples/zz.ckpt; sleep 0.05\n"
    odd = ("ln -s /etc/passwd samples/link.png; mkfifo samples/fifo.png; mkdir samples/dir.png; "
           "echo s > samples/small.txt\n")
    r = run_at(tmp_path, level, "mkdir -p samples\n" + (grid + big if grid_first else big + grid) + odd,
               limits={"file_mb": 1024}, outputs=("samples/cgan.png", "samples/missing.png"))
    assert r.exit_code == 0, r.log
    assert r.files == {"samples/cgan.png": b"GRID", "samples/small.txt": b"s\n"}
    for name in ("aa.ckpt", "zz.ckpt"):
        assert f"cgan-sandbox: samples/{name} not collected: 600 MiB, over the 16 MiB cap" in r.log, r.log
    assert "samples/missing.png" not in r.log  # a missing output is the verdict's to say ("no output")


@pytest.mark.parametrize("level", LEVELS)
def test_an_output_that_is_no_file_is_named_in_the_log(tmp_path, level, monkeypatch):
    use_level(level, monkeypatch)
    r = run_at(tmp_path, level, "mkdir -p samples/cgan.png; mkfifo samples/gan.png; ln -s /etc/passwd samples/x.png\n",
               outputs=("samples/cgan.png", "samples/gan.png", "samples/x.png"))
    assert r.files == {}
    assert "samples/cgan.png not collected: a directory, not a file" in r.log
    assert "samples/gan.png not collected: a FIFO, not a file" in r.log
    assert "samples/x.png not collected: a symbolic link, not followed" in r.log


def test_asking_for_an_unavailable_level_is_an_error(monkeypatch):
    from cgan.core.errors import CganError

    monkeypatch.setattr(sandbox, "namespaces_available", lambda: "not running as root")
    with pytest.raises(CganError, match="--sandbox namespaces is not available here: not running as root"):
        sandbox.choose_level("namespaces")
    assert sandbox.choose_level("") == ("basic", "not running as root")


@pytest.mark.parametrize("level", LEVELS)
def test_transparent_grid_is_judged_as_displayed(tmp_path, level, monkeypatch):
    """Its hidden colours match the original exactly, but a viewer shows an empty (white) image."""
    import numpy as np

    from cgan.core.images import png_bytes
    from cgan.grading.checks import check_format, compare

    use_level(level, monkeypatch)
    rgb = np.random.RandomState(0).randint(0, 256, (320, 320, 3)).astype(np.uint8)
    original = png_bytes(rgb)
    alpha = lambda a: png_bytes(np.dstack([rgb, np.full((320, 320), a, np.uint8)]))  # noqa: E731
    (tmp_path / "sub").mkdir()
    for name, data in (("clear", alpha(0)), ("faint", alpha(60)), ("opaque", alpha(255))):
        (tmp_path / "sub" / f"{name}.png").write_bytes(data)
    r = run_at(tmp_path, level, "mkdir -p samples; cp clear.png faint.png opaque.png samples/\n")
    got = {k: check_format(r.files[f"samples/{k}.png"], 25) for k in ("clear", "faint", "opaque")}
    for k in ("clear", "faint"):
        assert not got[k]["scorable"] and not got[k]["ok"]
        assert "largely transparent: a viewer shows an almost empty image" in got[k]["problems"]
        assert compare(r.files[f"samples/{k}.png"], original)["status"] == "different"
    assert got["opaque"]["scorable"] and got["opaque"]["problems"] == ["mode RGBA, expected RGB"]
    assert compare(r.files["samples/opaque.png"], original)["status"] == "identical"
    half = np.dstack([rgb, np.where(np.arange(320)[None, :] < 192, 255, 0).repeat(320, 0).astype(np.uint8)])
    res = check_format(png_bytes(half), 25)  # two columns of tiles see-through: blank on the page
    assert "40% transparent: judged as shown on a white page" in res["problems"] and not res["ok"]
    assert res["blank_tiles"] == [i for i in range(25) if i % 5 >= 3]


@pytest.mark.parametrize("level", ["namespaces", "basic"])
def test_cgan_grade_on_hostile_class(tmp_path, level, monkeypatch, synth_classifier):
    """`cgan grade --sandbox LEVEL` on a small hostile class: the same verdicts at both levels, a right grid
    beside a 600 MB checkpoint included."""
    import pandas as pd
    from click.testing import CliRunner

    from cgan.cli import cli

    from conftest import ROOT
    from grading_corpus import build_hostile_class

    use_level(level, monkeypatch)
    tags = ROOT / "hw3" / "testing_tags.txt"
    expected = build_hostile_class(tmp_path / "subs", tags)
    monkeypatch.setenv("CGAN_TEST_TOKEN", "tok-123-secret")
    r = CliRunner().invoke(cli, ["grade", str(tmp_path / "subs"), "--tags", str(tags), "--out", str(tmp_path / "out"),
                                 "--parts", "cgan", "--time-limit", "60", "--classifier", str(synth_classifier),
                                 "--baseline", "none", "--no-faces", "--sandbox", level, "--jobs", "2",
                                 "--file-mb", "1024"])
    assert r.exit_code == 0, r.output
    assert f"isolation: {level}" in r.output
    df = pd.read_csv(tmp_path / "out" / "grades.csv").set_index("student")
    for name, want in expected.items():
        for col, value in want.items():
            col = "verdict_cgan" if col == "verdict" else f"cgan_{col}"
            assert df.loc[name, col] == value, (name, col, df.loc[name, col], df.loc[name, "cgan_format"])
    assert df["cgan_isolation"].str.startswith(level).all()
    assert "largely transparent" in df.loc["transparent_grid", "cgan_format"]
    log = (tmp_path / "out" / "students" / "home_hunter" / "log_cgan.txt").read_text()
    assert "tok-123-secret" not in log and ".bashrc" not in log and "CGAN_TEST_TOKEN" not in log, log
    log = (tmp_path / "out" / "students" / "checkpoint_after" / "log_cgan.txt").read_text()
    assert "samples/model.ckpt not collected: 600 MiB, over the 16 MiB cap" in log, log

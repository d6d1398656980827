"""All three parts of the homework graded per student, with every verdict of each part."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from cgan.cli import cli

from conftest import ROOT
from grading_corpus import build_three_part_class, share_checkpoint

TAGS = ROOT / "hw3" / "testing_tags.txt"


@pytest.mark.slow
def test_three_parts_copies_feedback_and_canvas(tmp_path, synth_classifier):
    subs = tmp_path / "subs"
    expected = build_three_part_class(subs, TAGS)
    share_checkpoint(subs, "all_good", "gan_silent")
    out = tmp_path / "grades"
    args = ["grade", str(subs), "--tags", str(TAGS), "--out", str(out), "--time-limit", "8", "--jobs", "2",
            "--classifier", str(synth_classifier), "--baseline", "none", "--no-faces", "--export", "canvas",
            "--file-mb", "32", "--disk-mb", "256", "--processes", "64"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out / "grades.csv").set_index("student")
    print(df[[c for c in df.columns if c.startswith(("verdict_", "points"))]].to_string())
    for name, want in expected.items():
        for part, verdict in want.items():
            assert df.loc[name, f"verdict_{part}"] == verdict, (name, part, df.loc[name, f"verdict_{part}"])
    good = df.loc["all_good"]
    # The course's points: HW3-1 reproduce 2 (baseline 2 needs the face detector: --no-faces gives none),
    # HW3-2 reproduce 2 + baseline 1 (the classifier's fallback), HW3-3 is the TA's.
    assert (good["points_gan"], good["points_cgan"], good["points_extra"]) == (2, 2, 0)
    assert good["points"] == 4 and good["extra_outputs"] == "samples/transfer.png"
    assert df.loc["no_gan", "points_gan"] == 0 and df.loc["no_gan", "points_cgan"] == 2  # loses that part only
    assert "64x64 images is required" in df.loc["gan_resized", "gan_format"]
    # The shared checkpoint is caught, under both names; no other pair is.
    assert "gan_silent" in good["similar_to"] and "model.bin = ckpt/generator.bin" in good["similar_to"]
    assert df["similar_to"].notna().sum() == 2
    copies = pd.read_csv(out / "copies.csv")
    assert len(copies) == 1 and set(copies.iloc[0][["a", "b"]]) == {"all_good", "gan_silent"}
    # Feedback a student can read, Gradescope's fields, Canvas's import.
    fb = (out / "students" / "gan_resized" / "feedback.html").read_text()
    assert "HW3-1 GAN: bad format" in fb and "a grid of 64x64 images is required" in fb
    assert "HW3-3 bonus: style transfer: crash" in fb and "exit code 1" in fb
    assert 'src="extra/00_transfer.png"' in (out / "students" / "all_good" / "feedback.html").read_text()
    gs = json.loads((out / "students" / "all_good" / "results.json").read_text())
    assert gs["score"] == 4 and gs["max_score"] == 7 and len(gs["tests"]) == 6 + 6 + 3
    canvas = pd.read_csv(out / "canvas.csv")
    assert list(canvas.columns[:5]) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas.iloc[0]["Student"].strip() == "Points Possible" and canvas.iloc[0, 5] == 4
    assert canvas.set_index("SIS Login ID").loc["all_good"].iloc[4:7].tolist()[:2] == [2, 2]
    html = (out / "report.html").read_text()
    assert html.count("<section") == len(expected) and "Possible copies (1 pairs)" in html
    # --students regrades those and keeps the rest; --parts picks a subset.
    r = CliRunner().invoke(cli, args + ["--students", "no_gan"])
    assert r.exit_code == 0 and r.output.count("done before, kept") == len(expected) - 1
    r = CliRunner().invoke(cli, args + ["--students", "nobody"])
    assert r.exit_code == 2 and "no submission folder for nobody" in r.output
    r = CliRunner().invoke(cli, args[:5] + [str(tmp_path / "cgan_only")] + args[6:] + ["--parts", "cgan,bogus"])
    assert r.exit_code == 2 and "unknown part bogus" in r.output

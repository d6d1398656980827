import json
import socket
import subprocess
import threading
import time

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cgan.cli import cli
from cgan.core.images import png_bytes
from cgan.grading.checks import check_format, compare
from cgan.grading.sandbox import namespaces_available

from conftest import ROOT
from grading_corpus import build_class
from helpers import load, quick_train

TAGS = ROOT / "hw3" / "testing_tags.txt"


def _png(a) -> bytes:
    return png_bytes(np.asarray(a, np.uint8))


def test_check_format():
    rng = np.random.RandomState(0)
    good = _png(rng.randint(0, 256, (320, 320, 3)))
    assert check_format(good, 25)["ok"]
    assert "expected 320x320" in check_format(_png(rng.randint(0, 256, (256, 256, 3))), 25)["problems"][0]
    see_through = check_format(_png(rng.randint(0, 256, (320, 320, 4))), 25)["problems"]
    assert see_through == ["50% transparent: judged as shown on a white page",
                           "largely transparent: a viewer shows an almost empty image"]
    g = rng.randint(0, 256, (320, 320, 3))
    g[64:128, 128:192] = 7
    res = check_format(_png(g), 25)
    assert res["blank_tiles"] == [7] and res["problems"] == ["1 blank tiles (8)"] and res["scorable"]
    assert check_format(_png(np.zeros((320, 320, 3))), 25)["problems"] == ["25 blank tiles (1, 2, 3, 4, 5, ...)"]
    assert check_format(b"GIF89a", 25)["problems"] == ["not a PNG file"]
    assert check_format(None, 25)["problems"] == ["samples/cgan.png was not written"]
    # The rule is a grid of 64x64 images: a resized grid (51x51 px tiles) is not scorable, whatever it shows.
    small = check_format(_png(rng.randint(0, 256, (256, 256, 3))), 25)
    assert not small["scorable"] and "its tiles are 51x51 px: a grid of 64x64 images is required" in small["problems"]
    from cgan.evaluation.layouts import course_canvas

    tiles = rng.randint(0, 256, (25, 64, 64, 3)).astype(np.uint8)
    assert check_format(_png(course_canvas(tiles)), 25)["scorable"]  # the course's canvas: ~63.7 px tiles
    padded = np.zeros((5 * 66 + 2, 5 * 66 + 2, 3), np.uint8)
    for i in range(25):
        r, c = divmod(i, 5)
        padded[2 + r * 66:2 + r * 66 + 64, 2 + c * 66:2 + c * 66 + 64] = tiles[i]
    assert check_format(_png(padded), 25)["scorable"]  # torchvision's make_grid, padding 2


def test_compare_tolerance():
    a = np.random.RandomState(0).randint(10, 240, (64, 320, 3))
    b = a.copy()
    b[0, :10, 0] += 2  # 10 of 61,440 values off by 2
    assert compare(_png(a), _png(a))["status"] == "identical"
    r = compare(_png(b), _png(a))
    assert r["status"] == "within tolerance" and r["max_abs_diff"] == 2
    assert compare(_png(b), _png(a), levels=1)["status"] == "different"
    c = a.copy()
    c[:32] += 1  # half the values off by 1
    assert compare(_png(c), _png(a))["status"] == "different"
    assert compare(None, _png(a))["status"] == "n/a"


class _Listener:
    """A TCP server on 127.0.0.1 that counts the connections a submission manages to make."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                pass


@pytest.mark.slow
def test_grade_a_class(tmp_path, synth_classifier, synth_extra):
    why = namespaces_available()
    listener = _Listener()
    outside = tmp_path / "outside"
    outside.mkdir()
    expected = build_class(tmp_path / "subs", TAGS, outside, listener.port)
    baseline = quick_train(load(synth_extra), tmp_path / "baseline", max_steps=2)
    args = ["grade", str(tmp_path / "subs"), "--tags", str(TAGS), "--out", str(tmp_path / "grades"),
            "--time-limit", "15", "--file-mb", "32", "--disk-mb", "256", "--processes", "64", "--jobs", "2",
            "--classifier", str(synth_classifier), "--baseline", str(baseline), "--no-faces", "--parts", "cgan"]
    t0 = time.time()
    r = CliRunner().invoke(cli, args)
    took = time.time() - t0
    assert r.exit_code == 0, r.output
    df = pd.read_csv(tmp_path / "grades" / "grades.csv").set_index("student")
    print(df[["verdict_cgan", "points", "cgan_run_s", "cgan_exit_code", "review_cgan"]].to_string())
    print(f"graded {len(df)} submissions in {took:.0f} s; isolation: {why or 'namespaces'}")
    assert set(df.index) == set(expected)
    for name, want in expected.items():
        for col, value in want.items():
            col = "verdict_cgan" if col == "verdict" else f"cgan_{col}"
            assert df.loc[name, col] == value, (name, col, df.loc[name, col])
    assert took < 180  # the sleeper is cut at 15 s; the rest take seconds (more on a loaded machine)
    assert df.loc["course_canvas", "cgan_format"].startswith("size 640x480")
    assert df.loc["course_canvas", "cgan_both_acc"] >= 0.9  # its tiles were found and scored
    good = df.loc["good"]
    assert good["cgan_both_acc"] >= 0.9 and bool(good["cgan_beats_baseline"]) and good["points"] == 3
    assert df.loc["huge_file", "cgan_exit_code"] == 128 + 25  # SIGXFSZ
    assert "mode collapse" not in good["review_cgan"]
    assert "its tiles are" not in str(df.loc["course_canvas", "cgan_format"])
    # Distinct students' grids are not copies; this repository handed in twice shares its checkpoints.
    assert pd.isna(good["similar_to"])
    assert "this_repo_seed7" in df.loc["this_repo", "similar_to"] and "release/cgan.pt" in df.loc["this_repo", "similar_to"]
    html = (tmp_path / "grades" / "report.html").read_text()
    assert html.count("<section") == len(expected)
    assert "figures/cgan_diff.png" in html  # the nondeterministic one's heat map
    assert str(baseline) not in html and "checkpoint.pt" in html  # the baseline by its name, not the grader's path
    gs = json.loads((tmp_path / "grades" / "students" / "good" / "results.json").read_text())
    assert gs["score"] == 3 and gs["max_score"] == 3 and len(gs["tests"]) == 6
    assert all({"name", "score", "max_score", "output", "visibility"} <= set(t) for t in gs["tests"])
    assert df.loc["good", "cgan_network"] == "denied"
    # The hostile ones got nowhere (only enforceable with the namespaces level).
    if why is None:
        assert not list(outside.iterdir()) and not (ROOT / "pwned.txt").exists()
        assert listener.connections == 0
        assert df.loc["good", "cgan_isolation"].startswith("namespaces")
        left = subprocess.run(["pgrep", "-u", "61000,61001"], capture_output=True, text=True).stdout.split()
        assert left == []
    # Resuming keeps every finished result and re-runs nothing.
    t0 = time.time()
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0 and r.output.count("done before, kept") == len(expected)
    assert time.time() - t0 < 30
    listener.stop = True


def _row(**kw):
    from cgan.grading.results import PartResult

    base = dict(missing="", setup_error=None, timed_out=False, output_written=False, exit_code=1,
                format_ok=False, reproduce="n/a", points_reproduce=0, points_baseline=0, points=0, run_s=1.0,
                format="samples/cgan.png was not written", review_hint="no valid grid to review", verdict="crash")
    base.update(kw)
    return PartResult.from_row(base)


def test_failed_download_is_needs_network_only_when_denied():
    from cgan.grading.checks import verdict

    log = "urllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>"
    assert verdict(_row(), log, network=False) == "needs network"
    assert verdict(_row(), log, network=True) == "crash"
    assert verdict(_row(), "Traceback: ZeroDivisionError", network=False) == "crash"
    assert verdict(_row(missing="run_gan.sh"), script="run_gan.sh") == "missing files"
    assert verdict(_row(missing="samples/gan_original.png", exit_code=0, output_written=True, scorable=True,
                        reproduce="n/a"), script="run_gan.sh") == "not reproducible"
    assert verdict(_row(exit_code=0, output_written=True), script="extra_run.sh", judged=False) == "ok"


def test_gradescope_results_are_capped():
    from cgan.grading.gradescope import RESULTS_CAP, gradescope_results

    extra = _row(format="", outputs="", review_hint="nothing to review")
    out = gradescope_results({"cgan": _row(), "extra": extra}, {"cgan": "x" * 5_000_000, "extra": "y" * 3_000_000})
    assert len(json.dumps(out)) <= RESULTS_CAP and out["max_score"] == 3 and out["score"] == 0
    assert out["tests"][1]["output"] == "exit code 1 in 1.0 s" and len(out["tests"]) == 6 + 3
    assert out["visibility"] == "after_published" and out["tests"][0]["visibility"] == "visible"
    assert out["tests"][3]["visibility"] == "after_published"  # the scored checks wait for publication


def test_network_allow_and_deny(tmp_path, synth_classifier):
    """This repository handed in without its checkpoint: run_cgan.sh downloads it (sha256-checked) at run
    time from a server on 127.0.0.1, as the course allowed for big files."""
    import http.server

    from grading_corpus import repo_submission

    model = (ROOT / "release" / "cgan.pt").read_bytes()
    served = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            served.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(model)))
            self.end_headers()
            self.wfile.write(model)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sub = repo_submission(tmp_path / "subs", "downloads_model",
                          model_url=f"http://127.0.0.1:{server.server_address[1]}/cgan.pt")
    assert not (sub / "release" / "cgan.pt").exists()
    base = ["grade", str(tmp_path / "subs"), "--tags", str(TAGS), "--time-limit", "90", "--classifier",
            str(synth_classifier), "--baseline", "none", "--no-faces", "--parts", "cgan"]
    rows = {}
    for mode in ("allow", "deny"):
        n_before = len(served)
        r = CliRunner().invoke(cli, base + ["--out", str(tmp_path / mode), "--network", mode])
        assert r.exit_code == 0, r.output
        rows[mode] = pd.read_csv(tmp_path / mode / "grades.csv").set_index("student").loc["downloads_model"]
        if mode == "allow":
            assert len(served) > n_before  # it really fetched the model from the server
    server.shutdown()
    assert rows["allow"]["verdict_cgan"] == "ok" and rows["allow"]["cgan_reproduce"] == "identical", rows["allow"]
    assert rows["allow"]["cgan_network"] == "allowed"
    if namespaces_available() is None:  # without a network namespace, 'deny' cannot be enforced
        assert rows["deny"]["verdict_cgan"] == "needs network", rows["deny"]

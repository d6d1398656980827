"""`cgan train --preset` and `--dry-run`: recipes by name, overridden by what the command line gives,
resolved and sized without training; a preset's schedule changes its settings at the steps it names."""

from __future__ import annotations

import torch
from click.testing import CliRunner

from cgan.cli import cli
from cgan.course.colors import EYE_INDEX, HAIR_INDEX
from cgan.gan.build import load_run
from cgan.gan.conditioning import Conditioning
from cgan.gan.options import TrainOptions, model_config
from cgan.gan.presets import DEFAULT_PRESET, PRESETS, Preset
from cgan.gan.trainer import Trainer, learning_rates


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def config_lines(output: str) -> dict[str, str]:
    return dict(line[len("config: "):].split(" = ", 1) for line in output.splitlines() if line.startswith("config: "))


def test_help_lists_every_preset():
    r = run("train", "--help")
    assert r.exit_code == 0
    flat = " ".join(r.output.split())
    for name in PRESETS:
        assert f"{name}:" in flat
    assert f"[default: {DEFAULT_PRESET}" in flat


def test_dry_run_prints_the_resolved_release_recipe_and_writes_nothing(synth_extra, tmp_path):
    out = tmp_path / "run"
    r = run("train", "--data", synth_extra, "--out", out, "--preset", "release", "--dry-run")
    assert r.exit_code == 0, r.output
    cfg = config_lines(r.output)
    assert cfg["arch"] == "biggan64" and cfg["loss"] == "hinge" and cfg["ema"] == "0.999"
    assert cfg["preset"] == "release" and "'lr_scale': 0.5" in cfg["schedule"]
    assert cfg["precision"] in ("fp32", "bf16")  # 'auto', resolved for this machine
    assert "steps: " in r.output and "checkpoint: about" in r.output and "images: " in r.output
    assert not out.exists()


def test_the_command_line_overrides_the_preset(synth_extra, tmp_path):
    r = run("train", "--data", synth_extra, "--out", tmp_path / "r", "--preset", "course", "--base-channels", 16,
            "--lr", "1e-4", "--dry-run")
    cfg = config_lines(r.output)
    assert cfg["base_channels"] == "16" and cfg["lr"] == "0.0001" and cfg["lr_d"] == "0.0001"
    assert cfg["arch"] == "dcgan64" and cfg["loss"] == "gan" and cfg["betas"] == "[0.5, 0.999]"  # the rest: course's


def test_no_preset_means_the_default_one(synth_extra, tmp_path):
    cfg = config_lines(run("train", "--data", synth_extra, "--out", tmp_path / "r", "--dry-run").output)
    assert cfg["preset"] == DEFAULT_PRESET and cfg["arch"] == "biggan64"


def test_dry_run_size_is_close_to_the_real_checkpoint(synth_extra, tmp_path):
    args = ["train", "--data", synth_extra, "--out", tmp_path / "r", "--preset", "course", "--base-channels", 8,
            "--batch-size", 16, "--max-steps", 2, "--threads", 1]
    r = run(*args, "--dry-run")
    line = next(ln for ln in r.output.splitlines() if ln.startswith("checkpoint: about"))
    estimate = float(line.split()[2]) * 2**20
    assert run(*args).exit_code == 0
    real = (tmp_path / "r" / "checkpoint.pt").stat().st_size
    assert abs(estimate - real) / real < 0.1, (estimate, real)


def test_a_plain_resume_goes_on_with_the_runs_own_preset(synth_extra, tmp_path):
    base = ["train", "--data", synth_extra, "--out", tmp_path / "r", "--base-channels", 8, "--batch-size", 16,
            "--threads", 1]
    assert run(*base, "--preset", "course", "--max-steps", 2).exit_code == 0
    r = run(*base, "--resume", "--max-steps", 3)  # no --preset: the run's (course), not the default
    assert r.exit_code == 0, r.output
    s = load_run(tmp_path / "r" / "checkpoint.pt")
    assert s["step"] == 3 and s["config"]["preset"] == "course" and s["config"]["arch"] == "dcgan64"


def test_a_plain_resume_keeps_the_settings_typed_at_the_start(synth_extra, tmp_path):
    """--precision and --mode-seeking-pairs may change on --resume, but only when typed there: a plain
    --resume keeps what the run was started with, not the preset's value."""
    base = ["train", "--data", synth_extra, "--out", tmp_path / "r", "--base-channels", 8, "--batch-size", 16,
            "--threads", 1]
    r = run(*base, "--max-steps", 2, "--precision", "fp32", "--no-mode-seeking-pairs")
    assert r.exit_code == 0, r.output
    assert run(*base, "--resume", "--max-steps", 3).exit_code == 0
    cfg = load_run(tmp_path / "r" / "checkpoint.pt")["config"]
    assert cfg["precision"] == "fp32" and not cfg.get("mode_seeking_pairs") and "precision_from_step" not in cfg
    assert run(*base, "--resume", "--max-steps", 4, "--mode-seeking-pairs").exit_code == 0
    cfg = load_run(tmp_path / "r" / "checkpoint.pt")["config"]
    assert cfg["mode_seeking_pairs"] is True and cfg["mode_seeking_pairs_from_step"] == 3


def test_a_plain_resume_keeps_the_runs_schedule_when_the_preset_has_changed(synth_extra, tmp_path, monkeypatch):
    """A run started under an older recipe of its preset goes on with the schedule it was started with:
    the schedule has no option, so a refusal would name nothing the user typed."""
    base = ["train", "--data", synth_extra, "--out", tmp_path / "r", "--base-channels", 8, "--batch-size", 16,
            "--threads", 1, "--precision", "fp32"]
    assert run(*base, "--max-steps", 2).exit_code == 0
    started = load_run(tmp_path / "r" / "checkpoint.pt")["config"]["schedule"]
    assert started == [dict(stage) for stage in PRESETS[DEFAULT_PRESET].options["schedule"]]
    newer = PRESETS[DEFAULT_PRESET].options | {"schedule": ({"from_step": 1, "lr_scale": 0.1},)}
    monkeypatch.setitem(PRESETS, DEFAULT_PRESET, Preset("a newer recipe", newer))
    r = run(*base, "--resume", "--max-steps", 3)
    assert r.exit_code == 0, r.output
    saved = load_run(tmp_path / "r" / "checkpoint.pt")
    assert saved["step"] == 3 and saved["config"]["schedule"] == started
    # Typing the preset asks for its recipe as it is now: the run's other schedule is named.
    r = CliRunner().invoke(cli, [str(a) for a in (*base, "--resume", "--max-steps", 4, "--preset", DEFAULT_PRESET)])
    assert r.exit_code != 0 and "schedule" in r.output


def _trainer(schedule: tuple) -> Trainer:
    opts = TrainOptions(out="-", base_channels=8, batch_size=4, schedule=schedule, mode_seeking=0.0)
    return Trainer(model_config(opts, Conditioning("pair", [("blue", "red"), ("pink", "green")])))


def test_the_schedule_changes_rates_and_weights_at_its_steps():
    tr = _trainer(({"from_step": 2, "lr_scale": 0.5, "mode_seeking": 1.0},))
    assert learning_rates(tr.cfg, 1) == (2e-4, 2e-4) and learning_rates(tr.cfg, 2) == (1e-4, 1e-4)
    real = torch.rand(4, 3, 64, 64) * 2 - 1
    labels = (torch.tensor([HAIR_INDEX[h] for h in ("blue", "pink") * 2]),
              torch.tensor([EYE_INDEX[e] for e in ("red", "green") * 2]))
    calls = []
    tr._mode_seeking = lambda *a: calls.append(tr.step_count) or torch.zeros(())  # record when the term is used
    for _ in range(4):
        tr.step(real, *labels)
        lrs = {g["lr"] for opt in (tr.opt_G, tr.opt_D) for g in opt.param_groups}
        assert lrs == ({2e-4} if tr.step_count <= 2 else {1e-4}), (tr.step_count, lrs)
    assert calls == [2, 3]  # from step 2 on, not before


def test_a_resumed_trainer_takes_the_schedules_rate_for_its_step():
    a = _trainer(({"from_step": 1, "lr_scale": 0.25},))
    state = a.state(1, {})
    state["step"] = 5
    b = _trainer(({"from_step": 1, "lr_scale": 0.25},))
    b.load_state(state)
    assert {g["lr"] for g in b.opt_G.param_groups} == {5e-5}


def test_dry_run_writes_no_cache_where_a_run_would(synth_extra, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("CGAN_CACHE", str(cache))
    args = ["train", "--data", synth_extra, "--out", tmp_path / "r", "--base-channels", 8, "--batch-size", 16,
            "--max-steps", 1, "--threads", 1]
    assert run(*args, "--dry-run").exit_code == 0
    assert not cache.exists() or not any(p.is_file() for p in cache.rglob("*"))
    assert run(*args).exit_code == 0
    assert any(p.suffix == ".npy" for p in cache.rglob("*"))  # the run itself caches the decoded images


def test_out_that_is_a_file_is_refused_before_the_data_is_read(tmp_path):
    out = tmp_path / "taken"
    out.write_text("x")
    r = CliRunner().invoke(cli, ["train", "--data", str(tmp_path / "no-such-data"), "--out", str(out), "--dry-run"])
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [f"cgan: error: {out}: --out is a file; a run needs a folder (a new one, "
                                             "or a run's with --resume)"]
    assert out.read_text() == "x"

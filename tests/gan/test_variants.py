"""Presets compose with what users type: every --loss x --cond x --arch that docs/training.md lists
trains one step under the default preset, and what it refuses names only options the user typed."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from cgan.cli import cli
from cgan.data.synth_flowers import synth_captioned
from cgan.gan.build import load_run
from cgan.gan.options import CONDS, LOSSES, NETS
from cgan.gan.presets import DEFAULT_PRESET, compose

from conftest import ROOT


def _variants() -> dict[tuple[str, str, str], str]:
    """(loss, cond, arch) -> 'trains' or the refusal's words, from the page's table."""
    page = (ROOT / "docs" / "training.md").read_text()
    table = page.split("<!-- variants -->")[1].split("<!-- /variants -->")[0].strip().splitlines()
    conds = re.findall(r"`--cond (\w+)`", table[0])
    out = {}
    for row in table[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        loss, archs = cells[0].strip("`"), re.findall(r"`(\w+)`", cells[1])
        for arch in archs:
            for cond, verdict in zip(conds, cells[2:]):
                out[(loss, cond, arch)] = verdict
    return out


VARIANTS = _variants()


def test_the_table_covers_every_loss_cond_and_arch():
    assert set(VARIANTS) == {(loss, cond, arch) for loss in LOSSES for cond in CONDS for arch in NETS}


@pytest.fixture(scope="module")
def flowers(tmp_path_factory):
    out = tmp_path_factory.mktemp("flowers")
    synth_captioned(out, 24, seed=3)
    return out


@pytest.mark.parametrize("loss, cond, arch", sorted(VARIANTS))
def test_each_variant_trains_under_the_default_preset(loss, cond, arch, synth_extra, flowers, tmp_path):
    typed = ["--loss", loss, "--cond", cond, "--arch", arch]
    data = flowers if cond == "sentence" else synth_extra
    out = tmp_path / "run"
    r = CliRunner().invoke(cli, ["train", "--data", str(data), "--out", str(out), *typed, "--batch-size", "8",
                                 "--max-steps", "1", "--threads", "1"])
    verdict = VARIANTS[(loss, cond, arch)]
    if verdict == "trains":
        assert r.exit_code == 0, r.output
        s = load_run(out / "checkpoint.pt")
        assert s["step"] == 1 and s["config"]["loss"] == loss and s["config"]["preset"] == DEFAULT_PRESET
        assert "Traceback" not in r.output
        return
    assert r.exit_code == 2, r.output
    err = [line for line in r.output.splitlines() if line.startswith("cgan: error:")]
    assert len(err) == 1 and not out.joinpath("checkpoint.pt").exists(), r.output
    named = set(re.findall(r"--[a-z][a-z-]+", err[0]))
    assert named and named <= {"--loss", "--cond", "--arch"}, err[0]  # only options the user typed


def test_a_preset_setting_without_meaning_is_dropped_with_a_note():
    options = {"loss": "acgan", "cond": "multi", "arch": "biggan", "aux_weight": 1.0, "latent_codes": False,
               "gan_int": False}
    notes = compose(options, {"loss"}, "hour")
    assert options["aux_weight"] == 0.0
    assert notes == ["note: the hour preset's --aux-weight 1.0 is dropped: it adds a tag classifier to the gan or "
                     "hinge discriminator of a tag-conditioned model, and you chose --loss acgan"]


def test_a_typed_setting_takes_what_it_needs_from_the_preset():
    options = {"loss": "hinge", "cond": "multi", "arch": "biggan", "aux_weight": 1.0, "latent_codes": True,
               "gan_int": False}
    notes = compose(options, {"latent_codes"}, "hour")
    assert options["cond"] == "none" and options["aux_weight"] == 0.0  # the aux term then has no tags
    assert notes[0].startswith("note: --cond none instead of the hour preset's multi: --latent-codes")


def test_two_typed_settings_that_contradict_are_refused_naming_both():
    from cgan.core.errors import CganError

    options = {"loss": "acgan", "cond": "multi", "arch": "biggan", "aux_weight": 0.5, "latent_codes": False,
               "gan_int": False}
    with pytest.raises(CganError, match=r"^--aux-weight 0.5 .*: it does not go with --loss acgan$"):
        compose(options, {"loss", "aux_weight"}, "hour")

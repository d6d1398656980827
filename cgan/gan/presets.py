"""Named training recipes, and how a recipe composes with the options a user types.

A preset sets TrainOptions fields; what the command line gives wins. Where a typed option leaves a
preset's setting without meaning (the default preset's auxiliary tag classifier under `--loss acgan`,
say) the setting is dropped with a one-line note; a refusal names only options the user typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from cgan.core.errors import CganError


@dataclass(frozen=True)
class Preset:
    """A named recipe: the TrainOptions it sets; anything given on the command line wins."""

    summary: str
    options: dict


# The release recipe's stages, as steps of batch 64: plain hinge training until the images are good,
# then the mode-seeking term to spread each tag's images, then half the learning rates and half that
# weight to settle; the shipped cgan was made this way (release/manifest.json) in resumed runs.
RELEASE_SCHEDULE = ({"from_step": 10_220, "mode_seeking": 1.0},
                    {"from_step": 18_925, "lr_scale": 0.5, "mode_seeking": 0.5})
_BIGGAN = {"arch": "biggan", "cond": "multi", "loss": "hinge", "base_channels": 32, "batch_size": 64, "ema": 0.999,
           "flip": True, "diffaug": "translation", "precision": "auto"}
# The default recipe's stages, as steps of batch 32: tags and faces first, with the auxiliary classifier
# teaching the eye colours; from step 5,000 the mode-seeking term spreads each tag's images (without it
# the classifier's pull draws one face per tag), comparing the batch's halves, drawn for the same tags
# (a second batch through G would cost a third of the step rate); from step 10,500 half the rates and
# half that weight.
HOUR_SCHEDULE = ({"from_step": 5_000, "mode_seeking": 1.0},
                 {"from_step": 10_500, "lr_scale": 0.5, "mode_seeking": 0.5})
PRESETS: dict[str, Preset] = {
    # An hour on a 2-core CPU (docs/speed.md): the release family at base 16 (about 2.5x the base-32 image rate
    # in bf16), batches of 32 (fewer images an hour than 64's, but more updates: ahead in KID at equal time),
    # an auxiliary tag classifier on D at half weight, no augmentation (an hour is under ten epochs: too
    # short for D to overfit), and the schedule above.
    "hour": Preset("the default: the release family at base 16 in batches of 32, with an auxiliary tag classifier "
                   "on D and a mode-seeking stage from step 5,000, for an hour on a 2-core CPU: every tag and "
                   "varied faces within each",
                   {**_BIGGAN, "base_channels": 16, "batch_size": 32, "aux_weight": 0.5, "diffaug": "",
                    "epochs": 10_000, "max_steps": 20_000, "time_limit": 60.0, "schedule": HOUR_SCHEDULE,
                    "mode_seeking_pairs": True}),
    # The fastest route to the course baseline (bench/time_to_quality.py): no mode seeking and the classifier at
    # full weight. It ends at 3,000 steps, soon after the baseline: trained on, it draws one face per tag.
    "laptop": Preset("the fastest route to the course baseline (about 14 minutes on a 2-core CPU): the release "
                     "family at base 16 with an auxiliary tag classifier on D, ending soon after the baseline; "
                     "each tag draws nearly one face",
                     {**_BIGGAN, "base_channels": 16, "aux_weight": 1.0, "diffaug": "", "epochs": 10_000,
                      "max_steps": 3_000, "time_limit": 60.0}),
    "course": Preset("the handout's baseline exactly: DCGAN G and D, one-hot (hair, eyes) pairs, the matching-aware "
                     "loss, Adam 2e-4 / beta1 0.5, batch 64, base 64", {
                         "arch": "dcgan", "cond": "pair", "loss": "gan", "base_channels": 64, "batch_size": 64,
                         "z_dim": 100, "ema": 0.0, "flip": False, "diffaug": "", "epochs": 25, "precision": "fp32"}),
    "release": Preset("the shipped cgan's recipe as one schedule: the BigGAN-style model at base 32 for 23,105 "
                      "steps, mode seeking 1.0 from step 10,220, half the rates and mode seeking 0.5 from 18,925",
                      {**_BIGGAN, "epochs": 10_000, "max_steps": 23_105, "schedule": RELEASE_SCHEDULE}),
}
DEFAULT_PRESET = "hour"


def preset_options(name: str) -> dict:
    """The TrainOptions fields preset `name` sets (a copy), recorded with the preset's name."""
    if name not in PRESETS:
        raise CganError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})")
    return {**PRESETS[name].options, "preset": name}


@dataclass(frozen=True)
class Requirement:
    """A setting that means something only with some other choices: `holds` says whether it does."""

    option: str
    off: object  # the value that switches the setting off
    depends: tuple[str, ...]  # the options whose choice can take its meaning away
    holds: Callable[[dict], bool]
    what: str  # what the setting does, for the note and the refusal
    gives_way: dict | None = None  # typed, it takes these values from the preset's options it needs changed


REQUIREMENTS = (
    Requirement("aux_weight", 0.0, ("loss", "cond"),
                lambda o: o["loss"] in ("gan", "hinge") and o["cond"] in ("pair", "multi"),
                "adds a tag classifier to the gan or hinge discriminator of a tag-conditioned model"),
    Requirement("latent_codes", False, ("arch", "cond"),
                lambda o: o["arch"] == "biggan" and o["cond"] == "none",
                "gives an unconditional BigGAN-style generator tag codes read from its noise",
                {"arch": "biggan", "cond": "none"}),
    Requirement("gan_int", False, ("cond",), lambda o: o["cond"] == "sentence",
                "mixes two captions' codes, for a model conditioned on sentences", {"cond": "sentence"}),
)


def _flag(name: str, value: object) -> str:
    flag = "--" + name.replace("_", "-")
    return flag if value is True else f"{flag} {value}"


def compose(options: dict, typed: set[str], preset: str | None) -> list[str]:
    """Make `options` (a preset's values under the typed ones) consistent, in place: a preset setting
    that the typed options leave without meaning is switched off; returns a one-line note for each.
    A typed setting that other typed options contradict is refused, naming only typed options; a
    typed setting that needs other values of the preset's options takes them, with a note."""
    notes: list[str] = []
    because: dict[str, str] = {}  # a preset option changed for a typed one -> that typed option's flag
    changed = True
    while changed:  # one change can take another setting's meaning away
        changed = False
        for req in REQUIREMENTS:
            value = options.get(req.option, req.off)
            if not value or req.holds(options):
                continue
            typed_culprits = [_flag(d, options[d]) for d in req.depends if d in typed]
            if req.option not in typed:
                culprits = typed_culprits + [because[d] for d in req.depends
                                             if d in because and because[d] not in typed_culprits]
                options[req.option] = req.off
                notes.append(f"note: the {preset} preset's {_flag(req.option, value)} is dropped: it {req.what}, "
                             f"and you chose {' and '.join(culprits)}")
            elif typed_culprits:
                raise CganError(f"{_flag(req.option, value)} {req.what}: it does not go with "
                                f"{' and '.join(typed_culprits)}")
            else:
                for k, v in (req.gives_way or {}).items():
                    if options[k] != v:
                        notes.append(f"note: {_flag(k, v)} instead of the {preset} preset's {options[k]}: "
                                     f"{_flag(req.option, value)} {req.what}")
                        options[k], because[k] = v, _flag(req.option, value)
                        changed = True
    return notes

"""A sentence model of the anime faces: a `--cond multi` tag generator behind the colour reader.

The learned reader (text/colour_reader.py) is trained on the caption grammar's training families for all
132 pairs and measured, per family, on the held-out families, alone and combined with the structured
pass that runs beside it when a prompt is read (text/prompt_reader.py); the file it writes is the tag
model's generator file with the reader in its condition config, so it loads and samples like any
sentence model (`cgan generate --ckpt FILE --text ...`, the demo's prompt tab).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from cgan.core.checkpoint_io import FORMAT_VERSION, sampling_state, save_checkpoint
from cgan.core.errors import CganError
from cgan.gan.build import load_run
from cgan.gan.conditioning import ReaderConditioning
from cgan.text.colour_reader import reader_accuracy, reader_state, tag_sentences, train_reader
from cgan.text.family_eval import family_accuracy
from cgan.text.minilm import NAME, load_encoder

PREVIEW = ("a girl with long pink hair and red eyes", "blonde hair, blue eyes", "green-eyed girl with silver hair",
           "a character with black hair and yellow eyes", "short aqua hair and bright purple eyes")


def make_reader_model(gan: str | Path, dst: str | Path, steps: int = 1500, seed: int = 0,
                      log: Callable[[str], None] = print) -> dict:
    """Train the reader, write the sentence model to `dst`, and return it (with the reader's held-out
    accuracy on text under 'reader')."""
    obj = load_run(gan)
    cfg = obj["config"]
    if cfg["cond"]["kind"] != "multi":
        raise CganError(f"{gan}: conditioned on {cfg['cond']['kind']!r}; the colour reader drives a "
                        "--cond multi model (12 hair + 11 eye codes, so every pair it reads can be drawn)")
    encoder = load_encoder(NAME)
    splits, sentences = {}, {}
    for split in ("train", "heldout"):
        texts, hair, eyes, families = sentences[split] = tag_sentences(split)
        splits[split] = (*encoder.token_states(texts), hair, eyes)
    reader = train_reader(*splits["train"], steps=steps, seed=seed, log=log)
    train_acc, heldout = (reader_accuracy(reader, *splits[s]) for s in ("train", "heldout"))
    log(f"learned reader: training families hair {train_acc['hair']:.1%}, eyes {train_acc['eyes']:.1%}; "
        f"held-out families hair {heldout['hair']:.1%}, eyes {heldout['eyes']:.1%} ({heldout['n']} sentences)")
    texts, hair, eyes, families = sentences["heldout"]
    per_family = family_accuracy(texts, hair, eyes, families, reader.code(*splits["heldout"][:2]))
    for fam, acc in per_family.items():
        log(f"  held-out family {fam}: learned hair {acc['learned']['hair']:.1%} eyes {acc['learned']['eyes']:.1%}; "
            f"combined hair {acc['combined']['hair']:.1%} eyes {acc['combined']['eyes']:.1%}")
    cond = ReaderConditioning(NAME, reader_state(reader), list(PREVIEW))
    out = {"format_version": FORMAT_VERSION, "kind": "generator", "config": {**cfg, "cond": cond.to_config()},
           "G": sampling_state(obj), "epoch": obj.get("epoch", 0), "step": obj.get("step", 0),
           "data": obj.get("data", {}),
           "reader": {"steps": steps, "seed": seed, "train": train_acc, "heldout": heldout,
                      "families": per_family, "generator": str(gan)}}
    save_checkpoint(out, dst)
    return out

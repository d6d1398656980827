"""A sentence model of the anime faces: a `--cond multi` tag generator behind the colour reader.

The reader (text/colour_reader.py) is trained on the sentences tag_captions makes for all 132 pairs
(the training templates only) and measured on the held-out templates; the file it writes is the tag
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
    splits = {}
    for split in ("train", "heldout"):
        texts, hair, eyes = tag_sentences(split)
        splits[split] = (*encoder.token_states(texts), hair, eyes)
    reader = train_reader(*splits["train"], steps=steps, seed=seed, log=log)
    train_acc, heldout = (reader_accuracy(reader, *splits[s]) for s in ("train", "heldout"))
    log(f"colour reader: training sentences hair {train_acc['hair']:.1%}, eyes {train_acc['eyes']:.1%}; "
        f"held-out phrasings hair {heldout['hair']:.1%}, eyes {heldout['eyes']:.1%} ({heldout['n']} sentences)")
    cond = ReaderConditioning(NAME, reader_state(reader), list(PREVIEW))
    out = {"format_version": FORMAT_VERSION, "kind": "generator", "config": {**cfg, "cond": cond.to_config()},
           "G": sampling_state(obj), "epoch": obj.get("epoch", 0), "step": obj.get("step", 0),
           "data": obj.get("data", {}),
           "reader": {"steps": steps, "seed": seed, "train": train_acc, "heldout": heldout, "generator": str(gan)}}
    save_checkpoint(out, dst)
    return out

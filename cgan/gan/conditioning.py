"""Condition encoders: tags or sentence embeddings -> the vector G and D are conditioned on.

The encoder (and its vocabulary) is saved inside every checkpoint, so generating needs no training data.
"""

from __future__ import annotations

from typing import Iterable

import torch
import torch.nn.functional as F

from cgan.core.errors import CganError
from cgan.course.colors import EYE_COLORS, EYE_INDEX, HAIR_COLORS, HAIR_INDEX
from cgan.course.tags import TagLine
from cgan.gan.tag_codes import UNSEEN_PAIR, TagCodes
from cgan.text.colour_reader import reader_from_state
from cgan.text.embeddings import embed_texts
from cgan.text.minilm import load_encoder
from cgan.text.prompt_reader import read_prompts


class Conditioning(TagCodes):
    """TagCodes with the torch side training needs: codes of index tensors, and 'wrong tags' drawn for
    the matching-aware loss and the sample grids from `pairs`."""

    def __init__(self, kind: str, pairs: Iterable[tuple[str, str]]) -> None:
        super().__init__(kind, pairs)
        table = torch.full((len(HAIR_COLORS), len(EYE_COLORS)), -1, dtype=torch.long)
        for (h, e), i in self._pair_index.items():
            table[HAIR_INDEX[h], EYE_INDEX[e]] = i
        self._table = table
        self.pair_hair = torch.tensor([HAIR_INDEX[h] for h, _ in self.pairs], dtype=torch.long)
        self.pair_eyes = torch.tensor([EYE_INDEX[e] for _, e in self.pairs], dtype=torch.long)

    def encode(self, hair: torch.Tensor, eyes: torch.Tensor) -> torch.Tensor:
        n = hair.shape[0]
        if self.kind == "none":
            return torch.zeros(n, 0, device=hair.device)
        if self.kind == "multi":
            return torch.cat([F.one_hot(hair, len(HAIR_COLORS)), F.one_hot(eyes, len(EYE_COLORS))], 1).float()
        idx = self._table.to(hair.device)[hair, eyes]
        if bool((idx < 0).any()):
            raise CganError(UNSEEN_PAIR)
        return F.one_hot(idx, len(self.pairs)).float()

    def encode_tags(self, tags: list[TagLine]) -> torch.Tensor:
        """TagCodes.onehots as a float32 tensor (exact: the codes are 0 and 1)."""
        return torch.from_numpy(self.onehots(tags)).float()

    def wrong_pairs(self, hair: torch.Tensor, eyes: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """For each (hair, eyes), a uniformly drawn *different* pair of the training vocabulary."""
        k = len(self.pairs)
        right = self._table.to(hair.device)[hair, eyes]
        if k < 2 or bool((right < 0).any()):
            raise CganError("the matching-aware loss needs at least two distinct tag pairs in the data")
        shift = torch.randint(1, k, right.shape, generator=gen, device="cpu").to(hair.device)
        wrong = (right + shift) % k
        return self.pair_hair.to(hair.device)[wrong], self.pair_eyes.to(hair.device)[wrong]

    def wrong_codes(self, hair: torch.Tensor, eyes: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """The matching-aware loss's 'real image, wrong text' codes."""
        return self.encode(*self.wrong_pairs(hair, eyes, gen))

    def to_config(self) -> dict:
        return {"kind": self.kind, "pairs": [list(p) for p in self.pairs]}

    @classmethod
    def from_config(cls, cfg: dict) -> "Conditioning | SentenceConditioning | ReaderConditioning":
        if cfg["kind"] == "sentence":
            return ReaderConditioning.from_config(cfg) if "reader" in cfg else SentenceConditioning.from_config(cfg)
        return cls(cfg["kind"], [tuple(p) for p in cfg["pairs"]])


class SentenceConditioning:
    """A sentence embedding (unit length, from the encoder named in the checkpoint) as the condition.

    Scaled by sqrt(dim) so its entries have roughly unit variance, like the tag codes after their
    N(0, 1) embedding layer: G's conditioning-augmentation layer then starts at the noise's scale.
    """

    kind = "sentence"
    conditional = True

    def __init__(self, encoder: str, dim: int, preview: list[str] | None = None) -> None:
        self.encoder, self._dim, self.preview = encoder, dim, list(preview or [])

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, emb: torch.Tensor) -> torch.Tensor:
        return emb.float() * self._dim ** 0.5

    def encode_texts(self, texts: list[str], log=lambda m: None) -> torch.Tensor:

        return self.encode(torch.from_numpy(embed_texts(texts, load_encoder(self.encoder), log=log)))

    def wrong_codes(self, emb: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """Another image's caption for each image: the batch rolled by a random non-zero shift."""
        n = emb.shape[0]
        if n < 2:
            raise CganError("the matching-aware loss needs at least two captions per batch")
        shift = int(torch.randint(1, n, (1,), generator=gen))
        return self.encode(emb.roll(shift, 0))

    def to_config(self) -> dict:
        return {"kind": "sentence", "encoder": self.encoder, "dim": self._dim, "preview": self.preview}

    @classmethod
    def from_config(cls, cfg: dict) -> "SentenceConditioning":
        return cls(cfg["encoder"], cfg["dim"], cfg.get("preview"))


class ReaderConditioning:
    """Free text -> the structured pass beside the learned colour reader (text/prompt_reader.py) -> a
    `--cond multi` tag generator's one-hot code. A sentence model for sampling only: its
    generator is a tag model's, so it draws every (hair, eyes) pair that model draws."""

    kind = "sentence"
    conditional = True
    dim = len(HAIR_COLORS) + len(EYE_COLORS)

    def __init__(self, encoder: str, reader: dict, preview: list[str] | None = None) -> None:
        self.encoder, self.reader_state, self.preview = encoder, reader, list(preview or [])
        self.reader = reader_from_state(reader)

    def encode(self, code: torch.Tensor) -> torch.Tensor:
        return code.float()

    def encode_texts(self, texts: list[str], log=lambda m: None) -> torch.Tensor:
        """Each distinct text goes through the encoder once (a plan repeats every prompt per seed)."""
        row = {t: i for i, t in enumerate(dict.fromkeys(texts))}
        codes = read_prompts(self.reader, load_encoder(self.encoder), list(row), log)
        return codes[[row[t] for t in texts]]

    def read(self, texts: list[str]) -> list[tuple[str, float, str, float]]:
        """What the reader understood of each text: (hair, its probability, eyes, its probability)."""
        return read_codes(self.encode_texts(texts))

    def to_config(self) -> dict:
        return {"kind": "sentence", "encoder": self.encoder, "dim": self.dim, "reader": self.reader_state,
                "preview": self.preview}

    @classmethod
    def from_config(cls, cfg: dict) -> "ReaderConditioning":
        return cls(cfg["encoder"], cfg["reader"], cfg.get("preview"))


def read_codes(code: torch.Tensor) -> list[tuple[str, float, str, float]]:
    """The most likely hair and eye colour of each row of a reader's codes, with their probabilities."""
    hp, h = code[:, :len(HAIR_COLORS)].max(1)
    ep, e = code[:, len(HAIR_COLORS):].max(1)
    return [(HAIR_COLORS[a], float(pa), EYE_COLORS[b], float(pb)) for a, pa, b, pb in zip(h, hp, e, ep)]

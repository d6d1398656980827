"""The learned colour reader: which hair and eye colour a free-text prompt names, from MiniLM's token vectors.

Why not the pooled sentence embedding the flowers use: mean pooling blurs which colour goes with which
noun. A ridge probe from pooled all-MiniLM-L6-v2 vectors to the 12 + 11 colours reads 99.8% of the
training phrasings but only 80% (hair) / 81% (eyes) of the held-out ones, so a generator conditioned on
that vector through a linear layer cannot do better. The reader attends over the contextual token
vectors instead (one learned query for hair, one for eyes) and reads each colour from what it
attended to: 95% / 98% on the same held-out phrasings (tag_captions.HELDOUT_TEMPLATES, never trained on).
It is trained on the caption grammar's training families (phrasing_families.py); a sentence model runs it
beside the structured pass (prompt_reader.py), which decides where the two disagree.

Its output is the tag model's own `--cond multi` code with probabilities in place of the one-hots,
so a sentence model is a tag generator plus this reader, and an off-topic prompt gives a blend.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.text.minilm import MiniLM
from cgan.text.phrasing_families import HELDOUT, TRAIN, family_sentences

# Sentences per family: the training families in full, the held-out ones enough for a per-family figure.
PER_FAMILY = {"train": 400, "heldout": 150}
SEEDS = {"train": 0, "heldout": 1}


class ColourReader(nn.Module):
    def __init__(self, dim: int = MiniLM.dim, dropout: float = 0.1) -> None:
        super().__init__()
        self.query = nn.Linear(dim, 2)  # attention logits per token: hair, eyes
        self.hair = nn.Linear(dim, len(HAIR_COLORS))
        self.eyes = nn.Linear(dim, len(EYE_COLORS))
        self.drop = nn.Dropout(dropout)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Hair and eye logits for (n, t, dim) token vectors and their (n, t) mask."""
        att = self.query(states).masked_fill(~mask[..., None], float("-inf")).softmax(1)
        pooled = torch.einsum("ntk,ntd->nkd", att, states)
        return self.hair(self.drop(pooled[:, 0])), self.eyes(self.drop(pooled[:, 1]))

    @torch.no_grad()
    def code(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The (n, 23) multi-hot-shaped code: hair probabilities, then eye probabilities."""
        was = self.training
        self.eval()
        hair, eyes = self(states.to(self.query.weight.dtype), mask)
        self.train(was)
        return torch.cat([hair.softmax(1), eyes.softmax(1)], 1)


def tag_sentences(split: str, pairs: list[tuple[str, str]] | None = None,
                  per_family: int | None = None) -> tuple[list[str], torch.Tensor, torch.Tensor, list[str]]:
    """Sentences of the `split` families ('train' or 'heldout') over the (hair, eyes) pairs (default: all
    132): (texts, hair indices, eye indices, family of each)."""
    families = list(TRAIN if split == "train" else HELDOUT)
    return family_sentences(families, per_family or PER_FAMILY[split], SEEDS[split], pairs)


def train_reader(states: torch.Tensor, mask: torch.Tensor, hair: torch.Tensor, eyes: torch.Tensor, steps: int = 1500,
                 batch_size: int = 256, lr: float = 3e-3, seed: int = 0,
                 log: Callable[[str], None] = print) -> ColourReader:
    """Cross-entropy on both colours over sentences given as the encoder's token vectors (MiniLM.token_states;
    the encoder stays frozen)."""
    n = len(states)
    log(f"colour reader: {n} sentences, {steps} steps of {batch_size}")
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    reader = ColourReader()
    opt = torch.optim.AdamW(reader.parameters(), lr=lr, weight_decay=0.01)
    for _ in range(steps):
        idx = torch.randint(0, n, (batch_size,), generator=gen)
        h, e = reader(states[idx], mask[idx])
        loss = F.cross_entropy(h, hair[idx]) + F.cross_entropy(e, eyes[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return reader.eval()


@torch.no_grad()
def reader_accuracy(reader: ColourReader, states: torch.Tensor, mask: torch.Tensor, hair: torch.Tensor,
                    eyes: torch.Tensor) -> dict[str, float]:
    """The fraction of sentences (as token vectors) whose hair, eyes, and both the reader names right."""
    h, e = reader.eval()(states, mask)
    rh, re_ = h.argmax(1) == hair, e.argmax(1) == eyes
    return {"hair": rh.float().mean().item(), "eyes": re_.float().mean().item(),
            "both": (rh & re_).float().mean().item(), "n": len(states)}


def reader_state(reader: ColourReader) -> dict[str, list]:
    """JSON-able weights, kept in the checkpoint's condition config."""
    return {k: v.tolist() for k, v in reader.state_dict().items()}


def reader_from_state(state: dict[str, list]) -> ColourReader:
    reader = ColourReader()
    reader.load_state_dict({k: torch.tensor(v, dtype=torch.float32) for k, v in state.items()})
    return reader.eval()

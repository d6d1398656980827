"""The reference hair/eye colour classifier ("tagnet") that `cgan eval` and the grader judge grids with.

A small CNN with two heads. Its checkpoint carries, besides the weights, its own held-out accuracy
and reference statistics of the real images it was trained on (feature mean/covariance for the
Fréchet distance, per-tag spreads for the collapse check), so evaluating needs no data set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn as nn

from cgan.core.checkpoint_io import (
    FORMAT_VERSION,
    load_checkpoint,
    load_weights,
    save_checkpoint,
)
from cgan.core.image_tensors import to_input
from cgan.course.colors import EYE_COLORS, HAIR_COLORS

ARCH = "tagnet"


def _block(cin: int, cout: int) -> list[nn.Module]:
    # One conv at the input resolution, one strided: eyes are a few pixels wide at 64x64.
    return [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class TagNet(nn.Module):
    """64x64 RGB in [-1, 1] -> (hair logits, eye logits); `features` is the pooled penultimate layer."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        w = width
        self.width = width
        self.body = nn.Sequential(*_block(3, w), *_block(w, 2 * w), *_block(2 * w, 4 * w), *_block(4 * w, 8 * w))
        self.dropout = nn.Dropout(0.2)
        self.hair = nn.Linear(16 * w, len(HAIR_COLORS))
        self.eyes = nn.Linear(16 * w, len(EYE_COLORS))

    @property
    def feature_dim(self) -> int:
        return 16 * self.width

    def features(self, x: torch.Tensor) -> torch.Tensor:
        # Mean and max pooling: the mean carries the hair (large areas), the max the eyes (a few pixels).
        h = self.body(x)
        return torch.cat([h.mean((2, 3)), h.amax((2, 3))], 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.dropout(self.features(x))
        return self.hair(f), self.eyes(f)


@dataclass
class Predictions:
    hair: np.ndarray
    eyes: np.ndarray
    features: np.ndarray


@dataclass
class Classifier:
    """A loaded tagnet with what its checkpoint says about itself."""

    net: TagNet
    info: dict = field(default_factory=dict)
    path: str = ""

    @torch.no_grad()
    def predict(self, images: np.ndarray, batch: int = 256) -> Predictions:
        self.net.eval()
        hs, es, fs = [], [], []
        for i in range(0, len(images), batch):
            f = self.net.features(to_input(images[i:i + batch], next(self.net.parameters()).dtype))
            hs.append(self.net.hair(f).argmax(1).numpy())
            es.append(self.net.eyes(f).argmax(1).numpy())
            fs.append(f.numpy().astype(np.float64))
        if not hs:
            d = self.net.feature_dim
            return Predictions(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, d)))
        return Predictions(np.concatenate(hs), np.concatenate(es), np.concatenate(fs))

    @property
    def heldout(self) -> dict:
        return self.info.get("heldout", {})

    @property
    def reference(self) -> dict:
        return self.info.get("reference", {})


def save_classifier(clf: Classifier, path: str | Path) -> None:
    save_checkpoint({"format_version": FORMAT_VERSION, "kind": "classifier",
                     "config": {"arch": ARCH, "width": clf.net.width},
                     "state": clf.net.state_dict(), "info": _plain(clf.info)}, path)


def _plain(x):
    """numpy scalars -> Python numbers, so the checkpoint loads with weights_only."""
    if isinstance(x, dict):
        return {_plain(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


def load_classifier(path: str | Path, dtype: torch.dtype = torch.float32) -> Classifier:
    """float32 for scoring; float64 where its reading picks pixels (transfer's kept eye colours), so a
    near tie between two colours goes the same way on every machine."""
    obj = load_checkpoint(path, arch=ARCH)
    net = load_weights(TagNet(obj["config"]["width"]), obj["state"], path, dtype)
    return Classifier(net, obj.get("info", {}), str(path))


def eye_reader(path: str | Path) -> Callable[[np.ndarray], list[str]]:
    """The eye colours tagnet reads on NHWC uint8 images, computed in float64: where the reading picks
    pixels (transfer's --eyes keep), a near tie between two colours goes the same way on every machine."""
    clf = load_classifier(path, dtype=torch.float64)
    return lambda images: [EYE_COLORS[int(e)] for e in clf.predict(images).eyes]

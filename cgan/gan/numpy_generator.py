"""The BigGAN generator's forward pass in numpy float64: drawing a tag or unconditional grid without
importing torch.

Importing torch takes about a second before anything is drawn; `bash run_cgan.sh` and `run_gan.sh`
need only this forward pass, which numpy does in float64 as well as torch does. Pixels stay the same
on every machine for the reason they do in torch (core/pixels.py): float64 sums in any order differ
by ~1e-13 of a level, far inside each grid's rounding margin, so the PNG is byte for byte the one the
torch generator writes (tests/gan/test_numpy_generator.py compares them). Sentence models (their text
encoder is a torch network) and the course DCGAN are drawn by torch (samplers.py picks).
"""

from __future__ import annotations

import numpy as np

from cgan.core.checkpoint_arrays import FORMAT_VERSION, sampling_state
from cgan.core.errors import at
from cgan.core.numpy_conv import conv3x3, conv3x3_matrix, up_conv3x3, up_conv3x3_matrices, upsample2
from cgan.core.pixels import Rendered, render
from cgan.course.tags import TagLine
from cgan.gan.biggan_layout import ARCH, CHUNKS, channels, code_edges
from cgan.gan.seeds import noise_rows, truncate
from cgan.gan.tag_codes import KINDS, TagCodes

BN_EPS = 1e-5  # nn.BatchNorm2d's default, which biggan.py keeps
CHUNK_IMAGES = 5  # images per pass: larger batches gain little and hold ~50 MB more per 5 images


class _Weights:
    """A state dict's arrays by module name, as float64, spectral norm applied as torch applies it in
    eval mode: W / (u . W v) with the stored u and v."""

    def __init__(self, state: dict) -> None:
        self.state = state

    def __call__(self, name: str) -> np.ndarray:
        s = self.state
        if f"{name}.weight" in s:
            return np.asarray(s[f"{name}.weight"], np.float64)
        w = np.asarray(s[f"{name}.parametrizations.weight.original"], np.float64)
        u = np.asarray(s[f"{name}.parametrizations.weight.0._u"], np.float64)
        v = np.asarray(s[f"{name}.parametrizations.weight.0._v"], np.float64)
        return w / (u @ (w.reshape(len(w), -1) @ v))

    def bias(self, name: str) -> np.ndarray:
        return np.asarray(self.state[f"{name}.bias"], np.float64)

    def norm(self, name: str, affine: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Eval-mode batch norm as a scale and shift per channel."""
        scale = 1.0 / np.sqrt(np.asarray(self.state[f"{name}.running_var"], np.float64) + BN_EPS)
        shift = -np.asarray(self.state[f"{name}.running_mean"], np.float64) * scale
        if affine:
            scale, shift = scale * self(name), shift * self(name) + self.bias(name)
        return scale, shift


class _UpBlock:
    def __init__(self, w: _Weights, name: str) -> None:
        self.norm1, self.norm2 = w.norm(f"{name}.bn1.bn"), w.norm(f"{name}.bn2.bn")
        self.gain1, self.shift1 = w(f"{name}.bn1.gain").T, w(f"{name}.bn1.bias").T
        self.gain2, self.shift2 = w(f"{name}.bn2.gain").T, w(f"{name}.bn2.bias").T
        self.conv1, self.b1 = up_conv3x3_matrices(w(f"{name}.conv1")), w.bias(f"{name}.conv1")
        self.conv2, self.b2 = conv3x3_matrix(w(f"{name}.conv2")), w.bias(f"{name}.conv2")
        self.skip, self.bskip = w(f"{name}.skip")[:, :, 0, 0].T, w.bias(f"{name}.skip")

    @staticmethod
    def _cond_norm(x: np.ndarray, norm: tuple[np.ndarray, np.ndarray], gain: np.ndarray, shift: np.ndarray,
                   y: np.ndarray) -> np.ndarray:
        """relu(CondBatchNorm): batch norm, then per image a gain 1 + y W_g and a bias y W_b."""
        g, b = (1.0 + y @ gain)[:, None, None, :], (y @ shift)[:, None, None, :]
        return np.maximum((x * norm[0] + norm[1]) * g + b, 0.0)

    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        h = up_conv3x3(self._cond_norm(x, self.norm1, self.gain1, self.shift1, y), self.conv1, self.b1)
        h = conv3x3(self._cond_norm(h, self.norm2, self.gain2, self.shift2, y), self.conv2, self.b2)
        return h + upsample2(x @ self.skip + self.bskip)


class NumpyGenerator:
    """biggan.BigGenerator in eval mode, float64, NHWC inside; tag ('multi', 'pair') and unconditional
    (with or without latent codes) models. Draws like gan.sampling.generate_rendered."""

    def __init__(self, cfg: dict, state: dict) -> None:
        self.codes = TagCodes(cfg["cond"]["kind"], [tuple(p) for p in cfg["cond"]["pairs"]])
        self.z_dim, self.base = cfg["z_dim"], cfg["base_channels"]
        self.latent_codes = tuple(cfg.get("latent_codes") or ())
        self._edges = [np.array(code_edges(k)) for k in self.latent_codes]
        w = _Weights(state)
        self.text = w("text").T if self.codes.conditional or self.latent_codes else None
        self.fc, self.fc_b = w("fc").T, w.bias("fc")
        self.blocks = [_UpBlock(w, f"blocks.{i}") for i in range(len(channels(self.base)) - 1)]
        self.out_norm = w.norm("out_bn", affine=True)
        self.out, self.out_b = conv3x3_matrix(w("out")), w.bias("out")

    @classmethod
    def from_checkpoint(cls, obj: object) -> "NumpyGenerator | None":
        """The generator of a checkpoint read by core.checkpoint_arrays, or None when this forward pass
        does not cover it (another architecture, a sentence model, conditioning augmentation) or the
        file is not a well-formed one: torch then loads it, and names any fault."""
        try:
            cfg = obj["config"]
            if obj["format_version"] > FORMAT_VERSION or cfg["arch"] != ARCH or cfg["cond"]["kind"] not in KINDS \
                    or cfg.get("ca_dim") or cfg["z_dim"] % CHUNKS:
                return None
            gen = cls(cfg, sampling_state(obj))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            return None
        return gen if gen._fits() else None

    def _fits(self) -> bool:
        """Whether the weights have the shapes the config builds (a forward pass at 4x4 would raise)."""
        chans = channels(self.base)
        return (self.fc.shape == (self.z_dim // CHUNKS, 16 * chans[0]) and self.out.shape == (9 * chans[-1], 3)
                and all(b.conv2.shape == (9 * c, c) and b.skip.shape == (a, c)
                        for b, a, c in zip(self.blocks, chans, chans[1:]))
                and (self.text is None or self.text.shape[0] == (self.codes.dim or sum(self.latent_codes)))
                and self.blocks[0].gain1.shape[0] == self.z_dim // CHUNKS + (0 if self.text is None else self.text.shape[1]))

    @property
    def kind(self) -> str:
        return self.codes.kind

    @property
    def conditional(self) -> bool:
        return self.codes.conditional

    def forward(self, z: np.ndarray, c: np.ndarray | None = None) -> np.ndarray:
        """(N, z_dim) noise and (N, dim) codes -> (N, 3, 64, 64) in [-1, 1], as BigGenerator.forward."""
        if self.latent_codes:
            c = np.concatenate([np.eye(len(e) + 1)[np.searchsorted(e, z[:, j], side="left")]
                                for j, e in enumerate(self._edges)], 1)  # torch.bucketize's buckets
        zs = np.split(z, CHUNKS, 1)
        e = c @ self.text if self.text is not None else None
        h = (zs[0] @ self.fc + self.fc_b).reshape(len(z), -1, 4, 4).transpose(0, 2, 3, 1)
        for block, zc in zip(self.blocks, zs[1:]):
            h = block(h, zc if e is None else np.concatenate([e, zc], 1))
        h = np.maximum(h * self.out_norm[0] + self.out_norm[1], 0.0)
        return np.tanh(conv3x3(h, self.out, self.out_b)).transpose(0, 3, 1, 2)

    def rendered(self, seeds: list[int], tags: list[TagLine] | None = None, path: str = "<tags>",
                 truncation: float = 1.0) -> Rendered:
        """One image per seed (and per tag line when conditional), with its rounding margin."""
        c = None
        if self.conditional:
            for t in tags:
                self.codes.check(t, at(path, t.line))
            c = self.codes.onehots(tags)
        z = truncate(noise_rows(seeds, self.z_dim), truncation, len(self.latent_codes))
        parts = [render(self.forward(z[i:i + CHUNK_IMAGES], None if c is None else c[i:i + CHUNK_IMAGES]))
                 for i in range(0, len(z), CHUNK_IMAGES)]
        return Rendered.concat(parts)

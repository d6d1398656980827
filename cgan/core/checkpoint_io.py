"""Checkpoint files: plain tensors plus a JSON-able config, written atomically and loaded with
`weights_only=True`; the format and architecture are checked before anything is built."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import torch

# Defined beside the torch-free reader, which checks them too; the loaders here import them from this module.
from cgan.core.checkpoint_arrays import FORMAT_VERSION, no_checkpoint, sampling_state  # noqa: F401
from cgan.core.errors import CganError
from cgan.core.files import atomic_write


def save_checkpoint(obj: dict, path: str | Path) -> None:
    buf = io.BytesIO()
    torch.save(obj, buf)
    data = buf.getvalue()
    atomic_write(path, lambda f: f.write(data))


def load_checkpoint(path: str | Path, arch: str | tuple[str, ...] | None) -> dict:
    """Load safely: code-carrying pickles are refused, and the format is checked before use."""
    path = Path(path)
    if not path.is_file():
        raise no_checkpoint(path)
    with open(path, "rb") as f:
        head = f.read(512)
    if not head.startswith(b"PK\x03\x04"):  # torch.save writes a zip archive
        kind = "an HTML page" if b"<html" in head.lower() or b"<!doctype" in head.lower() else "not a zip archive"
        raise CganError(f"{path}: not a readable checkpoint ({kind}; {len(head)}+ bytes)")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        lines = [ln.strip() for ln in str(e).splitlines() if "Unsupported" in ln or "WeightsUnpickler" in ln]
        raise CganError(f"{path}: refused to load: not a plain-tensor checkpoint "
                        f"({lines[0] if lines else type(e).__name__})") from None
    except Exception as e:  # zip errors, truncated files
        raise CganError(f"{path}: not a readable checkpoint ({type(e).__name__}: {e})") from None
    if not isinstance(obj, dict) or "format_version" not in obj or "config" not in obj:
        raise CganError(f"{path}: not a cgan checkpoint (no format_version/config)")
    if obj["format_version"] > FORMAT_VERSION:
        raise CganError(f"{path}: checkpoint format {obj['format_version']} is newer than this cgan "
                        f"understands ({FORMAT_VERSION}); upgrade cgan")
    found = obj["config"].get("arch")
    allowed = (arch,) if isinstance(arch, str) else arch
    if allowed is not None and found not in allowed:  # None: any architecture (copying, not building)
        raise CganError(f"{path}: architecture {found!r} is not {' or '.join(map(repr, allowed))}")
    return obj


def load_weights(module: torch.nn.Module, state: dict, path: str | Path,
                 dtype: torch.dtype = torch.float32) -> torch.nn.Module:
    """Load `state` (fp16 release files included) into `module` as `dtype`, returned in eval mode; weights
    of another shape than the config builds are a one-line error, not a traceback."""
    module = module.to(dtype)
    try:
        module.load_state_dict({k: (v.to(dtype) if v.is_floating_point() else v) for k, v in state.items()})
    except RuntimeError as e:
        msg = str(e).splitlines()[0]
        raise CganError(f"{path}: weights do not fit the architecture in its config ({msg})") from None
    return module.eval()

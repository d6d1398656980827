"""A checkpoint read without importing torch: its tensors as numpy arrays.

`torch.save` writes a zip archive: `<name>/data.pkl` (a pickle whose tensors point at storages by key)
and `<name>/data/<key>` (each storage's raw little-endian bytes). Reading that takes numpy and the
standard library, so a command that only draws images from a float64 generator starts without torch's
second of imports. The unpickler admits only what a plain-tensor checkpoint holds (the same set
`torch.load(weights_only=True)` admits for one); anything else is `Unreadable`, and the caller loads the
file with torch instead, which gives the checkpoint's proper error.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from cgan.core.errors import CganError

FORMAT_VERSION = 1  # the newest checkpoint format this cgan reads

_STORAGES = {"HalfStorage": np.float16, "FloatStorage": np.float32, "DoubleStorage": np.float64,
             "BFloat16Storage": "bfloat16", "LongStorage": np.int64, "IntStorage": np.int32,
             "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_}


class Unreadable(Exception):
    """The file is not a plain-tensor torch zip this reader understands."""


def sampling_state(obj: dict) -> dict:
    """The generator weights to sample with: the EMA when the run kept one."""
    return obj.get("G_ema") or obj["G"]


class _StorageType:
    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype


def _rebuild_tensor(storage: np.ndarray, offset: int, size: tuple, stride: tuple, *_: Any) -> np.ndarray:
    if not size:
        return storage[offset:offset + 1].reshape(()).copy()
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=tuple(size),
                                           strides=tuple(s * storage.itemsize for s in stride), writeable=False)
    return np.array(view)  # an owned, contiguous copy: the storage may back several tensors


def _rebuild_parameter(data: np.ndarray, *_: Any) -> np.ndarray:
    return data


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, archive: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(io.BytesIO(data))
        self.archive, self.prefix, self.storages = archive, prefix, {}

    def find_class(self, module: str, name: str) -> Any:
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in _STORAGES:
            return _StorageType(_STORAGES[name])
        raise Unreadable(f"{module}.{name} in the pickle")

    def persistent_load(self, pid: Any) -> np.ndarray:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], _StorageType)):
            raise Unreadable(f"a storage reference {pid!r:.60}")
        kind, key = pid[1].dtype, str(pid[2])
        if key not in self.storages:
            raw = self.archive.read(f"{self.prefix}data/{key}")
            if kind == "bfloat16":  # numpy has no bfloat16: its bits are a float32's upper half
                arr = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
            else:
                arr = np.frombuffer(raw, np.dtype(kind).newbyteorder("<"))
            self.storages[key] = arr
        return self.storages[key]


def read_checkpoint_arrays(path: str | Path) -> Any:
    """The object `torch.load(path, weights_only=True)` returns, tensors as numpy arrays (float16,
    float32 and float64 kept; bfloat16 as float32). Raises Unreadable for anything else."""
    try:
        with zipfile.ZipFile(path) as archive:
            pkl = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
            if len(pkl) != 1:
                raise Unreadable("no single <name>/data.pkl")
            prefix = pkl[0][:-len("data.pkl")]
            if f"{prefix}byteorder" in archive.namelist() and archive.read(f"{prefix}byteorder") != b"little":
                raise Unreadable("a big-endian archive")
            return _Unpickler(archive.read(pkl[0]), archive, prefix).load()
    except Unreadable:
        raise
    except Exception as e:  # zip and pickle errors, a missing storage: torch.load will name the fault
        raise Unreadable(f"{type(e).__name__}: {e}") from None


def no_checkpoint(path: str | Path) -> CganError:
    """The error for a checkpoint path that is not a file; a run folder is pointed to its checkpoint."""
    path = Path(path)
    if (path / "checkpoint.pt").is_file():
        return CganError(f"{path}: a run folder, not a checkpoint; its checkpoint is {path / 'checkpoint.pt'}")
    return CganError(f"{path}: " + ("a folder, not a checkpoint" if path.is_dir() else "no such checkpoint"))

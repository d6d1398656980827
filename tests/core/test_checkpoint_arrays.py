"""Reading a checkpoint without torch: the same object torch.load gives, tensors as arrays; anything
else refused, for torch to load (and name the fault)."""

from __future__ import annotations

import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

from cgan.core.checkpoint_arrays import Unreadable, read_checkpoint_arrays
from cgan.core.checkpoint_io import save_checkpoint

from conftest import write


def _same(a, t) -> None:
    if isinstance(t, torch.Tensor):
        want = t.float().numpy() if t.dtype == torch.bfloat16 else t.numpy()
        assert isinstance(a, np.ndarray) and a.dtype == want.dtype and a.shape == want.shape
        np.testing.assert_array_equal(a, want)
    elif isinstance(t, dict):
        assert type(a) is type(t) and list(a) == list(t)
        for k in t:
            _same(a[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(a) is type(t) and len(a) == len(t)
        for x, y in zip(a, t):
            _same(x, y)
    else:
        assert a == t and type(a) is type(t)


def test_every_dtype_a_checkpoint_holds_reads_as_torch_load_gives_it(tmp_path):
    g = torch.Generator().manual_seed(0)
    big = torch.randn(6, 4, generator=g)
    obj = {"format_version": 1, "config": {"arch": "x", "pairs": [["a", "b"]], "lr": 2e-4, "none": None, "t": (1, 2)},
           "G": OrderedDict([("w16", big.half()), ("w32", big), ("w64", big.double()), ("bf", big.bfloat16()),
                             ("step", torch.tensor(7)), ("idx", torch.arange(5)), ("mask", big > 0),
                             ("byte", torch.arange(4, dtype=torch.uint8)), ("empty", torch.zeros(0, 3))]),
           "views": [big[1:3], big.t(), big[:, 2]]}  # offsets and strides into one shared storage
    save_checkpoint(obj, tmp_path / "c.pt")
    _same(read_checkpoint_arrays(tmp_path / "c.pt"), torch.load(tmp_path / "c.pt", weights_only=True))


class Payload:
    def __reduce__(self):
        return (print, ("code ran",))


def test_code_carrying_pickles_and_non_checkpoints_are_refused(tmp_path, capsys):
    with zipfile.ZipFile(tmp_path / "evil.pt", "w") as z:
        z.writestr("evil/data.pkl", pickle.dumps({"x": Payload()}))
    with pytest.raises(Unreadable, match="builtins.print"):
        read_checkpoint_arrays(tmp_path / "evil.pt")
    assert "code ran" not in capsys.readouterr().out
    for name, data in [("page.pt", b"<html>not found</html>"), ("cut.pt", b"PK\x03\x04" + b"\0" * 40)]:
        with pytest.raises(Unreadable):
            read_checkpoint_arrays(write(tmp_path / name, data))
    with pytest.raises(Unreadable):
        read_checkpoint_arrays(tmp_path / "missing.pt")

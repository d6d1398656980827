from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import torch

from cgan.data.synth_faces import synth_dataset

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def shared(*parts: str) -> Path:
    """A path under ../shared/data, or a visible skip when a fresh clone does not have it."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"real course data not present at {p} (only on the project's machines)")
    return p


def pytest_configure(config) -> None:
    """Session fixtures and subprocesses too never touch the user's ~/.cache/cgan: a cache of the run's own."""
    os.environ["CGAN_CACHE"] = config._cgan_cache = tempfile.mkdtemp(prefix="cgan-test-cache-")


def pytest_unconfigure(config) -> None:
    shutil.rmtree(getattr(config, "_cgan_cache", ""), ignore_errors=True)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Tests never read or fill the user's ~/.cache/cgan."""
    monkeypatch.setenv("CGAN_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def _threads():
    torch.set_num_threads(2)
    yield


@pytest.fixture(scope="session")
def synth_extra(tmp_path_factory) -> Path:
    return synth_dataset(tmp_path_factory.mktemp("synth_extra"), 256, "extra", seed=1)


@pytest.fixture(scope="session")
def synth_faces(tmp_path_factory) -> Path:
    return synth_dataset(tmp_path_factory.mktemp("synth_faces"), 128, "faces", seed=2)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


@pytest.fixture(scope="session")
def synth_classifier(tmp_path_factory) -> Path:
    """A reference classifier trained on procedural faces (~40 s), shared by the eval and grading tests."""
    from cgan.data.tagged import load_tagged_folder
    from cgan.evaluation.tagnet_training import ClassifierOptions, train_classifier

    d = synth_dataset(tmp_path_factory.mktemp("synth_clf"), 1600, "extra", seed=5)
    out = tmp_path_factory.mktemp("tagnet") / "tagnet.pt"
    torch.set_num_threads(2)
    train_classifier(load_tagged_folder(d, log=lambda m: None), out, ClassifierOptions(epochs=16, lr=4e-3),
                     log=lambda m: None)
    return out

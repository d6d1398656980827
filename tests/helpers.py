"""Small builders shared by the tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from cgan.data.tagged import TaggedImages, load_tagged_folder
from cgan.gan.loop import train
from cgan.gan.options import TrainOptions

# Blue and green are both hair and eye colours here: a colour reader must tell which noun each one goes with.
READER_PAIRS = [(h, e) for h in ("blonde", "blue", "green", "pink") for e in ("blue", "green", "red", "purple")]


def quick_options(out: Path, **kw) -> TrainOptions:
    base = dict(out=str(out), base_channels=8, batch_size=16, epochs=1, progress=False, seed=0)
    base.update(kw)
    return TrainOptions(**base)


def load(d: Path) -> TaggedImages:
    return load_tagged_folder(d, log=lambda m: None)


def quick_train(data: TaggedImages, out: Path, **kw) -> Path:
    return train(data, quick_options(out, **kw), log=lambda m: None)


def tracked_copy(dst: Path) -> Path:
    """The repository's tracked files (as in the working tree) copied to `dst`: a fresh clone, quickly."""
    root = Path(__file__).resolve().parent.parent
    files = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        src = root / name
        if src.is_file():
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / name)
    return dst

"""The data a GAN run trains on: tagged folders as one set, or captioned images with their sentence
vectors (captions made from the tags when the folders are tagged)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from cgan.core.errors import CganError
from cgan.data.captioned import CaptionedImages, has_captions, load_captioned_folder
from cgan.data.tagged import TaggedImages, combine, load_tagged_folder
from cgan.text.embeddings import embed_captions
from cgan.text.minilm import load_encoder
from cgan.text.tag_captions import captioned_from_tags


def load_training_data(data_dirs: str | Path | tuple, cond: str, cache: bool | str = True,
                       log: Callable[[str], None] = print) -> TaggedImages | CaptionedImages:
    """Tagged images for tag conditioning (or none), several folders as one set; captioned images,
    embedded, for sentences (one folder)."""
    dirs = [Path(d) for d in ((data_dirs,) if isinstance(data_dirs, (str, Path)) else data_dirs)]
    if cond == "sentence":
        if all(not has_captions(d) and (d / "tags.csv").is_file() for d in dirs):
            # Tagged folders (the anime faces): sentences made from the tags, many phrasings per pair.
            data = captioned_from_tags(combine([load_tagged_folder(d, cache=cache, log=log) for d in dirs]))
            log(f"captions {data.summary['captions']}")
            log("note: a GAN conditioned on pooled sentence vectors mixes up which colour is the hair's and which "
                "the eyes' (docs/sentences.md); `cgan train-reader` on a --cond multi model reads them")
        elif len(dirs) == 1:
            data = load_captioned_folder(dirs[0], log=log)
        else:
            raise CganError(f"--cond sentence reads one captioned folder, or tagged folders (--data given {len(dirs)} times)")
        return embed_captions(data, load_encoder(), cache=cache, log=log)
    return combine([load_tagged_folder(d, cache=cache, require_tags=cond != "none", log=log) for d in dirs])

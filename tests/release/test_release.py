from __future__ import annotations

import hashlib

import pytest

from cgan.core.errors import CganError
from cgan.release import manifest as release
from cgan.release.manifest import fetch, load_manifest, resolve_checkpoint

from conftest import shared


def test_manifest_entries_are_complete():
    entries = load_manifest()
    assert "lbpcascade_animeface" in entries
    for name, e in entries.items():
        assert len(e["sha256"]) == 64, name
        assert e.get("bundled") or e.get("url"), name


def test_bundled_checkpoints_match_their_hashes():
    for name, e in load_manifest().items():
        if e.get("bundled"):
            p = release.ROOT / e["bundled"]
            assert p.is_file(), f"{name}: bundled file {p} missing"
            assert hashlib.sha256(p.read_bytes()).hexdigest() == e["sha256"], name
            assert p.stat().st_size < 10 * 2**20, name


def test_fetch_prefers_cache_then_downloads(tmp_path, monkeypatch):
    monkeypatch.setenv("CGAN_CACHE", str(tmp_path / "cache"))
    src = tmp_path / "w.pt"
    src.write_bytes(b"weights")
    sha = hashlib.sha256(b"weights").hexdigest()
    manifest = {"m": {"sha256": sha, "url": str(src), "filename": "m.pt"}}
    p = fetch("m", manifest=manifest)
    assert p.read_bytes() == b"weights" and str(p).startswith(str(tmp_path / "cache"))
    src.unlink()  # the cached copy is enough now
    assert fetch("m", manifest=manifest) == p
    p.write_bytes(b"corrupted")  # a damaged cache entry is thrown away, not used
    with pytest.raises(CganError, match="no such file"):
        fetch("m", manifest=manifest)
    assert not p.exists()


def test_unknown_name_and_paths():
    with pytest.raises(CganError, match="unknown release name 'nope'"):
        resolve_checkpoint("nope")
    assert str(resolve_checkpoint("runs/x/checkpoint.pt")) == "runs/x/checkpoint.pt"


def test_a_folder_named_like_a_release_is_not_a_checkpoint(tmp_path, monkeypatch):
    monkeypatch.chdir(release.ROOT)  # holds the cgan/ package folder
    assert resolve_checkpoint("cgan") == release.ROOT / "release" / "cgan.pt"


def test_cascade_fetch_from_shared_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("CGAN_CACHE", str(tmp_path / "cache"))
    src = shared("lbpcascade_animeface", "lbpcascade_animeface.xml")
    p = fetch("lbpcascade_animeface", url=str(src))
    assert p.read_bytes() == src.read_bytes()


def test_register_writes_a_verifiable_entry(tmp_path, monkeypatch):
    monkeypatch.setattr(release, "ROOT", tmp_path)
    f = tmp_path / "release" / "m.pt"
    f.parent.mkdir()
    f.write_bytes(b"abc")
    manifest = tmp_path / "release" / "manifest.json"
    e = release.register("m", f, {"metrics": {"faces": 25}}, manifest=manifest)
    assert e["bundled"] == "release/m.pt" and e["size"] == 3 and e["sha256"] == hashlib.sha256(b"abc").hexdigest()
    entries = load_manifest(manifest)
    assert entries["m"]["metrics"] == {"faces": 25}
    assert fetch("m", manifest=entries) == f

"""`cgan export` and `cgan download`: release files and the manifest."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cgan.cli.common import log
from cgan.core.download import DownloadError, sha256_file
from cgan.core.errors import CganError
from cgan.core.files import check_output
from cgan.release.export import export_generator, manifest_info
from cgan.release.manifest import fetch, load_manifest, register


@click.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("dst", type=click.Path(path_type=Path))
@click.option("--fp16/--fp32", default=True, show_default=True, help="Store the weights as float16 (half the size).")
@click.option("--keep-d", is_flag=True, help="Also keep the discriminator (half the G's size again for the "
              "BigGAN-style family), so that "
              "`cgan train --init-from` trains on with it instead of a fresh one.")
@click.option("--name", default=None, help="Also add/replace this entry in release/manifest.json (sha256, size, config).")
@click.option("--url", default=None, help="With --name: where the file will be hosted for `cgan download`.")
def export(src: Path, dst: Path, fp16: bool, keep_d: bool, name: str | None, url: str | None) -> None:
    """Write a release checkpoint: the generator (the EMA weights when kept), with --keep-d the discriminator too.
    Also for transfer runs.

    \b
    Examples:
      cgan export runs/ac32/checkpoint.pt release/cgan.pt
      cgan export runs/ac32/checkpoint.pt release/cgan.pt --name cgan
      cgan export runs/big32/checkpoint.pt release/cgan.pt --keep-d --name cgan
    """
    check_output(dst, (".pt", ".pth"), "a checkpoint")
    out = export_generator(src, dst, fp16=fp16, keep_d=keep_d)
    log(f"wrote {dst}: {dst.stat().st_size} bytes, sha256 {sha256_file(dst)}")
    if name:
        register(name, dst, manifest_info(out, url))
        log(f"release/manifest.json: entry {name!r} updated")


@click.command()
@click.argument("name", required=False)
@click.option("--url", default=None, help="Fetch from this URL or local file instead of the manifest's URL.")
@click.option("--list", "list_", is_flag=True, help="List the release models and assets in the manifest.")
def download(name: str | None, url: str | None, list_: bool) -> None:
    """Fetch a release checkpoint or asset into the cache ($CGAN_CACHE, default ~/.cache/cgan), sha256-checked.

    Prints the path of the verified file. Bundled files are used as they are.

    \b
    Examples:
      cgan download --list
      cgan download cgan
      cgan download lbpcascade_animeface --url ../shared/data/lbpcascade_animeface/lbpcascade_animeface.xml
    """
    entries = load_manifest()
    if list_ or name is None:
        for key, e in sorted(entries.items()):
            where = "bundled" if e.get("bundled") else (e.get("url") or "-")
            click.echo(f"{key:24s} {e.get('kind', 'model'):9s} {e['sha256'][:12]}  {where}")
        return
    try:
        path = fetch(name, url=url, manifest=entries, log=log, progress=sys.stderr.isatty())
    except DownloadError as e:
        raise CganError(f"{e}; or give a copy you have: cgan download {name} --url FILE") from None
    click.echo(path)


COMMANDS = [export, download]

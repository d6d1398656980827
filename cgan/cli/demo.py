"""`cgan demo`: a local web page over a model (Gradio; pip install -r requirements-demo.txt)."""

from __future__ import annotations

import importlib.util
import socket

import click

from cgan.cli.common import log
from cgan.core.errors import CganError
from cgan.release.manifest import load_manifest, resolve_checkpoint


@click.command()
@click.option("--ckpt", default="cgan", show_default=True, help="Generator: checkpoint file or release name.")
@click.option("--transfer", default="transfer", show_default=True,
              help="Colour-transfer model for the transfer tab (file or release name; 'none' to leave it out).")
@click.option("--text-model", default="auto", show_default=True,
              help="Sentence model for the prompt tab (file or release name; auto: the release 'sentence' when the "
                   "manifest has one; 'none' to leave it out).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on (0.0.0.0: the whole network).")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True,
              help="Port to serve on.")
def demo(ckpt: str, transfer: str, text_model: str, host: str, port: int) -> None:
    """Serve a page with hair and eye pickers, seeds, transitions, prompts and colour transfer.

    Everything runs here, offline; the downloaded PNG equals what `cgan generate` writes.

    \b
    Examples:
      cgan demo                                  (the release cgan, on http://127.0.0.1:7860)
      cgan demo --ckpt runs/flowers/checkpoint.pt --transfer none
    """
    if importlib.util.find_spec("gradio") is None:
        raise CganError("the demo needs Gradio: pip install -r requirements-demo.txt")
    _check_address(host, port)
    from cgan.demo import app, pages  # optional dependency (Gradio), and slow to import

    if text_model == "auto":
        text_model = "sentence" if "sentence" in load_manifest() else "none"
    models = pages.Models(resolve_checkpoint(ckpt, log=log),
                          None if transfer == "none" else resolve_checkpoint(transfer, log=log), ckpt,
                          None if text_model == "none" else resolve_checkpoint(text_model, log=log), text_model)
    log(f"cgan demo: {models.name} ({models.kind}) on http://{host}:{port}  (Ctrl-C stops it)")
    app.serve(models, host, port)


def _check_address(host: str, port: int) -> None:
    """Refuse an address the page could not be served on (taken, or not this machine's) before the
    models load, in one line rather than the web server's traceback."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is fine
            s.bind((host, port))
    except OSError as e:
        raise CganError(f"{host}:{port}: cannot serve the page there ({e.strerror or e}); "
                        "choose another --port or --host") from None


COMMANDS = [demo]

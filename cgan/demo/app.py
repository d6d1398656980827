"""The demo's web page (Gradio): tags, transition, prompt and transfer tabs over `cgan.demo.pages`.

Offline by construction: analytics off, no share link, no server-side rendering, Gradio's bundled
(local) fonts; one request at a time (a queue), since every image is computed on the CPU in float64.
A bad input shows its message on the page (gr.Error) and in the log; the server keeps serving.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Callable

import gradio as gr

from cgan.core.errors import CganError
from cgan.course.colors import EYE_COLORS, HAIR_COLORS
from cgan.demo import pages
from cgan.transfer.apply import DEFAULT_HAIR

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
log = logging.getLogger("cgan.demo")


def _guard(fn: Callable) -> Callable:
    """Every handler: a CganError (or anything unexpected) becomes a message on the page and a log line."""
    def run(*args):
        try:
            return fn(*args)
        except CganError as e:
            log.warning("demo: %s", e)
            raise gr.Error(str(e), print_exception=False) from None
        except Exception as e:  # noqa: BLE001 - the page must show a message, never a stack trace
            log.exception("demo: unexpected error")
            raise gr.Error(f"unexpected error ({type(e).__name__}); the server log has the details",
                           print_exception=False) from None
    return run


def _file(result: pages.Result, name: str, folder: Path) -> str:
    path = folder / name
    path.write_bytes(result.png)
    return str(path)


def build(models: pages.Models) -> gr.Blocks:
    folder = Path(tempfile.mkdtemp(prefix="cgan-demo-"))
    hairs, eyes = models.colours()
    with gr.Blocks(title="cgan demo", analytics_enabled=False) as demo:
        gr.Markdown(f"## cgan: {models.name}  \n{models.kind} model; every image is computed in float64 on the CPU, "
                    "so the PNG you download is the one `cgan generate` writes.")
        if models.kind != "sentence":
            with gr.Tab("Tags"):
                with gr.Row():
                    hair = gr.Dropdown([pages.RANDOM, *hairs], value=pages.RANDOM, label="hair", elem_id="hair")
                    eye = gr.Dropdown([pages.RANDOM, *eyes], value=pages.RANDOM, label="eyes", elem_id="eyes")
                    seed = gr.Number(0, precision=0, label="seed", elem_id="seed")
                    lock = gr.Checkbox(True, label="lock seed (off: a new seed each time)", elem_id="lock")
                    n = gr.Slider(1, pages.MAX_IMAGES, value=25, step=1, label="images", elem_id="n")
                    psi = gr.Slider(0.0, 1.0, value=1.0, step=0.05, elem_id="truncation",
                                    label="truncation (1: none; lower: more typical, less varied)")
                go = gr.Button("Generate", variant="primary", elem_id="generate")
                grid = gr.Image(label="grid", type="numpy", interactive=False, elem_id="grid")
                note = gr.Markdown(elem_id="note")
                tags_text = gr.Code(label="tags.txt", elem_id="tags_text")
                download = gr.DownloadButton("Download PNG", elem_id="download")

                def tags_tab(h, e, s, locked, k, t):
                    s = int(s) if locked else int.from_bytes(os.urandom(3), "little")
                    r, text = pages.tag_grid(models, h, e, int(k), s, float(t))
                    return r.image, f"`{r.note}`", text, _file(r, f"cgan-seed{s}.png", folder), s

                go.click(_guard(tags_tab), [hair, eye, seed, lock, n, psi], [grid, note, tags_text, download, seed])
            with gr.Tab("Transition"):
                with gr.Row():
                    mode = gr.Radio(["seeds", "tags"], value="seeds", label="walk between", elem_id="mode")
                    seed_a = gr.Number(0, precision=0, label="seed A")
                    seed_b = gr.Number(1, precision=0, label="seed B (seeds)")
                    frames = gr.Slider(2, 32, value=8, step=1, label="frames")
                with gr.Row():
                    hair_a = gr.Dropdown(hairs, value=hairs[0], label="hair A")
                    eyes_a = gr.Dropdown(eyes, value=eyes[0], label="eyes A")
                    hair_b = gr.Dropdown(hairs, value=hairs[-1], label="hair B (tags)")
                    eyes_b = gr.Dropdown(eyes, value=eyes[-1], label="eyes B (tags)")
                go_t = gr.Button("Make the strip", variant="primary")
                strip = gr.Image(label="strip", type="numpy", interactive=False)
                note_t = gr.Markdown()

                def transition_tab(m, a, b, k, ha, ea, hb, eb):
                    r = pages.transition(models, m, int(a), int(b), ha, ea, hb, eb, int(k))
                    return r.image, f"`{r.note}`"

                go_t.click(_guard(transition_tab), [mode, seed_a, seed_b, frames, hair_a, eyes_a, hair_b, eyes_b],
                           [strip, note_t])
        if models.text_G is not None:
            with gr.Tab("Prompts"):
                text = gr.Textbox(lines=4, label="one description per line", elem_id="prompt")
                with gr.Row():
                    seed_p = gr.Number(0, precision=0, label="seed")
                    n_p = gr.Slider(1, 20, value=5, step=1, label="images per prompt")
                go_p = gr.Button("Generate", variant="primary", elem_id="go_prompt")
                out_p = gr.Image(label="rows", type="numpy", interactive=False, elem_id="prompt_grid")
                note_p = gr.Markdown(elem_id="prompt_note")

                def prompt_tab(t, s, k):
                    r = pages.prompts(models, t, int(k), int(s))
                    notes = "".join(f"\n- {m}" for m in r.notes)
                    return r.image, f"`{r.note}`" + (f"\n\nread as {r.read}" if r.read else "") + \
                        (f"\n\nnotes:\n{notes}" if notes else "")

                go_p.click(_guard(prompt_tab), [text, seed_p, n_p], [out_p, note_p])
        with gr.Tab("Transfer"):
            upload = gr.File(label="a face (PNG or JPEG)", type="filepath", elem_id="upload")
            with gr.Row():
                targets = gr.CheckboxGroup(list(HAIR_COLORS), value=DEFAULT_HAIR.split(","), label="hair colours")
                eyes_t = gr.Dropdown(list(EYE_COLORS), value="blue", label="eyes")
            go_x = gr.Button("Transfer", variant="primary", elem_id="transfer")
            out_x = gr.Image(label="the face, then each hair colour", type="numpy", interactive=False, elem_id="row")
            note_x = gr.Markdown()

            def transfer_tab(f, hs, e):
                r = pages.transfer(models, f, list(hs or []), e)
                return r.image, f"`{r.note}`"

            go_x.click(_guard(transfer_tab), [upload, targets, eyes_t], [out_x, note_x])
    return demo.queue(default_concurrency_limit=1)


def serve(models: pages.Models, host: str = "127.0.0.1", port: int = 7860, block: bool = True):
    """Start the page; with block=False return (the Blocks, its local URL) for tests."""
    demo = build(models)
    _, url, _ = demo.launch(server_name=host, server_port=port, share=False, ssr_mode=False, quiet=True,
                            prevent_thread_lock=not block, max_file_size="20mb", footer_links=[],
                            allowed_paths=[tempfile.gettempdir()])
    return demo, url

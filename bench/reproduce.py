"""Does the handout grid come out the same on another machine? The portability table and the margins.

    python bench/reproduce.py                       # every ISA setting x mkldnn x threads, the three outputs
    python bench/reproduce.py --train-ckpt runs/x/checkpoint.pt   # also fp32 (training) vs fp16 (exported) weights

Part 1 runs `cgan generate` / `cgan transfer` (run_cgan.sh, run_gan.sh, extra_run.sh) in one process
per ATEN_CPU_CAPABILITY / ONEDNN_MAX_CPU_ISA setting this CPU supports, with mkldnn on and off and 1
and 2 threads, and per OpenBLAS kernel family / OpenBLAS thread count / numpy SIMD setting for the
numpy pass the scripts draw with, and compares each PNG with the committed `samples/*_original.png`.
Part 2 says why it holds: the largest pre-rounding difference between those settings in float64 and in
float32 (torch) and in the numpy pass's float64, against each output's rounding margin (the smallest
distance of any value to a .5 boundary). A case that
cannot run here (no GPU, no training checkpoint) prints why instead of a figure.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import click
import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cgan.core.checkpoint_io import load_weights, sampling_state  # noqa: E402
from cgan.core.pixels import PORTABLE_MARGIN, levels, rounding_margin  # noqa: E402
from cgan.course.tags import read_testing_tags  # noqa: E402
from cgan.evaluation.reproducibility import (  # noqa: E402
    NUMPY_VARIABLES,
    isa_environment,
    isa_settings,
    matrix,
    original_shas,
    setting_label,
)
from cgan.gan.build import (  # noqa: E402
    build_generator,
    load_generator,
    load_run,  # noqa: E402
)
from cgan.gan.conditioning import Conditioning  # noqa: E402
from cgan.gan.samplers import numpy_generator  # noqa: E402
from cgan.gan.sampling import generate, noise  # noqa: E402
from cgan.gan.seeds import noise_rows, tag_seeds  # noqa: E402
from cgan.release.export import export_generator  # noqa: E402
from cgan.release.manifest import resolve_checkpoint  # noqa: E402

_LEVELS_SCRIPT = """
import sys, json, numpy as np, torch
sys.path.insert(0, {root!r})
torch.backends.mkldnn.enabled = {mkldnn}
torch.set_num_threads({threads})
from bench.reproduce import raw_levels
for dtype in (torch.float64, torch.float32):
    np.save({out!r} + f"-{{str(dtype)[6:]}}.npy", raw_levels({ckpt!r}, {tags!r}, dtype))
"""


def raw_levels(ckpt: str, tags_file: str, dtype: torch.dtype) -> np.ndarray:
    """The handout grid's values before rounding (0..255 levels), generate's path in `dtype`."""
    path = resolve_checkpoint(ckpt)
    obj = load_run(path)
    G = load_weights(build_generator(obj["config"]), sampling_state(obj), path, dtype)
    cond = Conditioning.from_config(obj["config"]["cond"])
    tags = read_testing_tags(tags_file)
    c = cond.encode_tags(tags).to(dtype)
    with torch.no_grad():
        return np.concatenate([levels(G(noise(s, G.z_dim, dtype)[None], c[i:i + 1])).astype(np.float64)
                               for i, s in enumerate(tag_seeds(tags, 0, tags_file))])


_NUMPY_LEVELS_SCRIPT = """
import sys, numpy as np
sys.path.insert(0, {root!r})
from bench.reproduce import numpy_levels
np.save({out!r}, numpy_levels({ckpt!r}, {tags!r}))
"""


def numpy_levels(ckpt: str, tags_file: str) -> np.ndarray:
    """The handout grid's values before rounding as the numpy forward pass (the scripts') computes them."""
    gen = numpy_generator(resolve_checkpoint(ckpt))
    tags = read_testing_tags(tags_file)
    return levels(gen.forward(noise_rows(tag_seeds(tags, 0, tags_file), gen.z_dim), gen.codes.onehots(tags)))


def spread(ckpt: str, tags_file: str) -> None:
    runs: dict[str, dict[str, np.ndarray]] = {}
    numpy_runs: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k, env in enumerate(e for e in isa_settings() if not e or not set(e) <= set(NUMPY_VARIABLES)):
            for mkldnn, threads in ((True, 1), (False, 2)):
                out = f"{tmp}/{k}-{int(mkldnn)}"
                code = _LEVELS_SCRIPT.format(root=str(ROOT), mkldnn=mkldnn, threads=threads, out=out, ckpt=ckpt, tags=tags_file)
                subprocess.run([sys.executable, "-c", code], env=isa_environment(env), check=True, capture_output=True)
                label = (" ".join(f"{a}={b}" for a, b in env.items()) or "native") + f", mkldnn {'on' if mkldnn else 'off'}"
                runs[label] = {d: np.load(f"{out}-{d}.npy") for d in ("float64", "float32")}
        for k, env in enumerate(e for e in isa_settings() if not e or set(e) <= set(NUMPY_VARIABLES)):
            out = f"{tmp}/numpy-{k}.npy"
            code = _NUMPY_LEVELS_SCRIPT.format(root=str(ROOT), out=out, ckpt=ckpt, tags=tags_file)
            subprocess.run([sys.executable, "-c", code], env=isa_environment(env), check=True, capture_output=True)
            numpy_runs[setting_label(env)] = np.load(out)
    for d in ("float64", "float32"):
        stack = np.stack([r[d] for r in runs.values()])
        grids = {np.round(s).clip(0, 255).astype(np.uint8).tobytes() for s in stack}
        margin = float(rounding_margin(stack[0]).min())
        print(f"  {d}: {len(runs)} settings give {len(grids)} distinct grid(s); largest pre-rounding difference "
              f"{np.abs(stack - stack[0]).max():.2e} levels; margin {margin:.2e} levels")
    stack = np.stack(list(numpy_runs.values()))
    grids = {np.round(s).clip(0, 255).astype(np.uint8).tobytes() for s in stack}
    print(f"  numpy float64 (the scripts' pass): {len(numpy_runs)} settings give {len(grids)} distinct grid(s); largest "
          f"difference from torch's float64 {np.abs(stack - runs[next(iter(runs))]['float64']).max():.2e} levels; "
          f"margin {float(rounding_margin(stack[0]).min()):.2e} levels")


@click.command()
@click.option("--ckpt", default="cgan", show_default=True, help="Release name or checkpoint file (part 2).")
@click.option("--tags", "tags_file", default=str(ROOT / "hw3" / "testing_tags.txt"), show_default=True,
              help="Tags file (one image per line).")
@click.option("--train-ckpt", default=None, help="A training checkpoint (fp32): compared with its fp16 export.")
def main(ckpt: str, tags_file: str, train_ckpt: str | None) -> None:
    print(f"torch {torch.__version__}, native CPU capability {torch.backends.cpu.get_cpu_capability()}")
    print("1. the three outputs against samples/*_original.png (one process per ISA setting):")
    want = original_shas()
    rows, skipped = matrix()
    for env, variant, shas in rows:
        same = " ".join(f"{n} {'identical' if s == want[n] else 'DIFFERENT'}" for n, s in shas.items())
        print(f"  {env:32s} {variant:22s} {same}")
    for env, why in skipped:
        print(f"  {env:32s} not run: {why}")
    numpy_only = sum(bool(e) and set(e) <= set(NUMPY_VARIABLES) for e in isa_settings())
    print(f"2. why ({ckpt}, handout grid, {len(isa_settings()) - numpy_only} ISA settings x mkldnn on/off; the numpy "
          f"pass natively and in its {numpy_only} settings):")
    spread(ckpt, tags_file)
    print(f"  warning threshold: {PORTABLE_MARGIN:g} levels")
    if torch.cuda.is_available():
        ref = raw_levels(ckpt, tags_file, torch.float64)
        G, cond, _ = load_generator(resolve_checkpoint(ckpt))
        G = G.cuda()
        tags = read_testing_tags(tags_file)
        c = cond.encode_tags(tags).cuda().double()
        with torch.no_grad():
            gpu = np.concatenate([levels(G(noise(s, G.z_dim, torch.float64)[None].cuda(), c[i:i + 1]))
                                  for i, s in enumerate(tag_seeds(tags, 0, tags_file))])
        print(f"  CUDA float64 ({torch.cuda.get_device_name(0)}) vs CPU: largest difference {np.abs(gpu - ref).max():.2e} "
              f"levels; same grid: {np.array_equal(np.round(gpu), np.round(ref))}")
    else:
        print("  CUDA float64 vs CPU: not measured (no CUDA device here)")
    if train_ckpt:
        tags = read_testing_tags(tags_file)
        seeds = tag_seeds(tags, 0, tags_file)
        with tempfile.TemporaryDirectory() as tmp:
            out = {}
            for fp16 in (False, True):
                export_generator(train_ckpt, Path(tmp) / f"g{int(fp16)}.pt", fp16=fp16)
                G2, cond2, _ = load_generator(Path(tmp) / f"g{int(fp16)}.pt")
                out[fp16] = generate(G2, cond2, seeds, tags)
        d = np.abs(out[False].astype(np.int16) - out[True].astype(np.int16))
        print(f"3. fp32 vs fp16 stored weights: max {int(d.max())} levels on {100 * (d > 0).mean():.2f}% of values "
              "(commit the original made from the file you ship)")


if __name__ == "__main__":
    main()

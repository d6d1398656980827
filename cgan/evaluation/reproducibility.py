"""Do the committed originals come out again on this machine, under every kernel choice its CPU allows?

A TA's machine differs from the one that made `samples/*_original.png` in what matters here: which
instruction set ATen and oneDNN pick, whether oneDNN is used at all, and the thread count; for the
numpy forward pass that draws the scripts' grids (gan/numpy_generator.py), which kernels OpenBLAS and
numpy pick and OpenBLAS's thread count. One machine can play all of them: ATEN_CPU_CAPABILITY,
ONEDNN_MAX_CPU_ISA, OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS and NPY_DISABLE_CPU_FEATURES are read at
start-up (so each setting runs in its own process), torch.backends.mkldnn and torch's thread count are
switched inside it.

    python -m cgan.evaluation.reproducibility   # JSON: ATen's CPU capability; sha256 of each output per (mkldnn, threads)
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from cgan.core.images import make_grid, png_bytes
from cgan.course.colors import HAIR_COLORS
from cgan.gan.grids import generate_grid
from cgan.release.manifest import resolve_checkpoint
from cgan.transfer.apply import DEFAULT_HAIR, colour_list, load_transfer, transfer_job

try:  # numpy's record of the SIMD targets its loops dispatch to (numpy.core before numpy 2)
    from numpy._core._multiarray_umath import __cpu_dispatch__ as NUMPY_DISPATCH
except ImportError:
    from numpy.core._multiarray_umath import __cpu_dispatch__ as NUMPY_DISPATCH

ROOT = Path(__file__).resolve().parents[2]
ORIGINALS = {name: ROOT / "samples" / f"{name}_original.png" for name in ("cgan", "gan", "transfer")}
RUN_GAN_TRUNCATION = 0.6  # run_gan.sh's --truncation (tests/e2e/test_scripts.py reads the script for it)


NUMPY_OUTPUTS = ("cgan", "gan")  # the grids the scripts draw with numpy; the transfer grid is torch's alone


def outputs(engine: str = "auto", names: tuple[str, ...] = tuple(ORIGINALS)) -> dict[str, bytes]:
    """The PNG bytes run_cgan.sh, run_gan.sh and extra_run.sh write (those of `names`), made by the library
    calls behind `cgan generate` and `cgan transfer` with the release files; `engine` draws the first two
    ('auto', as the scripts: numpy; 'torch': the torch generator, which must give the same bytes)."""
    out = {}
    if "cgan" in names:
        cgan = generate_grid(resolve_checkpoint("cgan"), ROOT / "hw3" / "testing_tags.txt", seed=0, engine=engine)
        out["cgan"] = png_bytes(make_grid(cgan.rendered.images, cgan.cols))
    if "gan" in names:
        gan = generate_grid(resolve_checkpoint("gan"), seed=0, n=25, truncation=RUN_GAN_TRUNCATION, engine=engine)
        out["gan"] = png_bytes(make_grid(gan.rendered.images, gan.cols))
    if "transfer" in names:
        G, _ = load_transfer(resolve_checkpoint("transfer"))
        job = transfer_job(G, [], colour_list(DEFAULT_HAIR, HAIR_COLORS, "--hair"), "keep",
                           resolve_checkpoint("cgan"))
        out["transfer"] = png_bytes(make_grid(job.grid.images, job.cols))
    return out


VARIANTS = [(True, 1), (True, 2), (False, 1), (False, 2)]  # (torch.backends.mkldnn.enabled, threads)
NUMPY_ROW = "numpy engine"


def _shas(outs: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in outs.items()}


def probe(variants: list[tuple[bool, int]] = VARIANTS, numpy_only: bool = False) -> dict[str, dict[str, str]]:
    """In this process: the sha256 of each output as the scripts draw them (NUMPY_ROW; `numpy_only`: of
    the grids numpy draws alone), then for each (mkldnn, threads), drawn by torch."""
    result = {NUMPY_ROW: _shas(outputs(names=NUMPY_OUTPUTS if numpy_only else tuple(ORIGINALS)))}
    for mkldnn, threads in variants:
        torch.backends.mkldnn.enabled = mkldnn
        torch.set_num_threads(threads)
        result[f"mkldnn {'on' if mkldnn else 'off'}, {threads} thread{'s' if threads > 1 else ''}"] = _shas(outputs("torch"))
    torch.backends.mkldnn.enabled = True
    return result


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def numpy_settings() -> list[dict[str, str]]:
    """The numpy pass's settings: each OpenBLAS kernel family this CPU runs, OpenBLAS on one thread, and
    numpy's own loops at their baseline (every dispatched SIMD target off)."""
    flags = _cpu_flags()
    cores = ["Nehalem"] + ["Sandybridge"] * ("avx" in flags) + ["Haswell"] * ("avx2" in flags) \
        + ["SkylakeX"] * ("avx512f" in flags)
    return [*({"OPENBLAS_CORETYPE": c} for c in cores), {"OPENBLAS_NUM_THREADS": "1"},
            {"NPY_DISABLE_CPU_FEATURES": " ".join(NUMPY_DISPATCH)}]


def isa_settings() -> list[dict[str, str]]:
    """The environment settings this CPU can run: the native choice, then each lower ISA level of torch's
    kernels, then the numpy pass's (numpy_settings)."""
    flags = _cpu_flags()
    settings: list[dict[str, str]] = [{}, {"ATEN_CPU_CAPABILITY": "default"}, {"ONEDNN_MAX_CPU_ISA": "SSE41"}]
    if "avx2" in flags:
        settings += [{"ATEN_CPU_CAPABILITY": "avx2"}, {"ONEDNN_MAX_CPU_ISA": "AVX2"}]
    if "avx512f" in flags:
        settings += [{"ATEN_CPU_CAPABILITY": "avx512"}, {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE"}]
    return settings + numpy_settings()


NUMPY_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "NPY_DISABLE_CPU_FEATURES")
ISA_VARIABLES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", *NUMPY_VARIABLES)


def isa_environment(setting: dict[str, str]) -> dict[str, str]:
    """This process's environment with `setting` as the only ISA choice (none: the native one)."""
    return {**{k: v for k, v in os.environ.items() if k not in ISA_VARIABLES}, **setting}


def setting_label(setting: dict[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in setting.items()) or "native ISA"


def onednn_execs(stdout: str) -> int:
    """How many oneDNN primitives a process started with ONEDNN_VERBOSE=1 executed, from its stdout."""
    return sum(line.startswith("onednn_verbose,v1,primitive,exec") for line in stdout.splitlines())


def _probe_process(env: dict[str, str], variants: list[tuple[bool, int]], python: str, timeout: float,
                   numpy_only: bool = False) -> tuple[str, int, dict[str, dict[str, str]]]:
    """In a process started with `env`: ATen's CPU capability, the oneDNN primitives the outputs ran
    (ONEDNN_VERBOSE lines), and the probe's sha256 per variant."""
    run_env = {**isa_environment(env), "PYTHONPATH": str(ROOT), "ONEDNN_VERBOSE": "1"}
    r = subprocess.run([python, "-m", "cgan.evaluation.reproducibility", json.dumps(variants),
                        *(["--numpy-only"] if numpy_only else [])], env=run_env, cwd=ROOT,
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{env or 'native'}: probe failed:\n{r.stderr[-2000:]}")
    out = json.loads(r.stdout.splitlines()[-1])
    return out["capability"], onednn_execs(r.stdout), out["variants"]


def matrix(variants: list[tuple[bool, int]] = VARIANTS, python: str = sys.executable,
           timeout: float = 300) -> tuple[list[tuple[str, str, dict[str, str]]], list[tuple[str, str]]]:
    """(environment setting, in-process variant, sha256 per output) for every setting, one process each
    (a numpy setting's process only draws NUMPY_ROW, of the grids numpy draws: torch's kernels and the
    transfer grid do not read its variables), and (setting, why) for each one not run because it cannot
    change a byte: the ATen level the native process picks anyway, or a oneDNN ISA cap when the native
    process ran no oneDNN primitive (the float64 outputs never reach oneDNN; each probe counts what it
    ran, so a change that sends them there brings the caps back)."""
    rows, skipped = [], []
    native_capability, native_execs = "", 0
    for env in isa_settings():
        label = setting_label(env)
        if native_capability and env.get("ATEN_CPU_CAPABILITY", "").lower() == native_capability.lower():
            skipped.append((label, f"the native process runs ATen at {native_capability} already"))
            continue
        if "ONEDNN_MAX_CPU_ISA" in env and not native_execs:
            skipped.append((label, "the native process ran no oneDNN primitive"))
            continue
        numpy_only = bool(env) and set(env) <= set(NUMPY_VARIABLES)  # torch's kernels do not read these
        capability, execs, shas = _probe_process(env, [] if numpy_only else variants, python, timeout, numpy_only)
        if not env:
            native_capability, native_execs = capability, execs
        rows += [(label, variant, s) for variant, s in shas.items()]
    return rows, skipped


def original_shas() -> dict[str, str]:
    return {name: hashlib.sha256(p.read_bytes()).hexdigest() for name, p in ORIGINALS.items()}


if __name__ == "__main__":
    shas = probe([tuple(v) for v in json.loads(sys.argv[1])] if len(sys.argv) > 1 else VARIANTS,
                 numpy_only="--numpy-only" in sys.argv[2:])
    print(json.dumps({"capability": torch.backends.cpu.get_cpu_capability(), "variants": shas}))

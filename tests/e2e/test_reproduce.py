"""The committed originals come out again under every kernel choice this CPU allows (issue: pixel-exact
on every machine). Each ISA setting is read by torch at start-up, so each runs in its own process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cgan.evaluation.reproducibility import (
    NUMPY_OUTPUTS,
    NUMPY_VARIABLES,
    isa_settings,
    matrix,
    onednn_execs,
    original_shas,
    setting_label,
)

CONV = "import torch; torch.backends.mkldnn.enabled = {}; torch.nn.functional.conv2d(torch.randn(8, 64, 32, 32), torch.randn(64, 64, 3, 3))"


def test_onednn_primitives_are_counted_where_they_run():
    """The oneDNN caps are set aside only while the native probe counts no primitive: the count must
    see this torch's oneDNN at work (an fp32 convolution) and see none with it switched off."""
    def count(mkldnn: bool) -> int:
        r = subprocess.run([sys.executable, "-c", CONV.format(mkldnn)], env={**os.environ, "ONEDNN_VERBOSE": "1"},
                           capture_output=True, text=True, check=True)
        return onednn_execs(r.stdout)
    assert count(True) >= 1 and count(False) == 0


@pytest.mark.slow
def test_originals_come_out_again_under_every_setting():
    rows, skipped = matrix(variants=[(True, 1), (False, 2)])
    ran = {env for env, _, _ in rows}
    settings = {setting_label(env) for env in isa_settings()}
    # Every setting is run or set aside for a reason that means it cannot change a byte; the native and
    # the lowest ATen level always run, in both variants.
    assert ran | {label for label, _ in skipped} == settings and not ran & {label for label, _ in skipped}
    numpy_only = {label for label in ran if label.split("=")[0] in NUMPY_VARIABLES}
    assert {"native ISA", "ATEN_CPU_CAPABILITY=default", "OPENBLAS_NUM_THREADS=1"} <= ran
    assert len(rows) == 3 * len(ran - numpy_only) + len(numpy_only)  # the numpy row, then the two torch variants
    assert all("runs ATen at" in why or "no oneDNN primitive" in why for _, why in skipped), skipped
    want = original_shas()
    # A numpy setting's process draws numpy's two grids (the transfer grid is torch's); the others all three.
    assert all(set(shas) == (set(NUMPY_OUTPUTS) if env in numpy_only else set(want)) for env, _, shas in rows)
    bad = [(env, variant, name) for env, variant, shas in rows for name, sha in shas.items() if sha != want[name]]
    assert not bad, f"differs from samples/*_original.png: {bad}"

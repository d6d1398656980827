"""The committed originals come out again under every kernel choice this CPU allows (issue: pixel-exact
on every machine). Each ISA setting is read by torch at start-up, so each runs in its own process."""

from __future__ import annotations

import pytest

from cgan.grading.reproduce import isa_settings, matrix, original_shas


@pytest.mark.slow
def test_originals_come_out_again_under_every_setting():
    rows = matrix(variants=[(True, 1), (False, 2)])
    assert len(rows) == 2 * len(isa_settings())  # native, default and SSE41 everywhere; AVX2 and AVX-512 where the CPU has them
    want = original_shas()
    bad = [(env, variant, name) for env, variant, shas in rows for name, sha in shas.items() if sha != want[name]]
    assert not bad, f"differs from samples/*_original.png: {bad}"

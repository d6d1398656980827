from cgan.core.devices import cpu_flags, cpu_has_bf16, resolve_device, resolve_precision


def _cpuinfo(tmp_path, flags: str):
    p = tmp_path / "cpuinfo"
    p.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse2 {flags}\n\nprocessor\t: 1\n")
    return p


def test_bf16_hardware_is_amx_or_avx512_bf16_read_from_the_flags_line(tmp_path):
    assert cpu_has_bf16(_cpuinfo(tmp_path, "avx512f amx_bf16 amx_tile"))
    assert cpu_has_bf16(_cpuinfo(tmp_path, "avx512f avx512_bf16"))
    assert not cpu_has_bf16(_cpuinfo(tmp_path, "avx2 avx512f avx512_vnni"))
    assert "flags" not in cpu_flags(_cpuinfo(tmp_path, "avx2"))  # the values only, not the key
    assert not cpu_has_bf16(tmp_path / "missing")  # no /proc/cpuinfo: no claim of bf16


def test_explicit_choices_are_kept_and_auto_is_resolved():
    assert resolve_precision("fp32", "cpu") == "fp32"
    assert resolve_precision("bf16", "cpu") == "bf16"
    assert resolve_precision("auto", "cpu") == ("bf16" if cpu_has_bf16() else "fp32")
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") in ("cpu", "cuda")

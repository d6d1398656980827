import os
import subprocess

import pytest

from cgan.grading.sandbox import Limits, namespaces_available, run_submission

from conftest import write


def _sub(tmp_path, script: str):
    d = tmp_path / "sub"
    write(d / "run.sh", script)
    return d


@pytest.mark.parametrize("basic", [True, False])
def test_runs_in_a_copy_and_returns_outputs(tmp_path, basic):
    if not basic and namespaces_available():
        pytest.skip(f"namespace isolation unavailable here: {namespaces_available()}")
    d = _sub(tmp_path, "cat in.txt; mkdir -p samples; echo hi > samples/a.txt; ln -s /etc/hostname samples/link; "
                       "echo changed > run.sh; echo $HOME; env | grep -c SECRET_TOKEN\n")
    os.environ["SECRET_TOKEN"] = "x"
    try:
        r = run_submission(d, ["bash", "run.sh"], Limits(wall_s=30), extra_files={"in.txt": b"given\n"},
                           force_basic=basic)
    finally:
        del os.environ["SECRET_TOKEN"]
    assert r.exit_code == 1 and not r.timed_out  # grep -c found 0 SECRET_TOKEN lines: the env is stripped
    assert r.output.startswith("given\n")
    assert r.files == {"samples/a.txt": b"hi\n"}  # the symlink is not followed
    assert (d / "run.sh").read_text().startswith("cat in.txt")  # the original is untouched
    assert r.isolation.startswith("basic" if basic else "namespaces")


@pytest.mark.parametrize("basic", [True, False])
def test_time_limit_kills_the_whole_group(tmp_path, basic):
    if not basic and namespaces_available():
        pytest.skip(f"namespace isolation unavailable here: {namespaces_available()}")
    marker = f"cgan-sandbox-test-{os.getpid()}-{basic}"
    d = _sub(tmp_path, f"(exec -a {marker} sleep 300) & (exec -a {marker} sleep 300) & sleep 300\n")
    r = run_submission(d, ["bash", "run.sh"], Limits(wall_s=2), force_basic=basic)
    assert r.timed_out and r.wall_s < 15
    left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    assert left == []


def test_output_is_capped(tmp_path):
    d = _sub(tmp_path, "head -c 3000000 /dev/zero | tr '\\0' 'a'; echo END\n")
    r = run_submission(d, ["bash", "run.sh"], Limits(wall_s=30, output_kb=4), force_basic=True)
    assert r.output_bytes == 3000004
    assert len(r.output) < 9000 and "bytes of output left out" in r.output and r.output.endswith("END\n")


def test_file_size_limit(tmp_path):
    d = _sub(tmp_path, "head -c 5000000 /dev/zero > big.bin\n")
    r = run_submission(d, ["bash", "run.sh"], Limits(wall_s=30, file_mb=1), force_basic=True)
    assert r.exit_code != 0 and r.signal == "SIGXFSZ"


def test_namespaces_hide_and_protect(tmp_path):
    why = namespaces_available()
    if why:
        pytest.skip(f"namespace isolation unavailable here: {why}")
    secret = write(tmp_path / "others" / "bob" / "secret.txt", "answers")
    d = _sub(tmp_path, f"cat {secret} || echo hidden; echo x > {tmp_path}/out.txt || echo readonly; "
                       "python -c 'import socket; socket.create_connection((\"127.0.0.1\", 9), 1)' || echo nonet; "
                       "id -u\n")
    r = run_submission(d, ["bash", "run.sh"], Limits(wall_s=30), hide=[tmp_path / "others"], uid=61005)
    lines = r.output.split("\n")
    assert "hidden" in lines and "readonly" in lines and "nonet" in lines and "61005" in lines
    assert "answers" not in r.output and not (tmp_path / "out.txt").exists()

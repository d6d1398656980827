"""The limits hold at every sandbox level the host offers, with a cgroup per run and without one (as on a
host that has none): processes, disk and memory are held, or the run says "NOT limited" for that limit, in
the report's isolation field and in the student's log alike."""

import os
import time
import uuid
from pathlib import Path

import pytest

from cgan.grading import sandbox
from cgan.grading.cgroups import PREFIX, RunCgroup

from grading.levels import LEVELS, run_at, use_level

CGROUPS = ["cgroups", "no-cgroups"]

# 1,500 sleepers, each alive until the script ends; a fork the limit refuses is counted, not retried.
SLEEPERS = """python - <<'EOF'
import os, time
started = 0
for _ in range(1500):
    try:
        pid = os.fork()
    except OSError:
        continue
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    started += 1
print("started", started, flush=True)
EOF
"""


def _setup(level: str, cgroups: str, monkeypatch) -> None:
    use_level(level, monkeypatch)
    monkeypatch.setattr(sandbox, "USE_CGROUPS", cgroups == "cgroups")


def _said_not_limited(r, what: str) -> bool:
    """The run says `what` is NOT limited, in the report's words and in the student's log."""
    said = f"{what} NOT limited" in r.isolation
    assert said == (f"{what} NOT limited" in r.log), (r.isolation, r.log)
    return said


@pytest.mark.parametrize("cgroups", CGROUPS)
@pytest.mark.parametrize("level", LEVELS)
def test_processes_are_held_to_the_limit(tmp_path, level, cgroups, monkeypatch):
    _setup(level, cgroups, monkeypatch)
    r = run_at(tmp_path, level, SLEEPERS, wall_s=120, limits={"processes": 512})
    assert not r.timed_out, r.log
    started = int(r.output.split("started")[1].split()[0])
    if _said_not_limited(r, "processes"):
        assert started == 1500
        return
    assert "processes 512 (" in r.isolation and "processes 512 (" in r.log
    # The shell and the Python that forks count too: at most 512 of the run's processes at once.
    assert 400 < started and started + 2 <= 512, r.log


DISK = """mkdir -p samples
head -c 64M /dev/zero > samples/fill.bin; echo "samples: $(stat -c %s samples/fill.bin)"; rm samples/fill.bin
head -c 64M /dev/zero > /dev/shm/fill-$$.bin; echo "shm: $(stat -c %s /dev/shm/fill-$$.bin)"; rm -f /dev/shm/fill-$$.bin
"""


@pytest.mark.parametrize("level", LEVELS)
def test_disk_is_held_to_the_limit(tmp_path, level, monkeypatch):
    use_level(level, monkeypatch)
    r = run_at(tmp_path, level, DISK, limits={"disk_mb": 16, "file_mb": 1024})
    sizes = {k: int(v) for k, v in (line.split(": ") for line in r.output.splitlines() if ": " in line and
                                    line.split(": ")[1].isdigit())}
    if _said_not_limited(r, "disk"):
        assert sizes["samples"] == 64 * 2**20
        return
    assert "disk 16 MB beyond its copy" in r.isolation and "No space left on device" in r.output, r.log
    # The private tmpfs holds the copy (a few kB, rounded up to a MB each for it and the tags) and 16 MB.
    assert sizes["samples"] <= 19 * 2**20 and sizes["shm"] <= 19 * 2**20, sizes


MEMORY = """for i in 1 2 3; do
  python -c "import time; b = b'x' * (120 << 20); print('held', flush=True); time.sleep(3); print('done', flush=True)" &
done
wait
"""


@pytest.mark.parametrize("cgroups", CGROUPS)
@pytest.mark.parametrize("level", LEVELS)
def test_memory_in_all_is_held_where_a_cgroup_holds_it(tmp_path, level, cgroups, monkeypatch):
    """Three processes of 120 MB each, under --memory-mb 200 (which each of them alone fits)."""
    _setup(level, cgroups, monkeypatch)
    r = run_at(tmp_path, level, MEMORY, wall_s=60, limits={"memory_mb": 200})
    if _said_not_limited(r, "in all"):
        assert r.output.splitlines().count("done") == 3, r.log
        return
    assert "memory 200 MB in all (cgroup" in r.isolation
    assert r.output.splitlines().count("done") < 3, r.log


def test_groups_a_killed_grader_left_are_swept():
    """A grader killed outright cannot remove its cgroups: the next run removes those of a gone grader once
    they are an hour old, and leaves younger ones (another PID namespace's grader may own them)."""
    with RunCgroup(8, 2**26) as cg:
        parents = [d.parent for d in cg.dirs]
    if not parents:
        pytest.skip(f"no cgroup this grader may make here: {cg.why}")
    dead = next(p for p in range(4_000_000, 4_100_000) if not Path(f"/proc/{p}").exists())
    tag = uuid.uuid4().hex[:8]
    stale = [p / f"{PREFIX}{dead}-{tag}old" for p in parents]
    young = [p / f"{PREFIX}{dead}-{tag}new" for p in parents]
    try:
        for g in stale + young:
            g.mkdir()
        for g in stale:
            os.utime(g, (time.time() - 7200, time.time() - 7200))
        with RunCgroup(8, 2**26):
            pass
        assert not any(g.exists() for g in stale) and all(g.exists() for g in young)
    finally:
        for g in stale + young:
            if g.exists():
                g.rmdir()

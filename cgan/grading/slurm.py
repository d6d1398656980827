"""The Slurm side of a grading: what the partition can give, checked before anything is submitted, and the
job array followed to its end, stopping early when it can never run.

Everything is asked of `sinfo` and `squeue` (sacct needs an accounting daemon that many clusters, and a
one-node test cluster, do not run). A request no node of the partition can hold (CPUs, memory, GPUs,
time) is a one-line error naming the option to change; a task that pends for a reason waiting cannot
clear (the request does not fit the partition, the nodes it needs are down, a bad account) stops the
grading with one line too, after cancelling the array's own tasks.
"""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from typing import Callable

from cgan.core.errors import CganError

ENDED_BADLY = ("BOOT_FAIL", "CANCELLED", "DEADLINE", "FAILED", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "TIMEOUT",
               "REVOKED")
# Pending reasons that no amount of waiting clears, each with what to change.
HOPELESS = {
    "PartitionConfig": "the request does not fit the partition: lower --slurm-cpus, --slurm-mem-gb or --slurm-gpus",
    "PartitionNodeLimit": "the request does not fit the partition's node limits",
    "PartitionTimeLimit": "--slurm-time-min is over the partition's time limit",
    "ReqNodeNotAvail": "the nodes it needs are down, drained or reserved (sinfo -R says why)",
    "BadConstraints": "no node has what the request asks for: lower --slurm-cpus, --slurm-mem-gb or --slurm-gpus",
    "InvalidAccount": "check --slurm-account",
    "AccountNotAllowed": "check --slurm-account",
    "InvalidQOS": "the account's QOS does not allow it",
    "QOSMaxCpuPerJobLimit": "lower --slurm-cpus",
    "QOSMaxGRESPerJob": "lower --slurm-gpus",
    "QOSMaxMemoryPerJob": "lower --slurm-mem-gb",
    "QOSMaxWallDurationPerJobLimit": "lower --slurm-time-min",
    "DependencyNeverSatisfied": "a dependency failed",
}
HOPELESS_AFTER_S = 15.0  # a reason must hold this long: a node coming back shows ReqNodeNotAvail for a moment


@dataclass
class Node:
    name: str
    cpus: int
    mem_mb: int
    gpus: int


@dataclass
class Partition:
    name: str
    nodes: list[Node]
    max_minutes: int | None  # None: no limit


def _run(argv: list[str]) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None


def gpus_of(gres: str) -> int:
    """GPUs in a node's GRES ('gpu:4', 'gpu:a100:2(S:0-1),mps:100', '(null)')."""
    return sum(int(n) for n in re.findall(r"(?:^|,)gpu(?::[^:,()]+)*:(\d+)", gres))


def minutes_of(limit: str) -> int | None:
    """Slurm's time format ('infinite', '30:00', '2:00:00', '1-12:00:00') in minutes."""
    if limit in ("infinite", "UNLIMITED", "n/a", ""):
        return None
    days, _, rest = limit.rpartition("-")
    parts = [int(p) for p in rest.split(":")]
    h, m, s = ([0] * (3 - len(parts)) + parts) if len(parts) > 1 else (0, parts[0], 0)
    return (int(days or 0) * 24 + h) * 60 + m + (1 if s else 0)


def partition(name: str | None) -> Partition | None:
    """The partition asked for (None: the cluster's default) with its nodes, from sinfo; None when sinfo
    cannot answer (the check is then left to sbatch). An unknown partition is an error."""
    r = _run(["sinfo", "-h", "-N", "-o", "%N|%P|%c|%m|%G|%l"])
    if r is None or r.returncode != 0 or not r.stdout.strip():
        return None
    rows = [line.split("|") for line in r.stdout.splitlines() if line.count("|") == 5]
    names = {p.rstrip("*") for _, p, *_ in rows}
    if name is None:
        name = next((p.rstrip("*") for _, p, *_ in rows if p.endswith("*")), None)
        if name is None:
            return None
    elif name not in names:
        raise CganError(f"--slurm-partition {name}: no such partition (sinfo lists {', '.join(sorted(names))})")
    nodes, limits = [], []
    for node, p, cpus, mem, gres, limit in rows:
        if p.rstrip("*") == name:
            nodes.append(Node(node, int(cpus.rstrip("+")), int(mem.rstrip("+")), gpus_of(gres)))
            limits.append(minutes_of(limit))
    return Partition(name, nodes, max(limits, key=lambda m: m or 10**9) if limits else None)


def settle_request(slurm: dict, log: Callable[[str], None]) -> dict:
    """`slurm` with its defaults filled from the partition (CPUs: min(4, the most a node has); GPUs: 1
    where a node has one, else 0), checked against it: a request no node can hold is a one-line error
    naming the option."""
    out = dict(slurm)
    p = partition(slurm.get("partition"))
    if p is None or not p.nodes:
        out["cpus"] = out.get("cpus") or 4
        out["gpus"] = 1 if out.get("gpus") is None else out["gpus"]
        return out
    most_cpus = max(n.cpus for n in p.nodes)
    most_gpus = max(n.gpus for n in p.nodes)
    most_mem = max(n.mem_mb for n in p.nodes)
    if not out.get("cpus"):
        out["cpus"] = min(4, most_cpus)
    if out.get("gpus") is None:
        out["gpus"] = min(1, most_gpus)
        if not most_gpus:
            log(f"partition {p.name} has no GPUs: each task grades on CPUs (--slurm-gpus 0)")
    cpus, gpus, mem_mb = int(out["cpus"]), int(out["gpus"]), float(out.get("mem_gb") or 0) * 1024
    where = f"no node of partition {p.name}"
    if cpus > most_cpus:
        raise CganError(f"--slurm-cpus {cpus}: {where} has that many CPUs (the most is {most_cpus}); ask for fewer")
    if gpus > most_gpus:
        hint = "--slurm-gpus 0 grades on CPUs" if not most_gpus else f"the most is {most_gpus}"
        raise CganError(f"--slurm-gpus {gpus}: {where} has that many GPUs ({hint})")
    if mem_mb > most_mem:
        raise CganError(f"--slurm-mem-gb {out['mem_gb']:g}: {where} has that much memory "
                        f"(the most is {most_mem / 1024:.1f} GB)")
    if not any(n.cpus >= cpus and n.gpus >= gpus and n.mem_mb >= mem_mb for n in p.nodes):
        raise CganError(f"--slurm-cpus {cpus}, --slurm-gpus {gpus}, --slurm-mem-gb {out.get('mem_gb') or 0:g}: "
                        f"{where} has all of them at once; lower one")
    if out.get("timeout_min") and p.max_minutes is not None and int(out["timeout_min"]) > p.max_minutes:
        raise CganError(f"--slurm-time-min {out['timeout_min']}: partition {p.name} allows at most "
                        f"{p.max_minutes} minutes per task")
    out["partition_checked"] = p.name
    return out


def task_states(array_ids: set[str]) -> dict[str, tuple[str, str]]:
    """Each array task's (state, reason), e.g. '123_4' -> ('PENDING', 'Resources'), from squeue, for these
    arrays only. Finished tasks are listed for as long as the controller keeps them (MinJobAge); empty
    when squeue cannot answer."""
    r = _run(["squeue", "-h", "-r", "--states=all", "-o", "%i|%T|%r", "-j", ",".join(sorted(array_ids))])
    if r is None or r.returncode != 0:
        return {}
    out = {}
    for line in r.stdout.splitlines():
        job, _, rest = line.partition("|")
        state, _, reason = rest.partition("|")
        if job and state:
            out[job.strip()] = (state.strip(), reason.strip())
    return out


def hopeless(reason: str) -> str | None:
    """What to change when a pending reason can never clear ('ReqNodeNotAvail, UnavailableNodes:n1' too)."""
    return HOPELESS.get(reason.split(",")[0].strip())


def cancel(job_ids: list[str]) -> None:
    _run(["scancel", *sorted(set(job_ids))])


def submit_error(e: BaseException) -> CganError:
    """submitit's exception (sbatch's stderr inside a traceback's text) as one line."""
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    said = [line for line in lines if "error:" in line]
    return CganError(f"sbatch refused the job array: {(said or lines or [type(e).__name__])[-1][:300]}")


def _outcome(job) -> tuple[str, str] | None:
    """('success', summary) or ('error', trace) once the task wrote its result, else None."""
    from submitit.core.utils import pickle_load

    p = job.paths.result_pickle
    if not p.exists():
        return None
    try:
        return pickle_load(p)
    except Exception:  # still being written
        return None


def wait_array(names: list[str], jobs: list, log: Callable[[str], None], poll_s: float = 5.0,
               grace_s: float = 60.0) -> dict[str, dict]:
    """Wait for every array task (student name -> submitit job) by its result file and squeue's state;
    returns student -> job record. A task pending for a hopeless reason cancels the array's own tasks and
    raises a one-line error."""
    records = {n: {"student": n, "job_id": j.job_id, "array_id": str(j.job_id).split("_")[0],
                   "state": "PENDING", "result": ""} for n, j in zip(names, jobs)}
    pending = dict(zip(names, jobs))
    gone_since: dict[str, float] = {}
    stuck_since: dict[str, float] = {}
    while pending:
        states = task_states({r["array_id"] for r in records.values()})
        for name, job in list(pending.items()):
            rec = records[name]
            state, reason = states.get(job.job_id, (rec["state"], ""))
            rec["state"] = state
            _check_stuck(job.job_id, state, reason, stuck_since, [j.job_id for j in pending.values()])
            out = _outcome(job)
            ended = state in ENDED_BADLY or state == "COMPLETED" or job.job_id not in states
            if out is None and ended:  # no result yet: the file system may lag behind the state for a while
                gone_since.setdefault(name, time.monotonic())
                if state in ENDED_BADLY or time.monotonic() - gone_since[name] > grace_s:
                    out = ("error", f"ended {state if job.job_id in states else 'out of squeue'} without a result")
            if out is None:
                continue
            # A stopped task writes its error before Slurm settles its state (COMPLETING, then CANCELLED):
            # wait a little for the final one, which is what the report shows.
            settling = out[0] != "success" and not ended
            if settling and time.monotonic() - gone_since.setdefault(name, time.monotonic()) < grace_s:
                continue
            del pending[name]
            if out[0] == "success":
                rec["state"], rec["result"] = "COMPLETED", "graded"
                log(f"{out[1]} [task {job.job_id}]")
            else:
                first = str(out[1]).strip().splitlines()[-1] if str(out[1]).strip() else "failed"
                rec["result"] = "not graded"
                log(f"{name}: task {job.job_id} {rec['state']} ({first[:200]}); run the same command again to grade it")
        if pending:
            time.sleep(poll_s)
    return records


def _check_stuck(job_id: str, state: str, reason: str, since: dict[str, float], waiting: list[str]) -> None:
    why = hopeless(reason) if state == "PENDING" else None
    if why is None:
        since.pop(job_id, None)
        return
    if time.monotonic() - since.setdefault(job_id, time.monotonic()) >= HOPELESS_AFTER_S:
        cancel(waiting)
        raise CganError(f"Slurm task {job_id} is pending for {reason.split(',')[0]}, which waiting does not clear: "
                        f"{why}; the array's waiting tasks were cancelled")

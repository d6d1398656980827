"""The package's architecture, checked: domain subpackages over a helpers layer, imports only downward,
no cycles, in-function imports only for optional dependencies."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from conftest import ROOT

# Lowest first: a package may import only from itself and the packages before it.
LAYERS = ["core", "course", "release", "data", "text", "gan", "transfer", "evaluation", "grading", "demo", "api", "cli"]
# Eval/dev requirements, imported where used; and requests, which only a download needs (a bundled
# model's `cgan generate` starts without it).
OPTIONAL = ("cv2", "scipy", "matplotlib", "torch.utils.tensorboard", "submitit", "requests")
# Torch-free modules (`cgan generate`'s numpy path, which starts without torch) that import a torch module
# only on the path that needs it.
DEFERRED = {"cgan.gan.samplers": ("cgan.gan.torch_sampler",), "cgan.gan.grids": ("cgan.gan.sentence_grids",)}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted((ROOT / "cgan").rglob("*.py")):
        parts = p.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, inside a function) for every import of the file."""
    tree = ast.parse(path.read_text())
    inner = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
             for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom))}
    found = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            found += [(a.name, id(n) in inner) for a in n.names]
        elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
            found.append((n.module, id(n) in inner))
            found += [(f"{n.module}.{a.name}", id(n) in inner) for a in n.names]  # `from cgan.gan import losses`
    return found


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: {i for i, _ in _imports(p) if i in mods and i != m} for m, p in mods.items()}


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_module_sits_in_a_domain_package():
    loose = [m for m in _modules() if m.count(".") == 1 and m not in ("cgan.__main__",)
             and _package(m) not in LAYERS]
    assert not loose, loose


def test_imports_run_downward_only():
    upward = []
    for m, deps in _graph().items():
        here = _package(m)
        if here not in LAYERS:
            continue
        for d in deps:
            there = _package(d)
            if there in LAYERS and LAYERS.index(there) > LAYERS.index(here):
                upward.append(f"{m} -> {d}")
    assert not upward, upward


def test_no_import_cycles():
    graph, state, cycles = _graph(), {}, []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = "open"
        for d in graph[m]:
            if state.get(d) == "open":
                cycles.append(stack[stack.index(d):] + [d] if d in stack else [m, d])
            elif d not in state:
                visit(d, stack + [d])
        state[m] = "done"

    for m in graph:
        if m not in state:
            visit(m, [m])
    assert not cycles, cycles


def test_in_function_imports_are_for_optional_dependencies_only():
    offenders = defaultdict(list)
    for m, p in _modules().items():
        if _package(m) == "cli":
            continue
        for name, inner in _imports(p):
            allowed = (*OPTIONAL, *DEFERRED.get(m, ()))
            if inner and not any(name == o or name.startswith(o + ".") for o in allowed):
                offenders[m].append(name)
    assert not offenders, dict(offenders)


def test_core_knows_no_domain():
    for m, deps in _graph().items():
        if _package(m) == "core":
            assert all(_package(d) == "core" for d in deps), (m, deps)


def test_no_file_is_over_the_size_limit():
    long = {m: n for m, p in _modules().items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long

"""The package's layers (docs/layers.rst): every module declared once, imports point down only.

A new module must be added to LAYERS below (and to docs/layers.rst); the tests then check
that it imports only from the layers beneath it, that no import circle forms, that no
module reaches for another module's private names, and that no module outgrows 800 lines.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "grokdelay"

#: layer -> (rank, modules). A module may import modules of a lower rank; within a layer
#: only where ``SAME_LAYER`` allows it (without circles).
LAYERS: dict[str, tuple[int, tuple[str, ...]]] = {
    "rendering": (-1, ("_html",)),
    "core": (0, ("_fields", "_core", "_arguments")),
    "engines": (1, ("_marchenko_pastur", "_lts_engine", "_lts_simulation", "_two_layer",
                    "_contraction", "_kl_law", "_langevin", "_norm_simulation", "_symbolic",
                    "_decay_law", "_parallel", "_special", "_seed000_kernel",
                    "_lts_closed_forms", "_lts_kernel", "_lts_numba", "_lts_outcome",
                    "_lts_newton")),
    "mechanisms": (2, ("linear_teacher_student", "norm_separation", "kramers",
                       "timescale_separation", "two_clocks", "spectral", "implicit_bias",
                       "ridge_null_space", "first_passage", "two_phase", "power_law")),
    "toolkits": (2, ("clock_estimators", "deep_linear", "modular_kernel", "observations")),
    "scenarios": (3, ("scenarios",)),
    "runs": (4, ("runs", "_log_formats", "logs", "recorder", "trainer", "datasets")),
    "user": (5, ("compare", "sweep", "plotting", "milestones", "sensitivity", "cli",
                 "__main__", "_run_laws", "_pilot_range", "premises", "calibration",
                 "cross_validation")),
}
SAME_LAYER = {"core", "engines", "toolkits", "runs", "user"}
MAX_LINES = 800

LAYER_OF = {m: layer for layer, (_, mods) in LAYERS.items() for m in mods}


def _sources() -> dict[str, list[pathlib.Path]]:
    """Top-level module name -> its files (a subpackage counts as one module)."""
    out: dict[str, list[pathlib.Path]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        out.setdefault(rel.parts[0].removesuffix(".py"), []).append(path)
    return out


def _imports(path: pathlib.Path) -> list[tuple[str, list[str], int]]:
    """(top-level grokdelay module, imported names, line) for every import in ``path``,
    including the ones inside functions."""
    rel = path.relative_to(PACKAGE)
    depth = len(rel.parts) - 1            # 0 for a module at the package root
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            names = [a.name for a in node.names]
            if node.level:
                if node.level - 1 > depth:
                    continue
                parts = list(rel.parts[:depth - (node.level - 1)]) + \
                    (node.module.split(".") if node.module else [])
                if parts:
                    found.append((parts[0].removesuffix(".py"), names, node.lineno))
                else:                      # "from . import x"
                    found += [(n, [], node.lineno) for n in names]
            elif node.module and node.module.split(".")[0] == "grokdelay":
                parts = node.module.split(".")[1:]
                if parts:
                    found.append((parts[0], names, node.lineno))
                else:
                    found += [(n, [], node.lineno) for n in names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == "grokdelay" and len(parts) > 1:
                    found.append((parts[1], [], node.lineno))
    return found


SOURCES = _sources()
MODULES = sorted(m for m in SOURCES if m != "__init__")


def test_every_module_has_a_layer():
    missing = [m for m in MODULES if m not in LAYER_OF]
    assert not missing, f"add {missing} to LAYERS in tests/test_layering.py and docs/layers.rst"
    stale = [m for m in LAYER_OF if m not in SOURCES]
    assert not stale, f"LAYERS lists modules that do not exist: {stale}"


def test_docs_page_names_every_module():
    page = (ROOT / "docs" / "layers.rst").read_text()
    absent = [m for m in MODULES if f"``{m}``" not in page]
    assert not absent, f"docs/layers.rst does not place {absent}"


@pytest.mark.parametrize("module", MODULES)
def test_imports_point_down(module):
    layer = LAYER_OF[module]
    rank = LAYERS[layer][0]
    for path in SOURCES[module]:
        for target, _, line in _imports(path):
            if target == module or target == "__init__":
                assert target == module, f"{path.name}:{line} imports the package itself"
                continue
            other = LAYER_OF.get(target)
            assert other is not None, f"{path.name}:{line} imports unknown module {target}"
            other_rank = LAYERS[other][0]
            if other == layer:
                assert layer in SAME_LAYER, (
                    f"{path.name}:{line}: {module} imports {target}, another module of the "
                    f"{layer} layer; share the code through an engine instead")
            else:
                assert other_rank < rank, (
                    f"{path.name}:{line}: {module} ({layer}) imports {target} ({other}), "
                    "which sits at or above it")


def test_no_import_circle():
    graph = {m: {t for p in SOURCES[m] for t, _, _ in _imports(p) if t in LAYER_OF and t != m}
             for m in MODULES}
    state: dict[str, int] = {}

    def visit(m, stack):
        state[m] = 1
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                raise AssertionError("import circle: " + " -> ".join(stack + [m, t]))
            if t not in state:
                visit(t, stack + [m])
        state[m] = 2

    for m in MODULES:
        if m not in state:
            visit(m, [])


@pytest.mark.parametrize("module", MODULES)
def test_no_private_names_across_modules(module):
    for path in SOURCES[module]:
        for target, names, line in _imports(path):
            if target == module:
                continue
            private = [n for n in names if n.startswith("_")]
            assert not private, (f"{path.name}:{line} imports private {private} from {target}; "
                                 "make them public names of that (private) module")


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_module_size(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_LINES, f"{path.name} has {n} lines (at most {MAX_LINES}): split it"

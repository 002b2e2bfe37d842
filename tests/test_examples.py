"""Every example script runs headless and writes its figures (they reproduce published results)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path, tmp_path):
    spec = importlib.util.spec_from_file_location(f"_example_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert hasattr(mod, "main"), f"{path.name} needs main(outdir)"
    mod.main(tmp_path)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written, f"{path.name} wrote nothing"
    assert all(p.stat().st_size > 0 for p in written)

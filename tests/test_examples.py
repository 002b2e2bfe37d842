"""Every example script runs headless and writes its figures (they reproduce published results)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
# the figures the docs show, committed by docs/make_figures.py
GALLERY = json.loads((ROOT / "docs" / "_static" / "gallery.json").read_text())


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
    # the docs show this example's figures: it must still draw exactly those
    pngs = sorted(p.name for p in written if p.suffix == ".png")
    assert pngs, f"{path.name} draws no figure for the gallery"
    assert pngs == GALLERY.get(path.stem), (
        f"{path.name} now writes {pngs}, the docs show {GALLERY.get(path.stem)}: run "
        f"python docs/make_figures.py {path.stem}")


def test_gallery_lists_every_example_and_its_figures_are_committed():
    assert sorted(GALLERY) == sorted(p.stem for p in EXAMPLES)
    for stem, names in GALLERY.items():
        for name in names:
            assert (ROOT / "docs" / "_static" / name).stat().st_size > 0, (stem, name)

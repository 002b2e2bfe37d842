"""Regenerate the figures the docs show, from the examples, and the gallery's manifest.

Each ``examples/*.py`` has ``main(outdir)``; this runs it into a scratch folder, copies the
PNG files it wrote into ``docs/_static/`` and records them in ``docs/_static/gallery.json``
(``{example: [png, ...]}``), which the gallery page (``docs/gallery.rst``) and the
mechanism pages read. The figures are committed, so building the docs (and the test suite,
which builds them) does not rerun the examples; ``tests/test_examples.py`` runs every
example and checks that it still writes exactly the figures the manifest lists.

An example may define ``DOCS_KWARGS``, keyword arguments of ``main`` for the docs' figure
(``examples/width_exponent.py`` runs its full measurement for the docs, a few minutes; the
test suite runs its small version).

Usage (from the project root)::

    python docs/make_figures.py                 # every example
    python docs/make_figures.py kramers_escape  # some of them (by file stem)
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
STATIC = ROOT / "docs" / "_static"
MANIFEST = STATIC / "gallery.json"


def run_example(path: Path, outdir: Path, *, docs: bool = True) -> list[str]:
    """Run ``path``'s ``main(outdir)`` (with its ``DOCS_KWARGS`` if ``docs``); the names of
    the PNG files it wrote, sorted."""
    spec = importlib.util.spec_from_file_location(f"_example_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.main(outdir, **(getattr(mod, "DOCS_KWARGS", {}) if docs else {}))
    return sorted(p.name for p in Path(outdir).rglob("*.png"))


def main(names: list[str]) -> dict[str, list[str]]:
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    paths = sorted(EXAMPLES.glob("*.py"))
    if names:
        paths = [p for p in paths if p.stem in names]
        unknown = set(names) - {p.stem for p in paths}
        if unknown:
            raise SystemExit(f"no example named {', '.join(sorted(unknown))}")
    for path in paths:
        with tempfile.TemporaryDirectory() as tmp:
            pngs = run_example(path, Path(tmp))
            for name in pngs:
                shutil.copyfile(Path(tmp) / name, STATIC / name)
        manifest[path.stem] = pngs
        print(f"{path.stem}: {', '.join(pngs) or 'no figure'}")
    # examples that no longer exist leave the manifest
    manifest = {k: manifest[k] for k in sorted(manifest) if (EXAMPLES / f"{k}.py").exists()}
    MANIFEST.write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


if __name__ == "__main__":
    main(sys.argv[1:])

"""Sphinx directives for the examples' figures, read from ``docs/_static/gallery.json``.

``.. example-gallery::``
    Every script in ``examples/``: its docstring, the figures it draws, its source.
``.. example-figure:: STEM``
    The figures of ``examples/STEM.py`` with its one-line summary as caption and a link to
    its gallery entry (the mechanism pages use it).

The figures are committed (``python docs/make_figures.py`` regenerates them and the
manifest), so building the docs does not rerun the examples; the test suite runs every
example and checks that it writes the figures the manifest lists.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from sphinx.errors import ExtensionError
from sphinx.util.nodes import nested_parse_with_titles

DOCS = Path(__file__).resolve().parents[1]
EXAMPLES = DOCS.parent / "examples"
MANIFEST = DOCS / "_static" / "gallery.json"


def manifest() -> dict[str, list[str]]:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def docstring(stem: str) -> tuple[str, str]:
    """``(summary line, rest)`` of ``examples/STEM.py``'s module docstring."""
    path = EXAMPLES / f"{stem}.py"
    if not path.is_file():
        raise ExtensionError(f"gallery: no example {path}")
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or stem
    summary, _, rest = doc.partition("\n")
    return summary.strip(), rest.strip()


def _images(stem: str) -> list[str]:
    figures = manifest().get(stem)
    if not figures:
        raise ExtensionError(f"gallery: {stem} has no figure in {MANIFEST.name}; run "
                             f"python docs/make_figures.py {stem}")
    lines = []
    for name in figures:
        # a leading / is the docs' source folder, whatever the page's depth
        lines += [f".. image:: /_static/{name}", f"   :alt: {stem}: {name}",
                  "   :width: 100%", ""]
    return lines


class ExampleGallery(Directive):
    def run(self):
        lines: list[str] = []
        for stem in manifest():
            summary, rest = docstring(stem)
            title = f"{summary} (``{stem}.py``)"
            lines += [f".. _example-{stem}:", "", title, "-" * len(title), ""]
            lines += _images(stem)
            lines += [rest, ""] if rest else []
            lines += [".. code-block:: console", "", f"   $ python examples/{stem}.py out/", ""]
            lines += [f".. literalinclude:: /../examples/{stem}.py",
                      "   :language: python", f"   :caption: examples/{stem}.py", ""]
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="gallery"), node)
        return node.children


class ExampleFigure(Directive):
    required_arguments = 1

    def run(self):
        stem = self.arguments[0]
        summary, _ = docstring(stem)
        lines = _images(stem)
        lines += [f"*{summary}* (``examples/{stem}.py``; code and details in the "
                  f":ref:`gallery <example-{stem}>`)", ""]
        container = nodes.container(classes=["example-figure"])
        self.state.nested_parse(StringList(lines), self.content_offset, container)
        return [container]


def setup(app):
    app.add_directive("example-gallery", ExampleGallery)
    app.add_directive("example-figure", ExampleFigure)
    app.connect("env-get-outdated", lambda app, env, added, changed, removed:
                ["gallery"] if "gallery" in env.found_docs else [])
    return {"parallel_read_safe": True}

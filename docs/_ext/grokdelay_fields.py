"""Sphinx directive ``.. mechanism-fields:: NAME``: the parameter table of a mechanism.

The table is rendered from the field declarations (``param(...)`` in the source), so the
docs cannot drift from the validation: symbol, domain, default and meaning of each field,
then the mechanism's methods.
"""

from __future__ import annotations

import dataclasses

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList


def _cell(text: object) -> str:
    """reST-safe table cell: a bare | would start a substitution reference."""
    return str(text).replace("|", "\\|")


def _table(name: str) -> list[str]:
    import grokdelay as gd

    cls = gd.mechanisms()[name]
    lines = [f".. list-table:: Fields of ``{cls.__name__}`` (``\"{name}\"``)",
             "   :header-rows: 1", "   :widths: 18 8 18 14 42", "",
             "   * - field", "     - symbol", "     - domain", "     - default", "     - meaning"]
    for field, (spec, default) in cls.field_specs().items():
        dflt = "required" if default is dataclasses.MISSING else f"``{default!r}``"
        lines += [f"   * - ``{field}``", f"     - {_cell(spec.symbol)}",
                  f"     - {_cell(spec.domain)}", f"     - {dflt}", f"     - {_cell(spec.doc)}"]
    lines += ["", f".. list-table:: Methods of ``\"{name}\"``", "   :header-rows: 1",
              "   :widths: 25 75", "", "   * - method", "     - what it computes"]
    for m, summary in cls.methods.items():
        star = " (default)" if m == cls.default_method else ""
        lines += [f"   * - ``\"{m}\"``{star}", f"     - {_cell(summary)}"]
    return lines + [""]


class MechanismFields(Directive):
    required_arguments = 1

    def run(self):
        container = nodes.container()
        self.state.nested_parse(StringList(_table(self.arguments[0])), self.content_offset,
                                container)
        return container.children


def setup(app):
    app.add_directive("mechanism-fields", MechanismFields)
    return {"parallel_read_safe": True, "version": "1"}

"""Sphinx directives ``.. mechanism-fields:: NAME`` (the parameter table of a mechanism) and
``.. mechanism-laws:: NAME`` (its closed forms, rendered from the sympy expressions).

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


def _rst_directive(make_lines):
    """A directive taking one mechanism name whose body is the reST ``make_lines(name)``."""

    class _Generated(Directive):
        required_arguments = 1

        def run(self):
            container = nodes.container()
            self.state.nested_parse(StringList(make_lines(self.arguments[0])),
                                    self.content_offset, container)
            return container.children

    return _Generated


def _laws(name: str) -> list[str]:
    """reST for ``.. mechanism-laws:: NAME``: each method's closed form, rendered from the one
    sympy expression of ``grokdelay._symbolic`` (the docs cannot retype a law)."""
    import grokdelay as gd
    from grokdelay._symbolic import methods_with_laws

    cls = gd.mechanisms()[name]
    have = methods_with_laws(name)
    lines: list[str] = []
    for m in cls.methods:
        if m not in have:
            lines += [f"* ``\"{m}\"``: no closed form (a numerical method; its elasticities are numerical derivatives).", ""]
            continue
        for law in have[m]:
            label = f" ({law.variant})" if law.variant else ""
            src = f", {law.source}" if law.source else ""
            rounded = ("; the prediction is the first integer step at or after this count"
                       if law.rounded else "")
            lines += [f"* ``\"{m}\"``{label}{src}{rounded}:", "",
                      "  .. math::", "     :nowrap:", "", r"     \[\begin{aligned}"]
            body = law.latex()
            for i, line in enumerate(body):
                lhs, _, rhs = line.partition(" = ")
                end = r" \\" if i < len(body) - 1 else ""
                lines.append(f"     {lhs} &= {rhs}{end}")
            lines += [r"     \end{aligned}\]", ""]
    return lines


def setup(app):
    app.add_directive("mechanism-fields", _rst_directive(_table))
    app.add_directive("mechanism-laws", _rst_directive(_laws))
    return {"parallel_read_safe": True, "version": "1"}

"""Short text and HTML renderings of result objects (for ``repr`` and Jupyter).

Every public result type renders through these helpers so that a notebook shows the same
conventions everywhere: numbers rounded to a few significant digits (``inf`` spelled out),
arrays summarized by their shape, ends and range instead of printed in full, notes visible,
and in tables the columns that vary first with the constant ones folded into one line.

Public to the package (other modules use them), private to users:

- :func:`fmt` -- one value as short text (a number, a string, an array summary).
- :func:`record_repr` -- ``Name(key=value, ...)`` on one line, bounded in length.
- :func:`record_html` -- a titled two-column table of fields, notes below.
- :func:`table_html` -- a columnar table: varying columns, constant ones folded, notes.
- :func:`table_text` -- the same table as fixed-width text (for ``repr``).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["fmt", "record_repr", "record_html", "table_html", "table_text", "split_constant"]

#: Significant digits of every rounded number.
DIGITS = 4
#: An array longer than this is summarized (its first and last EDGE values, its shape).
MAX_ITEMS = 6
EDGE = 2
#: Rows shown by a table before it elides the middle (head and tail halves).
MAX_ROWS = 12
#: Longest note (characters) in a one-line repr; the HTML shows notes in full.
NOTE_CHARS = 120

_CSS = ("<style>.grokdelay-repr{overflow-x:auto}"
        ".grokdelay-repr table{border-collapse:collapse;margin:0.2em 0}"
        ".grokdelay-repr th,.grokdelay-repr td{padding:0.1em 0.6em;text-align:right}"
        ".grokdelay-repr th{text-align:left}"
        ".grokdelay-repr .gd-notes{margin:0.3em 0;padding-left:1.2em;text-align:left}"
        ".grokdelay-repr .gd-const{color:#555;margin:0.2em 0}</style>")


def _number(x: Any, digits: int) -> str:
    if isinstance(x, bool | np.bool_):
        return str(bool(x))
    if isinstance(x, int | np.integer):
        return str(int(x))
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 10 ** digits:
        return str(int(x))
    return f"{x:.{digits}g}"


def fmt(value: Any, digits: int = DIGITS, *, brief: bool = False) -> str:
    """Short text for one value: numbers rounded, arrays summarized, strings as they are.

    ``brief`` summarizes an array by its size and range only (for one-line reprs).

    >>> fmt(1234.5678), fmt(float("inf")), fmt(3.0), fmt("adamw")
    ('1235', 'inf', '3', 'adamw')
    >>> fmt(np.linspace(0, 1, 101))
    '[0, 0.01, ..., 0.99, 1] (101 values, 0 to 1)'
    >>> fmt(np.linspace(0, 1, 101), brief=True)
    'array(101 values, 0 to 1)'
    """
    if value is None or isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {fmt(v, digits, brief=brief)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, np.ndarray | list | tuple):
        arr = np.asarray(value, dtype=object) if isinstance(value, list | tuple) else value
        if arr.ndim == 0:
            return fmt(arr.item(), digits)
        flat = arr.reshape(-1)
        if brief and (flat.size > MAX_ITEMS or arr.ndim > 1):
            shape = f"{flat.size} values" if arr.ndim == 1 else f"shape {arr.shape}"
            return f"array({shape}{_span(arr, flat, digits)})"
        if flat.size <= MAX_ITEMS and arr.ndim == 1:
            return "[" + ", ".join(fmt(v, digits) for v in flat) + "]"
        shape = f"{flat.size} values" if arr.ndim == 1 else f"shape {arr.shape}"
        if flat.size <= MAX_ITEMS:
            return "[" + ", ".join(fmt(v, digits) for v in flat) + f"] ({shape})"
        ends = ([fmt(v, digits) for v in flat[:EDGE]] + ["..."]
                + [fmt(v, digits) for v in flat[-EDGE:]])
        return "[" + ", ".join(ends) + f"] ({shape}{_span(arr, flat, digits)})"
    if isinstance(value, int | float | np.number | bool | np.bool_):
        return _number(value, digits)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _span(arr: np.ndarray, flat: np.ndarray, digits: int) -> str:
    """``", lo to hi"`` over the finite values of a numeric array (``""`` otherwise)."""
    if arr.dtype.kind not in "fiu":
        return ""
    finite = flat[np.isfinite(flat)]
    bad = flat.size - finite.size
    tail = f", {bad} not finite" if bad else ""
    if not finite.size:
        return tail
    return f", {fmt(finite.min(), digits)} to {fmt(finite.max(), digits)}{tail}"


def _short(note: str, limit: int = NOTE_CHARS) -> str:
    return note if len(note) <= limit else note[:limit - 3] + "..."


def record_repr(name: str, fields: Mapping[str, Any], notes: Sequence[str] = (),
                after: Mapping[str, Any] | None = None, limit: int = 1000) -> str:
    """``name(key=value, ..., notes=[...], ...after)``: rounded, at most ``limit`` characters.

    >>> record_repr("Point", {"x": 1 / 3, "y": float("inf")}, ["never"], {"extra": {"n": 2}})
    "Point(x=0.3333, y=inf, notes=['never'], extra={n: 2})"
    """
    def part(k: str, v: Any) -> str:
        return f"{k}={v!r}" if isinstance(v, str) else f"{k}={fmt(v, brief=True)}"

    parts = [part(k, v) for k, v in fields.items()]
    if notes:
        parts.append("notes=[" + ", ".join(repr(_short(n)) for n in notes) + "]")
    parts += [part(k, v) for k, v in (after or {}).items()]
    text = f"{name}(" + ", ".join(parts) + ")"
    if len(text) > limit:
        text = text[:limit - 5] + " ...)"
    return text


def _notes_html(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return f"<ul class='gd-notes'>{items}</ul>"


def record_html(title: str, fields: Mapping[str, Any], notes: Sequence[str] = (), *,
                subtitle: str = "", more: Mapping[str, Any] | None = None) -> str:
    """A titled table of ``fields`` (rounded), the notes as a list, ``more`` folded."""
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(fmt(v))}</td></tr>"
                   for k, v in fields.items())
    sub = f" <span>{html.escape(subtitle)}</span>" if subtitle else ""
    folded = ""
    if more:
        inner = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(fmt(v))}</td></tr>"
                        for k, v in more.items())
        folded = (f"<details><summary>{len(more)} more</summary>"
                  f"<table>{inner}</table></details>")
    return (f"{_CSS}<div class='grokdelay-repr'><strong>{html.escape(title)}</strong>{sub}"
            f"<table>{rows}</table>{folded}{_notes_html(notes)}</div>")


def split_constant(columns: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """``(varying, constant)``: columns whose values differ, and ``{name: value}`` of the rest."""
    varying: dict[str, np.ndarray] = {}
    constant: dict[str, Any] = {}
    for k, v in columns.items():
        arr = np.asarray(v)
        first = arr[0] if arr.size else None
        same = arr.size > 0 and all(_same(x, first) for x in arr.reshape(-1))
        if same and arr.size > 1:
            constant[k] = first.item() if isinstance(first, np.generic) else first
        else:
            varying[k] = arr
    return varying, constant


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) or (a != a and b != b)  # NaN equals NaN here
    except (TypeError, ValueError):
        return a is b


def _row_indices(n: int, max_rows: int) -> list[int | None]:
    if n <= max_rows:
        return list(range(n))
    half = max_rows // 2
    return list(range(half)) + [None] + list(range(n - half, n))


def table_html(columns: Mapping[str, Any], *, notes: Sequence[str] = (), title: str = "",
               max_rows: int = MAX_ROWS, fold_constant: bool = True) -> str:
    """An HTML table: rounded cells, constant columns folded into one line, notes below."""
    n = len(next(iter(columns.values()))) if columns else 0
    varying, constant = split_constant(columns) if fold_constant and n > 1 else (
        {k: np.asarray(v) for k, v in columns.items()}, {})
    head = "".join(f"<th>{html.escape(k)}</th>" for k in varying)
    body = []
    for i in _row_indices(n, max_rows):
        if i is None:
            body.append(f"<tr><td colspan='{len(varying)}'>... {n - 2 * (max_rows // 2)} "
                        "more rows ...</td></tr>")
        else:
            body.append("<tr>" + "".join(f"<td>{html.escape(fmt(v[i]))}</td>"
                                         for v in varying.values()) + "</tr>")
    const = ""
    if constant:
        const = ("<p class='gd-const'>constant: " + html.escape(
            ", ".join(f"{k} = {fmt(v)}" for k, v in constant.items())) + "</p>")
    top = f"<strong>{html.escape(title)}</strong>" if title else ""
    return (f"{_CSS}<div class='grokdelay-repr'>{top}<table><tr>{head}</tr>{''.join(body)}"
            f"</table>{const}{_notes_html(notes)}</div>")


def table_text(columns: Mapping[str, Any], *, notes: Sequence[str] = (), title: str = "",
               max_rows: int = 10) -> str:
    """The table as fixed-width text: varying columns, then the constant ones, then notes."""
    n = len(next(iter(columns.values()))) if columns else 0
    varying, constant = split_constant(columns) if n > 1 else (
        {k: np.asarray(v) for k, v in columns.items()}, {})
    cells = {k: [("..." if i is None else fmt(v[i])) for i in _row_indices(n, max_rows)]
             for k, v in varying.items()}
    widths = {k: max([len(k)] + [len(c) for c in col]) for k, col in cells.items()}
    lines = [title] if title else []
    if cells:
        lines.append("  ".join(k.rjust(widths[k]) for k in cells))
        for r in range(len(next(iter(cells.values())))):
            lines.append("  ".join(cells[k][r].rjust(widths[k]) for k in cells))
    if constant:
        lines.append("constant: " + ", ".join(f"{k} = {fmt(v)}" for k, v in constant.items()))
    lines += [f"note: {_short(s)}" for s in _head(notes, 5)]
    if len(notes) > 5:
        lines.append(f"... and {len(notes) - 5} more notes")
    return "\n".join(lines)


def _head(items: Iterable[str], k: int) -> list[str]:
    return list(items)[:k]

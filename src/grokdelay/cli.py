"""The ``grokdelay`` shell command.

::

    grokdelay predict MECHANISM --field-name VALUE ... [--method M] [--json]
    grokdelay mechanisms
    grokdelay compare [--plot FILE] [--json] [--elasticities]

Values: a number (``0.5``), a comma-separated list for an array (``0.1,0.5,0.9``), JSON for
nested data (``'[[8,0],[0,3]]'``), ``none`` for an optional field left unset, or a word for
a choice field (``adamw``). A bad value exits with status 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._core import REQUIRED, ParameterError, mechanisms, predict_delay


def _parse_value(text: str) -> Any:
    t = text.strip()
    if t.lower() == "none":
        return None
    if t.lower() in ("inf", "+inf", "infinity"):
        return math.inf
    try:
        return json.loads(t)
    except ValueError:
        pass
    if "," in t:
        parts = [p for p in t.split(",") if p.strip()]
        try:
            return [float(p) for p in parts]
        except ValueError:
            return parts
    try:
        return float(t)
    except ValueError:
        return t


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _default_text(default: Any) -> str:
    return "required" if default is REQUIRED else f"default {default!r}"


def _escape(text: str) -> str:
    """argparse %-formats help strings; a literal % in a field's doc must be doubled."""
    return text.replace("%", "%%")


def _predict_parser(sub: argparse._SubParsersAction) -> None:
    for name, cls in mechanisms().items():
        p = sub.add_parser(name, help=_escape((cls.__doc__ or "").strip().splitlines()[0]),
                           description=f"Predict the grokking delay of the {name} mechanism.")
        for field, (spec, default) in cls.field_specs().items():
            p.add_argument(_flag(field), dest=field, metavar=spec.symbol.upper() if
                           spec.symbol.isascii() and spec.symbol.isalnum() else "VALUE",
                           help=_escape(f"{spec.doc}; domain {spec.domain}; "
                                        f"{_default_text(default)}"))
        p.add_argument("--method", default=None,
                       help=_escape("one of: " + ", ".join(f"{k} ({v})"
                                                           for k, v in cls.methods.items())
                                    + f"; default {cls.default_method}"))
        p.add_argument("--json", action="store_true", help="print one JSON object")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grokdelay",
        description="Closed-form predictions of the grokking delay t_grok - t_mem.")
    sub = parser.add_subparsers(dest="command", required=True)
    pred = sub.add_parser("predict", help="predict the delay of one mechanism")
    _predict_parser(pred.add_subparsers(dest="mechanism", required=True, metavar="MECHANISM"))
    mech = sub.add_parser("mechanisms", help="list mechanisms, their fields and methods")
    mech.add_argument("--json", action="store_true")
    comp = sub.add_parser("compare", help="every mechanism on the default scenario, side by side")
    comp.add_argument("--plot", metavar="FILE", help="also write a log-scale chart (PNG)")
    comp.add_argument("--json", action="store_true", help="print a JSON list")
    comp.add_argument("--elasticities", action="store_true",
                      help="also print d log(delay) / d log(field) for each field")
    return parser


def _fmt_num(x: Any) -> str:
    if np.ndim(x):
        return np.array2string(np.asarray(x), precision=6, threshold=8)
    x = float(x)
    return "inf" if math.isinf(x) and x > 0 else f"{x:.6g}"


def _cmd_predict(args: argparse.Namespace) -> int:
    cls = mechanisms()[args.mechanism]
    fields = {}
    for field in cls.field_specs():
        raw = getattr(args, field)
        if raw is not None:
            fields[field] = _parse_value(raw)
    mapping = {"mechanism": args.mechanism, **fields}
    pred = predict_delay(mapping, method=args.method)
    if args.json:
        print(json.dumps(pred.to_dict()))
    else:
        print(pred)
    return 0


def _cmd_mechanisms(args: argparse.Namespace) -> int:
    reg = mechanisms()
    if args.json:
        out = {name: {"class": cls.__name__,
                      "fields": {f: {"symbol": s.symbol, "domain": str(s.domain), "doc": s.doc,
                                     "default": None if d is REQUIRED else d}
                                 for f, (s, d) in cls.field_specs().items()},
                      "methods": cls.methods, "default_method": cls.default_method}
               for name, cls in reg.items()}
        print(json.dumps(out, indent=1, default=str))
        return 0
    for name, cls in reg.items():
        print(f"{name}  ({cls.__name__}): {(cls.__doc__ or '').strip().splitlines()[0]}")
        for field, (spec, default) in cls.field_specs().items():
            print(f"    {_flag(field):24s} {spec.symbol:>8s} in {str(spec.domain):18s} "
                  f"{_default_text(default):16s} {spec.doc}")
        for m, summary in cls.methods.items():
            star = "*" if m == cls.default_method else " "
            print(f"    method {star}{m}: {summary}")
        print()
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare, format_table, plot_comparison

    rows = compare()
    if args.json:
        out = [r.to_dict() for r in rows]
        if args.elasticities:
            from .sensitivity import elasticities

            for d, r in zip(out, rows):
                d["elasticities"] = {f: float(e.value) if math.isfinite(e.value) else "inf"
                                     for f, e in elasticities(r).items()}
        print(json.dumps(out, indent=1))
    else:
        print(format_table(rows))
        if args.elasticities:
            from .sensitivity import format_elasticities

            print("\n" + format_elasticities(rows))
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        ax = plot_comparison(rows)
        ax.figure.savefig(args.plot, dpi=120, bbox_inches="tight")
        plt.close(ax.figure)
        if not args.json:
            print(f"\nchart written to {args.plot}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "predict":
            return _cmd_predict(args)
        if args.command == "mechanisms":
            return _cmd_mechanisms(args)
        return _cmd_compare(args)
    except ParameterError as exc:
        print(f"grokdelay: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

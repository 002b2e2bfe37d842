"""The ``grokdelay`` shell command.

::

    grokdelay predict MECHANISM --field-name VALUE ... [--method M] [--json]
    grokdelay mechanisms
    grokdelay compare [--plot FILE] [--json] [--elasticities]

Values: a number (``0.5``), a comma-separated list for an array (``0.1,0.5,0.9``), JSON for
nested data (``'[[8,0],[0,3]]'``), ``none`` for an optional field left unset, or a word for
a choice field (``adamw``). A value may start with ``-`` (``--hessian-saddle -4,2``,
``--gap-initial -inf``). Flags are never abbreviated; an unknown mechanism, method or flag
gets the closest name as a suggestion.

Every error (a bad value, a usage mistake, an unwritable ``--plot`` path, an internal
error) is one line on stderr and exit status 2, never a traceback. ``--json`` output is
strict JSON (RFC 8259): infinities are the strings ``"inf"`` and ``"-inf"``, as in
``to_dict()``. Output piped into ``head`` ends quietly.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._core import REQUIRED, ParameterError, jsonable, mechanisms, predict_delay


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


class _Parser(argparse.ArgumentParser):
    """argparse with no prefix abbreviations and one-line errors that suggest a close name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        unknown = _unknown_flag(self)
        if unknown and "unrecognized arguments" not in message:
            message = f"unrecognized arguments: {unknown}"   # the root cause, not its effect
        hint = _suggestion(self, message)
        print(f"{self.prog}: error: {message}{hint} (see {self.prog} --help)",
              file=sys.stderr)
        raise SystemExit(2)


#: The command line being parsed (for error messages that name an unknown flag).
_ARGV: list[str] = []


def _unknown_flag(parser: argparse.ArgumentParser) -> str:
    flags = {o for a in parser._actions for o in a.option_strings}
    if not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
        for tok in _ARGV:
            if tok.startswith("--") and len(tok) > 2 and tok.split("=")[0] not in flags:
                return tok.split("=")[0]
    return ""


def _suggestion(parser: argparse.ArgumentParser, message: str) -> str:
    """" (did you mean ...?)" for an invalid choice or an unrecognized flag."""
    words: list[str] = []
    if "invalid choice:" in message:
        bad = message.split("invalid choice:", 1)[1].split("(")[0].strip().strip("'\"")
        for action in parser._actions:
            if action.choices:
                words = list(action.choices)
        close = difflib.get_close_matches(bad, words, n=1, cutoff=0.5)
        return f" (did you mean {close[0]!r}?)" if close else ""
    if "unrecognized arguments:" in message:
        bad = message.split("unrecognized arguments:", 1)[1].split()
        flags = _command_flags(parser)
        for b in bad:
            if b.startswith("-"):
                close = _closest_flag(b.split("=")[0], flags)
                if close:
                    return f" (did you mean {close}?)"
    return ""


def _command_flags(parser: argparse.ArgumentParser) -> list[str]:
    """The flags of the subcommand the command line names (all of them if it names none)."""
    flags = [o for a in parser._actions for o in a.option_strings]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            named = [c for name, c in action.choices.items() if name in _ARGV]
            for child in named or action.choices.values():
                flags += _command_flags(child)
    return list(dict.fromkeys(flags))


def _closest_flag(bad: str, flags: list[str]) -> str:
    """A flag the typo is a prefix of (the abbreviation argparse no longer expands), else the
    closest by spelling."""
    prefixed = [f for f in flags if f.startswith(bad) and len(bad) > 2]
    if len(prefixed) == 1:
        return prefixed[0]
    close = difflib.get_close_matches(bad, prefixed or flags, n=1, cutoff=0.6)
    return close[0] if close else ""


def _predict_parser(sub: argparse._SubParsersAction) -> None:
    for name, cls in mechanisms().items():
        p = sub.add_parser(name, help=_escape((cls.__doc__ or "").strip().splitlines()[0]),
                           description=f"Predict the grokking delay of the {name} mechanism.")
        required = p.add_argument_group("required fields")
        optional = p.add_argument_group("optional fields (defaults shown)")
        for field, (spec, default) in cls.field_specs().items():
            group = required if default is REQUIRED else optional
            group.add_argument(_flag(field), dest=field, required=default is REQUIRED,
                               metavar=spec.symbol.upper() if
                               spec.symbol.isascii() and spec.symbol.isalnum() else "VALUE",
                               help=_escape(f"{spec.doc}; domain {spec.domain}; "
                                            f"{_default_text(default)}"))
        p.add_argument("--method", default=None,
                       help=_escape("one of: " + ", ".join(f"{k} ({v})"
                                                           for k, v in cls.methods.items())
                                    + f"; default {cls.default_method}"))
        p.add_argument("--json", action="store_true", help="print one JSON object")


def _version() -> str:
    import importlib

    return f"grokdelay {importlib.import_module('grokdelay').__version__}"


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="grokdelay",
        description="Closed-form predictions of the grokking delay t_grok - t_mem.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    pred = sub.add_parser("predict", help="predict the delay of one mechanism")
    _predict_parser(pred.add_subparsers(dest="mechanism", required=True, metavar="MECHANISM",
                                        parser_class=_Parser))
    mech = sub.add_parser("mechanisms", help="list mechanisms, their fields and methods")
    mech.add_argument("--json", action="store_true")
    comp = sub.add_parser("compare", help="every mechanism on the default scenario, side by side")
    comp.add_argument("--plot", metavar="FILE", help="also write a log-scale chart (PNG)")
    comp.add_argument("--json", action="store_true",
                      help="print one JSON object: the predictions and the observed run")
    comp.add_argument("--elasticities", action="store_true",
                      help="also print d log(delay) / d log(field) for each field")
    return parser


def _value_options(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string, in any subcommand, that takes a value."""
    out: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                out |= _value_options(child)
        elif action.option_strings and action.nargs != 0:
            out |= set(action.option_strings)
    return out


def _attach_dash_values(argv: list[str], value_options: set[str]) -> list[str]:
    """``--flag -4,2`` -> ``--flag=-4,2``: argparse takes a value starting with '-' for a flag
    unless it looks like one plain negative number."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            out += argv[i:]
            break
        if (tok in value_options and i + 1 < len(argv) and argv[i + 1].startswith("-")
                and argv[i + 1] not in value_options and argv[i + 1] != "--"):
            out.append(f"{tok}={argv[i + 1]}")
            i += 2
            continue
        out.append(tok)
        i += 1
    return out


def _dumps(obj: Any, **kwargs: Any) -> str:
    """Strict JSON: non-finite floats as the strings "inf" / "-inf" (NaN is refused)."""
    return json.dumps(_strict(obj), allow_nan=False, **kwargs)


def _strict(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _strict(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_strict(v) for v in obj]
    return jsonable(obj)


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
        print(_dumps(pred.to_dict()))
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
        print(_dumps(out, indent=1, default=str))
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


def _compare_json(rows: list) -> dict[str, Any]:
    """``compare --json``: the scenario, one object per prediction, and the observed run."""
    from .compare import OBSERVED

    observed = dict(OBSERVED)
    observed["log_delay"] = math.log(observed["delay"])
    observed["units"] = "steps"
    observed["source"] = ("Analytical Proof notes, section 4.1 and table 4.1 (full batch: "
                          "epochs are steps)")
    return {"predictions": [r.to_dict() for r in rows], "observed": observed}


def _cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare, format_table, plot_comparison

    rows = compare()
    if args.json:
        out = _compare_json(rows)
        if args.elasticities:
            from .sensitivity import elasticities

            for d, r in zip(out["predictions"], rows):
                d["elasticities"] = {f: float(e.value) for f, e in elasticities(r).items()}
        print(_dumps(out, indent=1))
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
        try:
            ax.figure.savefig(args.plot, dpi=120, bbox_inches="tight")
        except (OSError, ValueError) as exc:
            raise ParameterError(f"--plot {args.plot!r} cannot be written: {exc}",
                                 "plot") from None
        finally:
            plt.close(ax.figure)
        if not args.json:
            print(f"\nchart written to {args.plot}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    _ARGV[:] = argv
    args = parser.parse_args(_attach_dash_values(argv, _value_options(parser)))
    try:
        if args.command == "predict":
            return _cmd_predict(args)
        if args.command == "mechanisms":
            return _cmd_mechanisms(args)
        return _cmd_compare(args)
    except ParameterError as exc:
        print(f"grokdelay: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader (head, less) went away: stop quietly, and keep the interpreter's final
        # flush of stdout from raising again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - the shell never shows a traceback
        print(f"grokdelay: internal error: {type(exc).__name__}: {_one_line(exc)} (please "
              "report it with the command line)", file=sys.stderr)
        return 2


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Field declarations and the errors and warnings of the library (the bottom of the core).

:func:`param` declares a parameter field once (symbol, domain, one-line meaning);
:func:`validate_field` checks a value against that declaration and raises the one
:class:`ParameterError` message format. :func:`warn` emits a warning attributed to the
user's line, :func:`moved_names` keeps a moved public name working with a deprecation, and
:func:`positive_array` validates the array arguments of public helpers, :func:`real_array`
and :func:`real_scalar` refuse what is not a real number (booleans, strings, bytes, complex,
ragged or object data) instead of letting numpy coerce it, and :func:`did_you_mean`
suggests the closest valid name. Everything here is re-exported by :mod:`grokdelay._core`.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import math
import os
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["ParameterError", "ArgumentTypeError", "GrokdelayWarning", "warn", "Interval",
           "Choice", "REQUIRED", "FieldSpec", "param", "validate_field", "decode_inf",
           "moved_names", "positive_array", "real_array", "real_scalar", "did_you_mean",
           "MAX_INTEGER"]


class ParameterError(ValueError):
    """An input outside its domain: the message names the field, the value and the domain."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field

    def __reduce__(self):
        # keep ``field`` through pickling (errors sent back by process pools and clusters)
        return (type(self), (str(self), self.field))


class ArgumentTypeError(ParameterError, TypeError):
    """An argument of the wrong type (``params`` neither a parameter object nor a mapping,
    a log where a Milestones belongs): a ParameterError naming it, and a TypeError."""


class GrokdelayWarning(UserWarning):
    """A valid input in a regime where a formula's assumptions are strained."""


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message: str, category: type[Warning] = GrokdelayWarning) -> None:
    """Emit a warning attributed to the first caller outside the grokdelay package.

    However deep inside the library the condition is found (a method called by
    ``predict_delay``, called by ``sweep``, called by a plot), the warning names the user's
    file and line, so filters by module work and the default filters show it. Python 3.12+
    uses ``skip_file_prefixes``; before that the stack level is counted by walking the frames.
    """
    if sys.version_info >= (3, 12):
        warnings.warn(message, category, skip_file_prefixes=(_PACKAGE_DIR,))
        return
    level, frame = 2, sys._getframe(1)      # stacklevel 2: the caller of warn()
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
            _PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


# --------------------------------------------------------------------------- domains


def _fmt(x: float) -> str:
    if x == math.inf:
        return "inf"
    if x == -math.inf:
        return "-inf"
    return f"{x:g}"


@dataclasses.dataclass(frozen=True)
class Interval:
    """A real interval, optionally restricted to integers.

    ``typical`` is a (lo, hi) range that hypothesis draws valid values from; it should
    cover the values a user would plausibly pass.
    """

    lo: float = -math.inf
    hi: float = math.inf
    lo_closed: bool = True
    hi_closed: bool = True
    integer: bool = False
    typical: tuple[float, float] | None = None
    allow_inf: bool = False

    def contains(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        lo_ok = (x >= self.lo) if self.lo_closed else (x > self.lo)
        hi_ok = (x <= self.hi) if self.hi_closed else (x < self.hi)
        ok = lo_ok & hi_ok & ~np.isnan(x)
        if not self.allow_inf:          # an infinite endpoint is a limit, not a value
            ok &= ~np.isinf(x)
        if self.integer:
            ok &= np.isfinite(x) & (np.floor(x) == x)
        return ok

    def holds(self, x: float) -> bool:
        """:meth:`contains` for one Python float, without numpy (the same tests)."""
        if not ((x >= self.lo) if self.lo_closed else (x > self.lo)):
            return False          # also NaN
        if not ((x <= self.hi) if self.hi_closed else (x < self.hi)):
            return False
        if not self.allow_inf and math.isinf(x):
            return False
        return not self.integer or (math.isfinite(x) and math.floor(x) == x)

    def __str__(self) -> str:
        if self.integer:
            if self.hi == math.inf:
                lo = math.ceil(self.lo) if self.lo_closed else math.floor(self.lo) + 1
                return f"integers >= {lo}"
            return f"integers in [{_fmt(self.lo)}, {_fmt(self.hi)}]"
        left = "[" if self.lo_closed and self.lo != -math.inf else "("
        right = "]" if self.hi_closed and (self.hi != math.inf or self.allow_inf) else ")"
        return f"{left}{_fmt(self.lo)}, {_fmt(self.hi)}{right}"

    def edges(self) -> list[float]:
        """Closed, finite endpoints: valid values on the domain's edge."""
        out = []
        if self.lo_closed and math.isfinite(self.lo):
            out.append(float(self.lo))
        if self.hi_closed and math.isfinite(self.hi):
            out.append(float(self.hi))
        return out

    def outside(self) -> list[float]:
        """Values just outside the domain (open endpoints and beyond)."""
        out = []
        if math.isfinite(self.lo):
            if not self.lo_closed:
                out.append(float(self.lo))
            out.append(float(self.lo) - max(1.0, abs(self.lo)))
        if math.isfinite(self.hi):
            if not self.hi_closed:
                out.append(float(self.hi))
            out.append(float(self.hi) + max(1.0, abs(self.hi)))
        elif not self.allow_inf:
            out.append(math.inf)
        if self.integer:
            base = self.lo if math.isfinite(self.lo) else 0.0
            out.append(base + 1.5)
        return out


@dataclasses.dataclass(frozen=True)
class Choice:
    """One of a fixed set of strings."""

    values: tuple[str, ...]

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


def did_you_mean(name: Any, choices: Any) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices`` to ``name``, else ``""``."""
    if not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


REQUIRED = dataclasses.MISSING


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """The declaration of one parameter field.

    kind:
      ``"scalar"``  a real number or array; broadcasts with the other scalar fields.
      ``"integer"`` an integer or integer array; broadcasts too.
      ``"choice"``  a string from ``domain.values``; never broadcast.
      ``"custom"``  anything else (a spectrum, a Hessian); validated and converted by
                    ``convert``; never broadcast.
    ``optional``: ``None`` is allowed and means "not given" (see ``doc``).
    ``examples`` / ``invalid_examples``: sample values for the conformance tests of
    ``custom`` fields (scalar fields are drawn from ``domain``).
    """

    symbol: str
    domain: Any
    doc: str
    kind: str = "scalar"
    optional: bool = False
    convert: Callable[[str, Any], Any] | None = None
    examples: tuple = ()
    invalid_examples: tuple = ()
    cli_help: str = ""

    @property
    def broadcasts(self) -> bool:
        return self.kind in ("scalar", "integer")


def param(
    symbol: str,
    domain: Any,
    doc: str,
    default: Any = REQUIRED,
    *,
    kind: str = "scalar",
    optional: bool = False,
    convert: Callable[[str, Any], Any] | None = None,
    examples: tuple = (),
    invalid_examples: tuple = (),
    cli_help: str = "",
) -> Any:
    """Declare a parameter field (use as a dataclass field default)."""
    spec = FieldSpec(symbol, domain, doc, kind, optional, convert, tuple(examples),
                     tuple(invalid_examples), cli_help)
    return dataclasses.field(default=default, metadata={"grokdelay": spec})


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return np.array2string(value, threshold=6, precision=6)
    return repr(value.item() if isinstance(value, np.generic | np.ndarray) else value)


_INF_WORDS = {"inf": math.inf, "+inf": math.inf, "infinity": math.inf, "-inf": -math.inf,
              "-infinity": -math.inf}


def decode_inf(value: Any) -> Any:
    """Undo the JSON form of ``to_dict``: the strings "inf" / "-inf" become floats."""
    if isinstance(value, str) and value.strip().lower() in _INF_WORDS:
        return _INF_WORDS[value.strip().lower()]
    if isinstance(value, list | tuple):
        return [decode_inf(v) for v in value]
    return value


#: Integer fields hold integers float64 represents exactly (beyond 2**53 they are not
#: integers any more once broadcast with the float fields).
MAX_INTEGER = 2 ** 53


def _not_a_number(name: str, spec: FieldSpec | None, value: Any, what: str) -> ParameterError:
    allowed = ("a real number (or an array of them)" if spec is None else
               f"a real number (or an array of them) in {spec.domain}: {spec.doc}")
    return ParameterError(f"{name} = {_short_repr(value)} is {what}; {name} must be {allowed}",
                          name)


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:60] + "..." + text[-12:]


def real_array(name: str, value: Any, spec: FieldSpec | None = None) -> np.ndarray:
    """``value`` as a float64 array, refusing what is not a real number.

    Booleans, strings, bytes, complex numbers, datetimes and ragged or object data are not
    silently coerced (numpy would read True as 1, b"1" as 1.0 and drop an imaginary part).
    """
    if isinstance(value, bool | np.bool_ | str | bytes | np.str_ | np.bytes_):
        raise _not_a_number(name, spec, value, "not a number")
    if isinstance(value, complex | np.complexfloating):
        raise _not_a_number(name, spec, value, "complex")
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        raise _not_a_number(name, spec, value, "not a number or array of numbers") from None
    if raw.dtype == object:
        # Python ints beyond int64, Fractions, Decimals, torch-like scalars: convert one by one
        flat = raw.ravel()
        for v in flat:
            if isinstance(v, bool | np.bool_ | str | bytes | complex | np.complexfloating) \
                    or v is None:
                raise _not_a_number(name, spec, value, f"not a numeric array (holds {v!r})")
        try:
            out = np.array([float(v) for v in flat], dtype=float).reshape(raw.shape)
        except OverflowError:
            raise ParameterError(
                f"{name} = {_short_repr(value)} is too large for a float64 (at most "
                f"{np.finfo(float).max:.6g})", name) from None
        except (TypeError, ValueError):
            raise _not_a_number(name, spec, value, "not a number or array of numbers") \
                from None
        return out
    kind = raw.dtype.kind
    if kind == "b":
        raise _not_a_number(name, spec, value, "boolean")
    if kind == "c":
        raise _not_a_number(name, spec, value, "complex")
    if kind not in "iuf":
        raise _not_a_number(name, spec, value, f"not numeric (dtype {raw.dtype})")
    with np.errstate(over="ignore"):          # float128 beyond float64 -> inf, caught below
        return raw.astype(float)


def real_scalar(name: str, value: Any) -> float:
    """One real number (a 0-d or one-element array is accepted) or a ParameterError naming it."""
    arr = real_array(name, value)
    if arr.size != 1:
        raise ParameterError(f"{name} = {_short_repr(value)} is not a single number", name)
    return float(arr.reshape(()))


def _plain_scalar(spec: FieldSpec, value: Any) -> Any:
    """The validated form of a plain Python float or int inside its domain, or None: then
    :func:`_convert_scalar`'s general path decides (and words any refusal)."""
    kind = type(value)
    if kind is int and abs(value) <= MAX_INTEGER:
        x = float(value)        # exact, as numpy's int64 -> float64
    elif kind is float:
        x = value
    else:
        return None
    if not isinstance(spec.domain, Interval) or not spec.domain.holds(x):
        return None
    if spec.kind == "integer":
        return int(x) if abs(x) <= MAX_INTEGER else None
    return x


def _convert_scalar(name: str, spec: FieldSpec, value: Any) -> Any:
    plain = _plain_scalar(spec, value)
    return _convert_general(name, spec, value) if plain is None else plain


def _convert_general(name: str, spec: FieldSpec, value: Any) -> Any:
    value = decode_inf(value)
    arr = real_array(name, value, spec)
    ok = spec.domain.contains(arr)
    if spec.kind == "integer":
        ok = ok & ~(np.abs(arr) > MAX_INTEGER)
    if not np.all(ok):
        bad = arr[~ok].ravel()[0] if arr.ndim else arr
        where = "" if arr.ndim == 0 else f" (in array of shape {arr.shape})"
        big = (spec.kind == "integer" and bool(np.isfinite(bad)) and abs(float(bad)) > MAX_INTEGER
               and bool(spec.domain.contains(bad)))
        limit = f" (integer fields are limited to 2**53 = {MAX_INTEGER})" if big else ""
        raise ParameterError(
            f"{name} = {_describe(np.asarray(bad))}{where} is outside its domain {spec.domain}"
            f"{limit}: {name} ({spec.symbol}) is {spec.doc}", name)
    if arr.ndim == 0:
        return int(arr) if spec.kind == "integer" else float(arr)
    arr = arr.astype(np.int64) if spec.kind == "integer" else np.array(arr, dtype=float)
    arr.setflags(write=False)
    return arr


def validate_field(name: str, spec: FieldSpec, value: Any) -> Any:
    if value is None:
        if spec.optional:
            return None
        raise ParameterError(f"{name} is required ({spec.symbol}: {spec.doc}); got None", name)
    if spec.kind in ("scalar", "integer"):
        return _convert_scalar(name, spec, value)
    if spec.kind == "choice":
        if not isinstance(value, str) or value not in spec.domain.values:
            raise ParameterError(f"{name} = {value!r} is not {spec.domain}: {spec.doc}", name)
        return value
    if spec.kind == "custom":
        if spec.convert is None:
            return value
        return spec.convert(name, value)
    raise TypeError(f"unknown field kind {spec.kind!r}")


# --------------------------------------------------------------------------- helpers


def moved_names(old_module: str, moves: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for names that moved: ``{old_name: "new.module:new_name"}``.

    The old name keeps working, with a ``DeprecationWarning`` naming the new home. The new
    module is imported on first access only, so a module below it in the layering does not
    import it.
    """

    def __getattr__(name: str) -> Any:
        target = moves.get(name)
        if target is None:
            raise AttributeError(f"module {old_module!r} has no attribute {name!r}")
        module, _, new = target.partition(":")
        warn(f"{old_module}.{name} is deprecated; use {module}.{new}", DeprecationWarning)
        return getattr(importlib.import_module(module), new)

    return __getattr__


def positive_array(name: str, value: Any, *, allow_zero: bool = False,
                   below_one: bool = False) -> np.ndarray:
    """A float array argument of a public helper in (0, inf), [0, inf), (0, 1) or [0, 1).

    NaN and inf are rejected; a ParameterError names the argument, the value and the domain.
    (Fields of a parameter object are checked by their declaration instead.)
    """
    arr = real_array(name, value)
    ok = np.isfinite(arr) & ((arr >= 0) if allow_zero else (arr > 0))
    if below_one:
        ok &= arr < 1
    if not np.all(ok):
        bad = arr[~ok].ravel()[0] if arr.ndim else arr
        dom = ("[0" if allow_zero else "(0") + (", 1)" if below_one else ", inf)")
        raise ParameterError(f"{name} = {float(bad)!r} is outside its domain {dom}", name)
    return arr

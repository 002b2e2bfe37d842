"""Declared arguments of the public helpers: one validator, named errors.

A helper declares what each argument may be, as a mechanism declares its fields::

    @arguments(norm_mem=positive(), gamma_eff=real(0, 1, lo_closed=False, hi_closed=False))
    def contraction_steps(norm_mem, norm_post, gamma_eff): ...

The wrapper converts every declared argument before the body runs (a real array as float64,
an integer as ``int``, a parameter object from its mapping form) and raises
:class:`~grokdelay.ParameterError` naming the argument, the value and what is allowed. No
bool, complex, bytes, string or ragged list is silently coerced (:func:`~grokdelay._core.real_array`).
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ._core import (ArgumentTypeError, Interval, ParameterError, Parameters, as_params,
                    real_array)

__all__ = ["arguments", "real", "positive", "integer", "series", "matrix", "labels",
           "check_labels", "params", "choice", "instance", "text", "mapping_or_sequence"]


class _Check:
    """One argument's declaration: ``convert(name, value) -> value`` plus its description."""

    def __init__(self, convert: Callable[[str, Any], Any], optional: bool = False,
                 broadcasts: bool = False):
        self.convert = convert
        self.optional = optional
        self.broadcasts = broadcasts      # an elementwise argument: shapes must broadcast


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:60] + "..." + text[-12:]


def _real(name: str, value: Any, dom: Interval, *, ndim: int | None = None,
          min_size: int = 0, nan_ok: bool = False, keep_scalar: bool = True) -> Any:
    arr = real_array(name, value)
    if ndim == 0 and arr.ndim:
        raise ParameterError(f"{name} has shape {arr.shape}; it must be a single number", name)
    if ndim is not None and arr.ndim != ndim:
        if not (ndim == 1 and arr.ndim == 0 and min_size <= 1):
            raise ParameterError(f"{name} has shape {arr.shape}; it must be a {ndim}-D array",
                                 name)
        arr = arr.reshape(1)
    if arr.size < min_size:
        raise ParameterError(f"{name} has {arr.size} entries; it needs at least {min_size}",
                             name)
    ok = dom.contains(arr) | (np.isnan(arr) if nan_ok else False)
    if not np.all(ok):
        bad = arr[~ok].ravel()[0] if arr.ndim else arr
        where = "" if arr.ndim == 0 else f" (in an array of shape {arr.shape})"
        raise ParameterError(f"{name} = {float(bad)!r}{where} is outside its domain {dom}",
                             name)
    if arr.ndim == 0 and keep_scalar:
        return float(arr)
    return arr


def real(lo: float = -math.inf, hi: float = math.inf, *, lo_closed: bool = True,
         hi_closed: bool = True, allow_inf: bool = False, optional: bool = False,
         nan_ok: bool = False, scalar: bool = False) -> _Check:
    """A real number or array of them in the interval (finite unless ``allow_inf``).

    With ``scalar``, one number only (returned as ``float``).
    """
    dom = Interval(lo, hi, lo_closed, hi_closed, allow_inf=allow_inf)
    ndim = 0 if scalar else None
    return _Check(lambda n, v: _real(n, v, dom, ndim=ndim, nan_ok=nan_ok), optional,
                  broadcasts=not scalar)


def positive(*, allow_zero: bool = False, allow_inf: bool = False, optional: bool = False,
             scalar: bool = False) -> _Check:
    """A real number or array in (0, inf) ([0, inf) with ``allow_zero``)."""
    return real(0.0, math.inf, lo_closed=allow_zero, hi_closed=allow_inf, allow_inf=allow_inf,
                optional=optional, scalar=scalar)


def series(lo: float = -math.inf, hi: float = math.inf, *, lo_closed: bool = True,
           hi_closed: bool = True, min_size: int = 1, nan_ok: bool = False,
           allow_inf: bool = False, optional: bool = False) -> _Check:
    """A 1-D array of reals (a time series, a list of rates), at least ``min_size`` long."""
    dom = Interval(lo, hi, lo_closed, hi_closed, allow_inf=allow_inf)
    return _Check(lambda n, v: _real(n, v, dom, ndim=1, min_size=min_size, nan_ok=nan_ok,
                                     keep_scalar=False), optional)


def matrix(*, square: bool = False, stack: bool = False, optional: bool = False) -> _Check:
    """A non-empty 2-D array of finite reals (with ``stack``, also a stack of them: ndim >= 2)."""
    def convert(name: str, value: Any) -> np.ndarray:
        if stack:
            arr = _real(name, value, Interval(), keep_scalar=False)
            if arr.ndim < 2 or arr.size == 0:
                raise ParameterError(f"{name} has shape {arr.shape}; it must be a non-empty "
                                     "matrix or a stack of matrices", name)
        else:
            arr = _real(name, value, Interval(), ndim=2, min_size=1, keep_scalar=False)
        if square and arr.shape[-2] != arr.shape[-1]:
            raise ParameterError(f"{name} has shape {arr.shape}; it must be a square matrix",
                                 name)
        return arr
    return _Check(convert, optional)


def labels(*, optional: bool = False) -> _Check:
    """A non-empty 1-D array of class indices (integers >= 0; integral floats are accepted)."""
    def convert(name: str, value: Any) -> np.ndarray:
        arr = _real(name, value, Interval(0, math.inf), ndim=1, min_size=1, keep_scalar=False)
        if not np.all(arr == np.floor(arr)) or np.any(arr >= 2.0 ** 53):
            bad = arr[(arr != np.floor(arr)) | (arr >= 2.0 ** 53)][0]
            raise ParameterError(f"{name} = {float(bad)!r} is not a class index (an integer "
                                 ">= 0)", name)
        return arr.astype(np.int64)
    return _Check(convert, optional)


def check_labels(logits: np.ndarray, labels: np.ndarray, *, logits_name: str = "logits",
                 labels_name: str = "labels") -> None:
    """Raise unless ``labels`` has one class index below ``logits.shape[1]`` per row."""
    n, k = logits.shape
    if labels.size != n:
        raise ParameterError(f"{labels_name} has {labels.size} entries but {logits_name} has "
                             f"{n} rows", labels_name)
    if labels.max() >= k:
        raise ParameterError(f"{labels_name} = {int(labels.max())} is not a class index: "
                             f"{logits_name} has {k} classes (columns)", labels_name)


def integer(lo: float = -math.inf, hi: float = math.inf, *, array: bool = False,
            optional: bool = False) -> _Check:
    """An integer (Python, numpy, a 0-d array or an integral float) in [lo, hi].

    With ``array``, an array of them (returned as float64, for helpers that broadcast).
    """
    dom = f"integers >= {lo:g}" if hi == math.inf else f"integers in [{lo:g}, {hi:g}]"

    def convert(name: str, value: Any) -> Any:
        if array:
            arr = real_array(name, value)
            bad = ~(np.isfinite(arr) & (arr == np.floor(arr)) & (arr >= lo) & (arr <= hi))
            if np.any(bad):
                x = arr[bad].ravel()[0] if arr.ndim else arr
                raise ParameterError(f"{name} = {float(x)!r} is outside its domain {dom}", name)
            return float(arr) if arr.ndim == 0 else arr
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        if isinstance(value, bool | np.bool_) or not isinstance(
                value, int | np.integer | float | np.floating):
            raise ParameterError(f"{name} = {_short(value)} is not an integer", name)
        if isinstance(value, float | np.floating) and not (math.isfinite(value)
                                                            and value == int(value)):
            raise ParameterError(f"{name} = {_short(value)} is not an integer", name)
        out = int(value)                  # exact, however large a Python int is
        if not (lo <= out <= hi):
            raise ParameterError(f"{name} = {_short(out)} is outside its domain {dom}", name)
        return out
    return _Check(convert, optional, broadcasts=array)


def _check_broadcast(shapes: dict[str, tuple[int, ...]]) -> None:
    """Raise naming the first elementwise argument whose shape does not broadcast."""
    seen: tuple[int, ...] = ()
    first = None
    for name, shape in shapes.items():
        try:
            seen = np.broadcast_shapes(seen, shape)
        except ValueError:
            raise ParameterError(f"{name} has shape {shape}, which does not broadcast with "
                                 f"{first} (shape {seen})", name) from None
        first = first or name


def params(*, optional: bool = False) -> _Check:
    """A parameter object of a registered mechanism, or its mapping form."""
    def convert(name: str, value: Any) -> Parameters:
        try:
            return as_params(value, name)
        except ParameterError as exc:
            if exc.field == name or name in str(exc):
                raise
            raise ParameterError(f"{name}: {exc}", exc.field or name) from None
    return _Check(convert, optional)


def choice(*values: str, optional: bool = False) -> _Check:
    def convert(name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in values:
            raise ParameterError(f"{name} = {_short(value)} is not one of "
                                 + ", ".join(repr(v) for v in values), name)
        return value
    return _Check(convert, optional)


def text(*, optional: bool = False) -> _Check:
    def convert(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise ParameterError(f"{name} = {_short(value)} is not a string", name)
        return value
    return _Check(convert, optional)


def instance(cls: type | tuple[type, ...], what: str, *, optional: bool = False) -> _Check:
    def convert(name: str, value: Any) -> Any:
        if not isinstance(value, cls):
            raise ArgumentTypeError(f"{name} = {_short(value)} is not {what}", name)
        return value
    return _Check(convert, optional)


def mapping_or_sequence(what: str) -> _Check:
    def convert(name: str, value: Any) -> Any:
        if isinstance(value, str | bytes) or not isinstance(value, Mapping | list | tuple):
            raise ParameterError(f"{name} = {_short(value)} is not {what}", name)
        return value
    return _Check(convert)


def arguments(**checks: _Check) -> Callable[[Callable], Callable]:
    """Validate and convert the declared arguments of a public helper (see the module doc)."""

    def deco(func: Callable) -> Callable:
        sig = inspect.signature(func)
        unknown = set(checks) - set(sig.parameters)
        if unknown:
            raise RuntimeError(f"{func.__qualname__} declares unknown arguments {unknown}")
        elementwise = [n for n, c in checks.items() if c.broadcasts]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = sig.bind(*args, **kwargs)     # a wrong arity stays a TypeError
            for name, check in checks.items():
                if name not in bound.arguments:
                    continue
                value = bound.arguments[name]
                if value is None and (check.optional
                                      or sig.parameters[name].default is None):
                    continue
                if value is None:
                    raise ParameterError(f"{name} is required; got None", name)
                bound.arguments[name] = check.convert(name, value)
            _check_broadcast({n: np.shape(bound.arguments[n]) for n in elementwise
                              if bound.arguments.get(n) is not None})
            return func(*bound.args, **bound.kwargs)

        return wrapper

    return deco

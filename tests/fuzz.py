"""Shared machinery of the fuzz suite (tests/test_fuzz*.py): edge values and output checks.

Everything is driven by the field declarations (``cls.field_specs()``): a registered
mechanism is fuzzed without opting in. The checks are the contract of API.md at the
extremes: a valid input gives a prediction without NaN, every inf and every negative delay
carries a note, ``delay``/``ratio``/``log_delay`` agree with ``t_mem``/``t_grok``, and the
only exception a user can see is ``ParameterError`` (naming a field).

``GROKDELAY_FUZZ=long`` (or ``pytest -m fuzz_long``) multiplies the budgets.
"""

from __future__ import annotations

import math
import os
import warnings

import numpy as np

import conformance as cf
import grokdelay as gd
from grokdelay._core import REQUIRED, Interval

#: Multiplier of the example budgets: 1 in the normal run, 20 with GROKDELAY_FUZZ=long.
SCALE = 20 if os.environ.get("GROKDELAY_FUZZ", "").lower() == "long" else 1

TINY = 5e-324                      # the smallest subnormal
BIG = np.finfo(float).max
LOG_MAX = math.log(BIG)            # log of the largest float64 (~709.78)

DECADES = [s * 10.0 ** e for e in range(-300, 301, 20) for s in (1.0, -1.0)]
SPECIAL = [0.0, -0.0, TINY, -TINY, 2.2250738585072014e-308, 1e-308 / 3, 1.0, -1.0, 0.5,
           BIG, -BIG, math.inf, -math.inf, math.nan, 2.0 ** 63, 2.0 ** 64 + 2 ** 12,
           1e308]
HUGE_INTS = [2 ** 63 - 1, 2 ** 63, 2 ** 64 + 1, 10 ** 30, 10 ** 400, -(2 ** 63) - 1]
WRONG_TYPES = [True, False, np.bool_(True), np.array([True, False]), b"1", "0.5", "abc",
               np.array(["0.5"]), 1 + 2j, np.complex128(0.5 + 0j), np.array([0.5 + 0.1j]),
               [[0.5], [0.5, 0.5]], {"a": 1}, object(), np.datetime64("2020-01-01"),
               np.timedelta64(3, "s"), [None], slice(1)]


def edge_values(dom: Interval) -> list:
    """Values at, just inside and around the edges of ``dom``, and across its decades."""
    out: list = list(DECADES) + list(SPECIAL) + list(HUGE_INTS)
    for end, closed, sign in ((dom.lo, dom.lo_closed, 1.0), (dom.hi, dom.hi_closed, -1.0)):
        if math.isfinite(end):
            inward = math.inf * sign
            out += [end, np.nextafter(end, inward), np.nextafter(end, -inward),
                    np.nextafter(np.nextafter(end, inward), inward), end + sign * 1e-12,
                    end + sign * 0.5]
    if dom.integer:
        out += [1, 2, 3, 7, 2 ** 31, 2 ** 53, 2 ** 53 + 1, 1e15, 1e16, 1e20]
    return out


def typical(cls) -> dict:
    """Keyword arguments of a cheap valid point (the first reference case when there is one)."""
    case = cf.first_cases().get(cls.name)
    if case is not None:
        kw = {k: v for k, v in case["params"].items() if k != "mechanism"}
        return kw
    p = cf.typical_params(cls)
    return {k: v for k, v in p.to_dict().items() if k != "mechanism"}


def scalar_fields(cls) -> list[str]:
    return [n for n, (s, _) in cls.field_specs().items() if s.kind in ("scalar", "integer")]


# --------------------------------------------------------------------------- calling

class Unexpected(AssertionError):
    """An exception other than ParameterError, or a contract violation."""


def call(params, method=None):
    """``predict_delay`` with every RuntimeWarning an error; ParameterError -> None."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", gd.GrokdelayWarning)
        try:
            return gd.predict_delay(params, method=method)
        except gd.ParameterError as exc:
            assert exc.field is None or isinstance(exc.field, str)
            assert str(exc), "an empty error message"
            return None
        except Exception as exc:  # noqa: BLE001 - the point of the fuzz
            raise Unexpected(f"{type(exc).__name__}: {exc} for {params!r} method={method!r}") \
                from exc


def build(cls, kw):
    """``cls(**kw)`` or None on ParameterError; any other exception is a defect."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            return cls(**kw)
        except gd.ParameterError as exc:
            assert exc.field is not None, f"ParameterError without a field: {exc}"
            assert exc.field in str(exc), f"message does not name {exc.field!r}: {exc}"
            return None
        except Exception as exc:  # noqa: BLE001
            raise Unexpected(f"{type(exc).__name__}: {exc} building {cls.__name__}({kw!r})") \
                from exc


# --------------------------------------------------------------------------- checks

def check(pred: gd.DelayPrediction, where: str = "") -> None:
    """The contract of one prediction, point by point."""
    with np.errstate(all="ignore"):
        _check(pred, where)


def _check(pred: gd.DelayPrediction, where: str) -> None:
    f = {k: np.asarray(getattr(pred, k), dtype=float) for k in gd.DelayPrediction.NUMERIC}
    tm, tg, d, r, ld = (f[k] for k in ("t_mem", "t_grok", "delay", "ratio", "log_delay"))
    ctx = f"{pred.mechanism}/{pred.method} {where}"
    for k, v in f.items():
        assert v.shape == pred.shape, (ctx, k, v.shape, pred.shape)
        assert not np.isnan(v).any(), f"{ctx}: NaN in {k}"
    assert np.all(tm >= 0) and np.all(tg >= 0), f"{ctx}: negative time {tm} {tg}"
    special = np.isinf(tm) | np.isinf(tg) | np.isinf(d) | np.isinf(r) | np.isinf(ld) | (d < 0)
    if special.any():
        assert pred.notes, f"{ctx}: inf or negative delay without a note"
    text = " ".join(pred.notes)
    # never fits => never groks (docs/conventions.rst)
    assert np.all(np.isinf(tg)[np.isinf(tm)]), f"{ctx}: t_mem = inf but t_grok finite"
    fin = np.isfinite(tm) & np.isfinite(tg)
    # delay = t_grok - t_mem: exact up to the rounding of the larger time (a method may
    # return the delay more accurately than the difference of two large times)
    scale = np.maximum(np.abs(tm), np.abs(tg))
    err = np.abs(np.where(fin, d - np.where(fin, tg - tm, 0.0), 0.0))
    # (a delay computed in log space carries the rounding of its log: |log| * eps relative)
    rel = 1e-15 * (8.0 + np.abs(np.log(np.where(fin & (scale > 0), scale, 1.0))))
    assert np.all(err <= rel * np.where(fin, scale, 0.0) + 1e-300), \
        f"{ctx}: delay != t_grok - t_mem: {d[fin]} vs {(tg - tm)[fin]}"
    overflowed = np.isinf(tg) & np.isinf(tm) & np.isfinite(d)
    if overflowed.any():   # both times beyond float64, the delay exact from log space
        assert "float64" in text, f"{ctx}: finite delay between inf times without a note"
    assert np.all((np.isinf(d) | overflowed)[np.isinf(tg)]), \
        f"{ctx}: t_grok = inf but finite delay"
    assert np.all(d[np.isinf(d)] > 0), f"{ctx}: delay = -inf"
    # an infinite delay with finite times would contradict delay = t_grok - t_mem
    assert not np.any(np.isinf(d) & fin), f"{ctx}: inf delay with finite times"
    # ratio = t_grok / t_mem
    pos = fin & (tm > 0)
    with np.errstate(over="ignore"):
        q = np.where(pos, tg / np.where(pos, tm, 1.0), 1.0)
    assert np.allclose(np.where(pos, r, 1.0), q, rtol=1e-12, atol=0), \
        f"{ctx}: ratio != t_grok / t_mem: {r} vs {q}"
    zero = fin & (tm == 0)
    assert np.all(np.where(zero, r == np.where(tg == 0, 1.0, np.inf), True)), \
        f"{ctx}: ratio at t_mem = 0"
    assert np.all(np.isinf(r)[np.isinf(tg) & ~overflowed]), \
        f"{ctx}: t_grok = inf but finite ratio"
    # log_delay: log(delay), to the precision of delay (a subnormal delay has few bits)
    dpos = np.isfinite(d) & (d > 0)
    dd = np.where(dpos, d, 1.0)
    tol = 1e-12 * np.maximum(1.0, np.abs(np.log(dd))) + 2.0 * TINY / dd
    assert np.all(np.abs(np.where(dpos, ld - np.log(dd), 0.0)) <= tol), \
        f"{ctx}: log_delay != log(delay): {ld} vs {np.log(dd)}"
    underflowed = (d == 0) & np.isfinite(ld)
    assert np.all(ld[underflowed] < math.log(TINY) + 1e-9), \
        f"{ctx}: finite log_delay {ld[underflowed]} for a zero delay that did not underflow"
    assert np.all(np.isneginf(ld) == ((d <= 0) & ~underflowed)), \
        f"{ctx}: log_delay = -inf exactly where delay <= 0: {ld} {d}"
    finite_log_inf_delay = np.isinf(d) & np.isfinite(ld)
    assert np.all(ld[finite_log_inf_delay] >= LOG_MAX - 1e-9), \
        f"{ctx}: finite log_delay {ld[finite_log_inf_delay]} for an inf delay that did not overflow"
    assert np.all(np.isinf(d)[np.isposinf(ld)]), f"{ctx}: log_delay = inf with a finite delay"
    for k in gd.DelayPrediction.NUMERIC:
        v = getattr(pred, k)
        if pred.shape == ():
            assert isinstance(v, float), f"{ctx}: scalar {k} is {type(v).__name__}"


def same(a: gd.DelayPrediction, b: gd.DelayPrediction, rtol: float = 1e-12) -> bool:
    """Numeric fields equal (inf == inf) to ``rtol``."""
    for k in gd.DelayPrediction.NUMERIC:
        x, y = np.asarray(getattr(a, k), float), np.asarray(getattr(b, k), float)
        if x.shape != y.shape:
            x, y = np.broadcast_arrays(x, y)
        if not np.all((x == y) | np.isclose(x, y, rtol=rtol, atol=0)):
            return False
    return True


def required_defaults(cls) -> dict:
    return {n: d for n, (s, d) in cls.field_specs().items() if d is not REQUIRED}

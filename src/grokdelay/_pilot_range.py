"""Where pilot runs tested a calibrated law: their hyperparameter ranges and span.

A calibration's constants are fitted on its pilots; the law's form carries a prediction
anywhere else. These helpers say where "anywhere else" begins: outside the pilots' range of a
hyperparameter, or off the line (plane) the pilots span when they vary several
hyperparameters only together. :meth:`grokdelay.Calibration.predict` refuses such points
unless asked to extrapolate, and notes them when it is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._core import NotApplicable

__all__ = ["RANGE_FIELDS", "EXTRAPOLATION_MAPE", "INTERPOLATION_MAPE", "SPAN_TOL", "outside",
           "pilot_span", "extrapolation_notes", "refuse_extrapolation", "span_text"]


#: The hyperparameters whose pilot range a prediction is checked against.
RANGE_FIELDS = ("learning_rate", "weight_decay", "init_scale", "train_fraction")

#: What benchmarks/real_runs.py measured on the reference MLP (4 pilots from 2 cells, every
#: choice of pilots; docs/predicting_runs.rst), quoted in the refusal and the notes: the mean
#: absolute percentage error on held-out runs outside and inside the pilots' range, over the
#: three laws.
EXTRAPOLATION_MAPE = "44-73%"
INTERPOLATION_MAPE = "14-22%"


def outside(ranges: Mapping[str, tuple[float, float]], F, skip: tuple[str, ...] = ()):
    """``[(field, n_outside, lo, hi, values)]`` for each hyperparameter with points outside the
    pilots' range (relative tolerance 1e-9; NaN, a value the point does not give, is not
    checked)."""
    out = []
    for k, (lo, hi) in ranges.items():
        if k in skip:
            continue
        v = np.asarray(F.get(k, math.nan), dtype=float)
        v = v[np.isfinite(v)]
        rel = 1e-9 * max(abs(lo), abs(hi), 1e-300)
        outside = (v < lo - rel) | (v > hi + rel)
        if np.any(outside):
            out.append((k, int(outside.sum()), lo, hi, v[outside]))
    return out


#: A direction in log-hyperparameter space along which the pilots' rms spread is below this
#: (5%) is one they did not vary: the power law's spanning rule uses the same threshold.
SPAN_TOL = 0.5 * math.log(1.1)


def pilot_span(F) -> dict[str, Any]:
    """The directions in log-hyperparameter space the pilots did not vary although they
    varied each coordinate: pilots from two cells that differ in both learning rate and weight
    decay test the law only along the line through them. Empty when there is none."""
    fields = [k for k in RANGE_FIELDS
              if np.all(np.isfinite(F[k])) and np.all(F[k] > 0)
              and np.ptp(np.log(F[k])) > math.log(1.1)]
    if len(fields) < 2:
        return {}
    X = np.column_stack([np.log(F[k]) for k in fields])
    mean = X.mean(axis=0)
    _, sv, vt = np.linalg.svd(X - mean, full_matrices=True)
    sv = np.concatenate([sv, np.zeros(len(fields) - len(sv))])
    null = vt[sv / math.sqrt(len(X)) <= SPAN_TOL]
    if not len(null):
        return {}
    return {"fields": tuple(fields), "mean": mean, "null": null}


def _off_span(span: Mapping[str, Any], F, skip: tuple[str, ...] = ()):
    """``(fields, n_points, largest factor)`` when points leave the pilots' span (else None)."""
    if not span or set(skip) & set(span["fields"]):
        return None
    cols = [np.asarray(F.get(k, math.nan), dtype=float) for k in span["fields"]]
    cols = np.broadcast_arrays(*cols)
    X = np.stack([np.log(np.where(c > 0, c, np.nan)).ravel() for c in cols], axis=-1)
    ok = np.all(np.isfinite(X), axis=-1)
    if not ok.any():
        return None
    dev = np.abs((X[ok] - span["mean"]) @ span["null"].T).max(axis=-1)
    off = dev > SPAN_TOL
    if not off.any():
        return None
    return span["fields"], int(off.sum()), float(math.exp(dev.max()))


def span_text(lo: float, hi: float) -> str:
    return f"value {lo:g}" if lo == hi else f"range {lo:g} to {hi:g}"


def _line_text(fields, n, factor) -> str:
    return (f"the pilots vary {' and '.join(fields)} only together, so the law was tested only "
            f"along the line through them; {n} point(s) lie off it (by up to a factor "
            f"{factor:.3g})")


def extrapolation_notes(ranges: Mapping[str, tuple[float, float]], F,
                        skip: tuple[str, ...] = (), span=None) -> list[str]:
    """A note per hyperparameter the prediction takes outside the pilots' range: the law's
    form is then the only thing carrying the prediction (no pilot tested it there)."""
    off = _off_span(span or {}, F, skip)
    line = [f"extrapolating off the pilots' line: {_line_text(*off)}"] if off else []
    return line + [
        f"extrapolating in {k}: {n} point(s) outside the pilots' {span_text(lo, hi)}; the "
        "interval assumes the law's form holds there, which no pilot tested (on the "
        f"reference MLP such predictions missed by {EXTRAPOLATION_MAPE} on average, and "
        "the delay is not even monotone in weight_decay)"
        for k, n, lo, hi, _ in outside(ranges, F, skip)]


def _extrapolation_refusal_tail() -> str:
    return ("The calibration tested the law only there; outside, the law's form alone carries "
            f"the number, and on the reference MLP such predictions missed by "
            f"{EXTRAPOLATION_MAPE} on average (inside: {INTERPOLATION_MAPE}). Add a pilot run "
            "there, or pass extrapolate=True to get the law's extrapolation with a note")


def refuse_extrapolation(mechanism: str, ranges, F, label: str,
                          skip: tuple[str, ...] = (), span=None) -> None:
    """NotApplicable naming the first hyperparameter outside the pilots' range (or the
    hyperparameters whose line through the pilots the point leaves)."""
    bad = outside(ranges, F, skip)
    if not bad:
        off = _off_span(span or {}, F, skip)
        if off:
            raise NotApplicable(f"{mechanism}: {label} is inside the pilots' ranges, but "
                                f"{_line_text(*off)}. " + _extrapolation_refusal_tail(),
                                off[0][0], mechanism)
        return
    k, n, lo, hi, vals = bad[0]
    shown = ", ".join(f"{x:g}" for x in vals[:3]) + (", ..." if len(vals) > 3 else "")
    others = "".join(f"; {kk} too ({nn} point(s) outside {span_text(a, b)})"
                     for kk, nn, a, b, _ in bad[1:])
    raise NotApplicable(
        f"{mechanism}: {label} has {k} = {shown}, outside the pilots' "
        f"{span_text(lo, hi)}{others}. "
        + _extrapolation_refusal_tail().replace("only there", "only inside the pilots' range"),
        k, mechanism)

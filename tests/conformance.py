"""Helpers for the registry-wide conformance suite: references and hypothesis strategies.

Everything is derived from the field declarations (``cls.field_specs()``), so a mechanism
joins the suite by being registered.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

import grokdelay as gd
from grokdelay._core import REQUIRED, Choice, Interval

REFERENCE_DIR = Path(__file__).parent / "references"


def load_references() -> dict[str, list[dict]]:
    """``{mechanism: CASES}`` from ``tests/references/*.py``."""
    out: dict[str, list[dict]] = {}
    for path in sorted(REFERENCE_DIR.glob("*.py")):
        if path.name.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"_gd_ref_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for case in mod.CASES:
            out.setdefault(case["params"]["mechanism"], []).append(case)
    return out


def first_cases() -> dict[str, dict]:
    """The first reference case of each registered mechanism: a cheap valid point
    (unlike some ``scenario()`` methods, which compute kernel spectra)."""
    return {name: cases[0] for name, cases in load_references().items()
            if name in gd.mechanisms()}


def typical_params(cls):
    """A valid point built from the field declarations alone: defaults, else the middle of
    the typical range (geometric for positive ranges), else the first custom example."""
    kw = {}
    for name, (spec, default) in cls.field_specs().items():
        if default is not REQUIRED:
            continue
        if spec.kind in ("scalar", "integer"):
            lo, hi = spec.domain.typical or (spec.domain.lo, spec.domain.hi)
            lo, hi = max(lo, -1e3), min(hi, 1e3)
            mid = math.sqrt(lo * hi) if lo > 0 else (lo + hi) / 2
            kw[name] = round(mid) if spec.kind == "integer" else mid
        elif spec.kind == "choice":
            kw[name] = spec.domain.values[0]
        else:
            kw[name] = spec.examples[0]
    return cls(**kw)


def typical_range(dom: Interval) -> tuple[float, float]:
    if dom.typical is not None:
        return dom.typical
    lo, hi = dom.lo, dom.hi
    if math.isfinite(lo) and math.isfinite(hi):
        return lo, hi
    if math.isfinite(lo):
        return (lo + 1e-3, lo + 1e3) if lo != 0 else (1e-3, 1e3)
    if math.isfinite(hi):
        return hi - 1e3, hi - 1e-3
    return -1e3, 1e3


def scalar_values(dom: Interval) -> st.SearchStrategy[float]:
    """Valid values: the typical range (log-uniform for positive ranges) and the edges."""
    lo, hi = typical_range(dom)
    if dom.integer:
        ilo = int(math.ceil(lo if dom.contains(math.ceil(lo)) else lo + 1))
        ihi = int(math.floor(hi))
        inner = st.integers(ilo, max(ilo, min(ihi, ilo + 50)))
    elif lo > 0 and hi / lo > 100:
        inner = st.floats(math.log(lo), math.log(hi)).map(math.exp)
    else:
        inner = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    inner = inner.filter(lambda x: bool(dom.contains(x)))
    edges = [e for e in dom.edges() if lo <= e <= hi]
    return st.one_of(inner, st.sampled_from(edges)) if edges else inner


def field_values(spec, default) -> st.SearchStrategy:
    if spec.kind in ("scalar", "integer"):
        s = scalar_values(spec.domain)
    elif spec.kind == "choice":
        s = st.sampled_from(list(spec.domain.values))
    elif spec.examples:
        s = st.sampled_from(list(spec.examples))
    elif default is not REQUIRED:
        s = st.just(default)
    else:
        raise AssertionError(f"custom field without examples: {spec}")
    if spec.optional:
        s = st.one_of(st.none(), s)
    if default is not REQUIRED:
        s = st.one_of(st.just(default), s)
    return s


def params_strategy(cls) -> st.SearchStrategy[dict]:
    """Field-wise valid keyword arguments for ``cls`` (cross-field checks may still fail)."""
    return st.fixed_dictionaries({name: field_values(spec, default)
                                  for name, (spec, default) in cls.field_specs().items()})


def invalid_values(spec) -> list:
    """Values outside a field's domain (NaN, beyond the ends, wrong type)."""
    if spec.kind in ("scalar", "integer"):
        dom = spec.domain
        return [math.nan, "abc", *dom.outside()]
    if spec.kind == "choice":
        return ["no-such-choice", 3.0]
    return list(spec.invalid_examples)


def numeric_fields(pred: gd.DelayPrediction) -> dict[str, np.ndarray]:
    return {k: np.asarray(getattr(pred, k), dtype=float) for k in gd.DelayPrediction.NUMERIC}


def mechanism_names() -> list[str]:
    return list(gd.mechanisms())


def is_choice(spec) -> bool:
    return isinstance(spec.domain, Choice)

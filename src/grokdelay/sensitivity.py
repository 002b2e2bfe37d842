r"""Elasticities: which knob moves the delay, and by how much.

:func:`elasticity` gives :math:`\partial\log(\text{of})/\partial\log(\text{field})` for a
prediction's ``delay``, ``t_mem`` or ``t_grok``: an elasticity of -1 for ``weight_decay``
means a 2x weight decay moves the delay by :math:`2^{-1}` = x0.5; in general a factor
:math:`c` moves it by about :math:`c^{E}`.

Exact where the method has a closed form (the symbolic log-derivative of the law in
:mod:`grokdelay._symbolic`, lambdified to numpy and cached), at every point where that law
is the prediction's branch (its value agrees with the prediction); elsewhere, and for the
methods without a closed form, a numerical derivative of the vectorized prediction: central
differences in :math:`\log(\text{field})` with one Richardson step (steps :math:`h` and
:math:`h/2`, :math:`h = 10^{-3}`, error :math:`O(h^4)`), one-sided second-order stencils
where the central one would leave the field's domain, all stencil points in one vectorized
call. Where the one-sided derivatives disagree the point is retried with a 16x smaller step;
if they still disagree the point is non-smooth (a kink of a ``max``, the edge of the
never-groks region) and the elasticity is ``inf`` with a note. Never NaN:

* ``of`` is ``inf`` (never groks) or 0 (no delay) at the point: ``inf``, with a note (there
  is no relative change to speak of);
* ``field`` is 0 (e.g. no weight decay) or an infinite limit (``hidden_width = inf``): 0,
  with a note (scaling it changes nothing);
* an integer step count (``"gradient_descent"``, ``"discrete"`` methods) is a step function
  of its fields: the elasticity is that of the unrounded count, with a note.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import _arguments as A
from ._core import (ArgumentTypeError, DelayPrediction, GrokdelayWarning, ParameterError,
                    Parameters, as_params, note_where, predict_delay, register_latex)

__all__ = ["elasticity", "Elasticity", "ElasticityFloat", "ElasticityArray", "elasticities",
           "format_elasticities"]

_OF = ("delay", "t_mem", "t_grok")


def _latex_params(params):
    from ._symbolic import latex_for_params   # sympy only when a notebook asks

    return latex_for_params(params)


def _latex_prediction(pred):
    from ._symbolic import latex_for_prediction

    return latex_for_prediction(pred)


register_latex(_latex_params, _latex_prediction)
_H = 1e-3          # log-space step: Richardson error ~h^4 |g^(5)|, rounding ~1e-15/h
_SMOOTH = 1e-5     # one-sided derivatives agreeing to this (relative) count as smooth
_AGREE = 1e-8      # a law is the prediction's branch where its log agrees to this


class Elasticity:
    """What :func:`elasticity` returns: the number (a ``float``, or an ``ndarray`` of the
    parameters' broadcast shape), carrying how it was got.

    It *is* the value: ``ElasticityFloat`` subclasses ``float`` and ``ElasticityArray``
    subclasses ``numpy.ndarray`` (arithmetic and ufuncs give plain floats and arrays), both
    subclass this class.

    Attributes
    ----------
    value : float or ndarray
        :math:`\\partial\\log(\\text{of})/\\partial\\log(\\text{field})` as a plain
        float or array; ``inf`` where it does not exist (see ``notes``).
    field, of, mechanism, method : str
    exact : bool or ndarray
        True where the value comes from the symbolic derivative of the closed form.
    notes : tuple of str
    """

    field: str
    of: str
    mechanism: str
    method: str
    exact: Any
    notes: tuple[str, ...]

    @property
    def value(self):
        return float(self) if isinstance(self, float) else np.asarray(self).view(np.ndarray)

    def factor(self, scale: float = 2.0):
        """The multiplicative change of ``of`` when ``field`` is multiplied by ``scale``,
        to first order in log(scale): ``scale ** value``."""
        with np.errstate(over="ignore"):
            out = np.power(float(scale), self.value)
        return float(out) if np.ndim(out) == 0 else out

    def _repr_html_(self) -> str:
        from ._html import record_html

        return record_html(f"d log({self.of}) / d log({self.field})",
                           {"elasticity": self.value, f"a 2x {self.field} moves {self.of} by x":
                            self.factor(2.0)}, self.notes,
                           subtitle=f"{self.mechanism} ({self.method})")

    def summary(self) -> str:
        """Multi-line description: the value, the doubling reading and the notes."""
        v = self.value
        head = (f"d log({self.of}) / d log({self.field}) = {float(v):.6g}" if np.ndim(v) == 0
                else f"d log({self.of}) / d log({self.field}) = {v}")
        lines = [f"{self.mechanism} ({self.method}): {head}"]
        if np.ndim(v) == 0 and math.isfinite(float(v)):
            factor = f"{2.0 ** float(v):.4g}" if abs(float(v)) < 1000 else f"2^{float(v):.6g}"
            lines.append(f"  a 2x {self.field} moves {self.of} by x{factor} (to first order)")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


class ElasticityFloat(Elasticity, float):
    """A scalar :class:`Elasticity`: a ``float``."""

    def __new__(cls, value, **meta):
        obj = float.__new__(cls, value)
        obj.__dict__.update(meta)
        return obj

    def __repr__(self) -> str:
        return f"Elasticity({float(self)!r}, field={self.field!r}, of={self.of!r})"


class ElasticityArray(Elasticity, np.ndarray):
    """An array :class:`Elasticity`: an ``ndarray`` (results of arithmetic are plain)."""

    def __new__(cls, value, **meta):
        obj = np.array(value, dtype=float).view(cls)
        obj.__dict__.update(meta)
        return obj

    def __array_finalize__(self, obj):
        if obj is not None:
            self.__dict__.update(getattr(obj, "__dict__", {}))

    def __array_wrap__(self, out, context=None, return_scalar=False):
        out = np.asarray(out).view(np.ndarray)
        return out[()] if return_scalar else out


def _log_of(pred: DelayPrediction, of: str) -> np.ndarray:
    """log of a prediction's quantity, finite where the quantity overflows float64."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if of == "delay":
            return np.asarray(pred.log_delay, dtype=float)
        t_mem = np.asarray(pred.t_mem, dtype=float)
        if of == "t_mem":
            return np.log(t_mem)
        t_grok = np.asarray(pred.t_grok, dtype=float)
        log_d = np.asarray(pred.log_delay, dtype=float)
        # t_grok overflows only where the delay does: log(t_mem + delay) from the logs
        big = np.isinf(t_grok) & np.isfinite(log_d) & np.isfinite(t_mem) & (
            np.asarray(pred.delay, dtype=float) > 0)
        return np.where(big, np.logaddexp(np.log(t_mem), log_d), np.log(t_grok))


def _resolve(obj: Any, method: str | None) -> tuple[Parameters, str, DelayPrediction | None]:
    """(params, registered method, the prediction to reuse) from what the user passed."""
    if isinstance(obj, DelayPrediction):
        if obj.params is None:
            raise ParameterError("this DelayPrediction has no params to differentiate",
                                 "params")
        params = obj.params
        base = obj.method
        if base not in type(params).methods:
            # a calibrated prediction rescales a method's delay by a constant; its delay has
            # that method's elasticity (see the docs: "Sensitivities")
            base = obj.extra.get("base_method") or _reproducing_method(obj)
            if base is None:
                raise ParameterError(
                    f"prediction method {obj.method!r} is not a method of {params.name}, its "
                    "extra has no 'base_method' naming the method it rescales, and no method "
                    "of its params reproduces its delay", "method")
        if method is not None and method != base:
            raise ParameterError(f"method = {method!r} contradicts the prediction's method "
                                 f"{base!r}", "method")
        return params, base, (obj if obj.method == base else None)
    if not isinstance(obj, Parameters | Mapping):
        inner = getattr(obj, "params", None)   # e.g. a calibration holding its parameters
        if isinstance(inner, Parameters):
            obj = inner
    params = as_params(obj, "elasticity")
    name = type(params).default_method if method is None else method
    if name not in type(params).methods:
        raise ParameterError(f"method = {name!r} is not a method of {params.name}; it has: "
                             + ", ".join(type(params).methods), "method")
    return params, name, None


def _reproducing_method(pred: DelayPrediction) -> str | None:
    """The method of ``pred.params`` whose log-delay is the prediction's (to 1e-9), if any:
    a calibrated prediction that carries its fitted parameters is that method's law."""
    for name in type(pred.params).methods:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", GrokdelayWarning)
                mine = predict_delay(pred.params, method=name).log_delay
        except ParameterError:
            continue
        with np.errstate(invalid="ignore"):
            same = np.isclose(mine, pred.log_delay, rtol=1e-9, atol=1e-12) | (
                np.asarray(mine) == np.asarray(pred.log_delay))
        if np.all(same):
            return name
    return None


def _check_field(params: Parameters, field: str) -> None:
    specs = type(params).field_specs()
    ok = [f for f, (s, _) in specs.items() if s.broadcasts and getattr(params, f) is not None]
    if field not in specs or field not in ok:
        why = ("is not a field of " + params.name) if field not in specs else (
            "is not given (None)" if getattr(params, field) is None else
            "is not a scalar field (no derivative in a spectrum or a Hessian)")
        raise ParameterError(f"field = {field!r} {why}; elasticity takes one of: "
                             + ", ".join(ok), "field")


@A.arguments(field=A.text())
def elasticity(params, field: str, *, method: str | None = None, of: str = "delay"
               ) -> Elasticity:
    r"""How much a prediction moves with one field: :math:`\partial\log(\text{of}) /
    \partial\log(\text{field})`.

    Parameters
    ----------
    params : Parameters, mapping or DelayPrediction
        What :func:`grokdelay.predict_delay` takes, or a prediction (its parameters and
        method are used). A prediction whose method is not one of the mechanism's (a
        calibrated one) names the method it rescales in ``extra["base_method"]``: a constant
        factor on the delay leaves the delay's elasticity unchanged, and ``t_grok``'s is
        taken with the prediction's own ``t_mem`` and ``delay``. Any object with a
        ``params`` attribute holding a parameter object is accepted too.
    field : str
        A scalar field of the mechanism (integer fields only where the method has a closed
        form, which treats them as real).
    method : str, optional
        As in :func:`~grokdelay.predict_delay`.
    of : {"delay", "t_mem", "t_grok"}

    Returns
    -------
    Elasticity
        The number itself: a ``float`` for scalar fields, else an ``ndarray`` of their
        broadcast shape, with ``.notes``, ``.exact`` (per point), ``.summary()`` and
        ``.factor(2)`` (the change for a doubled field) attached.

    Raises
    ------
    ParameterError
        An unknown or non-scalar field, an unknown method or ``of``, or an integer field
        of a method without a closed form.

    Examples
    --------
    >>> import grokdelay as gd
    >>> p = gd.NormSeparation(learning_rate=1e-3, weight_decay=1.0, norm_mem=10.0,
    ...                       norm_post=1.0)
    >>> round(gd.elasticity(p, "weight_decay", method="law"), 12)
    -1.0
    >>> round(gd.elasticity(p, "norm_mem", method="law"), 6)   # 1 / log(10)
    0.434294
    """
    if of not in _OF:
        raise ParameterError(f"of = {of!r} is not one of " + ", ".join(map(repr, _OF)), "of")
    obj = params
    params, name, given = _resolve(params, method)
    _check_field(params, field)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GrokdelayWarning)
        pred = given if given is not None else predict_delay(params, method=name)
    if isinstance(obj, DelayPrediction) and given is None and of == "t_grok":
        value, exact, notes = _rescaled_t_grok(obj, params, field, name, pred)
    else:
        value, exact, notes = _elasticity(params, field, name, of, pred)
    value = float(value) if np.ndim(value) == 0 else value
    exact = bool(exact) if np.ndim(exact) == 0 else exact
    meta = dict(field=field, of=of, mechanism=params.name, method=name, exact=exact,
                notes=tuple(dict.fromkeys(notes)))
    return ElasticityFloat(value, **meta) if np.ndim(value) == 0 else \
        ElasticityArray(value, **meta)


def _rescaled_t_grok(obj, params, field, name, pred):
    """t_grok = t_mem + C delay of a rescaled (calibrated) prediction: its own weights on the
    base method's elasticities of t_mem and of the delay (C drops out of the latter)."""
    e_mem, x_mem, n_mem = _elasticity(params, field, name, "t_mem", pred)
    e_del, x_del, n_del = _elasticity(params, field, name, "delay", pred)
    t_mem = np.asarray(obj.t_mem, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        w = np.exp(np.log(t_mem) - _log_of(obj, "t_grok"))      # t_mem / t_grok
        mixed = w * e_mem + (1.0 - w) * e_del
    delay = np.asarray(obj.delay, dtype=float)
    value = np.where(t_mem == 0, e_del, np.where(delay == 0, e_mem, mixed))
    value = np.where(np.isfinite(_log_of(obj, "t_grok")), value, np.inf)
    notes = [f"{obj.method} prediction: t_grok = t_mem + (its delay); elasticities of "
             f"t_mem and of the delay from method {name!r}"] + n_mem + n_del
    return value, x_mem & x_del, notes


def _elasticity(params, field, name, of, pred):
    shape = params.shape
    g0 = np.broadcast_to(_log_of(pred, of), shape)
    x = np.broadcast_to(np.asarray(getattr(params, field), dtype=float), shape)
    value = np.full(shape, np.nan)
    exact = np.zeros(shape, dtype=bool)
    notes: list[str] = []
    bad = ~np.isfinite(g0)
    notes += note_where(bad, f"{of} is inf or 0 at this point (never groks, never fits, or no "
                        "delay): no relative change, elasticity reported as inf")
    value[bad] = np.inf
    zero = ~bad & ((x == 0) | np.isinf(x))
    notes += note_where(zero & (x == 0), f"{field} = 0: scaling it changes nothing, "
                        "elasticity 0")
    notes += note_where(zero & np.isinf(x), f"{field} = inf (its limit): scaling it changes "
                        "nothing, elasticity 0")
    value[zero] = 0.0
    todo = np.isnan(value)
    if not todo.any():
        return value, exact, notes
    from ._symbolic import law_for

    law = law_for(params, name)
    spec = type(params).field_specs()[field][0]
    if law is not None and law.differentiable(field):
        ex, ok = _exact(params, law, field, of, g0)
        if of == "t_grok":
            # t_grok clipped to t_mem (no delay) is the other branch of a max: numerical there
            ok &= np.broadcast_to(np.asarray(pred.delay, dtype=float) != 0, shape)
        use = todo & ok
        value[use] = ex[use]
        exact |= use
        todo &= ~use
        if law.rounded and use.any():
            notes.append(f"method {name!r} counts integer steps (a step function of {field}): "
                         "elasticity of the unrounded count")
    if todo.any():
        if spec.kind == "integer":
            raise ParameterError(
                f"field = {field!r} is an integer field; method {name!r} has no closed form "
                "here to differentiate it in", "field")
        if law is not None and law.rounded:
            notes.append(f"method {name!r} counts integer steps: where its unrounded law is not "
                         "the prediction's branch the numerical derivative sees a step function")
        num, nnotes = _numerical(params, field, name, of, g0, x, todo)
        value[todo] = num[todo]
        notes += nnotes
    return value, exact, notes


def _exact(params, law, field, of, g0):
    a = params.broadcast()
    vals = law.values(params, a)
    with np.errstate(all="ignore"):
        log_law = np.broadcast_to(np.asarray(law.log_function(of)(*vals), dtype=float), g0.shape)
        ex = np.broadcast_to(np.asarray(law.elasticity_function(of, field)(*vals),
                                        dtype=float), g0.shape)
        diff = g0 - log_law
        if law.rounded:
            # the prediction is the first integer step at or after the law's value (t_mem and
            # t_grok), the delay a difference of two such counts: within one step of the law
            slack = np.log1p(1.0 / np.exp(np.minimum(log_law, 700.0))) + 1e-9
            ok = np.abs(diff) <= slack
        else:
            ok = np.abs(diff) <= _AGREE * np.maximum(1.0, np.abs(g0))
    ok &= np.isfinite(ex) & np.isfinite(log_law)
    return ex, ok


def _stencil(params, field, name, of, x, offsets):
    """log(of) at x * exp(offset) for each offset: array (len(offsets),) + shape, NaN where
    the perturbed point leaves the field's domain or the parameters' cross-field checks."""
    spec = type(params).field_specs()[field][0]
    shape = params.shape
    out = np.full((len(offsets),) + shape, np.nan)
    with np.errstate(over="ignore", under="ignore"):
        pts = x[None] * np.exp(np.asarray(offsets))[(slice(None),) + (None,) * len(shape)]
    inside = spec.domain.contains(pts)
    safe = np.where(inside, pts, x[None])
    try:
        rows = [(slice(None), safe)]
        _fill(params, field, name, of, rows, out, inside)
    except ParameterError:
        for i in range(len(offsets)):       # one offset's points break a cross-field check
            try:
                _fill(params, field, name, of, [(i, safe[i])], out, inside)
            except ParameterError:
                pass
    return out


def _fill(params, field, name, of, rows, out, inside):
    for idx, vals in rows:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GrokdelayWarning)
            p = params.replace(**{field: vals})
            g = _log_of(predict_delay(p, method=name), of)
        out[idx] = np.where(inside[idx], np.broadcast_to(g, out[idx].shape), np.nan)


def _derivatives(g0, s, h):
    """Central, forward and backward Richardson estimates from s at (-2h,-h,-h/2,h/2,h,2h)."""
    m2, m1, mh, ph, p1, p2 = s
    with np.errstate(invalid="ignore", over="ignore"):
        central = (4.0 * (ph - mh) / h - (p1 - m1) / (2.0 * h)) / 3.0
        f1 = (-3.0 * g0 + 4.0 * p1 - p2) / (2.0 * h)
        f2 = (-3.0 * g0 + 4.0 * ph - p1) / h
        b1 = (3.0 * g0 - 4.0 * m1 + m2) / (2.0 * h)
        b2 = (3.0 * g0 - 4.0 * mh + m1) / h
        fwd = (4.0 * f2 - f1) / 3.0
        bwd = (4.0 * b2 - b1) / 3.0
    fok = np.isfinite(fwd)
    bok = np.isfinite(bwd)
    return central, fwd, bwd, fok, bok


def _numerical(params, field, name, of, g0, x, todo):
    notes: list[str] = []
    value = np.full(g0.shape, np.inf)
    pending = todo.copy()
    for h in (_H, _H / 16.0):
        s = _stencil(params, field, name, of, x, (-2 * h, -h, -h / 2, h / 2, h, 2 * h))
        central, fwd, bwd, fok, bok = _derivatives(g0, s, h)
        both = fok & bok
        with np.errstate(invalid="ignore"):
            agree = both & (np.abs(fwd - bwd) <= _SMOOTH * (1.0 + np.abs(central)))
        done = pending & (agree | (fok ^ bok))
        est = np.where(agree, central, np.where(fok, fwd, bwd))
        value[done] = est[done]
        pending &= ~done
        last = (fwd, bwd, fok, bok)
        if not pending.any():
            break
    if pending.any():
        fwd, bwd, fok, bok = last
        kink = pending & fok & bok
        notes += note_where(kink, f"non-smooth point: the derivatives of log({of}) left and "
                            f"right of {field} differ (a kink of a max, or a regime boundary); "
                            "elasticity reported as inf")
        notes += note_where(pending & ~(fok & bok), f"no finite neighbour on either side of "
                            f"{field} (the edge of the never-groks region or of the domain); "
                            "elasticity reported as inf")
    return value, notes


def elasticities(pred: DelayPrediction, *, of: str = "delay") -> dict[str, Elasticity]:
    """``{field: Elasticity}`` of one prediction for each of its scalar fields that is given."""
    params = getattr(pred, "params", None)
    if not isinstance(params, Parameters):
        raise ArgumentTypeError(f"pred = {type(pred).__name__} is not a DelayPrediction (from "
                                "grokdelay.predict_delay)", "pred")
    out = {}
    for f, (spec, _) in type(params).field_specs().items():
        if spec.broadcasts and getattr(params, f) is not None:
            try:
                out[f] = elasticity(pred, f, of=of)
            except ParameterError:      # an integer field of a method without a closed form
                continue
    return out


def format_elasticities(rows: list[DelayPrediction], *, of: str = "delay") -> str:
    """Plain-text block of each prediction's elasticities (``grokdelay compare
    --elasticities``): which knob moves ``of`` and how much."""
    lines = [f"Elasticities d log({of}) / d log(field) (a 2x field moves {of} by 2^E; "
             "* exact from the closed form; inf: not a finite sensitivity, see the notes):"]
    for r in rows:
        es = elasticities(r, of=of)
        cells = []
        for f, e in es.items():
            v = float(e.value)
            cells.append(f"{f} {'inf' if math.isinf(v) else f'{v:.4g}'}{'*' if e.exact else ''}")
        lines.append(f"  {r.mechanism} ({r.method}): " + (", ".join(cells) or "no scalar field"))
    return "\n".join(lines)

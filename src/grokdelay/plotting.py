"""Figures: training curves with predicted milestones, delay sweeps, phase diagrams, the
mechanism comparison and the validity map of approximations.

Every function takes an optional matplotlib ``ax`` and returns the Axes it drew on; with
``ax=None`` it makes a new figure through ``matplotlib.pyplot`` (which picks a headless
backend when there is no display; call ``matplotlib.use("Agg")`` first to be sure).

Everything is generic over the registry: a parameter object of any mechanism, the names of
its fields, the names of its methods. Grids are evaluated by broadcasting (one
:func:`~grokdelay.predict_delay` call per grid), and fall back to row-by-row calls only
where a method raises :class:`~grokdelay.ParameterError` on part of the grid (a method used
outside the regime where it applies); such points are drawn as "not applicable".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._core import (DelayPrediction, ParameterError, Parameters, as_params, predict_delay,
                    require_fields, resolve_method)

__all__ = [
    "plot_curves",
    "plot_delay",
    "plot_phase_diagram",
    "plot_comparison",
    "plot_validity_map",
    "relative_error_grid",
    "predict_grid",
]

QUANTITIES = ("t_mem", "t_grok", "delay", "ratio")
_LN10 = math.log(10.0)
_NEVER = "#b2182b"   # never groks (inf)
_NA = "#bdbdbd"      # method not applicable


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(6.4, 4.2))
    return ax



def _check_quantity(quantity: str) -> str:
    if quantity not in QUANTITIES:
        raise ParameterError(f"quantity = {quantity!r} is not one of {', '.join(QUANTITIES)}",
                             "quantity")
    return quantity


def _log10_of(pred_like: Mapping[str, np.ndarray], quantity: str) -> np.ndarray:
    """log10 of a prediction quantity; the delay goes through log_delay (exact on overflow)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if quantity == "delay":
            return np.asarray(pred_like["log_delay"], dtype=float) / _LN10
        return np.log10(np.asarray(pred_like[quantity], dtype=float))


def _field_values(params: Parameters, field: str, values: Any) -> np.ndarray:
    require_fields(type(params), [field])
    specs = type(params).field_specs()
    spec = specs[field][0]
    if not spec.broadcasts:
        raise ParameterError(f"{field} is a {spec.kind} field of {params.name}; only scalar and "
                             "integer fields can be swept by broadcasting (use "
                             "grokdelay.sweep.sweep for the others)", field)
    if values is None:
        values = getattr(params, field)
    if values is None:
        raise ParameterError(f"{field} is None: give values to sweep", field)
    arr = np.asarray(values, dtype=float).reshape(-1)
    if arr.size < 2:
        raise ParameterError(f"{field} needs at least 2 values to draw, got {arr.size}", field)
    ok = spec.domain.contains(arr)
    if not np.all(ok):
        raise ParameterError(f"{field} = {arr[~ok][0]!r} is outside its domain {spec.domain}: "
                             f"{field} ({spec.symbol}) is {spec.doc}", field)
    return arr


def predict_grid(params: Parameters | Mapping[str, Any], method: str | None = None,
                 **axes: Any) -> dict[str, np.ndarray]:
    """Predict over the outer product of 1-D field grids, tolerating methods that refuse part
    of the grid.

    Parameters
    ----------
    params : Parameters or mapping
        The base point; the swept fields are replaced.
    method : str, optional
        Method name (default: the mechanism's default).
    **axes
        ``field=values`` 1-D grids of scalar or integer fields. The first grid varies along
        the last axis of the result (like ``x`` in ``meshgrid``), so with ``x=..., y=...``
        the arrays have shape ``(len(y), len(x))``.

    Returns
    -------
    dict
        ``t_mem``, ``t_grok``, ``delay``, ``ratio``, ``log_delay`` arrays of the grid shape;
        ``applicable`` (bool) is False where the method raised
        :class:`~grokdelay.ParameterError` (those entries are NaN here, an internal marker
        for plotting; predictions themselves never contain NaN); ``notes`` and ``units``.
    """
    base = as_params(params, "plotting")
    names = list(axes)
    vals = [_field_values(base, n, axes[n]) for n in names]
    k = len(names)
    rest = base.replace(**{n: float(v[0]) for n, v in zip(names, vals)})
    if rest.shape:
        arrays = [n for n, (s, _) in type(base).field_specs().items()
                  if s.broadcasts and n not in names and np.ndim(getattr(rest, n))]
        raise ParameterError(f"the fields not swept must be scalars to draw a grid over "
                             f"{', '.join(names)}; {', '.join(arrays)} is an array "
                             "(use grokdelay.sweep.sweep for tables over more fields)", arrays[0])
    shape = tuple(len(v) for v in reversed(vals))
    # first field on the last axis, second on the one before, ...
    grid = {n: v.reshape(tuple(-1 if ax == k - 1 - i else 1 for ax in range(k)))
            for i, (n, v) in enumerate(zip(names, vals))}
    out = {q: np.full(shape, np.nan) for q in ("t_mem", "t_grok", "delay", "ratio", "log_delay")}
    ok = np.zeros(shape, dtype=bool)
    notes: list[str] = []
    units: set[str] = set()

    def fill(index, changes):
        try:
            pred = predict_delay(base.replace(**changes), method=method)
        except ParameterError:
            return False
        for q in out:
            out[q][index] = np.broadcast_to(np.asarray(getattr(pred, q), dtype=float),
                                            out[q][index].shape)
        ok[index] = True
        notes.extend(pred.notes)
        units.add(pred.units)
        return True

    full = {n: np.broadcast_to(g, shape) for n, g in grid.items()}
    if not fill((Ellipsis,), grid):
        # row by row along the first axis, then point by point in failing rows
        for r in range(shape[0]):
            if fill((r,), {n: full[n][r] for n in names}):
                continue
            for idx in np.ndindex(shape[1:]):
                point = (r,) + idx
                fill(point, {n: float(full[n][point]) for n in names})
    if not ok.any():
        # the whole grid refused: show the user why
        predict_delay(base.replace(**{n: float(full[n].flat[0]) for n in names}), method=method)
    out["applicable"] = ok
    out["notes"] = tuple(dict.fromkeys(notes))
    out["units"] = sorted(units)
    return out


def _units_label(units: Sequence[str]) -> str:
    return "/".join(units) if units else "steps"


def _auto_scale(values: np.ndarray, scale: str | None) -> str:
    if scale is not None:
        return scale
    v = np.asarray(values, dtype=float)
    if np.all(v > 0) and v.max() / v.min() >= 50:
        return "log"
    return "linear"


# --------------------------------------------------------------------------- curves


def plot_curves(t, train, test, prediction: DelayPrediction | None = None, *,
                observed: Any = None, ax=None, xscale: str = "log", ylabel: str = "accuracy",
                train_label: str = "train", test_label: str = "test"):
    """Training and generalization curves with the predicted (and observed) milestones.

    Parameters
    ----------
    t : array_like, shape (n,)
        Times (optimizer steps, or the theory's time if ``prediction.units == "time"``).
    train, test : array_like, shape (n,)
        The curves (accuracies or losses).
    prediction : DelayPrediction, optional
        A scalar prediction; its ``t_mem`` and ``t_grok`` are drawn as vertical lines
        (a "never groks" label when ``t_grok`` is inf).
    observed : object with ``t_mem``, ``t_grok``, optional
        E.g. :class:`grokdelay.milestones.Milestones`; drawn as dotted lines.
    ax : matplotlib Axes, optional
    xscale : str
        ``"log"`` (default; non-positive times are dropped from the drawing) or ``"linear"``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, grokdelay as gd
    >>> from grokdelay.plotting import plot_curves
    >>> p = gd.predict_delay(gd.SpectralConditioning([1.0, 0.01], learning_rate=0.1))
    >>> t = np.logspace(0, 5, 200)
    >>> ax = plot_curves(t, 1 - np.exp(-0.1 * t), 1 - np.exp(-0.001 * t), p)
    >>> ax.get_xlabel()
    'step'
    """
    t = np.asarray(t, dtype=float).reshape(-1)
    curves = {"train": np.asarray(train, dtype=float).reshape(-1),
              "test": np.asarray(test, dtype=float).reshape(-1)}
    for name, c in curves.items():
        if c.shape != t.shape:
            raise ParameterError(f"{name} has {c.size} points but t has {t.size}", name)
    ax = _axes(ax)
    keep = t > 0 if xscale == "log" else np.ones(t.shape, bool)
    ax.plot(t[keep], curves["train"][keep], label=train_label, color="C0")
    ax.plot(t[keep], curves["test"][keep], label=test_label, color="C1")
    ax.set_xscale(xscale)
    units = "steps"
    if prediction is not None:
        if np.ndim(prediction.t_mem) != 0:
            raise ParameterError("plot_curves takes a scalar prediction; index an array "
                                 "prediction first (pred[i])", "prediction")
        units = prediction.units
        tag = f"{prediction.mechanism}"
        for q, color, style in (("t_mem", "C0", "--"), ("t_grok", "C1", "--")):
            v = float(prediction.__getattribute__(q))
            if math.isfinite(v) and (v > 0 or xscale != "log"):
                ax.axvline(v, color=color, ls=style, lw=1.2,
                           label=f"predicted {q} ({tag}) = {v:.3g}")
            else:
                what = "never groks" if q == "t_grok" else "never fits"
                if math.isfinite(v):
                    what = f"{q} = {v:g} (off the log axis)"
                ax.text(0.98, 0.04 if q == "t_mem" else 0.12, f"{tag}: {what}",
                        transform=ax.transAxes, ha="right", color=color, fontsize=8)
    if observed is not None:
        for q, color in (("t_mem", "C0"), ("t_grok", "C1")):
            v = float(getattr(observed, q))
            if math.isfinite(v) and (v > 0 or xscale != "log"):
                ax.axvline(v, color=color, ls=":", lw=1.2, label=f"observed {q} = {v:.3g}")
    ax.set_xlabel("step" if units == "steps" else "time (theory units)")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, loc="best")
    return ax


# --------------------------------------------------------------------------- sweeps


def _only_array_field(params: Parameters) -> str:
    arrays = [n for n, (s, _) in type(params).field_specs().items()
              if s.broadcasts and np.ndim(getattr(params, n)) > 0]
    if len(arrays) != 1:
        raise ParameterError(
            "plot_delay needs exactly one array field to sweep (or field= and values=); "
            f"array fields: {arrays or 'none'}", arrays[0] if arrays else None)
    return arrays[0]


def plot_delay(params: Parameters | Mapping[str, Any], field: str | None = None,
               values: Any = None, *, method: str | Sequence[str] | None = None,
               quantities: str | Sequence[str] = ("delay",), ax=None,
               xscale: str | None = None):
    """A prediction against one swept field, for any mechanism, by broadcasting.

    Parameters
    ----------
    params : Parameters or mapping
        The base point. Either ``field`` of it is a 1-D array (pass ``field`` or let it be
        found), or ``values`` gives the grid for ``field``.
    field : str, optional
        The swept scalar field; default: the one array-valued field of ``params``.
    values : array_like, optional
        The grid of ``field``.
    method : str or sequence of str, optional
        One method or several (one curve each); default the mechanism's default.
    quantities : str or sequence of str
        Any of ``"t_mem"``, ``"t_grok"``, ``"delay"``, ``"ratio"``.
    ax : matplotlib Axes, optional
    xscale : str, optional
        Default: log when the grid is positive and spans more than a factor 50.

    Returns
    -------
    matplotlib.axes.Axes
        Log-scale y axis; "never groks" (inf) points are marked along the top edge. If a
        delay overflows float64 the y axis shows log10 of the quantity instead (from the
        exact ``log_delay``).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, grokdelay as gd
    >>> from grokdelay.plotting import plot_delay
    >>> p = gd.SpectralConditioning([1.0, 0.01], learning_rate=np.logspace(-3, 0, 20))
    >>> plot_delay(p).get_ylabel()
    'delay [steps]'
    """
    base = as_params(params, "plotting")
    if field is None:
        field = _only_array_field(base)
    x = _field_values(base, field, values)
    qs = [quantities] if isinstance(quantities, str) else list(quantities)
    for q in qs:
        _check_quantity(q)
    methods = [method] if method is None or isinstance(method, str) else list(method)
    ax = _axes(ax)
    results = []
    for m in methods:
        res = predict_grid(base, m, **{field: x})
        if res["t_mem"].shape != (x.size,):
            raise ParameterError(f"the other fields of {base.name} must be scalars to plot "
                                 f"against {field}; prediction shape {res['t_mem'].shape}", field)
        results.append((m or type(base).default_method, res))
    logs = {(m, q): _log10_of(res, q) for m, res in results for q in qs}
    # overflow: a finite log with an infinite value -> draw log10 on a linear axis
    overflow = any(np.any(np.isfinite(logs[(m, q)]) & np.isinf(res[q]))
                   for m, res in results for q in qs)
    units = sorted({u for _, res in results for u in res["units"]})
    never_drawn = False
    na_drawn = False
    for i, (m, res) in enumerate(results):
        for j, q in enumerate(qs):
            color = f"C{(i * len(qs) + j) % 10}"
            y = logs[(m, q)] if overflow else np.asarray(res[q], dtype=float)
            label = q if len(methods) == 1 else f"{q} ({m})"
            finite = np.isfinite(y) & res["applicable"]
            if not overflow:
                finite &= y > 0
            ax.plot(x[finite], y[finite], "-", marker=".", ms=3, color=color, label=label)
            inf = res["applicable"] & np.isinf(np.asarray(res[q], dtype=float)) & ~(
                overflow & np.isfinite(logs[(m, q)]))
            if inf.any():
                ax.plot(x[inf], np.full(int(inf.sum()), 0.97), "^", color=_NEVER,
                        transform=ax.get_xaxis_transform(), clip_on=False,
                        label=None if never_drawn else "inf (never groks / never fits)")
                never_drawn = True
            if (~res["applicable"]).any():
                ax.plot(x[~res["applicable"]], np.full(int((~res["applicable"]).sum()), 0.03),
                        "x", color=_NA, transform=ax.get_xaxis_transform(), clip_on=False,
                        label=None if na_drawn else f"method {m} not applicable")
                na_drawn = True
    ax.set_xscale(_auto_scale(x, xscale))
    name = qs[0] if len(qs) == 1 else "time"
    if overflow:
        ax.set_ylabel(f"log10 {name} [{_units_label(units)}]")
    else:
        ax.set_yscale("log")
        ax.set_ylabel(f"{name} [{_units_label(units)}]" if name != "ratio" else "t_grok / t_mem")
    ax.set_xlabel(_field_label(base, field))
    ax.set_title(f"{base.name}", fontsize=10)
    ax.legend(fontsize=8)
    return ax


def _field_label(params: Parameters, field: str) -> str:
    spec = type(params).field_specs()[field][0]
    return f"{field} ({spec.symbol})" if spec.symbol and spec.symbol != field else field


def _two_fields(base: Parameters, x_field: str, y_field: str, x_values: Any, y_values: Any):
    if x_field == y_field:
        raise ParameterError(f"x_field and y_field are both {x_field!r}", "y_field")
    return _field_values(base, x_field, x_values), _field_values(base, y_field, y_values)


def _mesh(ax, x, y, z, cmap, **kw):
    return ax.pcolormesh(x, y, z, shading="nearest", cmap=cmap, **kw)


def _mark_cells(ax, x, y, mask, color, label, hatch=None):
    if not mask.any():
        return None
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    z = np.ma.masked_where(~mask, np.ones(mask.shape))
    _mesh(ax, x, y, z, ListedColormap([color]), vmin=0, vmax=1)
    return Patch(facecolor=color, hatch=hatch, label=label)


def plot_phase_diagram(params: Parameters | Mapping[str, Any], x_field: str, y_field: str,
                       x_values: Any = None, y_values: Any = None, *,
                       method: str | None = None, quantity: str = "delay", ax=None,
                       xscale: str | None = None, yscale: str | None = None,
                       cmap: str = "viridis"):
    """Two-parameter phase diagram: log10 of a prediction over a grid of two fields.

    The grid is built by broadcasting (``x`` along columns, ``y`` along rows, one call).
    Cells where the model never groks (inf) get their own color; cells where the method
    does not apply (it raised :class:`~grokdelay.ParameterError`) are grey.

    Parameters
    ----------
    params : Parameters or mapping
        The base point; ``x_field`` and ``y_field`` are replaced by the grid (if
        ``x_values``/``y_values`` are omitted the fields of ``params`` must be 1-D arrays).
    x_field, y_field : str
        Scalar or integer fields of the mechanism.
    method : str, optional
    quantity : {"delay", "t_mem", "t_grok", "ratio"}
        The colored quantity (log10; ``delay`` from the exact ``log_delay``).

    Returns
    -------
    matplotlib.axes.Axes
        With a colorbar labelled ``log10 <quantity> [units]``.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, grokdelay as gd
    >>> from grokdelay.plotting import plot_phase_diagram
    >>> p = gd.SpectralConditioning([1.0, 0.01], learning_rate=0.1)
    >>> ax = plot_phase_diagram(p, "learning_rate", "tolerance", np.logspace(-3, 0, 8),
    ...                         np.logspace(-6, -1, 6))
    >>> ax.get_xlabel()
    'learning_rate (eta)'
    """
    base = as_params(params, "plotting")
    _check_quantity(quantity)
    x, y = _two_fields(base, x_field, y_field, x_values, y_values)
    res = predict_grid(base, method, **{x_field: x, y_field: y})
    if res["t_mem"].shape != (y.size, x.size):
        raise ParameterError(f"the other fields of {base.name} must be scalars for a phase "
                             f"diagram; prediction shape {res['t_mem'].shape}", x_field)
    z = _log10_of(res, quantity)
    ok = res["applicable"]
    inf = ok & np.isinf(z) & (z > 0)
    good = ok & np.isfinite(z)
    ax = _axes(ax)
    mesh = _mesh(ax, x, y, np.ma.masked_where(~good, z), cmap)
    handles = [h for h in (
        _mark_cells(ax, x, y, inf, _NEVER, "inf (never groks)"),
        _mark_cells(ax, x, y, ~ok, _NA, "method not applicable"),
        _mark_cells(ax, x, y, ok & np.isinf(z) & (z < 0), "white", f"{quantity} = 0"),
    ) if h is not None]
    cb = ax.figure.colorbar(mesh, ax=ax)
    cb.set_label(f"log10 {quantity} [{_units_label(res['units'])}]"
                 if quantity != "ratio" else "log10 t_grok / t_mem")
    ax.set_xscale(_auto_scale(x, xscale))
    ax.set_yscale(_auto_scale(y, yscale))
    ax.set_xlabel(_field_label(base, x_field))
    ax.set_ylabel(_field_label(base, y_field))
    ax.set_title(f"{base.name} ({method or type(base).default_method})", fontsize=10)
    if handles:
        ax.legend(handles=handles, fontsize=8, loc="upper right")
    return ax


# --------------------------------------------------------------------------- comparison


def _fmt_time(value: float, log_value: float | None = None) -> str:
    if math.isinf(value):
        if log_value is not None and math.isfinite(log_value):
            return f"10^{log_value / _LN10:.1f}"
        return "inf"
    return f"{value:.3g}"


def plot_comparison(rows: Sequence[DelayPrediction], ax=None, *,
                    observed: Mapping[str, float] | Any = None):
    """Side-by-side mechanism comparison on a log scale.

    One horizontal line per prediction, from ``t_mem`` (circle) to ``t_grok`` (triangle),
    labelled with the delay and the ratio. Rows in the theory's continuous time
    (``units == "time"``) are drawn hollow and tagged ``[time]``: they are not optimizer
    steps and are not directly comparable with the others. An infinite ``t_grok`` ("never
    groks") is an arrow to the right edge; a delay that overflows float64 is labelled from
    the exact ``log_delay``; ``t_mem = 0`` sits at the left edge.

    Parameters
    ----------
    rows : sequence of DelayPrediction
        Scalar predictions (e.g. from :func:`grokdelay.compare.compare`).
    ax : matplotlib Axes, optional
    observed : mapping or object with ``t_mem``, ``t_grok``, optional
        An observed run (e.g. :data:`grokdelay.compare.OBSERVED` or a
        :class:`grokdelay.milestones.Milestones`), drawn as a black reference row and as
        dotted vertical lines.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import grokdelay as gd
    >>> from grokdelay.plotting import plot_comparison
    >>> rows = [gd.predict_delay(gd.SpectralConditioning([1.0, 0.01], learning_rate=0.1))]
    >>> plot_comparison(rows, observed={"t_mem": 200, "t_grok": 14600}).get_xscale()
    'log'
    """
    rows = list(rows)
    if not rows:
        raise ParameterError("plot_comparison needs at least one prediction", "rows")
    for r in rows:
        if not isinstance(r, DelayPrediction):
            raise TypeError(f"rows must be DelayPrediction objects, got {type(r).__name__}")
        if np.ndim(r.t_mem) != 0:
            raise ParameterError(f"{r.mechanism}: plot_comparison takes scalar predictions; "
                                 "index array predictions first", "rows")
    entries = []
    for r in rows:
        label = f"{r.mechanism} ({r.method})" + (" [time]" if r.units == "time" else "")
        entries.append((label, float(r.t_mem), float(r.t_grok), float(r.delay),
                        float(r.ratio), float(r.log_delay), r.units))
    if observed is not None:
        get = observed.get if isinstance(observed, Mapping) else (
            lambda k: getattr(observed, k))
        tm, tg = float(get("t_mem")), float(get("t_grok"))
        with np.errstate(divide="ignore", invalid="ignore"):
            d = tg - tm
            entries.append(("observed", tm, tg, d, tg / tm if tm > 0 else math.inf,
                            math.log(d) if d > 0 else -math.inf, "steps"))
    finite = [v for e in entries for v in (e[1], e[2]) if math.isfinite(v) and v > 0]
    lo = min(finite) if finite else 1.0
    hi = max(finite) if finite else 10.0
    left, right = lo / 10.0, hi * 10.0 if hi > lo else lo * 100.0
    ax = _axes(ax)
    n = len(entries)
    for i, (label, tm, tg, d, ratio, logd, units) in enumerate(entries):
        yv = n - 1 - i
        color = "k" if label == "observed" else f"C{i % 10}"
        face = "none" if units == "time" else color
        x0 = tm if (math.isfinite(tm) and tm > 0) else left
        if math.isinf(tm):
            ax.annotate("never fits (t_mem = inf)", (left, yv), xytext=(4, 4),
                        textcoords="offset points", fontsize=8, color=color)
            continue
        ax.plot([x0], [yv], "o", mfc=face, mec=color, color=color, ms=7)
        if math.isfinite(tg):
            ax.plot([x0, tg], [yv, yv], color=color, lw=2,
                    ls="--" if units == "time" else "-")
            ax.plot([tg], [yv], ">", mfc=face, mec=color, color=color, ms=8)
            text = f"delay {_fmt_time(d, logd)}, ratio {_fmt_time(ratio)}"
        else:
            ax.annotate("", xy=(right, yv), xytext=(x0, yv),
                        arrowprops={"arrowstyle": "->", "color": color, "lw": 2,
                                    "ls": "--" if units == "time" else "-"})
            text = ("delay " + _fmt_time(d, logd) if math.isfinite(logd)
                    else "never groks (t_grok = inf)")
        ax.annotate(text, (x0, yv), xytext=(0, 7), textcoords="offset points", fontsize=8,
                    color=color)
    if observed is not None:
        for v in (entries[-1][1], entries[-1][2]):
            if math.isfinite(v) and v > 0:
                ax.axvline(v, color="k", ls=":", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlim(left, right)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_yticks(range(n))
    ax.set_yticklabels([e[0] for e in reversed(entries)], fontsize=8)
    units = sorted({e[6] for e in entries})
    ax.set_xlabel("t_mem (o) to t_grok (>) [" + _units_label(units) + "]")
    if "time" in units:
        ax.set_title("hollow / dashed rows [time]: the theory's continuous time, not steps",
                     fontsize=8)
    ax.grid(True, axis="x", which="major", alpha=0.3)
    return ax


# --------------------------------------------------------------------------- validity


def relative_error_grid(params: Parameters | Mapping[str, Any], x_field: str, y_field: str,
                        methods: Sequence[str] | str, x_values: Any = None,
                        y_values: Any = None, *, quantity: str = "delay"):
    """Relative error of one method against another over a grid of two fields.

    Parameters
    ----------
    params, x_field, y_field, x_values, y_values
        As in :func:`plot_phase_diagram`.
    methods : (approximation, reference) or str
        Two method names; a single name is compared with the mechanism's default method.
    quantity : {"delay", "t_mem", "t_grok", "ratio"}
        ``delay`` is compared through ``log_delay`` (``|expm1(log a - log r)|``), so it stays
        exact where the delay overflows float64.

    Returns
    -------
    x, y, err, applicable : ndarray
        ``err[i, j]`` is the relative error at ``(x[j], y[i])``: 0 where both are inf (both
        say "never groks"), inf where exactly one is. ``applicable`` is False where either
        method raised :class:`~grokdelay.ParameterError` (``err`` is NaN there, a marker).
    """
    base = as_params(params, "plotting")
    _check_quantity(quantity)
    if isinstance(methods, str):
        methods = (methods, type(base).default_method)
    methods = tuple(methods)
    if len(methods) != 2:
        raise ParameterError(f"methods must be (approximation, reference), got {methods!r}",
                             "methods")
    for m in methods:
        resolve_method(type(base), m)
    x, y = _two_fields(base, x_field, y_field, x_values, y_values)
    a = predict_grid(base, methods[0], **{x_field: x, y_field: y})
    r = predict_grid(base, methods[1], **{x_field: x, y_field: y})
    ok = a["applicable"] & r["applicable"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if quantity == "delay":
            la, lr = a["log_delay"], r["log_delay"]
            err = np.abs(np.expm1(la - lr))
            both_inf = np.isinf(la) & np.isinf(lr) & (np.sign(la) == np.sign(lr))
        else:
            va, vr = a[quantity], r[quantity]
            err = np.abs(va - vr) / np.abs(vr)
            both_inf = (np.isinf(va) & np.isinf(vr)) | ((va == 0) & (vr == 0))
        one_inf = (np.isinf(a["log_delay"] if quantity == "delay" else a[quantity])
                   != np.isinf(r["log_delay"] if quantity == "delay" else r[quantity]))
        err = np.where(both_inf, 0.0, err)
        err = np.where(one_inf, np.inf, err)
    err = np.where(ok, err, np.nan)
    return x, y, err, ok


def plot_validity_map(params: Parameters | Mapping[str, Any], x_field: str, y_field: str,
                      methods: Sequence[str] | str, x_values: Any = None, y_values: Any = None,
                      *, quantity: str = "delay", tolerance: float = 0.1, ax=None,
                      xscale: str | None = None, yscale: str | None = None,
                      cmap: str = "magma_r"):
    """Validity map of an approximation: log10 relative error against a reference method.

    Parameters
    ----------
    params, x_field, y_field, x_values, y_values
        As in :func:`plot_phase_diagram`.
    methods : (approximation, reference) or str
        See :func:`relative_error_grid`.
    quantity : str
        Compared quantity (default ``"delay"``).
    tolerance : float
        A contour is drawn where the relative error equals ``tolerance`` (default 10%).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, grokdelay as gd
    >>> from grokdelay.plotting import plot_validity_map
    >>> p = gd.SpectralConditioning([1.0, 0.01], learning_rate=0.1)
    >>> ax = plot_validity_map(p, "learning_rate", "tolerance",
    ...                        ("gradient_flow", "gradient_descent"),
    ...                        np.logspace(-3, 0.2, 12), np.logspace(-6, -1, 8))
    >>> ax.get_title()
    'spectral: gradient_flow vs gradient_descent (delay)'
    """
    tolerance = float(tolerance)
    if not (tolerance > 0 and math.isfinite(tolerance)):
        raise ParameterError(f"tolerance = {tolerance!r} must be in (0, inf)", "tolerance")
    base = as_params(params, "plotting")
    x, y, err, ok = relative_error_grid(base, x_field, y_field, methods, x_values, y_values,
                                        quantity=quantity)
    if isinstance(methods, str):
        methods = (methods, type(base).default_method)
    with np.errstate(divide="ignore"):
        z = np.log10(np.where(ok, err, 1.0))
    floor = -16.0
    good = ok & np.isfinite(z)
    z = np.clip(np.where(good, z, 0.0), floor, None)
    ax = _axes(ax)
    mesh = _mesh(ax, x, y, np.ma.masked_where(~good, z), cmap)
    handles = [h for h in (
        _mark_cells(ax, x, y, ok & ~np.isfinite(np.where(ok, err, 0.0)), _NEVER,
                    "one method says inf, the other not"),
        _mark_cells(ax, x, y, ~ok, _NA, "a method is not applicable"),
    ) if h is not None]
    if good.sum() >= 4 and np.nanmin(np.where(good, z, np.nan)) < math.log10(tolerance) < \
            np.nanmax(np.where(good, z, np.nan)):
        cs = ax.contour(x, y, np.ma.masked_where(~good, z), levels=[math.log10(tolerance)],
                        colors="cyan", linewidths=1.5)
        ax.clabel(cs, fmt={math.log10(tolerance): f"{tolerance:g}"}, fontsize=8)
    cb = ax.figure.colorbar(mesh, ax=ax)
    cb.set_label(f"log10 relative error of {quantity}")
    ax.set_xscale(_auto_scale(x, xscale))
    ax.set_yscale(_auto_scale(y, yscale))
    ax.set_xlabel(_field_label(base, x_field))
    ax.set_ylabel(_field_label(base, y_field))
    ax.set_title(f"{base.name}: {methods[0]} vs {methods[1]} ({quantity})", fontsize=10)
    if handles:
        ax.legend(handles=handles, fontsize=8, loc="upper right")
    return ax

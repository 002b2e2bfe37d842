r"""Milestones from training logs, and how well each mechanism predicted them.

A training log is a sequence of (step, train accuracy, test accuracy) records, optionally
with losses and the parameter norm. :func:`milestones_from_log` reads the observed
milestones off arrays through :class:`~grokdelay.TrainingRun` (stopping times with a
persistence window, Tan et al. 2026 appendix F.4: see :mod:`grokdelay.observations`).

:func:`compare_with_log` then sets each mechanism's prediction beside the observation
(predicted / observed for ``t_mem``, ``t_grok``, the delay and the ratio).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._core import (DelayPrediction, ParameterError, Parameters, from_mapping, predict_delay,
                    warn)
from .norm_separation import estimate_gamma_eff
from .observations import Milestones, as_threshold
from .observations import sustained_time as _sustained
from .runs import TrainingRun
from .sweep import Table

__all__ = [
    "Milestones",
    "milestones_from_log",
    "compare_with_log",
    "estimate_inputs",
]


def sustained_time(steps: Any, values: Any, threshold: float, *, window: float = 0.0,
                   above: bool = True) -> tuple[float, int | None, str | None]:
    """Deprecated: use :func:`grokdelay.clock_estimators.sustained_time` with
    ``above=True, full_output=True`` (the one implementation; this alias kept the opposite
    default ``above=True`` and always returned ``(time, index, note)``)."""
    warn("grokdelay.milestones.sustained_time is deprecated; use "
         "grokdelay.clock_estimators.sustained_time(steps, values, threshold, window, "
         "above=True, full_output=True)", DeprecationWarning)
    return _sustained(steps, values, threshold, window=window, above=above)


def milestones_from_log(steps: Any, train_accuracy: Any, test_accuracy: Any, *,
                        threshold: float = 0.99, test_threshold: float | None = None,
                        window: float = 0.0, train_loss: Any = None, test_loss: Any = None,
                        loss_threshold: float | None = None, norms: Any = None,
                        nan: str = "raise") -> Milestones:
    """Observed t_mem and t_grok of a training log, with a persistence window.

    Parameters
    ----------
    steps : array_like, shape (n,)
        Logged optimizer steps (or epochs: full batch, one epoch is one step), strictly
        increasing and finite.
    train_accuracy, test_accuracy : array_like, shape (n,)
        Accuracies in [0, 1].
    threshold : float
        Train-accuracy threshold of memorization (default 0.99).
    test_threshold : float, optional
        Test-accuracy threshold of grokking (default: ``threshold``).
    window : float
        Persistence window in steps (Tan et al. 2026, F.4); 0 means the first record at threshold.
    train_loss, test_loss : array_like, optional
        Losses (>= 0). With ``loss_threshold``, ``extra`` gets the loss-based clocks
        ``t_mem_loss`` / ``t_grok_loss`` (first sustained step with loss <= threshold).
    loss_threshold : float, optional
    norms : array_like, optional
        Parameter norm ``||theta||`` per record (> 0); ``extra`` gets ``norm_mem`` and
        ``norm_grok``, the norms at the milestones (see :func:`estimate_inputs`).
    nan : {"raise", "fail"}
        NaN in a series raises :class:`~grokdelay.ParameterError` (default) or counts as
        not meeting the threshold (``"fail"``, e.g. for a run that diverged).

    Returns
    -------
    Milestones
        ``t_mem``/``t_grok`` are ``inf`` with a note when the threshold is never reached,
        or not sustained, or the log ends inside the window.

    Raises
    ------
    ParameterError
        Non-monotone or non-finite steps, columns of different lengths, accuracies outside
        [0, 1], NaN (unless ``nan="fail"``), thresholds outside their domain.

    Examples
    --------
    >>> import numpy as np
    >>> steps = np.arange(0, 1000, 10)
    >>> train = np.where(steps >= 100, 1.0, 0.5)
    >>> test = np.where(steps >= 700, 1.0, 0.1)
    >>> m = milestones_from_log(steps, train, test, window=50)
    >>> m.t_mem, m.t_grok, m.ratio
    (100.0, 700.0, 7.0)
    """
    if nan not in ("raise", "fail"):
        raise ParameterError(f"nan = {nan!r} is not one of 'raise', 'fail'", "nan")
    a_train = as_threshold("threshold", threshold, 0.0, 1.0)
    a_test = a_train if test_threshold is None else as_threshold("test_threshold",
                                                                 test_threshold, 0.0, 1.0)
    run = TrainingRun(steps, train_accuracy, test_accuracy, train_loss, test_loss, norms,
                      nan=nan, sources={"train_acc": "train_accuracy",
                                        "test_acc": "test_accuracy", "norm": "norms"})
    return run.milestones(a_test, a_train, window, loss_threshold=loss_threshold)


# --------------------------------------------------------------------------- comparison


def _to_prediction(name: str | None, item: Any, method: str | None) -> DelayPrediction:
    if isinstance(item, DelayPrediction):
        return item
    if isinstance(item, Mapping):
        data = dict(item)
        if "mechanism" not in data and name is not None:
            data["mechanism"] = name
        item = from_mapping(data)
    if isinstance(item, Parameters):
        return predict_delay(item, method=method)
    raise TypeError(f"{name}: expected Parameters, a mapping or a DelayPrediction, "
                    f"got {type(item).__name__}")


def _factor(pred: float, obs: float) -> float:
    """pred / obs with the conventions: both inf -> 1, pred inf -> inf, obs inf -> 0."""
    if math.isinf(pred) and math.isinf(obs):
        return 1.0
    if math.isinf(pred):
        return math.inf
    if math.isinf(obs):
        return 0.0
    if obs == 0:
        return 1.0 if pred == 0 else math.inf
    return pred / obs


def compare_with_log(observed: Milestones,
                     predictions: Mapping[str, Any] | Sequence[Any], *,
                     method: str | Mapping[str, str] | None = None,
                     time_per_step: float | None = None) -> Table:
    """Each mechanism's prediction beside the observed milestones.

    Parameters
    ----------
    observed : Milestones or TrainingRun
        From :func:`milestones_from_log`, :meth:`Milestones.from_values` or
        :meth:`grokdelay.TrainingRun.milestones`; a run is read with its default thresholds.
    predictions : mapping or sequence
        ``{mechanism: params}`` where params is a parameter object, a mapping of its
        fields (the ``"mechanism"`` key may be omitted) or a ready
        :class:`~grokdelay.DelayPrediction`; or a sequence of those (objects that know
        their mechanism). Array predictions are rejected (compare one run at a time).
    method : str or mapping, optional
        The method for all, or ``{mechanism: method}``.
    time_per_step : float, optional
        Continuous time per optimizer step (the learning rate, for gradient flow
        ``t = eta * k``). Predictions in ``units == "time"`` are converted to steps with it;
        without it they are marked not comparable.

    Returns
    -------
    Table
        One row per mechanism: ``mechanism``, ``method``, ``units``, ``comparable``,
        ``t_mem``, ``t_grok``, ``delay``, ``ratio`` (predicted, in steps), the observed
        ``obs_*``, and predicted/observed factors ``t_mem_factor``, ``t_grok_factor``,
        ``delay_factor`` (through ``log_delay``: exact on overflow), ``ratio_factor``,
        ``log10_delay_factor`` (signed order of magnitude of the miss), and ``notes``.
        Factors are ``None`` where not comparable; a mechanism whose method refuses its
        inputs gets a row with the error in ``notes``. Infinite conventions: both inf
        gives factor 1, only the prediction inf gives inf, only the observation inf gives 0.

    Examples
    --------
    >>> import grokdelay as gd
    >>> obs = Milestones.from_values(200, 14_600)
    >>> p = gd.SpectralConditioning([73.0, 1.0], learning_rate=0.01, tolerance=0.5)
    >>> t = compare_with_log(obs, {"spectral": p})
    >>> round(float(t["ratio_factor"][0]), 9)
    1.0
    >>> round(float(t["delay_factor"][0]), 4)  # (log 2 / 0.01)(1 - 1/73) / 14,400
    0.0047
    """
    if isinstance(observed, TrainingRun):
        observed = observed.milestones()
    if not isinstance(observed, Milestones):
        raise TypeError(f"observed must be a Milestones or a TrainingRun, got "
                        f"{type(observed).__name__}")
    if time_per_step is not None:
        tps = float(time_per_step)
        if not (tps > 0 and math.isfinite(tps)):
            raise ParameterError(f"time_per_step = {time_per_step!r} is outside (0, inf)",
                                 "time_per_step")
    items = list(predictions.items()) if isinstance(predictions, Mapping) else [
        (None, p) for p in predictions]
    cols: dict[str, list] = {k: [] for k in (
        "mechanism", "method", "units", "comparable", "t_mem", "t_grok", "delay", "ratio",
        "obs_t_mem", "obs_t_grok", "obs_delay", "obs_ratio", "t_mem_factor", "t_grok_factor",
        "delay_factor", "ratio_factor", "log10_delay_factor", "notes")}

    def add(**row):
        for k in cols:
            cols[k].append(row.get(k))

    obs = {"obs_t_mem": observed.t_mem, "obs_t_grok": observed.t_grok,
           "obs_delay": observed.delay, "obs_ratio": observed.ratio}
    for name, item in items:
        mname = name or (item.get("mechanism") if isinstance(item, Mapping) else
                         getattr(item, "mechanism", None) or getattr(item, "name", None))
        m = method.get(mname) if isinstance(method, Mapping) else method
        try:
            pred = _to_prediction(name, item, m)
        except ParameterError as exc:
            add(mechanism=mname, method=m, comparable=False, notes=f"not applicable: {exc}",
                **obs)
            continue
        if np.ndim(pred.t_mem) != 0:
            raise ParameterError(f"{pred.mechanism}: compare_with_log takes one run; the "
                                 f"prediction has shape {np.shape(pred.t_mem)}", "predictions")
        notes = list(pred.notes)
        tm, tg, d, r, ld = (float(pred.t_mem), float(pred.t_grok), float(pred.delay),
                            float(pred.ratio), float(pred.log_delay))
        comparable = True
        if pred.units == "time":
            if time_per_step is None:
                comparable = False
                notes.append("prediction in continuous time: give time_per_step (the "
                             "learning rate) to compare with logged steps; the ratio is "
                             "unit-free and still compared")
            else:
                tm, tg, d = tm / tps, tg / tps, d / tps
                ld = ld - math.log(tps)
                notes.append(f"continuous time converted to steps with time_per_step = {tps:g}")
        row = dict(mechanism=pred.mechanism, method=pred.method, units=pred.units,
                   comparable=comparable, t_mem=tm, t_grok=tg, delay=d, ratio=r, **obs)
        row["ratio_factor"] = _factor(r, observed.ratio)
        if comparable:
            row["t_mem_factor"] = _factor(tm, observed.t_mem)
            row["t_grok_factor"] = _factor(tg, observed.t_grok)
            if math.isfinite(ld) and math.isfinite(observed.log_delay):
                row["log10_delay_factor"] = (ld - observed.log_delay) / math.log(10)
                with np.errstate(over="ignore"):
                    row["delay_factor"] = float(np.exp(ld - observed.log_delay))
            else:
                f = _factor(max(d, 0.0), max(observed.delay, 0.0))
                row["delay_factor"] = f
                row["log10_delay_factor"] = math.log10(f) if f > 0 else -math.inf
        row["notes"] = "; ".join(notes)
        add(**row)
    text = ("mechanism", "method", "units", "notes", "comparable")
    return Table({k: np.array(v, dtype=object) if k in text or any(x is None for x in v)
                  else np.array(v, dtype=float) for k, v in cols.items()},
                 notes=observed.notes, meta={"observed": observed.to_dict()})


# --------------------------------------------------------------------------- estimates


def estimate_inputs(observed: Milestones, *, learning_rate: float | None = None,
                    weight_decay: float | None = None) -> dict[str, dict[str, Any]]:
    """Mechanism inputs that can be read off a log: ``{mechanism: {field: value}}``.

    Needs ``norms`` given to :func:`milestones_from_log`. For ``norm_separation``:
    ``norm_mem`` (the norm at the observed ``t_mem``), ``norm_post`` (the norm at the
    observed ``t_grok``: the post-grokking solution), ``t_mem`` (observed), plus
    ``learning_rate``/``weight_decay`` when given. The effective contraction rate
    ``gamma_eff`` is estimated only with the estimator of the ``norm_separation`` module,
    when that module provides one (``estimate_gamma_eff``); the note says which.

    Returns
    -------
    dict
        Possibly empty when the log has no norms or a milestone is missing; each entry
        carries ``"_notes"`` (a list of str) with the provenance of every value.
    """
    out: dict[str, dict[str, Any]] = {}
    ex = observed.extra
    if "norms" not in ex:
        return out
    if not (math.isfinite(observed.t_mem) and math.isfinite(observed.t_grok)):
        return out
    nm, ng = float(ex["norm_mem"]), float(ex["norm_grok"])
    est: dict[str, Any] = {"norm_mem": nm, "norm_post": ng, "t_mem": observed.t_mem}
    notes = [f"norm_mem = ||theta|| at the observed t_mem = {observed.t_mem:g}",
             f"norm_post = ||theta|| at the observed t_grok = {observed.t_grok:g}"]
    if learning_rate is not None:
        est["learning_rate"] = float(learning_rate)
    if weight_decay is not None:
        est["weight_decay"] = float(weight_decay)
    try:
        g = estimate_gamma_eff(ex["norms"], ex["steps"], start=observed.t_mem,
                               stop=observed.t_grok)
    except ParameterError as exc:        # the log refused, e.g. too few records in between
        notes.append(f"gamma_eff not estimated: {exc}")
    else:
        est["gamma_eff"] = float(g.gamma_eff)
        notes.append("gamma_eff from grokdelay.norm_separation.estimate_gamma_eff: "
                     "least-squares slope of log ||theta||^2 over the steps [t_mem, t_grok] "
                     "(no floor subtracted)")
    est["_notes"] = notes
    out["norm_separation"] = est
    return out


r"""Milestones from training logs, and how well each mechanism predicted them.

A training log is a sequence of (step, train accuracy, test accuracy) records, optionally
with losses and the parameter norm. The observed milestones are stopping times with a
persistence window (seed 001, appendix F.4, "Persistence windows": a clock is complete at
the first time from which the statistic *stays* past its threshold over a window, so that
a single noisy iterate does not count):

.. math::

    t_\mathrm{mem} = \min\{s_i : \mathrm{acc}_\mathrm{train}(s_j) \ge a \;\;
    \forall\, s_j \in [s_i, s_i + w]\}, \qquad
    t_\mathrm{grok} = \text{the same for } \mathrm{acc}_\mathrm{test},

where the log must reach :math:`s_i + w` for the window to be confirmed. Losses use
:math:`\le` instead (seed 001, F.4, classifier-side estimator).

:func:`compare_with_log` then sets each mechanism's prediction beside the observation
(predicted / observed for ``t_mem``, ``t_grok``, the delay and the ratio).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._core import DelayPrediction, ParameterError, Parameters, from_mapping, predict_delay
from .clock_estimators import sustained_time as _sustained
from .norm_separation import estimate_gamma_eff
from .sweep import Table

__all__ = [
    "Milestones",
    "milestones_from_log",
    "compare_with_log",
    "estimate_inputs",
]


@dataclasses.dataclass(frozen=True)
class Milestones:
    """Observed milestones of one run (an immutable record, the observed counterpart of
    :class:`~grokdelay.DelayPrediction`).

    Attributes
    ----------
    t_mem, t_grok : float
        First logged step from which the train (test) accuracy stays at or above its
        threshold for the persistence window; ``inf`` if that never happens in the log.
    delay : float
        ``t_grok - t_mem``; ``inf`` when either milestone is missing.
    ratio : float
        ``t_grok / t_mem`` (``inf`` when ``t_mem == 0 < t_grok`` or a milestone is missing).
    log_delay : float
        ``log(delay)``; ``-inf`` when the delay is 0 or negative (test accuracy got there
        first: no grokking delay; a note says so).
    units : str
        ``"steps"``: the unit of the logged step numbers.
    notes : tuple of str
        Why a value is inf, and anything unusual in the log.
    thresholds : mapping
        ``{"train": a_train, "test": a_test, "window": w}`` as used.
    extra : mapping
        Loss-based times (``t_mem_loss``, ``t_grok_loss``) when losses and
        ``loss_threshold`` were given; the parameter norm at the milestones when norms were
        given; ``first_crossing_mem`` / ``first_crossing_grok`` (the first step at the
        threshold, without the persistence requirement).
    """

    t_mem: float
    t_grok: float
    delay: float
    ratio: float
    log_delay: float
    units: str = "steps"
    notes: tuple[str, ...] = ()
    thresholds: Mapping[str, float] = dataclasses.field(default_factory=dict)
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_values(cls, t_mem: float, t_grok: float, *, notes: Sequence[str] = (),
                    units: str = "steps") -> Milestones:
        """Milestones reported elsewhere (e.g. a paper's table), not read from a log.

        >>> Milestones.from_values(200, 14_600).ratio
        73.0
        """
        tm, tg = _check_time("t_mem", t_mem), _check_time("t_grok", t_grok)
        delay, ratio, log_delay, more = _derived(tm, tg)
        return cls(tm, tg, delay, ratio, log_delay, units, tuple(notes) + tuple(more))

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping (inf as the string ``"inf"``)."""
        from ._core import jsonable

        out = {k: jsonable(getattr(self, k))
               for k in ("t_mem", "t_grok", "delay", "ratio", "log_delay", "units")}
        out["notes"] = list(self.notes)
        out["thresholds"] = dict(self.thresholds)
        out["extra"] = {k: jsonable(v) for k, v in self.extra.items()}
        return out

    def __str__(self) -> str:
        lines = ["observed milestones (units: steps)"]
        for k in ("t_mem", "t_grok", "delay", "ratio", "log_delay"):
            lines.append(f"  {k:9s} = {getattr(self, k):.6g}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _check_time(name: str, v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} = {v!r} is not a number; it must lie in [0, inf]",
                             name) from None
    if math.isnan(x) or x < 0:
        raise ParameterError(f"{name} = {v!r} is outside its domain [0, inf]", name)
    return x


def _derived(tm: float, tg: float) -> tuple[float, float, float, list[str]]:
    notes = []
    if math.isinf(tm):
        return math.inf, math.inf, math.inf, notes
    if math.isinf(tg):
        return math.inf, math.inf, math.inf, notes
    delay = tg - tm
    ratio = 1.0 if tg == tm else (math.inf if tm == 0 else tg / tm)
    if delay > 0:
        log_delay = math.log(delay)
    else:
        log_delay = -math.inf
        notes.append(f"t_grok = {tg:g} <= t_mem = {tm:g}: the test accuracy reached its "
                     "threshold no later than the train accuracy, so there is no grokking "
                     "delay (log_delay = -inf)")
    return delay, ratio, log_delay, notes


# --------------------------------------------------------------------------- validation


def _as_steps(steps: Any) -> np.ndarray:
    try:
        s = np.asarray(steps, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"steps = {steps!r} is not an array of numbers", "steps") from None
    if s.ndim != 1 or s.size == 0:
        raise ParameterError(f"steps must be a non-empty 1-D array, got shape {s.shape}", "steps")
    bad = ~np.isfinite(s)
    if bad.any():
        i = int(np.argmax(bad))
        raise ParameterError(f"steps[{i}] = {s[i]!r}: steps must be finite numbers", "steps")
    if s.size > 1:
        d = np.diff(s)
        if np.any(d <= 0):
            i = int(np.argmax(d <= 0))
            raise ParameterError(
                f"steps must be strictly increasing, but steps[{i}] = {s[i]:g} and "
                f"steps[{i + 1}] = {s[i + 1]:g} (sort the log and drop duplicate records)",
                "steps")
    return s


def _as_series(name: str, values: Any, n: int, *, lo: float | None = None,
               hi: float | None = None, nan: str = "raise") -> np.ndarray:
    try:
        v = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} = {values!r} is not an array of numbers", name) from None
    if v.ndim != 1:
        raise ParameterError(f"{name} must be 1-D, got shape {v.shape}", name)
    if v.size != n:
        raise ParameterError(f"{name} has {v.size} entries but steps has {n}: the log columns "
                             "must have one value per logged step", name)
    isnan = np.isnan(v)
    if isnan.any() and nan == "raise":
        i = int(np.argmax(isnan))
        raise ParameterError(
            f"{name}[{i}] is NaN ({int(isnan.sum())} NaN entries); pass nan='fail' to count "
            "NaN records as not meeting the threshold (e.g. a diverged run)", name)
    finite = v[~isnan]
    dom = f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"
    if lo is not None and np.any(finite < lo) or hi is not None and np.any(finite > hi):
        bad = finite[(finite < (lo if lo is not None else -np.inf))
                     | (finite > (hi if hi is not None else np.inf))][0]
        hint = " (percentages? divide by 100)" if hi == 1.0 and bad <= 100 else ""
        raise ParameterError(f"{name} contains {bad:g}, outside {dom}{hint}", name)
    return v


def _as_threshold(name: str, value: Any, lo: float, hi: float) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} = {value!r} is not a number", name) from None
    if not (lo <= x <= hi):
        raise ParameterError(f"{name} = {value!r} is outside its domain [{lo:g}, {hi:g}]", name)
    return x


# --------------------------------------------------------------------------- estimators


def sustained_time(steps: Any, values: Any, threshold: float, *, window: float = 0.0,
                   above: bool = True) -> tuple[float, int | None, str | None]:
    """Deprecated: use :func:`grokdelay.clock_estimators.sustained_time` with
    ``above=True, full_output=True`` (the one implementation; this alias kept the opposite
    default ``above=True`` and always returned ``(time, index, note)``)."""
    warnings.warn("grokdelay.milestones.sustained_time is deprecated; use "
                  "grokdelay.clock_estimators.sustained_time(steps, values, threshold, window, "
                  "above=True, full_output=True)", DeprecationWarning, stacklevel=2)
    s = _as_steps(steps)
    v = _as_series("values", values, s.size, nan="fail")
    return _sustained(s, v, threshold, window=window, above=above, full_output=True)


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
        Persistence window in steps (seed 001, F.4); 0 means the first record at threshold.
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
    s = _as_steps(steps)
    n = s.size
    train = _as_series("train_accuracy", train_accuracy, n, lo=0.0, hi=1.0, nan=nan)
    test = _as_series("test_accuracy", test_accuracy, n, lo=0.0, hi=1.0, nan=nan)
    a_train = _as_threshold("threshold", threshold, 0.0, 1.0)
    a_test = a_train if test_threshold is None else _as_threshold("test_threshold",
                                                                  test_threshold, 0.0, 1.0)
    w = float(window) if _is_number(window) else math.nan
    if not (w >= 0 and math.isfinite(w)):
        raise ParameterError(f"window = {window!r} is outside its domain [0, inf)", "window")
    notes: list[str] = []
    extra: dict[str, Any] = {}
    tm, im, note = _sustained(s, train, a_train, w, above=True, full_output=True)
    if note:
        notes.append(f"no memorization: train accuracy {note}")
    tg, ig, note = _sustained(s, test, a_test, w, above=True, full_output=True)
    if note:
        notes.append(f"no grokking: test accuracy {note}")
    for key, series, thr in (("first_crossing_mem", train, a_train),
                             ("first_crossing_grok", test, a_test)):
        with np.errstate(invalid="ignore"):
            hit = series >= thr
        extra[key] = float(s[int(np.argmax(hit))]) if hit.any() else math.inf
    if math.isinf(tm) and math.isfinite(tg):
        notes.append("the test accuracy reaches its threshold but the train accuracy does not: "
                     "no delay can be measured (delay = inf); check the thresholds")
    delay, ratio, log_delay, more = _derived(tm, tg)
    notes += more
    if loss_threshold is not None:
        lt = float(loss_threshold)
        if not (lt >= 0 and math.isfinite(lt)):
            raise ParameterError(f"loss_threshold = {loss_threshold!r} is outside [0, inf)",
                                 "loss_threshold")
    for key, name, series in (("t_mem_loss", "train_loss", train_loss),
                              ("t_grok_loss", "test_loss", test_loss)):
        if series is None:
            continue
        v = _as_series(name, series, n, lo=0.0, nan=nan)
        extra[name] = v
        if loss_threshold is not None:
            t, _, note = _sustained(s, v, lt, w, above=False, full_output=True)
            extra[key] = t
            if note:
                notes.append(f"{name} {note}")
    if norms is not None:
        nv = _as_series("norms", norms, n, lo=0.0, nan=nan)
        extra["norms"] = nv
        extra["steps"] = s
        extra["norm_mem"] = float(nv[im]) if im is not None else math.inf
        extra["norm_grok"] = float(nv[ig]) if ig is not None else math.inf
    return Milestones(tm, tg, delay, ratio, log_delay, "steps", tuple(notes),
                      {"train": a_train, "test": a_test, "window": w}, extra)


def _is_number(x: Any) -> bool:
    try:
        float(x)
    except (TypeError, ValueError):
        return False
    return not isinstance(x, bool | str)


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
    observed : Milestones
        From :func:`milestones_from_log` or :meth:`Milestones.from_values`.
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
    if not isinstance(observed, Milestones):
        raise TypeError(f"observed must be a Milestones, got {type(observed).__name__}")
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
    ``learning_rate``/``weight_decay`` when given, and the effective contraction rate
    ``gamma_eff`` from :func:`grokdelay.norm_separation.estimate_gamma_eff` over the steps
    between the milestones (a note says why when it refuses the log).

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

r"""Observed milestones of a training log: the :class:`Milestones` record and the sustained-time
estimator behind every observed ``t_mem`` / ``t_grok`` in the library.

A milestone is a stopping time with a persistence window (Tan et al. 2026, appendix F.4,
"Persistence windows"): a clock is complete at the first logged step from which the
statistic *stays* past its threshold over a window, so that a single noisy record does not
count:

.. math::

    t_\mathrm{mem} = \min\{s_i : \mathrm{acc}_\mathrm{train}(s_j) \ge a \;\;
    \forall\, s_j \in [s_i, s_i + w]\}, \qquad
    t_\mathrm{grok} = \text{the same for } \mathrm{acc}_\mathrm{test},

where the log must reach :math:`s_i + w` for the window to be confirmed. Losses use
:math:`\le` instead (Tan et al. 2026, F.4, classifier-side estimator).
:meth:`grokdelay.TrainingRun.milestones` and :func:`grokdelay.milestones.milestones_from_log`
both read them here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import _html
from ._core import ParameterError
from .clock_estimators import sustained_time as _persist

__all__ = ["Milestones", "sustained_time", "derived", "as_steps", "as_column", "as_series",
           "as_threshold"]


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
        delay, ratio, log_delay, more = derived(tm, tg)
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

    def __repr__(self) -> str:
        main = {k: getattr(self, k) for k in ("t_mem", "t_grok", "delay", "ratio", "log_delay")}
        return _html.record_repr("Milestones", {**main, "units": self.units}, self.notes,
                                 {"thresholds": self.thresholds, "extra": self.extra})

    def _repr_html_(self) -> str:
        main = {k: getattr(self, k) for k in ("t_mem", "t_grok", "delay", "ratio", "log_delay")}
        more = {f"thresholds.{k}": v for k, v in self.thresholds.items()}
        more.update({f"extra.{k}": v for k, v in self.extra.items()})
        return _html.record_html("Milestones", main, self.notes,
                                 subtitle=f"observed, units: {self.units}", more=more)

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


def derived(tm: float, tg: float) -> tuple[float, float, float, list[str]]:
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


def as_steps(steps: Any) -> np.ndarray:
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


def as_column(name: str, values: Any, n: int | None, *, field: str | None = None) -> np.ndarray:
    """``values`` as a 1-D float array of ``n`` entries (any length when ``n`` is None);
    errors say ``name`` and carry ``field`` (default ``name``)."""
    field = name if field is None else field
    try:
        v = np.array(values, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} = {values!r:.80} is not an array of numbers",
                             field) from None
    if v.ndim != 1:
        raise ParameterError(f"{name} must be 1-D, got shape {v.shape}", field)
    if n is not None and v.size != n:
        raise ParameterError(f"{name} has {v.size} entries but steps has {n}: every column "
                             "must have one value per logged record", field)
    return v


def as_series(name: str, values: Any, n: int, *, lo: float | None = None,
              hi: float | None = None, nan: str = "raise") -> np.ndarray:
    v = as_column(name, values, n)
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


def as_threshold(name: str, value: Any, lo: float, hi: float) -> float:
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
    r"""First logged step from which ``values`` stays past ``threshold`` for ``window`` steps.

    Tan et al. 2026, appendix F.4 ("Persistence windows"): the sustained time is the first
    :math:`s_i` such that every record with :math:`s_i \le s_j \le s_i + w` satisfies the
    inequality (``>=`` when ``above``, ``<=`` otherwise), and the log extends to
    :math:`s_i + w`. NaN never satisfies it. Vectorized: the next failing record of every
    index comes from one reversed running minimum.

    Parameters
    ----------
    steps : array_like, shape (n,)
        Strictly increasing, finite.
    values : array_like, shape (n,)
    threshold : float
    window : float
        Persistence window in the units of ``steps`` (0: the first record past threshold).
    above : bool
        ``True`` for accuracies (``>=``), ``False`` for losses (``<=``).

    Returns
    -------
    (time, index, note)
        ``time`` is ``inf`` (with ``index`` None and a note) when no such step exists.

    Examples
    --------
    >>> sustained_time([0, 1, 2, 3, 4, 5], [0, .9, .2, .95, .97, .99], 0.9, window=2)
    (3.0, 3, None)
    """
    s = as_steps(steps)
    v = as_series("values", values, s.size, nan="fail")
    w = float(window)
    if not (w >= 0 and math.isfinite(w)):
        raise ParameterError(f"window = {window!r} is outside its domain [0, inf)", "window")
    # the one implementation of the persistence rule (layering): validated here, computed there
    return _persist(s, v, threshold, w, above=above, full_output=True)

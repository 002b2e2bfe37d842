r"""Empirical estimators of the two training clocks from logged series (Tan et al. 2026, F.4).

A finite run gives noisy series indexed by optimizer step. Tan et al. 2026 appendix F.4 reads the
clocks off them as windowed stopping times:

* sustained classifier time, window :math:`w`:
  :math:`T^{w}_\mathrm{cls}(\epsilon) = \min\{k : \mathcal L_j \le \epsilon\ \forall j\in[k, k+w]\}`;
* sustained representation time :math:`T^{w}_\mathrm{rep}(\delta)`, the same with a
  structural statistic (energy gap, stable rank excess, spectral tail) and :math:`\delta`;
* accumulated optimizer time :math:`\tau_k = \sum_{j<k}\eta_j` for learning-rate schedules;
* the separation ratio :math:`T_\mathrm{rep}/T_\mathrm{cls}`.

All estimators are vectorized over the series (no per-record Python loop).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ._core import ParameterError

__all__ = ["sustained_time", "classifier_time", "representation_time", "accumulated_time",
           "separation_ratio", "min_logit_gap", "energy_gap", "ClockReading", "read_clocks"]


def _series(times, values, name):
    t = np.asarray(times, dtype=float).ravel()
    v = np.asarray(values, dtype=float).ravel()
    if t.shape != v.shape:
        raise ParameterError(f"{name} has {v.size} entries but times has {t.size}", name)
    if t.size == 0:
        raise ParameterError(f"{name} is empty", name)
    if np.any(np.isnan(t)) or np.any(np.diff(t) < 0):
        raise ParameterError("times must be non-decreasing numbers", "times")
    return t, v


def sustained_time(times, values, threshold, window=0.0, *, above=False, full_output=False):
    r"""First recorded time from which ``values`` stay past ``threshold`` for ``window``.

    Tan et al. 2026, appendix F.4 ("Persistence windows"). Returns the smallest :math:`t_k` such
    that every record :math:`j` with :math:`t_k \le t_j \le t_k + w` satisfies
    ``values[j] <= threshold`` (``>=`` when ``above``), and the record reaches
    :math:`t_k + w` (so the persistence is observed, not assumed). ``inf`` if there is no such
    record. ``window = 0`` is the plain first crossing. NaN values count as failing the
    condition. The one implementation of the persistence rule: the clock estimators and
    :func:`grokdelay.milestones.milestones_from_log` both read their times from it.

    Parameters
    ----------
    times : array_like, shape (n,)
        Non-decreasing record times (steps, or accumulated optimizer time).
    values : array_like, shape (n,)
    threshold : float
    window : float
        Persistence window :math:`w \ge 0`, in the units of ``times``.
    above : bool
        ``False`` (default) for losses and gaps (``<=``), ``True`` for accuracies (``>=``).
    full_output : bool
        Return ``(time, index, note)`` instead of the time alone: ``index`` of the record
        (``None`` when ``inf``) and, when ``inf``, a note saying why (never past the threshold,
        never for long enough, or the log ends inside the window).

    Examples
    --------
    >>> sustained_time([0, 1, 2, 3, 4, 5], [5, 0.5, 2, 0.5, 0.4, 0.3], 1.0, window=2)
    3.0
    >>> sustained_time([0, 1, 2], [5, 0.5, 0.4], 1.0, window=5)
    inf
    >>> sustained_time([0, 1, 2, 3, 4, 5], [0, .9, .2, .95, .97, .99], 0.9, 2, above=True,
    ...                full_output=True)
    (3.0, 3, None)
    """
    t, v = _series(times, values, "values")
    w = float(window)
    if not (w >= 0 and math.isfinite(w)):
        raise ParameterError(f"window = {window!r} is outside its domain [0, inf)", "window")
    with np.errstate(invalid="ignore"):
        ok = (v >= threshold) if above else (v <= threshold)
    bad_cum = np.concatenate([[0], np.cumsum(~ok)])
    end = np.searchsorted(t, t + w, side="right")  # records j < end have t_j <= t_k + w
    held = bad_cum[end] - bad_cum[np.arange(t.size)] == 0
    good = held & (t + w <= t[-1])
    if np.any(good):
        k = int(np.argmax(good))
        return (float(t[k]), k, None) if full_output else float(t[k])
    if not full_output:
        return math.inf
    return math.inf, None, _why_not_sustained(t, v, ok, held, float(threshold), w, above)


def _why_not_sustained(t, v, ok, held, threshold, w, above) -> str:
    word = ">=" if above else "<="
    if not ok.any():
        if np.all(np.isnan(v)):
            best = "all NaN"
        else:
            best = f"best {np.nanmax(v) if above else np.nanmin(v):.6g}"
        return f"never {word} {threshold:g} in the log ({best}, last step {t[-1]:g})"
    if held.any():
        return (f"{word} {threshold:g} from step {t[int(np.argmax(held))]:g}, but the log ends "
                f"at step {t[-1]:g}, before the persistence window of {w:g} steps is complete")
    return (f"reaches {word} {threshold:g} (first at step {t[int(np.argmax(ok))]:g}) but never "
            f"stays there for the persistence window of {w:g} steps")


def classifier_time(times, loss, loss_target, window=0.0) -> float:
    r"""Sustained classifier clock :math:`T^{w}_\mathrm{cls}(\epsilon)` (F.4, eq 2.1).

    Examples
    --------
    >>> classifier_time([0, 10, 20, 30], [2.0, 0.05, 0.009, 0.008], 0.01)
    20.0
    """
    if not loss_target > 0:
        raise ParameterError(f"loss_target = {loss_target!r} is outside its domain (0, inf)",
                             "loss_target")
    return sustained_time(times, loss, loss_target, window)


def representation_time(times, statistic, structure_target, window=0.0) -> float:
    r"""Sustained representation clock :math:`T^{w}_\mathrm{rep}(\delta)` (F.4, eq 2.2).

    ``statistic`` is a non-negative structural gap: an energy gap (:func:`energy_gap`),
    ``stable_rank - target_rank``, or a spectral tail
    (:func:`grokdelay.deep_linear.spectral_tail`).

    Examples
    --------
    >>> representation_time([0, 10, 20, 30], [1.0, 1e-3, 1e-5, 1e-6], 1e-4)
    20.0
    """
    if not structure_target > 0:
        raise ParameterError(f"structure_target = {structure_target!r} is outside its domain "
                             "(0, inf)", "structure_target")
    return sustained_time(times, statistic, structure_target, window)


def accumulated_time(learning_rates) -> np.ndarray:
    r"""Accumulated optimizer time :math:`\tau_k = \sum_{j<k}\eta_j` (F.4, "Time parametrization").

    Parameters
    ----------
    learning_rates : array_like, shape (n,)
        :math:`\eta_j` used at step :math:`j`.

    Returns
    -------
    ndarray, shape (n + 1,)
        :math:`\tau_0 = 0, \tau_1, \ldots, \tau_n`: ``tau[k]`` is the time after ``k`` steps.

    Examples
    --------
    >>> accumulated_time([0.1, 0.1, 0.05]).tolist()
    [0.0, 0.1, 0.2, 0.25]
    """
    eta = np.asarray(learning_rates, dtype=float).ravel()
    if np.any(~np.isfinite(eta)) or np.any(eta < 0):
        raise ParameterError("learning_rates must be finite and >= 0", "learning_rates")
    return np.concatenate([[0.0], np.cumsum(eta)])


def separation_ratio(t_cls, t_rep):
    r"""Separation ratio :math:`T_\mathrm{rep}/T_\mathrm{cls}` (F.4); arrays broadcast.

    Conventions: 1 when the two are equal (including both ``inf``), ``inf`` when
    :math:`T_\mathrm{cls} = 0 < T_\mathrm{rep}` or only :math:`T_\mathrm{rep}` is ``inf``,
    0 when only :math:`T_\mathrm{cls}` is ``inf``.

    Examples
    --------
    >>> float(separation_ratio(20.0, 3000.0))
    150.0
    """
    a = np.asarray(t_cls, dtype=float)
    b = np.asarray(t_rep, dtype=float)
    if np.any(np.isnan(a)) or np.any(np.isnan(b)):
        raise ParameterError("clock times must not be NaN", "t_cls")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = b / np.where(a == 0, 1.0, a)
    r = np.where(a == 0, np.where(b == 0, 1.0, np.inf), r)
    r = np.where(a == b, 1.0, r)
    r = np.where(np.isinf(a) & np.isfinite(b), 0.0, r)
    return r


def min_logit_gap(logits, labels) -> float:
    r"""Empirical minimum gap :math:`\min_{i, c\ne y_i}(z_{i,y_i} - z_{i,c})` (F.4).

    Examples
    --------
    >>> min_logit_gap(np.array([[3.0, 1.0], [0.0, 2.5]]), np.array([0, 1]))
    2.0
    """
    z = np.asarray(logits, dtype=float)
    y = np.asarray(labels).astype(int)
    n = z.shape[0]
    correct = z[np.arange(n), y]
    other = z.copy()
    other[np.arange(n), y] = -np.inf
    return float(np.min(correct - other.max(axis=1)))


def energy_gap(energy, reference=None) -> np.ndarray:
    r"""Energy gap :math:`E(t) = \mathcal E(t) - \mathcal E_\infty` of a logged energy series.

    ``reference`` is :math:`\mathcal E_\infty`; by default the minimum of the series (use the
    final value of a longer run when the series has not converged: the gap is then biased
    low by the residual).
    """
    e = np.asarray(energy, dtype=float)
    ref = np.min(e) if reference is None else float(reference)
    return e - ref


@dataclasses.dataclass(frozen=True)
class ClockReading:
    """Both clocks read off one run (F.4 empirical protocol)."""

    t_cls: float
    t_rep: float
    ratio: float
    interval: float
    loss_target: float
    structure_target: float
    window: float

    @property
    def ordered(self) -> bool:
        """True when the classifier clock closes first (the two-clock picture)."""
        return self.t_cls <= self.t_rep


def read_clocks(times, loss, statistic, loss_target, structure_target, window=0.0
                ) -> ClockReading:
    """Sustained classifier and representation times, their ratio and the plateau length.

    Examples
    --------
    >>> r = read_clocks([0, 10, 20, 30, 40], [1.0, 0.001, 0.001, 0.001, 0.001],
    ...                 [1.0, 0.5, 0.1, 0.001, 0.0001], 0.01, 0.01)
    >>> r.t_cls, r.t_rep, r.ratio, r.interval
    (10.0, 30.0, 3.0, 20.0)
    """
    t_cls = classifier_time(times, loss, loss_target, window)
    t_rep = representation_time(times, statistic, structure_target, window)
    ratio = float(separation_ratio(t_cls, t_rep))
    with np.errstate(invalid="ignore"):
        interval = t_rep - t_cls if not (math.isinf(t_rep) and math.isinf(t_cls)) else math.inf
    return ClockReading(t_cls, t_rep, ratio, float(interval), float(loss_target),
                        float(structure_target), float(window))

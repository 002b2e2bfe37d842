r"""The late-time KL energy-gap law (private engine; Tan et al. 2026, Thm 4.8-4.9, App. F.2).

:math:`\dot E = -c\,E^{2\theta}`: its closed-form solution, its stopping time and that time's
log, shared by the deep-linear toolkit (:mod:`grokdelay.deep_linear`, which re-exports
:func:`energy_gap_solution` and :func:`energy_gap_time`) and the representation clock of
:mod:`grokdelay.two_clocks`.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["energy_gap_solution", "energy_gap_time", "log_duration", "log_gap"]


def log_gap(t, theta, rate, e0, t0):
    """log E(t) for dE/dt = -c E^(2 theta), E(t0) = e0 (e0 may be inf)."""
    a = 2.0 * theta - 1.0
    s = t - t0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if np.all(np.isinf(e0)):
            return -(np.log(rate * a * s)) / a
        # E(t)^-a = e0^-a + c a s ;  log E = log e0 - log1p(c a s e0^a) / a  (a -> 0: e0 e^-cs)
        x = rate * a * s * np.exp(a * np.log(e0))
        small = np.abs(a) < 1e-8
        safe_a = np.where(small, 1.0, a)
        out = np.log(e0) - np.where(small, rate * s, np.log1p(x) / safe_a)
        return np.where(np.isinf(e0), -(np.log(rate * a * s)) / safe_a, out)


def energy_gap_solution(t, theta, rate, energy_initial=math.inf, t0=0.0) -> np.ndarray:
    r"""Solution of the late-time KL law :math:`\dot E = -c\,E^{2\theta}` (Thm 4.8, F.2).

    .. math::

        E(t) = \bigl[E_0^{-(2\theta-1)} + c\,(2\theta-1)(t-t_0)\bigr]^{-1/(2\theta-1)},

    with :math:`E_0 = E(t_0)`; :math:`E_0 = \infty` gives
    :math:`E(t) = [c(2\theta-1)(t-t_0)]^{-1/(2\theta-1)}` (the API's start), and
    :math:`\theta \to 1/2` the exponential :math:`E_0 e^{-c(t-t_0)}`. Arrays broadcast.
    Evaluated in log space, so tiny or huge gaps do not underflow the intermediate steps.

    Examples
    --------
    >>> float(energy_gap_solution(1.0, 0.75, 2.0))          # [2 * 0.5 * 1]^-2
    1.0
    """
    t, theta, rate, e0, t0 = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                                   for v in (t, theta, rate, energy_initial, t0)))
    with np.errstate(over="ignore"):
        return np.exp(log_gap(t, theta, rate, e0, t0))


def energy_gap_time(target, theta, rate, energy_initial=math.inf, t0=0.0, *, log=False):
    r"""First time the KL energy gap reaches ``target`` (eq 2.2 with Thm 4.9's rate law).

    .. math::

        T(\delta) = t_0 + \frac{\delta^{-(2\theta-1)} - E_0^{-(2\theta-1)}}{c\,(2\theta-1)}
        \quad(\delta < E_0), \qquad T(\delta) = t_0 \quad(\delta \ge E_0).

    With ``log=True`` returns :math:`\log(T - t_0)` computed in log space (exact where
    :math:`T` overflows float64; ``-inf`` when :math:`\delta \ge E_0`).

    Examples
    --------
    >>> float(energy_gap_time(1.0, 0.75, 2.0))              # 1 / (2 * 0.5)
    1.0
    """
    d, theta, rate, e0, t0 = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                                   for v in (target, theta, rate, energy_initial,
                                                             t0)))
    with np.errstate(divide="ignore"):
        log_dur = log_duration(np.log(d), theta, rate, e0)
    if log:
        return log_dur
    with np.errstate(over="ignore"):
        return t0 + np.exp(log_dur)


def log_duration(log_target, theta, rate, energy_initial):
    r"""log of :math:`(\delta^{-a} - E_0^{-a})/(c\,a)`, :math:`a = 2\theta - 1`, from
    :math:`\log\delta`.

    The one implementation of the KL stopping time in log space: exact where the time
    overflows float64 and for targets :math:`\delta` below the float range (given by their
    log); ``-inf`` when :math:`\delta \ge E_0`; the :math:`a\to0` limit kept finite.
    """
    ld, theta, rate, e0 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in
                                                (log_target, theta, rate, energy_initial)))
    a = 2.0 * theta - 1.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        le0 = np.log(e0)
        below = ld >= le0
        # (d^-a - e0^-a) / (c a) = d^-a * (-expm1(-a (log e0 - log d))) / (c a)
        x = np.where(below, 1.0, le0 - ld)  # > 0 where used; inf when e0 = inf
        small = a * np.where(np.isinf(x), 1.0, x) < 1e-300
        frac = np.where(np.isinf(x), 1.0, -np.expm1(-a * np.where(np.isinf(x), 0.0, x)))
        # a -> 0 with finite x: (1 - e^{-a x}) / a -> x ; keep the log finite
        log_num = np.where(small & np.isfinite(x), np.log(np.where(np.isfinite(x), x, 1.0)),
                           np.log(np.where(small, 1.0, frac)) - np.log(np.where(a > 0, a, 1.0)))
        log_dur = -a * ld + log_num - np.log(rate)
        return np.where(below, -np.inf, log_dur)

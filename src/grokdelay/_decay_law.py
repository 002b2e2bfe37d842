"""The shared arithmetic of the weight-decay delay laws: ``L / (c * rate)`` and its steps.

Every real-run law of the form ``delay = log(norm ratio) / (c * eta * lambda)``
(:mod:`~grokdelay.first_passage`, :mod:`~grokdelay.two_phase`) is evaluated here from the logs
of its factors, so huge or tiny ratios neither overflow nor lose precision, with the two edge
regimes every such law has: no separation to close (delay 0) and no decay (delay inf).
"""

from __future__ import annotations

import math

import numpy as np

from ._core import Interval, Outcome, ParameterError, note_where, param


def log_decay_outcome(t_mem, log_ratio, log_rate, rate, *, discrete: bool, no_gap: str,
                      no_decay: str, extra: dict | None = None,
                      notes: list[str] | None = None) -> Outcome:
    r"""The delay ``log_ratio / rate`` (continuous) or ``log_ratio / -log(1 - rate)`` (discrete).

    ``log_ratio`` is the log of the ratio the decay must close (of norms, not squared; callers
    halve a log of squared norms), ``rate`` the contraction per step of the norm with
    ``log_rate = log(rate)`` given separately so it stays exact when ``rate`` underflows.
    ``log_ratio <= 0`` gives delay 0 with the note ``no_gap``; ``rate == 0`` gives inf with the
    note ``no_decay``. The discrete form needs ``rate < 1`` (callers check).
    """
    notes = list(notes or [])
    gap = log_ratio > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        log_l = np.log(np.where(gap, log_ratio, 1.0))
        if discrete:
            r = np.where(rate > 0, rate, 0.5)
            # -log(1 - r) = r * q with log q = log(-log1p(-r) / r) >= 0
            log_den = log_rate + np.log(-np.log1p(-r) / r)
        else:
            log_den = log_rate
        log_delay = log_l - log_den
        delay = np.exp(log_delay)
    decays = np.isfinite(log_rate)
    delay = np.where(gap, np.where(decays, delay, np.inf), 0.0)
    log_delay = np.where(gap, np.where(decays, log_delay, np.inf), -np.inf)
    notes += note_where(~gap, no_gap)
    notes += note_where(gap & ~decays, no_decay)
    notes += note_where(gap & decays & np.isinf(delay),
                        "the delay overflows float64; log_delay is exact")
    return Outcome(t_mem=t_mem, t_grok=t_mem + delay, units="steps", notes=notes, delay=delay,
                   log_delay=log_delay, extra=dict(extra or {}))


# --------------------------------------------------------------------------- shared fields

def learning_rate_field():
    """The learning-rate field every weight-decay law declares."""
    return param("eta", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                 typical=(1e-5, 1e-1)), "learning rate (step size)")


def weight_decay_field():
    """Decoupled weight decay in the library's convention (API.md)."""
    return param("lambda", Interval(0, math.inf, hi_closed=False, typical=(1e-4, 5.0)),
                 "decoupled weight decay, theta <- (1 - eta lambda) theta - eta step")


def t_mem_field():
    return param("T_mem", Interval(0, math.inf, hi_closed=False, typical=(0.0, 1e5)),
                 "memorization step; t_grok = t_mem + delay", 0.0)


def check_contraction(factors, field: str, what: str) -> None:
    """ParameterError unless the per-step decay rate, the product of ``factors``, lies in
    [0, 1) everywhere (a product past 1.8e308 is inf, so >= 1 too)."""
    arrays = np.broadcast_arrays(*(np.asarray(f, dtype=float) for f in factors))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        rate = np.prod(arrays, axis=0)
    # a zero factor makes the product 0, even beside factors whose product overflows
    rate = np.where(np.any(np.stack(arrays) == 0, axis=0), 0.0, rate)
    if np.any(rate >= 1):
        bad = float(np.ravel(rate)[np.argmax(np.ravel(rate) >= 1)])
        raise ParameterError(f"{what} = {bad:g} >= 1: the decay no longer shrinks the norm "
                             "monotonically (it zeroes it at 1 and flips its sign above); the "
                             "product must lie in [0, 1)", field)

"""The block Newton iteration of the exact linear teacher-student path (private).

:func:`newton_block` finds, for a block of points at once, the x = log tau where a
monotone loss falls to its target, from an upper bound, by steps to the root of a model
fitted at each iterate (:func:`model_step`), safeguarded by the bracket [largest x with
h > 0, smallest with h < 0]. :mod:`grokdelay._lts_kernel` has the same iteration for one
point on Python floats and its compiled form; :mod:`grokdelay._lts_engine` builds the rows
(``_Integrands``) and drives it (the starting bound, the look-further steps).
"""

from __future__ import annotations

import numpy as np

from ._lts_kernel import INNER_TOL, NEWTON_STEP_TOL, STALL, SUPERLINEAR


def newton_block(it, x_hi, log_target):
    """Safeguarded Newton in x = log tau from x_hi on the rows ``it`` (an
    ``_lts_engine._Integrands``). Returns (x, ok); not ok: h(x_hi) > 0."""
    n = x_hi.size
    x = x_hi.copy()
    a = np.full(n, -np.inf)              # largest x seen with h > 0
    b = np.full(n, np.inf)               # smallest x seen with h <= 0
    ok = np.ones(n, bool)
    done = np.zeros(n, bool)
    act = np.arange(n)
    live = act                           # the points whose rows ``it`` still holds
    x_prev, p_prev, s_prev = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.inf)
    for it_count in range(200):
        xa = x[act]
        if act.size < live.size:
            rows = np.searchsorted(live, act)
            if act.size <= 0.6 * live.size:
                it.compact(rows)
                live, rows = act, slice(None)
        else:
            rows = slice(None)
        log_l, slope, rate = it.log_loss_and_slope(np.exp(xa), rows)
        h = log_l - log_target[act]
        if it_count == 0:
            bad = h > 0
            ok[act[bad]] = False
            done[act[bad]] = True
        pos = h > 0
        a[act] = np.where(pos, np.maximum(a[act], xa), a[act])
        b[act] = np.where(pos, b[act], np.minimum(b[act], xa))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            xn, p = model_step(xa, log_l, slope, log_target[act], it.floor[rows], rate,
                               x_prev[act], p_prev[act])
            step = np.abs(xn - xa)        # (_lts_kernel.newton_scalar's stopping rule)
            small = (step <= NEWTON_STEP_TOL) | (step <= 1e-7) & (step * step * s_prev[act]
                                                                  <= SUPERLINEAR)
        aa, bb = a[act], b[act]
        # a converged Newton step may land on the bracket end it started from
        stall = small & (np.abs(h) > STALL * np.maximum(1.0, np.abs(slope)))  # see STALL
        with np.errstate(divide="ignore", invalid="ignore"):
            xn = np.where(stall, xa - h / slope, xn)
        small &= ~stall
        outside = (~np.isfinite(xn) | (xn < aa) | (xn > bb) | (xn < -745.0)    # (an underflowed
                   | ((xn == aa) | (xn == bb)) & ~small)                       # slope: x -> -1e302)
        fallback = np.where(np.isfinite(aa), 0.5 * (aa + bb), bb - 2.0)
        xn = np.where(outside, fallback, xn)
        x_prev[act], p_prev[act], s_prev[act] = xa, np.where(outside, np.nan, p), np.abs(xn - xa)
        conv = (small & ~outside) | (bb - aa <= 1e-14) | (h == 0)
        x[act] = np.where(h == 0, xa, xn)
        done[act] |= conv
        act = act[~done[act]]
        if act.size == 0:
            break
    else:
        raise FloatingPointError("linear_teacher_student: Newton iteration did not converge "
                                 f"for {act.size} point(s); please report the parameters")
    return x, ok


def model_step(x, log_l, slope, log_target, floor, rate, x_prev, p_prev):
    """The next x and p: the root of a model fitted at x, ``L = F + P(x) e^{-r (tau'-tau)}
    (tau'/tau)^p e^{q (x'-x)^2 / 2}`` (F the floor, r the ``rate`` of :func:`mixed_rate`, p
    from the slope, q the secant of p from the previous iterate, else 0), which matches L
    and dL/dx at x and is exact for each late exponential alone: up to three Newton steps
    on it from the plain step (:data:`grokdelay._lts_kernel.INNER_TOL` ends them early),
    kept where it does not apply."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        plain = x - (log_l - log_target) / slope
        r_f = np.exp(np.log(floor) - log_l)                  # F / L
        r_t = np.exp(np.log(floor) - log_target)             # F / T
        log_p = log_l + np.log1p(-r_f)
        d = log_target + np.log1p(-r_t) - log_p              # log P(x') - log P(x) wanted
        tau0 = np.exp(x)
        p = slope / (1.0 - r_f) + rate * tau0                # d log P / dx + r tau
        p = np.where(np.isfinite(plain) & (floor >= 0) & (r_f < 1.0) & (r_t < 1.0), p, np.nan)
        q = (p - p_prev) / (x - x_prev)                      # (_lts_kernel.model_step_1)
        q = np.where(np.isfinite(q) & (x != x_prev), q, 0.0)
        y = plain
        live = np.ones(np.shape(y), bool)       # (_lts_kernel.INNER_TOL's early stop)
        for _ in range(3):
            ey = np.exp(y)
            u = y - x
            dy = (p * u + 0.5 * q * u * u - rate * (ey - tau0) - d) / (p + q * u - rate * ey)
            y = np.where(live, y - dy, y)
            live &= ~(np.abs(dy) <= INNER_TOL * np.abs(u) + 1e-16)
            if not live.any():
                break
        # (a decay far slower than r: p is then r tau to rounding and the model's steps
        # crawl; with r = 2 c this was the null space at rate 4 g << 2 c)
        use = (np.isfinite(y) & (r_f < 1.0) & (r_t < 1.0) & (np.abs(y - x) < 8.0)
               & (rate * tau0 <= 4.0 * np.abs(slope / (1.0 - r_f)) + 8.0))
    return np.where(use, y, plain), p


def mixed_rate(c2, g4, pa, pb, dec):
    """:func:`grokdelay._lts_kernel.mixed_rate` on arrays: the model's decay rate, the
    rates ``c2 = 2c``, ``2 c2`` and ``g4 = 4g`` of the parts ``pa``, ``pb``, ``dec`` of
    the loss above its floor weighted by their values (``c2`` where they do not sum to a
    positive number)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        total = pa + pb + dec
        mixed = c2 * (pa / total) + (2.0 * c2) * (pb / total) + g4 * (dec / total)
    return np.where((total > 0) & (total < np.inf), mixed, c2)

"""The Newton iteration's model of the exact linear teacher-student path
(``grokdelay._lts_newton``, and its one-point and compiled forms in ``_lts_kernel`` and
``_lts_numba``).

The model's decay rate (``mixed_rate``) weights the rates of the loss's parts above its
floor (2c, 4c, 4g) by their values at the iterate. These tests pin what that buys and what
it must keep: the rate is a convex combination of the parts' rates, exact for each part
alone; the three implementations of the rate and of the model step (with its early-stopped
inner iteration) give the same numbers; on a loss that is one exponential
the first model step lands on the closed-form root; and on losses without weight decay
(where the 2c model was off by a factor 2 in the rate) the iteration takes fewer
evaluations than it did.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import grokdelay as gd
from grokdelay import _lts_kernel, _lts_newton

_pos = st.floats(0.0, 1.7e308, allow_nan=False)     # (sums of three may overflow: 2c then)
_rate = st.floats(0.0, 1e300, allow_nan=False)      # (2c = 0: aspect_ratio 1, no weight decay)


@settings(max_examples=300, deadline=None)
@given(_rate, _rate, _pos, _pos, _pos)
def test_mixed_rate_is_a_weighted_mean_of_the_parts_rates(c2, g4, pa, pb, dec):
    r = _lts_kernel.mixed_rate(c2, g4, pa, pb, dec)
    # the array form (numpy block) gives the same bits
    assert float(_lts_newton.mixed_rate(np.array([c2]), np.array([g4]), np.array([pa]),
                                        np.array([pb]), np.array([dec]))[0]) == r
    total = pa + pb + dec
    if not 0 < total < math.inf:
        assert r == c2                           # nothing to weight: the spectrum's 2c
        return
    rates = [v for v, w in ((c2, pa), (2 * c2, pb), (g4, dec)) if w > 0]
    # a convex combination, up to the rounding of its three divisions, three products and
    # two sums (relative 4 ulp of the largest rate)
    slack = 4 * np.finfo(float).eps * max(c2, 2 * c2, g4)
    assert min(rates) - slack <= r <= max(rates) + slack


@pytest.mark.parametrize("parts, expected", [((1.0, 0.0, 0.0), 0.6), ((0.0, 2.0, 0.0), 1.2),
                                              ((0.0, 0.0, 3.0), 0.08)])
def test_mixed_rate_is_exact_for_one_part(parts, expected):
    # 2c = 0.6, 4g = 0.08: one part alone decays at its own rate, to the bit
    assert _lts_kernel.mixed_rate(0.6, 0.08, *parts) == expected


def test_mixed_rate_compiled_agrees_bit_for_bit():
    pytest.importorskip("numba")
    from grokdelay import _lts_numba

    rng = np.random.default_rng(3)
    for _ in range(500):
        c2, g4 = 10 ** rng.uniform(-8, 2, 2)
        parts = 10 ** rng.uniform(-300, 0, 3) * (rng.random(3) < 0.8)
        assert _lts_numba.mixed_rate(c2, g4, *parts) == _lts_kernel.mixed_rate(c2, g4,
                                                                               *parts)


def _model_inputs(n, seed):
    """Random model-step inputs around a crossing: iterates on either side of the target,
    first steps (no previous iterate) and later ones, floors from 0 to above the loss,
    slopes from flat to steep, and a few degenerate values (zero slope, inf, nan)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-6.0, 9.0, n)
    log_target = rng.uniform(-30.0, -1.0, n)
    log_l = log_target + rng.choice([-1.0, 1.0], n) * 10 ** rng.uniform(-9, 0.7, n)
    rate = 10 ** rng.uniform(-6, 1, n)
    slope = -(rate * np.exp(x)) * 10 ** rng.uniform(-3, 1, n) - 10 ** rng.uniform(-3, 1, n)
    floor = np.where(rng.random(n) < 0.4, 0.0,
                     np.exp(log_target + rng.uniform(-12.0, 0.5, n)))
    x_prev = np.where(rng.random(n) < 0.3, np.nan, x + rng.choice([-1, 1], n)
                      * 10 ** rng.uniform(-8, 0.5, n))
    p_prev = np.where(np.isnan(x_prev), np.nan, rng.normal(0.0, 5.0, n))
    bad = rng.random(n) < 0.05
    slope[bad] = rng.choice([0.0, np.inf, -np.inf, np.nan], bad.sum())
    return x, log_l, slope, log_target, floor, rate, x_prev, p_prev


def _libm_exp():
    # numpy's float64 exp is libm's on machines without AVX512F (docs/performance.rst);
    # where it is not, the paths agree to an ulp of each exp, not bit for bit
    v = np.linspace(-700.0, 700.0, 4001)
    return all(float(e) == math.exp(float(t)) for t, e in zip(v, np.exp(v)))


def test_model_step_is_the_same_in_every_path():
    # the block's masked early stop against the one-point loop's break, and the compiled
    # step, on 4000 random inputs: 1167 stop after one inner step, 528 after two, 1716 run
    # all three and 589 take the plain step (the model rejected)
    args = _model_inputs(4000, seed=7)
    with np.errstate(all="ignore"):
        y_block, p_block = _lts_newton.model_step(*args)
    tol = 0.0 if _libm_exp() else 1e-12
    compiled = None
    try:
        from grokdelay import _lts_numba as compiled
    except ImportError:                                            # pragma: no cover
        pass
    for i in range(args[0].size):
        a = [float(v[i]) for v in args]
        y1, p1 = _lts_kernel.model_step_1(*a)
        for y, p in [(float(y_block[i]), float(p_block[i]))] + (
                [compiled.model_step(a[0], math.exp(a[0]), a[1], a[2], a[3],
                                     *_lts_kernel.hoist(a[4], a[3]), a[4], a[5], a[6], a[7])]
                if compiled is not None else []):
            # a step that is not finite (a flat or non-finite slope: nan on floats, +-inf
            # on arrays) sends every caller to the same bisection fallback
            assert (y1 == y or not (math.isfinite(y1) or math.isfinite(y))
                    or abs(y1 - y) <= tol * max(1.0, abs(y1))), (i, a, y1, y)
            assert (p1 == p or (math.isnan(p1) and math.isnan(p))
                    or abs(p1 - p) <= tol * max(1.0, abs(p1))), (i, a, p1, p)


def test_the_compiled_kernel_uses_the_same_inner_tolerance():
    pytest.importorskip("numba")
    from grokdelay import _lts_numba

    assert _lts_numba._INNER_TOL == _lts_kernel.INNER_TOL


def _one_exponential(c, wb, floor=0.0):
    """Rows of a loss that is one exponential above its floor: a single node at the lower
    edge (x = 0, k = c) carrying only a B weight, so L = floor + wb e^{-4 c tau}."""
    r4 = np.zeros((4, 2))
    r4[2, 1], r4[3, 1] = wb, wb * c
    return _lts_kernel.Rows1.build(np.zeros(1), r4, 0.0, c, 0.0, floor)


@pytest.mark.parametrize("c, wb, log_target", [(0.3, 0.5, -9.0), (1e-4, 2.0, -3.0),
                                               (5.0, 1e3, -20.0)])
def test_one_exponential_is_solved_by_the_first_model_step(monkeypatch, c, wb, log_target):
    # log L = log wb - 4 c tau: the root in closed form. The model fitted at x0 with the
    # loss's own rate 4c (what mixed_rate gives for a B part alone) is the loss itself, so
    # its root is the root, to the inner iteration's convergence; with the 2c rate the
    # same step misses by more than 1e-3 in log tau, and the iteration needed more steps.
    it = _one_exponential(c, wb)
    root = math.log((math.log(wb) - log_target) / (4.0 * c))
    x0 = root + 0.25
    log_l, slope, rate = _lts_kernel.log_loss_and_slope_1(it, math.exp(x0))
    assert rate == 4.0 * c
    new, _ = _lts_kernel.model_step_1(x0, log_l, slope, log_target, 0.0, rate)
    old, _ = _lts_kernel.model_step_1(x0, log_l, slope, log_target, 0.0, 2.0 * c)
    assert abs(new - root) < 1e-12 < 1e-3 < abs(old - root)
    calls = []
    orig = _lts_kernel.log_loss_and_slope_1
    monkeypatch.setattr(_lts_kernel, "log_loss_and_slope_1",
                        lambda rows, tau: calls.append(tau) or orig(rows, tau))
    x, ok = _lts_kernel.newton_scalar(it, x0, log_target)
    assert ok and len(calls) == 2                  # the step, then its confirmation
    assert x == pytest.approx(root, abs=1e-14)     # log tau; a few ulp of the root


def test_fewer_evaluations_without_weight_decay(monkeypatch):
    # Without weight decay the Newton losses are E1^2 B alone (A vanishes with g), which the
    # 2c model took 4.6 evaluations per crossing to solve on these points (measured before
    # the change, the same points and code otherwise); the mixed-rate model takes 3.2.
    monkeypatch.setenv("GROKDELAY_KERNEL", "numpy")
    calls = []
    orig = _lts_kernel.log_loss_and_slope_1
    monkeypatch.setattr(_lts_kernel, "log_loss_and_slope_1",
                        lambda rows, tau: calls.append(tau) or orig(rows, tau))
    crossings = 0
    for lam in np.linspace(0.05, 0.95, 19):
        for eps in (1e-2, 1e-3, 1e-4, 1e-6):
            p = gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=lam, threshold=eps,
                                                         learning_rate=0.01))
            crossings += int(math.isfinite(p.t_mem)) + int(math.isfinite(p.t_grok))
    assert crossings == 2 * 19 * 4
    assert len(calls) / crossings <= 3.4, len(calls) / crossings

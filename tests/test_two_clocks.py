"""two_clocks: closed forms against ODE integration, step-by-step iteration and mpmath."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import grokdelay as gd
from grokdelay.scenarios import SCENARIO_FIT, scenario_fit
from grokdelay.two_clocks import classifier_clock, representation_clock, temporal_mismatch

HYP = settings(max_examples=40, deadline=None, derandomize=True)


def _base(**kw):
    d = dict(gap_rate=0.1, n_classes=10, loss_target=1e-3, kl_exponent=0.7, kl_rate=0.05,
             structure_target=1e-3)
    d.update(kw)
    return gd.TwoClocks(**d)


# ------------------------------------------------------------------ representation clock


@pytest.mark.parametrize("theta,c,e0,delta", [(0.75, 0.5, 10.0, 1e-3), (0.6, 2.0, 1.0, 1e-4),
                                              (0.95, 0.1, 100.0, 1e-2), (0.51, 1.0, 3.0, 1e-3)])
def test_representation_clock_matches_ode(theta, c, e0, delta):
    # Integrate dE/dt = -c E^(2 theta) from E(0) = e0 with an event at E = delta, in log E
    # (d log E/dt = -c E^(2 theta - 1)) so the stiff tail is well resolved. rtol 1e-10 in the
    # integrator gives ~1e-8 relative error in the event time; we allow 1e-7.
    sol = solve_ivp(lambda t, y: [-c * math.exp((2 * theta - 1) * y[0])], (0.0, 1e12),
                    [math.log(e0)], method="LSODA", rtol=1e-11, atol=1e-12,
                    events=lambda t, y: y[0] - math.log(delta))
    t_ode = sol.t_events[0][0]
    pred = _base(kl_exponent=theta, kl_rate=c, structure_target=delta, energy_initial=e0,
                 gap_rate=1e3, loss_target=1.0).predict()
    assert pred.t_grok == pytest.approx(t_ode, rel=1e-7)


def test_infinite_start_is_the_limit_of_finite_starts():
    # E0 = inf (the API's start) is the E0 -> inf limit; E0 = 1e8 differs by E0^-(2theta-1)
    # relative to delta^-(2theta-1): (1e-3/1e8)^0.4 = 4e-5.
    p = _base(kl_exponent=0.7, structure_target=1e-3)
    inf = p.predict().t_grok
    big = p.replace(energy_initial=1e8).predict().t_grok
    assert big < inf and big == pytest.approx(inf, rel=5e-5)
    assert p.replace(energy_initial=math.inf).predict().t_grok == inf


def test_representation_clock_mpmath_tiny_target_and_overflow():
    # log_delay stays exact where t_grok overflows float64: mpmath at 50 digits.
    p = _base(kl_exponent=0.99, kl_rate=1e-30, structure_target=1e-300, gap_rate=1.0)
    pred = p.predict()
    assert math.isinf(pred.t_grok) and any("float64" in n for n in pred.notes)
    with mp.workdps(50):
        a = 2 * mp.mpf("0.99") - 1
        want = mp.log(mp.mpf("1e-300") ** (-a) / (mp.mpf("1e-30") * a) - pred.t_mem)
    # 1e-13: log-space float64 evaluation of an O(700) logarithm
    assert pred.log_delay == pytest.approx(float(want), rel=1e-13)


def test_structure_already_reached_gives_t_late():
    p = _base(energy_initial=1e-4, structure_target=1e-3, t_late=500.0)
    pred = p.predict()
    assert pred.extra["t_rep"] == 500.0
    assert any("already below" in n for n in pred.notes)


# ------------------------------------------------------------------ classifier clock


def test_classifier_clock_is_the_bound_crossing_of_gap_growth():
    # Step the gap g(t) = g0 + gamma (t - t_m) on a fine grid and find where the Lemma 3.1
    # bound (K-1) exp(-g) first falls to eps; grid spacing 1e-4 bounds the error.
    K, eps, gamma, g0, tm = 7, 1e-3, 0.37, 1.5, 12.0
    t = np.arange(tm, tm + 60, 1e-4)
    bound = (K - 1) * np.exp(-(g0 + gamma * (t - tm)))
    t_grid = t[np.argmax(bound <= eps)]
    p = _base(n_classes=K, loss_target=eps, gap_rate=gamma, gap_initial=g0, t_margin=tm)
    assert p.predict().t_mem == pytest.approx(t_grid, abs=1e-4)


def test_actual_cross_entropy_is_below_the_lemma_bound():
    # Lemma 3.1: log(1 + (K-1) e^-g) <= (K-1) e^-g for every K and g.
    rng = np.random.default_rng(3)
    for _ in range(50):
        K = int(rng.integers(2, 50))
        gaps = rng.uniform(0, 20, size=K - 1)
        loss = math.log1p(np.sum(np.exp(-gaps)))
        assert loss <= (K - 1) * math.exp(-gaps.min()) * (1 + 1e-15)


def test_discrete_clock_matches_iterated_contraction():
    # Iterate L_{k+1} = (1 - rho) L_k from L_0 = (K-1) e^{-g0} and count steps.
    for K, eps, rho, g0 in [(10, 1e-3, 0.2, 0.0), (97, 1e-2, 0.05, 1.0), (3, 1e-6, 0.9, -2.0),
                            (2, 0.5, 1.0, 0.0)]:
        L, k = (K - 1) * math.exp(-g0), 0
        while L > eps:
            L *= (1 - rho)
            k += 1
        pred = _base(n_classes=K, loss_target=eps, gap_initial=g0,
                     tail_contraction=rho).predict(method="discrete")
        assert pred.t_mem == k
        # Prop 3.6's sufficient count is an upper bound on the exact one
        assert pred.extra["t_mem_sufficient"] >= k


def test_discrete_default_contraction_agrees_with_continuous():
    # rho = 1 - exp(-gamma): the integer clock is the ceiling of the continuous one.
    p = _base(gap_rate=np.array([0.01, 0.1, 0.33, 2.0]))
    c, d = p.predict(), p.predict(method="discrete")
    np.testing.assert_array_equal(d.t_mem, np.ceil(c.t_mem - 1e-9))


def test_never_fits_is_inf_with_note():
    pred = _base(gap_rate=0.0).predict()
    assert math.isinf(pred.t_mem) and math.isinf(pred.t_grok)
    assert any("never fits" in n for n in pred.notes)
    assert any("factor of 9000" in n for n in pred.notes)
    pred = _base(gap_rate=0.0, gap_initial=50.0).predict()   # already fitted at t_margin
    assert pred.t_mem == 0.0


def test_representation_first_gives_no_plateau():
    pred = _base(kl_rate=1e6, structure_target=0.5, gap_rate=1e-3).predict()
    assert pred.t_grok == pred.t_mem and pred.delay == 0.0 and pred.log_delay == -math.inf
    assert pred.extra["t_rep"] < pred.t_mem


# ------------------------------------------------------------------ Theorem 5.6


def test_coupled_method_uses_epsilon_power():
    p = _base(coupling_exponent=1.5)
    got = p.predict(method="coupled")
    want = p.replace(structure_target=1e-3 ** 1.5).predict()
    assert got.t_grok == pytest.approx(want.t_grok, rel=1e-12)
    with pytest.raises(gd.ParameterError, match="coupling_exponent"):
        _base().predict(method="coupled")


def test_temporal_mismatch_is_polynomial_in_one_over_epsilon():
    # Thm 5.6: log(plateau) / log(1/eps) -> beta (2 theta - 1), while t_mem / log(1/eps) -> 1/gamma.
    eps = np.logspace(-20, -200, 5)
    p = _base(loss_target=eps, kl_exponent=0.8, coupling_exponent=2.0, gap_rate=0.5)
    pred = temporal_mismatch(p)
    slope = np.diff(pred.log_delay) / np.diff(np.log(1 / eps))
    np.testing.assert_allclose(slope, 2.0 * 0.6, rtol=1e-6)
    np.testing.assert_allclose(np.diff(pred.t_mem) / np.diff(np.log(1 / eps)), 2.0, rtol=1e-9)


# ------------------------------------------------------------------ properties


@HYP
@given(st.floats(0.51, 0.99), st.floats(1e-4, 10), st.floats(1e-6, 1e-1))
def test_t_grok_decreases_with_rate_and_target(theta, c, delta):
    p = _base(kl_exponent=theta, kl_rate=c, structure_target=delta, gap_rate=1e3,
              loss_target=1.0)
    t = p.predict().t_grok
    assert p.replace(kl_rate=2 * c).predict().t_grok <= t
    assert p.replace(structure_target=2 * delta).predict().t_grok <= t
    # scaling law: T_rep - t_late is exactly 1/c
    assert p.replace(kl_rate=2 * c).predict().extra["t_rep"] == pytest.approx(t / 2, rel=1e-12)


@HYP
@given(st.floats(1e-3, 10), st.integers(2, 1000), st.floats(1e-8, 0.1))
def test_t_mem_scales_as_one_over_gap_rate(gamma, K, eps):
    p = _base(gap_rate=gamma, n_classes=K, loss_target=eps)
    t = p.predict().t_mem
    assert p.replace(gap_rate=3 * gamma).predict().t_mem == pytest.approx(t / 3, rel=1e-12)
    assert t == pytest.approx(math.log((K - 1) / eps) / gamma, rel=1e-12)


def test_vectorized_sweep_of_1e4_points_is_fast():
    import time

    rng = np.random.default_rng(0)
    p = _base(kl_exponent=rng.uniform(0.51, 0.99, 10_000), loss_target=rng.uniform(1e-6, 0.1,
                                                                                    10_000))
    t0 = time.process_time()
    for m in ("continuous", "discrete"):
        pred = p.predict(method=m)
        assert pred.t_grok.shape == (10_000,) and not np.isnan(pred.log_delay).any()
    assert time.process_time() - t0 < 2.0


def test_public_helpers_agree_with_the_mechanism():
    p = _base(gap_initial=1.0, t_margin=3.0, t_late=7.0, energy_initial=20.0)
    pred = p.predict()
    assert pred.t_mem == pytest.approx(float(classifier_clock(1e-3, 0.1, 10, 1.0, 3.0)))
    assert pred.extra["t_rep"] == pytest.approx(
        float(representation_clock(1e-3, 0.7, 0.05, 7.0, 20.0)), rel=1e-14)


def test_bad_input_names_the_field():
    with pytest.raises(gd.ParameterError, match="kl_exponent"):
        _base(kl_exponent=0.5)
    with pytest.raises(gd.ParameterError, match="n_classes"):
        _base(n_classes=1)
    with pytest.raises(gd.ParameterError, match="tail_contraction"):
        _base(tail_contraction=0.0)


# ------------------------------------------------------------------ scenario


def test_scenario_constants_come_from_the_documented_fit():
    # The scenario's KL inputs are the rounded output of scenario_fit(); the run is
    # deterministic (fixed seed, float64), so agreement is to the rounding (5e-5) unless the
    # BLAS changes summation order (far below that).
    fit = scenario_fit()
    for key in ("kl_exponent", "kl_rate_per_decay_time", "relative_target"):
        assert fit[key] == pytest.approx(SCENARIO_FIT[key], abs=2e-4), key
    # the fitted law reproduces the measured decay time of the reference run (in-sample): 2%
    assert fit["fitted_decay_time"] == pytest.approx(fit["measured_decay_time"], rel=0.02)
    sc = gd.TwoClocks.scenario()
    pred = sc.params.predict()
    assert pred.t_mem == pytest.approx(200.0, rel=1e-12)   # calibrated, by construction
    assert pred.t_grok > pred.t_mem

"""KramersEscape: the Eyring-Kramers formula against exact MFPTs and Langevin walkers, its
validation, log-space overflow, units, broadcasting, and the temperature helpers."""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

import grokdelay as gd
from grokdelay import kramers as kr

HYP = settings(max_examples=40, deadline=None, derandomize=True)


def quartic(z):
    return (z * z - 1.0) ** 2


def ek(barrier, temperature, hmin=8.0, hs=-4.0, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gd.GrokdelayWarning)
        return gd.KramersEscape(barrier, temperature, hmin, hs, **kw).predict()


# --------------------------------------------------------------------------- vs exact MFPT


@pytest.mark.parametrize("x", [10.0, 20.0, 40.0, 100.0, 1000.0])
def test_formula_vs_exact_mfpt_error_is_three_eighths_t_over_barrier(x):
    # Quartic double well Delta F (x^2-1)^2 with Delta F = 1, T = 1/x: H_min = 8, H_s = -4.
    # Laplace expansion of both integrals of the exact MFPT gives
    #   tau_exact / tau_EK = 1 + (3/16 + 3/16) T/DF + O((T/DF)^2).
    # Observed (x = 10, 20, 40): (ratio - 1) x = 0.434, 0.400, 0.387, so the O((T/DF)^2) residual
    # is about 0.5 / x; we allow 0.7 / x.
    exact = kr.mfpt_1d(quartic, -1.0, 1.0, 1.0 / x, x_left=-3.0, n_panels=400)
    pred = ek(1.0, 1.0 / x)
    rel = math.expm1(exact - pred.log_delay)
    assert abs(rel * x - 0.375) < 0.7 / x, rel * x


@pytest.mark.parametrize("x", [10.0, 40.0])
def test_saddle_passage_vs_exact_mfpt_to_the_saddle(x):
    # MFPT from the minimum to the saddle itself is tau/2 to leading order (the quartic is
    # symmetric about its saddle, so the half-Gaussian is exactly half: same 3/8 correction).
    exact = kr.mfpt_1d(quartic, -1.0, 0.0, 1.0 / x, x_left=-3.0, n_panels=400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gd.GrokdelayWarning)
        half = gd.predict_delay(gd.KramersEscape(1.0, 1.0 / x, 8.0, -4.0), method="saddle_passage")
    rel = math.expm1(exact - half.log_delay)
    assert abs(rel * x - 0.375) < 0.7 / x
    assert half.delay == pytest.approx(ek(1.0, 1.0 / x).delay / 2, rel=1e-14)


def test_formula_vs_walkers_anisotropic_3d():
    # Rotated 3-D well with transverse stiffness k_i (1 + c x^2), c = 1: the minimum is stiffer
    # than the saddle across, so the prefactor is (1+c)^-1 of the separable one. Hessians are
    # full matrices (rotation). 3000 walkers, dt = 0.01 (SE 1.8%, Euler-Maruyama bias ~ -1%),
    # Delta F / T = 3 (the largest a test can afford: work ~ e^{DF/T}). Observed
    # (sim / tau_EK - 1) * DF/T = 1.38 (seed 12), the O(T/DF) error of the formula for this
    # landscape; we require 0 <= sim/tau_EK - 1 <= 2 T/DF + 4 SE.
    rng = np.random.default_rng(5)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    well = kr.QuarticDoubleWell(1.0, [2.0, 5.0], 1.0, rotation=q)
    t = 1.0 / 3.0
    pred = ek(1.0, t, well.hessian_min, well.hessian_saddle)
    times = kr.escape_times(well.gradient, well.point(-1.0), t, 0.01,
                            exit_coordinate=well.escape_coordinate, exit_at=1.0,
                            n_walkers=3000, seed=12)
    mean, se = times.mean(), times.std(ddof=1) / math.sqrt(times.size)
    rel = mean / pred.delay - 1
    assert -4 * se / pred.delay <= rel <= 2 * t + 4 * se / pred.delay, (rel, se / pred.delay)
    # the anisotropy is in the prefactor: c = 1 halves it relative to the separable landscape
    flat = kr.QuarticDoubleWell(1.0, [2.0, 5.0], 0.0, rotation=q)
    assert ek(1.0, t, flat.hessian_min, flat.hessian_saddle).delay == pytest.approx(
        2 * pred.delay, rel=1e-12)


# --------------------------------------------------------------------------- Hessians


def test_prefactor_matrix_equals_eigenvalues_equals_slogdet():
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    em = np.array([8.0, 1e-3, 2.0, 3e4, 0.5])
    es = np.array([-4.0, 7.0, 1e-2, 2.0, 9.0])
    hm, hs = q @ np.diag(em) @ q.T, q @ np.diag(es) @ q.T
    hm, hs = (hm + hm.T) / 2, (hs + hs.T) / 2
    a = kr.log_prefactor(em, es)
    b = kr.log_prefactor(hm, hs)
    _, ldm = np.linalg.slogdet(hm)
    _, lds = np.linalg.slogdet(hs)
    c = math.log(2 * math.pi / 4.0) + 0.5 * (lds - ldm)
    # The rotated matrices have condition number 3e7: eigvalsh / LU recover the eigenvalue 1e-3
    # to an absolute error ~ n eps 3e4 ~ 3e-11, relative 3e-8, so the log agrees to ~1e-8.
    assert b == pytest.approx(a, abs=1e-8) and c == pytest.approx(a, abs=1e-8)
    with mpmath.workdps(40):
        ref = mpmath.log(2 * mpmath.pi / 4) + (mpmath.log(mpmath.fprod(abs(mpmath.mpf(v)) for v in es))
                                               - mpmath.log(mpmath.fprod(em))) / 2
    assert a == pytest.approx(float(ref), rel=1e-14)


def test_one_dimensional_number_matches_formula():
    p = ek(1.0, 0.1)
    assert p.delay == pytest.approx(2 * math.pi / 4 * math.sqrt(4 / 8) * math.exp(10), rel=1e-14)
    assert p.units == "time" and p.t_mem == 0.0


@pytest.mark.parametrize("field,value,match", [
    ("hessian_min", -1.0, "positive definite"),
    ("hessian_min", [1.0, 0.0], "positive definite"),
    ("hessian_min", [[1.0, 2.0], [0.0, 1.0]], "not symmetric"),
    ("hessian_min", [[1.0, 2.0], [2.0, 1.0]], "positive definite"),  # eigenvalues -1, 3
    ("hessian_saddle", 4.0, "exactly one negative"),
    ("hessian_saddle", [-1.0, -2.0], "exactly one negative"),
    ("hessian_saddle", [-1.0, 0.0], "exactly one negative"),
    ("hessian_saddle", [[-1.0, 0.5], [0.4, 2.0]], "not symmetric"),
    ("hessian_saddle", [[1.0, 2.0, 3.0]], "shape"),
    ("hessian_saddle", "abc", "not a number"),
    ("hessian_min", float("nan"), "non-finite"),
])
def test_bad_hessians_name_the_field(field, value, match):
    kw = dict(barrier=1.0, temperature=0.1, hessian_min=8.0, hessian_saddle=-4.0)
    kw[field] = value
    if field == "hessian_min" and np.ndim(value) and np.size(value) == 2:
        kw["hessian_saddle"] = [-4.0, 1.0]
    if field == "hessian_saddle" and np.ndim(value) == 1 and np.size(value) == 2:
        kw["hessian_min"] = [8.0, 1.0]
    with pytest.raises(gd.ParameterError, match=match) as info:
        gd.KramersEscape(**kw)
    assert info.value.field == field and field in str(info.value)


def test_dimension_mismatch_names_hessian_saddle():
    with pytest.raises(gd.ParameterError, match="same parameter space") as info:
        gd.KramersEscape(1.0, 0.1, [8.0, 1.0], -4.0)
    assert info.value.field == "hessian_saddle"


@pytest.mark.parametrize("field,value", [("barrier", -1.0), ("temperature", 0.0),
                                         ("temperature", -0.1), ("barrier", math.inf),
                                         ("t_mem", -1.0), ("learning_rate", 0.0)])
def test_bad_scalars_name_the_field(field, value):
    kw = dict(barrier=1.0, temperature=0.1, hessian_min=8.0, hessian_saddle=-4.0)
    kw[field] = value
    with pytest.raises(gd.ParameterError) as info:
        gd.KramersEscape(**kw)
    assert info.value.field == field


# --------------------------------------------------------------------------- log space, units


def test_overflow_keeps_log_delay_exact():
    p = ek(1e4, 1.0, t_mem=5.0)
    assert p.delay == math.inf and p.t_grok == math.inf and p.t_mem == 5.0
    with mpmath.workdps(50):
        ref = mpmath.log(2 * mpmath.pi / 4 * mpmath.sqrt(mpmath.mpf(4) / 8)) + 10**4
    assert p.log_delay == pytest.approx(float(ref), rel=1e-15)
    assert any("float64" in n for n in p.notes)
    # and with learning rate: log(tau / eta) = log tau - log eta
    q = ek(1e6, 1.0, learning_rate=1e-3)
    assert q.log_delay == pytest.approx(1e6 + math.log(1.1107207345395915) + math.log(1e3),
                                        rel=1e-15)


def test_steps_and_delay_without_cancellation():
    # t_mem = 1e20 steps, tau = 1.11 steps: t_grok - t_mem is 0 in float64, but delay = tau.
    p = ek(0.0, 1.0, t_mem=1e20, learning_rate=1.0)
    tau = 2 * math.pi / 4 * math.sqrt(0.5)
    assert p.units == "steps"
    assert p.delay == pytest.approx(tau, rel=1e-15)
    assert p.log_delay == pytest.approx(math.log(tau), rel=1e-15)
    q = ek(1.0, 0.1, learning_rate=1e-3)
    assert q.delay == pytest.approx(ek(1.0, 0.1).delay / 1e-3, rel=1e-13)


def test_low_barrier_warns_and_notes():
    with pytest.warns(gd.GrokdelayWarning):
        gd.KramersEscape(0.5, 1.0, 8.0, -4.0).predict()
    assert any("outside the formula's regime" in n for n in ek(2.0, 1.0).notes)
    assert not any("outside" in n for n in ek(10.0, 1.0).notes)


def test_broadcasting_matches_scalar_calls():
    b = np.array([[0.5], [1.0], [30.0]])
    t = np.array([[0.01, 0.1, 1.0, 5.0]])
    p = ek(b, t, learning_rate=0.01)
    assert p.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            s = ek(float(b[i, 0]), float(t[0, j]), learning_rate=0.01)
            assert p.log_delay[i, j] == pytest.approx(s.log_delay, rel=1e-15)
            assert p.delay[i, j] == s.delay or p.delay[i, j] == pytest.approx(s.delay, rel=1e-15)


def test_large_sweep_is_fast():
    import time

    b = np.linspace(0, 100, 10_000)
    t0 = time.perf_counter()
    p = ek(b, 0.5, hmin=np.diag([8.0, 1.0, 3.0]), hs=np.diag([-4.0, 2.0, 3.0]))
    # ~2 ms here; the bound leaves room for a loaded 2-core machine
    assert time.perf_counter() - t0 < 2.0
    assert np.all(np.isfinite(p.log_delay))


@HYP
@given(st.floats(0.0, 1e3), st.floats(1e-3, 10.0), st.floats(1e-3, 10.0))
def test_arrhenius_law_in_log_space(barrier, t1, t2):
    # log tau(T1) - log tau(T2) = barrier (1/T1 - 1/T2): the Hessian prefactor cancels.
    a, b = ek(barrier, t1), ek(barrier, t2)
    assert a.log_delay - b.log_delay == pytest.approx(barrier * (1 / t1 - 1 / t2),
                                                      rel=1e-9, abs=1e-9)


@HYP
@given(st.floats(0.0, 100.0), st.floats(0.0, 100.0), st.floats(1e-2, 10.0))
def test_monotone_in_barrier(b1, b2, t):
    lo, hi = sorted((b1, b2))
    assert ek(lo, t).log_delay <= ek(hi, t).log_delay


@HYP
@given(st.floats(1e-3, 1e3), st.floats(1e-3, 1e3))
def test_hessian_scaling(s, barrier):
    # H -> s H (both Hessians, 3-D): tau -> tau / s (time scales as 1/curvature).
    hm, hs = np.array([8.0, 2.0, 1.0]), np.array([-4.0, 3.0, 1.0])
    a = ek(barrier, 1.0, hm, hs)
    b = ek(barrier, 1.0, s * hm, s * hs)
    assert b.log_delay == pytest.approx(a.log_delay - math.log(s), rel=1e-12, abs=1e-12)


# --------------------------------------------------------------------------- helpers


def test_seed_000_consistency_check():
    # seed 000 section 4.2: 73x -> Delta F / T ~ ln 73 ~ 4.3
    assert kr.implied_barrier_over_temperature(73.0) == pytest.approx(math.log(73.0))
    assert round(kr.implied_barrier_over_temperature(73.0), 1) == 4.3


@HYP
@given(st.floats(0.0, 500.0), st.floats(1e-2, 10.0), st.floats(1e-4, 1.0))
def test_implied_ratio_inverts_the_prediction(barrier, t, eta):
    p = ek(barrier, t, learning_rate=eta)
    pre = math.exp(kr.log_prefactor(8.0, -4.0)) / eta
    got = kr.implied_barrier_over_temperature(math.exp(p.log_delay), pre) if p.log_delay < 700 \
        else p.log_delay - math.log(pre)
    assert got == pytest.approx(barrier / t, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("regime,k", [("sgd", 1), ("full_batch", 2)])
@pytest.mark.parametrize("fe,fl", [(2.0, 1.0), (0.5, 3.0), (1.0, 0.1)])
def test_log_delay_change_vs_two_predictions(regime, k, fe, fl):
    # Build both runs explicitly: T scales as eta^k, barrier as lambda^1, steps as 1/eta.
    barrier, t, eta = 3.0, 0.7, 1e-3
    a = ek(barrier, t, learning_rate=eta)
    b = ek(barrier * fl, t * fe**k, learning_rate=eta * fe)
    got = kr.log_delay_change(barrier / t, fe, fl, regime=regime)
    assert got == pytest.approx(b.log_delay - a.log_delay, rel=1e-12, abs=1e-12)
    got_time = kr.log_delay_change(barrier / t, fe, fl, regime=regime, units="time")
    assert got_time == pytest.approx(got + math.log(fe), rel=1e-12, abs=1e-12)


def test_sgd_temperature_vs_minibatch_simulation():
    # Per-sample losses h/2 (x - a_i)^2: per-sample gradient covariance h^2 Var(a). Mini-batch SGD
    # with replacement, 4000 parallel chains after 3000 steps (h eta = 0.05: relaxation ~ 20
    # steps). Stationary h Var(x) must equal the discretized SGD temperature
    # T / (1 - eta h / 2), T = eta tr(Sigma) / (2B). Sampling error of a variance from 4000
    # chains: sqrt(2/4000) = 2.2%; we allow 8%.
    rng = np.random.default_rng(7)
    a = rng.standard_normal(50)
    h, eta, batch = 2.0, 0.025, 5
    cov = h**2 * a.var()
    x = np.zeros(4000)
    for _ in range(3000):
        picks = a[rng.integers(0, a.size, size=(batch, x.size))]
        x -= eta * h * (x - picks.mean(0))
    t_sgd = kr.sgd_temperature(eta, cov, batch)
    measured = h * np.var(x - a.mean())
    assert measured == pytest.approx(kr.discretized_temperature(t_sgd, eta, h), rel=0.08)
    assert kr.sgd_temperature(eta, cov, batch, dimension=4) == pytest.approx(t_sgd / 4)


def test_full_batch_and_extensive_barrier():
    assert kr.full_batch_temperature(1e-3, 2.0, scale=0.5) == pytest.approx(1e-6)
    assert kr.extensive_barrier(512 * (2 * 97 + 1), 1e-3) == pytest.approx(99.84)
    np.testing.assert_allclose(kr.full_batch_temperature(np.array([1e-3, 2e-3]), 2.0, 1.0),
                               [2e-6, 8e-6])


@pytest.mark.parametrize("call,field", [
    (lambda: kr.sgd_temperature(0.0, 1.0, 1), "learning_rate"),
    (lambda: kr.sgd_temperature(0.1, 1.0, 0.5), "batch_size"),
    (lambda: kr.sgd_temperature(0.1, -1.0, 1), "grad_cov_trace"),
    (lambda: kr.full_batch_temperature(0.1, 1.0, 0.0), "scale"),
    (lambda: kr.implied_barrier_over_temperature(-2.0), "delay"),
    (lambda: kr.log_delay_change(1.0, regime="adam"), "regime"),
    (lambda: kr.discretized_temperature(1.0, 0.1, -1.0), "curvature"),
])
def test_helper_errors_name_the_argument(call, field):
    with pytest.raises(gd.ParameterError) as info:
        call()
    assert info.value.field == field and field in str(info.value)


def test_scenario_is_documented_and_circular_exponent_flagged():
    sc = gd.KramersEscape.scenario()
    assert "CIRCULAR" in sc.sources["barrier"]
    p = sc.params.predict()
    assert p.units == "steps" and p.t_mem == 200.0
    # 73 * (2 pi / 2) / 1e-3 steps
    assert p.delay == pytest.approx(73 * math.pi / 1e-3, rel=1e-12)


def test_lyapunov_reference_is_solver_independent():
    # sanity of the reference used above: scipy's Lyapunov solve vs the geometric series
    eta, h, t = 0.1, 2.0, 0.3
    var = scipy.linalg.solve_discrete_lyapunov(np.array([[1 - eta * h]]),
                                               np.array([[2 * t * eta]]))[0, 0]
    series = sum(2 * t * eta * (1 - eta * h) ** (2 * k) for k in range(2000))
    assert var == pytest.approx(series, rel=1e-12)

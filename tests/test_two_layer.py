"""The coupled kernel of the two-layer linear network (seed 003 eq 17, h-dot from eq 40).

Checked three ways: against ``solve_ivp`` of the (u, kappa) ODE with the trace of eq 17
computed by MP quadrature (no closed form for kappa, no quadrature of the clock); against
its exact limits; and against two-layer gradient descent on sampled data (eq 40).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import grokdelay as gd
from grokdelay._lts_simulation import _sample_problem, scalar_inputs, simulate_gradient_descent
from grokdelay._two_layer import CoupledKernel
from grokdelay.linear_teacher_student import mp_expectation, two_layer_kernel

LTS = gd.LinearTeacherStudent
lib = gd.linear_teacher_student


def _ode(lam, alpha, d_out, d_h, eta, t_end):
    """u' = eta0 kappa, kappa' = 2 h' = -(4 eta / (d_out d_h)) Tr[(T+D)^T Sigma D] (library
    units, |T|^2 = 1/2), the trace by MP quadrature under eq 36."""
    def trace(u):
        return (-0.5 * mp_expectation(lambda nu: nu * np.exp(-2 * u * nu), lam, 4 * u)
                + 0.5 * (1 + alpha ** 2)
                * mp_expectation(lambda nu: nu * np.exp(-4 * u * nu), lam, 4 * u))

    def rhs(_, y):
        return [eta / (2 * d_out ** 2) * y[1], -(4 * eta / (d_out * d_h)) * trace(y[0])]

    return solve_ivp(rhs, (0, t_end), [0.0, alpha], method="DOP853", rtol=1e-12, atol=1e-15,
                     dense_output=True)


@pytest.mark.parametrize("lam, alpha, d_out, d_h", [
    (0.5, 1.0, 1, 20), (0.5, 0.3, 4, 20), (0.9, 2.0, 1, 10), (2.0, 0.5, 2, 50),
    (0.99, 0.1, 1, 100)])
def test_kernel_and_clock_agree_with_the_ode(lam, alpha, d_out, d_h):
    # measured 1e-13 .. 1e-12 (the ODE's own rtol is 1e-12); 1e-9 leaves room for platforms
    eta, ts = 0.01, np.array([10.0, 1e3, 3e4, 2e5])
    sol = _ode(lam, alpha, d_out, d_h, eta, ts[-1])
    u_ref, k_ref = sol.sol(ts)
    p = LTS(aspect_ratio=lam, learning_rate=eta, d_out=d_out, depth=2, init_scale=alpha,
            hidden_width=d_h)
    kern, u = two_layer_kernel(p, ts)
    np.testing.assert_allclose(u, u_ref, rtol=1e-9)
    np.testing.assert_allclose(kern, k_ref, rtol=1e-9)
    ck = CoupledKernel.marchenko_pastur(np.full(4, lam), alpha, d_out, d_h, eta, u_ref)
    np.testing.assert_allclose(ck.clock(u_ref), ts, rtol=1e-9)


def test_infinite_width_is_eq18_and_depth_one_is_exact():
    p = LTS(aspect_ratio=np.array([0.3, 0.9, 2.0]), learning_rate=0.01, d_out=3, depth=2,
            init_scale=0.7)
    a, b = gd.predict_delay(p), gd.predict_delay(p, method="coupled")
    # kappa is constant: the clock is a Gauss-Legendre sum of a constant (rounding only)
    np.testing.assert_allclose(b.t_mem, a.t_mem, rtol=1e-13)
    np.testing.assert_allclose(b.t_grok, a.t_grok, rtol=1e-13)
    one = LTS(aspect_ratio=0.5, learning_rate=0.01, hidden_width=50)
    assert gd.predict_delay(one, method="coupled").t_grok == gd.predict_delay(one).t_grok
    assert any("ignored at depth = 1" in n for n in gd.predict_delay(one).notes)


def test_kernel_limit_and_paper_initialization():
    # kappa_inf^2 = alpha^2 + 2 d_out (1 - alpha^2) / d_h exactly (lambda < 1): I(inf) =
    # (1 + alpha^2)/8 - 1/4; at alpha = 1 the kernel returns to where it started
    for alpha, d_out, d_h in [(0.3, 4, 20), (1.0, 2, 10), (2.0, 1, 40)]:
        p = LTS(aspect_ratio=0.5, learning_rate=0.01, d_out=d_out, depth=2,
                init_scale=alpha, hidden_width=d_h)
        k, _ = two_layer_kernel(p, [0.0, 1e9])
        assert k[0] == alpha
        assert k[1] == pytest.approx(math.sqrt(alpha ** 2 + 2 * d_out * (1 - alpha ** 2) / d_h),
                                     rel=1e-12)
    # the losses are the one-layer ones at the effective time u(t)
    p = LTS(aspect_ratio=0.5, learning_rate=0.01, d_out=4, depth=2, init_scale=0.3,
            hidden_width=20)
    t = np.array([0.0, 1e3, 1e5])
    _, u = two_layer_kernel(p, t)
    frozen = LTS(aspect_ratio=0.5, learning_rate=0.01, d_out=4, depth=2, init_scale=0.3)
    eta0 = 0.3 * 0.01 / (2 * 16)
    np.testing.assert_allclose(lib.losses(p, t, kernel="coupled"),
                               lib.losses(frozen, u / eta0), rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(lam=st.floats(0.05, 3.0), alpha=st.floats(0.01, 5.0), d_out=st.integers(1, 8),
       extra=st.floats(0.0, 3.0), t=st.floats(1.0, 1e7))
def test_kernel_stays_inside_its_bounds(lam, alpha, d_out, extra, t):
    # alpha^2 (1 - 2 d_out alpha^2 / (d_h (1 + alpha^2))) <= kappa^2 <= alpha^2 + 2 d_out / d_h
    # (module _two_layer); d_h >= 2 d_out keeps the lower bound positive
    d_h = 2 * d_out * 10 ** extra
    p = LTS(aspect_ratio=lam, learning_rate=0.01, d_out=d_out, depth=2, init_scale=alpha,
            hidden_width=d_h)
    k, u = two_layer_kernel(p, [t / 2, t])
    a2 = alpha ** 2
    assert np.all(k ** 2 >= a2 * (1 - 2 * d_out * a2 / (d_h * (1 + a2))) * (1 - 1e-12))
    assert np.all(k ** 2 <= (a2 + 2 * d_out / d_h) * (1 + 1e-12))
    assert 0 < u[0] < u[1]


@settings(max_examples=10, deadline=None)
@given(lam=st.floats(0.1, 0.9), alpha=st.floats(0.2, 3.0), d_out=st.integers(1, 4))
def test_correction_to_eq18_falls_as_one_over_width(lam, alpha, d_out):
    # kappa^2 - alpha^2 is exactly proportional to 1/d_h, so at large d_h the times differ
    # from eq 18's by O(1/d_h): doubling the width halves the difference (to O(1/d_h^2))
    def rel(d_h):
        p = LTS(aspect_ratio=lam, learning_rate=0.01, d_out=d_out, depth=2, init_scale=alpha,
                hidden_width=d_h)
        return (gd.predict_delay(p, method="coupled").t_grok / gd.predict_delay(p).t_grok - 1)

    r1, r2 = rel(1e4 * d_out), rel(2e4 * d_out)
    assert r2 == pytest.approx(r1 / 2, rel=0.01, abs=1e-12)


def test_saddle_never_moves():
    p = LTS(aspect_ratio=0.5, learning_rate=0.01, depth=2, init_scale=0.0, hidden_width=50)
    for method in ("exact", "coupled", "lambert_w", "asymptotic"):
        pred = gd.predict_delay(p, method=method)
        assert math.isinf(pred.t_grok) and math.isinf(pred.delay)
        assert any("saddle" in n for n in pred.notes)
    tr, gen = lib.losses(p, [0.0, 1e6], kernel="coupled")
    assert tr[0] == tr[1] and gen[0] == gen[1]


def test_bad_inputs_name_the_field():
    with pytest.raises(gd.ParameterError, match="hidden_width"):
        LTS(aspect_ratio=0.5, learning_rate=0.01, depth=2, d_out=5, hidden_width=9)
    with pytest.raises(gd.ParameterError, match="label_noise"):
        gd.predict_delay(LTS(aspect_ratio=0.5, learning_rate=0.01, depth=2, hidden_width=50,
                             label_noise=0.01), method="coupled")
    with pytest.raises(gd.ParameterError, match="kernel"):
        lib.losses(LTS(aspect_ratio=0.5, learning_rate=0.01), 1.0, kernel="moving")
    with pytest.raises(gd.ParameterError, match="depth"):
        two_layer_kernel(LTS(aspect_ratio=0.5, learning_rate=0.01), 1.0)


# ---------------------------------------------------------------- against eq 40


def _sample_kernel(kw, d_in, seed, d_h):
    """The corrected eq 17 for one sampled problem, in its physical units: its spectrum, its
    projections of T and D0 on the eigenvectors, its initial |S1|^2 (k^2 = k0^2 - 8 d_out I,
    dU/dt = eta k / d_out^2)."""
    x, _, (t0, t1), (w0, w1), n = _sample_problem(scalar_inputs(None, kw), d_in, seed, d_h)
    nu, v = np.linalg.eigh(x.T @ x / n)
    tb, db = v.T @ (t0 @ t1), v.T @ (w0 @ w1 - t0 @ t1)
    d_out, eta = kw["d_out"], kw["learning_rate"]
    ck = CoupledKernel(nu[None], np.sum(db ** 2, axis=1)[None] / 4,
                       np.sum(tb * db, axis=1)[None] / 2, np.sum(w1 ** 2) ** 2, 8 * d_out,
                       eta / d_out ** 2)
    return ck, nu, np.sum(db ** 2, axis=1), np.sum(w1 ** 2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coupled_kernel_predicts_two_layer_gradient_descent(seed):
    # d_out = 1: the output kernel S1^T S1 = |S1|^2 is a scalar, so eq 17's approximations
    # left are the input kernel S0 S0^T and discrete steps (2 eta |S1|^2 lambda_+ ~ 0.3 per
    # step on the fastest mode, 0.01 on the slow modes that set the late times). A small
    # student (alpha = 0.3) at d_h = 20 grows its kernel ~1.4-fold. Measured over 12 seeds
    # and 3 loss levels: the corrected eq 17 within [-9.8%, +1.7%] (median -1.4%; the two
    # worst seeds are those whose kernel grows most, where S0 S0^T grows too), eq 18 at the
    # run's own initial kernel +8% to +114%. Tolerance 10%, and coupled must beat eq 18 by 2x.
    d_in, d_h, alpha, eta = 200, 20, 0.3, 0.3
    kw = dict(aspect_ratio=0.5, learning_rate=eta, d_out=1, depth=2, init_scale=alpha)
    run = simulate_gradient_descent(**kw, d_in=d_in, hidden=d_h, seed=seed, max_steps=2000,
                                    method="direct", threshold=1e-9)
    ck, nu, dd, k0 = _sample_kernel(kw, d_in, seed, d_h)
    u_grid = np.geomspace(1e-2, 1e3, 4000)
    loss_u = np.exp(-4 * u_grid[:, None] * nu) @ dd          # decreasing in u
    for level in (1e-2, 1e-3, 1e-4):
        target = level * run.gen_loss[0]
        t_sim = np.argmax(run.gen_loss <= target)
        assert t_sim > 0
        u_star = np.interp(np.log(target), np.log(loss_u[::-1]), u_grid[::-1])
        err_coupled = ck.clock(u_star)[0] / t_sim - 1
        err_frozen = u_star / (eta * k0) / t_sim - 1
        assert abs(err_coupled) < 0.10, (level, err_coupled)
        assert abs(err_coupled) < 0.5 * abs(err_frozen), (level, err_coupled, err_frozen)


# ---------------------------------------------------------------- the node-free MP clock
from grokdelay._two_layer import mp_clocks, mp_kappa_limit, mp_laplace_slope  # noqa: E402


@pytest.mark.parametrize("lam", [0.05, 0.5, 0.99, 1.0, 2.5])
def test_mp_laplace_slope_is_the_mp_expectation(lam):
    # the Bessel form against the library's MP quadrature (its own nodes, ~1e-15): 1e-13
    # covers the quadrature at sigma = 300, where the integrand is e^-300 relative to 1
    for sigma in (0.0, 1e-6, 0.3, 4.0, 50.0, 300.0):
        ref = mp_expectation(lambda nu, s=sigma: nu * np.exp(-s * nu), lam, max(sigma, 1.0))
        got = mp_laplace_slope(np.array(sigma), math.sqrt(lam), (1 - math.sqrt(lam)) ** 2)
        assert got == pytest.approx(ref, rel=1e-13, abs=1e-300)


@settings(max_examples=40, deadline=None)
@given(lam=st.floats(0.02, 4.0), alpha=st.floats(0.01, 20.0), d_out=st.integers(1, 8),
       extra=st.floats(0.0, 4.0), log_u=st.lists(st.floats(-8.0, 9.0), min_size=2, max_size=2))
def test_mp_clocks_agree_with_the_node_quadrature(lam, alpha, d_out, extra, log_u):
    # two quadratures of the same integral with nothing in common but the MP law: the
    # Bessel form on ratio-2 panels against graded spectral nodes. Measured <= 2e-14 over
    # 400 random points. kappa^2 = alpha^2 - c (alpha^2 F4 - M) / 8 cancels down to
    # alpha^2 (1 - c alpha^2 / (8 (1 + alpha^2))) at worst (module _two_layer), which
    # amplifies both quadratures' errors by the inverse of that bracket (26x at alpha = 5,
    # d_h = 2 d_out; both agree with solve_ivp there to its 1e-12): 1e-11 per unit of it.
    d_h = 2 * d_out * 10 ** extra
    rtol = 1e-11 / (1 - 16 * d_out / d_h * alpha ** 2 / (8 * (1 + alpha ** 2)))
    u = 10.0 ** np.array(log_u)
    eta = 0.01
    # the nodes are graded for the largest u they are asked about
    ck = CoupledKernel.marchenko_pastur(np.full(2, lam), alpha, d_out, d_h, eta,
                                        np.full(2, u.max()))
    steps, kap = mp_clocks(np.full(2, lam), np.full(2, alpha), np.full(2, 16 * d_out / d_h),
                           np.full(2, eta / (2 * d_out ** 2)), np.stack([u, u[::-1]]))
    np.testing.assert_allclose(steps[0], ck.clock(u), rtol=rtol)
    np.testing.assert_allclose(steps[1], ck.clock(u[::-1].copy()), rtol=rtol)
    np.testing.assert_allclose(kap[0], ck.kappa(u), rtol=rtol)
    np.testing.assert_allclose(mp_kappa_limit(lam, alpha, 16 * d_out / d_h),
                               ck.kappa_limit()[0], rtol=rtol)


def test_mp_clocks_edges():
    # u = 0 costs nothing; alpha = 0 never starts; u far past 50 / lam_- is linear there
    lam = np.array([0.5, 0.5, 0.5, 1.0])
    steps, kap = mp_clocks(lam, np.array([0.3, 0.0, 0.3, 1.0]), np.full(4, 0.8),
                           np.ones(4), np.array([[0.0, 1.0, 1e12, 1e6]]))
    assert steps[0, 0] == 0.0 and math.isinf(steps[0, 1])
    assert steps[0, 2] == pytest.approx(1e12 / mp_kappa_limit(0.5, 0.3, 0.8), rel=1e-9)
    assert np.all(np.isfinite(steps[0, [0, 2, 3]])) and np.all(np.isfinite(kap))


@pytest.mark.parametrize("lam, alpha, d_out, d_h", [(0.5, 0.3, 4, 20), (2.0, 0.5, 2, 50),
                                                     (0.99, 0.1, 1, 100)])
def test_mp_clocks_agree_with_the_ode(lam, alpha, d_out, d_h):
    # as test_kernel_and_clock_agree_with_the_ode: the ODE's rtol is 1e-12
    eta, ts = 0.01, np.array([10.0, 1e3, 3e4, 2e5])
    u_ref, k_ref = _ode(lam, alpha, d_out, d_h, eta, ts[-1]).sol(ts)
    steps, kap = mp_clocks(np.full(4, lam), np.full(4, alpha), np.full(4, 16 * d_out / d_h),
                           np.full(4, eta / (2 * d_out ** 2)), u_ref[None, :])
    np.testing.assert_allclose(steps[0], ts, rtol=1e-9)
    np.testing.assert_allclose(kap[0], k_ref, rtol=1e-9)

"""implicit_bias: log(alpha)/lambda against a simulated diagonal linear network (Lyu et al. 2024)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import grokdelay as gd

HYP = settings(max_examples=40, deadline=None, derandomize=True)


def _grok_time(alpha, lam, seed=0, d=30, n=12):
    """Gradient flow of a 2-homogeneous diagonal linear net w = u^2 - v^2, init u = v = alpha.

    Sparse regression (2-sparse teacher, n < d): the early kernel phase interpolates with a
    min-l2-like solution (test error ~0.63); weight decay (lambda/2)(|u|^2 + |v|^2), the
    library's convention, eventually selects the sparse min-l1 solution. Returns the first
    time the relative test error falls below 0.1 (LSODA with the analytic Jacobian, since
    the early phase is stiff: curvature ~ alpha^2).
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w_star = np.zeros(d)
    w_star[:2] = [1.0, -1.0]
    y = X @ w_star
    G = X.T @ X / n

    def rhs(t, z):
        u, v = z[:d], z[d:]
        g = X.T @ (X @ (u * u - v * v) - y) / n
        return np.concatenate([-2 * u * g - lam * u, 2 * v * g - lam * v])

    def jac(t, z):
        u, v = z[:d], z[d:]
        g = X.T @ (X @ (u * u - v * v) - y) / n
        J = np.empty((2 * d, 2 * d))
        J[:d, :d] = -2 * np.diag(g) - lam * np.eye(d) - 4 * u[:, None] * G * u[None, :]
        J[:d, d:] = 4 * u[:, None] * G * v[None, :]
        J[d:, :d] = 4 * v[:, None] * G * u[None, :]
        J[d:, d:] = 2 * np.diag(g) - lam * np.eye(d) - 4 * v[:, None] * G * v[None, :]
        return J

    def event(t, z):
        w = z[:d] ** 2 - z[d:] ** 2
        return np.sum((w - w_star) ** 2) / np.sum(w_star**2) - 0.1

    event.terminal = True
    event.direction = -1
    T = 3 * (math.log(alpha) + 5) / lam
    sol = solve_ivp(rhs, (0, T), np.full(2 * d, alpha), method="LSODA", jac=jac,
                    events=event, rtol=1e-8, atol=1e-10)
    return float(sol.t_events[0][0])


def test_grokking_time_grows_by_one_over_lambda_per_unit_log_alpha():
    # The law's content: prefactor exactly 1 on log(alpha)/lambda, plus an alpha-independent
    # O(1/lambda) offset. Differences between alphas cancel the offset; the remaining
    # error is the O(alpha^-2) correction to the kernel phase and the event location
    # (rtol 1e-8), both far below the 2% allowed here.
    lam = 0.05
    log_alphas = np.array([3.0, 5.0, 7.0])
    sim = np.array([_grok_time(math.exp(la), lam) for la in log_alphas])
    pred = gd.predict_delay(gd.ImplicitBias(init_scale=np.exp(log_alphas), weight_decay=lam))
    np.testing.assert_allclose(np.diff(sim), np.diff(pred.t_grok), rtol=0.02)
    slope = np.polyfit(log_alphas, sim, 1)[0]
    assert slope == pytest.approx(1 / lam, rel=0.02)
    # and the offset is O(1/lambda), not O(log(alpha)/lambda)
    assert 0 < (sim - pred.t_grok).mean() < 5 / lam


def test_gradient_descent_method_counts_decoupled_decay_steps():
    # Iterate theta <- (1 - eta lambda) theta until ||theta|| <= ||theta_0|| / alpha.
    for alpha, eta, lam in [(20.0, 0.1, 0.05), (math.e**4, 0.01, 1.0), (3.0, 1.5, 1.0)]:
        theta, k = np.full(4, alpha), 0
        while np.linalg.norm(theta) > np.linalg.norm(np.ones(4)) * (1 + 1e-12):
            theta = theta - eta * lam * theta
            k += 1
        pred = gd.predict_delay(gd.ImplicitBias(init_scale=alpha, weight_decay=lam,
                                                learning_rate=eta), method="gradient_descent")
        assert pred.t_grok == k


@HYP
@given(st.floats(1.01, 1e6), st.floats(1e-5, 1.0), st.floats(1e-5, 1.0), st.floats(0, 10.0))
def test_scaling_laws(alpha, lam, eta, t_mem):
    p = gd.ImplicitBias(init_scale=alpha, weight_decay=lam, learning_rate=eta, t_mem=t_mem)
    pred = gd.predict_delay(p)
    tau = math.log(alpha) / (eta * lam)
    assert pred.t_grok == pytest.approx(max(t_mem, tau), rel=1e-12)
    assert pred.delay >= 0
    # squaring alpha doubles the transition time; doubling lambda halves it
    sq = gd.predict_delay(p.replace(init_scale=alpha**2, t_mem=0.0))
    assert sq.t_grok == pytest.approx(2 * tau, rel=1e-10)
    dbl = gd.predict_delay(p.replace(weight_decay=2 * lam, t_mem=0.0))
    assert dbl.t_grok == pytest.approx(tau / 2, rel=1e-10)
    disc = gd.predict_delay(p.replace(t_mem=0.0), method="gradient_descent")
    assert abs(disc.t_grok - tau) <= eta * lam * tau + 1


def test_edges_units_and_errors():
    base = gd.ImplicitBias(init_scale=100.0, weight_decay=0.1)
    pred = gd.predict_delay(base)
    assert pred.units == "time" and pred.t_grok == pytest.approx(math.log(100) / 0.1)
    never = gd.predict_delay(base.replace(weight_decay=0.0))
    assert never.t_grok == math.inf and any("never" in n for n in never.notes)
    one = gd.predict_delay(base.replace(init_scale=1.0, t_mem=5.0))
    assert one.t_grok == 5.0 and one.delay == 0.0
    with pytest.raises(gd.ParameterError, match="learning_rate"):
        gd.predict_delay(base, method="gradient_descent")
    with pytest.raises(gd.ParameterError, match="init_scale"):
        gd.ImplicitBias(init_scale=0.5, weight_decay=0.1)
    unstable = gd.predict_delay(base.replace(learning_rate=30.0), method="gradient_descent")
    assert unstable.t_grok == math.inf and unstable.notes


def test_scenario():
    sc = gd.ImplicitBias.scenario()
    assert sc.params.weight_decay == 2.0 and sc.params.t_mem == 200.0
    assert sc.params.init_scale == pytest.approx(math.sqrt(512 + 97))

"""ridge_null_space: exact step counts against gradient descent with weight decay, run step by step."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.linalg as sl
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

import grokdelay as gd
from grokdelay.ridge_null_space import gradient_descent_ridge

HYP = settings(max_examples=40, deadline=None, derandomize=True)


def _problem(n=6, P=15, seed=0):
    rng = np.random.default_rng(seed)
    Phi = rng.standard_normal((n, P))
    y = rng.standard_normal(n)
    h, V = np.linalg.eigh(Phi.T @ Phi / n)
    pos = h > 1e-10 * h.max()
    return Phi, y, h[pos], V[:, pos], V[:, ~pos]


@pytest.mark.parametrize("eta,lam,tol", [(0.05, 0.01, 1e-2), (0.2, 0.05, 1e-3), (0.25, 0.3, 0.05)])
def test_gradient_descent_method_equals_simulation(eta, lam, tol):
    # Worst-case initialization: unit error along the slowest-contracting data eigenvector
    # and along a null-space vector. The simulation measures norms against the ridge
    # solution from numpy.linalg.solve, so the integer counts must agree exactly.
    Phi, y, h, V, N = _problem()
    q = np.abs(1 - eta * (h + lam))
    assert q.max() < 1
    slow = V[:, int(np.argmax(q))]
    n = Phi.shape[0]
    theta_inf = np.linalg.solve(Phi.T @ Phi / n + lam * np.eye(Phi.shape[1]), Phi.T @ y / n)
    init = theta_inf + slow + N[:, 0]
    t_mem, t_grok = gradient_descent_ridge(Phi, y, eta, lam, tol, init=init)
    pred = gd.predict_delay(gd.RidgeNullSpace(gram_min=h.min(), gram_max=h.max(),
                                              learning_rate=eta, weight_decay=lam,
                                              tolerance=tol), method="gradient_descent")
    assert (pred.t_mem, pred.t_grok) == (t_mem, t_grok)


def test_overshooting_top_mode_sets_t_mem():
    # eta (h_max + lambda) close to 2: the top data mode oscillates and is the slowest.
    Phi, y, h, V, N = _problem(seed=3)
    lam, tol = 0.01, 1e-2
    eta = 1.9 / (h.max() + lam)
    assert abs(1 - eta * (h.max() + lam)) > abs(1 - eta * (h.min() + lam))
    n = Phi.shape[0]
    theta_inf = np.linalg.solve(Phi.T @ Phi / n + lam * np.eye(Phi.shape[1]), Phi.T @ y / n)
    t_mem, t_grok = gradient_descent_ridge(Phi, y, eta, lam, tol,
                                           init=theta_inf + V[:, -1] + N[:, 0])
    pred = gd.predict_delay(gd.RidgeNullSpace(gram_min=h.min(), gram_max=h.max(),
                                              learning_rate=eta, weight_decay=lam, tolerance=tol),
                            method="gradient_descent")
    assert (pred.t_mem, pred.t_grok) == (t_mem, t_grok)


def test_gradient_flow_against_matrix_exponential():
    # e(t) = expm(-(H + lambda) eta t) e0 (scipy.linalg.expm), crossing located by brentq
    # to 1e-12: agreement to 1e-8 relative.
    Phi, y, h, V, N = _problem(seed=1)
    P = Phi.shape[1]
    H = Phi.T @ Phi / Phi.shape[0]
    eta, lam, tol = 0.1, 0.02, 1e-2

    def err(t, vec):
        return np.linalg.norm(sl.expm(-(H + lam * np.eye(P)) * eta * t) @ vec) - tol

    slow, null = V[:, 0], N[:, 0]
    t_mem = brentq(err, 0, 1e6, args=(slow,), xtol=1e-12)
    t_null = brentq(err, 0, 1e6, args=(null,), xtol=1e-12)
    pred = gd.predict_delay(gd.RidgeNullSpace(gram_min=h.min(), learning_rate=eta,
                                              weight_decay=lam, tolerance=tol))
    np.testing.assert_allclose([pred.t_mem, pred.t_grok], [t_mem, t_null], rtol=1e-8)


@HYP
@given(st.floats(1e-4, 1e2), st.floats(1e-6, 1.0), st.floats(1e-4, 1.0), st.floats(1e-8, 0.5))
def test_ratio_delay_and_monotonicity(h, lam, eta, tol):
    p = gd.RidgeNullSpace(gram_min=h, learning_rate=eta, weight_decay=lam, tolerance=tol)
    pred = gd.predict_delay(p)
    assert pred.ratio == pytest.approx(1 + h / lam, rel=1e-10)
    assert pred.delay == pytest.approx(pred.t_grok - pred.t_mem, rel=1e-8)
    assert math.log(pred.delay) == pytest.approx(pred.log_delay, rel=1e-10, abs=1e-10)
    stronger = gd.predict_delay(p.replace(weight_decay=2 * lam))
    assert stronger.t_grok < pred.t_grok


@HYP
@given(st.floats(1e-3, 10.0), st.floats(1e-4, 0.1), st.floats(1e-6, 0.5))
def test_descent_approaches_flow_as_eta_shrinks(h, lam, tol):
    # |log(1 - x)| = x (1 + O(x)): relative gap <= eta (h + lambda) plus one step of rounding
    eta = 1e-3 / (h + lam)
    p = gd.RidgeNullSpace(gram_min=h, learning_rate=eta, weight_decay=lam, tolerance=tol)
    flow, disc = gd.predict_delay(p), gd.predict_delay(p, method="gradient_descent")
    assert abs(disc.t_mem - flow.t_mem) <= 1e-3 * flow.t_mem + 1
    assert abs(disc.t_grok - flow.t_grok) <= 1e-3 * flow.t_grok + 1


def test_no_weight_decay_never_groks():
    p = gd.RidgeNullSpace(gram_min=0.5, learning_rate=0.1, weight_decay=0.0)
    for m in ("gradient_flow", "gradient_descent"):
        pred = gd.predict_delay(p, method=m)
        assert math.isfinite(pred.t_mem) and pred.t_grok == math.inf
        assert any("never" in n for n in pred.notes)


def test_unstable_warns_and_validation():
    p = gd.RidgeNullSpace(gram_min=0.5, gram_max=30.0, learning_rate=0.1, weight_decay=0.01)
    with pytest.warns(gd.GrokdelayWarning):
        pred = gd.predict_delay(p, method="gradient_descent")
    assert pred.t_mem == math.inf
    with pytest.raises(gd.ParameterError, match="gram_max"):
        gd.RidgeNullSpace(gram_min=2.0, gram_max=1.0, learning_rate=0.1, weight_decay=0.1)


def test_arrays_broadcast():
    lam = np.logspace(-4, -1, 5)
    pred = gd.predict_delay(gd.RidgeNullSpace(gram_min=1.0, learning_rate=0.01, weight_decay=lam))
    np.testing.assert_allclose(pred.ratio, 1 + 1 / lam)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gd.predict_delay(gd.RidgeNullSpace(gram_min=1.0, learning_rate=0.01,
                                           weight_decay=np.array([0.0, 0.1])),
                         method="gradient_descent")

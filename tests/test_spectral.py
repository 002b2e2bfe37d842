"""spectral: closed forms against gradient descent / gradient flow computed step by step."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import grokdelay as gd
from grokdelay.spectral import gradient_descent_on_quadratic, mode_times

HYP = settings(max_examples=40, deadline=None, derandomize=True)

SPECTRA = [
    ([2.0, 0.5, 0.05], 0.3, 1e-2),
    ([4.0, 1.0, 0.2], 0.4, 1e-3),   # eta nu_max = 1.6: the top mode overshoots and oscillates
    ([1.0, 0.0, 0.1], 0.5, 0.05),   # a zero mode: dropped
    ([0.9], 1.0, 1e-2),
]


@pytest.mark.parametrize("nu,eta,tol", SPECTRA)
def test_gradient_descent_method_equals_simulated_gradient_descent(nu, eta, tol):
    # Integer step counts: the simulation iterates x <- x - eta H (x - x*) on a randomly
    # rotated Hessian and reads the error in the eigenbasis from eigh; the only slack is
    # the 1e-9 relative guard on the threshold comparison, so the counts must agree exactly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gd.GrokdelayWarning)
        pred = gd.predict_delay(gd.SpectralConditioning(nu, learning_rate=eta, tolerance=tol),
                                method="gradient_descent")
    t_mem, t_grok = gradient_descent_on_quadratic(nu, eta, tol)
    assert (pred.t_mem, pred.t_grok) == (t_mem, t_grok)


@pytest.mark.parametrize("nu,eta,tol", [([2.0, 0.5, 0.05], 0.01, 1e-2), ([30.0, 3e-3], 1e-3, 1e-4)])
def test_gradient_flow_against_ode(nu, eta, tol):
    # Integrate dx/dk = -eta H x (k in steps) with RK45 at rtol 1e-10 and locate the crossing
    # of |e_i| = tol with a dense-output event: agreement to 1e-6 relative is the solver's.
    nu = np.asarray(nu)

    def crossing(i):
        ev = lambda k, x: abs(x[0]) - tol  # noqa: E731
        ev.terminal = True
        sol = solve_ivp(lambda k, x: -eta * nu[i] * x, (0, 10 * math.log(1 / tol) / (eta * nu[i])),
                        [1.0], events=ev, rtol=1e-10, atol=1e-14)
        return sol.t_events[0][0]

    pred = gd.predict_delay(gd.SpectralConditioning(nu, learning_rate=eta, tolerance=tol))
    np.testing.assert_allclose([pred.t_mem, pred.t_grok],
                               [crossing(int(np.argmax(nu))), crossing(int(np.argmin(nu)))], rtol=1e-6)


@HYP
@given(st.lists(st.floats(1e-3, 1e3), min_size=1, max_size=6),
       st.floats(1e-4, 1.0), st.floats(1e-6, 0.5))
def test_ratio_is_kappa_and_times_scale_as_one_over_eta(nu, eta, tol):
    p = gd.SpectralConditioning(nu, learning_rate=eta, tolerance=tol)
    pred = gd.predict_delay(p)
    assert pred.ratio == pytest.approx(max(nu) / min(nu), rel=1e-12)
    half = gd.predict_delay(p.replace(learning_rate=eta / 2))
    assert half.t_mem == pytest.approx(2 * pred.t_mem, rel=1e-12)
    assert half.t_grok == pytest.approx(2 * pred.t_grok, rel=1e-12)
    tighter = gd.predict_delay(p.replace(tolerance=tol / 10))
    assert tighter.t_mem > pred.t_mem and tighter.t_grok > pred.t_grok


@HYP
@given(st.floats(1e-4, 0.5), st.floats(1e-6, 0.5))
def test_flow_and_descent_agree_to_order_eta_nu(x, tol):
    # log(1 - x) = -x (1 + x/2 + ...): relative gap <= x for x <= 1/2, plus the rounding of
    # one step (1 / t).
    p = gd.SpectralConditioning([x], learning_rate=1.0, tolerance=tol)
    flow = gd.predict_delay(p).t_mem
    disc = gd.predict_delay(p, method="gradient_descent").t_mem
    assert abs(disc - flow) <= x * flow + 1.0


def test_mode_times_vectorized_equals_loop():
    nu = np.array([3.0, 0.3, 0.0])
    eta = np.array([0.1, 0.2, 0.7])
    for discrete in (False, True):
        arr = mode_times(nu, eta, 1e-2, discrete=discrete)
        assert arr.shape == (3, 3)
        for i, e in enumerate(eta):
            np.testing.assert_array_equal(arr[i], mode_times(nu, e, 1e-2, discrete=discrete))
        assert np.all(np.isinf(arr[:, 2]))


def test_unstable_top_mode_warns_and_never_fits():
    p = gd.SpectralConditioning([10.0, 1.0], learning_rate=0.25)
    with pytest.warns(gd.GrokdelayWarning):
        pred = gd.predict_delay(p, method="gradient_descent")
    assert pred.t_mem == math.inf and pred.t_grok == math.inf
    assert any("never" in n for n in pred.notes)
    flow = gd.predict_delay(p)
    assert math.isfinite(flow.t_mem) and any("diverges" in n for n in flow.notes)


def test_zero_modes_dropped_with_note_and_bad_spectra_rejected():
    pred = gd.predict_delay(gd.SpectralConditioning([1.0, 0.0, 0.25], learning_rate=0.1))
    assert pred.ratio == pytest.approx(4.0) and any("null-space" in n for n in pred.notes)
    for bad in ([], [1.0, -1.0], [0.0, 0.0], [1.0, float("nan")], "abc", [[1.0, 2.0]]):
        with pytest.raises(gd.ParameterError, match="eigenvalues"):
            gd.SpectralConditioning(bad, learning_rate=0.1)
    with pytest.raises(gd.ParameterError, match="learning_rate"):
        gd.SpectralConditioning([1.0], learning_rate=math.inf)


def test_broadcast_learning_rate_array():
    p = gd.SpectralConditioning([5.0, 0.5], learning_rate=np.array([0.01, 0.1, 1.0]))
    pred = gd.predict_delay(p)
    assert pred.shape == (3,)
    np.testing.assert_allclose(pred.ratio, 10.0)


def test_scenario_uses_the_toolkit_spectrum():
    sc = gd.SpectralConditioning.scenario()
    from grokdelay.scenarios import seed000_summary

    s = seed000_summary()
    assert sc.params.eigenvalues.size == 512
    assert sc.params.eigenvalues.max() == pytest.approx(s.feature_spectrum.max(), rel=1e-12)
    assert sc.params.learning_rate == 1e-3

"""timescale_separation: the abstract's law against the residual ODE and a network's kernel motion."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

import grokdelay as gd
from grokdelay import modular_kernel as mk
from grokdelay import scenarios as scn

HYP = settings(max_examples=40, deadline=None, derandomize=True)


@pytest.fixture(scope="module")
def setup():
    task = mk.modular_addition_task(5, 0.6, seed=0)
    net = mk.init_network(24, task.input_dim, alpha=0.25, n_out=task.p, seed=1)
    return task, net, mk.kernel_summary(net, task)


def test_t_mem_is_the_top_mode_efolding_time_of_the_residual_ode(setup):
    # Linearized readout: dr/dk = -eta (K/n) r with k in steps. Start on the top eigenvector
    # and find when |r| = 1/e with RK45 (rtol 1e-10): the crossing is exact to ~1e-8.
    task, net, s = setup
    X = task.inputs(task.train)
    K = mk.ntk(net, X) / X.shape[0]
    w, V = np.linalg.eigh(K)
    eta = 0.05

    def ev(k, r):
        return np.linalg.norm(r) - math.exp(-1)

    ev.terminal = True
    sol = solve_ivp(lambda k, r: -eta * K @ r, (0, 100 / (eta * w[-1])), V[:, -1], events=ev,
                    rtol=1e-10, atol=1e-13)
    pred = gd.predict_delay(scn.timescale_parameters(s, eta))
    assert pred.t_mem == pytest.approx(sol.t_events[0][0], rel=1e-6)


def test_t_grok_is_the_kernel_motion_time_of_the_real_network(setup):
    # Take 20 gradient-descent steps of size 1e-4 on the network itself and measure how far
    # the NTK moved: ||K_k - K_0||_op / (k eta) -> ||dK/dt||_op as k eta -> 0. The mechanism
    # with the toolkit's kernel_gradient_norm must then give t_grok = ||K_0|| / (eta rate).
    # Curvature over k eta = 2e-3 time units and rare ReLU-mask flips: agree to 1%.
    task, net, s = setup
    X, Y = task.inputs(task.train), task.targets(task.train)
    n = X.shape[0]
    K0 = mk.ntk(net, X) / n
    moving = net.copy()
    eta, k = 1e-4, 20
    for _ in range(k):
        gW, gA, _ = mk.loss_gradient(moving, X, Y)
        moving.W -= eta * gW
        moving.A -= eta * gA
    rate = np.abs(np.linalg.eigvalsh(mk.ntk(moving, X) / n - K0)).max() / (k * eta)
    lr = 0.01
    pred = gd.predict_delay(scn.timescale_parameters(s, lr))
    expected = np.linalg.eigvalsh(K0)[-1] / (lr * rate)
    assert pred.t_grok == pytest.approx(expected, rel=1e-2)


@HYP
@given(st.floats(1.0, 1e5), st.floats(0.0, 0.5), st.floats(1e-5, 1.0), st.floats(1e-3, 1e3),
       st.floats(1e-3, 1e3))
def test_scaling_laws(width, alpha, eta, kn, kg):
    p = gd.TimescaleSeparation(width=width, alpha=alpha, learning_rate=eta, kernel_norm=kn,
                               kernel_gradient_norm=kg)
    pred = gd.predict_delay(p)
    t_f = width ** (2 * alpha) / (eta * kg)
    t_r = 1 / (eta * kn)
    assert pred.t_mem == pytest.approx(t_r, rel=1e-12)
    assert pred.t_grok == pytest.approx(max(t_f, t_r), rel=1e-12)
    if t_f > t_r * (1 + 1e-9):
        assert pred.log_delay == pytest.approx(math.log(t_f - t_r), rel=1e-9, abs=1e-9)
        wider = gd.predict_delay(p.replace(width=4 * width))
        assert wider.t_grok == pytest.approx(4 ** (2 * alpha) * pred.t_grok, rel=1e-12)
        assert wider.t_mem == pred.t_mem


def test_overflow_keeps_log_delay_exact():
    p = gd.TimescaleSeparation(width=1e6, alpha=0.5, learning_rate=1e-200,
                               kernel_gradient_norm=1e-200, kernel_norm=1.0)
    pred = gd.predict_delay(p)
    assert pred.t_grok == math.inf
    assert pred.log_delay == pytest.approx(math.log(1e6) + 400 * math.log(10), rel=1e-12)


def test_fast_features_give_no_delay_with_a_note():
    pred = gd.predict_delay(gd.TimescaleSeparation(width=4.0, alpha=0.0, learning_rate=0.1,
                                                   kernel_norm=1.0, kernel_gradient_norm=10.0))
    assert pred.t_grok == pred.t_mem and pred.delay == 0.0
    assert any("no delay" in n for n in pred.notes)


def test_alpha_domain():
    for bad in (-0.1, 0.6):
        with pytest.raises(gd.ParameterError, match="alpha"):
            gd.TimescaleSeparation(width=10, alpha=bad, learning_rate=0.1)


def test_scenario_inputs_come_from_the_toolkit():
    sc = gd.TimescaleSeparation.scenario()
    s = scn.seed000_summary()
    assert sc.params.kernel_norm == s.ntk_norm
    assert sc.params.kernel_gradient_norm == s.kernel_gradient_norm
    assert (sc.params.width, sc.params.alpha, sc.params.learning_rate) == (512, 0.0, 1e-3)

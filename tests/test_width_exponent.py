"""The width-exponent measurement at small size: integrator, definitions and fit kept honest."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from grokdelay import modular_kernel as mk


@pytest.fixture(scope="module")
def tiny():
    task = mk.modular_addition_task(5, 0.6, seed=0)
    net = mk.init_network(16, task.input_dim, alpha=0.25, n_out=task.p, seed=0)
    X = task.inputs(task.train)
    top = float(np.linalg.eigvalsh(mk.ntk(net, X) / X.shape[0])[-1])
    return task, net, 300.0 / top


# RK45 tolerance: the ReLU masks make the right-hand side discontinuous, so tight
# tolerances stall the step control at every mask flip; 1e-5 is ~0.2% in the times.
RTOL = 1e-5


def _rk45_times(net, task, t_max, loss_fraction=1e-2, kernel_fraction=0.1):
    """The same two times from scipy's RK45 on the flattened parameter ODE (events)."""
    # (adaptive steps and root-found events: independent of gradient_flow_times' fixed-step
    # Heun scheme, step-size rule and interpolation)
    X, Y = task.inputs(task.train), task.targets(task.train)
    n = X.shape[0]
    shapeW, sizeW = net.W.shape, net.W.size

    def unpack(z):
        return mk.TwoLayerNetwork(z[:sizeW].reshape(shapeW), z[sizeW:].reshape(net.A.shape),
                                  net.alpha)

    def rhs(t, z):
        gW, gA, _ = mk.loss_gradient(unpack(z), X, Y)
        return -np.concatenate([gW.ravel(), gA.ravel()])

    loss0 = mk.loss_gradient(net, X, Y)[2]
    K0 = mk.ntk(net, X) / n
    k0 = np.linalg.norm(K0)

    def loss_ev(t, z):
        return mk.loss_gradient(unpack(z), X, Y)[2] - loss_fraction * loss0

    def kern_ev(t, z):
        return np.linalg.norm(mk.ntk(unpack(z), X) / n - K0) - kernel_fraction * k0

    G0 = mk.readout_kernel(net, X) / n          # the features' Gram block alone
    g0 = np.linalg.norm(G0)

    def gram_ev(t, z):
        return np.linalg.norm(mk.readout_kernel(unpack(z), X) / n - G0) - kernel_fraction * g0

    z0 = np.concatenate([net.W.ravel(), net.A.ravel()])
    sol = solve_ivp(rhs, (0, t_max), z0, events=[loss_ev, kern_ev, gram_ev], rtol=RTOL,
                    atol=1e-9, method="RK45")
    first = [ev[0] if ev.size else math.inf for ev in sol.t_events]
    return first[0], first[1], first[2]


def test_heun_times_match_an_independent_rk45_integration(tiny):
    # Heun at courant 0.25 against adaptive RK45 (rtol 1e-8) with root-found events. Heun's
    # error is second order in dt * (rate of the process timed) and the crossing is
    # interpolated linearly inside one step: 2% covers both with margin (observed ~0.5%).
    task, net, t_max = tiny
    ft = mk.gradient_flow_times(net, task, t_max=t_max)
    assert math.isfinite(ft.gram_time)
    horizon = 1.2 * max(ft.readout_time, ft.feature_time, ft.gram_time)
    r_ref, f_ref, g_ref = _rk45_times(net, task, horizon)
    assert ft.readout_time == pytest.approx(r_ref, rel=0.02)
    assert ft.feature_time == pytest.approx(f_ref, rel=0.02)
    assert ft.gram_time == pytest.approx(g_ref, rel=0.02)


def test_halving_the_step_changes_the_times_by_under_one_percent(tiny):
    task, net, t_max = tiny
    a = mk.gradient_flow_times(net, task, t_max=t_max)
    b = mk.gradient_flow_times(net, task, t_max=t_max, courant=0.125)
    assert b.readout_time == pytest.approx(a.readout_time, rel=0.01)
    assert b.feature_time == pytest.approx(a.feature_time, rel=0.01)


def test_small_kernel_motion_matches_the_initial_drift(tiny):
    # For a 0.1% kernel move the linear extrapolation of dK/dt at init is accurate: with
    # steps ~1/10 of that time, measured time and drift_time agree to 5% (second-order
    # terms at t ~ drift_time are ~1%; interpolation inside one step another ~1%).
    task, net, _ = tiny
    ft = mk.gradient_flow_times(net, task, t_max=1.0, kernel_fraction=1e-3, courant=5e-4)
    assert ft.feature_time == pytest.approx(ft.drift_time, rel=0.05)


def test_measurement_at_small_size_and_the_fit():
    res = mk.measure_width_exponent(p=7, widths=(32, 64, 128), alphas=(0.0, 0.5),
                                    horizon=400.0)
    for alpha, runs in res["runs"].items():
        r = [runs[N] for N in res["widths"]]
        assert all(math.isfinite(x.readout_time) for x in r)
        fit = res["fits"][alpha]
        slope = np.polyfit(np.log(res["widths"]), np.log([x.readout_time for x in r]), 1)[0]
        assert fit["readout_exponent"] == pytest.approx(slope, rel=1e-12)
    # eq 6 direction: at alpha = 0 the readout kernel grows like N, so the fit gets faster
    assert res["fits"][0.0]["readout_exponent"] < 0
    # the fit recovers a planted exponent exactly and ignores censored (inf) runs
    assert mk.fit_exponent([8, 16, 32, 64], [1.0, 2 ** 0.7, 4 ** 0.7, math.inf])[0] == \
        pytest.approx(0.7, rel=1e-12)

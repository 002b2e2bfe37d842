"""The numerical references of the Kramers mechanism, checked against each other and exact cases.

* mfpt_1d (composite Gauss-Legendre in log space) vs mfpt_1d_mpmath (Taylor-series ODE at 20
  digits) vs closed forms (free diffusion);
* the Euler-Maruyama walkers vs the exact 1-D mean first-passage time, in 1-D and in a rotated
  3-D landscape whose escape coordinate decouples (so the 1-D MFPT is exact for it too);
* the discrete-chain temperature T / (1 - eta h / 2) vs a direct solve of the stationary
  covariance (discrete Lyapunov equation).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.linalg

import grokdelay as gd
from grokdelay import kramers as kr


def quartic(z):
    return (z * z - 1.0) ** 2


def test_mfpt_quadrature_matches_mpmath_ode():
    # Two unrelated algorithms (Gauss-Legendre panels in float64, mpmath's Taylor ODE solver at
    # 20 digits). The quadrature converges spectrally, so agreement is limited by float64
    # rounding of the exponentials: 1e-12 relative is generous.
    t = 1.0 / 3.0
    exact = kr.mfpt_1d_mpmath(lambda z: (z * z - 1) ** 2, -1.0, 1.0, t, x_left=-3.0, dps=15)
    got = math.exp(kr.mfpt_1d(quartic, -1.0, 1.0, t, x_left=-3.0))
    assert got == pytest.approx(exact, rel=1e-12)
    assert got == pytest.approx(26.640087798115303, rel=1e-13)  # mpmath nested quad, 30 digits


@pytest.mark.parametrize("length,temperature", [(2.0, 0.5), (1.0, 3.0)])
def test_mfpt_free_diffusion_closed_form(length, temperature):
    # U = 0, reflecting at 0, absorbing at L: tau = L^2 / (2 T) exactly.
    got = math.exp(kr.mfpt_1d(lambda z: 0.0 * z, 0.0, length, temperature, x_left=0.0))
    assert got == pytest.approx(length**2 / (2 * temperature), rel=1e-13)


def test_mfpt_linear_ramp_closed_form():
    # U = F x on [0, L], reflecting at 0: tau = (T/F^2)(e^{FL/T} - 1) - L/F (integrate twice).
    f, length, t = 2.0, 1.5, 0.4
    got = math.exp(kr.mfpt_1d(lambda z: f * z, 0.0, length, t, x_left=0.0))
    exact = t / f**2 * math.expm1(f * length / t) - length / f
    assert got == pytest.approx(exact, rel=1e-12)


def test_mfpt_huge_barrier_stays_finite_in_log_space():
    # Delta F / T = 1e4: tau = e^{1e4} overflows; its log must follow Eyring-Kramers plus the
    # 3/8 T/Delta F correction (the next term, ~0.5 (T/DF)^2 = 5e-9, is far below 1e-7).
    x = 1e4
    got = kr.mfpt_1d(quartic, -1.0, 1.0, 1.0 / x, x_left=-3.0, n_panels=2000)
    expected = math.log(2 * math.pi / 4 * math.sqrt(0.5)) + x + math.log1p(0.375 / x)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-7)


def test_exit_shift_constant():
    beta = -float(mpmath.zeta(0.5)) / math.sqrt(2 * math.pi)
    assert beta == pytest.approx(0.5825971579, rel=1e-9)
    assert kr.exit_shift(0.5, 0.01) == pytest.approx(beta * 0.1)


def _sim_mean(well, temperature, dt, walkers, seed):
    t = kr.escape_times(well.gradient, well.point(-1.0), temperature, dt,
                        exit_coordinate=well.escape_coordinate, exit_at=1.0,
                        n_walkers=walkers, seed=seed)
    assert np.all(np.isfinite(t))
    return t.mean(), t.std(ddof=1) / math.sqrt(walkers)


def test_walkers_match_exact_mfpt_1d():
    # 1-D quartic, Delta F / T = 3, exit at the other minimum x = +1. 4000 walkers, dt = 0.005
    # (h_min dt = 0.04): standard error 1.5%. Euler-Maruyama bias measured with 20000 walkers:
    # -2.5% at dt = 0.02, -1.5% at 0.01, -1.3% (+-0.7%) at 0.005, i.e. about -1% per 0.01 of
    # dt; allow 4 standard errors + 1%.
    t = 1.0 / 3.0
    exact = math.exp(kr.mfpt_1d(quartic, -1.0, 1.0, t, x_left=-3.0))
    mean, se = _sim_mean(kr.QuarticDoubleWell(1.0), t, 0.005, 4000, seed=11)
    assert abs(mean - exact) < 4 * se + 0.01 * exact, (mean, se, exact)


def test_walkers_match_exact_mfpt_rotated_3d():
    # Rotated 3-D landscape with transverse stiffness independent of x (stiffening = 0): the
    # escape coordinate is an autonomous 1-D diffusion, so the 1-D MFPT is exact. The walkers
    # move in the rotated frame (full matrices). 3000 walkers, dt = 0.01: SE 1.8%, bias ~ -1%.
    rng = np.random.default_rng(5)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    well = kr.QuarticDoubleWell(1.0, [2.0, 5.0], 0.0, rotation=q)
    t = 1.0 / 3.0
    exact = math.exp(kr.mfpt_1d(quartic, -1.0, 1.0, t, x_left=-3.0))
    mean, se = _sim_mean(well, t, 0.01, 3000, seed=12)
    assert abs(mean - exact) < 4 * se + 0.015 * exact, (mean, se, exact)


def test_quartic_well_hessians_by_finite_differences():
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    well = kr.QuarticDoubleWell(0.7, [2.0, 5.0], 1.5, rotation=q)
    eps = 1e-4
    for point, hess in ((well.point(-1.0), well.hessian_min), (well.point(0.0),
                                                               well.hessian_saddle)):
        assert np.allclose(well.gradient(point[:, None])[:, 0], 0.0, atol=1e-12)
        fd = np.empty((3, 3))
        for i in range(3):
            e = np.zeros(3)
            e[i] = eps
            fd[:, i] = (well.gradient((point + e)[:, None]) - well.gradient((point - e)[:, None]))[:, 0] / (2 * eps)
        # central differences of a polynomial gradient: error O(eps^2 * third derivative)
        assert np.allclose(fd, hess, atol=1e-6)


@pytest.mark.parametrize("eta,h", [(0.1, 2.0), (0.5, 3.0), (0.01, 100.0)])
def test_discretized_temperature_vs_lyapunov(eta, h):
    # Stationary variance of x <- (1 - eta h) x + sqrt(2 T eta) xi from the discrete Lyapunov
    # equation (scipy), converted to a temperature by Boltzmann: Var = T_eff / h.
    t = 0.3
    var = scipy.linalg.solve_discrete_lyapunov(np.array([[1 - eta * h]]),
                                               np.array([[2 * t * eta]]))[0, 0]
    assert kr.discretized_temperature(t, eta, h) == pytest.approx(var * h, rel=1e-12)


def test_discretized_temperature_unstable_is_inf():
    assert kr.discretized_temperature(1.0, 1.0, 2.0) == math.inf
    assert kr.discretized_temperature(1.0, 1.0, 5.0) == math.inf


def test_escape_time_ensemble_equals_the_serial_seeds_on_a_process_pool(process_pool):
    well = kr.QuarticDoubleWell(1.0, [2.0])
    kw = dict(exit_coordinate=well.escape_coordinate, exit_at=0.0, n_walkers=50)
    want = np.stack([kr.escape_times(well.gradient, well.point(-1.0), 0.5, 0.01, seed=s, **kw)
                     for s in (3, 1, 2)])
    for ex in (None, process_pool):
        got = kr.escape_time_ensemble(well.gradient, well.point(-1.0), 0.5, 0.01,
                                      seeds=(3, 1, 2), executor=ex, **kw)
        np.testing.assert_array_equal(got, want)
    with pytest.raises(gd.ParameterError, match="seed = 'x' failed"):
        kr.escape_time_ensemble(well.gradient, well.point(-1.0), 0.5, 0.01, seeds=[0, "x"],
                                executor=process_pool, **kw)

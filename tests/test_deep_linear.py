"""deep_linear: spectral identities checked by optimization, finite differences, mpmath and
a real (small) deep linear network trained with layerwise weight decay."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from scipy.integrate import solve_ivp

import grokdelay as gd
from grokdelay import clock_estimators as ce
from grokdelay import deep_linear as dl

HYP = settings(max_examples=30, deadline=None, derandomize=True)


# ------------------------------------------------------------------ Schatten quasi-norms


def test_schatten_against_mpmath_svd():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3))
    with mp.workdps(40):
        s = mp.svd_r(mp.matrix(w.tolist()), compute_uv=False)
        for p in (0.5, 2 / 3, 1.0, 2.0, 3.0):
            want = mp.fsum(abs(x) ** p for x in s) ** (1 / mp.mpf(p))
            # 1e-13: LAPACK singular values are backward stable to ~1e-15 relative
            assert float(dl.schatten_norm(w, p)) == pytest.approx(float(want), rel=1e-13)
    assert float(dl.schatten_norm(w, 2)) == pytest.approx(np.linalg.norm(w), rel=1e-14)


@HYP
@given(st.floats(0.2, 3.0), st.floats(1e-3, 1e3))
def test_schatten_is_absolutely_homogeneous(p, scale):
    w = np.random.default_rng(1).standard_normal((3, 5))
    assert float(dl.schatten_norm(scale * w, p)) == pytest.approx(
        scale * float(dl.schatten_norm(w, p)), rel=1e-12)


def test_quasi_norm_favours_concentrated_spectra():
    # same Frobenius norm, spread vs concentrated: the S_{2/3} quasi-norm prefers concentrated
    spread, conc = np.diag([1.0, 1.0]), np.diag([math.sqrt(2), 0.0])
    assert float(dl.schatten_power(conc, 2 / 3)) < float(dl.schatten_power(spread, 2 / 3))


def test_bad_inputs():
    with pytest.raises(gd.ParameterError, match="p"):
        dl.schatten_norm(np.eye(2), 0.0)
    with pytest.raises(gd.ParameterError, match="depth"):
        dl.schatten_surrogate(np.eye(2), 0)
    with pytest.raises(gd.ParameterError, match="rank"):
        dl.spectral_tail(np.eye(2), -1)


# ------------------------------------------------------------------ eq 2.7 / F.2


def _min_penalty_over_gauges(factors, seed=0):
    """min sum ||W_l||_F^2 over W_l -> G_l W_l G_{l-1}^{-1} (product unchanged), by BFGS."""
    depth = len(factors)
    n = factors[0].shape[0]
    shape = (depth - 1, n, n)

    def cost(x):
        gs = [np.eye(n) + m for m in x.reshape(shape)]
        total, prev_inv = 0.0, None
        for i, f in enumerate(factors):
            m = f if prev_inv is None else f @ prev_inv
            if i < depth - 1:
                m = gs[i] @ m
                prev_inv = np.linalg.inv(gs[i])
            total += float(np.sum(m * m))
        return total

    rng = np.random.default_rng(seed)
    best = min((optimize.minimize(cost, 0.1 * rng.standard_normal(np.prod(shape)),
                                  method="BFGS", options={"gtol": 1e-10, "maxiter": 5000})
                for _ in range(3)), key=lambda r: r.fun)
    return best.fun


@pytest.mark.parametrize("depth", [2, 3])
def test_layerwise_decay_equals_schatten_penalty_by_optimization(depth):
    # Start from a deliberately unbalanced factorization of a random invertible W and
    # minimize the layerwise penalty over all factorizations (the gauge orbit covers every
    # factorization of an invertible W into square invertible factors). BFGS converges to
    # ~1e-9 relative; we allow 1e-6.
    rng = np.random.default_rng(depth)
    n = 3
    factors = [rng.standard_normal((n, n)) * s for s in (3.0, 0.3, 1.0)[:depth]]
    w = dl.end_to_end(factors)
    want = float(dl.schatten_surrogate(w, depth))
    assert dl.layerwise_penalty(factors) > want * 1.05      # the start is far from optimal
    assert _min_penalty_over_gauges(factors) == pytest.approx(want, rel=1e-6)
    balanced = dl.balanced_factorization(w, depth)
    np.testing.assert_allclose(dl.end_to_end(balanced), w, atol=1e-12)
    assert dl.layerwise_penalty(balanced) == pytest.approx(want, rel=1e-12)


def test_depth_two_is_twice_the_nuclear_norm():
    w = np.random.default_rng(5).standard_normal((4, 6))
    assert float(dl.schatten_surrogate(w, 2)) == pytest.approx(
        2 * np.sum(np.linalg.svd(w, compute_uv=False)), rel=1e-14)


# ------------------------------------------------------------------ eq 4.3 drift


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_singular_value_drift_matches_finite_differences(depth):
    # dW/dt = -(grad L + grad R), R = (lam L / 2) sum sigma^(2/L). grad R is taken by central
    # finite differences of R (not through Theorem D.1's formula) and grad L is a fixed
    # matrix (a linear data term); sigma_i(W + h dW/dt) is differenced in h. Both steps are
    # O(h^2) ~ 1e-10 accurate; 1e-6 absolute leaves margin for the conditioning of SVD.
    rng = np.random.default_rng(depth)
    w = rng.standard_normal((3, 4))
    g = rng.standard_normal((3, 4))
    lam = 0.3

    def reg(m):
        return 0.5 * lam * depth * np.sum(np.linalg.svd(m, compute_uv=False) ** (2 / depth))

    h = 1e-6
    grad_r = np.zeros_like(w)
    for idx in np.ndindex(*w.shape):
        e = np.zeros_like(w)
        e[idx] = h
        grad_r[idx] = (reg(w + e) - reg(w - e)) / (2 * h)
    np.testing.assert_allclose(grad_r, dl.schatten_gradient(w, depth, lam), atol=1e-7)
    flow = -(g + grad_r)
    hs = 1e-5
    fd = (np.linalg.svd(w + hs * flow, compute_uv=False)
          - np.linalg.svd(w - hs * flow, compute_uv=False)) / (2 * hs)
    drift, force = dl.singular_value_drift(w, g, lam, depth)
    np.testing.assert_allclose(drift, fd, atol=1e-6)
    s = np.linalg.svd(w, compute_uv=False)
    np.testing.assert_allclose(force - drift, lam * s ** (2 / depth - 1), rtol=1e-12)


# ------------------------------------------------------------------ stable rank, tail


@HYP
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 10_000))
def test_stable_rank_bounds_and_tail(m, n, seed):
    w = np.random.default_rng(seed).standard_normal((m, n))
    sr = float(dl.stable_rank(w))
    assert 1 - 1e-12 <= sr <= np.linalg.matrix_rank(w) + 1e-12
    assert float(dl.stable_rank(7.5 * w)) == pytest.approx(sr, rel=1e-12)
    s = np.linalg.svd(w, compute_uv=False)
    for r in range(len(s) + 1):
        # Eckart-Young: the tail is ||W - W_r||_F^2 / ||W||_F^2
        u, sv, vt = np.linalg.svd(w, full_matrices=False)
        wr = (u[:, :r] * sv[:r]) @ vt[:r]
        want = np.linalg.norm(w - wr) ** 2 / np.linalg.norm(w) ** 2
        assert float(dl.spectral_tail(w, r)) == pytest.approx(want, abs=1e-12)
    assert float(dl.stable_rank(np.zeros((2, 2)))) == 0.0


# ------------------------------------------------------------------ KL law and its fit


# theta = 1/2 + 1e-6 exercises the near-exponential branch; closer to 1/2 the input itself is
# ill-conditioned (2 theta - 1 loses digits to cancellation), not the formula.
@pytest.mark.parametrize("theta", [0.5 + 1e-6, 0.55, 0.8, 0.99])
def test_energy_gap_solution_matches_solve_ivp(theta):
    c, e0 = 0.7, 4.0
    t = np.linspace(0, 30, 31)
    # integrate log E (d log E/dt = -c E^(2 theta - 1)) so the absolute tolerance does not
    # swamp the tiny late values
    sol = solve_ivp(lambda _, y: [-c * math.exp((2 * theta - 1) * y[0])], (0, 30),
                    [math.log(e0)], t_eval=t, method="LSODA", rtol=1e-12, atol=1e-12)
    # 1e-8 relative: LSODA at rtol 1e-12 accumulates ~1e-10 over 30 time units
    np.testing.assert_allclose(dl.energy_gap_solution(t, theta, c, e0), np.exp(sol.y[0]),
                               rtol=1e-8)


def test_fit_recovers_exponent_from_noisy_trajectory():
    t = np.linspace(0, 200, 400)
    e = dl.energy_gap_solution(t, 0.7, 0.2, 3.0)
    noisy = e * np.exp(0.01 * np.random.default_rng(0).standard_normal(t.size))
    fit = dl.fit_kl_exponent(t, noisy)
    # 1% multiplicative noise on 400 points over ~2.5 decades: theta to ~0.01
    assert fit.theta == pytest.approx(0.7, abs=0.01)
    assert fit.rms_log_error == pytest.approx(0.01, rel=0.2)


# ------------------------------------------------------------------ a trained network


@pytest.fixture(scope="module", params=[2, 3], ids=["depth2", "depth3"])
def run(request):
    # ~0.8 s each: 10,000 full-batch steps of a 12-12-...-4 linear network
    return dl.train_deep_linear(dl.make_synthetic_task(seed=0), depth=request.param,
                                learning_rate=0.1, weight_decay=1e-2, steps=10_000,
                                init_scale=1.0, record_every=10)


def test_training_run_satisfies_the_identities(run):
    # the energy decreases monotonically (small-step GD on a smooth energy), the end-to-end
    # surrogate (4.2) lower-bounds the factorized energy (eq 2.7), and weight decay drives the
    # layers to balance (imbalance decays like exp(-2 lambda tau)) so the two meet.
    assert np.all(np.diff(run.energy) <= 1e-12)
    assert np.all(run.schatten_energy <= run.energy + 1e-12)
    # residual imbalance after 10,000 steps (e^{-2 lambda tau} ~ e^{-20}) leaves ~1e-10
    assert run.energy[-1] - run.schatten_energy[-1] < 1e-8
    assert run.imbalance[-1] < 1e-6 * run.imbalance[0]
    # Lemma 3.1 along the run: loss <= (K - 1) exp(-min gap)
    assert np.all(run.loss <= 3 * np.exp(-run.min_gap) + 1e-15)


def test_clocks_read_off_the_run_are_ordered_and_the_kl_fit_predicts(run):
    eps, delta = 0.05, 1e-7
    gap = ce.energy_gap(run.energy, reference=run.energy[-1])
    reading = ce.read_clocks(run.steps, run.loss, gap, eps, delta, window=200)
    assert np.isfinite(reading.t_rep) and reading.ordered
    assert reading.ratio > 10           # classifier first, by an order of magnitude
    # Fit the KL law on the late window only down to 100*delta, then extrapolate two decades
    # to delta. Measured error is < 3% at both depths; 10% is the stated tolerance (the
    # late tail is near-exponential, theta ~ 0.51, and the record spacing is 10 steps).
    i0 = int(np.searchsorted(run.steps, reading.t_cls))
    win = (np.arange(gap.size) >= i0) & (gap >= 100 * delta)
    fit = dl.fit_kl_exponent(run.steps[win], gap[win])
    assert 0.5 <= fit.theta < 0.6
    t_pred = float(fit.time_to(delta))
    t_meas = ce.representation_time(run.steps, gap, delta)
    assert t_pred == pytest.approx(t_meas, rel=0.10)
    # and the mechanism with these inputs gives the same representation clock
    p = gd.TwoClocks(gap_rate=1.0, n_classes=4, loss_target=eps,
                     kl_exponent=max(fit.theta, 0.5 + 1e-9), kl_rate=fit.rate,
                     structure_target=delta, t_late=fit.t0, energy_initial=fit.energy_initial)
    assert p.predict().extra["t_rep"] == pytest.approx(t_pred, rel=1e-9)

"""Marchenko-Pastur tools against independent computations.

References: closed-form MP moments (E nu^k, E 1/nu, E 1/nu^2), scipy.integrate.quad on the
raw density of eq 6, 20-digit mpmath for the late-time integrand, and sampled Gaussian Gram
matrices.
"""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

import grokdelay as gd
from grokdelay._marchenko_pastur import (mp_atom, mp_density, mp_edges, mp_expectation,
                                         mp_nodes, sample_mp_spectrum)

RATIOS = [1e-4, 0.1, 0.5, 0.9, 0.99, 0.999]


@pytest.mark.parametrize("lam", RATIOS)
def test_moments_and_negative_moments_match_closed_forms(lam):
    # Closed forms: E nu = 1, E nu^2 = 1 + lam, E nu^3 = 1 + 3 lam + lam^2,
    # E 1/nu = 1/(1-lam), E 1/nu^2 = 1/(1-lam)^3 (lam < 1). Tolerance: the graded
    # quadrature is accurate to a few ulps times the condition of the integrand; 1/nu^2 at
    # lam = 0.999 has the pole 1.6e-2 of a panel width away, measured error ~1e-13.
    e = lambda f: mp_expectation(f, lam)
    assert e(np.ones_like) == pytest.approx(1.0, rel=1e-14)
    assert e(lambda n: n) == pytest.approx(1.0, rel=1e-14)
    assert e(lambda n: n ** 2) == pytest.approx(1 + lam, rel=1e-14)
    assert e(lambda n: n ** 3) == pytest.approx(1 + 3 * lam + lam ** 2, rel=1e-14)
    assert e(lambda n: 1 / n) == pytest.approx(1 / (1 - lam), rel=1e-12)
    assert e(lambda n: 1 / n ** 2) == pytest.approx(1 / (1 - lam) ** 3, rel=1e-11)


@pytest.mark.parametrize("lam", [0.3, 2.0, 7.5])
def test_density_against_scipy_quad_and_atom(lam):
    lo, hi = mp_edges(lam)
    mass = integrate.quad(mp_density, lo, hi, args=(lam,), epsabs=0, epsrel=1e-12)[0]
    # quad handles the integrable sqrt edges to ~1e-10 here
    assert mass == pytest.approx(min(1.0, 1.0 / lam), rel=1e-9)
    assert mp_atom(lam) == pytest.approx(max(0.0, 1 - 1 / lam), abs=0)
    first = integrate.quad(lambda v: v * mp_density(v, lam), lo, hi, epsrel=1e-12)[0]
    assert first == pytest.approx(1.0, rel=1e-9)          # the atom carries no mean
    assert mp_density([lo - 1e-9, hi + 1e-9], lam).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("lam,s", [(0.5, 1e3), (0.99, 1e4), (0.9, 3e5)])
def test_late_time_integrand_against_mpmath(lam, s):
    # E[nu exp(-s (nu - lambda_-))]: the integrand concentrates in a width 1/s at the lower
    # edge. mpmath at 20 digits on dyadic pieces of phi is the reference; 1e-12 covers the
    # float64 evaluation of exp at arguments up to ~50.
    lo, hi = mp_edges(lam)
    nu, w = mp_nodes(lam, decay=s)
    got = float(np.sum(w * nu * np.exp(-s * (nu - lo))))
    with mp.workdps(20):
        a, b, L = mp.mpf(lo), mp.mpf(hi), mp.mpf(lam)

        def f(ph):
            v = a + (b - a) * mp.sin(ph) ** 2
            dens = mp.sqrt((b - v) * (v - a)) / (2 * mp.pi * L * v)
            return v * mp.e ** (-s * (b - a) * mp.sin(ph) ** 2) * dens * 2 * (b - a) * mp.sin(ph) * mp.cos(ph)
        ref = mp.quad(f, [0] + [mp.pi / 2 * mp.mpf(2) ** (-j) for j in range(14, -1, -1)])
    assert got == pytest.approx(float(ref), rel=1e-12)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.floats(1e-3, 50.0), st.floats(0.0, 1e8))
def test_nodes_carry_the_continuous_mass_and_mean(lam, decay):
    nu, w = mp_nodes(lam, decay)
    lo, hi = mp_edges(lam)
    assert np.all((nu >= lo) & (nu <= hi)) and np.all(w >= 0)
    assert w.sum() == pytest.approx(min(1.0, 1.0 / lam), rel=1e-12)
    assert (w * nu).sum() == pytest.approx(1.0, rel=1e-12)


def test_expectation_includes_the_atom():
    assert mp_expectation(np.ones_like, 4.0) == pytest.approx(1.0, rel=1e-14)
    assert mp_expectation(lambda n: (n == 0).astype(float), 4.0) == pytest.approx(0.75)


@pytest.mark.parametrize("lam", [0.5, 2.0])
def test_sampled_spectrum_matches_the_law(lam):
    # Finite-size checks at d_in = 600: the mean of the eigenvalues is 1 +- O(1/d);
    # the null space is exactly d_in - N; the bulk sits inside the edges up to the
    # Tracy-Widom scale d^(-2/3) ~ 0.014 (0.1 allowed).
    d = 600
    nu = sample_mp_spectrum(lam, d, rng=1)
    n = round(d / lam)
    assert nu.shape == (d,)
    assert int(np.sum(nu == 0)) == max(0, d - n)
    assert abs(nu.mean() - 1.0) < 0.02
    lo, hi = mp_edges(lam)
    pos = nu[nu > 0]
    assert pos.min() > lo - 0.1 and pos.max() < hi + 0.1
    # second moment: E nu^2 = 1 + lambda (the mean over zeros included)
    assert np.mean(nu ** 2) == pytest.approx(1 + lam, rel=0.05)


def test_bad_ratio_is_a_parameter_error():
    with pytest.raises(gd.ParameterError, match="aspect_ratio"):
        mp_edges(-1.0)
    with pytest.raises(gd.ParameterError, match="aspect_ratio"):
        mp_density(1.0, math.nan)

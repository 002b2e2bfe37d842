"""The kernel toolkit against finite differences, dense linear algebra and exact Fourier facts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grokdelay import modular_kernel as mk
from grokdelay import scenarios as scn


@pytest.fixture(scope="module")
def small():
    task = mk.modular_addition_task(5, 0.6, seed=1)
    net = mk.init_network(12, task.input_dim, alpha=0.25, n_out=task.p, seed=2)
    return task, net


def _outputs(net, X, W=None, A=None):
    W = net.W if W is None else W
    A = net.A if A is None else A
    return net.scale * (np.maximum(X @ W.T, 0) @ A)


def test_task_layout():
    task = mk.modular_addition_task(7, 0.3, seed=0)
    assert task.n_train == round(0.3 * 49) and len(set(task.train)) == task.n_train
    X, Y = task.inputs(task.train), task.targets(task.train)
    assert np.all(X.sum(1) == 2) and np.all(Y.sum(1) == 1)
    a, b = X[:, :7].argmax(1), X[:, 7:].argmax(1)
    np.testing.assert_array_equal(Y.argmax(1), (a + b) % 7)


def test_ntk_equals_finite_difference_jacobian(small):
    # Central differences of f in every parameter (h = 1e-6): O(h^2) truncation and ~1e-10
    # rounding; ReLU kinks are at measure zero for Gaussian weights. The per-output NTK
    # of eq 4 is the average over outputs k of J_k J_k^T.
    task, net = small
    X = task.inputs(task.train)
    theta = np.concatenate([net.W.ravel(), net.A.ravel()])
    nW = net.W.size
    h = 1e-6
    cols = []
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        plus, minus = theta + e, theta - e
        fp = _outputs(net, X, plus[:nW].reshape(net.W.shape), plus[nW:].reshape(net.A.shape))
        fm = _outputs(net, X, minus[:nW].reshape(net.W.shape), minus[nW:].reshape(net.A.shape))
        cols.append((fp - fm) / (2 * h))
    J = np.stack(cols, axis=-1)  # (n, n_out, P)
    K_fd = np.mean([J[:, k] @ J[:, k].T for k in range(J.shape[1])], axis=0)
    np.testing.assert_allclose(mk.ntk(net, X), K_fd, rtol=1e-6, atol=1e-9)
    # readout block: every output sees the same random features
    np.testing.assert_allclose(mk.readout_kernel(net, X), J[:, 0, nW:] @ J[:, 0, nW:].T,
                               rtol=1e-6, atol=1e-9)


def test_loss_gradient_and_kernel_drift_against_finite_differences(small):
    task, net = small
    X, Y = task.inputs(task.train), task.targets(task.train)
    gW, gA, loss = mk.loss_gradient(net, X, Y, weight_decay=0.1)
    rng = np.random.default_rng(0)
    dW, dA = rng.standard_normal(net.W.shape), rng.standard_normal(net.A.shape)
    h = 1e-6

    def L(W, A):
        r = _outputs(net, X, W, A) - Y
        return 0.5 * np.sum(r**2) / X.shape[0] + 0.05 * (np.sum(W**2) + np.sum(A**2))

    fd = (L(net.W + h * dW, net.A + h * dA) - L(net.W - h * dW, net.A - h * dA)) / (2 * h)
    assert np.sum(gW * dW) + np.sum(gA * dA) == pytest.approx(fd, rel=1e-6)
    # dK/dt along gradient flow vs a central difference of ntk() along -grad (h = 1e-7)
    gW, gA, _ = mk.loss_gradient(net, X, Y)
    plus = mk.TwoLayerNetwork(net.W - 1e-7 * gW, net.A - 1e-7 * gA, net.alpha)
    minus = mk.TwoLayerNetwork(net.W + 1e-7 * gW, net.A + 1e-7 * gA, net.alpha)
    fd_K = (mk.ntk(plus, X) - mk.ntk(minus, X)) / 2e-7
    np.testing.assert_allclose(mk.kernel_drift(net, X, Y), fd_K, rtol=1e-5, atol=1e-9)


def test_matrix_free_pair_kernels_equal_dense(small):
    task, net = small
    pk = mk._PairKernels(net, task, task.train)
    X = task.inputs(task.train)
    a2 = np.mean(net.A**2, axis=1)
    Kw = mk.feature_kernel(net, X)
    np.testing.assert_allclose(pk.s2 * pk.hadamard_dense(pk.D, a2, pk.D), Kw, atol=1e-14)
    v = np.random.default_rng(1).standard_normal(pk.n)
    np.testing.assert_allclose(pk.s2 * pk.hadamard_matvec(pk.D, a2, pk.D, v), Kw @ v, atol=1e-13)


def test_kernel_summary_large_path_against_dense_eigvalsh():
    # n = 420 > 400 takes the Lanczos / LAPACK-subset path; the references are full dense
    # eigendecompositions of the matrices built by ntk(), feature_kernel(), kernel_drift().
    # Lanczos tol 1e-8 -> compare at 1e-6.
    task = mk.modular_addition_task(29, 0.5, seed=0)
    net = mk.init_network(32, task.input_dim, alpha=0.5, n_out=task.p, seed=0)
    s = mk.kernel_summary(net, task)
    X, Y = task.inputs(task.train), task.targets(task.train)
    n = X.shape[0]
    assert n > 400
    ev = np.linalg.eigvalsh(mk.ntk(net, X) / n)
    assert s.ntk_norm == pytest.approx(ev[-1], rel=1e-6)
    assert s.ntk_min == pytest.approx(ev[0], rel=1e-6)
    assert s.feature_norm == pytest.approx(
        np.linalg.eigvalsh(mk.feature_kernel(net, X) / n)[-1], rel=1e-6)
    assert s.readout_norm == pytest.approx(
        np.linalg.eigvalsh(mk.readout_kernel(net, X) / n)[-1], rel=1e-9)
    assert s.drift_norm == pytest.approx(
        np.abs(np.linalg.eigvalsh(mk.kernel_drift(net, X, Y) / n)).max(), rel=1e-6)
    assert s.kernel_gradient_norm == pytest.approx(32 * s.drift_norm / s.ntk_norm)


def test_fourier_power_exact_cases():
    p = 7
    a, b = np.meshgrid(np.arange(p), np.arange(p), indexing="ij")
    cases = {
        "constant": np.ones((p, p)),
        "marginal": np.sin(2 * np.pi * 2 * a / p) + np.cos(2 * np.pi * b / p),
        "sum": np.cos(2 * np.pi * 3 * (a + b) / p),
        "other": np.cos(2 * np.pi * (a - b) / p),
    }
    for name, g in cases.items():
        fr = mk.fourier_power(g)
        assert fr[name] == pytest.approx(1.0, abs=1e-12), name
    # the task: one-hot of (a + b) mod p is a function of a + b -> constant + sum only
    task = mk.modular_addition_task(p, 1.0)
    Y = task.targets().reshape(p, p, p).transpose(2, 0, 1)
    fr = mk.fourier_power(Y)
    np.testing.assert_allclose(fr["constant"] + fr["sum"], 1.0, atol=1e-12)
    rnd = mk.fourier_power(np.random.default_rng(0).standard_normal((3, p, p)))
    np.testing.assert_allclose(sum(rnd.values()), 1.0, atol=1e-12)


def test_feature_eigenmodes(small):
    task, net = small
    w, funcs = mk.feature_eigenmodes(net, task)
    s = mk.kernel_summary(net, task, smallest=False)
    np.testing.assert_allclose(w, s.feature_spectrum[::-1], rtol=1e-9, atol=1e-14)
    # eigenfunctions restricted to the training pairs are orthogonal with norms n * nu_i
    g = funcs.reshape(len(w), -1)[:, task.train]
    np.testing.assert_allclose(g @ g.T, np.diag(w * task.n_train), atol=1e-9)


def test_readout_kernel_norm_scales_as_eq6():
    # Seed 000 eq 6: ||K_0^(a)|| = Theta(N^(1 - 2 alpha)). Law of large numbers: at
    # N = 256 vs 1024 the ratio is within 15% of 4^(1 - 2 alpha).
    task = mk.modular_addition_task(7, 0.5, seed=0)
    X = task.inputs(task.train)
    for alpha in (0.0, 0.25, 0.5):
        norms = [np.linalg.eigvalsh(mk.readout_kernel(mk.init_network(N, 14, alpha, 7, seed=3),
                                                      X))[-1] for N in (256, 1024)]
        assert norms[1] / norms[0] == pytest.approx(4 ** (1 - 2 * alpha), rel=0.15)


def test_parameter_helpers(small):
    task, net = small
    s = mk.kernel_summary(net, task)
    ts = scn.timescale_parameters(s, 0.01)
    assert ts.kernel_norm == s.ntk_norm and ts.width == 12
    sp = scn.spectral_parameters(s, 0.01)
    assert sp.eigenvalues.max() == pytest.approx(s.feature_spectrum.max())
    rp = scn.ridge_parameters(s, 0.01, 0.1)
    assert rp.gram_min == s.ntk_min and rp.gram_max == s.ntk_norm
    with pytest.raises(ValueError, match="ntk_min"):
        scn.ridge_parameters(mk.kernel_summary(net, task, smallest=False), 0.01, 0.1)


@pytest.mark.slow
def test_seed000_cache_is_reproduced():
    # compare and the scenarios read the cached summary (grokdelay/_seed000_kernel.py) instead
    # of recomputing it at start-up. Recompute it. The operator norms are Lanczos with tol
    # 1e-8 (eigsh stops at a residual of tol * |lambda|; the Ritz value of a separated top
    # eigenvalue is then good to better than tol relative, on any BLAS); the spectrum is eigvalsh,
    # backward stable: each eigenvalue to ~ n eps ||A|| = 512 * 2.2e-16 * 0.86 ~ 1e-13
    # absolute on any LAPACK, so 1e-11 of the top eigenvalue.
    cached = scn.seed000_summary()
    fresh = scn.seed000_summary(cached=False)
    assert fresh is not cached and fresh.n_train == cached.n_train == 2823
    for name in ("readout_norm", "feature_norm", "ntk_norm", "drift_norm",
                 "kernel_gradient_norm"):
        assert getattr(fresh, name) == pytest.approx(getattr(cached, name), rel=1e-8), name
    np.testing.assert_allclose(fresh.feature_spectrum, cached.feature_spectrum, rtol=0,
                               atol=1e-11 * cached.readout_norm)
    assert cached.ntk_min is None and scn.seed000_summary(smallest=True).ntk_min == \
        scn.SEED000_NTK_MIN
    # the stored spectrum is whole and ascending, as eigvalsh returns it
    import grokdelay._seed000_kernel as c

    assert len(c.FEATURE_SPECTRUM) == 512 and list(c.FEATURE_SPECTRUM) == sorted(
        c.FEATURE_SPECTRUM)


@pytest.mark.slow
def test_seed000_ntk_min_constant_is_reproduced():
    # The ridge scenario reads SEED000_NTK_MIN (LAPACK evr) instead of an O(n^3) computation.
    # Re-check it by a different algorithm, Sylvester inertia through Cholesky: K - s I is
    # positive definite iff s < lambda_min, so the factorization must succeed at
    # s = (1 - 1e-6) lambda and fail at (1 + 1e-6) lambda. Cholesky's backward error,
    # ~ n eps ||K|| ~ 1e-13 here, is far below the 8e-11 gap.
    import scipy.linalg as sl
    from scipy.linalg.blas import dsyrk

    cfg = scn.SEED000
    task = mk.modular_addition_task(cfg["p"], cfg["train_fraction"], seed=0)
    net = mk.init_network(cfg["width"], task.input_dim, cfg["alpha"], n_out=task.p, seed=0)
    pk = mk._PairKernels(net, task, task.train)
    s2 = pk.s2 / pk.n
    K = dsyrk(s2, np.asfortranarray(pk.phi), lower=1)
    K += np.tril(s2 * pk.hadamard_dense(pk.D, np.mean(net.A**2, axis=1), pk.D))
    lam = scn.SEED000_NTK_MIN
    idx = np.arange(pk.n)
    K[idx, idx] -= (1 - 1e-6) * lam
    sl.cholesky(K, lower=True, check_finite=False)  # succeeds: K - s I > 0
    K[idx, idx] -= 2e-6 * lam
    with pytest.raises(np.linalg.LinAlgError):
        sl.cholesky(K, lower=True, check_finite=False)

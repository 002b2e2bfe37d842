r"""Kernel toolkit for the two-layer ReLU network of the Analytical Proof notes on modular addition.

The model is Analytical Proof notes, eq 1, with ``n_out`` output units (one per residue class):

.. math::

    f_k(x) = N^{-\alpha} \sum_{j=1}^{N} a_{jk}\, \sigma(w_j \cdot x), \qquad
    \sigma = \mathrm{ReLU},

on concatenated one-hot inputs :math:`x = e_a \oplus e_b \in \mathbb{R}^{2p}` for the pairs
:math:`(a, b) \in \mathbb{Z}_p^2`, label :math:`(a + b) \bmod p`, a random fraction
:math:`\rho` of the :math:`p^2` pairs used for training (section 1.2).

Initialization (section 2.2 and 2.3): :math:`w_j \sim \mathcal{N}(0, I/d)` with
:math:`d = 2p`, :math:`a_{jk} \sim \mathcal{N}(0, 1/N)` (the "standard scaling" of 2.3).

Kernels on the training set (eq 4), per output (the diagonal block of the NTK, averaged
over the outputs; for one output this is eq 4 verbatim):

.. math::

    K^{(a)} = N^{-2\alpha}\, \Phi\Phi^\top, \quad \Phi_{ij} = \sigma(w_j\cdot x_i), \qquad
    K^{(w)} = N^{-2\alpha} \big(D\,\mathrm{diag}(\bar a^2)\,D^\top\big) \circ (XX^\top),

with :math:`D_{ij} = \sigma'(w_j \cdot x_i)` and :math:`\bar a^2_j = \frac1{n_\mathrm{out}}
\sum_k a_{jk}^2`. Under gradient flow on the mean squared loss
:math:`L = \frac{1}{2n}\sum_i \|f(x_i) - y_i\|^2` the residuals move as
:math:`\dot r = -(K/n)\, r` (``reduction="mean"``, the default of every helper here);
with a summed loss the factor :math:`1/n` is absent (``reduction="sum"``).

What the mechanisms need from this module:

* :func:`kernel_summary`: operator norms of :math:`K^{(a)}/n`, :math:`K^{(w)}/n`,
  :math:`K/n`, the spectrum of :math:`K/n` and the kernel drift rate at initialization.
* :func:`kernel_drift`: :math:`\dot K` along the gradient-flow velocity at
  :math:`\theta_0`, computed analytically (ReLU masks are locally constant).
* :func:`fourier_power` and :func:`feature_eigenmodes`: which Fourier frequencies of
  :math:`\mathbb{Z}_p^2` each eigenmode of the random-feature covariance carries; the
  task (any function of :math:`a + b`) lives on the diagonal frequencies :math:`k = l`.

The Analytical-Proof run's network, and the parameter objects built from a :class:`KernelSummary`
(``timescale_parameters``, ``spectral_parameters``, ``ridge_parameters``), live in
:mod:`grokdelay.scenarios`: this toolkit measures and imports no mechanism.

Everything is numpy; a network of width 512 on the p = 97 task (n = 2823 training pairs)
takes about a second, dominated by one dense eigendecomposition.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ._core import moved_names

__all__ = [
    "ModularAdditionTask",
    "TwoLayerNetwork",
    "KernelSummary",
    "modular_addition_task",
    "init_network",
    "readout_kernel",
    "feature_kernel",
    "ntk",
    "loss_gradient",
    "kernel_drift",
    "operator_norm",
    "kernel_summary",
    "feature_covariance",
    "feature_eigenmodes",
    "fourier_power",
    "FlowTimes",
    "gradient_flow_times",
    "fit_exponent",
    "measure_width_exponent",
]


# --------------------------------------------------------------------------- task


@dataclasses.dataclass(frozen=True, eq=False)
class ModularAdditionTask:
    """Modular addition on Z_p with a random train split (Analytical Proof notes, section 1.2).

    Attributes
    ----------
    p : int
        Modulus.
    a, b : ndarray of int, shape (p*p,)
        All input pairs, row-major: pair ``i`` is ``(i // p, i % p)``.
    labels : ndarray of int, shape (p*p,)
        ``(a + b) % p``.
    train : ndarray of int, shape (n,)
        Indices of the training pairs (``n = round(rho * p**2)``).
    """

    p: int
    a: np.ndarray
    b: np.ndarray
    labels: np.ndarray
    train: np.ndarray

    @property
    def input_dim(self) -> int:
        return 2 * self.p

    @property
    def n_train(self) -> int:
        return int(self.train.size)

    def inputs(self, index=None) -> np.ndarray:
        """Concatenated one-hot inputs ``e_a (+) e_b``, shape (m, 2p) (all pairs if None)."""
        idx = np.arange(self.p * self.p) if index is None else np.asarray(index)
        x = np.zeros((idx.size, 2 * self.p))
        x[np.arange(idx.size), self.a[idx]] = 1.0
        x[np.arange(idx.size), self.p + self.b[idx]] = 1.0
        return x

    def targets(self, index=None) -> np.ndarray:
        """One-hot labels, shape (m, p)."""
        idx = np.arange(self.p * self.p) if index is None else np.asarray(index)
        y = np.zeros((idx.size, self.p))
        y[np.arange(idx.size), self.labels[idx]] = 1.0
        return y


def modular_addition_task(p: int, train_fraction: float = 0.3, seed: int = 0
                          ) -> ModularAdditionTask:
    """The task of the notes' section 1.2: a random ``round(rho p^2)`` pairs for training.

    Examples
    --------
    >>> task = modular_addition_task(5, 0.4, seed=0)
    >>> task.n_train, task.inputs(task.train).shape
    (10, (10, 10))
    """
    p = int(p)
    if p < 2:
        raise ValueError(f"p = {p} must be an integer >= 2")
    if not 0 < train_fraction <= 1:
        raise ValueError(f"train_fraction = {train_fraction} must lie in (0, 1]")
    idx = np.arange(p * p)
    a, b = idx // p, idx % p
    n = max(1, round(train_fraction * p * p))
    train = np.sort(np.random.default_rng(seed).permutation(p * p)[:n])
    return ModularAdditionTask(p, a, b, (a + b) % p, train)


# --------------------------------------------------------------------------- network


@dataclasses.dataclass(eq=False)
class TwoLayerNetwork:
    r"""Parameters of the notes' eq 1: ``W`` (N, d) feature weights, ``A`` (N, n_out) readout.

    ``alpha`` is the output exponent: :math:`f(x) = N^{-\alpha} A^\top \sigma(W x)`.
    """

    W: np.ndarray
    A: np.ndarray
    alpha: float

    @property
    def width(self) -> int:
        return int(self.W.shape[0])

    @property
    def scale(self) -> float:
        """The output prefactor N^(-alpha)."""
        return float(self.width) ** (-self.alpha)

    def copy(self) -> TwoLayerNetwork:
        return TwoLayerNetwork(self.W.copy(), self.A.copy(), self.alpha)

    def features(self, X: np.ndarray) -> np.ndarray:
        """Random features sigma(X W^T), shape (m, N)."""
        return np.maximum(X @ self.W.T, 0.0)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.scale * (self.features(X) @ self.A)

    def norm(self) -> float:
        """Euclidean norm of all parameters (W, A)."""
        return float(np.sqrt(np.sum(self.W**2) + np.sum(self.A**2)))


def init_network(width: int, input_dim: int, alpha: float, n_out: int = 1, seed: int = 0
                 ) -> TwoLayerNetwork:
    """The notes' initialization: w_j ~ N(0, I/d) (section 2.2), a_jk ~ N(0, 1/N) (2.3).

    Examples
    --------
    >>> net = init_network(64, 10, alpha=0.5, n_out=5, seed=1)
    >>> net.W.shape, net.A.shape, net.scale
    ((64, 10), (64, 5), 0.125)
    """
    if not 0.0 <= alpha <= 0.5:
        raise ValueError(f"alpha = {alpha} must lie in [0, 1/2] (Analytical Proof notes, section 1.1)")
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((width, input_dim)) / math.sqrt(input_dim)
    A = rng.standard_normal((width, n_out)) / math.sqrt(width)
    return TwoLayerNetwork(W, A, float(alpha))


# --------------------------------------------------------------------------- kernels


def readout_kernel(net: TwoLayerNetwork, X: np.ndarray) -> np.ndarray:
    """K^(a) of eq 4 on the rows of X: N^(-2 alpha) Phi Phi^T."""
    phi = net.features(X)
    return net.scale**2 * (phi @ phi.T)


def feature_kernel(net: TwoLayerNetwork, X: np.ndarray) -> np.ndarray:
    """K^(w) of eq 4 on the rows of X, with a_j^2 averaged over the outputs."""
    D = (X @ net.W.T > 0).astype(float)
    a2 = np.mean(net.A**2, axis=1)
    return net.scale**2 * ((D * a2) @ D.T) * (X @ X.T)


def ntk(net: TwoLayerNetwork, X: np.ndarray) -> np.ndarray:
    """The per-output NTK K = K^(a) + K^(w) of eq 4."""
    return readout_kernel(net, X) + feature_kernel(net, X)


def loss_gradient(net: TwoLayerNetwork, X: np.ndarray, Y: np.ndarray,
                  weight_decay: float = 0.0) -> tuple[np.ndarray, np.ndarray, float]:
    r"""Gradient of :math:`\frac{1}{2n}\|f(X) - Y\|^2` (+ weight decay) in (W, A), and the loss.

    ``weight_decay`` is the library's lambda: it adds :math:`\lambda\theta` to the gradient.
    """
    n = X.shape[0]
    pre = X @ net.W.T
    phi = np.maximum(pre, 0.0)
    R = (net.scale * (phi @ net.A) - Y) / n
    gA = net.scale * (phi.T @ R)
    gZ = net.scale * (R @ net.A.T) * (pre > 0)
    gW = gZ.T @ X
    loss = 0.5 * n * float(np.sum(R**2))
    if weight_decay:
        gA = gA + weight_decay * net.A
        gW = gW + weight_decay * net.W
    return gW, gA, loss


def kernel_drift(net: TwoLayerNetwork, X: np.ndarray, Y: np.ndarray,
                 weight_decay: float = 0.0) -> np.ndarray:
    r"""dK/dt of the NTK (eq 4) along gradient flow at the current parameters.

    The velocity is :math:`\dot\theta = -\nabla_\theta L` for the mean squared loss on
    (X, Y) (unit learning rate: one unit of time is :math:`1/\eta` steps). ReLU masks
    are locally constant, so the derivative is analytic:
    :math:`\dot K^{(a)} = N^{-2\alpha}(\dot\Phi\Phi^\top + \Phi\dot\Phi^\top)` with
    :math:`\dot\Phi = D \circ (X \dot W^\top)`, and
    :math:`\dot K^{(w)} = N^{-2\alpha}(D\,\mathrm{diag}(\overline{2a\dot a})\,D^\top)\circ XX^\top`.
    """
    gW, gA, _ = loss_gradient(net, X, Y, weight_decay)
    Wdot, Adot = -gW, -gA
    pre = X @ net.W.T
    D = (pre > 0).astype(float)
    phi = np.maximum(pre, 0.0)
    phidot = D * (X @ Wdot.T)
    cross = phidot @ phi.T
    dKa = net.scale**2 * (cross + cross.T)
    da2 = np.mean(2.0 * net.A * Adot, axis=1)
    dKw = net.scale**2 * ((D * da2) @ D.T) * (X @ X.T)
    return dKa + dKw


def operator_norm(K) -> float:
    """Spectral norm of a symmetric matrix or LinearOperator (largest |eigenvalue|).

    Dense eigvalsh up to 400 rows, Lanczos (``scipy.sparse.linalg.eigsh``) beyond.
    """
    if isinstance(K, np.ndarray) and K.shape[0] <= 400:
        return float(np.max(np.abs(np.linalg.eigvalsh(K))))
    from scipy.sparse.linalg import eigsh

    v0 = np.ones(K.shape[0])
    top = eigsh(K, k=1, which="LM", v0=v0, ncv=min(K.shape[0] - 1, 8), return_eigenvectors=False,
                tol=1e-8)
    return float(abs(top[0]))


class _PairKernels:
    """Matrix-free kernels of eq 4 on one-hot pairs: O(n N) per product instead of O(n^2 N).

    For inputs x_i = e_{a_i} (+) e_{p + b_i}, x_i . x_i' = [a_i = a_i'] + [b_i = b_i'], so
    ((L diag(w) R^T) o X X^T) v sums, per residue, the rows that share a (or b).
    """

    def __init__(self, net: TwoLayerNetwork, task: ModularAdditionTask, index):
        from scipy import sparse

        idx = np.asarray(index)
        self.ia, self.ib, self.p = task.a[idx], task.b[idx], task.p
        n = idx.size
        ones = np.ones(n)
        self.Ea = sparse.csr_matrix((ones, (np.arange(n), self.ia)), shape=(n, self.p))
        self.Eb = sparse.csr_matrix((ones, (np.arange(n), self.ib)), shape=(n, self.p))
        X = task.inputs(idx)
        pre = X @ net.W.T
        self.X = X
        self.D = (pre > 0).astype(float)
        self.phi = np.maximum(pre, 0.0)
        self.s2 = net.scale**2
        self.n = n

    def hadamard_matvec(self, L, w, R, v):
        """((L diag(w) R^T) o X X^T) v."""
        Rv = R * v[:, None]
        Za = np.asarray(self.Ea.T @ Rv)
        Zb = np.asarray(self.Eb.T @ Rv)
        return np.einsum("ij,ij->i", L * w, Za[self.ia] + Zb[self.ib])

    def hadamard_dense(self, L, w, R):
        """The dense (L diag(w) R^T) o X X^T: only rows sharing a (or b) interact.

        Rows are grouped by residue and padded to the largest group, so the p blocks are
        one batched matmul (O(n^2 N / p)) and one scatter.
        """
        out = np.zeros((self.n, self.n))
        for labels in (self.ia, self.ib):
            order = np.argsort(labels, kind="stable")
            counts = np.bincount(labels, minlength=self.p)
            m = int(counts.max())
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            slot = np.arange(self.n) - np.repeat(starts, counts)  # position within group
            idx = np.full((self.p, m), -1)
            idx[labels[order], slot] = order
            valid = idx >= 0
            safe = np.where(valid, idx, 0)
            Lg = (L * w)[safe] * valid[..., None]  # (p, m, N), padded rows zero
            Rg = R[safe] * valid[..., None]
            blocks = np.einsum("gin,gjn->gij", Lg, Rg, optimize=True)  # (p, m, m)
            ii = np.broadcast_to(safe[:, :, None], blocks.shape)
            jj = np.broadcast_to(safe[:, None, :], blocks.shape)
            keep = valid[:, :, None] & valid[:, None, :]
            out[ii[keep], jj[keep]] += blocks[keep]
        return out


def _linop(n, matvec):
    from scipy.sparse.linalg import LinearOperator

    return LinearOperator((n, n), matvec=matvec, rmatvec=matvec, dtype=float)


@dataclasses.dataclass(frozen=True, eq=False)
class KernelSummary:
    """Kernel quantities of one network on one training set (all divided by n for "mean").

    Attributes
    ----------
    width, alpha, n_train : the setup.
    readout_norm, feature_norm, ntk_norm : operator norms of K^(a), K^(w), K (eq 4).
    ntk_min : float or None
        Smallest eigenvalue of K (LAPACK); ``None`` if not computed. A
        linearization with P > n parameters has no zero here: the P - n dimensional null
        space of J^T J is invisible on the training set.
    feature_spectrum : ndarray
        Eigenvalues of the random-feature covariance N^(-2 alpha) Phi^T Phi (/ n), ascending:
        the nonzero spectrum of K^(a).
    drift_norm : float
        ||dK/dt|| at initialization under gradient flow (unit learning rate).
    kernel_gradient_norm : float
        N^(2 alpha) * drift_norm / ntk_norm: the ``kernel_gradient_norm`` for which
        TimescaleSeparation's t_grok is the time for K to move by its own norm at its
        initial rate.
    reduction : "mean" or "sum"
    """

    width: int
    alpha: float
    n_train: int
    readout_norm: float
    feature_norm: float
    ntk_norm: float
    ntk_min: float | None
    feature_spectrum: np.ndarray
    drift_norm: float
    kernel_gradient_norm: float
    reduction: str


def _smallest_eigenvalue(K_lower: np.ndarray) -> float:
    """Smallest eigenvalue of a symmetric matrix from its lower triangle (LAPACK evr, one
    eigenvalue: tridiagonal reduction O(4 n^3 / 3), no eigenvectors)."""
    import scipy.linalg as sl

    return float(sl.eigh(K_lower, lower=True, eigvals_only=True, subset_by_index=[0, 0],
                         driver="evr", check_finite=False)[0])


def kernel_summary(net: TwoLayerNetwork, task: ModularAdditionTask, *,
                   reduction: str = "mean", weight_decay: float = 0.0,
                   smallest: bool = True) -> KernelSummary:
    """Norms, extreme eigenvalues and the drift rate of the eq-4 kernels on the training set.

    K^(w) and its drift are assembled block by block (only pairs sharing a or b interact,
    O(n^2 N / p)); K^(a) enters through its factor Phi. Operator norms are Lanczos on
    those. ``ntk_min`` (``smallest=True``) forms the lower triangle of K (one ``syrk``,
    O(n^2 N / 2)) and reduces it (O(n^3)): seconds at p = 97, N = 512.

    Examples
    --------
    >>> task = modular_addition_task(7, 0.5, seed=0)
    >>> net = init_network(32, task.input_dim, alpha=0.25, n_out=task.p, seed=0)
    >>> s = kernel_summary(net, task)
    >>> bool(s.ntk_norm >= s.readout_norm > 0), bool(s.ntk_min > 0)
    (True, True)
    """
    from scipy.linalg.blas import dsyrk

    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction = {reduction!r} must be 'mean' or 'sum'")
    pk = _PairKernels(net, task, task.train)
    n = pk.n
    c = 1.0 / n if reduction == "mean" else 1.0
    s2 = c * pk.s2
    a2 = np.mean(net.A**2, axis=1)
    phi, D = pk.phi, pk.D
    dense = smallest or n <= 400
    Kw = s2 * pk.hadamard_dense(D, a2, D) if dense else None

    def ka(v):
        return s2 * (phi @ (phi.T @ v))

    def kw(v):
        return Kw @ v if dense else s2 * pk.hadamard_matvec(D, a2, D, v)

    fspec = np.linalg.eigvalsh(s2 * (phi.T @ phi))
    feature_norm = operator_norm(Kw) if dense else operator_norm(_linop(n, kw))
    ntk_norm = operator_norm(_linop(n, lambda v: ka(v) + kw(v)))
    ntk_min = None
    if smallest:
        K_lower = dsyrk(s2, np.asfortranarray(phi), lower=1)
        K_lower += np.tril(Kw)
        ntk_min = _smallest_eigenvalue(K_lower)
    # drift along gradient flow: analytic (ReLU masks are locally constant)
    Y = task.targets(task.train)
    gW, gA, _ = loss_gradient(net, pk.X, Y, weight_decay)
    phidot = D * (pk.X @ (-gW).T)
    da2 = np.mean(2.0 * net.A * (-gA), axis=1)

    def dk(v):
        return s2 * (phidot @ (phi.T @ v) + phi @ (phidot.T @ v)
                     + pk.hadamard_matvec(D, da2, D, v))

    drift = operator_norm(_linop(n, dk))
    return KernelSummary(
        width=net.width, alpha=net.alpha, n_train=n,
        readout_norm=float(fspec[-1]), feature_norm=feature_norm, ntk_norm=ntk_norm,
        ntk_min=ntk_min, feature_spectrum=fspec, drift_norm=drift,
        kernel_gradient_norm=float(net.width) ** (2 * net.alpha) * drift / ntk_norm,
        reduction=reduction)


# --------------------------------------------------------------------------- Fourier


def feature_covariance(net: TwoLayerNetwork, X: np.ndarray) -> np.ndarray:
    """Empirical random-feature covariance N^(-2 alpha) Phi^T Phi / m (N x N)."""
    phi = net.features(X) * net.scale
    return phi.T @ phi / X.shape[0]


def feature_eigenmodes(net: TwoLayerNetwork, task: ModularAdditionTask
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending) of the training feature covariance and their eigenfunctions.

    Returns
    -------
    eigenvalues : ndarray, shape (N,)
    functions : ndarray, shape (N, p, p)
        Eigenfunction ``i`` evaluated on every pair: ``functions[i, a, b]``.
    """
    X = task.inputs(task.train)
    w, v = np.linalg.eigh(feature_covariance(net, X))
    w, v = w[::-1], v[:, ::-1]
    grid = net.features(task.inputs()) * net.scale  # (p*p, N)
    funcs = (grid @ v).T.reshape(-1, task.p, task.p)
    return w, funcs


def fourier_power(values: np.ndarray) -> dict[str, np.ndarray]:
    r"""Split the power of functions on :math:`\mathbb{Z}_p^2` by Fourier frequency (k, l).

    ``values[..., a, b]``; returns fractions (summing to 1) of
    :math:`|\hat g(k, l)|^2` in: ``"constant"`` (k = l = 0), ``"marginal"`` (exactly one
    of k, l zero: functions of a alone or b alone), ``"sum"`` (k = l != 0: functions of
    a + b, where the modular-addition task lives) and ``"other"``.

    Examples
    --------
    >>> p = 5
    >>> a, b = np.meshgrid(np.arange(p), np.arange(p), indexing="ij")
    >>> fr = fourier_power(np.cos(2 * np.pi * (a + b) / p))
    >>> round(float(fr["sum"]), 12)
    1.0
    """
    g = np.asarray(values, dtype=float)
    p = g.shape[-1]
    if g.shape[-2] != p:
        raise ValueError(f"values must be (..., p, p), got {g.shape}")
    power = np.abs(np.fft.fft2(g)) ** 2
    k = np.arange(p)
    K, L = np.meshgrid(k, k, indexing="ij")
    total = power.sum(axis=(-2, -1))
    masks = {"constant": (K == 0) & (L == 0),
             "marginal": (K == 0) ^ (L == 0),
             "sum": (K == L) & (K != 0)}
    masks["other"] = ~(masks["constant"] | masks["marginal"] | masks["sum"])
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {name: np.where(total > 0, (power * m).sum(axis=(-2, -1))
                              / np.where(total > 0, total, 1.0), 0.0)
               for name, m in masks.items()}
    return out


# --------------------------------------------------------------------------- measurement


@dataclasses.dataclass(frozen=True, eq=False)
class FlowTimes:
    """Readout and feature times measured on one gradient-flow run (time units, eta = 1).

    Attributes
    ----------
    readout_time : float
        First time the training loss is at most ``loss_fraction`` of its initial value
        (memorization); ``inf`` if not within ``t_max``.
    feature_time : float
        First time the NTK on the training set has moved by ``kernel_fraction`` of its
        initial Frobenius norm, ||K_t - K_0||_F >= kernel_fraction ||K_0||_F; ``inf`` if not
        within ``t_max`` (lazy training: the kernel stops moving once the data are fit).
    drift_time : float
        Linear extrapolation at init, kernel_fraction * ||K_0||_F / ||dK/dt(0)||_F.
    kernel_change : float
        ||K_t - K_0||_F / ||K_0||_F at the end of the run.
    steps, dt : int, float
        Integration steps taken and the largest step used.
    """

    readout_time: float
    feature_time: float
    drift_time: float
    kernel_change: float
    steps: int
    dt: float


def gradient_flow_times(net: TwoLayerNetwork, task: ModularAdditionTask, *, t_max: float,
                        loss_fraction: float = 1e-2, kernel_fraction: float = 0.1,
                        weight_decay: float = 0.0, courant: float = 0.25,
                        check_every: int = 1, max_steps: int = 2_000_000) -> FlowTimes:
    r"""Integrate the gradient flow of the network on the training set and time both phases.

    :math:`\dot\theta = -\nabla_\theta L - \lambda\theta`, :math:`L = \frac{1}{2n}
    \|f(X) - Y\|^2`, by Heun's method (explicit trapezoid, second order) with step
    :math:`dt = \mathrm{courant} / \|K_t/n\|_\mathrm{op}` (recomputed at every check, so
    the step follows the stiffest mode as the kernel grows). At ``courant = 0.25`` halving
    the step changes the measured times by under 1%, and they agree with scipy's RK45 to
    2% (tests/test_width_exponent.py). Loss and kernel are checked every ``check_every``
    steps and the crossing time is interpolated linearly inside the last interval (log-loss
    for the readout time).

    ``net`` is not modified.
    """
    net = net.copy()
    X, Y = task.inputs(task.train), task.targets(task.train)
    n = X.shape[0]

    def kern(nt):
        return ntk(nt, X) / n

    K0 = kern(net)
    k0 = float(np.linalg.norm(K0))
    dK0 = kernel_drift(net, X, Y, weight_decay) / n
    drift_time = kernel_fraction * k0 / float(np.linalg.norm(dK0))
    _, _, loss0 = loss_gradient(net, X, Y, weight_decay)
    t, steps = 0.0, 0
    readout = feature = math.inf
    prev_t, prev_loss, prev_change = 0.0, loss0, 0.0
    dt_max = 0.0
    change = 0.0
    while t < t_max and steps < max_steps:
        K = kern(net)
        dt = courant / float(np.linalg.eigvalsh(K)[-1])
        dt_max = max(dt_max, dt)
        for _ in range(check_every):  # Heun (explicit trapezoid): second order in dt
            gW, gA, _ = loss_gradient(net, X, Y, weight_decay)
            trial = TwoLayerNetwork(net.W - dt * gW, net.A - dt * gA, net.alpha)
            gW2, gA2, _ = loss_gradient(trial, X, Y, weight_decay)
            net.W -= 0.5 * dt * (gW + gW2)
            net.A -= 0.5 * dt * (gA + gA2)
            t += dt
            steps += 1
        _, _, loss = loss_gradient(net, X, Y, weight_decay)
        change = float(np.linalg.norm(kern(net) - K0)) / k0
        if readout == math.inf and loss <= loss_fraction * loss0:
            # interpolate log-loss linearly between the two checks
            lo, hi = math.log(prev_loss), math.log(loss)
            target = math.log(loss_fraction * loss0)
            frac = 1.0 if hi == lo else (lo - target) / (lo - hi)
            readout = prev_t + frac * (t - prev_t)
        if feature == math.inf and change >= kernel_fraction:
            frac = (kernel_fraction - prev_change) / (change - prev_change)
            feature = prev_t + frac * (t - prev_t)
        if readout < math.inf and feature < math.inf:
            break
        prev_t, prev_loss, prev_change = t, loss, change
    return FlowTimes(readout, feature, drift_time, change, steps, dt_max)


def fit_exponent(widths, values) -> tuple[float, float]:
    """Least-squares slope and intercept of log(values) against log(widths) (finite values).

    Examples
    --------
    >>> slope, _ = fit_exponent([10, 100, 1000], [3.0, 30.0, 300.0])
    >>> round(slope, 12)
    1.0
    """
    w = np.asarray(widths, dtype=float)
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v) & (v > 0)
    if ok.sum() < 2:
        return math.nan, math.nan
    slope, intercept = np.polyfit(np.log(w[ok]), np.log(v[ok]), 1)
    return float(slope), float(intercept)


def measure_width_exponent(p: int = 11, widths=(64, 128, 256, 512),
                           alphas=(0.0, 0.25, 0.5), *, train_fraction: float = 0.5,
                           seed: int = 0, horizon: float = 2000.0, **flow_kw) -> dict:
    """Readout and feature times over widths and alphas, and the fitted width exponents.

    For each (alpha, N): a fresh network (seed ``seed``) on the same split, integrated by
    :func:`gradient_flow_times` up to ``t_max = horizon * (1 / ||K_0/n||)``. Returns a
    dict with the per-run :class:`FlowTimes` (``runs[alpha][N]``) and, per alpha, the
    fitted exponents of the ratio feature_time / readout_time (``ratio_exponent``), of
    drift_time / readout_time (``drift_ratio_exponent``), and of each time alone.
    """
    task = modular_addition_task(p, train_fraction, seed=seed)
    out = {"p": p, "widths": list(widths), "alphas": list(alphas), "n_train": task.n_train,
           "runs": {}, "fits": {}}
    for alpha in alphas:
        runs = {}
        for N in widths:
            net = init_network(N, task.input_dim, alpha, n_out=task.p, seed=seed)
            X = task.inputs(task.train)
            top = float(np.linalg.eigvalsh(ntk(net, X) / X.shape[0])[-1])
            runs[N] = gradient_flow_times(net, task, t_max=horizon / top, **flow_kw)
        out["runs"][alpha] = runs
        r = [runs[N] for N in widths]
        out["fits"][alpha] = {
            "ratio_exponent": fit_exponent(widths, [x.feature_time / x.readout_time
                                                    for x in r])[0],
            "drift_ratio_exponent": fit_exponent(widths, [x.drift_time / x.readout_time
                                                          for x in r])[0],
            "readout_exponent": fit_exponent(widths, [x.readout_time for x in r])[0],
            "feature_exponent": fit_exponent(widths, [x.feature_time for x in r])[0],
            "censored": [N for N, x in zip(widths, r) if not math.isfinite(x.feature_time)],
        }
    return out


_MOVED = {name: f"grokdelay.scenarios:{new}" for name, new in {
    "SEED000": "SEED000", "SEED000_NTK_MIN": "SEED000_NTK_MIN",
    "seed000_summary": "seed000_summary", "timescale_parameters": "timescale_parameters",
    "spectral_parameters": "spectral_parameters", "ridge_parameters": "ridge_parameters",
    "modular_addition_timescale_scenario": "timescale_separation",
    "modular_addition_spectral_scenario": "spectral",
    "modular_addition_ridge_scenario": "ridge_null_space",
    "modular_addition_implicit_bias_scenario": "implicit_bias"}.items()}
__getattr__ = moved_names(__name__, _MOVED)

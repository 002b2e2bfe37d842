r"""Deep-linear toolkit for the two training clocks (Tan, Gai and Zhang 2026, arXiv 2606.05863).

The representation clock of Tan et al. 2026 lives in a deep linear network
:math:`W = W_L W_{L-1}\cdots W_1` trained with cross-entropy and layerwise weight decay.
This module holds the spectral objects of that model and a small numpy trainer:

* Schatten-:math:`p` quasi-norms (eq 2.6) and the end-to-end penalty induced by layerwise
  weight decay (eq 2.7, appendix F.2):

  .. math::

      \min_{W_L\cdots W_1 = W}\ \sum_{l=1}^{L} \|W_l\|_F^2
      = L\,\|W\|_{S_{2/L}}^{2/L} = L \sum_i \sigma_i(W)^{2/L},

  attained by the balanced factorization :math:`W_l = U_l\,\Sigma^{1/L} U_{l-1}^\top`.
* the singular-value drift of eq 4.3 (Prop 4.3, appendix D.1) for the end-to-end flow of the
  regularized energy (4.2);
* stable rank (eq 2.3) and the spectral-tail statistic of appendix F.4;
* the late-time KL energy-gap law :math:`\dot E = -c E^{2\theta}` (Thm 4.8, appendix F.2):
  its closed-form solution, its stopping time, and a fit of :math:`(\theta, c)` from a
  recorded energy-gap trajectory;
* :func:`train_deep_linear`: full-batch gradient descent on a depth-:math:`L` linear network
  with cross-entropy and layerwise weight decay, recording the classifier-side and
  representation-side series that :mod:`grokdelay.clock_estimators` reads the clocks from.

Conventions
-----------
``weight_decay`` is the library's :math:`\lambda`: every layer is updated as
:math:`W_l \leftarrow W_l - \eta(\nabla_{W_l}\mathcal L + \lambda W_l)`, i.e. the penalty
:math:`\tfrac{\lambda}{2}\sum_l\|W_l\|_F^2` is in the energy. Tan et al. 2026 writes the penalty
without the :math:`\tfrac12` in places; with the library convention the end-to-end energy is

.. math::

    \mathcal E(W) = \mathcal L(W) + \frac{\lambda L}{2}\sum_i \sigma_i(W)^{2/L},

and the shrinkage term of eq 4.3 becomes exactly :math:`\lambda\,\sigma_i^{2/L-1}`.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import _arguments as A
from ._core import ParameterError, real_array, real_scalar
from ._kl_law import log_gap, energy_gap_solution, energy_gap_time

__all__ = [
    "singular_values",
    "schatten_power",
    "schatten_norm",
    "schatten_surrogate",
    "layerwise_penalty",
    "end_to_end",
    "balanced_factorization",
    "schatten_gradient",
    "singular_value_drift",
    "stable_rank",
    "spectral_tail",
    "energy_gap_solution",
    "energy_gap_time",
    "KLFit",
    "fit_kl_exponent",
    "SyntheticTask",
    "make_synthetic_task",
    "DeepLinearRun",
    "train_deep_linear",
    "cross_entropy",
]


# --------------------------------------------------------------------------- spectra


@A.arguments(w=A.matrix(stack=True))
def singular_values(w) -> np.ndarray:
    """Singular values of a matrix (or a stack of matrices), in decreasing order."""
    w = np.asarray(w, dtype=float)
    if w.ndim < 2:
        raise ParameterError(f"w must be a matrix (or a stack of matrices), got shape {w.shape}",
                             "w")
    return np.linalg.svd(w, compute_uv=False)


def _check_p(p) -> float:
    p = real_scalar("p", p)
    if not (p > 0 and math.isfinite(p)):
        raise ParameterError(f"p = {p!r} is outside its domain (0, inf): the Schatten index", "p")
    return p


@A.arguments(w=A.matrix(stack=True))
def schatten_power(w, p) -> np.ndarray:
    r"""The Schatten-:math:`p` power :math:`\|W\|_{S_p}^p = \sum_i \sigma_i^p` (eq 2.6).

    Zero singular values contribute 0 for every :math:`p > 0` (the quasi-norm's value at the
    boundary of a spectral stratum).

    Examples
    --------
    >>> float(schatten_power(np.diag([3.0, 4.0]), 2))   # Frobenius norm squared
    25.0
    """
    p = _check_p(p)
    s = singular_values(w)
    return np.sum(np.where(s > 0, s, 0.0) ** p, axis=-1)


@A.arguments(w=A.matrix(stack=True))
def schatten_norm(w, p) -> np.ndarray:
    r"""The Schatten-:math:`p` (quasi-)norm :math:`(\sum_i\sigma_i^p)^{1/p}` (eq 2.6).

    A norm for :math:`p \ge 1` (``p = 1`` nuclear, ``p = 2`` Frobenius), a quasi-norm for
    :math:`0 < p < 1`, where it favours concentrated spectra.

    Examples
    --------
    >>> float(schatten_norm(np.diag([3.0, 4.0]), 1))    # nuclear norm
    7.0
    """
    p = _check_p(p)
    return schatten_power(w, p) ** (1.0 / p)


@A.arguments(w=A.matrix(stack=True), depth=A.integer(1, 10 ** 6))
def schatten_surrogate(w, depth) -> np.ndarray:
    r"""The layerwise-decay penalty of the product map: :math:`L\sum_i\sigma_i^{2/L}` (eq 2.7).

    This is :math:`\min \sum_l \|W_l\|_F^2` over all depth-``depth`` factorizations of ``w``
    (appendix F.2; attained by :func:`balanced_factorization`).

    Examples
    --------
    >>> float(schatten_surrogate(np.diag([4.0, 1.0]), 2))   # 2 * nuclear norm
    10.0
    """
    depth = _check_depth(depth)
    return depth * schatten_power(w, 2.0 / depth)


def _check_depth(depth) -> int:
    if isinstance(depth, bool | np.bool_) or not isinstance(depth, int | np.integer | float) \
            or not math.isfinite(depth) or int(depth) != depth or depth < 1:
        raise ParameterError(f"depth = {depth!r} is outside its domain: integers >= 1", "depth")
    return int(depth)


def layerwise_penalty(factors) -> float:
    r""":math:`\sum_l \|W_l\|_F^2` of a list of layer matrices."""
    return float(sum(np.sum(np.asarray(f, dtype=float) ** 2) for f in factors))


def end_to_end(factors) -> np.ndarray:
    """The product ``W_L @ ... @ W_1`` of layers given in input-to-output order."""
    out = np.asarray(factors[0], dtype=float)
    for f in factors[1:]:
        out = np.asarray(f, dtype=float) @ out
    return out


@A.arguments(w=A.matrix(), depth=A.integer(1, 10 ** 6))
def balanced_factorization(w, depth) -> list[np.ndarray]:
    r"""The balanced depth-``depth`` factorization of ``w`` (appendix F.2).

    With the compact SVD :math:`W = U\Sigma V^\top` (rank :math:`r`), the layers are
    :math:`W_1 = \Sigma^{1/L}V^\top`, :math:`W_l = \Sigma^{1/L}` for :math:`1 < l < L` and
    :math:`W_L = U\Sigma^{1/L}`; every layer carries :math:`\sigma_i^{1/L}`, so
    :math:`\sum_l\|W_l\|_F^2 = L\sum_i\sigma_i^{2/L}`, the minimum of eq 2.7.

    Returns
    -------
    list of ndarray
        ``[W_1, ..., W_L]`` in input-to-output order; ``end_to_end`` of it is ``w``.

    Examples
    --------
    >>> w = np.array([[2.0, 0.0], [0.0, 0.5]])
    >>> fs = balanced_factorization(w, 3)
    >>> bool(np.allclose(end_to_end(fs), w))
    True
    >>> round(layerwise_penalty(fs), 12) == round(float(schatten_surrogate(w, 3)), 12)
    True
    """
    depth = _check_depth(depth)
    w = np.asarray(w, dtype=float)
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    r = int(np.sum(s > s.max(initial=0.0) * max(w.shape) * np.finfo(float).eps)) or 1
    root = np.diag(s[:r] ** (1.0 / depth))
    if depth == 1:
        return [w.copy()]
    layers = [root @ vt[:r]]
    layers += [root.copy() for _ in range(depth - 2)]
    layers.append(u[:, :r] @ root)
    return layers


@A.arguments(w=A.matrix(), depth=A.integer(1, 10 ** 6), weight_decay=A.positive(allow_zero=True, scalar=True))
def schatten_gradient(w, depth, weight_decay) -> np.ndarray:
    r"""Frobenius gradient of :math:`\tfrac{\lambda L}{2}\sum_i\sigma_i^{2/L}` on its stratum.

    Theorem D.1: on a fixed-rank smooth stratum the gradient of
    :math:`\|W\|_{S_p}^p` is :math:`p\,U_r\Sigma_r^{p-1}V_r^\top`; with :math:`p = 2/L` and the
    factor :math:`\lambda L/2` this is :math:`\lambda\,U_r\Sigma_r^{2/L-1}V_r^\top`. Zero
    singular directions are off the stratum (the quasi-norm is not differentiable there for
    :math:`L > 2`) and are left out.
    """
    depth = _check_depth(depth)
    w = np.asarray(w, dtype=float)
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    pos = s > s.max(initial=0.0) * max(w.shape) * np.finfo(float).eps
    scale = np.zeros_like(s)
    scale[pos] = s[pos] ** (2.0 / depth - 1.0)
    return weight_decay * (u * scale) @ vt


def singular_value_drift(w, grad_loss, weight_decay, depth):
    r"""The singular-value drift of eq 4.3 (Prop 4.3, appendix D.1).

    Along the end-to-end gradient flow :math:`\dot W = -\nabla\mathcal E(W)` of the regularized
    energy (4.2), a simple positive singular value :math:`\sigma_i` moves as

    .. math::

        \dot\sigma_i = f_i - \lambda\,\sigma_i^{2/L - 1}, \qquad
        f_i = -u_i^\top \nabla\mathcal L(W)\, v_i ,

    (library convention: the layerwise penalty is :math:`\tfrac\lambda2\sum_l\|W_l\|_F^2`, so the
    shrinkage constant of Tan et al.'s eq 4.3 becomes :math:`\lambda`). For :math:`L > 2` the
    shrinkage :math:`\lambda\sigma^{2/L-1}` grows as :math:`\sigma \to 0`: small singular values
    are removed fastest (spectral selection).

    Parameters
    ----------
    w : ndarray, shape (m, n)
        End-to-end map.
    grad_loss : ndarray, shape (m, n)
        Gradient of the data loss at ``w``.
    weight_decay : float
        Layerwise weight decay :math:`\lambda`.
    depth : int
        Number of layers :math:`L`.

    Returns
    -------
    drift, data_force : ndarray, shape (min(m, n),)
        :math:`\dot\sigma_i` and :math:`f_i`, in the order of decreasing :math:`\sigma_i`
        (``nan``-free: a zero singular value gets drift ``-inf`` for :math:`L > 2`, the
        limiting-subgradient reading, and ``f_i - lambda`` for :math:`L = 2`).
    """
    depth = _check_depth(depth)
    w = np.asarray(w, dtype=float)
    g = np.asarray(grad_loss, dtype=float)
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    force = -np.einsum("ji,jk,ik->i", u, g, vt)
    expo = 2.0 / depth - 1.0
    with np.errstate(divide="ignore"):
        shrink = weight_decay * np.where(s > 0, s, 0.0) ** expo if expo != 0 else \
            np.full_like(s, float(weight_decay))
    return force - shrink, force


@A.arguments(w=A.matrix(stack=True))
def stable_rank(w) -> np.ndarray:
    r"""Stable rank :math:`\|W\|_F^2/\|W\|_2^2 = \sum_i\sigma_i^2/\sigma_1^2` (eq 2.3).

    Lies in :math:`[1, \mathrm{rank}\,W]`; scale invariant; 0 for the zero matrix (by
    convention, instead of 0/0).

    Examples
    --------
    >>> float(stable_rank(np.diag([2.0, 1.0])))
    1.25
    """
    s = singular_values(w)
    top = s[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.sum(s ** 2, axis=-1) / top ** 2
    return np.where(top > 0, out, 0.0)


@A.arguments(w=A.matrix(stack=True), rank=A.integer(0))
def spectral_tail(w, rank) -> np.ndarray:
    r"""Normalized spectral tail at rank :math:`r`: :math:`\sum_{i>r}\sigma_i^2/\sum_i\sigma_i^2`.

    The localized representation statistic of appendix F.4: the fraction of the Frobenius
    energy outside the best rank-:math:`r` approximation (Eckart-Young). Scale invariant;
    0 for the zero matrix.

    Examples
    --------
    >>> float(spectral_tail(np.diag([3.0, 1.0]), 1))
    0.1
    """
    if isinstance(rank, bool) or int(rank) != rank or rank < 0:
        raise ParameterError(f"rank = {rank!r} is outside its domain: integers >= 0", "rank")
    s2 = singular_values(w) ** 2
    total = np.sum(s2, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.sum(s2[..., int(rank):], axis=-1) / total
    return np.where(total > 0, out, 0.0)


@dataclasses.dataclass(frozen=True)
class KLFit:
    """A fit of the late-time KL law ``dE/dt = -rate * E**(2 theta)`` to a trajectory.

    Attributes
    ----------
    theta, rate : float
        KL exponent and rate constant (per unit of the time axis that was fitted).
    energy_initial, t0 : float
        Fitted gap at the first fitted time ``t0``.
    rms_log_error : float
        Root-mean-square error of ``log E`` over the fitted points.
    theta_derivative : float
        The exponent from the log-log regression of ``-dE/dt`` on ``E`` (the starting point of
        the fit; a second, model-free estimate).
    n_points : int
        Points used.
    """

    theta: float
    rate: float
    energy_initial: float
    t0: float
    rms_log_error: float
    theta_derivative: float
    n_points: int

    def time_to(self, target):
        """Predicted first time the gap reaches ``target`` (:func:`energy_gap_time`)."""
        return energy_gap_time(target, self.theta, self.rate, self.energy_initial, self.t0)

    def gap(self, t):
        """The fitted trajectory at times ``t``."""
        return energy_gap_solution(t, self.theta, self.rate, self.energy_initial, self.t0)


@A.arguments(times=A.series(min_size=3), gap=A.series(0, math.inf, lo_closed=False, min_size=3))
def fit_kl_exponent(times, gap, *, theta_bounds=(0.5, 1.5)) -> KLFit:
    r"""Estimate the KL exponent :math:`\theta` and rate :math:`c` from an energy-gap trajectory.

    Fits :math:`\dot E = -c E^{2\theta}` (Thm 4.8; F.2 "polynomial comparison estimate") in two
    steps: (1) a log-log least-squares regression of :math:`-\dot E` (central differences) on
    :math:`E`, slope :math:`2\theta`; (2) a nonlinear least-squares fit of :math:`\log E(t)` to
    the closed-form solution (:func:`energy_gap_solution`) over
    :math:`(\theta, \log c, \log E_0)`, started from (1). Step (2) uses every point and is not
    sensitive to the noise of numerical derivatives.

    Parameters
    ----------
    times, gap : array_like, shape (n,)
        Increasing times and the positive energy gap :math:`E(t) - E_\infty` on the window
        to fit (only points with ``gap > 0`` are used; at least 4).
    theta_bounds : (float, float)
        Search range for :math:`\theta` (default ``[1/2, 3/2]``: :math:`\theta = 1/2` is the
        exponential limit, Tan et al.'s slow regime is :math:`1/2 < \theta < 1`).

    Returns
    -------
    KLFit

    Examples
    --------
    >>> t = np.linspace(1.0, 50.0, 40)
    >>> fit = fit_kl_exponent(t, energy_gap_solution(t, 0.8, 0.3, 5.0, 0.0))
    >>> round(fit.theta, 6), round(fit.rate, 6)
    (0.8, 0.3)
    """
    t = np.asarray(times, dtype=float).ravel()
    e = np.asarray(gap, dtype=float).ravel()
    if t.shape != e.shape:
        raise ParameterError(f"times and gap differ in length ({t.size} vs {e.size})", "gap")
    keep = np.isfinite(t) & np.isfinite(e) & (e > 0)
    t, e = t[keep], e[keep]
    if t.size < 4:
        raise ParameterError(f"gap has {t.size} positive finite points; the fit needs >= 4",
                             "gap")
    if np.any(np.diff(t) <= 0):
        raise ParameterError("times must be strictly increasing", "times")
    lo, hi = float(theta_bounds[0]), float(theta_bounds[1])
    # (1) derivative regression
    de = np.gradient(e, t)
    ok = de < 0
    if ok.sum() >= 2:
        slope, intercept = np.polyfit(np.log(e[ok]), np.log(-de[ok]), 1)
        theta_d = slope / 2.0
        rate_d = math.exp(intercept)
    else:
        theta_d, rate_d = 0.75, 1.0
    th0 = min(max(theta_d, lo + 1e-6), hi - 1e-6)
    if not math.isfinite(rate_d) or rate_d <= 0:
        rate_d = 1.0
    t0 = t[0]
    le = np.log(e)

    def resid(x):
        th, lc, le0 = x
        return log_gap(t, th, math.exp(lc), math.exp(le0), t0) - le

    # c from the derivative fit is for E in its own units: use it, or the average decay rate
    lc0 = math.log(rate_d)
    x0 = np.array([th0, lc0, le[0]])
    best = None
    from scipy import optimize

    for start in (x0, np.array([th0, math.log(max((le[0] - le[-1]) / (t[-1] - t0), 1e-300))
                                - (2 * th0 - 1) * le[0], le[0]])):
        try:
            sol = optimize.least_squares(resid, start, bounds=([lo, -np.inf, -np.inf],
                                                               [hi, np.inf, np.inf]),
                                         x_scale="jac", xtol=1e-15, ftol=1e-15, gtol=1e-15,
                                         max_nfev=2000)
        except ValueError:
            continue
        if np.all(np.isfinite(sol.fun)) and (best is None or sol.cost < best.cost):
            best = sol
    if best is None:
        raise ParameterError("the KL fit did not converge on this trajectory", "gap")
    th, lc, le0 = best.x
    rms = float(np.sqrt(np.mean(best.fun ** 2)))
    return KLFit(float(th), float(math.exp(lc)), float(math.exp(le0)), float(t0), rms,
                 float(theta_d), int(t.size))


# --------------------------------------------------------------------------- training


@A.arguments(logits=A.matrix(), labels=A.labels())
def cross_entropy(logits, labels) -> tuple[float, np.ndarray]:
    """Mean cross-entropy and its gradient with respect to the logits (shape (n, K))."""
    A.check_labels(logits, labels)
    return _cross_entropy(logits, labels)


def _cross_entropy(logits, labels):
    # the training loop's copy: its inputs are built by the loop and need no checking
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    n = logits.shape[0]
    loss = -float(np.mean(logp[np.arange(n), labels]))
    p = np.exp(logp)
    p[np.arange(n), labels] -= 1.0
    return loss, p / n


@dataclasses.dataclass(frozen=True)
class SyntheticTask:
    """A small classification task whose rule is a low-rank linear map.

    ``x_train`` (n, d), ``y_train`` (n,), ``x_test``, ``y_test``; ``teacher`` (K, d) of rank
    ``rank``: labels are ``argmax(teacher @ x)``.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    teacher: np.ndarray

    @property
    def n_classes(self) -> int:
        return int(self.teacher.shape[0])


def make_synthetic_task(n_train=24, n_test=400, dim=12, n_classes=4, rank=2, seed=0):
    """Gaussian inputs labelled by a rank-``rank`` teacher; ``n_train < dim`` so a high-rank
    map can memorize the training set while only the low-rank rule generalizes."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n_classes, rank))
    b = rng.standard_normal((rank, dim))
    teacher = a @ b / math.sqrt(dim)
    x = rng.standard_normal((n_train + n_test, dim))
    y = np.argmax(x @ teacher.T, axis=1)
    return SyntheticTask(x[:n_train], y[:n_train], x[n_train:], y[n_train:], teacher)


@dataclasses.dataclass(frozen=True)
class DeepLinearRun:
    """Recorded series of one deep-linear training run (every ``record_every`` steps).

    Attributes
    ----------
    steps : ndarray of int
        Optimizer step of each record (0 = initialization).
    time : ndarray
        Accumulated optimizer time :math:`\\tau_k = \\sum_{j<k}\\eta_j` (appendix F.4).
    loss, train_accuracy, test_accuracy : ndarray
        Cross-entropy on the training set and the accuracies.
    min_gap : ndarray
        Minimum over samples and incorrect classes of the logit gap (F.4).
    energy : ndarray
        Factorized energy :math:`\\mathcal L + \\tfrac\\lambda2\\sum_l\\|W_l\\|_F^2`.
    schatten_energy : ndarray
        End-to-end energy (4.2) :math:`\\mathcal L + \\tfrac{\\lambda L}{2}\\sum\\sigma_i^{2/L}`
        (<= ``energy``; equal on balanced factorizations).
    stable_rank, tail : ndarray
        Stable rank of the product (2.3) and its spectral tail beyond the teacher's rank.
    imbalance : ndarray
        :math:`\\sum_l \\|W_{l+1}^\\top W_{l+1} - W_l W_l^\\top\\|_F` (0 when balanced).
    singular_values : ndarray, shape (records, min(K, d))
    factors : list of ndarray
        The final layers.
    """

    steps: np.ndarray
    time: np.ndarray
    loss: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    min_gap: np.ndarray
    energy: np.ndarray
    schatten_energy: np.ndarray
    stable_rank: np.ndarray
    tail: np.ndarray
    imbalance: np.ndarray
    singular_values: np.ndarray
    factors: list
    depth: int
    weight_decay: float


def _min_gap(logits, labels):
    n = logits.shape[0]
    correct = logits[np.arange(n), labels]
    other = logits.copy()
    other[np.arange(n), labels] = -np.inf
    return float(np.min(correct - other.max(axis=1)))


def train_deep_linear(task: SyntheticTask, *, depth=2, width=None, learning_rate=0.05,
                      weight_decay=1e-2, steps=4000, init_scale=0.7, record_every=10,
                      learning_rates=None, tail_rank=None, seed=0) -> DeepLinearRun:
    r"""Full-batch gradient descent on a depth-``depth`` linear network with layerwise decay.

    Every layer takes the step :math:`W_l \leftarrow W_l - \eta_k(\nabla_{W_l}\mathcal L
    + \lambda W_l)` on the mean cross-entropy :math:`\mathcal L` of ``task``'s training set
    (library convention for ``weight_decay``). Layers are ``width`` wide (default: the input
    dimension) and start i.i.d. Gaussian with standard deviation ``init_scale / sqrt(fan_in)``.

    Parameters
    ----------
    learning_rates : array_like, optional
        A per-step schedule :math:`\eta_k` (length ``steps``) replacing ``learning_rate``.
    tail_rank : int, optional
        Rank for the spectral-tail series (default: the teacher's rank).

    Returns
    -------
    DeepLinearRun
    """
    depth = _check_depth(depth)
    x, y = task.x_train, task.y_train
    n, d = x.shape
    k = task.n_classes
    width = d if width is None else int(width)
    dims = [d] + [width] * (depth - 1) + [k]
    rng = np.random.default_rng(seed)
    ws = [rng.standard_normal((dims[i + 1], dims[i])) * init_scale / math.sqrt(dims[i])
          for i in range(depth)]
    etas = (np.full(steps, float(learning_rate)) if learning_rates is None
            else np.asarray(learning_rates, dtype=float))
    if etas.shape != (steps,):
        raise ParameterError(f"learning_rates has shape {etas.shape}, expected ({steps},)",
                             "learning_rates")
    rank = np.linalg.matrix_rank(task.teacher) if tail_rank is None else int(tail_rank)
    lam = float(weight_decay)
    rec: dict[str, list] = {key: [] for key in (
        "steps", "time", "loss", "train_accuracy", "test_accuracy", "min_gap", "energy",
        "schatten_energy", "stable_rank", "tail", "imbalance", "singular_values")}
    tau = 0.0

    def record(step, w, loss, logits):
        s = np.linalg.svd(w, compute_uv=False)
        rec["steps"].append(step)
        rec["time"].append(tau)
        rec["loss"].append(loss)
        rec["train_accuracy"].append(float(np.mean(np.argmax(logits, axis=1) == y)))
        rec["test_accuracy"].append(float(np.mean(np.argmax(task.x_test @ w.T, axis=1)
                                                  == task.y_test)))
        rec["min_gap"].append(_min_gap(logits, y))
        pen = sum(float(np.sum(m * m)) for m in ws)
        rec["energy"].append(loss + 0.5 * lam * pen)
        rec["schatten_energy"].append(loss + 0.5 * lam * depth * float(np.sum(s ** (2.0 / depth))))
        rec["stable_rank"].append(float(np.sum(s ** 2) / s[0] ** 2) if s[0] > 0 else 0.0)
        rec["tail"].append(float(np.sum(s[rank:] ** 2) / np.sum(s ** 2)) if s[0] > 0 else 0.0)
        rec["imbalance"].append(sum(float(np.linalg.norm(ws[i + 1].T @ ws[i + 1]
                                                         - ws[i] @ ws[i].T))
                                    for i in range(depth - 1)))
        rec["singular_values"].append(s)

    for step in range(steps + 1):
        # prefix[i] = W_i ... W_1 (prefix[0] = I); the product is prefix[depth]
        prefix = [None] * (depth + 1)
        acc = ws[0]
        prefix[1] = acc
        for i in range(1, depth):
            acc = ws[i] @ acc
            prefix[i + 1] = acc
        w = prefix[depth]
        logits = x @ w.T
        loss, dlogits = _cross_entropy(logits, y)
        if step % record_every == 0 or step == steps:
            record(step, w, loss, logits)
        if step == steps:
            break
        g = dlogits.T @ x  # dL/dW, shape (K, d)
        eta = etas[step]
        # back-propagate through the product: dL/dW_i = (W_L..W_{i+1})^T g (W_{i-1}..W_1)^T
        suffix = g
        new = [None] * depth
        for i in range(depth - 1, -1, -1):
            grad_i = suffix @ prefix[i].T if i > 0 else suffix
            new[i] = ws[i] - eta * (grad_i + lam * ws[i])
            suffix = ws[i].T @ suffix
        ws = new
        tau += eta
    out = {key: np.array(v) for key, v in rec.items()}
    return DeepLinearRun(factors=ws, depth=depth, weight_decay=lam, **out)

"""Numerical experiments behind the norm-separation mechanism (numpy only, small, seeded).

These are the independent computations the closed forms of :mod:`grokdelay.norm_separation`
are tested against, and the runs its calibration example fits:

* :func:`pure_decay_steps`: iterate ``theta <- (1 - gamma) theta`` on a vector and count steps.
* :func:`least_squares_problem`: an overparameterized least-squares problem (``n < d``) with its
  minimum-norm interpolant ``theta*`` and a high-norm interpolant ``theta* + null-space vector``.
* :func:`train_least_squares`: full-batch gradient descent or AdamW with weight decay on that
  problem, for several (learning rate, weight decay) pairs at once (the runs are a batch axis,
  so one Python loop over steps serves them all).

Conventions are the library's: the step is ``theta <- theta - eta (grad L + lambda theta)`` for
``"gd"`` and ``theta <- theta - eta lambda theta - eta adam_step`` for ``"adamw"``
(``"adam_l2"`` feeds ``grad L + lambda theta`` to Adam).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["pure_decay_steps", "LeastSquaresProblem", "least_squares_problem", "Trajectory",
           "train_least_squares"]


def pure_decay_steps(norm_mem: float, norm_post: float, gamma: float, *, dim: int = 8,
                     seed: int = 0, max_steps: int = 10**7) -> int:
    """First integer step ``k`` at which ``||theta_k|| <= norm_post`` under pure decay.

    Starts from a random vector of norm ``norm_mem`` and applies ``theta <- (1 - gamma) theta``
    one step at a time (no closed form is used); returns 0 when ``norm_post >= norm_mem``.
    """
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(dim)
    theta *= norm_mem / np.linalg.norm(theta)
    target = norm_post * norm_post
    for k in range(max_steps + 1):
        if theta @ theta <= target:
            return k
        theta = theta - gamma * theta
    raise RuntimeError(f"pure decay did not reach {norm_post} in {max_steps} steps "
                       f"(norm {math.sqrt(theta @ theta):.6g})")


@dataclasses.dataclass(frozen=True)
class LeastSquaresProblem:
    """``min_theta ||X theta - y||^2 / (2 n)`` with ``n < d`` (infinitely many interpolants).

    Attributes
    ----------
    X, y : the data, ``X`` of shape (n, d).
    theta_star : the minimum-norm interpolant ``pinv(X) y``.
    null_projector : projector onto the null space of ``X`` (where the loss gradient never acts).
    theta_mem : a high-norm interpolant ``theta_star + z``, ``z`` in the null space, with
        ``||theta_mem|| = norm_ratio * ||theta_star||``.
    """

    X: np.ndarray
    y: np.ndarray
    theta_star: np.ndarray
    null_projector: np.ndarray
    theta_mem: np.ndarray

    @property
    def hessian_eigenvalues(self) -> np.ndarray:
        """Nonzero eigenvalues of ``X^T X / n`` (the loss Hessian on the row space)."""
        n = self.X.shape[0]
        return np.linalg.eigvalsh(self.X @ self.X.T / n)

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """Loss gradient ``X^T (X theta - y) / n`` for ``theta`` of shape (..., d)."""
        n = self.X.shape[0]
        return (theta @ self.X.T - self.y) @ self.X / n


def least_squares_problem(n: int = 10, d: int = 40, *, norm_ratio: float = 10.0,
                          seed: int = 0) -> LeastSquaresProblem:
    """A seeded overparameterized least-squares problem with a memorizing high-norm start.

    ``X`` has i.i.d. ``N(0, n/d)`` entries, so the nonzero eigenvalues of ``X^T X / n`` are of
    order 1 (between ``(1 - sqrt(n/d))^2`` and ``(1 + sqrt(n/d))^2`` for large sizes).
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * math.sqrt(n / d)
    y = rng.standard_normal(n)
    pinv = np.linalg.pinv(X)
    theta_star = pinv @ y
    null = np.eye(d) - pinv @ X
    z = null @ rng.standard_normal(d)
    z /= np.linalg.norm(z)
    size = math.sqrt(norm_ratio**2 - 1.0) * float(np.linalg.norm(theta_star))
    return LeastSquaresProblem(X, y, theta_star, null, theta_star + size * z)


@dataclasses.dataclass(frozen=True)
class Trajectory:
    """Logged quantities of a batch of runs: arrays of shape (steps + 1, runs).

    ``norm_sq`` is ``||theta_k||^2``, ``null_sq`` the squared norm of its null-space part,
    ``grad_norm`` the loss gradient norm ``||grad L(theta_k)||`` and ``drive`` the size of the
    non-decay part of each step, ``||theta_{k+1} - (1 - eta lambda) theta_k||`` (row k, the
    last row repeats the one before). ``theta`` is the final iterate, shape (runs, d).
    """

    steps: np.ndarray
    norm_sq: np.ndarray
    null_sq: np.ndarray
    grad_norm: np.ndarray
    drive: np.ndarray
    theta: np.ndarray


def train_least_squares(problem: LeastSquaresProblem, learning_rate, weight_decay, steps: int, *,
                        optimizer: str = "gd", betas: tuple[float, float] = (0.9, 0.999),
                        eps: float = 1e-8, start: np.ndarray | None = None) -> Trajectory:
    """Train from ``problem.theta_mem`` (or ``start``) for ``steps`` steps, logging norms.

    ``learning_rate`` and ``weight_decay`` broadcast to a 1-D batch of runs. ``optimizer``:
    ``"gd"`` (full-batch gradient descent with weight decay), ``"adamw"`` (decoupled decay,
    PyTorch's AdamW update with bias correction) or ``"adam_l2"`` (Adam fed the gradient of
    ``L + lambda ||theta||^2 / 2``).
    """
    eta, lam = np.broadcast_arrays(np.atleast_1d(np.asarray(learning_rate, dtype=float)),
                                   np.atleast_1d(np.asarray(weight_decay, dtype=float)))
    eta, lam = eta[:, None], lam[:, None]
    runs = eta.shape[0]
    theta = np.tile(problem.theta_mem if start is None else start, (runs, 1))
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    b1, b2 = betas
    norm_sq = np.empty((steps + 1, runs))
    null_sq = np.empty((steps + 1, runs))
    grad_norm = np.empty((steps + 1, runs))
    drive = np.empty((steps + 1, runs))
    P = problem.null_projector
    for k in range(steps + 1):
        g = problem.gradient(theta)
        norm_sq[k] = np.einsum("ij,ij->i", theta, theta)
        pz = theta @ P
        null_sq[k] = np.einsum("ij,ij->i", pz, pz)
        grad_norm[k] = np.linalg.norm(g, axis=1)
        if k == steps:
            drive[k] = drive[k - 1] if k else 0.0
            break
        if optimizer == "gd":
            new = theta - eta * (g + lam * theta)
        elif optimizer in ("adamw", "adam_l2"):
            gg = g + lam * theta if optimizer == "adam_l2" else g
            m = b1 * m + (1 - b1) * gg
            v = b2 * v + (1 - b2) * gg * gg
            step = (m / (1 - b1 ** (k + 1))) / (np.sqrt(v / (1 - b2 ** (k + 1))) + eps)
            new = theta - eta * step
            if optimizer == "adamw":
                new = new - eta * lam * theta
        else:
            raise ValueError(f"optimizer = {optimizer!r} is not one of 'gd', 'adamw', 'adam_l2'")
        drive[k] = np.linalg.norm(new - (1 - eta * lam) * theta, axis=1)
        theta = new
    return Trajectory(np.arange(steps + 1), norm_sq, null_sq, grad_norm, drive, theta)

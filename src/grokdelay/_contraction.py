r"""Contraction helpers (private engine): steps of a geometric decay, without cancellation.

Shared by the mechanisms whose times are the steps a contraction
:math:`x \leftarrow (1 - r)\,x` needs to shrink an error or a norm: gradient-descent mode
times (:mod:`grokdelay.spectral`, :mod:`grokdelay.ridge_null_space`,
:mod:`grokdelay.implicit_bias`) and the decoupled weight-decay contraction of
:mod:`grokdelay.norm_separation` (whose public helpers :func:`contraction_steps`,
:func:`delay_lower_bound` and :func:`delay_upper_bound` live here and are re-exported there).
"""

from __future__ import annotations

import numpy as np

from ._core import positive_array as _positive

__all__ = ["contraction_steps", "delay_lower_bound", "delay_upper_bound"]


def log_contraction(rate: np.ndarray) -> np.ndarray:
    """log|1 - rate| without cancellation: log1p(-rate) below 1 (exact for tiny rates)."""
    rate = np.asarray(rate, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(rate < 1.0, np.log1p(-np.minimum(rate, 1.0)),
                        np.log(np.abs(rate - 1.0)))


def steps_from_log(log_r: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """First integer k >= 1 with k log r <= log tol (inf if log r >= 0; 1 if r == 0)."""
    log_tol = np.log(tol)
    neg = log_r < 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(neg & np.isfinite(log_r), log_tol / np.where(neg, log_r, -1.0), 0.0)
    k = np.maximum(np.ceil(x), 1.0)
    # ceil of a rounded quotient can be one too many (log(0.01)/log(0.1) = 2.0000000000000004)
    finite = neg & np.isfinite(log_r) & (k > 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        earlier = np.where(finite, (k - 1.0) * np.where(finite, log_r, 0.0), 0.0)
    k = np.where(finite & (earlier <= log_tol), k - 1.0, k)
    return np.where(neg, k, np.inf)


def gd_steps(rate: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """First integer k >= 1 with |1 - rate|^k <= tol (inf if |1 - rate| >= 1)."""
    return steps_from_log(log_contraction(rate), tol)


def log_ratio_sq(norm_mem, norm_post) -> np.ndarray:
    """log(norm_mem^2 / norm_post^2), computed from the logs so huge ratios do not overflow."""
    return 2.0 * (np.log(norm_mem) - np.log(norm_post))


def log_q(gamma: np.ndarray) -> np.ndarray:
    """log(-log(1 - gamma) / gamma) for gamma in [0, 1) (0 at gamma = 0, its limit)."""
    gamma = np.asarray(gamma, dtype=float)
    q = np.where(gamma > 0, -np.log1p(-gamma) / np.where(gamma > 0, gamma, 1.0), 1.0)
    return np.log(q)


def contraction_steps(norm_mem, norm_post, gamma_eff) -> np.ndarray:
    r"""Steps of pure decay :math:`\theta \leftarrow (1-\gamma)\theta` from norm_mem to norm_post.

    .. math::

        k^\ast = \frac{\log(\|\theta_\mathrm{mem}\|^2 / \|\theta_\mathrm{post}\|^2)}
                      {-2\log(1-\gamma_\mathrm{eff})},

    the real solution of :math:`(1-\gamma)^{2k}\|\theta_\mathrm{mem}\|^2 =
    \|\theta_\mathrm{post}\|^2`; the first integer step at which
    :math:`\|\theta_k\| \le \|\theta_\mathrm{post}\|` is :math:`\lceil k^\ast \rceil`. It is 0 when
    ``norm_post >= norm_mem`` and inf when ``gamma_eff == 0``.

    Parameters
    ----------
    norm_mem, norm_post : array_like
        Parameter norms (not squared), > 0.
    gamma_eff : array_like
        Contraction rate per step, in [0, 1).

    Returns
    -------
    ndarray
        Broadcast shape of the inputs.

    Examples
    --------
    >>> from grokdelay.norm_separation import contraction_steps
    >>> round(float(contraction_steps(10.0, 1.0, 0.01)), 4)
    229.1053
    """
    a = _positive("norm_mem", norm_mem)
    b = _positive("norm_post", norm_post)
    g = _positive("gamma_eff", gamma_eff, allow_zero=True, below_one=True)
    lr2 = log_ratio_sq(a, b)
    with np.errstate(divide="ignore", over="ignore"):
        k = lr2 / (-2.0 * np.log1p(-g))
    return np.where(lr2 <= 0, 0.0, np.where(g == 0, np.inf, k))


def _bound(norm_mem, norm_post, gamma_eff, drive, sign: float) -> np.ndarray:
    a = _positive("norm_mem", norm_mem)
    b = _positive("norm_post", norm_post)
    g = _positive("gamma_eff", gamma_eff, below_one=True)
    D = _positive("drive", drive, allow_zero=True)
    r = D / g  # radius of the ball the drive can hold the norm at against the decay
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        num = a + sign * r
        den = b + sign * r
        k = np.log(num / den) / -np.log1p(-g)
    k = np.where(b >= a, 0.0, k)
    if sign < 0:  # upper bound: no guarantee once the drive can hold the norm at norm_post
        k = np.where((b < a) & (r >= b), np.inf, k)
    return k


def delay_lower_bound(norm_mem, norm_post, gamma_eff, drive=0.0) -> np.ndarray:
    r"""Fewest steps any decayed trajectory needs to bring :math:`\|\theta\|` to norm_post.

    Assumptions: every step is :math:`\theta_{k+1} = (1-\gamma)\theta_k + \delta_k` with
    :math:`\|\delta_k\| \le D` (``drive``; for SGD :math:`\delta_k = -\eta\nabla L(\theta_k)`,
    so :math:`D = \eta \sup_k\|\nabla L\|`; for AdamW
    :math:`D = \eta\sup_k\|\mathrm{adam\_step}\|`).
    The triangle inequality gives :math:`\|\theta_{k+1}\| \ge (1-\gamma)\|\theta_k\| - D`, i.e. the
    Lyapunov function :math:`V_k = \|\theta_k\| + r`, :math:`r = D/\gamma`, obeys
    :math:`V_{k+1} \ge (1-\gamma) V_k`. Hence

    .. math::

        k \ge \frac{\log\big((\|\theta_\mathrm{mem}\| + r)/(\|\theta_\mathrm{post}\| + r)\big)}
                   {-\log(1-\gamma)}.

    At :math:`D = 0` this is :func:`contraction_steps`: with a loss gradient that never points
    inwards the pure-decay count is a lower bound. The bound is attained when every
    :math:`\delta_k` has norm D and points along :math:`-\theta_k`.

    Parameters
    ----------
    norm_mem, norm_post : array_like
        Norms (not squared) at memorization and of the target, > 0.
    gamma_eff : array_like
        Decay rate per step, in (0, 1).
    drive : array_like
        Bound D >= 0 on the non-decay part of each step, in parameter units.

    Returns
    -------
    ndarray
        Real-valued bound on the delay in steps (0 when ``norm_post >= norm_mem``); the first
        integer step is at least its ceiling.

    Examples
    --------
    >>> from grokdelay.norm_separation import delay_lower_bound
    >>> round(float(delay_lower_bound(10.0, 1.0, 0.01, drive=0.001)), 3)
    220.612
    """
    return _bound(norm_mem, norm_post, gamma_eff, drive, +1.0)


def delay_upper_bound(norm_mem, norm_post, gamma_eff, drive=0.0) -> np.ndarray:
    r"""Most steps a decayed trajectory can need to bring :math:`\|\theta\|` to norm_post.

    Same assumptions as :func:`delay_lower_bound`: :math:`\theta_{k+1} = (1-\gamma)\theta_k +
    \delta_k`, :math:`\|\delta_k\| \le D` for all steps after memorization. The discrete Lyapunov
    function :math:`V_k = \|\theta_k\| - r`, :math:`r = D/\gamma`, contracts:
    :math:`V_{k+1} \le (1-\gamma)\|\theta_k\| + D - r = (1-\gamma)V_k`. So once
    :math:`r < \|\theta_\mathrm{post}\|`,

    .. math::

        k \le \frac{\log\big((\|\theta_\mathrm{mem}\| - r)/(\|\theta_\mathrm{post}\| - r)\big)}
                   {-\log(1-\gamma)},

    the upper half of the notes' :math:`\Theta` made explicit. It is inf when
    :math:`r \ge \|\theta_\mathrm{post}\|`: a drive that large can hold the norm above the target
    forever, so nothing is guaranteed. It is attained when every :math:`\delta_k` has norm D
    along :math:`+\theta_k`. At D = 0 both bounds equal :func:`contraction_steps`.

    Parameters
    ----------
    norm_mem, norm_post, gamma_eff, drive : array_like
        As in :func:`delay_lower_bound`.

    Returns
    -------
    ndarray
        Real-valued bound on the delay in steps (0 when ``norm_post >= norm_mem``, inf when no
        finite bound holds); the first integer step is at most its ceiling.

    Examples
    --------
    >>> from grokdelay.norm_separation import delay_upper_bound
    >>> round(float(delay_upper_bound(10.0, 1.0, 0.01, drive=0.001)), 3)
    238.589
    """
    return _bound(norm_mem, norm_post, gamma_eff, drive, -1.0)

"""Closed forms of the linear teacher-student losses and delays (private).

The large-sample accuracy of a loss and its inverse, the target loss level (eqs 9 and 12),
Levi et al.'s eq 19 (the training loss without weight decay or label noise, exact) in log
space, and the principal branch of the Lambert W function of ``exp(log_z)`` behind the
late-time solutions of eqs 23-24. Used by the loss engine (:mod:`grokdelay._lts_engine`,
eq 19 as its fast path), the simulators and :mod:`grokdelay.linear_teacher_student`.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ._special import gammaincinv

__all__ = ["accuracy_of_log_loss", "target_loss_level", "log_eq19", "lambertw_exp", "to_steps",
           "describe_first"]


def accuracy_of_log_loss(log_loss, threshold, d_out=1):
    r"""Large-sample accuracy from the log of the loss, eq 9 (``d_out = 1``) and eq 12.

    :math:`\mathcal A = P(d/2, d\epsilon/(2\mathcal L))`, the probability that the mean
    squared error per output of a Gaussian residual of variance :math:`\mathcal L` per output
    is at most :math:`\epsilon`; from :math:`\log\mathcal L` so that losses below the float
    range keep their accuracy. A zero loss (log -inf) gives 1, an infinite loss 0. The one
    implementation behind :func:`grokdelay.linear_teacher_student.accuracies` and the
    simulators' accuracies.
    """
    from scipy import special  # where used: scipy.special is a third of a second to import

    half = 0.5 * np.asarray(d_out, dtype=float)
    with np.errstate(over="ignore"):
        return special.gammainc(half, half * threshold * np.exp(-np.asarray(log_loss)))


def target_loss_level(threshold, accuracy, d_out=1):
    r"""The loss at which the large-sample accuracy (eq 9 / eq 12) equals ``accuracy``.

    :math:`\mathcal L^* = d_\mathrm{out}\,\epsilon / (2 P^{-1}(d_\mathrm{out}/2,\mathcal A^*))`;
    for ``d_out = 1`` this is :math:`\epsilon / (2\,\mathrm{erfinv}(\mathcal A^*)^2)`, which is
    ``threshold / 4`` at the default accuracy :math:`\mathrm{erf}(\sqrt2)`. Arrays broadcast;
    the one implementation behind :func:`grokdelay.linear_teacher_student.target_loss`, the
    exact solver and the simulators.

    When every point has the same ``d_out`` and ``accuracy`` (the usual case: the shell,
    ``compare``, sweeps over other fields) the inverse is computed once in plain Python
    (:func:`grokdelay._special.gammaincinv`, within 5e-15 of mpmath, for accuracies in
    (1e-12, 1 - 1e-12)), which keeps scipy.special (a third of a second to import) off that
    path; otherwise scipy's ``gammaincinv`` element by element.
    """
    dout_a = np.asarray(d_out, dtype=float)
    acc = np.asarray(accuracy, dtype=float)
    if dout_a.ndim == 0 and acc.ndim == 0 and np.ndim(threshold) == 0:   # one point
        inv = _inverse(float(dout_a), float(acc))
        # a tiny accuracy's inverse underflows to 0: any loss meets it (level inf)
        return float(d_out) * float(threshold) / (2.0 * inv) if inv > 0 else math.inf
    if acc.size == 0 or dout_a.size == 0:            # an empty broadcast: nothing to invert
        inv = np.ones(np.broadcast_shapes(acc.shape, dout_a.shape))
    elif np.all(dout_a == dout_a.flat[0]) and np.all(acc == acc.flat[0]):
        inv = np.full(np.broadcast_shapes(acc.shape, dout_a.shape),
                      _inverse(float(dout_a.flat[0]), float(acc.flat[0])))
    else:
        from scipy import special

        inv = special.gammaincinv(0.5 * dout_a, acc)
    with np.errstate(divide="ignore"):
        return d_out * threshold / (2.0 * inv)


@functools.lru_cache(maxsize=64)
def _inverse(d_out: float, accuracy: float) -> float:
    if 1e-12 < accuracy < 1.0 - 1e-12:
        return gammaincinv(0.5 * d_out, accuracy)
    # the plain-Python inverse is verified for moderate accuracies (at 5e-324 it leaves
    # erfinv's domain); scipy takes the far tails
    from scipy import special

    return float(special.gammaincinv(0.5 * d_out, accuracy))


def log_eq19(lam, tau):
    """log of Levi et al.'s eq 19, exp(-4 tau (1 + lambda)) 0F1~(2; 16 tau^2 lambda).

    As ``-4 tau (1 - sqrt(lambda))^2 + log(2 ive(1, z) / z)``, ``z = 8 tau sqrt(lambda)``:
    the exponent is formed without the cancellation of ``-4 tau (1 + lambda) + z``.
    """
    lam = np.asarray(lam, dtype=float)
    tau = np.asarray(tau, dtype=float)
    z = 8.0 * tau * np.sqrt(lam)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(z > 0, 2.0 * _ive1(z) / np.where(z > 0, z, 1.0), 1.0)
    return -4.0 * tau * (1.0 - np.sqrt(lam)) ** 2 + np.log(ratio)


def _ive1(z):
    """exp(-z) I_1(z); scipy's ``ive`` returns NaN beyond z ~ 1e9, so the Hankel expansion
    (error O(z^-3) < 1e-24 there) takes over at z > 1e8."""
    z = np.asarray(z, dtype=float)
    big = z > 1e8
    zb = np.where(big, z, 1e8)
    asym = (1.0 - 3.0 / (8.0 * zb) - 15.0 / (128.0 * zb) / zb) / np.sqrt(2.0 * np.pi * zb)
    from scipy import special

    return np.where(big, asym, special.ive(1, np.where(big, 0.0, z)))


def lambertw_exp(log_z):
    """W(exp(log_z)), principal branch, for any real log_z (no overflow)."""
    log_z = np.asarray(log_z, dtype=float)
    from scipy import special

    small = log_z < 600
    with np.errstate(over="ignore"):
        w = np.where(small, special.lambertw(np.exp(np.minimum(log_z, 600))).real, 0.0)
    big = ~small
    if np.any(big):
        lz = log_z[big]
        wb = lz - np.log(lz)
        for _ in range(6):      # Newton on w + log w = lz (quadratic; 6 is plenty from here)
            wb = wb - (wb + np.log(wb) - lz) / (1.0 + 1.0 / wb)
        w[big] = wb
    return w


def to_steps(tau, eta0):
    """Optimizer steps t = tau / eta0; 0 stays 0 and eta0 = 0 (a saddle) gives inf."""
    if np.size(tau) == 1 == np.size(eta0):
        t, e = float(np.ravel(tau)[0]), float(np.ravel(eta0)[0])
        return np.reshape(0.0 if t == 0 else t / e if e > 0 else math.inf, np.shape(tau))
    tau = np.asarray(tau, dtype=float)
    eta0 = np.asarray(eta0, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(tau == 0, 0.0, np.where(eta0 > 0, tau / np.where(eta0 > 0, eta0, 1.0),
                                                 np.inf))


def describe_first(value, mask):
    arr = np.asarray(value, dtype=float)
    mask = np.broadcast_to(np.asarray(mask), np.broadcast_shapes(arr.shape, np.shape(mask)))
    arr = np.broadcast_to(arr, mask.shape)
    return f"{float(arr[mask].ravel()[0]):g}" if mask.ndim else f"{float(arr):g}"

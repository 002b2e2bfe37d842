"""Closed forms of the linear teacher-student losses and delays (private).

Levi et al.'s eq 19 (the training loss without weight decay or label noise, exact) in log
space, and the principal branch of the Lambert W function of ``exp(log_z)`` behind the
late-time solutions of eqs 23-24. Used by the loss engine (:mod:`grokdelay._lts_engine`,
eq 19 as its fast path) and by :mod:`grokdelay.linear_teacher_student`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["log_eq19", "lambertw_exp"]


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

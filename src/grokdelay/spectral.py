r"""Spectral condition-number delay (Analytical Proof notes, section 4.3).

Gradient descent on a quadratic loss with feature covariance (or Hessian) spectrum
:math:`\{\nu_i\}` shrinks the error along eigenvector :math:`i` by :math:`|1 - \eta\nu_i|`
per step; under gradient flow the mode decays as :math:`e^{-\eta\nu_i k}` after :math:`k`
steps. Memorization is carried by the top modes, generalization by the bottom ones: mode
:math:`i` is learned in :math:`\log(1/\mathrm{tol})/(\eta\nu_i)` steps under gradient flow,
``t_mem`` is the top mode's time and ``t_grok`` the smallest positive one's, so
:math:`t_\mathrm{grok}/t_\mathrm{mem} = \kappa = \nu_{\max}/\nu_{\min}^{+}` (the closed forms
of both methods: :mod:`grokdelay._symbolic`, rendered on the docs page).

Zero eigenvalues are the null space: no gradient ever moves them, so they are dropped with
a note (the ridge null-space mechanism is the one that treats them).
"""

from __future__ import annotations

import math

import numpy as np

from ._contraction import gd_steps
from ._core import (Interval, Outcome, ParameterError, Parameters,
                    method, note_where, param, register)

__all__ = ["SpectralConditioning", "mode_times", "gradient_descent_on_quadratic"]


def _convert_spectrum(name: str, value) -> np.ndarray:
    try:
        nu = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} = {value!r} is not an array of numbers", name) from None
    if nu.ndim == 0:
        nu = nu.reshape(1)
    if nu.ndim != 1 or nu.size == 0:
        raise ParameterError(
            f"{name} must be a non-empty 1-D array of eigenvalues, got shape {nu.shape}", name)
    if not np.all(np.isfinite(nu)):
        bad = nu[~np.isfinite(nu)][0]
        raise ParameterError(f"{name} contains {bad!r}; eigenvalues must be finite numbers "
                             f"in [0, inf)", name)
    top = float(np.max(np.abs(nu)))
    # eigvalsh of a PSD matrix returns zeros as +-n*eps*||A||; beyond that a negative
    # eigenvalue means the matrix is not a covariance.
    zero_tol = 16 * nu.size * np.finfo(float).eps * top
    if np.any(nu < -zero_tol):
        bad = float(nu[nu < -zero_tol][0])
        raise ParameterError(
            f"{name} contains {bad:g} < 0; a covariance or Hessian spectrum lies in [0, inf)",
            name)
    if not np.any(nu > zero_tol):
        raise ParameterError(f"{name} has no positive eigenvalue (all are 0 to within "
                             f"{zero_tol:.3g}): no mode is ever learned", name)
    nu = np.where(np.abs(nu) <= zero_tol, 0.0, nu)
    nu.setflags(write=False)
    return nu


def mode_times(eigenvalues, learning_rate, tolerance=1e-2, *, discrete=False) -> np.ndarray:
    """Steps for each eigenmode's error to fall to ``tolerance`` of its start.

    Parameters
    ----------
    eigenvalues : array_like, shape (n,)
        Non-negative spectrum; zero modes get ``inf``.
    learning_rate, tolerance : float or array_like
        Broadcast together; the result has shape ``broadcast_shape + (n,)``.
    discrete : bool
        ``False``: gradient flow, ``log(1/tol) / (eta nu)``. ``True``: the first integer
        step ``k`` of gradient descent with ``|1 - eta nu|^k <= tol`` (``inf`` when
        ``eta nu >= 2``, where the mode does not contract).
    """
    nu = np.asarray(eigenvalues, dtype=float)
    eta = np.asarray(learning_rate, dtype=float)[..., None]
    tol = np.asarray(tolerance, dtype=float)[..., None]
    rate = eta * nu
    if discrete:
        times = gd_steps(rate, tol)
    else:
        with np.errstate(divide="ignore"):
            times = np.log(1.0 / tol) / rate
    return np.where(nu > 0, times, np.inf)


@register("spectral")
class SpectralConditioning(Parameters):
    r"""Spectral condition-number delay: t_grok / t_mem = kappa (Analytical Proof notes 4.3).

    Gradient descent learns the eigenmode of the feature covariance (or loss Hessian) with
    eigenvalue :math:`\nu` in :math:`\log(1/\mathrm{tol}) / (\eta\nu)` steps under gradient
    flow. Memorization is the top mode, generalization the smallest positive one, so
    :math:`t_\mathrm{grok}/t_\mathrm{mem} = \kappa = \nu_{\max}/\nu_{\min}^{+}`. The closed
    form of each method is written once, in :mod:`grokdelay._symbolic`: the docs page renders
    them, and so does ``_repr_latex_()`` in a notebook (of the parameters: the default
    method; of a prediction: its method, with its numbers).

    Parameters
    ----------
    eigenvalues : array_like
        Spectrum of the feature covariance or loss Hessian, all >= 0. Zeros (to within
        floating-point rounding of an eigensolver) are the null space and are dropped with
        a note.
    learning_rate : float or array_like
        Step size eta; times are in optimizer steps.
    tolerance : float or array_like
        Fraction of a mode's initial error left when it counts as learned.

    Notes
    -----
    Methods: ``"gradient_flow"`` (default) is the mode time above. ``"gradient_descent"`` is
    the exact step count of discrete gradient descent on the quadratic, the first integer
    :math:`k \ge 1` with :math:`\lvert 1-\eta\nu\rvert^k \le \mathrm{tol}`; a mode with
    :math:`\eta\nu \ge 2` never contracts, so :math:`\eta\nu_{\max} \ge 2` gives
    ``t_mem = inf`` and a :class:`GrokdelayWarning`. The two agree to
    :math:`O(\eta\nu)` relative error when :math:`\eta\nu \ll 1`.

    The notes cite this view as "Pasand, Goldt, and Eftekhari 2025"; public listings give
    Pasand and Dohmatob, arXiv 2510.04930.

    References
    ----------
    The unpublished notes "Analytical Proof of Grokking Delay", section 4.3 and table 5.1.

    Examples
    --------
    >>> import grokdelay as gd
    >>> p = gd.predict_delay(gd.SpectralConditioning([10.0, 1.0, 0.1], learning_rate=0.01))
    >>> round(p.ratio, 6)
    100.0
    """

    eigenvalues: object = param(
        "nu", Interval(0, math.inf), "spectrum of the feature covariance or loss Hessian",
        kind="custom", convert=_convert_spectrum,
        examples=([1.0], [10.0, 1.0, 0.1], [5.0, 0.0, 2.0, 1e-3], np.logspace(-3, 1, 50)),
        invalid_examples=([], [1.0, -1.0], [0.0, 0.0], [1.0, float("nan")], "abc"),
        cli_help="comma-separated list")
    learning_rate: float = param("eta", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                                 typical=(1e-4, 1.0)),
                                 "learning rate (step size)")
    tolerance: float = param("tol", Interval(0, 1, lo_closed=False, hi_closed=False,
                                             typical=(1e-8, 0.5)),
                             "fraction of a mode's initial error left when it counts as learned",
                             1e-2)

    @property
    def kappa(self) -> float:
        """Condition number nu_max / nu_min over the positive eigenvalues."""
        pos = self.eigenvalues[self.eigenvalues > 0]
        return float(pos.max() / pos.min())

    def _extremes(self) -> tuple[float, float, list[str]]:
        nu = self.eigenvalues
        pos = nu[nu > 0]
        notes = []
        n_zero = int(nu.size - pos.size)
        if n_zero:
            notes.append(f"{n_zero} zero eigenvalue(s) dropped: null-space modes are never "
                         "learned by gradient descent (see the ridge_null_space mechanism)")
        return float(pos.max()), float(pos.min()), notes

    @method("gradient_flow", default=True,
            summary="t_i = log(1/tol) / (eta nu_i); ratio = kappa exactly")
    def _gradient_flow(self, a) -> Outcome:
        nu_max, nu_min, notes = self._extremes()
        scale = np.log(1.0 / a.tolerance) / a.learning_rate
        notes += note_where(a.learning_rate * nu_max >= 2.0,
                            "eta * nu_max >= 2: discrete gradient descent diverges along the "
                            "top mode; the gradient-flow times do not describe such a run")
        return Outcome(t_mem=scale / nu_max, t_grok=scale / nu_min, units="steps", notes=notes,
                       extra={"kappa": nu_max / nu_min})

    @method("gradient_descent",
            summary="first integer step k with abs(1 - eta nu)^k <= tol (exact discrete GD)")
    def _gradient_descent(self, a) -> Outcome:
        nu_max, nu_min, notes = self._extremes()
        unstable = a.learning_rate * nu_max >= 2.0
        t_mem = gd_steps(a.learning_rate * nu_max, a.tolerance)
        t_grok = gd_steps(a.learning_rate * nu_min, a.tolerance)
        notes += note_where(unstable, "eta * nu_max >= 2: the top mode never contracts, so "
                            "gradient descent never fits (t_mem = inf)")
        notes += note_where(~unstable & (a.learning_rate * nu_min >= 2.0),
                            "eta * nu_min >= 2: the bottom mode never contracts (t_grok = inf)")
        t_grok = np.where(unstable, np.inf, t_grok)
        warn = ["learning_rate * nu_max >= 2: gradient descent does not contract the top "
                "eigenmode"] if np.any(unstable) else []
        return Outcome(t_mem=t_mem, t_grok=t_grok, units="steps", notes=notes,
                       extra={"kappa": nu_max / nu_min}, warnings=warn)


def gradient_descent_on_quadratic(eigenvalues, learning_rate, tolerance=1e-2, *,
                                  max_steps=10**7, seed=0) -> tuple[float, float]:
    """Run gradient descent on ``0.5 * sum_i nu_i (x_i - x*_i)^2`` and time the modes.

    An independent check of :class:`SpectralConditioning`: the iterate is updated step by
    step (no closed form), starting from a random rotation of the error so that every mode
    is excited; the error is measured in the eigenbasis recovered by ``numpy.linalg.eigh``
    of the assembled Hessian.

    Returns
    -------
    (t_mem, t_grok) : the first steps at which the top and the smallest positive mode's
    error fall to ``tolerance`` of their start.
    """
    nu = np.asarray(eigenvalues, dtype=float)
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((nu.size, nu.size)))
    hess = (q * nu) @ q.T
    x_star = rng.standard_normal(nu.size)
    x = x_star + q @ np.ones(nu.size)  # unit error along every eigenvector
    w, v = np.linalg.eigh(hess)
    pos = nu[nu > 0]
    i_max = int(np.argmin(np.abs(w - pos.max())))
    i_min = int(np.argmin(np.abs(w - pos.min())))
    e0 = v.T @ (x - x_star)
    t = {i_max: math.inf, i_min: math.inf}
    for k in range(1, max_steps + 1):
        x = x - learning_rate * (hess @ (x - x_star))
        e = v.T @ (x - x_star)
        for i in t:
            if t[i] == math.inf and abs(e[i]) <= tolerance * abs(e0[i]) * (1 + 1e-9):
                t[i] = float(k)
        if all(math.isfinite(s) for s in t.values()):
            break
    return t[i_max], t[i_min]

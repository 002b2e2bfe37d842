r"""Ridge-regression null-space delay (Analytical Proof notes, section 2.6; table 5.1, third row).

Gradient descent with weight decay on an overparameterized linear least-squares problem,
:math:`L(\theta) = \frac{1}{2n}\|\Phi\theta - y\|^2`, :math:`\Phi \in \mathbb{R}^{n\times P}`,
:math:`P > n`, in the library's convention
:math:`\theta \leftarrow \theta - \eta(\nabla L + \lambda\theta)`:

.. math::

    e_{k+1} = \big(I - \eta(H + \lambda I)\big)\, e_k, \qquad H = \Phi^\top\Phi/n, \quad
    e_k = \theta_k - \theta^\infty,\quad \theta^\infty = (H + \lambda I)^{-1}\Phi^\top y/n.

The error along an eigenvector of :math:`H` with eigenvalue :math:`h > 0` (the data span,
:math:`\theta_\parallel`) contracts by :math:`|1 - \eta(h + \lambda)|` per step; along the
null space of :math:`\Phi` (:math:`\theta_\perp`, invisible to the training loss but not to
the test loss) only by :math:`|1 - \eta\lambda|`. The training loss is fit on the first
clock, the test loss on the second.
"""

from __future__ import annotations

import math

import numpy as np

from ._core import (Interval, Outcome, ParameterError, Parameters,
                    method, note_where, param, register)
from ._contraction import gd_steps, log_contraction, steps_from_log

__all__ = ["RidgeNullSpace", "gradient_descent_ridge"]


@register("ridge_null_space")
class RidgeNullSpace(Parameters):
    r"""Null-space delay of ridge regression by gradient descent (Analytical Proof notes, 2.6).

    The training loss is fit when the slowest data mode, contracting at rate
    :math:`\eta(h_{\min}^{+} + \lambda)`, has converged, the test loss when the null space,
    contracting at :math:`\eta\lambda` only, has too; under gradient flow (default method)
    :math:`t_\mathrm{grok}/t_\mathrm{mem} = 1 + h_{\min}^{+}/\lambda`. The closed form of each
    method is written once, in :mod:`grokdelay._symbolic`: the docs page renders them, and so
    does ``_repr_latex_()`` in a notebook (of the parameters: the default method; of a
    prediction: its method, with its numbers).

    Parameters
    ----------
    gram_min : float or array_like
        :math:`h_{\min}^{+} = \lambda_{\min}^{+}(\Phi^\top\Phi)/n`, the smallest positive
        eigenvalue of the Gram matrix (equivalently of :math:`\Phi\Phi^\top/n`).
    learning_rate : float or array_like
        Step size eta; times are optimizer steps.
    weight_decay : float or array_like
        lambda in :math:`\theta \leftarrow \theta - \eta(\nabla L + \lambda\theta)`; 0 means the
        null-space component never decays (never groks).
    gram_max : float or array_like, optional
        Largest eigenvalue of :math:`\Phi^\top\Phi/n`. Only ``"gradient_descent"`` uses it
        (the fastest mode can overshoot); ``None`` assumes
        :math:`\eta(h_{\max}+\lambda) \le 1`, where the slowest data mode is
        :math:`h_{\min}^{+}`.
    tolerance : float or array_like
        Fraction of the initial error left when a component counts as converged.

    Notes
    -----
    **Definitions (exact).** ``t_mem`` is the first time at which the error in the data span
    has contracted to ``tolerance`` of its initial value for *every* initialization, that is
    :math:`\max_h \lvert 1-\eta(h+\lambda)\rvert^k \le \mathrm{tol}` over the positive spectrum;
    ``t_grok`` is the first time at which the null-space error has too
    (:math:`\lvert 1-\eta\lambda\rvert^k \le \mathrm{tol}`) and the data span is also converged,
    ``max(t_mem, t_null)``. Method ``"gradient_descent"`` gives these integer step counts
    exactly (a simulation of gradient descent reproduces them step for step, see
    :func:`gradient_descent_ridge`); ``"gradient_flow"`` is the
    :math:`\eta \to 0` limit, within a relative :math:`O(\eta(h+\lambda))` of it.

    **Attribution.** The Analytical Proof notes cite "Barak et al. 2025" for this setting; public
    listings give the ridge-regression grokking bound as Xu, Vardi and Safran, arXiv 2601.19791.

    **Table 5.1.** The notes' summary table writes the delay as
    :math:`\sim 1/(\lambda\,\lambda_{\min}^{+})`; section 2.6's mechanism (implemented
    here, :math:`\ell = \log(1/\mathrm{tol})`) gives a delay
    :math:`\approx \ell/(\eta\lambda)` for :math:`\lambda \ll h_{\min}^{+}` and
    :math:`\approx \ell h_{\min}^{+}/(\eta\lambda^2)` for :math:`\lambda \gg h_{\min}^{+}`:
    the table's form matches neither limit.

    References
    ----------
    The unpublished notes "Analytical Proof of Grokking Delay", section 2.6 and table 5.1.

    Examples
    --------
    >>> import grokdelay as gd
    >>> p = gd.predict_delay(gd.RidgeNullSpace(gram_min=1.0, learning_rate=0.1,
    ...                                        weight_decay=0.01, tolerance=math.exp(-1)))
    >>> round(p.t_mem, 6), round(p.t_grok, 6), round(p.ratio, 6)
    (9.90099, 1000.0, 101.0)
    """

    gram_min: float = param("h_min+", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                               typical=(1e-4, 1e2)),
                            "smallest positive eigenvalue of Phi^T Phi / n (data span)")
    learning_rate: float = param("eta", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                                 typical=(1e-4, 1.0)),
                                 "learning rate (step size)")
    weight_decay: float = param("lambda", Interval(0, math.inf, hi_closed=False,
                                                   typical=(1e-5, 1.0)),
                                "weight decay: theta <- theta - eta (grad L + lambda theta)")
    gram_max: float = param("h_max", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                              typical=(1e-4, 1e2)),
                            "largest eigenvalue of Phi^T Phi / n (None: eta (h_max + lambda) <= 1 "
                            "assumed)", None, optional=True)
    tolerance: float = param("tol", Interval(0, 1, lo_closed=False, hi_closed=False,
                                             typical=(1e-8, 0.5)),
                             "fraction of the initial error left when a component has converged",
                             1e-2)

    def _check(self) -> None:
        if self.gram_max is not None and np.any(np.asarray(self.gram_max) < self.gram_min):
            raise ParameterError(
                f"gram_max = {self.gram_max!r} is below gram_min = {self.gram_min!r}: the largest "
                "eigenvalue of Phi^T Phi / n cannot be smaller than the smallest positive one",
                "gram_max")

    @method("gradient_flow", default=True,
            summary="t_mem = log(1/tol)/(eta (h_min + lambda)), t_grok = log(1/tol)/(eta lambda)")
    def _gradient_flow(self, a) -> Outcome:
        ell = np.log(1.0 / a.tolerance)
        lam, h, eta = a.weight_decay, a.gram_min, a.learning_rate
        t_mem = ell / (eta * (h + lam))
        never = lam == 0.0
        safe = np.where(never, 1.0, lam)
        t_grok = np.where(never, np.inf, ell / (eta * safe))
        delay = np.where(never, np.inf, ell * h / (eta * safe * (h + lam)))
        with np.errstate(divide="ignore"):
            log_delay = np.where(never, np.inf, np.log(ell) + np.log(h) - np.log(eta)
                                 - np.log(safe) - np.log(h + lam))
        notes = note_where(never, "weight_decay = 0: the null-space component of theta is "
                           "invisible to the training loss and never decays; never groks")
        notes += note_where(~never & (lam >= h), "weight_decay >= gram_min: weight decay clears "
                            "the null space about as fast as the slowest data mode fits; the "
                            "delay is at most t_mem (the null-space mechanism is weak here)")
        if a.gram_max is not None:
            notes += note_where(eta * (a.gram_max + lam) >= 2.0,
                                "eta (gram_max + weight_decay) >= 2: discrete gradient descent "
                                "diverges along the top data mode; gradient-flow times do not "
                                "describe such a run")
        return Outcome(t_mem=t_mem, t_grok=t_grok, units="steps", notes=notes, delay=delay,
                       log_delay=log_delay, extra={"t_null": t_grok})

    @method("gradient_descent",
            summary="exact integer steps of gradient descent: abs(1 - eta (h + lambda))^k <= tol "
                    "per component")
    def _gradient_descent(self, a) -> Outcome:
        lam, eta, tol = a.weight_decay, a.learning_rate, a.tolerance
        h_max = a.gram_min if a.gram_max is None else a.gram_max
        # |1 - eta (h + lam)| is convex in h: its max over [h_min, h_max] is at an endpoint
        log_q = np.maximum(log_contraction(eta * (a.gram_min + lam)),
                           log_contraction(eta * (h_max + lam)))
        unstable = log_q >= 0.0
        t_mem = steps_from_log(log_q, tol)
        t_null = gd_steps(eta * lam, tol)
        t_grok = np.maximum(t_mem, t_null)
        notes = note_where(unstable, "a data mode has |1 - eta (h + lambda)| >= 1: gradient "
                           "descent never fits (t_mem = t_grok = inf)")
        notes += note_where(~unstable & (lam == 0.0), "weight_decay = 0: the null-space "
                            "component never decays; never groks")
        notes += note_where(~unstable & (lam > 0) & (eta * lam >= 2.0),
                            "eta * weight_decay >= 2: the null-space component never contracts")
        if a.gram_max is None:
            notes.append("gram_max not given: assumed eta (h_max + weight_decay) <= 1, so the "
                         "slowest data mode is gram_min")
        notes += note_where(~unstable & (t_null < t_mem),
                            "the null space contracts faster than the slowest data mode: no "
                            "delay (t_grok = t_mem)")
        warn = ["learning_rate * (h + weight_decay) >= 2 for some data mode: gradient descent "
                "does not contract it"] if np.any(unstable) else []
        return Outcome(t_mem=t_mem, t_grok=t_grok, units="steps", notes=notes,
                       extra={"t_null": t_null}, warnings=warn)


def gradient_descent_ridge(features, targets, learning_rate, weight_decay, tolerance=1e-2, *,
                           init=None, max_steps=10**6) -> tuple[float, float]:
    """Run gradient descent with weight decay on least squares and time both components.

    An independent check of :class:`RidgeNullSpace`: iterates
    ``theta <- theta - eta (Phi^T (Phi theta - y) / n + lambda theta)`` step by step and
    measures the error against the ridge solution (from ``numpy.linalg.solve``) in the row
    space of ``Phi`` (projector from ``numpy.linalg.pinv``) and in its null space.

    Returns
    -------
    (t_mem, t_grok) : the first step at which the row-space error norm, and then also the
    null-space error norm, is at most ``tolerance`` times its initial value
    (``inf`` if not reached within ``max_steps``).
    """
    Phi = np.asarray(features, dtype=float)
    y = np.asarray(targets, dtype=float)
    n, P = Phi.shape
    H = Phi.T @ Phi / n
    b = Phi.T @ y / n
    theta_inf = np.linalg.solve(H + weight_decay * np.eye(P), b) if weight_decay > 0 else \
        np.linalg.pinv(Phi) @ y
    proj = np.linalg.pinv(Phi) @ Phi
    theta = np.zeros(P) if init is None else np.asarray(init, dtype=float).copy()
    e0 = theta - theta_inf
    par0, null0 = np.linalg.norm(proj @ e0), np.linalg.norm(e0 - proj @ e0)
    t_mem = t_null = math.inf
    for k in range(1, max_steps + 1):
        theta = theta - learning_rate * (H @ theta - b + weight_decay * theta)
        e = theta - theta_inf
        ep = proj @ e
        if t_mem == math.inf and np.linalg.norm(ep) <= tolerance * par0 * (1 + 1e-9):
            t_mem = float(k)
        if t_null == math.inf and np.linalg.norm(e - ep) <= tolerance * null0 * (1 + 1e-9):
            t_null = float(k)
        if t_mem < math.inf and t_null < math.inf:
            break
    return t_mem, max(t_mem, t_null)

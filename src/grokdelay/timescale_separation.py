r"""Readout/feature timescale separation: the N^(2 alpha) law (Analytical Proof notes 2.1-2.4).

For the alpha-parameterized two-layer network :math:`f = N^{-\alpha}\sum_j a_j
\sigma(w_j\cdot x)` (Analytical Proof notes, eq 1), readout fitting runs on the kernel's own clock and
feature learning on the clock of the kernel's drift: :math:`t_\mathrm{mem} =
\tau_\mathrm{readout}`, set by the kernel's norm :math:`\|K_0\|`, and :math:`t_\mathrm{grok} =
\tau_\mathrm{features}`, set by its drift rate :math:`\|\nabla_w K\|` and slowed by
:math:`N^{2\alpha}` (the closed forms: :mod:`grokdelay._symbolic`, rendered on the docs page).

This is the law stated in the notes' **abstract**. Its section 2.4 does not derive it: the
intermediate steps (eqs 6 and 8) give
:math:`\tau_\mathrm{features}/\tau_\mathrm{readout} = N/\|\nabla_w K\|`, and the text then
asserts :math:`\Omega(N^{2\alpha})`. grokdelay implements the abstract's law as stated and
measures what a real network does (``docs/width_exponent.rst``,
``examples/width_exponent.py``).
"""

from __future__ import annotations

import math

import numpy as np

from ._core import Interval, Outcome, Parameters, method, note_where, param, register

__all__ = ["TimescaleSeparation"]


@register("timescale_separation")
class TimescaleSeparation(Parameters):
    r"""Readout vs feature-learning timescales: ratio N^(2 alpha) (Analytical Proof notes 2.1-2.4).

    ``t_mem`` is the readout's timescale, set by the kernel's norm, and ``t_grok`` the
    features', set by the kernel's drift rate and slowed by :math:`N^{2\alpha}`, so that
    :math:`t_\mathrm{grok}/t_\mathrm{mem} = N^{2\alpha}\,\|K_0\|/\|\nabla_w K\|`. The closed
    form is written once, in :mod:`grokdelay._symbolic`: the docs page renders it, and so
    does ``_repr_latex_()`` in a notebook (of the parameters: the default method; of a
    prediction: its method, with its numbers).

    Parameters
    ----------
    width : float or array_like
        Hidden width N (> 0; real values are allowed for sweeps).
    alpha : float or array_like
        Output exponent of the parameterization, in [0, 1/2] (Analytical Proof notes eq 1).
    learning_rate : float or array_like
        Step size eta; times are optimizer steps.
    kernel_norm : float or array_like
        :math:`\|K_0\|`, operator norm of the NTK at initialization in the units of the
        residual dynamics :math:`\dot r = -\eta K r` (divide the Gram matrix by n for a
        mean-reduced loss).
    kernel_gradient_norm : float or array_like
        :math:`\|\nabla_w K\|_\mathrm{unscaled}` of the Analytical Proof notes section 2.3, the
        kernel drift rate with the :math:`N^{-2\alpha}` suppression taken out.

    Notes
    -----
    **Which law.** The abstract states the two timescales of this law; section 2.4's own algebra
    (eq 6, :math:`\|K_0^{(a)}\| = \Theta(N^{1-2\alpha})`, combined with eq 8) gives the ratio
    :math:`N/\|\nabla_w K\|` instead, and the text then asserts :math:`\Omega(N^{2\alpha})`
    "after accounting for the suppression". The two cannot both hold for every alpha. This
    class implements the abstract's law with the inputs as given; the measured width
    exponent of a real network is in ``docs/width_exponent.rst``.

    **Operational inputs.** :func:`grokdelay.modular_kernel.kernel_summary` measures both
    inputs on a network: ``kernel_norm`` is :math:`\|K_0\|_\mathrm{op}/n` and
    ``kernel_gradient_norm`` is :math:`N^{2\alpha}\|\dot K_0\|_\mathrm{op}/\|K_0\|_\mathrm{op}`,
    so that ``t_grok`` is the time for the NTK to move by its own norm at its initial
    drift rate, and ``t_mem`` the e-folding time of the top residual mode.

    **Validity.** Order-of-magnitude law (Analytical Proof notes write Theta and Omega): constants
    are not determined. ``t_mem`` is exact as the e-folding time of the top kernel mode under
    gradient flow of a linearized model; ``t_grok`` is a linear extrapolation of the
    initial drift and ignores the acceleration or saturation of feature learning.
    Inputs with :math:`\tau_\mathrm{features} < \tau_\mathrm{readout}` (features faster
    than the fit) give ``t_grok = t_mem`` (no delay, ``log_delay = -inf``) with a note:
    generalization is not counted before the fit.

    References
    ----------
    The unpublished notes "Analytical Proof of Grokking Delay", abstract, eqs 1, 4, 6, 8 and
    section 2.4; table 5.1, first row.

    Examples
    --------
    >>> import grokdelay as gd
    >>> p = gd.predict_delay(gd.TimescaleSeparation(width=1024, alpha=0.5, learning_rate=0.1))
    >>> p.t_mem, p.t_grok, p.ratio
    (10.0, 10240.0, 1024.0)
    """

    width: float = param("N", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                       typical=(1.0, 1e5)),
                         "hidden-layer width")
    alpha: float = param("alpha", Interval(0.0, 0.5, typical=(0.0, 0.5)),
                         "output-scale exponent of f = N^-alpha sum_j a_j sigma(w_j x)")
    learning_rate: float = param("eta", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                                 typical=(1e-5, 1.0)),
                                 "learning rate (step size)")
    kernel_norm: float = param("||K_0||", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                                   typical=(1e-3, 1e3)),
                               "operator norm of the NTK at initialization", 1.0)
    kernel_gradient_norm: float = param(
        "||grad_w K||", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                 typical=(1e-3, 1e3)),
        "unscaled kernel drift rate (N^(2 alpha) ||dK/dt|| per unit eta)", 1.0)

    @method("abstract_law", default=True,
            summary="t_mem = 1/(eta ||K_0||), t_grok = N^(2 alpha)/(eta ||grad_w K||) "
                    "(Analytical Proof notes abstract)")
    def _abstract_law(self, a) -> Outcome:
        log_features = (2.0 * a.alpha * np.log(a.width) - np.log(a.learning_rate)
                        - np.log(a.kernel_gradient_norm))
        # overflow (or an underflowing eta * norm) -> inf; log_delay below stays exact
        with np.errstate(over="ignore", divide="ignore", under="ignore"):
            t_readout = 1.0 / (a.learning_rate * a.kernel_norm)
            t_features = a.width ** (2.0 * a.alpha) / (a.learning_rate * a.kernel_gradient_norm)
        early = t_features < t_readout
        t_grok = np.where(early, t_readout, t_features)
        notes = ["the Analytical Proof notes' abstract law, not their section 2.4 algebra (which gives the ratio "
                 "N / ||grad_w K||); order-of-magnitude: constants are not determined"]
        notes += note_where(early, "N^(2 alpha) ||K_0|| < ||grad_w K||: features move faster "
                            "than the readout fits; no delay (t_grok = t_mem)")
        # delay = t_features - t_readout in log space: exact even when t_features overflows
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_readout = -np.log(a.learning_rate) - np.log(a.kernel_norm)
            gap = log_readout - log_features  # < 0 where there is a delay
            log_delay = np.where(early, -np.inf,
                                 log_features + np.log(-np.expm1(np.minimum(gap, 0.0))))
            log_delay = np.where(gap == 0.0, -np.inf, log_delay)
            delay = np.where(early, 0.0, np.exp(log_delay))
        return Outcome(t_mem=t_readout, t_grok=t_grok, units="steps", notes=notes,
                       delay=delay, log_delay=log_delay,
                       extra={"log_t_grok": np.where(early, log_readout, log_features)})

r"""Implicit-bias dichotomy delay (1/lambda) log(alpha) (Analytical Proof notes 2.5; Lyu et al. 2024).

A homogeneous network started at a large scale, :math:`\theta_0 = \alpha\,\bar\theta_0`, with
small weight decay first fits the training data as a kernel predictor (the NTK of
:math:`\theta_0`); while it sits there the loss gradient is nearly zero and weight decay
shrinks the parameters, :math:`\|\theta(t)\| \approx \alpha e^{-\lambda t}\|\bar\theta_0\|`.
When the scale has come down to that of :math:`\bar\theta_0` the kernel regime ends and the
network moves, sharply, to the min-norm / max-margin solution, at gradient-flow time
:math:`t^\ast = \log(\alpha)/\lambda`, the time the decay takes to shrink the norm by
:math:`\alpha` (the closed forms of the methods: :mod:`grokdelay._symbolic`).

Lyu, Jin, Li, Du, Lee and Hu, "Dichotomy of early and late phase implicit biases can
provably induce grokking", ICLR 2024 (arXiv 2311.18817): the predictor is the kernel one
until :math:`(1-c)\log(\alpha)/\lambda` and the max-margin / min-norm one after
:math:`(1+c)\log(\alpha)/\lambda`, for any :math:`c > 0` as :math:`\alpha \to \infty`.
"""

from __future__ import annotations

import math

import numpy as np

from ._core import (Interval, Outcome, ParameterError, Parameters, method,
                    note_where, param, register)
from ._contraction import log_contraction, steps_from_log

__all__ = ["ImplicitBias"]


@register("implicit_bias")
class ImplicitBias(Parameters):
    r"""Kernel-to-rich transition at log(alpha)/lambda (Analytical Proof notes 2.5; Lyu et al. 2024).

    Weight decay shrinks an initialization :math:`\alpha` times too large; grokking is the
    moment the norm has come down by :math:`\alpha`, in optimizer steps when a learning rate
    is given, else in gradient-flow time, and never before ``t_mem``. The closed form of each
    method is written once, in :mod:`grokdelay._symbolic`: the docs page renders them, and so
    does ``_repr_latex_()`` in a notebook (of the parameters: the default method; of a
    prediction: its method, with its numbers).

    Parameters
    ----------
    init_scale : float or array_like
        :math:`\alpha \ge 1`: the initialization is :math:`\alpha\,\bar\theta_0`, where
        :math:`\bar\theta_0` has the norm scale of the late-phase (generalizing) solution.
        Equivalently, the ratio of the initial parameter norm to the norm at which the
        kernel regime ends. This is *not* the Analytical Proof notes' output exponent alpha of eq 1
        (that is ``TimescaleSeparation.alpha``); the notes use one letter for both.
    weight_decay : float or array_like
        lambda in :math:`\theta \leftarrow \theta - \eta(\nabla L + \lambda\theta)` (Lyu et
        al. regularize with :math:`\frac{\lambda}{2}\|\theta\|^2`, the same lambda; Analytical
        Proof notes writes :math:`\lambda\|\theta\|^2`, whose lambda is half of this one). 0 means the
        scale never comes down: never groks.
    learning_rate : float or array_like, optional
        Step size eta. Given: times are optimizer steps (:math:`t/\eta`); ``None``: times
        are gradient-flow time (``units="time"``).
    t_mem : float or array_like
        Time at which the kernel-regime predictor fits the training set (same units as the
        result); the theory says it is early (:math:`O(1)` in gradient-flow time for large
        alpha) but does not give it, so it is an input.

    Notes
    -----
    **What the constant means.** The law is a leading-order statement: the transition lies
    in :math:`[(1-c), (1+c)]\,\log(\alpha)/\lambda` for every :math:`c>0` once alpha is large
    enough, i.e. the prefactor of :math:`\log\alpha/\lambda` is exactly 1, and what is left
    is an additive :math:`O(1/\lambda)` offset independent of alpha (the time the rich
    phase needs once the scale is :math:`O(1)`, which depends on the problem). The tests
    measure exactly this on a diagonal linear network: the simulated grokking time grows by
    :math:`1/\lambda` per unit of :math:`\log\alpha`.

    **Methods.** ``"gradient_flow"`` (default): :math:`\log(\alpha)/\lambda` divided by eta.
    ``"gradient_descent"``: the first integer step :math:`k` at which decoupled decay
    :math:`\theta \leftarrow (1-\eta\lambda)\theta` has shrunk the norm by alpha,
    :math:`\lvert 1-\eta\lambda\rvert^k \le 1/\alpha` (needs ``learning_rate``; ``inf`` when
    :math:`\eta\lambda \ge 2`). They agree to relative :math:`O(\eta\lambda)`.

    **Validity.** Homogeneous networks (no biases, ReLU or polynomial activations), large
    alpha, small lambda (Lyu et al.'s assumptions). ``t_grok`` is clipped at ``t_mem``: a
    norm that is already at the late-phase scale when the data are fit gives no delay.

    References
    ----------
    The Analytical Proof notes, section 2.5 and table 5.1 (second row). K. Lyu, J. Jin, Z. Li, S.
    S. Du, J. D. Lee, W. Hu, ICLR 2024, arXiv 2311.18817.

    Examples
    --------
    >>> import grokdelay as gd
    >>> p = gd.predict_delay(gd.ImplicitBias(init_scale=math.e**3, weight_decay=0.01,
    ...                                      learning_rate=0.1))
    >>> round(p.t_grok, 6), p.units
    (3000.0, 'steps')
    """

    init_scale: float = param("alpha", Interval(1.0, math.inf, hi_closed=False,
                                                typical=(1.0, 1e6)),
                              "initialization scale: init norm / late-phase norm")
    weight_decay: float = param("lambda", Interval(0, math.inf, hi_closed=False,
                                                   typical=(1e-5, 1.0)),
                                "weight decay: theta <- theta - eta (grad L + lambda theta)")
    learning_rate: float = param("eta", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                                 typical=(1e-5, 1.0)),
                                 "learning rate (None: times in gradient-flow time units)",
                                 None, optional=True)
    t_mem: float = param("t_mem", Interval(0, math.inf, hi_closed=False, typical=(0.0, 1e4)),
                         "time at which the kernel-regime predictor fits the training set",
                         0.0)

    def _flow_time(self, a):
        """log(alpha)/lambda in gradient-flow time (inf where lambda = 0) and its log."""
        lam = a.weight_decay
        never = lam == 0.0
        log_alpha = np.log(a.init_scale)
        safe = np.where(never, 1.0, lam)
        tau = np.where(never, np.inf, log_alpha / safe)
        return tau, never

    def _finish(self, a, tau_steps, never, extra_notes) -> Outcome:
        units = "time" if a.learning_rate is None else "steps"
        late = ~never & (tau_steps <= a.t_mem)
        t_grok = np.where(late, a.t_mem, tau_steps)
        t_grok = np.where(never, np.inf, t_grok)
        with np.errstate(invalid="ignore"):
            delay = np.where(never, np.inf, np.where(late, 0.0, tau_steps - a.t_mem))
        notes = list(extra_notes)
        notes += note_where(never & (a.weight_decay == 0.0),
                            "weight_decay = 0: the parameter norm never comes down from "
                            "the kernel regime's scale; never groks")
        notes += note_where(late, "log(alpha)/lambda <= t_mem: the norm reaches the late-phase "
                            "scale before the data are fit; no delay (t_grok = t_mem)")
        notes.append("leading order in log(alpha): the prefactor is exactly 1, an additive "
                      "O(1/lambda) offset (problem dependent) is not included")
        return Outcome(t_mem=a.t_mem, t_grok=t_grok, units=units, notes=notes, delay=delay,
                       extra={"transition": tau_steps})

    @method("gradient_flow", default=True,
            summary="t_grok = max(t_mem, log(alpha) / (eta lambda)) (Lyu et al. 2024)")
    def _gradient_flow(self, a) -> Outcome:
        tau, never = self._flow_time(a)
        if a.learning_rate is not None:
            tau = tau / a.learning_rate
        return self._finish(a, tau, never, [])

    @method("gradient_descent",
            summary="first step k with abs(1 - eta lambda)^k <= 1/alpha (exact decoupled decay)")
    def _gradient_descent(self, a) -> Outcome:
        if a.learning_rate is None:
            raise ParameterError("learning_rate = None: method 'gradient_descent' counts "
                                 "optimizer steps and needs a learning rate; use "
                                 "'gradient_flow' for time units", "learning_rate")
        lam, eta = a.weight_decay, a.learning_rate
        log_alpha = np.log(a.init_scale)
        log_r = log_contraction(eta * lam)
        # first k with k log|1 - eta lam| <= -log(alpha); k = 0 when alpha = 1
        k = np.where(log_alpha == 0.0, 0.0, steps_from_log(log_r, 1.0 / a.init_scale))
        never = (log_r >= 0.0) & (log_alpha > 0)
        notes = note_where(never & (lam > 0), "eta * weight_decay >= 2: decoupled decay does "
                           "not contract; never groks")
        return self._finish(a, k, never, notes)

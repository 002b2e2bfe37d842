r"""The two-phase weight-decay law in its Omnigrok form: a delay from hyperparameters alone.

Boursier, Pesme and Dragomir (arXiv 2505.20172, NeurIPS 2025) prove that gradient flow with a
small weight decay :math:`\lambda` first follows the unregularized flow to the manifold of
interpolating solutions (the fast phase, memorization), and then, **from a time of order**
:math:`1/\lambda`, follows a slow Riemannian gradient flow that minimizes
:math:`\|\theta\|^2` on that manifold (their main theorem, stated in the abstract and section
3). The delay is therefore :math:`\Theta(1/\lambda)` in flow time, i.e. :math:`\Theta(1/(\eta\lambda))`
optimizer steps at learning rate :math:`\eta`; the constant inside the :math:`\Theta` is
**left to calibration**.

Liu, Michaud and Tegmark (Omnigrok, arXiv 2210.01117, section 2, the "LU mechanism") give the
log factor: a network initialized at norm :math:`\alpha w_0` (init scale :math:`\alpha` times the
standard initialization's norm :math:`w_0`) above the norm :math:`w_c` where generalizing
solutions live shrinks as :math:`w(t) = \alpha w_0 e^{-\eta\lambda t}` under decoupled decay, so
it reaches :math:`w_c` after :math:`\log(\alpha w_0/w_c)/(\eta\lambda)` steps. Combined, with
the Theta constant ``c`` and :math:`w_c` both calibrated, the delay is ``c`` times that
(written once in :mod:`grokdelay._symbolic`, rendered on the docs page).

Every input is known before training (the init scale, the learning rate, the weight decay), so a
calibrated version of this law predicts a run before it starts. Equation numbers of the two
papers were not available to us; sections are cited instead.
"""

from __future__ import annotations

import math

import numpy as np

from ._core import Interval, Parameters, method, param, register
from ._decay_law import (check_contraction, learning_rate_field,
                         log_decay_outcome, t_mem_field, weight_decay_field)

__all__ = ["TwoPhaseDecay"]

_NO_GAP = ("init_scale * norm_init <= norm_c: the run starts at or below the norm where "
           "generalizing solutions live, so the LU mechanism (Omnigrok section 2) has no decay "
           "phase to wait for and the law predicts no delay")
_NO_DECAY = ("weight_decay = 0: the slow norm-minimizing phase of arXiv 2505.20172 never starts "
             "(its time Theta(1/lambda) is infinite), so the law predicts no grokking")


@register("two_phase")
class TwoPhaseDecay(Parameters):
    r"""Two-phase weight-decay delay (2505.20172) in the Omnigrok form (2210.01117).

    The delay is ``c`` times the steps decoupled decay takes to shrink the initial norm
    :math:`\alpha w_0` to :math:`w_c`, with :math:`\alpha` the init scale, :math:`w_0` the
    parameter norm of the standard initialization (init scale 1), :math:`w_c` the norm of the
    generalizing solutions and c the constant of Boursier et al.'s :math:`\Theta(1/\lambda)`;
    ``norm_c`` and ``constant`` are left to calibration (:func:`grokdelay.calibrate`). The
    closed form of each method is written once, in :mod:`grokdelay._symbolic`: the docs page
    renders them, and so does ``_repr_latex_()`` in a notebook (of the parameters: the
    default method; of a prediction: its method, with its numbers).

    Parameters
    ----------
    learning_rate : float or array_like
        eta > 0.
    weight_decay : float or array_like
        Decoupled lambda >= 0; 0 gives ``t_grok = inf`` with a note.
    norm_init : float or array_like
        :math:`w_0`, the parameter norm at initialization scale 1.
    norm_c : float or array_like
        :math:`w_c`, the norm the decay must reach (calibrated).
    init_scale : float or array_like
        :math:`\alpha` > 0, the factor the initialization is multiplied by.
    constant : float or array_like
        c > 0, the constant of the :math:`\Theta(1/(\eta\lambda))` (calibrated; 1 for pure decay).
    t_mem : float or array_like
        Memorization step; ``t_grok = t_mem + delay``.

    Notes
    -----
    Method ``"omnigrok"`` (default) is the continuous form. Method ``"steps"`` counts the
    optimizer steps of pure decoupled decay :math:`w \leftarrow (1-\eta\lambda)w`, the
    :math:`\eta\lambda` in the denominator replaced by :math:`-\log(1-\eta\lambda)` (so
    :math:`\eta\lambda < 1` is required).

    The law describes the norm-minimizing phase only; it assumes memorization happens on a
    time scale much shorter than :math:`1/(\eta\lambda)` (Boursier et al.'s small-lambda limit),
    so that the decay starts from about the initialization norm.

    References
    ----------
    Boursier, Pesme, Dragomir, "A Theoretical Framework for Grokking: Interpolation followed by
    Riemannian Norm Minimisation", arXiv 2505.20172 (NeurIPS 2025). Liu, Michaud, Tegmark,
    "Omnigrok: Grokking Beyond Algorithmic Data", arXiv 2210.01117 (ICLR 2023), section 2.

    Examples
    --------
    >>> import grokdelay as gd
    >>> p = gd.TwoPhaseDecay(learning_rate=1e-3, weight_decay=1.0, norm_init=28.4, norm_c=22.5,
    ...                      init_scale=1.0, constant=1.7)
    >>> round(gd.predict_delay(p).delay, 1)
    395.9
    """

    learning_rate: float = learning_rate_field()
    weight_decay: float = weight_decay_field()
    norm_init: float = param("w_0", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                             typical=(1e-1, 1e3)),
                             "parameter norm of the standard initialization (init scale 1)")
    norm_c: float = param("w_c", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                          typical=(1e-1, 1e3)),
                          "norm of the generalizing solutions the decay must reach (calibrated)")
    init_scale: float = param("alpha", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                                typical=(0.1, 10.0)),
                              "initialization scale (multiplies the standard initialization)", 1.0)
    constant: float = param("c", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                          typical=(0.1, 10.0)),
                            "constant of the Theta(1/(eta lambda)) delay (calibrated)", 1.0)
    t_mem: float = t_mem_field()

    def _check(self) -> None:
        check_contraction(np.multiply(self.learning_rate, self.weight_decay), "weight_decay",
                          "learning_rate * weight_decay")

    def _outcome(self, a, discrete: bool):
        with np.errstate(divide="ignore", under="ignore"):
            log_rate = np.log(a.learning_rate) + np.log(a.weight_decay)
        log_ratio = np.log(a.init_scale) + np.log(a.norm_init) - np.log(a.norm_c)
        # the constant c scales the log-ratio to close (c > 0 keeps its sign)
        return log_decay_outcome(
            a.t_mem, a.constant * log_ratio, log_rate, a.learning_rate * a.weight_decay,
            discrete=discrete, no_gap=_NO_GAP, no_decay=_NO_DECAY,
            extra={"log_norm_ratio": log_ratio})

    @method("omnigrok", default=True,
            summary="c log(alpha w_0 / w_c) / (eta lambda) (2505.20172 with Omnigrok's log)")
    def _omnigrok(self, a):
        return self._outcome(a, discrete=False)

    @method("steps", summary="c times the steps of w <- (1 - eta lambda) w from alpha w_0 to w_c")
    def _steps(self, a):
        return self._outcome(a, discrete=True)

r"""An empirical power law of the grokking delay in the hyperparameters.

The delay is a constant :math:`C` times powers :math:`a`, :math:`b`, :math:`c` of the learning
rate :math:`\eta`, the weight decay :math:`\lambda` and the training fraction :math:`r` (written
once in :mod:`grokdelay._symbolic`, rendered on the docs page). The exponents' theory values
come from the weight-decay laws: the first-passage law (arXiv 2605.18845) and the
norm-separation law (arXiv 2603.13331) both give :math:`a = b = -1` at a fixed norm ratio; the
paper's aggregate fits are :math:`1.02 \pm 0.08` for the learning-rate and :math:`1.26 \pm 0.21`
for the weight-decay exponent (its section 4.2), and published coupled-L2 Adam runs scale as
:math:`\lambda^{-0.3}` to :math:`\lambda^{-0.8}`. Notsawo, Zhou, Pezeshki, Rish and Dumas (arXiv
2306.13253) fit the training-fraction dependence :math:`t(r) = A r^{-\gamma} + B` from a few
runs; with :math:`B` neglected that is the factor :math:`r^{c}`, :math:`c = -\gamma`, here with
no theory value (0 when not fitted).

:func:`grokdelay.calibrate` fits C always and an exponent only when the pilot runs vary that
hyperparameter, keeping the theory value otherwise, so the fitted exponents show how far a
user's runs depart from the theories.
"""

from __future__ import annotations

import math

import numpy as np

from ._core import Interval, Outcome, Parameters, method, note_where, param, register
from ._decay_law import learning_rate_field, t_mem_field

__all__ = ["PowerLaw"]


@register("power_law")
class PowerLaw(Parameters):
    r"""Empirical power law ``delay = C eta^a lambda^b r^c``.

    Its closed form is written once, in :mod:`grokdelay._symbolic`: the docs page renders it,
    and so does ``_repr_latex_()`` in a notebook (of the parameters, and of a prediction with
    its numbers).

    Parameters
    ----------
    learning_rate : float or array_like
        eta > 0.
    weight_decay : float or array_like
        lambda >= 0. At lambda = 0 the law gives inf for b < 0 (no decay, no grokking), C
        eta^a r^c for b = 0 and 0 for b > 0, each with a note.
    train_fraction : float or array_like
        r in (0, 1], the fraction of the data set trained on.
    constant : float or array_like
        C > 0 (calibrated).
    exponent_lr, exponent_wd, exponent_fraction : float or array_like
        a, b, c (theory values -1, -1 and 0 by default; calibrated when the pilots vary them).
    t_mem : float or array_like
        Memorization step; ``t_grok = t_mem + delay``.

    References
    ----------
    Exponents: arXiv 2605.18845 section 4.2 (eta^-1.02, lambda^-1.26), arXiv
    2603.13331 (inverse scaling with eta and lambda); training fraction: Notsawo et al., "Predicting
    Grokking Long Before it Happens", arXiv 2306.13253.

    Examples
    --------
    >>> import grokdelay as gd
    >>> round(gd.predict_delay(gd.PowerLaw(learning_rate=1e-3, weight_decay=0.5,
    ...                                    constant=0.8)).delay, 6)
    1600.0
    """

    learning_rate: float = learning_rate_field()
    weight_decay: float = param("lambda", Interval(0, math.inf, hi_closed=False,
                                                   typical=(1e-4, 5.0)), "weight decay")
    train_fraction: float = param("r", Interval(0, 1, lo_closed=False, typical=(0.05, 1.0)),
                                  "fraction of the data set used for training", 1.0)
    constant: float = param("C", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                          typical=(1e-3, 1e3)), "prefactor (calibrated)", 1.0)
    exponent_lr: float = param("a", Interval(-10, 10, typical=(-2.0, 0.0)),
                               "exponent of the learning rate (theory -1)", -1.0)
    exponent_wd: float = param("b", Interval(-10, 10, typical=(-2.0, 0.0)),
                               "exponent of the weight decay (theory -1)", -1.0)
    exponent_fraction: float = param("c", Interval(-10, 10, typical=(-3.0, 0.0)),
                                     "exponent of the training fraction (no theory value)", 0.0)
    t_mem: float = t_mem_field()

    @method("power", default=True, summary="C eta^a lambda^b r^c (calibrated exponents)")
    def _power(self, a) -> Outcome:
        lam0 = a.weight_decay == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            log_lam = np.log(np.where(lam0, 1.0, a.weight_decay))
            log_delay = (np.log(a.constant) + a.exponent_lr * np.log(a.learning_rate)
                         + a.exponent_wd * log_lam
                         + a.exponent_fraction * np.log(a.train_fraction))
        b = a.exponent_wd
        log_delay = np.where(lam0 & (b < 0), np.inf, np.where(lam0 & (b > 0), -np.inf,
                                                               log_delay))
        with np.errstate(over="ignore"):
            delay = np.exp(log_delay)
        notes = note_where(lam0 & (b < 0), "weight_decay = 0 with a negative exponent: the law "
                           "predicts no grokking (t_grok = inf)")
        notes += note_where(lam0 & (b == 0), "weight_decay = 0 with exponent 0: the weight "
                            "decay drops out of the law")
        notes += note_where(lam0 & (b > 0), "weight_decay = 0 with a positive exponent: the law "
                            "predicts no delay")
        notes += note_where(np.isinf(delay) & np.isfinite(log_delay),
                            "the delay overflows float64; log_delay is exact")
        notes.append("an empirical law: its constant and exponents mean something only as fitted "
                     "to runs like these (grokdelay.calibrate)")
        return Outcome(t_mem=a.t_mem, t_grok=a.t_mem + delay, notes=notes, delay=delay,
                       log_delay=log_delay)

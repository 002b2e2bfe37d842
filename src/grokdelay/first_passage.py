r"""The first-passage law of the grokking delay under AdamW (arXiv 2605.18845).

Truong, Truong, Luu and Phan treat the delay as the first-passage time of the squared
parameter norm :math:`V_t = \|\theta_t\|^2` through an architecture-dependent threshold
:math:`V_\star`. After memorization decoupled weight decay contracts :math:`V_t` exponentially,
at the clean-SGD rate :math:`2\eta\lambda` times a correction :math:`\kappa_\mathrm{LL}` that
absorbs what AdamW's normalized step adds or takes away, so the delay is the time that rate
takes to bring :math:`V_\mathrm{mem}` down to :math:`V_\star` (the closed-form law of the
paper's abstract and section 5.3; written once in :mod:`grokdelay._symbolic`, rendered on the
docs page). Both :math:`\kappa_\mathrm{LL}`
and :math:`V_\star` are **left to calibration** by the paper, once per architecture
(:func:`grokdelay.calibrate`); the paper's own values are :math:`\kappa = 0.252`,
:math:`V_\star = 2501` on its one-layer transformer (p = 97, eta = 1e-3, lambda = 1, section
5.3), :math:`\kappa = 0.370 \pm 0.056` on its two-layer transformer (section 6.4). The
equation numbers of the HTML version were not available to us; sections are cited instead.

Premises (the paper's Corollary 1 and Theorem 1): a positive delay needs norm separation,
:math:`V_\mathrm{mem} > V_\star` (otherwise the law predicts no norm-driven delay, and whether
the run groks at once is decided by the angular gate :math:`\alpha^\star` of Theorem 1, which
this law does not model), and weight decay: with :math:`\lambda = 0` nothing contracts the norm
(Block F: removing weight decay at memorization removes grokking, 0/3 runs within 30k steps).

Convention: ``weight_decay`` is the decoupled :math:`\lambda` of
:math:`\theta \leftarrow (1 - \eta\lambda)\theta - \eta\,\mathrm{step}` (PyTorch ``AdamW``'s
``weight_decay``), the library's convention (API.md).
"""

from __future__ import annotations

import math

import numpy as np

from ._core import Interval, Parameters, method, param, register
from ._decay_law import (check_contraction, learning_rate_field,
                         log_decay_outcome, t_mem_field, weight_decay_field)

__all__ = ["FirstPassage", "PAPER_CONSTANTS"]

#: The paper's calibrated constants (arXiv 2605.18845): ``{architecture: (kappa, V_star)}``;
#: V_star is a squared norm, None where the paper reports kappa only.
PAPER_CONSTANTS = {
    "1L transformer (section 5.3)": (0.252, 2501.0),
    "2L transformer, paper (section 6.4)": (0.370, None),
    "2L transformer, alternative (section 6.4)": (0.175, None),
}

_NO_GAP = ("norm_mem <= norm_star: V_mem <= V_star, so there is no norm separation and the law "
           "predicts no norm-driven delay (t_grok = t_mem; arXiv 2605.18845, Corollary 1); "
           "whether the run then groks at once is decided by the angular gate of its Theorem 1, "
           "which this law does not model")
_NO_DECAY = ("weight_decay = 0: nothing contracts the norm, so V_t never reaches V_star and the "
             "law predicts no grokking (t_grok = inf; the paper's Block F removes weight decay at "
             "memorization and no run groks)")


@register("first_passage")
class FirstPassage(Parameters):
    r"""First-passage delay of :math:`V = \|\theta\|^2` through :math:`V_\star` under AdamW.

    After memorization, decoupled weight decay contracts :math:`V` at the rate
    :math:`2\kappa_\mathrm{LL}\,\eta\lambda`; the delay is the time it takes to bring
    :math:`V_\mathrm{mem}` down to :math:`V_\star` (arXiv 2605.18845, abstract and section
    5.3). ``kappa`` and ``norm_star`` are the law's per-architecture constants, left to
    calibration (:func:`grokdelay.calibrate` fits them from pilot runs); the defaults are the
    clean-SGD rate (kappa = 1). The closed form of each method is written once, in
    :mod:`grokdelay._symbolic`: the docs page renders them, and so does ``_repr_latex_()`` in a
    notebook (of the parameters: the default method; of a prediction: its method, with its
    numbers).

    Parameters
    ----------
    learning_rate : float or array_like
        eta > 0.
    weight_decay : float or array_like
        Decoupled lambda >= 0; 0 gives ``t_grok = inf`` with a note.
    norm_mem : float or array_like
        :math:`\|\theta\|` at memorization (not squared: :math:`V_\mathrm{mem}` is its square).
    norm_star : float or array_like
        :math:`\sqrt{V_\star}`, the norm the contraction must reach (calibrated).
    kappa : float or array_like
        :math:`\kappa_\mathrm{LL}` > 0, the AdamW correction to the rate :math:`2\eta\lambda`
        of :math:`V` (calibrated; 0.252 on the paper's 1L transformer).
    t_mem : float or array_like
        Memorization step; ``t_grok = t_mem + delay``.

    Notes
    -----
    Method ``"law"`` (default) is the paper's continuous form. Method ``"steps"`` counts the
    optimizer steps of the discrete contraction
    :math:`V_{k+1} = (1 - \kappa\eta\lambda)^2 V_k` it linearizes, the first step with
    :math:`V_k \le V_\star` (the ceiling of its closed form); the two differ by
    the factor :math:`-\log(1-g)/g \approx 1 + g/2`, :math:`g = \kappa\eta\lambda`.
    :math:`g \ge 1` is rejected (the map no longer contracts monotonically).

    References
    ----------
    Truong, Truong, Luu, Phan, "First-Passage Prediction of Grokking Delay: A Calibrated Law
    under AdamW with Causal Validation", arXiv 2605.18845 (2026): 17.7% MAPE on 26 held-out
    runs after calibration on one cell, 18.0% on MLPs, 23.3% across tasks.

    Examples
    --------
    >>> import grokdelay as gd
    >>> p = gd.FirstPassage(learning_rate=1e-3, weight_decay=1.0, norm_mem=30.0,
    ...                     norm_star=26.0, kappa=0.4, t_mem=100.0)
    >>> round(gd.predict_delay(p).delay, 2)
    357.75
    """

    learning_rate: float = learning_rate_field()
    weight_decay: float = weight_decay_field()
    norm_mem: float = param("||theta_mem||", Interval(0, math.inf, lo_closed=False,
                                                      hi_closed=False, typical=(1e-1, 1e3)),
                            "parameter norm (not squared) at memorization; V_mem = norm_mem^2")
    norm_star: float = param("sqrt(V_star)", Interval(0, math.inf, lo_closed=False,
                                                      hi_closed=False, typical=(1e-1, 1e3)),
                             "threshold norm (not squared) the contraction must reach; calibrated "
                             "per architecture")
    kappa: float = param("kappa_LL", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                              typical=(0.05, 2.0)),
                         "AdamW correction to the clean-SGD contraction rate 2 eta lambda of V; "
                         "calibrated per architecture", 1.0)
    t_mem: float = t_mem_field()

    def _check(self) -> None:
        check_contraction(np.multiply(np.multiply(self.kappa, self.learning_rate),
                                      self.weight_decay),
                          "weight_decay", "kappa * learning_rate * weight_decay")

    def _outcome(self, a, discrete: bool):
        with np.errstate(divide="ignore", under="ignore"):
            log_rate = np.log(a.kappa) + np.log(a.learning_rate) + np.log(a.weight_decay)
            rate = a.kappa * a.learning_rate * a.weight_decay
        log_ratio = np.log(a.norm_mem) - np.log(a.norm_star)   # = log(V_mem / V_star) / 2
        return log_decay_outcome(
            a.t_mem, log_ratio, log_rate, rate, discrete=discrete, no_gap=_NO_GAP,
            no_decay=_NO_DECAY, extra={"log_v_ratio": 2.0 * log_ratio, "rate": 2.0 * rate},
            notes=["kappa and norm_star are the law's per-architecture constants (arXiv "
                   "2605.18845 calibrates them on pilot runs; see grokdelay.calibrate)"])

    @method("law", default=True,
            summary="log(V_mem / V_star) / (2 kappa eta lambda) (arXiv 2605.18845)")
    def _law(self, a):
        return self._outcome(a, discrete=False)

    @method("steps", summary="steps of V <- (1 - kappa eta lambda)^2 V from V_mem to V_star")
    def _steps(self, a):
        return self._outcome(a, discrete=True)

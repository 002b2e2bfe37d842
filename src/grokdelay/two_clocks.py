r"""Two training clocks: a logarithmic classifier clock and a polynomial representation clock.

Tan et al. 2026 (Tan, Gai and Zhang, arXiv 2606.05863) splits grokking into two stopping times
(eqs 2.1-2.2). The *classifier clock* is when the cross-entropy tail falls below a level
:math:`\epsilon`; once every incorrect-class logit gap exceeds :math:`g`, Lemma 3.1 (proof
C.1) bounds the loss by

.. math::

    \mathcal L \le \log\bigl(1 + (K-1)e^{-g}\bigr) \le (K-1)\,e^{-g},

and under post-margin gap growth :math:`g(t) \ge g_0 + \gamma (t - t_m)` (Assumption 3.4) the
bound reaches :math:`\epsilon` at :math:`T_\mathrm{cls}(\epsilon)` (Theorem 3.5, proof C.4): when
the gap line reaches :math:`\log((K-1)/\epsilon)`, and never before :math:`t_m`.

The *representation clock* is when a structural gap comparable to the energy gap
:math:`E(t) = \mathcal E(W_t) - \mathcal E(W_\infty)` of the regularized deep-linear energy
(4.2) falls below :math:`\delta`. Under a sharp late-time KL tail (Assumption 4.5,
Thm 4.8) :math:`\dot E = -c\,E^{2\theta}` with :math:`\theta\in(1/2, 1)`; integrating from
:math:`E(t_\ell) = E_0` (proof D.7, appendix F.2) gives :math:`T_\mathrm{rep}(\delta)` of
Thm 4.9, a power law in :math:`1/\delta` (exponent :math:`2\theta-1`); the theorem states its
:math:`E_0\to\infty` limit, the library's default. The closed forms of both clocks are written
once, in :mod:`grokdelay._symbolic` (rendered on the docs page).

Theorem 5.6 (proof E.9 lost in extraction; rebuilt from F.5 "Length of the intermediate
interval") compares the two: with coupled tolerances :math:`\delta = \epsilon^\beta`, the
plateau :math:`T_\mathrm{rep}(\epsilon^\beta) - T_\mathrm{cls}(\epsilon)` grows like
:math:`\epsilon^{-\beta(2\theta-1)}` while :math:`T_\mathrm{cls}` grows like
:math:`\log(1/\epsilon)`.

Units: every time here is in optimizer **steps** (``units="steps"``): ``gap_rate`` is the
growth of the minimum logit gap per step and ``kl_rate`` the KL constant per step. The
paper's continuous time is accumulated optimizer time :math:`\tau = \sum_k\eta_k` (F.4); rates
per unit :math:`\tau` become rates per step on multiplying by a constant learning rate
(:func:`grokdelay.clock_estimators.accumulated_time` converts schedules).
"""

from __future__ import annotations

import math

import numpy as np

from ._core import (Interval, Outcome, ParameterError, Parameters, method, moved_names,
                    note_where, param, register)
from ._kl_law import energy_gap_time, log_duration

__all__ = ["TwoClocks", "classifier_clock", "representation_clock", "temporal_mismatch"]

_POS = Interval(0, math.inf, lo_closed=False)


def classifier_clock(loss_target, gap_rate, n_classes, gap_initial=0.0, t_margin=0.0):
    r"""Continuous classifier clock of Theorem 3.5 (Lemma 3.1 bound under linear gap growth).

    .. math::

        T_\mathrm{cls} = t_m + \frac{[\log(K-1) - \log\epsilon - g_0]_+}{\gamma};

    ``inf`` where :math:`\gamma = 0` and the bound is not already below :math:`\epsilon`.
    Arrays broadcast.

    Examples
    --------
    >>> float(classifier_clock(0.01, 0.5, 2))     # log(100) / 0.5
    9.210340371976182
    """
    eps, rate, k, g0, tm = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (
        loss_target, gap_rate, n_classes, gap_initial, t_margin)))
    need = np.maximum(np.log(k - 1.0) - np.log(eps) - g0, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        dur = np.where(need > 0, need / np.where(rate > 0, rate, 1.0), 0.0)
    dur = np.where((need > 0) & (rate == 0), np.inf, dur)
    return tm + dur


def representation_clock(structure_target, kl_exponent, kl_rate, t_late=0.0,
                         energy_initial=math.inf):
    r"""Representation clock of Theorem 4.9: first time the KL energy gap reaches the target.

    :math:`T_\mathrm{rep} = t_\ell + (\delta^{-(2\theta-1)} - E_0^{-(2\theta-1)})/(c(2\theta-1))`
    (:func:`grokdelay.deep_linear.energy_gap_time`); ``inf`` only on float64 overflow.

    Examples
    --------
    >>> round(float(representation_clock(0.01, 0.75, 1.0)), 12)   # 0.01**-0.5 / 0.5
    20.0
    """
    return energy_gap_time(structure_target, kl_exponent, kl_rate, energy_initial, t_late)


def _log_sub(log_a, b):
    """log(exp(log_a) + b) for real b (possibly negative), exact where exp(log_a) overflows.

    Only called where the result is positive."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pos = b >= 0
        lb = np.log(np.abs(b))
        plus = np.logaddexp(log_a, np.where(pos, lb, -np.inf))
        minus = log_a + np.log1p(-np.exp(np.minimum(lb - log_a, 0.0)))
        return np.where(pos, plus, minus)


@register("two_clocks")
class TwoClocks(Parameters):
    r"""Two training clocks: logarithmic classifier, polynomial representation (Tan et al. 2026).

    The classifier clock (memorization) is the first time at or after ``t_margin`` at which
    the Lemma 3.1 bound :math:`(K-1)e^{-g(t)}` on the cross-entropy falls to ``loss_target``,
    with logit gaps :math:`g(t) = g_0 + \gamma(t - t_m)` (Assumption 3.4, Theorem 3.5);
    ``t_mem = t_margin`` when the bound is already below the target there.

    The representation clock :math:`T_\mathrm{rep}` is the first time the structural (energy)
    gap, obeying :math:`\dot E = -c\,E^{2\theta}` from :math:`E(t_\ell) = E_0` (Thm 4.8),
    reaches :math:`\delta` (Thm 4.9, proof D.7); :math:`E_0 = \infty` by default.

    Generalization needs both clocks, so :math:`t_\mathrm{grok} = \max(t_\mathrm{mem},
    T_\mathrm{rep})`; when the representation closes first there is no plateau and a note
    says so (``extra["t_rep"]`` keeps :math:`T_\mathrm{rep}`). The closed form of each method
    (the two clocks on the branch where both are counted, a plateau) is written once, in
    :mod:`grokdelay._symbolic`: the docs page renders them, and so does ``_repr_latex_()`` in
    a notebook (of the parameters: the default method; of a prediction: its method, with its
    numbers).

    Parameters
    ----------
    gap_rate : float or array_like
        :math:`\gamma >= 0`, growth of the minimum logit gap per optimizer step after
        ``t_margin``. 0 means the gaps stop growing: never fits unless already below target.
    n_classes : int or array_like
        Number of classes :math:`K \ge 2`.
    loss_target : float or array_like
        Training-loss level :math:`\epsilon > 0` that counts as fitted.
    kl_exponent : float or array_like
        Late-time KL exponent :math:`\theta \in (1/2, 1)` (Assumption 4.5).
    kl_rate : float or array_like
        KL constant :math:`c > 0` per step, in the units of the energy gap.
    structure_target : float or array_like
        Structural precision :math:`\delta > 0` (same units as the energy gap).
    gap_initial : float or array_like
        Minimum logit gap :math:`g_0` at ``t_margin`` (may be negative).
    t_margin, t_late : float or array_like
        Step at which gap growth starts, and step :math:`t_\ell` from which the KL tail holds.
    energy_initial : float or array_like
        Energy gap :math:`E_0 = E(t_\ell)`; ``None`` (default) or ``inf`` is the API's start
        at :math:`+\infty`. A finite :math:`E_0 \le \delta` gives :math:`T_\mathrm{rep} = t_\ell`.
    tail_contraction : float or array_like, optional
        Per-step tail contraction :math:`\rho\in(0,1]`, :math:`\mathcal L_{k+1} \le (1-\rho)
        \mathcal L_k` (Prop 3.6), used by method ``"discrete"``; ``None`` means
        :math:`\rho = 1 - e^{-\gamma}` (the per-step contraction of the Lemma 3.1 bound under
        gap growth :math:`\gamma`).
    coupling_exponent : float or array_like, optional
        :math:`\beta > 0` of Theorem 5.6's coupled tolerance :math:`\delta = \epsilon^\beta`,
        used by method ``"coupled"`` (which then ignores ``structure_target``).

    Notes
    -----
    Methods:

    * ``"continuous"`` (default): the two clocks above (exact integrals of the assumed
      laws; the Lemma 3.1 bound is an upper bound on the loss, so ``t_mem`` is an upper bound
      on the first time the actual loss reaches ``loss_target``).
    * ``"discrete"``: Prop 3.6 / F.1, the first integer number of steps :math:`k` with
      :math:`(1-\rho)^k \mathcal L_{t_m} \le \epsilon`, :math:`\mathcal L_{t_m} = (K-1)e^{-g_0}`;
      ``t_grok`` is the first step at or after the continuous :math:`T_\mathrm{rep}`.
      ``extra["t_mem_sufficient"]`` is the Prop 3.6 sufficient count
      :math:`\lceil \log(\mathcal L_{t_m}/\epsilon)/\rho \rceil` (an upper bound, since
      :math:`-\log(1-\rho)\ge\rho`).
    * ``"coupled"``: Theorem 5.6 with :math:`\delta = \epsilon^\beta`; needs
      ``coupling_exponent``.

    The representation law is an assumption on the late-time geometry (Tan et al. 2026 states it as
    Assumption 4.5); :math:`\theta` and :math:`c` are to be measured, e.g. with
    :func:`grokdelay.deep_linear.fit_kl_exponent`. Small deep linear networks with
    cross-entropy and weight decay often show :math:`\theta` close to 1/2 (near-exponential
    tails); then :math:`T_\mathrm{rep}` from :math:`E_0 = \infty` is dominated by
    :math:`1/(c(2\theta-1))` and a finite ``energy_initial`` is the realistic start.

    References
    ----------
    Tan et al. 2026 (Tan, Gai, Zhang, "Two training clocks", arXiv 2606.05863): eqs 2.1-2.2,
    Lemma 3.1, Assumption 3.4, Theorem 3.5, Prop 3.6, Assumption 4.5, Theorems 4.8, 4.9, 5.6;
    appendices C.1, C.5, D.7, F.1, F.2, F.5.

    Examples
    --------
    >>> import grokdelay as gd
    >>> p = gd.TwoClocks(gap_rate=0.05, n_classes=97, loss_target=0.01, kl_exponent=0.75,
    ...                  kl_rate=1e-3, structure_target=1e-4)
    >>> pred = gd.predict_delay(p)
    >>> round(pred.t_mem, 3), round(pred.t_grok, 3)    # 20 log(9600), 1e-4**-0.5 / 5e-4
    (183.39, 200000.0)
    """

    gap_rate: float = param("gamma", Interval(0, math.inf, typical=(1e-3, 10.0)),
                            "growth rate of the minimum logit gap per step after t_margin")
    n_classes: int = param("K", Interval(2, math.inf, integer=True, typical=(2, 1000)),
                           "number of classes", kind="integer")
    loss_target: float = param("epsilon", Interval(0, math.inf, lo_closed=False,
                                                   typical=(1e-8, 0.5)),
                               "training-loss level that counts as fitted (classifier clock)")
    kl_exponent: float = param("theta", Interval(0.5, 1, lo_closed=False, hi_closed=False,
                                                 typical=(0.51, 0.99)),
                               "late-time KL exponent of the energy gap (Assumption 4.5)")
    kl_rate: float = param("c", Interval(0, math.inf, lo_closed=False, typical=(1e-6, 10.0)),
                           "KL constant in dE/dt = -c E^(2 theta), per step")
    structure_target: float = param("delta", Interval(0, math.inf, lo_closed=False,
                                                      typical=(1e-8, 1.0)),
                                    "structural (energy) gap that counts as simplified")
    gap_initial: float = param("g0", Interval(-math.inf, math.inf, lo_closed=False,
                                              hi_closed=False, typical=(-5.0, 20.0)),
                               "minimum logit gap at t_margin", 0.0)
    t_margin: float = param("t_m", Interval(0, math.inf, hi_closed=False, typical=(0.0, 1e4)),
                            "step at which post-margin gap growth starts", 0.0)
    t_late: float = param("t_l", Interval(0, math.inf, hi_closed=False, typical=(0.0, 1e4)),
                          "step from which the late-time KL tail holds", 0.0)
    energy_initial: float = param("E0", Interval(0, math.inf, lo_closed=False,
                                                 typical=(1e-4, 1e4), allow_inf=True),
                                  "energy gap at t_late (None or inf: the API's start at +inf)",
                                  None, optional=True)
    tail_contraction: float = param("rho", Interval(0, 1, lo_closed=False, typical=(1e-4, 1.0)),
                                    "per-step tail contraction of Prop 3.6 (method 'discrete'; "
                                    "None: 1 - exp(-gap_rate))", None, optional=True)
    coupling_exponent: float = param("beta", Interval(0, math.inf, lo_closed=False,
                                                      hi_closed=False, typical=(0.1, 5.0)),
                                     "exponent of the coupled tolerance delta = epsilon^beta "
                                     "(method 'coupled', Thm 5.6)", None, optional=True)

    # ------------------------------------------------------------------ pieces
    def _cls(self, a):
        t_cls = classifier_clock(a.loss_target, a.gap_rate, a.n_classes, a.gap_initial,
                                 a.t_margin)
        log_l0 = np.log(a.n_classes - 1.0) - a.gap_initial
        never = np.isinf(t_cls)
        notes = note_where(never, "never fits: gap_rate = 0, so the Lemma 3.1 loss bound stays "
                           "at (K-1) exp(-gap_initial) above loss_target (t_mem = t_grok = inf)")
        if np.any(never):
            with np.errstate(over="ignore"):
                ratio = np.exp(log_l0 - np.log(a.loss_target))[never]
            notes.append(f"missed loss_target by a factor of {np.min(ratio):.4g} or more")
        return t_cls, never, notes

    def _finish(self, a, t_mem, t_rep_log_dur, t_rep, never, notes, units="steps", extra=None,
                discrete=False):
        """Combine the clocks: t_grok = max(t_mem, T_rep); log_delay in log space."""
        extra = dict(extra or {})
        extra["t_rep"] = t_rep
        overflow = np.isinf(t_rep) & ~never
        first = (t_rep <= t_mem) & ~never
        t_grok = np.where(never, np.inf, np.maximum(t_mem, t_rep))
        # log(T_rep - t_mem) = log(exp(log_dur) + (t_late - t_mem))
        with np.errstate(invalid="ignore", over="ignore"):
            shift = np.where(never | first, 0.0, a.t_late - t_mem)
            if discrete:
                # the first integer step at or after T_rep: add ceil's fraction where finite
                frac = np.where(np.isfinite(t_rep), t_rep - (a.t_late + np.exp(t_rep_log_dur)),
                                0.0)
                shift = shift + np.where(never | first, 0.0, frac)
            log_delay = _log_sub(t_rep_log_dur, shift)
        log_delay = np.where(first, -np.inf, np.where(never, np.inf, log_delay))
        with np.errstate(over="ignore"):
            delay = np.where(never, np.inf, np.where(first, 0.0, np.exp(log_delay)))
        notes = list(notes)
        notes += note_where(first, "the representation clock closes before the classifier clock "
                            "(no plateau): t_grok = t_mem; extra['t_rep'] holds the raw clock")
        notes += note_where(overflow, "t_grok exceeds float64 (the representation clock is "
                            "astronomically slow); log_delay is exact")
        e0 = _e0(a)
        notes += note_where(np.isfinite(e0) & (extra.get("structure_target", a.structure_target)
                                               >= e0),
                            "structure_target >= energy_initial: the structural gap is already "
                            "below target at t_late")
        return Outcome(t_mem=t_mem, t_grok=t_grok, units=units, notes=notes, delay=delay,
                       log_delay=log_delay, extra=extra)

    def _rep(self, a, delta):
        log_dur = energy_gap_time(delta, a.kl_exponent, a.kl_rate, _e0(a), 0.0, log=True)
        with np.errstate(over="ignore"):
            t_rep = a.t_late + np.exp(log_dur)
        return log_dur, t_rep

    # ------------------------------------------------------------------ methods
    @method("continuous", default=True,
            summary="Thm 3.5 classifier clock and Thm 4.9 representation clock (exact "
                    "integrals of the assumed gap-growth and KL laws)")
    def _continuous(self, a) -> Outcome:
        t_mem, never, notes = self._cls(a)
        log_dur, t_rep = self._rep(a, a.structure_target)
        return self._finish(a, t_mem, log_dur, t_rep, never, notes)

    @method("discrete",
            summary="Prop 3.6 / F.1: integer steps of one-step tail contraction; "
                    "t_grok at the first step after the representation clock")
    def _discrete(self, a) -> Outcome:
        log_l0 = np.log(a.n_classes - 1.0) - a.gap_initial
        log_eps = np.log(a.loss_target)
        if self.tail_contraction is None:
            neg_log_q = a.gap_rate                  # -log(1 - rho) with rho = 1 - e^-gamma
            rho = -np.expm1(-a.gap_rate)
        else:
            rho = np.asarray(a.tail_contraction, dtype=float)
            with np.errstate(divide="ignore"):
                neg_log_q = -np.log1p(-rho)         # inf for rho = 1
        need = log_l0 - log_eps                     # log(L0 / eps)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            x = np.where(need > 0, need / np.where(neg_log_q > 0, neg_log_q, 1.0), 0.0)
            k = np.ceil(x)
            # ceil of a rounded quotient can be one too many: test k - 1 exactly in log space
            prev_ok = (k >= 1) & ((k - 1.0) * np.where(np.isfinite(neg_log_q), neg_log_q, 0.0)
                                  >= need) & np.isfinite(neg_log_q)
            k = np.where(prev_ok, k - 1.0, k)
            k = np.where((need > 0) & np.isinf(neg_log_q), 1.0, k)
            k = np.where(need <= 0, 0.0, k)
            k = np.where((need > 0) & (neg_log_q == 0), np.inf, k)
            k_suff = np.where(need > 0, np.ceil(need / np.where(rho > 0, rho, 1.0)), 0.0)
            k_suff = np.where((need > 0) & (rho == 0), np.inf, k_suff)
        never = np.isinf(k)
        t_mem = a.t_margin + k
        notes = note_where(never, "never fits: no tail contraction (gap_rate = 0), the loss "
                           "bound (K-1) exp(-gap_initial) stays above loss_target "
                           "(t_mem = t_grok = inf)")
        if np.any(never):
            with np.errstate(over="ignore"):
                notes.append(f"missed loss_target by a factor of "
                             f"{np.min(np.exp(need[never])):.4g} or more")
        log_dur, t_rep_c = self._rep(a, a.structure_target)
        t_rep = np.ceil(t_rep_c)
        return self._finish(a, t_mem, log_dur, t_rep, never, notes, discrete=True,
                            extra={"t_mem_sufficient": a.t_margin + k_suff,
                                   "tail_contraction": rho})

    @method("coupled",
            summary="Thm 5.6: coupled tolerances delta = loss_target^coupling_exponent "
                    "(plateau polynomial in 1/epsilon)")
    def _coupled(self, a) -> Outcome:
        if self.coupling_exponent is None:
            raise ParameterError("method 'coupled' needs coupling_exponent (beta > 0 in "
                                 "delta = epsilon^beta, Thm 5.6); got None",
                                 "coupling_exponent")
        t_mem, never, notes = self._cls(a)
        with np.errstate(under="ignore", over="ignore"):
            delta = np.exp(a.coupling_exponent * np.log(a.loss_target))
        # delta may underflow to 0 for tiny epsilon and big beta: work with log(delta)
        log_dur = log_duration(a.coupling_exponent * np.log(a.loss_target), a.kl_exponent,
                               a.kl_rate, _e0(a))
        with np.errstate(over="ignore"):
            t_rep = a.t_late + np.exp(log_dur)
        notes = notes + ["coupled tolerance delta = loss_target^coupling_exponent replaces "
                         "structure_target (Thm 5.6)"]
        return self._finish(a, t_mem, log_dur, t_rep, never, notes,
                            extra={"structure_target": delta})


def _e0(a):
    """energy_initial as an array, +inf where not given."""
    return np.inf if a.energy_initial is None else np.asarray(a.energy_initial, dtype=float)


def temporal_mismatch(params: TwoClocks, coupling_exponent=None):
    r"""The plateau of Theorem 5.6: :math:`T_\mathrm{rep}(\epsilon^\beta) - T_\mathrm{cls}(\epsilon)`.

    Returns the :class:`~grokdelay.DelayPrediction` of method ``"coupled"``; its ``delay`` is
    the length of the intermediate interval (F.5), ``log_delay`` its exact log. As
    :math:`\epsilon \to 0` the delay grows like :math:`\epsilon^{-\beta(2\theta-1)}/(c(2\theta-1))`
    while ``t_mem`` grows like :math:`\log(1/\epsilon)/\gamma`.

    Parameters
    ----------
    params : TwoClocks
    coupling_exponent : float or array_like, optional
        :math:`\beta`; default ``params.coupling_exponent``.

    Examples
    --------
    >>> import grokdelay as gd
    >>> p = gd.TwoClocks(gap_rate=1.0, n_classes=2, loss_target=1e-2, kl_exponent=0.75,
    ...                  kl_rate=1.0, structure_target=1.0)
    >>> round(temporal_mismatch(p, 2.0).delay, 6)          # 1e-4^-0.5/0.5 - log(100)
    195.39483
    """
    if coupling_exponent is not None:
        params = params.replace(coupling_exponent=coupling_exponent)
    return params.predict(method="coupled")


__getattr__ = moved_names(__name__, {"scenario_fit": "grokdelay.scenarios:scenario_fit",
                                     "SCENARIO_FIT": "grokdelay.scenarios:SCENARIO_FIT"})

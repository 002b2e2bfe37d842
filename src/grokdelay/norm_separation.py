r"""The norm-separation delay law of grokking (arXiv 2603.13331).

Training first reaches a high-norm memorizing interpolant :math:`\theta_\mathrm{mem}`, then
weight decay contracts the parameters towards a lower-norm generalizing one
:math:`\theta_\mathrm{post}`. The law (arXiv 2603.13331, abstract; the "Norm-Separation Delay Law")
is

.. math::

    T_\mathrm{grok} - T_\mathrm{mem} = \Theta\!\left(\frac{1}{\gamma_\mathrm{eff}}
        \log\frac{\|\theta_\mathrm{mem}\|^2}{\|\theta_\mathrm{post}\|^2}\right),
    \qquad \gamma_\mathrm{eff} = \eta\lambda \ \text{(SGD)}, \quad
    \gamma_\mathrm{eff} \ge \eta\lambda \ \text{(AdamW)}.

The texts available to the project give only the abstract and a review: the bounds behind the
:math:`\Theta`, the AdamW rate and the "three-input predictor" are not written out there (the
library's law fixes the constant at 1/2, see :class:`NormSeparation`). This module makes each one
concrete (see :class:`NormSeparation` for the delay, :func:`delay_lower_bound` and
:func:`delay_upper_bound` for the discrete Lyapunov bounds, :func:`effective_rate` and
:func:`estimate_gamma_eff` for the rate, :func:`calibrate` for the constant).

Convention: ``weight_decay`` is :math:`\lambda` in
:math:`\theta \leftarrow \theta - \eta(\nabla L + \lambda\theta)` (AdamW: decoupled,
:math:`\theta \leftarrow \theta - \eta\lambda\theta - \eta\,\mathrm{adam\_step}`), so pure decay
multiplies :math:`\theta` by :math:`1 - \gamma_\mathrm{eff}` per optimizer step. This matches the
paper's :math:`\gamma_\mathrm{eff} = \eta\lambda`; with the Analytical Proof notes' convention
(:math:`\lambda\|\theta\|^2` in the loss) ``weight_decay`` is twice that paper's lambda.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ._contraction import (contraction_steps, delay_lower_bound, delay_upper_bound, log_q,
                           log_ratio_sq)
from ._core import (Choice, DelayPrediction, Interval, Outcome, ParameterError, Parameters,
                    finalize, method, note_where, param, register)
from ._core import positive_array as _positive
from ._norm_simulation import (LeastSquaresProblem, Trajectory, least_squares_problem,
                               pure_decay_steps, train_least_squares)

__all__ = ["NormSeparation", "contraction_steps", "delay_lower_bound", "delay_upper_bound",
           "EffectiveRate", "effective_rate", "GammaEstimate", "estimate_gamma_eff",
           "Calibration", "calibrate",
           # numerical cross-checks (numpy simulations), public so users can run them
           "pure_decay_steps", "LeastSquaresProblem", "least_squares_problem", "Trajectory",
           "train_least_squares"]

_OPTIMIZERS = ("sgd", "adamw", "adam_l2")


# --------------------------------------------------------------------------- helpers


# --------------------------------------------------------------------------- rates


@dataclasses.dataclass(frozen=True)
class EffectiveRate:
    """A contraction rate per optimizer step and what it is relative to the true rate.

    ``bound`` is ``"exact"`` (pure decay contracts at exactly this rate), ``"lower"`` (the true
    average rate is at least this; delays computed from it still count pure decay only, not
    an upper bound on a run whose loss gradient holds the norm up), ``"estimate"`` (a
    quasi-static approximation) or ``"none"`` (no bound in either direction).
    """

    gamma_eff: np.ndarray | float
    bound: str
    note: str


def effective_rate(learning_rate, weight_decay, optimizer: str = "sgd", *, grad_rms=None,
                   adam_eps: float = 1e-8) -> EffectiveRate:
    r"""The effective contraction rate :math:`\gamma_\mathrm{eff}` of an optimizer with decay.

    * ``"sgd"``: :math:`\theta \leftarrow (1-\eta\lambda)\theta - \eta\nabla L`, so
      :math:`\gamma_\mathrm{eff} = \eta\lambda` exactly for the decay part (arXiv 2603.13331).
    * ``"adamw"`` (decoupled): the decay factor is again :math:`1-\eta\lambda`; the paper states
      :math:`\gamma_\mathrm{eff} \ge \eta\lambda` (the Adam step adds contraction), so
      :math:`\eta\lambda` is a lower bound on the average rate. This is the paper's claim, not
      a theorem here; the tests measure it on least squares (1.00-1.04). It does **not** make
      the delay from :math:`\eta\lambda` an upper bound: that delay counts pure decay, and the
      loss gradient can hold the norm on a plateau for longer (23.0-23.3k steps against a
      count of 19.6k on overparameterized least squares).
    * ``"adam_l2"`` (L2 in the gradient fed to Adam): the decay term :math:`\lambda\theta` is
      divided by Adam's :math:`\sqrt{\hat v}+\epsilon`, so the rate per coordinate is
      :math:`\eta\lambda/(\sqrt{\hat v_i}+\epsilon)`. Give ``grad_rms`` (a typical
      :math:`\sqrt{\hat v}`, the RMS of the full gradient Adam sees) for that quasi-static
      estimate; without it :math:`\eta\lambda` is returned with ``bound="none"``: it is a lower
      bound only while :math:`\sqrt{\hat v}+\epsilon \le 1`. When the L2 term dominates the
      gradient, Adam normalizes it to steps of size about :math:`\eta` and the norm decays
      linearly, not geometrically, so no single rate describes the run.

    Parameters
    ----------
    learning_rate, weight_decay : array_like
        eta > 0 and lambda >= 0 in the library's convention.
    optimizer : {"sgd", "adamw", "adam_l2"}
    grad_rms : array_like, optional
        Only for ``"adam_l2"``: RMS of the gradient Adam normalizes by.
    adam_eps : float
        Adam's epsilon.

    Returns
    -------
    EffectiveRate

    Examples
    --------
    >>> from grokdelay.norm_separation import effective_rate
    >>> r = effective_rate(1e-3, 0.1, "adamw")
    >>> float(r.gamma_eff), r.bound
    (0.0001, 'lower')
    """
    eta = _positive("learning_rate", learning_rate)
    lam = _positive("weight_decay", weight_decay, allow_zero=True)
    base = eta * lam
    if optimizer == "sgd":
        return EffectiveRate(base, "exact", "SGD: gamma_eff = eta * lambda, the exact decay "
                             "rate; the loss gradient adds the drive of delay_*_bound")
    if optimizer == "adamw":
        return EffectiveRate(base, "lower", "AdamW (decoupled): eta * lambda is the decay "
                             "factor's rate and, by the claim of arXiv 2603.13331, a lower bound on the "
                             "average contraction rate; delays from it count pure decay only "
                             "and are not upper bounds on a run's delay (the loss gradient can "
                             "hold the norm on a plateau)")
    if optimizer == "adam_l2":
        if grad_rms is None:
            return EffectiveRate(base, "none", "Adam with L2 in the gradient: the decay is "
                                 "preconditioned by 1/(sqrt(v_hat) + eps); eta * lambda is a "
                                 "lower bound only while sqrt(v_hat) + eps <= 1; give grad_rms "
                                 "or estimate the rate from the norm trajectory")
        rms = _positive("grad_rms", grad_rms, allow_zero=True)
        return EffectiveRate(base / (rms + adam_eps), "estimate",
                             "Adam with L2: quasi-static rate eta * lambda / (grad_rms + eps), "
                             "valid while v_hat changes slowly over 1/gamma_eff steps")
    raise ParameterError(f"optimizer = {optimizer!r} is not one of "
                         + ", ".join(repr(o) for o in _OPTIMIZERS), "optimizer")


@dataclasses.dataclass(frozen=True)
class GammaEstimate:
    r"""The contraction rate fitted to a logged norm trajectory.

    Attributes
    ----------
    gamma_eff : float
        :math:`1 - e^{s/2}`, with ``s`` the fitted slope of :math:`\log\|\theta\|^2` per step.
    stderr : float
        Its standard error (delta method from the OLS slope's), assuming independent residuals;
        with autocorrelated residuals (momentum, plateaus) it is optimistic.
    slope, slope_stderr : float
        The OLS slope of :math:`\log(\|\theta\|^2 - \mathrm{floor}^2)` per step and its error.
    n_points : int
        Points inside the fitting window.
    notes : tuple of str
    """

    gamma_eff: float
    stderr: float
    slope: float
    slope_stderr: float
    n_points: int
    notes: tuple[str, ...] = ()

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """A ``level`` confidence interval for gamma_eff (Student t on the slope)."""
        from scipy import stats

        q = float(stats.t.ppf(0.5 + level / 2, max(self.n_points - 2, 1)))
        lo = -math.expm1((self.slope + q * self.slope_stderr) / 2)
        hi = -math.expm1((self.slope - q * self.slope_stderr) / 2)
        return lo, hi


def estimate_gamma_eff(norms, steps=None, *, start=None, stop=None, floor: float = 0.0,
                       squared: bool = False) -> GammaEstimate:
    r"""Estimate :math:`\gamma_\mathrm{eff}` from a logged norm trajectory after memorization.

    Under contraction :math:`\|\theta_k\|^2 - f^2 \propto (1-\gamma)^{2k}`, so an ordinary
    least-squares line through :math:`\log(\|\theta_k\|^2 - f^2)` against the step k has slope
    :math:`s = 2\log(1-\gamma)`, and :math:`\gamma = -\mathrm{expm1}(s/2)`. The floor f (default 0)
    is the norm the trajectory settles at (e.g. the post-grokking norm): fitting without it
    underestimates the rate once the norm nears its plateau.

    Parameters
    ----------
    norms : array_like, 1-D
        :math:`\|\theta_k\|` (or :math:`\|\theta_k\|^2` with ``squared=True``), all > floor.
    steps : array_like, 1-D, optional
        Optimizer steps of the entries (default 0, 1, 2, ...); need not be evenly spaced.
    start, stop : float, optional
        Fitting window in steps (inclusive); start at memorization, stop before the plateau.
    floor : float
        Norm (not squared) subtracted in quadrature, 0 <= floor < min(norms in the window).
    squared : bool
        ``norms`` holds squared norms.

    Returns
    -------
    GammaEstimate

    Examples
    --------
    >>> import numpy as np
    >>> from grokdelay.norm_separation import estimate_gamma_eff
    >>> k = np.arange(0, 2000, 10)
    >>> est = estimate_gamma_eff(5.0 * (1 - 1e-3) ** k, k)
    >>> round(est.gamma_eff, 9)
    0.001
    """
    y = np.asarray(norms, dtype=float).ravel()
    k = np.arange(y.size, dtype=float) if steps is None else np.asarray(steps, float).ravel()
    if k.shape != y.shape:
        raise ParameterError(f"steps has {k.size} entries but norms has {y.size}", "steps")
    if not np.all(np.isfinite(y)) or not np.all(np.isfinite(k)):
        raise ParameterError("norms and steps must be finite numbers", "norms")
    window = np.ones(y.size, bool)
    if start is not None:
        window &= k >= start
    if stop is not None:
        window &= k <= stop
    y, k = y[window], k[window]
    if y.size < 3:
        raise ParameterError(f"norms: the window [{start}, {stop}] holds {y.size} points; the "
                             "fit needs at least 3", "norms")
    sq = y if squared else y * y
    f2 = float(floor) ** 2
    if not (floor >= 0) or np.any(sq <= f2):
        raise ParameterError(f"floor = {floor!r} must lie in [0, min norm in the window = "
                             f"{math.sqrt(max(sq.min(), 0.0)):.6g})", "floor")
    z = np.log(sq - f2)
    kc = k - k.mean()
    sxx = float(kc @ kc)
    if sxx == 0:
        raise ParameterError("steps: all steps in the window are equal", "steps")
    slope = float(kc @ (z - z.mean()) / sxx)
    resid = z - z.mean() - slope * kc
    dof = y.size - 2
    se = math.sqrt(float(resid @ resid) / dof / sxx) if dof > 0 else math.inf
    gamma = -math.expm1(slope / 2)
    notes = []
    if gamma <= 0:
        notes.append("the norm does not contract in this window (slope >= 0): no decay rate "
                     "can be read off; check the window or the floor")
    return GammaEstimate(gamma, math.exp(slope / 2) / 2 * se, slope, se, int(y.size),
                         tuple(notes))


# --------------------------------------------------------------------------- mechanism


@register("norm_separation")
class NormSeparation(Parameters):
    r"""Norm-separation delay: steps of decay from norm_mem to norm_post (arXiv 2603.13331).

    After memorization at a high-norm interpolant, weight decay contracts the parameters by
    :math:`1-\gamma_\mathrm{eff}` per step until they reach the norm of the generalizing
    solution. The default method counts those steps exactly for pure decoupled decay; method
    ``"law"`` is the continuous law of arXiv 2603.13331 (its :math:`\Theta` with constant 1/2),
    to which the count tends for small :math:`\gamma_\mathrm{eff}`.
    :math:`\gamma_\mathrm{eff} = \eta\lambda` unless given. The closed form of each method is
    written once, in :mod:`grokdelay._symbolic`: the docs page renders them, and so does
    ``_repr_latex_()`` in a notebook (of the parameters: the default method; of a prediction:
    its method, with its numbers).

    Parameters
    ----------
    learning_rate : float or array_like
        eta > 0.
    weight_decay : float or array_like
        lambda >= 0 in :math:`\theta \leftarrow \theta - \eta(\nabla L + \lambda\theta)`
        (decoupled for AdamW). 0 means nothing contracts: ``t_grok = inf`` with a note.
    norm_mem, norm_post : float or array_like
        :math:`\|\theta\|` (not squared) at memorization and of the post-grokking solution.
    t_mem : float or array_like
        Memorization step (the delay is added to it).
    optimizer : {"sgd", "adamw", "adam_l2"}
        Fixes what :math:`\eta\lambda` is relative to the true rate (see :func:`effective_rate`).
    gamma_eff : float or array_like, optional
        Contraction rate per step in (0, 1), e.g. from :func:`estimate_gamma_eff`; overrides
        :math:`\eta\lambda`.

    Notes
    -----
    Methods: ``"contraction"`` (default) is exact for pure decay (the loss gradient is zero
    after memorization): its ceiling is the first step at which
    :math:`\|\theta_k\| \le \|\theta_\mathrm{post}\|`. ``"law"`` is the continuous-time form;
    it exceeds ``"contraction"`` by the factor :math:`-\log(1-\gamma)/\gamma \approx 1+\gamma/2`.
    With a nonzero loss gradient use :func:`delay_lower_bound` / :func:`delay_upper_bound`.

    Regimes: ``norm_post >= norm_mem`` gives delay 0 (the post-grokking norm is already
    reached at memorization; the law predicts no delay and says nothing about slower
    mechanisms), with a note. ``gamma_eff >= 1`` is rejected: the map
    :math:`\theta \leftarrow (1-\gamma)\theta` zeroes :math:`\theta` at 1, flips its sign above
    and diverges at 2, so it is not the monotone contraction the law describes. For AdamW the
    prediction is the exact pure-decay count, not an upper bound on the run's delay (a loss
    gradient that holds the norm on a plateau lengthens it); for Adam with L2 in the gradient :math:`\eta\lambda` is no bound at all and the note asks for a
    measured ``gamma_eff``.

    References
    ----------
    "The Norm-Separation Delay Law of Grokking", arXiv 2603.13331: the
    law and :math:`\gamma_\mathrm{eff}` (abstract), 293 runs with R^2 0.97 / 0.92, Pearson 0.91,
    three-input predictor with 34.6% MAE.

    Examples
    --------
    >>> import grokdelay as gd
    >>> p = gd.predict_delay(gd.NormSeparation(learning_rate=1e-3, weight_decay=1.0,
    ...                                        norm_mem=10.0, norm_post=1.0, t_mem=100.0))
    >>> round(p.delay, 3), round(p.t_grok, 3)
    (2301.434, 2401.434)
    >>> round(gd.predict_delay(p.params, method="law").delay, 3)
    2302.585
    """

    learning_rate: float = param("eta", Interval(0, math.inf, lo_closed=False, hi_closed=False,
                                                 typical=(1e-5, 1.0)), "learning rate (step size)")
    weight_decay: float = param("lambda", Interval(0, math.inf, hi_closed=False,
                                                   typical=(1e-5, 10.0)),
                                "weight decay, theta <- theta - eta (grad L + lambda theta)")
    norm_mem: float = param("||theta_mem||", Interval(0, math.inf, lo_closed=False,
                                                      hi_closed=False, typical=(1e-2, 1e4)),
                            "parameter norm (not squared) at memorization")
    norm_post: float = param("||theta_post||", Interval(0, math.inf, lo_closed=False,
                                                        hi_closed=False, typical=(1e-3, 1e3)),
                             "parameter norm (not squared) of the post-grokking solution")
    t_mem: float = param("T_mem", Interval(0, math.inf, hi_closed=False, typical=(0.0, 1e6)),
                         "memorization step; t_grok = t_mem + delay", 0.0)
    optimizer: str = param("opt", Choice(_OPTIMIZERS),
                           "optimizer: sgd (eta*lambda exact), adamw (a lower bound on the "
                           "rate), adam_l2 (L2 through Adam: no bound)", "sgd", kind="choice")
    gamma_eff: float = param("gamma_eff", Interval(0, 1, lo_closed=False, hi_closed=False,
                                                   typical=(1e-6, 0.1)),
                             "contraction rate per step; None means learning_rate * weight_decay",
                             None, optional=True)

    def _check(self) -> None:
        if self.gamma_eff is None:
            prod = np.multiply(self.learning_rate, self.weight_decay)
            if np.any(prod >= 1):
                bad = float(np.ravel(prod)[np.argmax(np.ravel(prod) >= 1)]) if np.ndim(prod) \
                    else float(prod)
                raise ParameterError(
                    f"learning_rate * weight_decay = gamma_eff = {bad:g} >= 1: the decay map "
                    "theta <- (1 - gamma_eff) theta no longer contracts monotonically (it zeroes "
                    "theta at 1, flips its sign above and diverges at 2); learning_rate * "
                    "weight_decay must lie in [0, 1)", "learning_rate")

    # ------------------------------------------------------------------ shared
    def _rate(self, a):
        """(gamma, log gamma, notes, bound) for the broadcast fields."""
        notes: list[str] = []
        if a.gamma_eff is not None:
            gamma = np.asarray(a.gamma_eff, dtype=float)
            with np.errstate(divide="ignore"):
                log_gamma = np.log(gamma)
            notes.append("gamma_eff given: used as the contraction rate (learning_rate and "
                         "weight_decay are not used)")
            bound = "given"
        else:
            with np.errstate(divide="ignore", under="ignore"):
                gamma = a.learning_rate * a.weight_decay
                log_gamma = np.log(a.learning_rate) + np.log(a.weight_decay)
            bound = {"sgd": "exact", "adamw": "pure_decay", "adam_l2": "none"}[a.optimizer]
            if a.optimizer == "sgd":
                notes.append("SGD: gamma_eff = eta * lambda is the exact decay rate; the delay is "
                             "exact for pure decay (zero loss gradient after memorization); "
                             "delay_lower_bound / delay_upper_bound bound it otherwise")
            elif a.optimizer == "adamw":
                notes.append("AdamW: the decoupled decay factor is exactly 1 - eta * lambda, so "
                             "this is the exact step count of pure decay, and that count is "
                             "all it bounds (no run can contract faster than pure decay plus a "
                             "drive pointing inwards; see delay_lower_bound). It is NOT an "
                             "upper bound on the run's delay: the loss gradient can hold the "
                             "norm on a plateau (measured on overparameterized least squares: "
                             "rate 1.00-1.02 eta * lambda, delay 23.0-23.3k steps against a "
                             "pure-decay count of 19.6k)")
            else:
                notes.append("Adam with L2 in the gradient: the decay is divided by "
                             "sqrt(v_hat) + eps, so eta * lambda is neither an upper nor a lower "
                             "bound on the rate; pass gamma_eff (effective_rate with grad_rms, "
                             "or estimate_gamma_eff on the norm trajectory)")
        return gamma, log_gamma, notes, bound

    def _outcome(self, a, log_denominator, direct_delay, extra_notes) -> Outcome:
        gamma, log_gamma, notes, bound = self._rate(a)
        lr2 = log_ratio_sq(a.norm_mem, a.norm_post)
        none_needed = lr2 <= 0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_delay = np.log(np.where(none_needed, 1.0, lr2)) - log_denominator(gamma, log_gamma)
            delay = direct_delay(lr2, gamma)
            delay = np.where(np.isfinite(delay) & (gamma > 0), delay, np.exp(log_delay))
        delay = np.where(none_needed, 0.0, delay)
        log_delay = np.where(none_needed, -np.inf, log_delay)
        notes += note_where(none_needed, "norm_post >= norm_mem: the post-grokking norm is "
                            "already reached at memorization, so no contraction is needed and the "
                            "law's delay is 0 (t_grok = t_mem); the law says nothing about other, "
                            "slower mechanisms")
        no_decay = ~none_needed & (gamma == 0) & ~np.isfinite(log_delay)
        notes += note_where(no_decay, "weight_decay = 0: nothing contracts the norm, so the law "
                            "predicts no grokking (t_grok = inf)")
        notes += note_where(~none_needed & np.isinf(delay) & np.isfinite(log_delay),
                            "the delay overflows float64 (gamma_eff is tiny); log_delay is exact")
        notes += extra_notes(gamma)
        return Outcome(t_mem=a.t_mem, t_grok=a.t_mem + delay, units="steps", notes=notes,
                       delay=delay, log_delay=log_delay,
                       extra={"gamma_eff": gamma, "log_norm_ratio_sq": lr2, "bound": bound})

    # ------------------------------------------------------------------ methods
    @method("contraction", default=True,
            summary="exact steps of pure decay: "
                    "log(norm_mem^2/norm_post^2) / (-2 log(1 - gamma_eff))")
    def _contraction(self, a) -> Outcome:
        def log_den(gamma, log_gamma):
            return math.log(2.0) + log_gamma + log_q(gamma)

        def direct(lr2, gamma):
            return lr2 / (-2.0 * np.log1p(-gamma))

        return self._outcome(a, log_den, direct, lambda g: [])

    @method("law", summary="continuous law log(norm_mem^2/norm_post^2) / (2 gamma_eff) (arXiv 2603.13331)")
    def _law(self, a) -> Outcome:
        def log_den(gamma, log_gamma):
            return math.log(2.0) + log_gamma

        def direct(lr2, gamma):
            return lr2 / (2.0 * gamma)

        def extra(gamma):
            return note_where(gamma > 0.1, "gamma_eff > 0.1: the continuous law overestimates "
                              "the discrete step count by the factor -log(1 - gamma)/gamma > 1.05; "
                              "use method 'contraction'")

        return self._outcome(a, log_den, direct, extra)

# --------------------------------------------------------------------------- calibration


def _r2(x: np.ndarray, y: np.ndarray) -> float | None:
    """R^2 of the OLS line y = a + b x (None when x or y does not vary)."""
    xc, yc = x - x.mean(), y - y.mean()
    sxx, syy = float(xc @ xc), float(yc @ yc)
    if sxx <= 0 or syy <= 0:
        return None
    return float((xc @ yc) ** 2 / (sxx * syy))


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    xc, yc = x - x.mean(), y - y.mean()
    sxx, syy = float(xc @ xc), float(yc @ yc)
    if sxx <= 0 or syy <= 0:
        return None
    return float(xc @ yc / math.sqrt(sxx * syy))


def _loglog_slope(x: np.ndarray, y: np.ndarray) -> float | None:
    lx, ly = np.log(x), np.log(y)
    xc = lx - lx.mean()
    sxx = float(xc @ xc)
    if sxx <= 0:
        return None
    return float(xc @ (ly - ly.mean()) / sxx)


@dataclasses.dataclass(frozen=True)
class Calibration:
    r"""The norm-separation law fitted to observed runs, and the calibrated predictor.

    The calibrated three-input predictor is
    :math:`\hat T_\mathrm{grok} - T_\mathrm{mem} = C\,k^\ast(\gamma_\mathrm{eff},
    \|\theta_\mathrm{mem}\|/\|\theta_\mathrm{post}\|)` with :math:`k^\ast` the exact pure-decay
    count (method ``"contraction"``); it needs only quantities known at memorization.

    Attributes
    ----------
    constant : float
        C, the geometric mean of observed / k*: the least-squares fit in log space.
    constant_ci : (float, float)
        Bootstrap percentile interval of C at ``level``.
    r2_weight_decay, r2_learning_rate : float or None
        R^2 of the linear fits of ``delay * 2 eta / log(ratio^2)`` against ``1 / lambda`` and of
        ``delay * 2 lambda / log(ratio^2)`` against ``1 / eta`` (the law's inverse scalings with
        the other factors divided out; for a one-factor sweep this is the plain fit of delay
        against the inverse). None when the factor does not vary across the runs.
    exponent_weight_decay, exponent_learning_rate : float or None
        Log-log slopes of the same quantities (the law says -1).
    pearson_log_ratio : float or None
        Pearson r between ``log(norm_mem^2 / norm_post^2)`` and ``2 eta lambda * delay``.
    mae_percent : float
        Mean absolute error of the calibrated predictor, in % of the observed delay.
    mae_ci : (float, float)
        Bootstrap percentile interval of the MAE (C refitted on every resample).
    n_runs, level, n_boot : int, float, int
    notes : tuple of str
    """

    constant: float
    constant_ci: tuple[float, float]
    r2_weight_decay: float | None
    r2_learning_rate: float | None
    exponent_weight_decay: float | None
    exponent_learning_rate: float | None
    pearson_log_ratio: float | None
    mae_percent: float
    mae_ci: tuple[float, float]
    n_runs: int
    level: float
    n_boot: int
    optimizer: str
    notes: tuple[str, ...] = ()

    def predict(self, learning_rate, weight_decay, norm_mem, norm_post, t_mem=0.0, *,
                optimizer: str | None = None, gamma_eff=None) -> DelayPrediction:
        """The calibrated prediction at memorization time (a ``DelayPrediction``, method
        ``"calibrated"``): ``t_grok = t_mem + C * contraction_steps``."""
        params = NormSeparation(learning_rate=learning_rate, weight_decay=weight_decay,
                                norm_mem=norm_mem, norm_post=norm_post, t_mem=t_mem,
                                optimizer=self.optimizer if optimizer is None else optimizer,
                                gamma_eff=gamma_eff)
        base = params.predict("contraction")
        c = self.constant
        delay = c * np.asarray(base.delay, dtype=float)
        log_delay = math.log(c) + np.asarray(base.log_delay, dtype=float)
        notes = list(base.notes) + [
            f"calibrated: delay = C * contraction steps, C = {c:.4g} "
            f"({self.level:.0%} CI {self.constant_ci[0]:.4g}-{self.constant_ci[1]:.4g}) fitted "
            f"on {self.n_runs} runs with MAE {self.mae_percent:.1f}%"]
        out = Outcome(t_mem=base.t_mem, t_grok=np.asarray(base.t_mem) + delay, notes=notes,
                      delay=delay, log_delay=log_delay,
                      extra={**base.extra, "constant": c, "base_method": "contraction"})
        return finalize(params, "calibrated", params.shape, out)


def calibrate(learning_rate, weight_decay, t_mem, t_grok, norm_mem, norm_post, *,
              optimizer: str = "sgd", gamma_eff=None, n_boot: int = 2000, level: float = 0.95,
              seed: int = 0) -> Calibration:
    r"""Fit the norm-separation law's constant to observed runs; score it as arXiv 2603.13331 does.

    Each run i gives :math:`d_i = t_{\mathrm{grok},i} - t_{\mathrm{mem},i}` and the pure-decay
    count :math:`k_i^\ast` (:func:`contraction_steps` at :math:`\gamma_\mathrm{eff}`). The
    constant is :math:`\log C = \mathrm{mean}_i \log(d_i / k_i^\ast)` (least squares on the log:
    errors are multiplicative, matching a percent-error score). Reported alongside, as in the
    paper's abstract: R^2 of the inverse-weight-decay and inverse-learning-rate scalings,
    Pearson r of the log-norm-ratio dependence, MAE % of the calibrated predictor and bootstrap
    intervals (runs resampled with replacement, C refitted on each resample).

    Parameters
    ----------
    learning_rate, weight_decay, t_mem, t_grok, norm_mem, norm_post : array_like, 1-D
        One entry per run (scalars broadcast); needs ``t_grok > t_mem``, ``norm_mem >
        norm_post`` and ``eta * lambda`` (or ``gamma_eff``) in (0, 1) for every run.
    optimizer : str
        Recorded and used by :meth:`Calibration.predict`; ``gamma_eff`` overrides
        ``eta * lambda`` for the fit (the scaling diagnostics always use eta and lambda).
    gamma_eff : array_like, optional
        Per-run contraction rates, e.g. measured with :func:`estimate_gamma_eff`.
    n_boot : int
        Bootstrap resamples (vectorized; 2000 take milliseconds for hundreds of runs).
    level : float
        Confidence level of the intervals.
    seed : int
        Seed of the bootstrap generator.

    Returns
    -------
    Calibration

    Examples
    --------
    >>> import numpy as np
    >>> from grokdelay.norm_separation import calibrate, contraction_steps
    >>> eta = np.array([1e-3, 1e-3, 2e-3, 1e-3]); lam = np.array([1.0, 0.5, 1.0, 1.0])
    >>> mem, post = np.array([10.0, 10.0, 10.0, 30.0]), 1.0
    >>> t_grok = 100 + 3.0 * contraction_steps(mem, post, eta * lam)
    >>> cal = calibrate(eta, lam, 100.0, t_grok, mem, post)
    >>> round(cal.constant, 9), round(cal.mae_percent, 9)
    (3.0, 0.0)
    """
    if optimizer not in _OPTIMIZERS:
        raise ParameterError(f"optimizer = {optimizer!r} is not one of "
                             + ", ".join(repr(o) for o in _OPTIMIZERS), "optimizer")
    arrays = {"learning_rate": learning_rate, "weight_decay": weight_decay, "t_mem": t_mem,
              "t_grok": t_grok, "norm_mem": norm_mem, "norm_post": norm_post}
    if gamma_eff is not None:
        arrays["gamma_eff"] = gamma_eff
    vals = {}
    for k, v in arrays.items():
        arr = np.asarray(v, dtype=float)
        if not np.all(np.isfinite(arr)):
            raise ParameterError(f"{k} contains a non-finite value", k)
        vals[k] = arr
    try:
        b = dict(zip(vals, np.broadcast_arrays(*[np.atleast_1d(v) for v in vals.values()])))
    except ValueError:
        raise ParameterError("the run arrays do not broadcast together: shapes "
                             + str({k: np.shape(v) for k, v in vals.items()}), "t_grok") from None
    b = {k: v.ravel() for k, v in b.items()}
    eta, lam = _positive("learning_rate", b["learning_rate"]), _positive("weight_decay",
                                                                         b["weight_decay"])
    gamma = eta * lam if gamma_eff is None else b["gamma_eff"]
    _positive("gamma_eff" if gamma_eff is not None else "learning_rate", gamma, below_one=True)
    delay = b["t_grok"] - b["t_mem"]
    bad = np.flatnonzero(~(delay > 0))
    if bad.size:
        raise ParameterError(f"t_grok: run {bad[0]} has t_grok - t_mem = {delay[bad[0]]:g} <= 0; "
                             "the law is fitted to runs that grok after memorizing", "t_grok")
    mem, post = _positive("norm_mem", b["norm_mem"]), _positive("norm_post", b["norm_post"])
    bad = np.flatnonzero(~(mem > post))
    if bad.size:
        raise ParameterError(f"norm_post: run {bad[0]} has norm_post = {post[bad[0]]:g} >= "
                             f"norm_mem = {mem[bad[0]]:g}; no contraction to fit", "norm_post")
    n = delay.size
    if n < 2:
        raise ParameterError(f"t_grok: calibration needs at least 2 runs, got {n}", "t_grok")
    if not (0 < level < 1):
        raise ParameterError(f"level = {level!r} must lie in (0, 1)", "level")
    if n_boot < 1:
        raise ParameterError(f"n_boot = {n_boot!r} must be >= 1", "n_boot")

    k_star = contraction_steps(mem, post, gamma)
    log_r = np.log(delay) - np.log(k_star)
    log_c = float(log_r.mean())
    c = math.exp(log_c)
    mae = float(100.0 * np.mean(np.abs(c * k_star - delay) / delay))

    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    log_c_b = log_r[idx].mean(axis=1)
    mae_b = 100.0 * np.mean(np.abs(np.exp(log_c_b)[:, None] * k_star[idx] - delay[idx])
                            / delay[idx], axis=1)
    q = [50 * (1 - level), 50 * (1 + level)]
    c_ci = tuple(float(x) for x in np.exp(np.percentile(log_c_b, q)))
    mae_ci = tuple(float(x) for x in np.percentile(mae_b, q))

    lr2 = log_ratio_sq(mem, post)
    y_wd = delay * 2.0 * eta / lr2
    y_lr = delay * 2.0 * lam / lr2
    notes = []
    r2_wd, r2_lr = _r2(1.0 / lam, y_wd), _r2(1.0 / eta, y_lr)
    pearson = _pearson(lr2, delay * 2.0 * eta * lam)
    for name, val, what in (("r2_weight_decay", r2_wd, "weight_decay"),
                            ("r2_learning_rate", r2_lr, "learning_rate"),
                            ("pearson_log_ratio", pearson, "the norm ratio")):
        if val is None:
            notes.append(f"{name} is None: {what} does not vary across the runs")
    if n < 10:
        notes.append(f"only {n} runs: the bootstrap intervals are rough")
    return Calibration(c, c_ci, r2_wd, r2_lr, _loglog_slope(lam, y_wd), _loglog_slope(eta, y_lr),
                       pearson, mae, mae_ci, n, level, n_boot, optimizer, tuple(notes))

r"""Calibrate a real-run law on pilot runs, predict new runs at memorization, cross-validate.

:func:`calibrate` fits the free constants of one law (``first_passage``, ``two_phase``,
``power_law`` or ``norm_separation``; see :mod:`grokdelay._run_laws` for what each reads from
a run) in log space: the observed delay :math:`d_i` of pilot run i is modelled as

.. math::

    \log d_i = \mu(\theta; x_i) + \sigma\varepsilon_i, \qquad \varepsilon_i \sim N(0, 1),

with :math:`x_i` what the run shows at memorization (its hyperparameters and its log up to
``t_mem``) and :math:`\mu` the law's log-delay. A pilot whose log ends before it groks is
right-censored: it contributes :math:`P(\log d_i > \log b_i)` (a Tobit likelihood), not a
dropped row nor a fake delay. :math:`\theta` and :math:`\sigma` maximize the likelihood.

The prediction interval at level :math:`\ell` for a new run is

.. math::

    \mu(\hat\theta; x) \pm t_{\nu,(1+\ell)/2}\,
        \sqrt{s^2 + g^\top \widehat{\mathrm{Cov}}(\hat\theta)\, g},
    \qquad g = \partial\mu/\partial\theta,

with :math:`s^2 = \hat\sigma^2 n/\nu` the residual variance on :math:`\nu = n - p` degrees of
freedom (n grokked pilots, p constants) and the covariance from the Gauss-Newton information of
the same likelihood: with 3 pilots and 2 constants it is a Student t on one degree of freedom,
as wide as the data make it.

``mechanism="auto"`` tries every law whose premises hold on all pilot runs, scores each by
leave-one-out on the pilot runs alone, and keeps the best (fewer constants on ties); the
scores and the reasons for every law left out are in :attr:`Calibration.selection`.
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._core import DelayPrediction, NotApplicable, Outcome, ParameterError, finalize
from ._pilot_range import (EXTRAPOLATION_MAPE, RANGE_FIELDS, extrapolation_notes, outside,
                           pilot_span, refuse_extrapolation, span_text)
from ._run_laws import (LAWS, PowerLawLaw, RunLaw, facts_at_memorization, facts_from_mapping,
                        stack_facts)

__all__ = ["Calibration", "calibrate", "Inversion", "law_names", "pilot_facts", "check_level"]


#: How the note starts that says the pilots cannot test a law across cells.
CELLS_NOTE = "pilots span too few cells to check the law across them"


def law_names() -> list[str]:
    """The mechanisms :func:`calibrate` can fit to runs."""
    return list(LAWS)


# --------------------------------------------------------------------------- fitting


@dataclasses.dataclass(frozen=True)
class _Fit:
    law: RunLaw
    theta: np.ndarray
    cov: np.ndarray
    scale: float          # s: residual scale on dof degrees of freedom
    dof: int
    n_obs: int
    n_cens: int
    #: indices of the constants the fit pushed onto a bound of their search range
    at_bound: tuple[int, ...] = ()


def _jacobian(law: RunLaw, theta: np.ndarray, F) -> np.ndarray:
    """d mu / d theta by central differences (the laws are smooth in theta)."""
    cols = []
    for j in range(theta.size):
        h = 1e-6 * max(1.0, abs(theta[j]))
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        cols.append((law.mu(tp, F) - law.mu(tm, F)) / (2 * h))
    return np.stack(cols, axis=-1)


def _fit(law: RunLaw, F, *, min_sigma: float = 1e-3, point_only: bool = False) -> _Fit:
    """Tobit maximum likelihood in log space (censored runs are lower bounds).

    ``point_only``: the constants alone, for a leave-one-out prediction; then as many grokked
    runs as constants suffice (no residual degree of freedom is needed, and the scale and
    covariance are not computed).
    """
    from scipy import optimize, special

    obs = np.isfinite(F["delay"]) & (F["delay"] > 0)
    cens = ~obs & np.isfinite(F["bound"])
    y = np.where(obs, np.log(np.where(obs, F["delay"], 1.0)),
                 np.log(np.where(cens, np.maximum(F["bound"], 1e-300), 1.0)))
    keep = obs | cens
    F = {k: v[keep] for k, v in F.items()}
    y, obs, cens = y[keep], obs[keep], cens[keep]
    n_obs, names = int(obs.sum()), law.names(F)
    p = len(names)
    if n_obs < p or (n_obs == p and not point_only):
        raise ParameterError(f"{law.name} has {p} constant(s) to fit and needs at least {p + 1} "
                             f"pilot runs that grok (got {n_obs}) to leave a residual degree of "
                             "freedom for the interval", "runs")
    Fo = {k: v[obs] for k, v in F.items()}
    theta0, bounds = law.start(Fo, y[obs])
    # the gap laws' b must stay below every pilot's log X, censored ones included
    bounds = [(lo, min(hi, hi_all)) for (lo, hi), hi_all in
              zip(bounds, _upper_bounds(law, F, len(bounds)))]
    theta0 = np.clip(theta0, [b[0] for b in bounds], [b[1] for b in bounds])
    r0 = y[obs] - law.mu(theta0, Fo)
    ls0 = math.log(max(float(np.sqrt(np.mean(r0 ** 2))), min_sigma))

    def nll(z):
        theta, s = z[:-1], math.exp(z[-1])
        mu = law.mu(theta, F)
        if not np.all(np.isfinite(mu)):
            return 1e300
        r = (y - mu) / s
        # log P(eps > r) = log_ndtr(-r): the censored runs' lower bounds
        return float(np.sum(z[-1] + 0.5 * r[obs] ** 2) - np.sum(special.log_ndtr(-r[cens])))

    res = optimize.minimize(nll, np.append(theta0, ls0), method="SLSQP",
                            bounds=bounds + [(math.log(min_sigma), 5.0)])
    theta, sigma = res.x[:-1], math.exp(res.x[-1])
    dof = n_obs - p
    if point_only:
        return _Fit(law, theta, np.full((p, p), math.nan), math.nan, dof, n_obs,
                    int(cens.sum()))
    scale = sigma * math.sqrt(n_obs / dof)
    mu = law.mu(theta, F)
    J = _jacobian(law, theta, F)
    z = (y - mu) / scale
    # inverse Mills ratio pdf(z) / sf(z), from logs so it stays finite far in the tail
    mills = np.exp(-0.5 * z * z - 0.5 * math.log(2 * math.pi) - special.log_ndtr(-z))
    w = np.where(obs, 1.0, mills * (mills - z)) / scale ** 2
    info = J.T @ (w[:, None] * J)
    cov = np.linalg.pinv(info)
    at_bound = tuple(i for i, (lo, hi) in enumerate(bounds)
                     if min(theta[i] - lo, hi - theta[i]) <= 1e-3 * min(hi - lo, 1.0))
    return _Fit(law, theta, cov, scale, dof, n_obs, int(cens.sum()), at_bound)


#: How the note starts that says the pilots contradict the law's form.
BOUND_NOTE = "the pilots do not follow the law's form"


#: Above this log-ratio log(X / X_star) at every pilot, a gap law's delay changes by less than
#: 1/10 per e-fold of X: the fit has made the law blind to the norm it is built on.
DEGENERATE_GAP = 10.0


def _bound_notes(law: RunLaw, fit: _Fit, constants: Mapping[str, float], F) -> list[str]:
    """A note when the pilots contradict the law's form: a gap law's target norm fitted so far
    below every pilot's norm that the delay no longer depends on it, or a constant pushed onto
    the bound of its range (then it is a limit, not a measurement of what the paper names)."""
    names = law.names(F)
    if hasattr(law, "log_x"):
        target, x = (("norm_star", "the norm at memorization") if law.name == "first_passage"
                     else ("norm_c", "the initial norm"))
        lx = law.log_x(F)
        gap = float(np.min(lx[np.isfinite(lx)])) - float(fit.theta[1])
        if gap > DEGENERATE_GAP:
            return [f"{BOUND_NOTE}: {target} fitted at {constants[target]:.3g}, so far below "
                    f"every pilot's {x} (log-ratio > {gap:.0f}) that the law's delay barely "
                    f"depends on {x}: the pilots' delays do not follow its log-ratio, the law "
                    "degenerates to delay ~ 1/(eta lambda), and its constants are not the "
                    "paper's physical ones (its interval is not reliable either)"]
        if 1 in fit.at_bound:
            return [f"{BOUND_NOTE}: {target} ran up to the smallest pilot's {x} "
                    f"({constants[target]:.3g}), where the law's delay diverges; the pilots "
                    "ask for more delay at small norms than the law can give"]
    if fit.at_bound:
        return [f"{BOUND_NOTE}: the fit pushed " + ", ".join(names[i] for i in fit.at_bound)
                + " onto the bound of its range, where the law no longer describes the pilots"]
    return []


def _upper_bounds(law: RunLaw, F, n: int) -> list[float]:
    if hasattr(law, "log_x") and n == 2:
        return [math.inf, float(np.min(law.log_x(F))) - 1e-9]
    return [math.inf] * n


def _predict_log(fit: _Fit, F, level: float):
    """(mu, sd, q) of the log delay for facts F (arrays)."""
    from scipy import special

    mu = fit.law.mu(fit.theta, F)
    g = _jacobian(fit.law, fit.theta, F)
    var = fit.scale ** 2 + np.einsum("...i,ij,...j->...", g, fit.cov, g)
    q = float(special.stdtrit(fit.dof, 0.5 + level / 2))    # Student t quantile
    return mu, np.sqrt(var), q


def _law_for(name: str, F) -> RunLaw:
    law = LAWS[name]
    return PowerLawLaw.spanning(F) if isinstance(law, PowerLawLaw) else law


# --------------------------------------------------------------------------- calibration


@dataclasses.dataclass(frozen=True, eq=False)
class Calibration:
    """A law fitted to pilot runs: constants, residual scale, and the calibrated predictor.

    Attributes
    ----------
    mechanism : str
        The law (a registered mechanism's name).
    constants : mapping
        The fitted constants under the mechanism's field names (e.g. ``kappa``, ``norm_star``).
    scale : float
        Residual standard deviation of the log delay (on ``dof`` degrees of freedom).
    dof : int
        Grokked pilots minus fitted constants.
    n_runs, n_censored : int
        Pilot runs used, and how many of them were censored (lower bounds).
    optimizer : str
        The pilots' optimizer; predictions for other optimizers raise NotApplicable.
    level : float
        Level of the prediction intervals.
    threshold, train_threshold, window : float
        How milestones are read from runs (as in ``run.milestones``).
    selection : mapping
        For ``mechanism="auto"``: per law, its leave-one-out MAPE on the pilots (``float``) or
        why it was not considered (``str``).
    notes : tuple of str
    """

    mechanism: str
    constants: Mapping[str, float]
    scale: float
    dof: int
    n_runs: int
    n_censored: int
    optimizer: str
    level: float
    threshold: float
    train_threshold: float | None
    window: float
    selection: Mapping[str, Any]
    notes: tuple[str, ...]
    _fit: _Fit = dataclasses.field(repr=False)
    #: ``{hyperparameter: (min, max)}`` over the pilots, for the extrapolation notes.
    ranges: Mapping[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    #: the directions of log-hyperparameter space the pilots did not vary (see ``ranges``)
    span: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False,
                                                compare=False)

    def __repr__(self) -> str:
        consts = ", ".join(f"{k}={v:.4g}" for k, v in self.constants.items())
        return (f"Calibration({self.mechanism!r}, {consts}; scale {self.scale:.3g} on "
                f"{self.dof} dof; {self.n_runs} {self.optimizer} pilot runs "
                f"({self.n_censored} censored); level {self.level:g})")

    # ------------------------------------------------------------------ facts
    def _facts(self, run_or_hyper) -> dict[str, Any]:
        if isinstance(run_or_hyper, Mapping):
            return facts_from_mapping(run_or_hyper)
        if not hasattr(run_or_hyper, "milestones"):
            raise ParameterError(f"predict takes a TrainingRun or a mapping of hyperparameters, "
                                 f"got "
                            f"{type(run_or_hyper).__name__}", "run")
        facts = facts_at_memorization(run_or_hyper, threshold=self.threshold,
                                      train_threshold=self.train_threshold, window=self.window)
        if not math.isfinite(facts["t_mem"]):
            raise NotApplicable(
                f"{facts.get('name') or 'this run'} has not memorized (train accuracy below "
                f"{self.train_threshold or self.threshold:g} throughout its log): a prediction "
                "is made at memorization; ask again once it memorizes, or predict from its "
                "hyperparameters (a mapping)", "train_acc", self.mechanism)
        return facts

    def _checked(self, facts, extrapolate: bool = True,
                 skip: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
        per_scale = self.constants.get("norm_init_per_scale")
        if per_scale is not None and np.all(np.isnan(facts["norm_init"])) and \
                np.all(np.isfinite(facts["init_scale"])):
            # before training: the initial norm is the init scale times the pilots' norm at
            # scale 1 (an architecture constant read off the pilot logs)
            facts = dict(facts, norm_init=np.asarray(facts["init_scale"]) * per_scale)
        self._fit.law.check(facts)
        if facts["optimizer"] != self.optimizer:
            raise NotApplicable(
                f"{self.mechanism} was calibrated on {self.optimizer} runs; "
                f"{facts.get('name') or 'this run'} uses optimizer = {facts['optimizer']!r}, and "
                "the law's constants absorb the optimizer's correction to the decay rate "
                "(calibrate on runs of that optimizer)", "optimizer", self.mechanism)
        F = {k: np.asarray(facts[k], dtype=float) for k in
             ("learning_rate", "weight_decay", "init_scale", "train_fraction", "norm_post",
              "norm_init", "norm_mem", "t_mem")}
        shape = np.broadcast_shapes(*(np.shape(v) for v in F.values()))
        F = {k: np.broadcast_to(v, shape) for k, v in F.items()}
        if not extrapolate:
            refuse_extrapolation(self.mechanism, self.ranges, F,
                                  facts.get("name") or "the prediction", skip, self.span)
        gap = self._fit.law.no_gap(self._fit.theta, F)
        if np.any(gap):
            raise NotApplicable(
                f"{self.mechanism}: the norm is already at or below the calibrated target "
                f"({self._constants_text()}), so the law predicts no norm-driven delay; the "
                "run is outside the regime the law was calibrated in", "norm", self.mechanism)
        return F

    def _constants_text(self) -> str:
        return ", ".join(f"{k} = {v:.4g}" for k, v in self.constants.items())

    # ------------------------------------------------------------------ predict
    def predict(self, run_or_hyper, *, extrapolate: bool = False) -> DelayPrediction:
        """The calibrated prediction for a run, made at its memorization.

        Parameters
        ----------
        run_or_hyper : TrainingRun or mapping
            A run (only its ``hyper`` and its log up to memorization are read), or a mapping of
            hyperparameters with what the law needs (``norm_mem`` and ``t_mem`` for
            ``first_passage``; ``init_scale`` for ``two_phase``, which predicts before training);
            values may be arrays (they broadcast).
        extrapolate : bool
            Predict also where a hyperparameter (learning rate, weight decay, init scale,
            training fraction) lies outside the pilots' range (:attr:`ranges`). Off by
            default: the calibration tested the law only inside that range, and outside it
            the law's form alone carries the number (on the reference MLP such predictions
            missed two to three times as much as those inside; see :doc:`/predicting_runs`).
            With ``True`` the prediction says in a note which hyperparameter it extrapolates.

        Returns
        -------
        DelayPrediction
            Method ``"calibrated"``; ``extra["interval"]`` is the (lo, hi) prediction interval of
            the delay at :attr:`level`, ``extra["t_grok_interval"]`` the same for t_grok.

        Raises
        ------
        NotApplicable
            A premise of the law fails on the run (weight decay 0, Muon, no norm, another
            optimizer than the pilots', a norm already below the calibrated target), or, unless
            ``extrapolate``, a hyperparameter lies outside the pilots' range (the message
            names it, its value and the range).
        """
        extrapolate = check_flag(extrapolate, "extrapolate")
        facts = self._facts(run_or_hyper)
        F = self._checked(facts, extrapolate)
        mu, sd, q = _predict_log(self._fit, F, self.level)
        delay = np.exp(mu)
        lo, hi = np.exp(mu - q * sd), np.exp(mu + q * sd)
        t_mem = np.where(np.isfinite(F["t_mem"]), F["t_mem"], 0.0)
        params = self._fit.law.params(self.constants, F)
        notes = [f"calibrated {self.mechanism}: {self._constants_text()}, fitted on "
                 f"{self.n_runs} pilot runs ({self.n_censored} censored) of {self.optimizer}; "
                 f"log-delay residual sd {self.scale:.3g} on {self.dof} dof",
                 f"interval: Student t ({self.dof} dof) at level {self.level:g} with the residual "
                 "scale and the constants' uncertainty"]
        notes += [n for n in self.notes if n.startswith((BOUND_NOTE, CELLS_NOTE))]
        notes += extrapolation_notes(self.ranges, F, span=self.span)   # only if extrapolate
        if isinstance(run_or_hyper, Mapping):
            notes.append("predicted from hyperparameters (no log)")
        else:
            notes.append(f"made at memorization (t_mem = {float(np.max(t_mem)):g}): the log "
                         "after it is not read")
        scalar = np.ndim(delay) == 0
        interval = (float(lo), float(hi)) if scalar else (lo, hi)
        extra = {"interval": interval,
                 "t_grok_interval": ((float(t_mem + lo), float(t_mem + hi)) if scalar
                                     else (t_mem + lo, t_mem + hi)),
                 "log_delay_sd": sd, "dof": self.dof, "level": self.level,
                 "constants": dict(self.constants)}
        out = Outcome(t_mem=t_mem, t_grok=t_mem + delay, notes=notes, delay=delay,
                      log_delay=mu, extra=extra)
        return finalize(params, "calibrated", np.shape(delay), out)

    def invert(self, given, *, by_step=None, delay=None, field: str = "weight_decay",
               extrapolate: bool = False) -> Inversion:
        """The value of ``field`` at which the calibrated law groks by a target.

        "Which weight decay groks by step T": everything else as in ``given`` (a run, read up
        to memorization, or a mapping of hyperparameters), ``field`` solved so that the
        predicted t_grok equals ``by_step`` (or the delay equals ``delay``); vectorized over
        the target.

        extrapolate : bool
            As in :meth:`predict`, for the hyperparameters of ``given`` other than ``field``.
            The solved ``field`` itself may fall outside the pilots' range: the result then
            says so in a note (the value is where the law, extrapolated, meets the target;
            run a pilot there before trusting it).

        Returns
        -------
        Inversion
            ``value`` (where the median prediction meets the target) and ``interval``: the
            values at which the upper and the lower end of the prediction interval meet it
            (at the larger-delay end of ``interval``, the law groks by the target with
            probability (1 + level)/2).
        """
        if field not in ("weight_decay", "learning_rate"):
            raise ParameterError(f"field = {field!r} is not one of 'weight_decay', "
                                 "'learning_rate'", "field")
        if (by_step is None) == (delay is None):
            raise ParameterError("give exactly one of by_step and delay", "by_step")
        extrapolate = check_flag(extrapolate, "extrapolate")
        facts = self._facts(given)
        F = self._checked(facts, extrapolate, skip=(field,))
        t_mem = np.where(np.isfinite(F["t_mem"]), F["t_mem"], 0.0)
        name = "by_step" if delay is None else "delay"
        target = np.asarray(by_step if delay is None else delay, dtype=float)
        d = target - t_mem if delay is None else target
        if np.any(~np.isfinite(d)) or np.any(d <= 0):
            raise ParameterError(f"{name} = {target!r} must leave a positive delay after "
                                 f"t_mem = {float(np.max(t_mem)):g}", name)
        log_target = np.log(d)
        shape = np.broadcast_shapes(log_target.shape, np.shape(F[field]))
        F0 = {k: np.broadcast_to(v, shape) for k, v in F.items()}
        u0 = np.log(F0[field])

        def solve(k: float) -> np.ndarray:
            lo, hi = u0 - 40.0, u0 + 40.0

            def h(u):
                Fu = dict(F0, **{field: np.exp(u)})
                mu, sd, q = _predict_log(self._fit, Fu, self.level)
                return mu + k * q * sd - log_target

            slope = np.sign(h(u0 + 1e-3) - h(u0 - 1e-3))
            if np.any(slope == 0):
                raise NotApplicable(f"{self.mechanism}: the calibrated delay does not depend on "
                                    f"{field}, so no {field} meets a target", field,
                                    self.mechanism)
            for _ in range(90):          # bisection: 80 / 2^90 in log units
                mid = 0.5 * (lo + hi)
                go_up = (h(mid) * slope) < 0     # the root lies above mid
                lo, hi = np.where(go_up, mid, lo), np.where(go_up, hi, mid)
            return np.exp(0.5 * (lo + hi))

        value = solve(0.0)
        a, b = solve(1.0), solve(-1.0)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        scalar = value.ndim == 0
        conv = (lambda x: float(x)) if scalar else (lambda x: x)
        notes = [f"{field} solved from the calibrated {self.mechanism} with everything else as "
                 "given; the law holds the norm at memorization fixed, while a real run's norm "
                 "depends on the hyperparameters too"]
        for _, n_out, lo_r, hi_r, _ in outside({field: self.ranges[field]} if field in
                                               self.ranges else {}, {field: value}):
            notes.append(f"the solution lies outside the pilots' {field} "
                         f"{span_text(lo_r, hi_r)} at {n_out} target(s): there the "
                         "law is extrapolated, untested on these runs (on the reference MLP "
                         f"such predictions missed by {EXTRAPOLATION_MAPE} on average); run "
                         "a pilot at that value before relying on it")
        return Inversion(field, conv(value), (conv(lo), conv(hi)), self.level, tuple(notes))

    # ------------------------------------------------------------------ display
    def __str__(self) -> str:
        lines = [f"Calibration of {self.mechanism} on {self.n_runs} {self.optimizer} runs "
                 f"({self.n_censored} censored)",
                 f"  constants: {self._constants_text()}",
                 f"  log-delay residual sd {self.scale:.3g} on {self.dof} dof; intervals at "
                 f"level {self.level:g}"]
        if self.ranges:
            lines.append(f"  tested on: {self._ranges_text()}")
        for law, score in self.selection.items():
            lines.append(f"  {law}: " + (f"leave-one-out MAPE {score:.1f}%"
                                         if isinstance(score, float) else str(score)))
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _ranges_text(self) -> str:
        """The pilots' hyperparameter ranges, where predictions are made without extrapolating."""
        text = ", ".join(f"{k} {span_text(lo, hi).split(' ', 1)[1]}"
                         for k, (lo, hi) in self.ranges.items())
        if self.span:
            text += " (only along the line through the pilots in " + \
                " and ".join(self.span["fields"]) + ")"
        return text + "; elsewhere predictions need extrapolate=True"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v:.4g}</td></tr>"
                       for k, v in self.constants.items())
        sel = "".join(f"<tr><td>{html.escape(k)}</td><td>"
                      + (f"{v:.1f}%" if isinstance(v, float) else html.escape(str(v)))
                      + "</td></tr>" for k, v in self.selection.items())
        return (f"<b>Calibration of {html.escape(self.mechanism)}</b> on {self.n_runs} "
                f"{html.escape(self.optimizer)} runs ({self.n_censored} censored), residual sd "
                f"{self.scale:.3g} on {self.dof} dof<table>{rows}</table>"
                + (f"<i>tested on</i>: {html.escape(self._ranges_text())}<br>"
                   if self.ranges else "")
                + (f"<i>leave-one-out on the pilots</i><table>{sel}</table>" if sel else ""))


@dataclasses.dataclass(frozen=True)
class Inversion:
    """The hyperparameter value at which a calibrated law meets a target delay.

    Attributes
    ----------
    field : str
    value : float or ndarray
        Where the median prediction meets the target.
    interval : (lo, hi)
        Where the two ends of the prediction interval meet it.
    level : float
    notes : tuple of str
    """

    field: str
    value: Any
    interval: tuple[Any, Any]
    level: float
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        from ._html import record_repr

        lo, hi = self.interval
        return record_repr("Inversion", {"field": self.field, "value": self.value, "lo": lo,
                                         "hi": hi, "level": self.level}, self.notes, limit=400)

    def _repr_html_(self) -> str:
        from ._html import record_html

        lo, hi = self.interval
        return record_html(f"{self.field} that meets the target delay",
                           {self.field: self.value, f"interval ({self.level:g}) lo": lo,
                            "hi": hi}, self.notes)


def pilot_facts(runs, threshold, train_threshold, window) -> list[dict[str, Any]]:
    """What each run shows at memorization and its observed delay (or censoring bound), as
    the laws read it (:func:`grokdelay._run_laws.facts_at_memorization`)."""
    if hasattr(runs, "milestones"):
        runs = [runs]
    runs = list(runs)
    if not runs:
        raise ParameterError("runs is empty: calibration needs pilot runs", "runs")
    out = []
    for i, run in enumerate(runs):
        if not hasattr(run, "milestones"):
            raise ParameterError(f"runs[{i}] is a {type(run).__name__}, not a TrainingRun "
                                 "(read logs with grokdelay.read_run)", "runs")
        f = facts_at_memorization(run, threshold=threshold, train_threshold=train_threshold,
                                  window=window)
        f["index"] = i
        out.append(f)
    return out


def check_flag(value: Any, name: str) -> bool:
    """``value`` as a bool (True/False or numpy's), else a ParameterError naming ``name``."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise ParameterError(f"{name} = {value!r} must be True or False", name)


def check_level(level: Any) -> float:
    """``level`` as a float in (0, 1), else a ParameterError naming ``level``."""
    try:
        lv = float(level)
    except (TypeError, ValueError):
        lv = math.nan
    if not (0 < lv < 1):
        raise ParameterError(f"level = {level!r} is outside its domain (0, 1)", "level")
    return lv


def _loo_mape(name: str, facts: list[dict[str, Any]]) -> float:
    F = stack_facts(facts)
    law = _law_for(name, F)
    grokked = np.flatnonzero(np.isfinite(F["delay"]) & (F["delay"] > 0))
    errors = []
    for i in grokked:
        keep = np.arange(len(facts)) != i
        fit = _fit(law, {k: v[keep] for k, v in F.items()}, point_only=True)
        Fi = {k: v[i:i + 1] for k, v in F.items()}
        if np.any(law.no_gap(fit.theta, Fi)):
            errors.append(100.0)            # the law would refuse: count it as a full miss
            continue
        pred = float(np.exp(law.mu(fit.theta, Fi))[0])
        errors.append(100.0 * abs(pred - F["delay"][i]) / F["delay"][i])
    return float(np.mean(errors))


def calibrate(runs, mechanism: str = "auto", *, threshold: float = 0.95,
              train_threshold: float | None = None, window: float = 0.0,
              level: float = 0.8) -> Calibration:
    """Fit a real-run law's constants on pilot runs.

    Parameters
    ----------
    runs : sequence of TrainingRun
        Pilot runs of one optimizer. Each contributes what it shows at memorization and its
        observed delay; a run whose log ends before it groks counts as a lower bound.
    mechanism : str
        ``"auto"`` or one of :func:`law_names` (``"first_passage"``, ``"two_phase"``,
        ``"power_law"``, ``"norm_separation"``).
    threshold, train_threshold, window : float
        How milestones are read (``run.milestones``): the test-accuracy threshold of grokking,
        the train-accuracy threshold of memorization (default ``threshold``), the persistence
        window.
    level : float
        Level of the prediction intervals, in (0, 1).

    Returns
    -------
    Calibration

    Raises
    ------
    NotApplicable
        The law's premises fail on a pilot run (the message names it and why), or for
        ``"auto"`` no law applies to all of them.
    ParameterError
        Bad arguments, pilots of mixed optimizers, too few grokked pilots for the constants.
    """
    level = check_level(level)
    facts = pilot_facts(runs, threshold, train_threshold, window)
    opts = sorted({str(f["optimizer"]) for f in facts})
    if len(opts) > 1:
        raise ParameterError(f"the pilot runs mix optimizers ({', '.join(opts)}); a law's "
                             "constants absorb the optimizer's correction to the decay rate, so "
                             "calibrate each optimizer separately", "optimizer")
    for f in facts:
        if not math.isfinite(f["t_mem"]):
            raise NotApplicable(f"pilot run {f.get('name') or f['index']} never memorizes "
                                f"(train accuracy below {train_threshold or threshold:g}): it "
                                "has no memorization step to calibrate from", "train_acc")
    names = law_names() if mechanism == "auto" else [mechanism]
    if mechanism != "auto" and mechanism not in LAWS:
        raise ParameterError(f"mechanism = {mechanism!r} is not 'auto' or one of "
                             + ", ".join(LAWS), "mechanism")
    selection: dict[str, Any] = {}
    candidates = []
    for name in names:
        bad = [(f, LAWS[name].reasons(f)) for f in facts]
        bad = [(f, r) for f, r in bad if r]
        if bad:
            f, r = bad[0]
            why = (f"premise fails on {len(bad)} of {len(facts)} pilots, e.g. "
                   f"{f.get('name') or f['index']}: {r[0][1]}")
            if mechanism != "auto":
                raise NotApplicable(f"{name} cannot be calibrated on these runs: {why}",
                                    r[0][0], name)
            selection[name] = why
            continue
        candidates.append(name)
    if not candidates:
        raise NotApplicable("no law applies to all pilot runs: " + "; ".join(
            f"{k}: {v}" for k, v in selection.items()), "runs")
    F = stack_facts(facts)
    notes = []
    if mechanism == "auto":
        scored = []
        for name in candidates:
            law = _law_for(name, F)
            n_obs = int(np.sum(np.isfinite(F["delay"]) & (F["delay"] > 0)))
            p = len(law.names(F))
            if n_obs < p + 1:
                # leaving one out must still identify the constants, and the final fit needs
                # a residual degree of freedom for its interval: p + 1 either way
                selection[name] = (f"needs {p + 1} grokked pilots for leave-one-out with {p} "
                                   f"constants, has {n_obs}")
                continue
            try:
                score = _loo_mape(name, facts)
            except ParameterError as exc:
                selection[name] = f"leave-one-out fit failed: {exc}"
                continue
            selection[name] = score
            scored.append((score, p, name))
        n_obs = int(np.sum(np.isfinite(F["delay"]) & (F["delay"] > 0)))
        # a law whose fit on all pilots contradicts its own form (a gap law blind to the norm
        # it is built on: then it is the power law with a spurious constant) ranks after
        # every law that fits, whatever its score
        degenerate = {}
        for _, _, name in scored:
            law_n = _law_for(name, F)
            try:
                fit_n = _fit(law_n, F)
            except ParameterError:
                continue
            why = _bound_notes(law_n, fit_n, law_n.constants(fit_n.theta), F)
            if why:
                degenerate[name] = why[0]
                selection[name] = (f"leave-one-out MAPE {selection[name]:.1f}%, ranked last: "
                                   + why[0])
        if scored:
            scored.sort(key=lambda t: (t[2] in degenerate, t[0], t[1]))
            chosen = scored[0][2]
            if not degenerate:
                why = "lowest leave-one-out MAPE on the pilots"
            elif chosen in degenerate:
                why = ("lowest leave-one-out MAPE on the pilots, though every scored law's fit "
                       "contradicts its form")
            else:
                why = ("lowest leave-one-out MAPE on the pilots among the laws whose fit "
                       "follows its form")
            notes.append(f"auto chose {chosen}: {why} ({scored[0][0]:.1f}%) among "
                         + ", ".join(n for _, _, n in scored))
        else:
            # too few pilots to score any law: the one with the fewest constants that can
            # still be fitted with a residual degree of freedom, said plainly
            fits = sorted((len(_law_for(n, F).names(F)), i, n) for i, n in enumerate(candidates)
                          if n_obs > len(_law_for(n, F).names(F)))
            if not fits:
                raise ParameterError("no law can be fitted: " + "; ".join(
                    f"{k}: {v}" for k, v in selection.items()), "runs")
            chosen = fits[0][2]
            notes.append(f"auto chose {chosen} without leave-one-out ({n_obs} grokked pilots "
                         "are too few to score any law): it has the fewest constants")
    else:
        chosen = mechanism
    law = _law_for(chosen, F)
    fit = _fit(law, F)
    constants = law.constants(fit.theta)
    if chosen == "two_phase":
        alpha = np.where(np.isnan(F["init_scale"]), 1.0, F["init_scale"])
        constants["norm_init_per_scale"] = float(np.exp(np.mean(np.log(F["norm_init"] / alpha))))
    notes += _bound_notes(law, fit, constants, F)
    if isinstance(law, PowerLawLaw) and law.collinearity():
        notes.append(law.collinearity())
    if fit.dof < 3:
        notes.append(f"only {fit.dof} residual degree(s) of freedom: the interval is a Student t "
                     "that wide on purpose; add pilot runs to narrow it")
    cells = {tuple(sorted((k, repr(v)) for k, v in (f.get("hyper") or {}).items()
                          if k != "seed"))
             for f in facts if math.isfinite(f["delay"]) and f["delay"] > 0}
    n_const = len(law.names(F))
    if len(cells) <= n_const:
        notes.append(f"{CELLS_NOTE}: {len(cells)} hyperparameter cell(s) for {n_const} "
                     "constant(s), so nothing here tests the law's form from cell to cell; the "
                     "interval holds the seeds' scatter and the constants' uncertainty, not the "
                     "law's error on other cells (on the reference MLP, pilots from two cells "
                     "gave 0.8 intervals that covered 81-92% of the other cells' runs inside "
                     "the pilots' range, 30-58% outside it)")
    ranges = {}
    for k in RANGE_FIELDS:
        v = F[k][np.isfinite(F[k])]
        if v.size:
            ranges[k] = (float(v.min()), float(v.max()))
    return Calibration(chosen, constants, fit.scale, fit.dof, len(facts), fit.n_cens, opts[0],
                       level, float(threshold), train_threshold, float(window), selection,
                       tuple(notes), fit, ranges, pilot_span(F))

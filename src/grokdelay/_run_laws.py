"""What each real-run law reads from a run at memorization, its premises, and its log-delay.

A law here is the run-facing side of a registered mechanism: it turns a run (or a mapping of
hyperparameters) into the facts the mechanism needs, using only the run's ``hyper`` and its
log up to memorization; it says why its premises fail (:class:`~grokdelay.NotApplicable`);
and it gives the log-delay as a function of the free constants the calibration fits,
``mu(theta, facts)``, vectorized over runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._core import NotApplicable, ParameterError

__all__ = ["LAWS", "facts_at_memorization", "facts_from_mapping", "optimizer_family",
           "stack_facts"]

#: Optimizer names after the runs layer's normalization, by what their weight decay does.
DECOUPLED = ("adamw", "sgd")          # theta <- (1 - eta lambda) theta - eta step
COUPLED_ADAPTIVE = ("adam_l2",)       # lambda theta added to the gradient Adam normalizes
NO_WEIGHT_DECAY_LAW = ("muon",)

_MUON = ("optimizer = 'muon': Muon's orthogonalized update moves every matrix by a fixed "
         "spectral step, so its delay is not set by weight decay contracting the norm (Fu 2026: "
         "Muon runs grok within tens of steps at weight decay 0 and 1 alike); no weight-decay "
         "law describes it")


def optimizer_family(name: Any) -> str | None:
    """The optimizer's lower-case name (``None`` when the run does not say)."""
    if name is None:
        return None
    return str(name).strip().lower()


# --------------------------------------------------------------------------- facts


def _norm_at(run, index: int) -> float:
    norm = getattr(run, "norm", None)
    if norm is None:
        return math.nan
    v = float(np.asarray(norm, dtype=float)[index])
    return v if math.isfinite(v) and v > 0 else math.nan


def facts_at_memorization(run, *, threshold: float, train_threshold: float | None = None,
                          window: float = 0.0) -> dict[str, Any]:
    """The facts a prediction for ``run`` may use, and what was observed after.

    The keys ``learning_rate``, ``weight_decay``, ``optimizer``, ``init_scale``,
    ``train_fraction``, ``norm_post`` come from ``run.hyper``; ``t_mem``, ``norm_mem`` (the
    norm at the memorization record) and ``norm_init`` (the norm at the first record, when
    it is step 0) from the log cut at ``t_mem + window``, so the facts are the same whether the
    whole log or ``run.until(t_mem + ...)`` is given. The observation keys ``delay`` (observed,
    NaN when censored), ``bound`` (the censored lower bound, NaN otherwise) come from the whole
    log and are for calibration and scoring only.
    """
    obs = run.milestones(threshold=threshold, train_threshold=train_threshold, window=window)
    hyper = dict(getattr(run, "hyper", {}) or {})
    facts: dict[str, Any] = {
        "name": getattr(run, "name", None),
        "hyper": hyper,
        "optimizer": optimizer_family(hyper.get("optimizer")),
        "t_mem": float(obs.t_mem),
        "delay": math.nan, "bound": math.nan,
    }
    for key in ("learning_rate", "weight_decay", "init_scale", "train_fraction", "norm_post",
                "norm_init"):
        v = hyper.get(key)
        facts[key] = float(v) if isinstance(v, int | float) and not isinstance(v, bool) \
            else math.nan
    steps = np.asarray(run.steps, dtype=float)
    if math.isfinite(obs.t_mem):
        seen = run.until(obs.t_mem + window)       # everything a prediction may read
        i_mem = int(np.searchsorted(np.asarray(seen.steps), obs.t_mem))
        facts["norm_mem"] = _norm_at(seen, i_mem)
        if float(seen.steps[0]) == 0.0 and math.isnan(facts["norm_init"]):
            facts["norm_init"] = _norm_at(seen, 0)
        if math.isfinite(obs.t_grok):
            facts["delay"] = float(obs.t_grok - obs.t_mem)
        else:
            facts["bound"] = float(steps[-1] - obs.t_mem)
    else:
        facts["norm_mem"] = math.nan
        if steps[0] == 0.0 and math.isnan(facts["norm_init"]):
            facts["norm_init"] = _norm_at(run, 0)
    return facts


def facts_from_mapping(hyper: Mapping[str, Any]) -> dict[str, Any]:
    """Facts from a mapping of hyperparameters (arrays allowed), for predictions before or at
    memorization without a log: ``learning_rate``, ``weight_decay``, ``optimizer`` and what the
    law needs (``norm_mem``, ``norm_init`` or ``init_scale``, ``train_fraction``,
    ``norm_post``, ``t_mem``)."""
    if not isinstance(hyper, Mapping):
        raise ParameterError(f"expected a TrainingRun or a mapping of hyperparameters, got "
                        f"{type(hyper).__name__}", "run")
    facts: dict[str, Any] = {"name": None, "hyper": dict(hyper),
                             "optimizer": optimizer_family(hyper.get("optimizer")),
                             "delay": math.nan, "bound": math.nan}
    for key in ("learning_rate", "weight_decay", "init_scale", "train_fraction", "norm_post",
                "norm_init", "norm_mem", "t_mem"):
        v = hyper.get(key)
        if v is None:
            facts[key] = 0.0 if key == "t_mem" else math.nan
            continue
        try:
            arr = np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError(f"{key} = {v!r} is not a number or array of numbers", key) \
                from None
        if np.any(np.isnan(arr)) or np.any(arr < 0) or np.any(np.isinf(arr)):
            raise ParameterError(f"{key} = {v!r} must be finite and >= 0", key)
        facts[key] = float(arr) if arr.ndim == 0 else arr
    return facts


def stack_facts(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Numeric facts of several runs as arrays (one entry per run)."""
    keys = ("learning_rate", "weight_decay", "init_scale", "train_fraction", "norm_post",
            "norm_init", "norm_mem", "t_mem", "delay", "bound")
    return {k: np.array([r[k] for r in rows], dtype=float) for k in keys}


# --------------------------------------------------------------------------- laws


def _missing(facts, key: str) -> bool:
    return bool(np.any(np.isnan(np.asarray(facts.get(key, math.nan), dtype=float))))


class RunLaw:
    """One law as the calibration sees it (subclasses fill in the formulas)."""

    name: str = ""
    needs: tuple[str, ...] = ()
    optimizers: tuple[str, ...] = DECOUPLED
    why_optimizer: str = ""

    def reasons(self, facts: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``[(field, reason)]`` for every premise that fails on these facts (empty: applies)."""
        out: list[tuple[str, str]] = []
        opt = facts.get("optimizer")
        if opt is None:
            out.append(("optimizer", "the run does not say which optimizer it used, and the "
                        "law's rate depends on it (hyper['optimizer'])"))
        elif opt in NO_WEIGHT_DECAY_LAW:
            out.append(("optimizer", _MUON))
        elif opt not in self.optimizers:
            out.append(("optimizer", f"optimizer = {opt!r}: {self.why_optimizer}"))
        if _missing(facts, "learning_rate"):
            out.append(("learning_rate", "the run gives no learning rate (hyper"
                        "['learning_rate'])"))
        if _missing(facts, "weight_decay"):
            out.append(("weight_decay", "the run gives no weight decay (hyper['weight_decay'])"))
        elif np.any(np.asarray(facts["weight_decay"]) <= 0):
            out.append(("weight_decay", "weight_decay = 0: no weight decay contracts the norm, "
                        "the premise of every weight-decay law (AdamW runs without it still "
                        "grok, with a growing norm, by some other mechanism)"))
        if "t_mem" in self.needs and not np.all(np.isfinite(facts.get("t_mem", math.nan))):
            out.append(("train_acc", "the train accuracy never reaches its threshold: there is "
                        "no memorization to predict from"))
        for key, what in (("norm_mem", "the parameter norm at memorization (a 'norm' column)"),
                          ("norm_init", "the parameter norm at initialization (a norm record "
                                        "at step 0, or hyper['norm_init'])"),
                          ("norm_post", "the post-grokking norm hyper['norm_post'], which a "
                                        "run knows only after grokking")):
            if key in self.needs and _missing(facts, key):
                if key == "norm_mem" and not np.all(np.isfinite(facts.get("t_mem", math.nan))):
                    continue
                out.append((key if key != "norm_mem" else "norm", f"the law needs {what}"))
        return out

    def check(self, facts: Mapping[str, Any]) -> None:
        """Raise :class:`NotApplicable` naming the first failed premise (all are listed)."""
        bad = self.reasons(facts)
        if bad:
            label = facts.get("name") or "this run"
            raise NotApplicable(f"{self.name} does not apply to {label}: "
                                + "; ".join(r for _, r in bad), bad[0][0], self.name)

    # formulas ---------------------------------------------------------------
    def names(self, F) -> list[str]:
        raise NotImplementedError

    def mu(self, theta: np.ndarray, F) -> np.ndarray:
        raise NotImplementedError

    def start(self, F, y: np.ndarray) -> tuple[np.ndarray, list[tuple[float, float]]]:
        raise NotImplementedError

    def constants(self, theta: np.ndarray) -> dict[str, float]:
        raise NotImplementedError

    def params(self, constants: Mapping[str, float], F):
        raise NotImplementedError

    def no_gap(self, theta: np.ndarray, F) -> np.ndarray:
        """Where the law predicts no delay (the norm is already at its target)."""
        return np.zeros(np.shape(F["learning_rate"]), bool)


class _GapLaw(RunLaw):
    """``mu = a + log(log X - b) - log(eta lambda)``: a log-ratio closed by weight decay.

    first_passage: X = V_mem, b = log V_star, a = -log(2 kappa);
    two_phase: X = alpha w_0 (the initial norm), b = log w_c, a = log c.
    """

    key = ""

    def log_x(self, F) -> np.ndarray:
        raise NotImplementedError

    def names(self, F):
        return ["a", "b"]

    def mu(self, theta, F):
        a, b = theta[0], theta[1]
        gap = self.log_x(F) - b
        with np.errstate(divide="ignore", invalid="ignore"):
            return (a + np.log(np.where(gap > 0, gap, np.nan)) - np.log(F["learning_rate"])
                    - np.log(F["weight_decay"]))

    def no_gap(self, theta, F):
        return self.log_x(F) <= theta[1]

    def start(self, F, y):
        lx = self.log_x(F)
        top = float(np.min(lx))
        # b is profiled on a grid for the start; a is then the mean residual
        best = None
        for b in top - np.geomspace(1e-3, 20.0, 200):
            base = np.log(lx - b) - np.log(F["learning_rate"]) - np.log(F["weight_decay"])
            a = float(np.mean(y - base))
            sse = float(np.sum((y - a - base) ** 2))
            if best is None or sse < best[0]:
                best = (sse, a, b)
        _, a, b = best
        return np.array([a, b]), [(-60.0, 60.0), (top - 60.0, top - 1e-9)]


class FirstPassageLaw(_GapLaw):
    name = "first_passage"
    needs = ("t_mem", "norm_mem")
    why_optimizer = ("the first-passage law contracts V at 2 kappa eta lambda, the rate of "
                     "decoupled weight decay (AdamW) or SGD's; with L2 through Adam the decay "
                     "is divided by sqrt(v_hat) and eta lambda is not its rate (use power_law)")

    def log_x(self, F):
        return 2.0 * np.log(F["norm_mem"])

    def constants(self, theta):
        return {"kappa": 0.5 * math.exp(-theta[0]), "norm_star": math.exp(0.5 * theta[1])}

    def params(self, c, F):
        from .first_passage import FirstPassage
        return FirstPassage(learning_rate=F["learning_rate"], weight_decay=F["weight_decay"],
                            norm_mem=F["norm_mem"], norm_star=c["norm_star"], kappa=c["kappa"],
                            t_mem=F["t_mem"])


class TwoPhaseLaw(_GapLaw):
    name = "two_phase"
    needs = ("norm_init",)
    why_optimizer = ("the two-phase law's slow phase is the flow of decoupled weight decay "
                     "(rate eta lambda); with L2 through Adam that rate is preconditioned away "
                     "(use power_law)")

    def log_x(self, F):
        return np.log(F["norm_init"])

    def constants(self, theta):
        return {"constant": math.exp(theta[0]), "norm_c": math.exp(theta[1])}

    def params(self, c, F):
        from .two_phase import TwoPhaseDecay
        alpha = np.where(np.isnan(F["init_scale"]), 1.0, F["init_scale"])
        return TwoPhaseDecay(learning_rate=F["learning_rate"], weight_decay=F["weight_decay"],
                             norm_init=F["norm_init"] / alpha, norm_c=c["norm_c"],
                             init_scale=alpha, constant=c["constant"],
                             t_mem=np.where(np.isfinite(F["t_mem"]), F["t_mem"], 0.0))


class PowerLawLaw(RunLaw):
    """``mu = log C + a log eta + b log lambda + c log r``, exponents fitted where they vary."""

    name = "power_law"
    needs = ()
    optimizers = DECOUPLED + COUPLED_ADAPTIVE
    why_optimizer = "the empirical power law is calibrated for sgd, adamw and adam_l2 runs"
    THEORY = {"exponent_lr": -1.0, "exponent_wd": -1.0, "exponent_fraction": 0.0}
    _COLUMN = {"exponent_lr": "learning_rate", "exponent_wd": "weight_decay",
               "exponent_fraction": "train_fraction"}

    def __init__(self, free: tuple[str, ...] = (), basis: np.ndarray | None = None):
        self.free = tuple(free)
        #: exponents of ``free`` = base + basis @ theta[1:]; the identity (base 0: theta holds
        #: the exponents) unless the pilots vary some hyperparameters only together
        self.basis = np.eye(len(self.free)) if basis is None else np.asarray(basis, float)
        self.full_rank = self.basis.shape[1] == len(self.free)
        self._base = np.array([0.0 if self.full_rank else self.THEORY[k] for k in self.free])

    @classmethod
    def spanning(cls, F) -> PowerLawLaw:
        """The law with an exponent free for each hyperparameter the runs vary (by > 10%).

        Where the runs vary several of them only together (pilots from two cells that differ
        in both learning rate and weight decay), only the combinations they vary independently
        are fitted: the exponents move away from the theory's values along the directions the
        runs identify (rms spread > 5% in log space) and stay at them in the others.
        """
        free = []
        for name, col in cls._COLUMN.items():
            x = np.asarray(F[col], dtype=float)
            if np.all(np.isfinite(x)) and np.all(x > 0) and np.ptp(np.log(x)) > math.log(1.1):
                free.append(name)
        if not free:
            return cls(())
        logs = cls._logs_of(F)
        X = np.column_stack([logs[k] for k in free])
        X = X - X.mean(axis=0)
        _, sv, vt = np.linalg.svd(X, full_matrices=False)
        keep = sv / math.sqrt(len(X)) > 0.5 * math.log(1.1)
        if keep.all():
            return cls(tuple(free))
        return cls(tuple(free), vt[keep].T)

    def collinearity(self) -> str | None:
        """Which exponents the pilots identify only in combination (``None``: all of them)."""
        if self.full_rank:
            return None
        combos = []
        for col in self.basis.T:
            col = col / col[np.argmax(np.abs(col))]
            combos.append(" + ".join(f"{c:.3g} {k}" for c, k in zip(col, self.free)
                                     if abs(c) > 1e-12))
        return ("the pilots vary " + ", ".join(self.free) + " only together: fitted along "
                + "; ".join(combos) + ", the rest held at the theory's values ("
                + ", ".join(f"{k} = {self.THEORY[k]:g}" for k in self.free) + ")")

    def names(self, F):
        if self.full_rank:
            return ["log_constant", *self.free]
        return ["log_constant", *(f"direction_{i + 1}" for i in range(self.basis.shape[1]))]

    @staticmethod
    def _logs_of(F):
        r = np.where(np.isnan(F["train_fraction"]), 1.0, F["train_fraction"])
        return {"exponent_lr": np.log(F["learning_rate"]),
                "exponent_wd": np.log(F["weight_decay"]), "exponent_fraction": np.log(r)}

    def _logs(self, F):
        return self._logs_of(F)

    def _exponents(self, theta):
        e = dict(self.THEORY)
        if self.free:
            e.update(zip(self.free, self._base + self.basis @ np.asarray(theta[1:])))
        return e

    def mu(self, theta, F):
        logs = self._logs(F)
        return theta[0] + sum(v * logs[k] for k, v in self._exponents(theta).items())

    def start(self, F, y):
        logs = self._logs(F)
        fixed = sum(self.THEORY[k] * logs[k] for k in self.THEORY if k not in self.free)
        Z = np.column_stack([logs[k] for k in self.free]) if self.free else \
            np.zeros((len(y), 0))
        fixed = fixed + Z @ self._base
        X = np.column_stack([np.ones_like(y), Z @ self.basis])
        theta, *_ = np.linalg.lstsq(X, y - fixed, rcond=None)
        return theta, [(-200.0, 200.0)] + [(-10.0, 10.0)] * self.basis.shape[1]

    def constants(self, theta):
        return {"constant": math.exp(theta[0]),
                **{k: float(v) for k, v in self._exponents(theta).items()}}

    def params(self, c, F):
        from .power_law import PowerLaw
        r = np.where(np.isnan(F["train_fraction"]), 1.0, F["train_fraction"])
        return PowerLaw(learning_rate=F["learning_rate"], weight_decay=F["weight_decay"],
                        train_fraction=r, constant=c["constant"], exponent_lr=c["exponent_lr"],
                        exponent_wd=c["exponent_wd"], exponent_fraction=c["exponent_fraction"],
                        t_mem=np.where(np.isfinite(F["t_mem"]), F["t_mem"], 0.0))


class NormSeparationLaw(RunLaw):
    """``mu = log C + log k*``, k* the exact pure-decay count of the norm-separation law (arXiv 2603.13331)."""

    name = "norm_separation"
    needs = ("t_mem", "norm_mem", "norm_post")
    why_optimizer = "the norm-separation law's (arXiv 2603.13331) is stated for SGD and AdamW"

    def names(self, F):
        return ["log_constant"]

    def _log_k(self, F):
        from ._contraction import contraction_steps
        with np.errstate(divide="ignore"):
            return np.log(contraction_steps(F["norm_mem"], F["norm_post"],
                                            F["learning_rate"] * F["weight_decay"]))

    def mu(self, theta, F):
        k = self._log_k(F)
        return theta[0] + np.where(np.isfinite(k), k, np.nan)

    def no_gap(self, theta, F):
        return F["norm_post"] >= F["norm_mem"]

    def start(self, F, y):
        return np.array([float(np.mean(y - self._log_k(F)))]), [(-60.0, 60.0)]

    def constants(self, theta):
        return {"constant": math.exp(theta[0])}

    def params(self, c, F):
        from .norm_separation import NormSeparation
        opt = "adamw"
        return NormSeparation(learning_rate=F["learning_rate"], weight_decay=F["weight_decay"],
                              norm_mem=F["norm_mem"], norm_post=F["norm_post"], t_mem=F["t_mem"],
                              optimizer=opt)


#: The laws ``calibrate`` knows, by mechanism name (power_law's free exponents are chosen
#: from the pilot runs).
LAWS: dict[str, type[RunLaw] | RunLaw] = {
    "first_passage": FirstPassageLaw(),
    "two_phase": TwoPhaseLaw(),
    "power_law": PowerLawLaw(),
    "norm_separation": NormSeparationLaw(),
}

r"""Which theories' premises hold on a training run, and why not.

:func:`diagnose` reads a run's hyperparameters and log and, for every registered mechanism,
says whether a prediction can be asked of it: weight decay present; the optimizer's semantics
(decoupled AdamW or SGD decay, coupled L2 through Adam, Muon); the inputs the mechanism needs
and the run lacks; and, when the log goes on past memorization, whether the norm then
contracts, with its measured rate against the :math:`2\eta\lambda` of pure decay of
:math:`V = \|\theta\|^2`. That last check reads the log after memorization, so it is a
diagnosis of a finished run, not something a prediction at memorization can use (on
``run.until(t_mem)`` it reports "not yet measurable").
"""

from __future__ import annotations

import dataclasses
import html
import math
from typing import Any

import numpy as np

from ._core import REQUIRED, ArgumentTypeError, mechanisms
from ._run_laws import LAWS, facts_at_memorization

__all__ = ["Diagnosis", "diagnose", "contraction_rate"]

#: Laws whose premise is a norm that contracts after memorization.
_CONTRACTING = ("first_passage", "two_phase", "norm_separation")


def contraction_rate(steps, norms, start: float, stop: float) -> float:
    """The contraction rate of :math:`V = \\|\\theta\\|^2` per step between two steps.

    The negative OLS slope of :math:`\\log V` against the step over the records in
    ``[start, stop]`` (positive: V contracts; negative: it grows). NaN with fewer than three
    records.
    """
    s = np.asarray(steps, dtype=float)
    v = np.asarray(norms, dtype=float)
    m = (s >= start) & (s <= stop) & np.isfinite(v) & (v > 0)
    if m.sum() < 3:
        return math.nan
    x, y = s[m], 2.0 * np.log(v[m])
    xc = x - x.mean()
    return float(-(xc @ (y - y.mean())) / (xc @ xc))


@dataclasses.dataclass(frozen=True, eq=False)
class Diagnosis:
    """Per mechanism: do its premises hold on the run, and why not.

    Attributes
    ----------
    run : str
        The run's name.
    rows : tuple of dict
        One per registered mechanism: ``mechanism``, ``applies`` (bool), ``reasons`` (tuple
        of str: every failed premise in words; for an applicable law, what was checked).
    measured : mapping
        What was read off the run: ``t_mem``, ``t_grok``, ``norm_mem``, ``norm_end``,
        ``contraction_rate`` (of V per step after memorization), ``rate_over_2_eta_lambda``.
    """

    run: str
    rows: tuple[dict[str, Any], ...]
    measured: dict[str, Any]

    @property
    def applicable(self) -> list[str]:
        """The mechanisms whose premises hold."""
        return [r["mechanism"] for r in self.rows if r["applies"]]

    def __getitem__(self, mechanism: str) -> dict[str, Any]:
        for r in self.rows:
            if r["mechanism"] == mechanism:
                return r
        raise KeyError(f"{mechanism!r} is not a registered mechanism; known: "
                       + ", ".join(r["mechanism"] for r in self.rows))

    def to_table(self):
        """The rows as a :class:`~grokdelay.Table` (reasons joined by '; ')."""
        from .sweep import Table

        return Table({"mechanism": np.array([r["mechanism"] for r in self.rows], dtype=object),
                      "applies": np.array([r["applies"] for r in self.rows]),
                      "reasons": np.array(["; ".join(r["reasons"]) for r in self.rows],
                                          dtype=object)}, meta={"run": self.run})

    def to_pandas(self):
        """The rows as a pandas DataFrame (needs pandas)."""
        return self.to_table().to_pandas()

    def __repr__(self) -> str:
        refused = [r["mechanism"] for r in self.rows if not r["applies"]]
        ok = ", ".join(self.applicable) or "none"
        return (f"Diagnosis({self.run!r}, applies: {ok}; does not apply: {len(refused)} "
                f"({', '.join(refused[:3])}{', ...' if len(refused) > 3 else ''}); "
                "str() or the table gives the reasons)")

    def __str__(self) -> str:
        lines = [f"diagnosis of {self.run}: " + ", ".join(
            f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
            for k, v in self.measured.items())]
        for r in self.rows:
            mark = "applies" if r["applies"] else "does not apply"
            lines.append(f"  {r['mechanism']}: {mark}")
            lines += [f"      - {why}" for why in r["reasons"]]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><td>{html.escape(r['mechanism'])}</td>"
            f"<td style='color:{'green' if r['applies'] else 'firebrick'}'>"
            f"{'yes' if r['applies'] else 'no'}</td><td><ul>"
            + "".join(f"<li>{html.escape(w)}</li>" for w in r["reasons"]) + "</ul></td></tr>"
            for r in self.rows)
        meas = ", ".join(f"{html.escape(k)} = {v:.4g}" if isinstance(v, float) else
                         f"{html.escape(k)} = {html.escape(str(v))}"
                         for k, v in self.measured.items())
        return (f"<b>Diagnosis of {html.escape(self.run)}</b><br><small>{meas}</small>"
                "<table><tr><th>mechanism</th><th>applies</th><th>why</th></tr>"
                f"{body}</table>")


def diagnose(run, *, threshold: float = 0.95, train_threshold: float | None = None,
             window: float = 0.0) -> Diagnosis:
    """For every registered mechanism: whether its premises hold on this run, and why not.

    Parameters
    ----------
    run : TrainingRun
    threshold, train_threshold, window : float
        How milestones are read (as in ``run.milestones``).

    Returns
    -------
    Diagnosis
        Rows in registration order, a table with reasons in words, ``_repr_html_`` for
        notebooks.

    Examples
    --------
    >>> import grokdelay as gd
    >>> from grokdelay.runs import TrainingRun
    >>> run = TrainingRun([0, 100, 200, 300], [0.1, 1.0, 1.0, 1.0], [0.0, 0.1, 0.5, 1.0],
    ...                   norm=[30.0, 40.0, 35.0, 31.0],
    ...                   hyper={"lr": 1e-3, "wd": 1.0, "optimizer": "adamw"})
    >>> d = gd.diagnose(run)
    >>> d["first_passage"]["applies"], d["linear_teacher_student"]["applies"]
    (True, False)
    """
    if not callable(getattr(run, "milestones", None)) or not hasattr(run, "steps"):
        raise ArgumentTypeError(f"run = {type(run).__name__} is not a TrainingRun (read one "
                                "with grokdelay.read_run or build grokdelay.TrainingRun)", "run")
    facts = facts_at_memorization(run, threshold=threshold, train_threshold=train_threshold,
                                  window=window)
    obs = run.milestones(threshold=threshold, train_threshold=train_threshold, window=window)
    measured: dict[str, Any] = {"optimizer": facts["optimizer"], "t_mem": float(obs.t_mem),
                                "t_grok": float(obs.t_grok), "norm_mem": facts["norm_mem"]}
    contraction: tuple[bool | None, str] = (None, "")
    norm = getattr(run, "norm", None)
    if math.isfinite(obs.t_mem) and norm is not None:
        end = float(obs.t_grok) if math.isfinite(obs.t_grok) else float(run.last_step)
        rate = contraction_rate(run.steps, norm, obs.t_mem, end)
        eta, lam = facts["learning_rate"], facts["weight_decay"]
        measured["contraction_rate"] = rate
        if math.isfinite(rate):
            i_end = int(np.searchsorted(np.asarray(run.steps), end))
            measured["norm_end"] = float(np.asarray(norm)[min(i_end, len(norm) - 1)])
            ref = 2 * eta * lam if math.isfinite(eta * lam) else math.nan
            measured["rate_over_2_eta_lambda"] = rate / ref if ref > 0 else math.nan
            words = (f"V = ||theta||^2 {'contracts' if rate > 0 else 'grows'} after "
                     f"memorization ({measured['norm_mem']:.4g} -> {measured['norm_end']:.4g} "
                     f"by step {end:g}; rate {rate:.3g} per step"
                     + (f" = {rate / ref:.3g} x 2 eta lambda" if ref > 0 else "") + ")")
            contraction = (rate > 0, words)
        else:
            contraction = (None, "the norm after memorization is not yet measurable (fewer "
                                 "than three records past t_mem)")
    rows = []
    for name, cls in mechanisms().items():
        if name in LAWS:
            bad = [why for _, why in LAWS[name].reasons(facts)]
            checked = []
            if name in _CONTRACTING and contraction[0] is not None:
                (checked if contraction[0] else bad).append(
                    contraction[1] + ("" if contraction[0] else ": the law needs the norm to "
                                      "contract"))
            elif name in _CONTRACTING and contraction[1]:
                checked.append(contraction[1])
            if not bad:
                checked.insert(0, f"weight decay {facts['weight_decay']:g} with optimizer "
                               f"{facts['optimizer']!r}: the law's decay premise holds at "
                               "memorization")
            rows.append({"mechanism": name, "applies": not bad,
                         "reasons": tuple(bad or checked)})
        else:
            need = [f for f, (_, d) in cls.field_specs().items() if d is REQUIRED]
            rows.append({"mechanism": name, "applies": False, "reasons": (
                f"an idealized model ({cls.__name__}): it needs "
                + ", ".join(need) + ", which a training log does not give; use it with "
                "grokdelay.predict_delay on those inputs",)})
    return Diagnosis(str(getattr(run, "name", None) or "run"), tuple(rows), measured)

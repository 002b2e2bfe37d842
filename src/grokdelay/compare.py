"""Every mechanism on one default scenario, side by side (``grokdelay compare``).

The scenario is the modular-addition run of the Analytical Proof notes, section 4.1: p = 97, width
N = 512, alpha = 0, learning rate 1e-3, weight decay lambda = 1.0 *in the loss* (Analytical Proof notes, eq 2:
``F = L + lambda ||theta||^2``, gradient ``2 lambda theta``), i.e. ``weight_decay = 2.0`` in
grokdelay's convention, full-batch training (one epoch = one step), train fraction
rho = 0.3 (section 1.2). Observed: t_mem = 200 epochs, t_grok = 14,600 epochs, ratio 73.

Each mechanism needs inputs the run does not state (a kernel spectrum, a barrier, norms);
:mod:`grokdelay.scenarios` supplies them with the source of each, built once per process
(see :func:`scenarios`, re-exported here).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._core import DelayPrediction, predict_delay
from .scenarios import OBSERVED, REFERENCES, RUN, scenarios

__all__ = ["OBSERVED", "SCENARIO", "scenarios", "compare", "format_table", "plot_comparison"]

#: The shared inputs of the default scenario (an alias of :data:`grokdelay.scenarios.RUN`).
SCENARIO = RUN


def compare(method: dict[str, str] | None = None) -> list[DelayPrediction]:
    """Predict the default scenario with every registered mechanism.

    Parameters
    ----------
    method : dict, optional
        ``{mechanism: method}`` overrides; other mechanisms use their default method.

    Returns
    -------
    list of DelayPrediction
        One per mechanism, in registry order.
    """
    method = method or {}
    return [predict_delay(sc.params, method=method.get(name))
            for name, sc in scenarios().items()]


def _num(x: Any) -> str:
    x = float(np.asarray(x))
    if math.isinf(x):
        return "inf"
    return f"{x:.4g}"


def format_table(rows: list[DelayPrediction], *, with_notes: bool = True) -> str:
    """A plain-text table of predictions next to the observed run."""
    head = ("mechanism", "method", "units", "t_mem", "t_grok", "delay", "ratio", "log_delay")
    body = [(r.mechanism, r.method, r.units, _num(r.t_mem), _num(r.t_grok), _num(r.delay),
             _num(r.ratio), f"{float(r.log_delay):.4g}") for r in rows]
    obs = ("observed (notes, 4.1)", "-", "steps", _num(OBSERVED["t_mem"]),
           _num(OBSERVED["t_grok"]), _num(OBSERVED["delay"]), _num(OBSERVED["ratio"]),
           f"{math.log(OBSERVED['delay']):.4g}")
    table = [head, *body, obs]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    line = lambda row: "  ".join(c.ljust(w) if i < 3 else c.rjust(w)  # noqa: E731
                                 for i, (c, w) in enumerate(zip(row, widths)))
    out = [
        "Scenario: the modular-addition run of section 4.1 of \"Analytical Proof of Grokking "
        "Delay\" (unpublished notes): p = 97, N = 512, alpha = 0, eta = 1e-3, weight_decay = 2.0 "
        "[the notes' lambda = 1.0 in the loss], full batch",
        "",
        line(head),
        line(tuple("-" * w for w in widths)),
        *(line(r) for r in body),
        line(tuple("-" * w for w in widths)),
        line(obs),
    ]
    if with_notes:
        scs = scenarios()
        out.append("")
        for r in rows:
            sc = scs.get(r.mechanism)
            if sc is not None and sc.summary:
                out.append(f"{r.mechanism}: {sc.summary}")
            for n in r.notes:
                out.append(f"    note: {n}")
        out.append("")
        out.append("Inputs and their sources: grokdelay.compare.scenarios(); "
                   "units 'time' are the theory's continuous time, not steps.")
        out.append("References:")
        out += [f"    {short}: {full}" for short, full in REFERENCES.items()]
    return "\n".join(out)


def plot_comparison(rows: list[DelayPrediction], ax=None):
    """Log-scale chart of the predictions with the observed run as reference.

    See :func:`grokdelay.plotting.plot_comparison`.
    """
    from .plotting import plot_comparison as _plot

    return _plot(rows, ax=ax, observed=OBSERVED)

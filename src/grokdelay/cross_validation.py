r"""Cross-validate a real-run law: leave one group of runs out, predict it, compare.

:func:`cross_validate` holds out one group of runs at a time (a hyperparameter cell's seeds, one
run, or any grouping), calibrates (:func:`grokdelay.calibrate`) on the other groups and predicts
the held-out runs at their memorization. The summary puts the law's error next to the floor that
seed-to-seed noise sets (how well the other seeds of the same cell predict each run), so a bad
law can be told from noisy runs. :func:`plot_predictions` draws predicted against observed
delay on log axes, with the intervals and the runs a law refused.
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._core import NotApplicable, ParameterError
from ._parallel import parallel_map
from ._run_laws import LAWS
from .calibration import Calibration, calibrate, check_flag, check_level, law_names, pilot_facts

__all__ = ["CrossValidation", "cross_validate", "plot_predictions"]


# --------------------------------------------------------------------------- cross-validation


def _cell_key(run) -> tuple:
    hyper = dict(getattr(run, "hyper", {}) or {})
    return tuple(sorted((k, repr(v)) for k, v in hyper.items() if k != "seed"))


def _group_keys(runs, groups) -> list:
    if groups == "cell":
        return [_cell_key(r) for r in runs]
    if groups == "run":
        return list(range(len(runs)))
    if callable(groups):
        return [groups(r) for r in runs]
    if isinstance(groups, Sequence) and not isinstance(groups, str):
        if len(groups) != len(runs):
            raise ParameterError(f"groups has {len(groups)} entries for {len(runs)} runs",
                                 "groups")
        return list(groups)
    raise ParameterError(f"groups = {groups!r} is not 'cell', 'run', a function of a run or a "
                         "sequence of labels", "groups")


@dataclasses.dataclass(frozen=True, eq=False)
class CrossValidation:
    """Held-out predictions per run and their summary.

    Attributes
    ----------
    table : Table
        One row per run: ``run``, ``optimizer``, ``weight_decay``, ``status`` ("predicted",
        "censored" or "refused"), ``mechanism``, ``observed`` (delay; the lower bound when
        censored), ``predicted``, ``lo``, ``hi``, ``ape`` (absolute percentage error, %),
        ``covers``, ``floor_ape`` (the error of predicting the run by its cell's other seeds),
        ``reason`` (why a run was refused).
    summary : mapping
        ``n_predicted``, ``mape``, ``median_ape``, ``coverage``, ``floor_mape`` (on the runs
        that have other seeds), ``mape_on_floor_runs``, ``n_censored``,
        ``censored_consistent``, ``n_refused``, ``level``.
    """

    table: Any
    summary: Mapping[str, Any]

    def by(self, column: str) -> dict[Any, dict[str, Any]]:
        """The summary recomputed per value of a column (e.g. ``"optimizer"``, ``"mechanism"``)."""
        t = self.table
        out = {}
        for key in dict.fromkeys(t[column].tolist()):
            out[key] = _summarize(t.where(t[column] == key), self.summary["level"])
        return out

    def __str__(self) -> str:
        s = self.summary
        return (f"cross-validation: {s['n_predicted']} predicted, MAPE {s['mape']:.1f}% "
                f"(median {s['median_ape']:.1f}%), coverage {s['coverage']:.0%} at level "
                f"{s['level']:g}; seed-noise floor {s['floor_mape']:.1f}% (law on the same runs "
                f"{s['mape_on_floor_runs']:.1f}%); {s['n_censored']} censored "
                f"({s['censored_consistent']} consistent), {s['n_refused']} refused")

    def __repr__(self) -> str:
        return f"CrossValidation({str(self)[len('cross-validation: '):]})"

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(str(self))}</p>" + self.table._repr_html_()

    def plot(self, ax=None, **kwargs):
        """:func:`plot_predictions` of this cross-validation."""
        return plot_predictions(self, ax=ax, **kwargs)


def _nanmean(x) -> float:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else math.nan


def _summarize(t, level: float) -> dict[str, Any]:
    pred = t["status"] == "predicted"
    ape = t["ape"][pred].astype(float)
    floor = t["floor_ape"].astype(float)
    both = pred & np.isfinite(floor)
    cens = t["status"] == "censored"
    return {"n_predicted": int(pred.sum()),
            "mape": _nanmean(ape),
            "median_ape": float(np.median(ape)) if ape.size else math.nan,
            "coverage": _nanmean(t["covers"][pred].astype(float)),
            "floor_mape": _nanmean(floor[both]),
            "mape_on_floor_runs": _nanmean(t["ape"][both].astype(float)),
            "n_censored": int(cens.sum()),
            "censored_consistent": int(np.sum(t["covers"][cens].astype(bool))),
            "n_refused": int(np.sum(t["status"] == "refused")),
            "level": level}


def _floor(facts: list[dict[str, Any]], cells: list) -> np.ndarray:
    """APE of predicting each run by the geometric mean of its cell's other grokked seeds."""
    out = np.full(len(facts), math.nan)
    for i, f in enumerate(facts):
        d = f["delay"]
        if not (math.isfinite(d) and d > 0):
            continue
        others = [g["delay"] for j, g in enumerate(facts)
                  if j != i and cells[j] == cells[i] and math.isfinite(g["delay"])
                  and g["delay"] > 0]
        if others:
            guess = math.exp(float(np.mean(np.log(others))))
            out[i] = 100.0 * abs(guess - d) / d
    return out


def _refusal(names: list[str], facts: dict[str, Any]) -> str:
    """Why no law among ``names`` applies to a run, each distinct reason once."""
    if not math.isfinite(facts["t_mem"]):
        return "the run never memorizes: no prediction at memorization exists"
    why = dict.fromkeys(r for n in names for _, r in LAWS[n].reasons(facts))
    return ("no law applies: " if len(names) > 1 else f"{names[0]} does not apply: ") + \
        "; ".join(why)


def _calibrate_or_reason(job) -> Calibration | str:
    """One held-out group's calibration, or why there is none (a top-level function, so a
    process pool can run it)."""
    pilots, (mechanism, threshold, train_threshold, window, level) = job
    if not pilots:
        return "no other runs of this optimizer to calibrate on"
    try:
        return calibrate(pilots, mechanism, threshold=threshold,
                         train_threshold=train_threshold, window=window, level=level)
    except ParameterError as exc:       # NotApplicable included
        return f"no calibration: {exc}"


def cross_validate(runs, mechanism: str = "auto", *, groups: Any = "cell",
                   threshold: float = 0.95, train_threshold: float | None = None,
                   window: float = 0.0, level: float = 0.8, extrapolate: bool = False,
                   executor: Any = None) -> CrossValidation:
    """Leave-one-group-out: calibrate on the other groups, predict the held-out runs.

    Each held-out run is predicted by a calibration on the runs of the other groups that share
    its optimizer and on which the law's premises hold (the held-out run's premises are checked
    on what it shows at memorization only). Runs whose premises fail are refused with the
    reason, never given a number.

    Parameters
    ----------
    runs : sequence of TrainingRun
    mechanism : str
        As in :func:`calibrate` (``"auto"`` chooses per held-out group, on its training runs).
    groups : "cell", "run", callable or sequence
        ``"cell"``: hold out all seeds of a hyperparameter cell together (the cell is
        ``run.hyper`` without ``seed``); ``"run"``: one run at a time (the other seeds of its
        cell stay in the calibration); a function of a run giving its group label; or one
        label per run.
    threshold, train_threshold, window, level
        As in :func:`calibrate`.
    extrapolate : bool
        As in :meth:`Calibration.predict`: by default a held-out run with a hyperparameter
        outside its calibration's pilot range is refused with that reason (leaving a whole
        cell out usually does that); ``True`` scores the law's extrapolation instead.
    executor : concurrent.futures.Executor or dask Client, optional
        Runs the held-out groups' calibrations (independent of each other) on it: a process
        pool, or a Dask cluster's ``Client.get_executor()``. The result equals the serial one.

    Returns
    -------
    CrossValidation
        Per-run rows and a summary with MAPE, median error, coverage of the intervals and the
        seed-noise floor: how well the other seeds of the same cell predict each run.
    """
    from .sweep import Table

    level = check_level(level)
    extrapolate = check_flag(extrapolate, "extrapolate")
    runs = list(runs)
    facts = pilot_facts(runs, threshold, train_threshold, window)
    keys = _group_keys(runs, groups)
    cells = [_cell_key(r) for r in runs]
    floor = _floor(facts, cells)
    names = law_names() if mechanism == "auto" else [mechanism]
    usable = [any(not LAWS[n].reasons(f) for n in names) and math.isfinite(f["t_mem"])
              for f in facts]
    train_of = [tuple(j for j in range(len(runs)) if keys[j] != keys[i] and usable[j]
                      and facts[j]["optimizer"] == f["optimizer"]) for i, f in enumerate(facts)]
    todo = list(dict.fromkeys(t for i, t in enumerate(train_of) if usable[i]))
    settings = (mechanism, threshold, train_threshold, window, level)
    done = parallel_map(_calibrate_or_reason,
                        [([runs[j] for j in t], settings) for t in todo], executor=executor,
                        describe=lambda job: f"the calibration on {len(job[0])} runs",
                        field="runs")
    cache: dict[tuple, Calibration | str] = dict(zip(todo, done))
    rows = []
    for i, (run, f) in enumerate(zip(runs, facts)):
        row = {"run": f.get("name") or str(i), "optimizer": str(f["optimizer"]),
               "weight_decay": f["weight_decay"], "status": "refused", "mechanism": "",
               "observed": f["delay"] if math.isfinite(f["delay"]) else f["bound"],
               "predicted": math.nan, "lo": math.nan, "hi": math.nan, "ape": math.nan,
               "covers": False, "floor_ape": floor[i], "reason": ""}
        if not usable[i]:
            row["reason"] = _refusal(names, f)
            rows.append(row)
            continue
        cal = cache[train_of[i]]
        if isinstance(cal, str):
            row["reason"] = cal
            rows.append(row)
            continue
        try:
            pred = cal.predict(run, extrapolate=extrapolate)
        except NotApplicable as exc:
            row["reason"] = str(exc)
            rows.append(row)
            continue
        lo, hi = pred.extra["interval"]
        row.update(mechanism=cal.mechanism, predicted=float(pred.delay), lo=lo, hi=hi)
        if math.isfinite(f["delay"]):
            row["status"] = "predicted"
            row["ape"] = 100.0 * abs(row["predicted"] - f["delay"]) / f["delay"]
            row["covers"] = bool(lo <= f["delay"] <= hi)
        else:
            row["status"] = "censored"
            row["covers"] = bool(hi >= f["bound"])     # consistent with the lower bound
        rows.append(row)
    cols = {k: [r[k] for r in rows] for k in rows[0]} if rows else {}
    table = Table({k: np.array(v, dtype=object if k in ("run", "optimizer", "status",
                                                        "mechanism", "reason") else float
                               if k != "covers" else bool) for k, v in cols.items()},
                  meta={"mechanism": mechanism, "groups": str(groups), "level": level,
                        "extrapolate": bool(extrapolate)})
    return CrossValidation(table, _summarize(table, level))


# --------------------------------------------------------------------------- plotting


def plot_predictions(cv: CrossValidation, ax=None, *, title: str | None = None):
    """Predicted against observed delay on log axes, with intervals and the refused runs.

    Predicted runs are points with their interval (vertical bars), coloured by optimizer;
    censored runs are drawn at their lower bound with a right-pointing marker; refused runs
    are ticks on the bottom axis at their observed delay (no prediction exists for them). The
    diagonal is a perfect prediction, the band around it +-25%.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5))
    t = cv.table
    obs, pred = t["observed"].astype(float), t["predicted"].astype(float)
    status = t["status"]
    shown = np.isfinite(obs) & (obs > 0)
    finite = np.concatenate([obs[shown], pred[np.isfinite(pred)]])
    lo_ax, hi_ax = (finite.min() / 2, finite.max() * 2) if finite.size else (1.0, 10.0)
    grid = np.geomspace(lo_ax, hi_ax, 50)
    ax.plot(grid, grid, color="0.3", lw=1)
    ax.fill_between(grid, grid * 0.75, grid * 1.25, color="0.85", lw=0, label="+-25%")
    colours = {}
    for opt in dict.fromkeys(t["optimizer"].tolist()):
        colours[opt] = f"C{len(colours)}"
    for kind, marker in (("predicted", "o"), ("censored", ">")):
        m = status == kind
        for opt, c in colours.items():
            mm = m & (t["optimizer"] == opt)
            if not mm.any():
                continue
            err = np.vstack([pred[mm] - t["lo"][mm].astype(float),
                             t["hi"][mm].astype(float) - pred[mm]])
            ax.errorbar(obs[mm], pred[mm], yerr=err, fmt=marker, color=c, ms=5, capsize=2,
                        label=f"{opt} ({kind})" if kind == "censored" else opt)
    refused = (status == "refused") & shown
    if refused.any():
        ax.plot(obs[refused], np.full(int(refused.sum()), lo_ax * 1.15), "|", color="k", ms=12,
                label=f"refused ({int(refused.sum())}): no law applies")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo_ax, hi_ax)
    ax.set_ylim(lo_ax, hi_ax)
    ax.set_xlabel("observed delay t_grok - t_mem (steps)")
    ax.set_ylabel("predicted at memorization (steps)")
    s = cv.summary
    ax.set_title(title or f"MAPE {s['mape']:.1f}%, coverage {s['coverage']:.0%} "
                          f"(floor {s['floor_mape']:.1f}%)", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    return ax

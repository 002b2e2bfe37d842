"""Cross-validated predictions of real runs: the table and figure of docs/predicting_runs.rst.

Run by hand (not in CI):  python benchmarks/real_runs.py [--quick]

Protocols, each scored only on runs the calibration did not see, each figure next to the
seed-noise floor (how well the other seeds of the same hyperparameter cell predict a run):

* "4 pilots / 2 cells": for every choice of two seeds in each of two cells of one corpus and
  optimizer, calibrate on those 4 runs and predict every other run of that optimizer (the
  Done-when protocol of issue 13); errors pooled over all choices.
* "leave one cell out" and "leave one run out": gd.cross_validate with groups="cell" / "run".
* "across architectures": calibrate on the fu2026 transformer pilots, predict the reference
  trainer's MLP runs of the same optimizer (only when grokdelay.trainer is installed).

Milestones: test accuracy 0.95 (grokking), train accuracy 0.99 (memorization; the fu2026
authors' thresholds). Intervals at level 0.8. Writes benchmarks/results/real_runs.json,
docs/_static/real_runs_table.csv and docs/_static/real_runs_pred_vs_obs.png.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

import grokdelay as gd

ROOT = Path(__file__).resolve().parents[1]
LAWS = ("auto", "first_passage", "two_phase", "power_law")
KW = {"threshold": 0.95, "train_threshold": 0.99, "level": 0.8}
PUBLISHED = [
    ("published", "arXiv 2605.18845: 26 held-out runs, 1 calibration cell", "adamw",
     "first_passage", 17.7),
    ("published", "arXiv 2603.13331: three-input predictor, 293 runs", "mixed", "norm_separation", 34.6),
]


def cell_of(run) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in run.hyper.items() if k != "seed"))


def floor_ape(run, runs) -> float:
    """APE of predicting ``run`` by the geometric mean of its cell's other grokked seeds."""
    d = run.milestones(KW["threshold"], KW["train_threshold"]).delay
    others = [r.milestones(KW["threshold"], KW["train_threshold"]).delay for r in runs
              if r is not run and cell_of(r) == cell_of(run)]
    others = [o for o in others if math.isfinite(o) and o > 0]
    if not (math.isfinite(d) and d > 0) or not others:
        return math.nan
    return 100.0 * abs(math.exp(np.mean(np.log(others))) - d) / d


def grokking_cells(runs, optimizer):
    """Cells of one optimizer whose premises hold at memorization and with >= 2 grokked seeds."""
    cells: dict[tuple, list] = {}
    for r in runs:
        if r.hyper.get("optimizer") != optimizer:
            continue
        if not any(gd.diagnose(r, train_threshold=KW["train_threshold"])[m]["applies"]
                   for m in LAWS[1:]):
            continue
        cells.setdefault(cell_of(r), []).append(r)
    return [v for v in cells.values()
            if sum(math.isfinite(r.milestones(0.95, 0.99).delay) for r in v) >= 2]


def four_pilot_protocol(runs, optimizer, law, corpus, outside=False):
    """Pool the errors over every choice of 4 pilots from 2 cells. ``outside=False``: the
    default predictions (a run outside the pilots' hyperparameter range is refused);
    ``outside=True``: only those runs, predicted with ``extrapolate=True``."""
    cells = grokking_cells(runs, optimizer)
    rows = {"ape": [], "cover": [], "floor": [], "cens_ok": [], "refused": set(), "chosen": set()}
    if len(cells) < 2:
        return None, f"{len(cells)} cell(s) of {optimizer} with two grokked seeds: needs two"
    n_choices = 0
    for ca, cb in itertools.combinations(cells, 2):
        ga = [r for r in ca if math.isfinite(r.milestones(0.95, 0.99).delay)]
        gb = [r for r in cb if math.isfinite(r.milestones(0.95, 0.99).delay)]
        for pa in itertools.combinations(ga, 2):
            for pb in itertools.combinations(gb, 2):
                pilots = list(pa) + list(pb)
                n_choices += 1
                cal = gd.calibrate(pilots, law, **KW)
                rows["chosen"].add(cal.mechanism)
                for r in runs:
                    if r in pilots or r.hyper.get("optimizer") != optimizer:
                        continue
                    try:
                        p = cal.predict(r, extrapolate=outside)
                    except gd.NotApplicable:
                        rows["refused"].add(r.name)
                        continue
                    if outside and not any(n.startswith("extrapolating") for n in p.notes):
                        continue
                    d = r.milestones(0.95, 0.99)
                    lo, hi = p.extra["interval"]
                    if math.isfinite(d.delay):
                        rows["ape"].append(100 * abs(p.delay - d.delay) / d.delay)
                        rows["cover"].append(lo <= d.delay <= hi)
                        rows["floor"].append(floor_ape(r, runs))
                    else:
                        rows["cens_ok"].append(hi >= r.last_step - d.t_mem)
    f = np.array(rows["floor"])
    if not rows["ape"]:
        return None, "no held-out run to score"
    proto = "4 pilots / 2 cells" + (", outside range (extrapolate=True)" if outside else "")
    return {"protocol": proto, "corpus": corpus, "optimizer": optimizer,
            "law": law, "chosen": "/".join(sorted(rows["chosen"])),
            "choices": n_choices, "n": len(rows["ape"]),
            "mape": float(np.mean(rows["ape"])), "median": float(np.median(rows["ape"])),
            "coverage": float(np.mean(rows["cover"])),
            "floor": float(np.nanmean(f)) if np.isfinite(f).any() else math.nan,
            "censored_consistent": f"{sum(rows['cens_ok'])}/{len(rows['cens_ok'])}",
            "refused": len(rows["refused"])}, None


def cv_row(runs, law, groups, corpus, optimizer, extrapolate=False):
    sub = [r for r in runs if r.hyper.get("optimizer") == optimizer]
    cv = gd.cross_validate(sub, law, groups=groups, extrapolate=extrapolate, **KW)
    s = cv.summary
    chosen = sorted(set(m for m in cv.table["mechanism"].tolist() if m))
    return {"protocol": f"leave one {groups} out" + (" (extrapolate=True)" if extrapolate
                                                      else ""), "corpus": corpus, "optimizer": optimizer,
            "law": law, "chosen": "/".join(chosen), "choices": "", "n": s["n_predicted"],
            "mape": s["mape"], "median": s["median_ape"], "coverage": s["coverage"],
            "floor": s["floor_mape"],
            "censored_consistent": f"{s['censored_consistent']}/{s['n_censored']}",
            "refused": s["n_refused"]}, cv


#: The reference-trainer grid (a two-layer quadratic MLP on (a + b) mod 23, full batch,
#: gd.trainer.QUICK otherwise): optimizer -> (learning rates, weight decays, init scales).
MLP_GRID = {"adamw": ((1e-3, 3e-3), (0.3, 1.0, 3.0), (1.0, 2.0))}
MLP_SEEDS = (0, 1, 2)


def reference_runs(quick: bool):
    """MLP runs from the reference trainer (cached as JSONL), or None without the trainer."""
    try:
        from grokdelay import trainer
    except ImportError:
        return None
    cache = ROOT / "benchmarks" / "results" / "mlp_runs"
    cache.mkdir(parents=True, exist_ok=True)
    out = []
    for opt, (lrs, wds, scales) in MLP_GRID.items():
        if quick:
            lrs, wds, scales = lrs[-1:], wds[1:], scales[:1]
        for lr, wd, sc, seed in itertools.product(lrs, wds, scales, MLP_SEEDS):
            path = cache / f"{opt}_lr{lr:g}_wd{wd:g}_sc{sc:g}_s{seed}.jsonl"
            if not path.exists():
                t = time.perf_counter()
                trainer.train(trainer.QUICK, path=path, optimizer=opt, learning_rate=lr,
                              weight_decay=wd, init_scale=sc, seed=seed, steps=12_000,
                              stop_after_grok=100)
                print(f"trained {path.name} in {time.perf_counter() - t:.1f} s", flush=True)
            out.append(gd.read_run(path))
    return out


def cross_architecture_row(source, target, law, extrapolate=False):
    """Calibrate on 4 fu2026 AdamW pilots (2 seeds x 2 cells), predict every MLP run."""
    cells = grokking_cells(source, "adamw")[:2]
    pilots = [r for c in cells for r in c if r.hyper.get("seed") in (0, 1)]
    cal = gd.calibrate(pilots, law, **KW)
    ape, cover, floor, refused = [], [], [], 0
    for r in target:
        try:
            p = cal.predict(r, extrapolate=extrapolate)
        except gd.NotApplicable:
            refused += 1
            continue
        d = r.milestones(KW["threshold"], KW["train_threshold"]).delay
        if math.isfinite(d):
            lo, hi = p.extra["interval"]
            ape.append(100 * abs(p.delay - d) / d)
            cover.append(lo <= d <= hi)
            floor.append(floor_ape(r, target))
    f = np.array(floor)
    return {"protocol": "transformer -> MLP" + (" (extrapolate=True)" if extrapolate else ""),
            "corpus": "fu2026 -> reference MLP",
            "optimizer": "adamw", "law": law, "chosen": cal.mechanism, "choices": 1,
            "n": len(ape), "mape": float(np.mean(ape)) if ape else math.nan,
            "median": float(np.median(ape)) if ape else math.nan,
            "coverage": float(np.mean(cover)) if cover else math.nan,
            "floor": float(np.nanmean(f)) if np.isfinite(f).any() else math.nan,
            "censored_consistent": "", "refused": refused}


def fmt(x, pct=True):
    if isinstance(x, str):
        return x
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.1f}" if pct else f"{x:.0%}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer reference-trainer runs")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    fu = gd.datasets.fu2026()
    results, skipped = [], []
    for opt in ("adamw", "sgd", "muon"):
        for law in LAWS:
            for outside in (False, True):
                row, why = four_pilot_protocol(fu, opt, law, "fu2026", outside)
                if row is None:
                    skipped.append(f"fu2026 {opt} {law}{' outside range' * outside}: {why}")
                else:
                    results.append(row)
    cvs = {}
    for opt in ("adamw", "sgd", "muon"):
        for groups in ("cell", "run"):
            for law in LAWS:
                for extra in (False, True):
                    row, cv = cv_row(fu, law, groups, "fu2026", opt, extra)
                    results.append(row)
                    cvs[(opt, groups, law, extra)] = cv
    mlp = reference_runs(args.quick)
    if mlp is None:
        skipped.append("reference trainer (grokdelay.trainer) not installed: no MLP runs, no "
                       "cross-architecture rows")
    else:
        for law in LAWS:
            for extra in (False, True):
                results.append(cross_architecture_row(fu, mlp, law, extra))
                row, why = four_pilot_protocol(mlp, "adamw", law, "reference MLP", extra)
                if row:
                    results.append(row)
                else:
                    skipped.append(f"MLP {law}{' outside range' * extra}: {why}")
                row, cv = cv_row(mlp, law, "cell", "reference MLP", "adamw", extra)
                results.append(row)
    elapsed = time.perf_counter() - t0

    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "real_runs.json").write_text(json.dumps(
        {"rows": results, "skipped": skipped, "published": PUBLISHED, "seconds": elapsed,
         "settings": KW}, indent=1, default=str))
    static = ROOT / "docs" / "_static"
    with open(static / "real_runs_table.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["protocol", "corpus", "optimizer", "law (chosen)", "held-out runs",
                    "MAPE %", "median %", "coverage (0.8)", "seed floor %", "censored ok",
                    "refused"])
        for r in results:
            law = r["law"] if r["law"] != "auto" else f"auto ({r['chosen'] or '-'})"
            w.writerow([r["protocol"], r["corpus"], r["optimizer"], law, r["n"],
                        fmt(r["mape"]), fmt(r["median"]), fmt(r["coverage"], pct=False),
                        fmt(r["floor"]), r["censored_consistent"], r["refused"]])
        for proto, what, opt, law, mape in PUBLISHED:
            w.writerow([proto, what, opt, law, "", f"{mape:.1f}", "", "", "", "", ""])

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 5))
    run_cv = gd.cross_validate(fu, "auto", groups="run", **KW)
    run_cv.plot(ax=axes[0], title="fu2026, leave one run out (auto): "
                f"MAPE {run_cv.summary['mape']:.1f}%, floor {run_cv.summary['floor_mape']:.1f}%")
    cell_cv = gd.cross_validate(fu, "first_passage", groups="cell", extrapolate=True, **KW)
    cell_cv.plot(ax=axes[1], title="fu2026, leave one cell out (first_passage, "
                 f"extrapolate=True): MAPE {cell_cv.summary['mape']:.0f}%")
    fig.tight_layout()
    fig.savefig(static / "real_runs_pred_vs_obs.png", dpi=110)

    for r in results:
        print(f"{r['protocol']:40s} {r['corpus']:14s} {r['optimizer']:6s} {r['law']:14s} "
              f"{r['chosen']:28s} n={r['n']:3d} MAPE={fmt(r['mape']):>6s} "
              f"cov={fmt(r['coverage'], False):>5s} floor={fmt(r['floor']):>6s} "
              f"cens={r['censored_consistent']} refused={r['refused']}")
    for s in skipped:
        print("skipped:", s)
    print(f"{elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

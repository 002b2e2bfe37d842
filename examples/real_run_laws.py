"""The three real-run laws, each calibrated on logged transformer runs and checked on held-out ones.

The vendored fu2026 corpus (Fu 2026, CC BY 4.0) holds 12 AdamW transformer runs on modular
addition (p = 97): three seeds in each of four cells, weight decay 0, 0.01 (init scale 3) and 1
(init scale 1 and 3). For each law, :func:`grokdelay.cross_validate` holds out one run at a time,
calibrates the law on the others (the other seeds of its cell included) and predicts the
held-out run from what its log shows at memorization. The panels draw predicted against
observed delay on log axes with the 0.8 prediction intervals; censored runs (still ungrokked
when the log ends) sit at their lower bound; runs the law refuses (weight decay 0: the norm
grows, so no weight-decay law applies) are ticks on the axis, never a number.

Milestones: train accuracy 0.99 (memorization) and test accuracy 0.95 (grokking), the fu2026
authors' thresholds.

Run: ``python examples/real_run_laws.py [outdir]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import grokdelay as gd  # noqa: E402

LAWS = ("first_passage", "two_phase", "power_law")
SETTINGS = {"threshold": 0.95, "train_threshold": 0.99, "level": 0.8}


def main(outdir="figures") -> dict:
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    runs = [r for r in gd.datasets.fu2026() if r.hyper["optimizer"] == "adamw"]
    fig, axes = plt.subplots(1, len(LAWS), figsize=(15, 4.8))
    summary = {}
    for ax, law in zip(axes, LAWS):
        cv = gd.cross_validate(runs, law, groups="run", **SETTINGS)
        s = cv.summary
        cv.plot(ax=ax, title=f"{law}: MAPE {s['mape']:.0f}%, coverage {s['coverage']:.0%}\n"
                             f"(seed-noise floor {s['floor_mape']:.0f}%)")
        summary[law] = {k: s[k] for k in ("n_predicted", "mape", "median_ape", "coverage",
                                          "floor_mape", "n_censored", "censored_consistent",
                                          "n_refused")}
    fig.suptitle("fu2026 AdamW transformers, leave one run out: predicted at memorization "
                 "against observed delay")
    fig.tight_layout()
    fig.savefig(outdir / "real_run_laws.png", dpi=110)
    plt.close(fig)
    (outdir / "real_run_laws.json").write_text(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1] if len(sys.argv) > 1 else "figures"), indent=1))

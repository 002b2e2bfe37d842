"""Measure the width exponent of the readout/feature timescale ratio (Analytical Proof, 2.4).

The Analytical Proof notes claim tau_features / tau_readout = Omega(N^(2 alpha)) for the
alpha-parameterized two-layer ReLU network on modular addition. This script integrates the gradient flow of
that network (grokdelay.modular_kernel.gradient_flow_times) at several widths N and
alpha in {0, 1/4, 1/2}, measures

* readout time: first time the training loss (mean squared error on one-hot labels) is
  1% of its initial value;
* feature time: first time the NTK on the training set has moved by 10% of its initial
  Frobenius norm;
* drift time: the same 10% extrapolated linearly from the kernel's drift rate at init,

and fits log(ratio) against log(N). ``main(outdir)`` runs a small, fast version (what the
test suite runs); ``python examples/width_exponent.py [outdir]`` runs the full measurement
reported in docs/width_exponent.rst (p = 11, N = 64 ... 1024, three seeds; a few
minutes).
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from grokdelay.modular_kernel import measure_width_exponent  # noqa: E402

SMALL = {"p": 7, "widths": (32, 64, 128), "train_fraction": 0.5, "horizon": 400.0}
FULL = {"p": 11, "widths": (64, 128, 256, 512, 1024), "train_fraction": 0.5,
        "horizon": 2000.0}
FULL_SEEDS = (0, 1, 2)
#: docs/make_figures.py draws the docs' figure from the full measurement
DOCS_KWARGS = {"full": True}


def _finite(x):
    return x if math.isfinite(x) else None


def main(outdir, full: bool = False) -> dict:
    """Run the measurement, write ``width_exponent.json`` and ``width_exponent.png``."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    cfg = FULL if full else SMALL
    seeds = FULL_SEEDS if full else (0,)
    t0 = time.perf_counter()
    results = [measure_width_exponent(seed=sd, **cfg) for sd in seeds]
    elapsed = time.perf_counter() - t0
    res = results[0]
    record = {"config": {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()},
              "seeds": list(seeds), "n_train": res["n_train"], "seconds": elapsed,
              "runs": {}, "fits": {}}
    for alpha in res["alphas"]:
        record["runs"][str(alpha)] = {
            str(sd): {str(N): {"readout_time": _finite(r.readout_time),
                               "feature_time": _finite(r.feature_time),
                               "drift_time": _finite(r.drift_time),
                               "kernel_change_at_end": r.kernel_change, "steps": r.steps}
                      for N, r in rs["runs"][alpha].items()}
            for sd, rs in zip(seeds, results)}
        fits = {}
        for key in ("ratio_exponent", "drift_ratio_exponent", "readout_exponent",
                    "feature_exponent"):
            vals = [rs["fits"][alpha][key] for rs in results]
            fits[key] = [_finite(v) for v in vals]
        fits["censored"] = {str(sd): rs["fits"][alpha]["censored"]
                            for sd, rs in zip(seeds, results)}
        fits["seed_claim"] = 2 * alpha
        record["fits"][str(alpha)] = fits
    (outdir / "width_exponent.json").write_text(json.dumps(record, indent=2))

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    widths = res["widths"]
    for alpha, runs in res["runs"].items():
        ratio = [runs[N].feature_time / runs[N].readout_time for N in widths]
        drift = [runs[N].drift_time / runs[N].readout_time for N in widths]
        fit = res["fits"][alpha]
        axes[0].loglog(widths, ratio, "o-",
                       label=f"alpha={alpha}: seed-0 slope {fit['ratio_exponent']:.2f} "
                             f"(Analytical Proof: {2 * alpha})")
        axes[1].loglog(widths, drift, "s--",
                       label=f"alpha={alpha}: slope {fit['drift_ratio_exponent']:.2f}")
    axes[0].set(xlabel="width N", ylabel="feature time / readout time",
                title="measured on the gradient flow")
    axes[1].set(xlabel="width N", ylabel="drift time / readout time",
                title="linear extrapolation of dK/dt at init")
    for ax in axes:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(outdir / "width_exponent.png", dpi=110)
    plt.close(fig)
    return record


if __name__ == "__main__":
    out = main(sys.argv[1] if len(sys.argv) > 1 else "width_exponent_out", full=True)
    print(json.dumps(out["fits"], indent=2))
    print(f"{out['seconds']:.1f} s")

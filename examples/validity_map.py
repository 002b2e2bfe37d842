"""Validity map of the linear teacher-student approximations (Levi et al. 2023).

Relative error of the delay t_grok - t_mem given by ``method="lambert_w"`` (eqs 23-24) and
``method="asymptotic"`` (eq 11) against ``method="exact"``, over aspect_ratio in (0, 1) and
threshold in [1e-6, 1e-1] (learning_rate = 0.01, d_out = 1, no weight decay; the relative
errors do not depend on the learning rate, which only sets the time unit).

Writes ``lts_validity_map.png`` (two panels, ``log10 |relative error|``, with the 10% and 100%
contours) and ``lts_validity_table.txt`` (a reStructuredText list-table) /
``lts_validity_table.csv`` (signed relative errors on a coarse grid).
Usage: ``python examples/validity_map.py [OUTDIR]`` (default ./figures).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import grokdelay as gd  # noqa: E402

TABLE_LAMBDA = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99]
TABLE_EPS = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]


def relative_errors(lam, eps, learning_rate=0.01):
    """Signed relative errors (lambert_w, asymptotic) of the delay vs exact."""
    p = gd.LinearTeacherStudent(aspect_ratio=lam, learning_rate=learning_rate, threshold=eps)
    exact = gd.predict_delay(p).delay
    lw = gd.predict_delay(p, method="lambert_w").delay
    asy = gd.predict_delay(p, method="asymptotic").delay
    return lw / exact - 1.0, asy / exact - 1.0


def table(lw, asy):
    """The coarse grid as reStructuredText (list-table) and CSV text."""
    rst = [".. list-table:: Relative error of the delay, lambert_w / asymptotic, vs exact",
           "   :header-rows: 1", "   :stub-columns: 1", "",
           "   * - aspect_ratio \\\\ threshold"]
    rst += [f"     - {e:.0e}" for e in TABLE_EPS]
    csv = ["aspect_ratio,threshold,lambert_w_rel_err,asymptotic_rel_err"]
    for i, lam in enumerate(TABLE_LAMBDA):
        rst.append(f"   * - {lam:g}")
        for j, eps in enumerate(TABLE_EPS):
            rst.append(f"     - {100 * lw[i, j]:+.1f}% / {100 * asy[i, j]:+.0f}%")
            csv.append(f"{lam:g},{eps:g},{lw[i, j]:.6g},{asy[i, j]:.6g}")
    return "\n".join(rst) + "\n", "\n".join(csv) + "\n"


def main(outdir="figures"):
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    lam = np.linspace(0.01, 0.99, 99)
    eps = np.logspace(-6, -1, 51)
    lw, asy = relative_errors(lam[:, None], eps[None, :])

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True, constrained_layout=True)
    levels = np.linspace(-3, 1.5, 19)
    for ax, err, title in ((axes[0], lw, '"lambert_w" (eqs 23-24)'),
                           (axes[1], asy, '"asymptotic" (eq 11)')):
        z = np.log10(np.maximum(np.abs(err), 1e-3))
        cs = ax.contourf(lam, eps, z.T, levels=levels, cmap="viridis", extend="both")
        c10 = ax.contour(lam, eps, np.abs(err).T, levels=[0.1, 1.0], colors=["w", "r"],
                         linewidths=1.2)
        ax.clabel(c10, fmt={0.1: "10%", 1.0: "100%"}, fontsize=8)
        ax.set_yscale("log")
        ax.set_xlabel(r"aspect_ratio $\lambda = d_\mathrm{in}/N_\mathrm{tr}$")
        ax.set_title(title)
    axes[0].set_ylabel(r"threshold $\epsilon$")
    fig.colorbar(cs, ax=axes, label=r"$\log_{10}$ |relative error of the delay|")
    fig.savefig(out / "lts_validity_map.png", dpi=80)
    plt.close(fig)

    lw_t, asy_t = relative_errors(np.array(TABLE_LAMBDA)[:, None], np.array(TABLE_EPS)[None, :])
    rst, csv = table(lw_t, asy_t)
    (out / "lts_validity_table.txt").write_text(rst)
    (out / "lts_validity_table.csv").write_text(csv)
    return lw, asy


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "figures")

"""Levi et al. 2023, Fig 4 (left) extended: the two-layer linear network, eq 18 vs eq 17 vs GD.

Generalization loss (relative to its initial value) of a two-layer linear network with a
small student (init_scale = 0.3), trained by full-batch gradient descent (eq 40; d_in = 300,
lambda = 0.5; mean over 3 seeds, thick pale lines), against eq 18 (frozen kernel, black
dashed; it does not depend on the width) and the coupled kernel of eq 17 with h-dot from
eq 40 (thin solid). The student has to grow its kernel, by kappa_inf / kappa_0 =
sqrt(1 + 2 d_out (1 - alpha^2) / (alpha^2 d_h)) (legend), so eq 18 is late. Left, one
output: the output kernel is a scalar and the coupled kernel follows the runs. Right, the
paper's d_out = 5 and widths 50, 200: the output kernel S1^T S1 is anisotropic (eigenvalues
spread by ~ +-2 sqrt(d_out / d_h)); eq 17 averages that away, and the slowest output
direction makes the runs slower than either theory at late times.

Usage: ``python examples/fig4_two_layer.py [OUTDIR]`` (default ./figures).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import grokdelay as gd  # noqa: E402
from grokdelay.linear_teacher_student import simulate_gradient_descent  # noqa: E402

lts = gd.linear_teacher_student
D_IN, LAM, ALPHA, SEEDS = 300, 0.5, 0.3, 3
PANELS = ((1, 0.2, (20, 200), 700), (5, 3.0, (50, 200), 1100))   # d_out, eta, widths, steps


def main(outdir="figures"):
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True, sharey=True)
    for ax, (d_out, eta, widths, steps) in zip(axes, PANELS):
        t = np.arange(steps + 1, dtype=float)
        for d_h, color in zip(widths, ("tab:red", "tab:blue")):
            runs = [simulate_gradient_descent(aspect_ratio=LAM, learning_rate=eta, d_out=d_out,
                                              depth=2, init_scale=ALPHA, d_in=D_IN,
                                              hidden=d_h, seed=s, max_steps=steps,
                                              method="direct", threshold=1e-9)
                    for s in range(SEEDS)]
            sim = np.mean([r.gen_loss / r.gen_loss[0] for r in runs], axis=0)
            p = gd.LinearTeacherStudent(aspect_ratio=LAM, learning_rate=eta, d_out=d_out,
                                        depth=2, init_scale=ALPHA, hidden_width=d_h)
            coupled = lts.losses(p, t, kernel="coupled")[1]
            growth = math.sqrt(1 + 2 * d_out * (1 - ALPHA ** 2) / (ALPHA ** 2 * d_h))
            ax.semilogy(t, sim, color=color, lw=3, alpha=0.35,
                        label=rf"GD, $d_h$ = {d_h} ($\kappa_\infty/\kappa_0$ = {growth:.2f})")
            ax.semilogy(t, coupled / coupled[0], "-", color=color, lw=1)
        frozen = lts.losses(p, t)[1]
        ax.semilogy(t, frozen / frozen[0], "k--", lw=1, label="eq 18, frozen kernel")
        ax.plot([], [], "k-", lw=1, label="eq 17, coupled kernel (colour)")
        ax.set(xlabel="step", ylim=(1e-5, 1.5),
               title=rf"$d_\mathrm{{out}}$ = {d_out}, $\eta$ = {eta:g}")
        ax.legend(fontsize=8)
    axes[0].set_ylabel(r"$\mathcal{L}_\mathrm{gen}(t) / \mathcal{L}_\mathrm{gen}(0)$")
    fig.suptitle(rf"two-layer linear network, $d_\mathrm{{in}}$ = {D_IN}, $\lambda$ = {LAM}, "
                 rf"init_scale $\alpha$ = {ALPHA}")
    path = out / "lts_fig4.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


if __name__ == "__main__":
    print(main(sys.argv[1] if len(sys.argv) > 1 else "figures"))

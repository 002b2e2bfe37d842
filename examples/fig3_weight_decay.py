"""Levi et al. 2023, Fig 3: weight decay and grokking, theory vs gradient descent.

Left / center: train (dashed) and generalization (solid) losses and accuracies at
lambda = 0.9 for weight decay gamma = 1e-5, 1e-3, 1e-2 (eta = 0.01, d_out = 1,
epsilon = 1e-3): gradient descent at d_in = 1000 (colour) against eq 14 (black). At
gamma = 1e-2 the generalization loss floor ~gamma^2 / (8 (1 - lambda)^3) lies above
epsilon / 4: the model fits but never groks. Right: the exact delay vs gamma for several
lambda (lines; gaps = never groks), GD at d_in = 1000 for lambda = 0.7 (mean and standard
deviation over 6 seeds), and the weight-decay threshold gamma* above which the
generalization floor exceeds the target (dotted verticals). No lambda > 1 curve: there
the teacher's component in the null space of the data, a loss (1 - 1/lambda)/2, is never
learned, with or without weight decay, so the model never groks at epsilon = 1e-3.

Usage: ``python examples/fig3_weight_decay.py [OUTDIR]`` (default ./figures).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import grokdelay as gd  # noqa: E402
from grokdelay.linear_teacher_student import simulate_gradient_descent  # noqa: E402

lts = gd.linear_teacher_student
ETA, D_IN = 0.01, 1000


def main(outdir="figures"):
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    fig, (ax_l, ax_a, ax_d) = plt.subplots(1, 3, figsize=(14, 4), constrained_layout=True)
    t = np.logspace(0, 5.5, 300)
    for wd, color in ((1e-5, "tab:blue"), (1e-3, "tab:red"), (1e-2, "tab:purple")):
        p = gd.LinearTeacherStudent(aspect_ratio=0.9, learning_rate=ETA, weight_decay=wd)
        tr, gen = lts.losses(p, t)
        a_tr, a_gen = lts.accuracies(p, t)
        run = simulate_gradient_descent(p, d_in=D_IN, seed=1, data="bidiagonal",
                                        max_steps=int(t[-1]))
        ax_l.loglog(run.steps[1:], run.train_loss[1:], "--", color=color)
        ax_l.loglog(run.steps[1:], run.gen_loss[1:], "-", color=color,
                    label=rf"$\gamma$ = {wd:g}")
        ax_l.loglog(t, tr, "k--", lw=0.8)
        ax_l.loglog(t, gen, "k-", lw=0.8)
        ax_a.semilogx(run.steps[1:], run.train_accuracy[1:], "--", color=color)
        ax_a.semilogx(run.steps[1:], run.gen_accuracy[1:], "-", color=color,
                      label=rf"$\gamma$ = {wd:g}")
        ax_a.semilogx(t, a_tr, "k--", lw=0.8)
        ax_a.semilogx(t, a_gen, "k-", lw=0.8)
    ax_l.axhline(2.5e-4, color="gray", lw=0.5)
    ax_l.set(xlabel="step", ylabel="loss", ylim=(1e-7, 2),
             title=r"losses, $\lambda$ = 0.9 ($\epsilon/4$ in gray)")
    ax_a.set(xlabel="step", ylabel="accuracy", title=r"accuracies, $\epsilon = 10^{-3}$")
    ax_l.legend(fontsize=8)
    ax_a.legend(fontsize=8)

    wd = np.concatenate([[0.0], np.logspace(-6, -1, 150)])
    for lam, color in ((0.3, "tab:green"), (0.5, "tab:orange"), (0.7, "tab:red"),
                       (0.9, "tab:purple")):
        p = gd.LinearTeacherStudent(aspect_ratio=lam, learning_rate=ETA, weight_decay=wd)
        pred = gd.predict_delay(p)
        delay = np.where(np.isfinite(pred.delay), pred.delay, np.nan)
        ax_d.loglog(wd[1:], delay[1:], color=color, label=rf"$\lambda$ = {lam}")
        groks = np.isfinite(pred.delay[1:])
        if groks.any() and not groks.all():
            edges = np.flatnonzero(np.diff(groks.astype(int)))
            for e in edges:
                ax_d.axvline(wd[1:][e], color=color, ls=":", lw=0.8)
    pts = np.logspace(-5, -2.5, 5)
    sims = np.array([[simulate_gradient_descent(aspect_ratio=0.7, learning_rate=ETA,
                                                weight_decay=w, d_in=D_IN, seed=s,
                                                data="bidiagonal").delay for s in range(6)]
                     for w in pts])
    ok = np.all(np.isfinite(sims), axis=1)
    ax_d.errorbar(pts[ok], sims[ok].mean(axis=1), yerr=sims[ok].std(axis=1, ddof=1),
                  fmt="o", color="tab:red", ms=4, capsize=2, label=r"GD, $\lambda$ = 0.7")
    ax_d.set(xlabel=r"weight decay $\gamma$", ylabel=r"$t_\mathrm{grok} - t_\mathrm{mem}$",
             title="delay vs weight decay (gaps: never groks)")
    ax_d.legend(fontsize=8)
    fig.savefig(out / "lts_fig3.png", dpi=80)
    plt.close(fig)
    return out / "lts_fig3.png"


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "figures")

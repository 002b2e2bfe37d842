"""Levi et al. 2023, Fig 1: grokking in a linear teacher-student model, theory vs gradient descent.

Left: train (dashed) and generalization (solid) losses for lambda = 0.1, 0.9, 1.5,
simulated by full-batch gradient descent at d_in = 1000 (eta = 0.01, d_out = 1), against
the Marchenko-Pastur averaged losses (eq 8, black). Center: the accuracies, eq 9 of the
theoretical losses (black), eq 9 of the simulated losses (colour) and the measured fraction
of 2000 fresh test points within epsilon (dots, lambda = 0.9 run on explicit Gaussian data).
Right: the delay t_grok - t_mem vs lambda for epsilon = 1e-3 and 1e-2: exact theory
(lines), eq 11 (dashed black, the epsilon -> 0 limit), and GD at d_in = 1000 (mean and
standard deviation over 6 seeds).

Usage: ``python examples/fig1_linear_teacher_student.py [OUTDIR]`` (default ./figures).
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
    t = np.logspace(0, 5, 300)
    for lam, color in ((0.1, "tab:blue"), (0.9, "tab:red"), (1.5, "tab:purple")):
        p = gd.LinearTeacherStudent(aspect_ratio=lam, learning_rate=ETA)
        tr, gen = lts.losses(p, t)
        a_tr, a_gen = lts.accuracies(p, t)
        if lam == 0.9:  # the literal experiment: explicit 1111 x 1000 Gaussian data
            emp_steps = np.unique(np.logspace(0, 5, 25).astype(int))
            run = simulate_gradient_descent(p, d_in=D_IN, seed=0, max_steps=10 ** 5,
                                            empirical_at=emp_steps, n_test=2000)
            ax_a.plot(run.empirical["steps"], run.empirical["test_accuracy"], "o", ms=3,
                      color=color, label="measured test accuracy")
        else:
            run = simulate_gradient_descent(p, d_in=D_IN, seed=0, max_steps=10 ** 5,
                                            data="bidiagonal")
        ax_l.loglog(run.steps[1:], run.train_loss[1:], "--", color=color)
        ax_l.loglog(run.steps[1:], run.gen_loss[1:], "-", color=color,
                    label=rf"$\lambda$ = {lam}")
        ax_l.loglog(t, tr, "k--", lw=0.8)
        ax_l.loglog(t, gen, "k-", lw=0.8)
        ax_a.semilogx(run.steps[1:], run.train_accuracy[1:], "--", color=color)
        ax_a.semilogx(run.steps[1:], run.gen_accuracy[1:], "-", color=color,
                      label=rf"$\lambda$ = {lam}")
        ax_a.semilogx(t, a_tr, "k--", lw=0.8)
        ax_a.semilogx(t, a_gen, "k-", lw=0.8)
    ax_l.axhline(2.5e-4, color="gray", lw=0.5)
    ax_l.set(xlabel="step", ylabel="loss", title=r"losses ($\epsilon/4$ in gray)",
             ylim=(1e-6, 2))
    ax_a.set(xlabel="step", ylabel="accuracy", title=r"accuracies, $\epsilon = 10^{-3}$")
    ax_l.legend(fontsize=8)
    ax_a.legend(fontsize=8)

    lam = np.linspace(0.02, 0.95, 200)
    for eps, color in ((1e-3, "tab:red"), (1e-2, "tab:blue")):
        p = gd.LinearTeacherStudent(aspect_ratio=lam, learning_rate=ETA, threshold=eps)
        ax_d.semilogy(lam, gd.predict_delay(p).delay, color=color,
                      label=rf"exact, $\epsilon$ = {eps:g}")
        pts = np.array([0.2, 0.4, 0.6, 0.8, 0.9])
        sims = np.array([[simulate_gradient_descent(aspect_ratio=lp, learning_rate=ETA,
                                                    threshold=eps, d_in=D_IN, seed=s,
                                                    data="bidiagonal").delay
                          for s in range(6)] for lp in pts])
        ax_d.errorbar(pts, sims.mean(axis=1), yerr=sims.std(axis=1, ddof=1), fmt="o",
                      color=color, ms=4, capsize=2, label=f"GD, d_in = {D_IN}")
    p = gd.LinearTeacherStudent(aspect_ratio=lam, learning_rate=ETA)
    ax_d.semilogy(lam, gd.predict_delay(p, method="asymptotic").delay, "k--",
                  label="eq 11")
    ax_d.set(xlabel=r"$\lambda = d_\mathrm{in}/N_\mathrm{tr}$",
             ylabel=r"$t_\mathrm{grok} - t_\mathrm{mem}$ (steps)", title="grokking delay")
    ax_d.legend(fontsize=8)
    fig.savefig(out / "lts_fig1.png", dpi=80)
    plt.close(fig)
    return out / "lts_fig1.png"


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "figures")

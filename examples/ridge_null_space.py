"""Ridge regression by gradient descent: the data fit fast, the null space waits for weight decay.

Overparameterized least squares (n = 40 samples, P = 120 features, a teacher in the span
of the data), trained by full-batch gradient descent with weight decay lambda from a
random initialization. The training loss only sees the error in the span of the data,
which contracts at rate eta (h + lambda) per step; the error in the null space of the
features is invisible to it and contracts at eta lambda alone, yet it is part of the test
error. The ridge-null-space mechanism (Analytical Proof, section 2.6; the bound it cites is listed
as Xu, Vardi and Safran, arXiv 2601.19791) times the two.

Writes ``ridge_null_space.png``:

1. training loss, test error and the two components of the error against the ridge
   solution over the steps of one run (lambda = 1e-3, eta = 0.2), with the predicted
   t_mem and t_grok (``method="gradient_descent"``, exact step counts) as dashed lines:
   they are where the error *norms* (dotted) reach the tolerance; the squared errors
   (loss, test error) get there earlier;
2. t_grok against lambda: the prediction (both methods) against the step at which
   :func:`grokdelay.ridge_null_space.gradient_descent_ridge` measures the null-space
   error at the tolerance.

Run: ``python examples/ridge_null_space.py [outdir]`` (a few seconds).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import grokdelay as gd  # noqa: E402
from grokdelay.ridge_null_space import gradient_descent_ridge  # noqa: E402

N, P, ETA, TOL = 40, 120, 0.2, 1e-2


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    phi = rng.standard_normal((N, P)) / np.sqrt(P)
    teacher = phi.T @ rng.standard_normal(N)  # in the row space: the min-norm solution
    teacher /= np.linalg.norm(teacher)
    init = rng.standard_normal(P)
    return phi, phi @ teacher, teacher, init


def _trajectory(phi, y, teacher, init, lam, steps):
    """Train/test errors and the row- and null-space error norms, step by step."""
    h = phi.T @ phi / N
    b = phi.T @ y / N
    target = np.linalg.solve(h + lam * np.eye(P), b)
    proj = np.linalg.pinv(phi) @ phi
    theta = init.copy()
    rows = []
    for _ in range(steps + 1):
        e = theta - target
        ep = proj @ e
        rows.append((np.mean((phi @ theta - y) ** 2), np.sum((theta - teacher) ** 2),
                     np.linalg.norm(ep), np.linalg.norm(e - ep)))
        theta = theta - ETA * (h @ theta - b + lam * theta)
    return np.array(rows).T


def main(outdir="figures"):
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    phi, y, teacher, init = _problem()
    gram = np.linalg.eigvalsh(phi @ phi.T / N)
    base = gd.RidgeNullSpace(gram_min=gram.min(), gram_max=gram.max(), learning_rate=ETA,
                             weight_decay=1e-3, tolerance=TOL)
    pred = gd.predict_delay(base, method="gradient_descent")
    steps = int(1.2 * pred.t_grok)
    train, test, row, null = _trajectory(phi, y, teacher, init, base.weight_decay, steps)

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    k = np.arange(1, steps + 2)
    a.loglog(k, train / train[0], label="training loss")
    a.loglog(k, test / test[0], label="test error ||theta - teacher||^2")
    a.loglog(k, row / row[0], ":", label="error in the data span")
    a.loglog(k, null / null[0], ":", label="error in the null space")
    a.axhline(TOL, color="k", lw=0.8, ls=":")
    a.axvline(pred.t_mem, color="C0", ls="--", label=f"t_mem = {pred.t_mem:.0f}")
    a.axvline(pred.t_grok, color="C3", ls="--", label=f"t_grok = {pred.t_grok:.0f}")
    a.set(xlabel="gradient-descent step", ylabel="relative to step 0", ylim=(1e-4, 3),
          title="lambda = 1e-3, eta = 0.2")
    a.legend(fontsize=8)

    lams = np.logspace(-3, -1, 7)
    measured = np.array([gradient_descent_ridge(phi, y, ETA, lam, TOL, init=init)[1]
                         for lam in lams])
    grid = base.replace(weight_decay=np.logspace(-3, -1, 60))
    b.loglog(grid.weight_decay, gd.predict_delay(grid).t_grok, "-",
             label="gradient_flow: log(1/tol) / (eta lambda)")
    b.loglog(grid.weight_decay, gd.predict_delay(grid, method="gradient_descent").t_grok,
             "--", label="gradient_descent method (exact steps)")
    b.loglog(lams, measured, "ko", mfc="none", ms=8, label="gradient descent, measured")
    b.set(xlabel="weight decay lambda", ylabel="t_grok (steps)",
          title=f"n = {N}, P = {P}: t_grok against lambda")
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "ridge_null_space.png", dpi=90)
    plt.close(fig)
    return {"weight_decay": lams.tolist(), "measured": measured.tolist(),
            "predicted": gd.predict_delay(base.replace(weight_decay=lams),
                                          method="gradient_descent").t_grok.tolist()}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "figures")

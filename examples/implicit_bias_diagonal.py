"""Implicit bias: a large initialization groks after log(alpha) / lambda, in a diagonal network.

A 2-homogeneous diagonal linear network w = u^2 - v^2, initialized at scale alpha
(u = v = alpha), learns a 2-sparse teacher from n = 12 < d = 30 samples by gradient flow
with weight decay lambda. Early on it is in the kernel regime: it interpolates the data
with a dense, poorly generalizing solution. Weight decay shrinks the scale by e^(-lambda t);
once it has come down by alpha the network leaves the kernel regime and finds the sparse
teacher. The implicit-bias mechanism (Analytical Proof, section 2.5; Lyu, Jin, Li, Du, Lee, Hu,
ICLR 2024, arXiv 2311.18817) predicts t_grok = log(alpha) / lambda (gradient-flow time),
to leading order: the law's prefactor is 1, and what it leaves out is an offset of order
1 / lambda that does not depend on alpha.

Writes ``implicit_bias_diagonal.png``:

1. training loss and test error of the flow (LSODA with the analytic Jacobian) for
   log(alpha) = 3, 5, 7 at lambda = 0.05, with the predicted t_grok as dashed lines;
2. the simulated grokking time (test error below 10% of ||w*||^2) against log(alpha) for
   two weight decays, with the law's slope 1 / lambda (lines: the law plus the measured
   mean offset).

Run: ``python examples/implicit_bias_diagonal.py [outdir]`` (about a second).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

import grokdelay as gd  # noqa: E402

D, N, TARGET = 30, 12, 0.1


def _flow(alpha, lam, seed=0, n_eval=300):
    """Gradient flow of the diagonal network; returns (t, train loss, test error, t_grok)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D))
    w_star = np.zeros(D)
    w_star[:2] = [1.0, -1.0]
    y = x @ w_star
    gram = x.T @ x / N

    def grad(z):
        u, v = z[:D], z[D:]
        return u, v, x.T @ (x @ (u * u - v * v) - y) / N

    def rhs(t, z):
        u, v, g = grad(z)
        return np.concatenate([-2 * u * g - lam * u, 2 * v * g - lam * v])

    def jac(t, z):
        u, v, g = grad(z)
        jm = np.empty((2 * D, 2 * D))
        jm[:D, :D] = -2 * np.diag(g) - lam * np.eye(D) - 4 * u[:, None] * gram * u[None, :]
        jm[:D, D:] = 4 * u[:, None] * gram * v[None, :]
        jm[D:, :D] = 4 * v[:, None] * gram * u[None, :]
        jm[D:, D:] = 2 * np.diag(g) - lam * np.eye(D) - 4 * v[:, None] * gram * v[None, :]
        return jm

    def generalized(t, z):
        w = z[:D] ** 2 - z[D:] ** 2
        return np.sum((w - w_star) ** 2) / np.sum(w_star ** 2) - TARGET

    generalized.terminal = False
    generalized.direction = -1
    t_end = 3 * (math.log(alpha) + 5) / lam
    t_eval = np.minimum(np.concatenate([[0.0], np.logspace(-4, math.log10(t_end), n_eval)]),
                        t_end)
    sol = solve_ivp(rhs, (0, t_end), np.full(2 * D, alpha), method="LSODA", jac=jac,
                    t_eval=t_eval, events=generalized, rtol=1e-8, atol=1e-10)
    w = sol.y[:D] ** 2 - sol.y[D:] ** 2
    test = np.sum((w - w_star[:, None]) ** 2, axis=0) / np.sum(w_star ** 2)
    train = np.mean((x @ w - y[:, None]) ** 2, axis=0)
    crossings = sol.t_events[0]
    return sol.t, train, test, float(crossings[0]) if crossings.size else math.inf


def main(outdir="figures"):
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    lam = 0.05
    for i, log_alpha in enumerate((3.0, 5.0, 7.0)):
        t, train, test, _ = _flow(math.exp(log_alpha), lam)
        pred = gd.predict_delay(gd.ImplicitBias(init_scale=math.exp(log_alpha),
                                                weight_decay=lam))
        c = f"C{i}"
        a.semilogy(t, train / train[0], ":", color=c)
        a.semilogy(t, test, "-", color=c, label=f"test error, log alpha = {log_alpha:g}")
        a.axvline(pred.t_grok, color=c, ls="--", lw=1)
    a.axhline(TARGET, color="k", lw=0.8, ls=":")
    a.set(xlabel="gradient-flow time", ylabel="test error (solid), train loss (dotted)",
          xlim=(0, 250), ylim=(1e-6, 10), title="lambda = 0.05; dashed: log(alpha) / lambda")
    a.legend(fontsize=8, loc="upper right")

    log_alphas = np.array([2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    measured = {}
    for c, lam in (("C0", 0.05), ("C3", 0.1)):
        sim = np.array([_flow(math.exp(la), lam, n_eval=2)[3] for la in log_alphas])
        law = gd.predict_delay(gd.ImplicitBias(init_scale=np.exp(log_alphas),
                                               weight_decay=lam)).t_grok
        offset = float(np.mean(sim - law))
        measured[lam] = sim.tolist()
        b.plot(log_alphas, sim, "o", color=c, mfc="none", ms=8,
               label=f"flow, lambda = {lam:g}")
        b.plot(log_alphas, law + offset, "-", color=c,
               label=f"log(alpha) / lambda + {offset:.0f}  (slope 1/lambda = {1 / lam:g})")
    b.set(xlabel="log alpha", ylabel="grokking time (gradient-flow time)",
          title="slope 1 / lambda: the law's prefactor is 1")
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "implicit_bias_diagonal.png", dpi=90)
    plt.close(fig)
    return measured


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "figures")

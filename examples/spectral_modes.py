"""Spectral conditioning: the delay is the condition number, checked against gradient descent.

Gradient descent on a quadratic loss whose Hessian has the spectrum nu_i contracts the
error along eigenvector i by (1 - eta nu_i) per step, so the modes converge one after the
other, the stiffest first. The spectral mechanism (Analytical Proof, section 4.3, the
spectral-asymmetry view it cites to Pasand, Goldt and Eftekhari 2025, listed as Pasand and
Dohmatob, arXiv 2510.04930) times the first mode as t_mem and the slowest positive one as
t_grok, so t_grok / t_mem = kappa = nu_max / nu_min under gradient flow.

Writes ``spectral_modes.png``:

1. the error along each eigenvector of a random rotation of the Hessian (spectrum 4, 1,
   0.25, 0.04; eta = 0.1), iterated step by step, with ``mode_times`` (gradient descent,
   ``discrete=True``) as ticks and the predicted t_mem, t_grok as dashed lines;
2. the ratio t_grok / t_mem measured by gradient descent on random spectra against the
   predictions: kappa (``gradient_flow``, the law) holds while eta nu_max << 1; at
   eta = 0.9 / nu_max the stiff mode converges in a step or two and only the
   ``gradient_descent`` method (exact step counts) follows the runs.

Run: ``python examples/spectral_modes.py [outdir]`` (about a second).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import grokdelay as gd  # noqa: E402
from grokdelay.spectral import gradient_descent_on_quadratic, mode_times  # noqa: E402

SPECTRUM = np.array([4.0, 1.0, 0.25, 0.04])
ETA, TOL = 0.1, 1e-2


def _mode_errors(nu, eta, steps, seed=0):
    """|error| along each eigenvector over ``steps`` GD steps (the Hessian assembled and
    rediagonalized, so nothing here uses the closed form)."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((nu.size, nu.size)))
    hess = (q * nu) @ q.T
    w, v = np.linalg.eigh(hess)
    order = np.argsort(w)[::-1]
    x = q @ np.ones(nu.size)  # unit error along every eigenvector; optimum at 0
    out = np.empty((steps + 1, nu.size))
    out[0] = np.abs(v.T @ x)[order]
    for k in range(1, steps + 1):
        x = x - eta * (hess @ x)
        out[k] = np.abs(v.T @ x)[order]
    return out / out[0]


def main(outdir="figures"):
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    params = gd.SpectralConditioning(SPECTRUM, learning_rate=ETA, tolerance=TOL)
    pred = gd.predict_delay(params, method="gradient_descent")
    ticks = mode_times(SPECTRUM, ETA, TOL, discrete=True)
    steps = int(1.3 * pred.t_grok)
    err = _mode_errors(SPECTRUM, ETA, steps)

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    k = np.arange(1, steps + 1)
    for i, nu in enumerate(SPECTRUM):
        (line,) = a.loglog(k, err[1:, i], label=f"mode nu = {nu:g}")
        a.plot(ticks[i], TOL, "o", color=line.get_color())
    a.axhline(TOL, color="k", lw=0.8, ls=":")
    a.axvline(pred.t_mem, color="C0", ls="--", label=f"t_mem = {pred.t_mem:.0f}")
    a.axvline(pred.t_grok, color="C3", ls="--", label=f"t_grok = {pred.t_grok:.0f}")
    a.set(xlabel="gradient-descent step", ylabel="|error| / initial",
          ylim=(1e-4, 2), title="each mode reaches the tolerance at its predicted step")
    a.legend(fontsize=8)

    rng = np.random.default_rng(1)
    spectra = [np.sort(10 ** rng.uniform(-2.0, 0.5, size=5))[::-1] for _ in range(10)]
    kap = np.array([nu.max() / nu.min() for nu in spectra])
    order = np.argsort(kap)
    b.loglog(kap[order], kap[order], "k-", lw=1, label="gradient_flow method: kappa")
    measured = {}
    for c, frac in (("C0", 0.1), ("C3", 0.9)):
        meas, disc = [], []
        for nu in spectra:
            eta = frac / nu.max()
            t_mem, t_grok = gradient_descent_on_quadratic(nu, eta, TOL)
            meas.append(t_grok / t_mem)
            p = gd.SpectralConditioning(nu, learning_rate=eta, tolerance=TOL)
            disc.append(gd.predict_delay(p, method="gradient_descent").ratio)
        measured[frac] = (meas, disc)
        b.loglog(kap, meas, "o", color=c, mfc="none", ms=9,
                 label=f"GD measured, eta = {frac:g} / nu_max")
        b.loglog(kap, disc, "x", color=c, label="gradient_descent method")
    b.set(xlabel="kappa = nu_max / nu_min", ylabel="t_grok / t_mem",
          title="ratio = kappa while eta nu_max << 1")
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "spectral_modes.png", dpi=90)
    plt.close(fig)
    return measured


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "figures")

"""Levi et al. 2023, Fig 7: phase diagrams of the grokking delay.

The exact delay t_grok - t_mem (``method="exact"``, eta = 0.01, epsilon = 1e-3, accuracy
target erf(sqrt 2)) over (weight decay gamma, d_out) at lambda = 0.9, (gamma, lambda) at
d_out = 1, and (d_out, lambda) at gamma = 0. White: no grokking (the generalization
accuracy never reaches the target: weight-decay floor or, for lambda > 1 at gamma = 0,
the null space of the data). Hatched where the approximations ``lambert_w`` or
``asymptotic`` do not apply (lambda >= 1 or weight decay > 0 for lambert_w), i.e. where
only the exact root-finding gives a number. Each panel is one vectorized call.

Conventions: ``weight_decay`` is the library's (S <- S - eta (grad L + gamma S)); with
d_out outputs Levi et al.'s eq 3 uses gamma / d_out, so its gamma is d_out * weight_decay.

Usage: ``python examples/fig7_phase_diagrams.py [OUTDIR]`` (default ./figures).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

import grokdelay as gd  # noqa: E402

ETA, EPS = 0.01, 1e-3


def delay(**fields):
    p = gd.LinearTeacherStudent(learning_rate=ETA, threshold=EPS, **fields)
    d = gd.predict_delay(p).delay
    return np.where(np.isfinite(d) & (d > 0), d, np.nan)


def main(outdir="figures", n=40):
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    gamma = np.logspace(-6, -1, n)
    dout = np.unique(np.round(np.logspace(0, np.log10(300), n)).astype(int))
    lam = np.linspace(0.05, 1.95, n)
    panels = [
        ("(gamma, d_out), lambda = 0.9", gamma, dout,
         delay(aspect_ratio=0.9, weight_decay=gamma[None, :], d_out=dout[:, None]),
         r"weight decay $\gamma$", r"$d_\mathrm{out}$", ("log", "log")),
        ("(gamma, lambda), d_out = 1", gamma, lam,
         delay(aspect_ratio=lam[:, None], weight_decay=gamma[None, :]),
         r"weight decay $\gamma$", r"$\lambda = d_\mathrm{in}/N_\mathrm{tr}$", ("log", "linear")),
        ("(d_out, lambda), gamma = 0", dout, lam,
         delay(aspect_ratio=lam[:, None], d_out=dout[None, :]),
         r"$d_\mathrm{out}$", r"$\lambda = d_\mathrm{in}/N_\mathrm{tr}$", ("log", "linear")),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), constrained_layout=True)
    finite = np.concatenate([z[np.isfinite(z)] for *_, z, _, _, _ in panels])
    norm = LogNorm(vmin=max(finite.min(), 1.0), vmax=finite.max())
    for ax, (title, x, y, z, xl, yl, (xs, ys)) in zip(axes, panels):
        mesh = ax.pcolormesh(x, y, z, norm=norm, cmap="RdYlBu", shading="nearest")
        ax.set(xscale=xs, yscale=ys, xlabel=xl, ylabel=yl, title=title)
        if y is lam:
            ax.axhline(1.0, color="k", lw=0.6, ls="--")
    fig.colorbar(mesh, ax=axes, label=r"$t_\mathrm{grok} - t_\mathrm{mem}$ (steps; white: "
                                      r"never groks)")
    fig.savefig(out / "lts_fig7.png", dpi=80)
    plt.close(fig)
    return out / "lts_fig7.png"


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "figures")

"""How well eq 18 (frozen kernel) and the corrected eq 17 (coupled kernel) predict two-layer GD.

Run: ``python benchmarks/two_layer_validity.py [--seeds N] [--d-in D]``. For each
(d_out, d_h, init_scale) it runs two-layer gradient descent (Levi et al. 2023 eq 40, the library's
``simulate_gradient_descent(method="direct")``) and reports the relative error of the time
at which the generalization loss has fallen by 1e-2, 1e-3, 1e-4 of its initial value:

* ``sample``: the theory evaluated on each run's own spectrum, projections and initial
  kernel |S1(0)|^2, which isolates the two-layer physics from finite-d_in and
  initialization scatter;
* ``public``: what a user gets from ``losses(params, t, kernel=...)`` (MP spectrum, mean
  initial kernel alpha), against the seed-averaged simulated loss.

Then the speed of ``predict_delay(method="coupled")`` over 10^4 points. Results are written
to ``benchmarks/results/two_layer_validity.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

import grokdelay as gd
from grokdelay._lts_simulation import _sample_problem, scalar_inputs, simulate_gradient_descent
from grokdelay._two_layer import CoupledKernel

LEVELS = (1e-2, 1e-3, 1e-4)


def sample_errors(kw, d_in, d_h, seed, steps):
    run = simulate_gradient_descent(**kw, d_in=d_in, hidden=d_h, seed=seed, max_steps=steps,
                                    method="direct", threshold=1e-9)
    x, _, (t0, t1), (w0, w1), n = _sample_problem(scalar_inputs(None, kw), d_in, seed, d_h)
    nu, v = np.linalg.eigh(x.T @ x / n)
    tb, db = v.T @ (t0 @ t1), v.T @ (w0 @ w1 - t0 @ t1)
    d_out, eta = kw["d_out"], kw["learning_rate"]
    dd, k0 = np.sum(db ** 2, axis=1), np.sum(w1 ** 2)
    ck = CoupledKernel(nu[None], dd[None] / 4, np.sum(tb * db, axis=1)[None] / 2, k0 ** 2,
                       8 * d_out, eta / d_out ** 2)
    u_grid = np.geomspace(1e-3, 1e4, 6000)
    loss_u = np.maximum(np.exp(-4 * u_grid[:, None] * nu) @ dd / d_out, 1e-300)
    out = []
    for level in LEVELS:
        target = level * run.gen_loss[0]
        hit = run.gen_loss <= target
        if not hit.any():
            out.append((math.nan, math.nan))
            continue
        t_sim = float(np.argmax(hit))
        u_star = np.interp(np.log(target), np.log(loss_u[::-1]), u_grid[::-1])
        out.append((ck.clock(u_star)[0] / t_sim - 1, u_star * d_out ** 2 / (eta * k0) / t_sim - 1))
    return out, run.gen_loss


def first(values, level):
    hit = values <= level
    return float(np.argmax(hit)) if hit.any() else math.inf


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--d-in", type=int, default=200)
    args = ap.parse_args(argv)
    rows = []
    for d_out in (1, 4):
        for d_h in (20, 100):
            for alpha in (0.3, 1.0, 2.0):
                eta = 0.1 * d_out ** 2 / (alpha * 2.9)     # 2 eta0 kappa lambda_+ = 0.1
                steps = min(int(60 / (eta / (2 * d_out ** 2) * alpha)), 30000)
                kw = dict(aspect_ratio=0.5, learning_rate=eta, d_out=d_out, depth=2,
                          init_scale=alpha)
                errs, curves = [], []
                for seed in range(args.seeds):
                    e, g = sample_errors(kw, args.d_in, d_h, seed, steps)
                    errs.append(e)
                    curves.append(g * 2 * d_h)               # library units (module docs)
                errs = np.array(errs)                         # seeds x levels x (coupled, eq18)
                mean_sim = np.mean(curves, axis=0)
                p = gd.LinearTeacherStudent(aspect_ratio=0.5, learning_rate=eta, d_out=d_out,
                                            depth=2, init_scale=alpha, hidden_width=d_h)
                t = np.arange(steps + 1, dtype=float)
                pub = {}
                for kernel in ("coupled", "frozen"):
                    gen = gd.linear_teacher_student.losses(p, t, kernel=kernel)[1]
                    pub[kernel] = [first(gen, lv * gen[0]) / first(mean_sim, lv * mean_sim[0]) - 1
                                   for lv in LEVELS]
                row = {"d_out": d_out, "d_h": d_h, "alpha": alpha, "eta": eta, "steps": steps,
                       "sample_coupled_mean": errs[:, :, 0].mean(0).tolist(),
                       "sample_coupled_minmax": [float(errs[:, :, 0].min()),
                                                 float(errs[:, :, 0].max())],
                       "sample_eq18_mean": errs[:, :, 1].mean(0).tolist(),
                       "sample_eq18_minmax": [float(errs[:, :, 1].min()),
                                              float(errs[:, :, 1].max())],
                       "public_coupled": pub["coupled"], "public_eq18": pub["frozen"]}
                rows.append(row)
                print(f"d_out={d_out} d_h={d_h:3d} alpha={alpha:.1f} | sample: coupled "
                      f"[{row['sample_coupled_minmax'][0]:+.3f}, "
                      f"{row['sample_coupled_minmax'][1]:+.3f}] eq18 "
                      f"[{row['sample_eq18_minmax'][0]:+.3f}, {row['sample_eq18_minmax'][1]:+.3f}]"
                      f" | public vs seed mean: coupled "
                      + " ".join(f"{v:+.3f}" for v in pub["coupled"]) + "  eq18 "
                      + " ".join(f"{v:+.3f}" for v in pub["frozen"]), flush=True)
    rng = np.random.default_rng(0)
    n = 10_000
    p = gd.LinearTeacherStudent(aspect_ratio=rng.uniform(0.05, 0.95, n), learning_rate=0.01,
                                d_out=rng.integers(1, 8, n), depth=2,
                                init_scale=rng.uniform(0.1, 3.0, n),
                                hidden_width=rng.uniform(20, 2000, n))
    t0 = time.perf_counter()
    gd.predict_delay(p)
    t_exact = time.perf_counter() - t0
    t0 = time.perf_counter()
    gd.predict_delay(p, method="coupled")
    t_coupled = time.perf_counter() - t0
    print(f"10^4 points: exact (eq 18) {t_exact:.2f} s, coupled (eq 17) {t_coupled:.2f} s")
    out = {"rows": rows, "seeds": args.seeds, "d_in": args.d_in,
           "sweep_10k_exact_s": t_exact, "sweep_10k_coupled_s": t_coupled,
           "python": sys.version.split()[0]}
    path = Path(__file__).parent / "results" / "two_layer_validity.json"
    path.write_text(json.dumps(out, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

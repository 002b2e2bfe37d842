"""Throughput of the Euler-Maruyama escape simulation used to cross-check the Kramers formula.

Run: ``python benchmarks/bench_langevin.py``. For each landscape it reports walker-steps per
second, escapes per second, and the relative standard error of the mean escape time reached,
next to the exact mean first-passage time (1-D quadrature; exact for the decoupled 3-D well too).
"""

from __future__ import annotations

import math
import time

import numpy as np

from grokdelay import kramers as kr


def run(label, well, temperature, dt, walkers, seed=0):
    t0 = time.perf_counter()
    times = kr.escape_times(well.gradient, well.point(-1.0), temperature, dt,
                            exit_coordinate=well.escape_coordinate, exit_at=1.0,
                            n_walkers=walkers, seed=seed)
    wall = time.perf_counter() - t0
    mean = times.mean()
    se = times.std(ddof=1) / math.sqrt(walkers)
    exact = math.exp(kr.mfpt_1d(lambda z: (z * z - 1.0) ** 2, -1.0, 1.0, temperature,
                                x_left=-3.0))
    steps = times.sum() / dt
    return {"landscape": label, "walkers": walkers, "dt": dt, "wall_s": wall,
            "walker_steps_per_s": steps / wall, "escapes_per_s": walkers / wall,
            "mean": mean, "rel_se": se / mean, "exact": exact,
            "rel_err": mean / exact - 1.0}


def main():
    rng = np.random.default_rng(5)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    rows = [
        run("1-D quartic, DF/T = 3", kr.QuarticDoubleWell(1.0), 1 / 3, 0.005, 4000),
        run("1-D quartic, DF/T = 3", kr.QuarticDoubleWell(1.0), 1 / 3, 0.005, 20000),
        run("3-D rotated, DF/T = 3", kr.QuarticDoubleWell(1.0, [2.0, 5.0], 0.0, rotation=q),
            1 / 3, 0.01, 3000),
        run("3-D rotated, DF/T = 3", kr.QuarticDoubleWell(1.0, [2.0, 5.0], 0.0, rotation=q),
            1 / 3, 0.01, 20000),
    ]
    head = f"{'landscape':24s} {'walkers':>7s} {'dt':>6s} {'wall s':>7s} {'Mstep/s':>8s} " \
           f"{'esc/s':>8s} {'rel SE':>7s} {'sim/exact-1':>11s}"
    print(head)
    for r in rows:
        print(f"{r['landscape']:24s} {r['walkers']:7d} {r['dt']:6.3f} {r['wall_s']:7.2f} "
              f"{r['walker_steps_per_s'] / 1e6:8.1f} {r['escapes_per_s']:8.0f} "
              f"{r['rel_se']:7.2%} {r['rel_err']:+11.2%}")
    return rows


if __name__ == "__main__":
    main()

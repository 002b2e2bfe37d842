"""Benchmark: the exact linear teacher-student delay over 10^4 points, speed, memory, accuracy.

Run: ``python benchmarks/bench_linear_teacher_student.py [--loop-sample 100] [--quick]``

1. Vectorized ``predict_delay(..., method="exact")`` (median of 5 timed runs) over a 100 x 100
   grid of
   (aspect_ratio, weight_decay): aspect_ratio in [0.05, 0.95], weight_decay 0 and 99 values
   in [1e-6, 1e-3] (so part of the grid never groks: weight-decay floor above the target),
   learning_rate 0.01, threshold 1e-3, d_out = 1.
2. The obvious alternative, one point at a time: ``scipy.integrate.quad`` of eq 14/38 over
   the Marchenko-Pastur density (QAWS with the square-root edge weights, so that quad can
   reach 1e-11 relative), ``brentq`` in log t to 1e-12, floors by quad at t = inf. It runs
   on a random subsample of the grid (``--loop-sample`` points) and the time is
   extrapolated linearly to 10^4 points (each point is an independent solve of similar
   cost, so the extrapolation is fair; it is stated in the output).
3. Peak memory of the vectorized call (tracemalloc; numpy reports its buffers to it) and
   the process's maximum RSS.
4. Accuracy against an mpmath reference at 30 digits (mpmath.quad of the same integrals in
   the angle variable that removes the square-root edges, mpmath.findroot with the
   bracketing Anderson-Bjorck solver), including aspect_ratio = 0.99 with
   threshold = 1e-6.
"""

from __future__ import annotations

import argparse
import math
import resource
import time
import tracemalloc
import warnings

import mpmath
import numpy as np
from scipy import integrate, optimize

import grokdelay as gd

ETA, EPS = 0.01, 1e-3


def grid():
    lam = np.linspace(0.05, 0.95, 100)
    wd = np.concatenate([[0.0], np.logspace(-6, -3, 99)])
    return np.meshgrid(lam, wd, indexing="ij")


# --------------------------------------------------------------------------- the slow loop


def _loss_quad(lam, wd, t, kind, weighted=True):
    """Eq 14/38 (d_out = 1, unit init, no noise) by quad; t may be inf.

    ``weighted``: QAWS with the square-root edge weights (the careful version); otherwise
    plain QAGS on density times integrand (the obvious version).
    """
    a, b = (1 - math.sqrt(lam)) ** 2, (1 + math.sqrt(lam)) ** 2
    g = wd / 2.0

    def f(nu):
        k = nu + g
        e = 0.0 if math.isinf(t) else math.exp(-2 * ETA * k * t)
        q = nu if kind == "tr" else 1.0
        return 0.5 * (e * e + ((e * nu + g) / k) ** 2) * q / (2 * math.pi * lam * nu)

    if weighted:
        val, _ = integrate.quad(f, a, b, weight="alg", wvar=(0.5, 0.5), epsabs=0.0,
                                epsrel=1e-11, limit=200)
    else:
        val, _ = integrate.quad(lambda nu: f(nu) * math.sqrt(max((b - nu) * (nu - a), 0.0)),
                                a, b, epsabs=0.0, epsrel=1e-11, limit=500)
    return val


def _time_quad(lam, wd, level, kind, weighted=True):
    if _loss_quad(lam, wd, math.inf, kind, weighted) >= level:
        return math.inf

    def h(x):
        return (math.log(_loss_quad(lam, wd, math.exp(x), kind, weighted))
                - math.log(level))

    hi = 0.0
    while h(hi) > 0:
        hi += 2.0
    lo = hi - 2.0
    while h(lo) < 0:
        lo -= 2.0
    return math.exp(optimize.brentq(h, lo, hi, xtol=1e-12, rtol=1e-14))


def loop_delay(lam, wd, weighted=True):
    level = EPS / 4
    t_mem = _time_quad(lam, wd, level, "tr", weighted)
    t_grok = _time_quad(lam, wd, level, "gen", weighted) if math.isfinite(t_mem) else math.inf
    return t_mem, t_grok


# --------------------------------------------------------------------------- mpmath reference


def mp_loss(lam, wd, t, kind, eta=ETA):
    lam, wd, t = mpmath.mpf(lam), mpmath.mpf(wd), mpmath.mpf(t)
    a, b = (1 - mpmath.sqrt(lam)) ** 2, (1 + mpmath.sqrt(lam)) ** 2
    g = wd / 2

    def f(th):
        nu = a + (b - a) * (1 - mpmath.cos(th)) / 2
        dens = ((b - a) / 2) ** 2 * mpmath.sin(th) ** 2 / (2 * mpmath.pi * lam * nu)
        k = nu + g
        e = mpmath.exp(-2 * eta * k * t)
        q = nu if kind == "tr" else 1
        return mpmath.mpf(1) / 2 * (e * e + ((e * nu + g) / k) ** 2) * q * dens

    pts = [0, mpmath.mpf("0.001"), mpmath.mpf("0.003"), mpmath.mpf("0.01"),
           mpmath.mpf("0.03"), mpmath.mpf("0.1"), mpmath.mpf("0.3"), 1, mpmath.pi]
    return mpmath.quad(f, pts)


def mp_time(lam, wd, threshold, kind, guess):
    level = mpmath.mpf(threshold) / 4

    def h(x):
        return mpmath.log(mp_loss(lam, wd, mpmath.exp(x), kind)) - mpmath.log(level)

    x0 = mpmath.log(guess)
    return mpmath.exp(mpmath.findroot(h, (x0 - mpmath.mpf("0.01"), x0 + mpmath.mpf("0.01")),
                                      solver="anderson", tol=1e-28))


REFERENCE_POINTS = [  # (aspect_ratio, weight_decay, threshold)
    (0.1, 0.0, 1e-3), (0.5, 0.0, 1e-3), (0.9, 0.0, 1e-3), (0.99, 0.0, 1e-6),
    (0.99, 0.0, 1e-1), (0.5, 1e-4, 1e-3), (0.9, 1e-5, 1e-6), (0.3, 1e-2, 1e-2),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loop-sample", type=int, default=100,
                    help="points of the per-point quad + brentq loop (extrapolated to 1e4)")
    ap.add_argument("--quick", action="store_true", help="fewer mpmath reference points")
    args = ap.parse_args(argv)

    lam, wd = grid()
    params = gd.LinearTeacherStudent(aspect_ratio=lam, learning_rate=ETA, weight_decay=wd,
                                     threshold=EPS)
    gd.predict_delay(gd.LinearTeacherStudent(0.5, ETA))  # warm-up (imports, caches)
    # median of 5 runs: the machine is shared, and a single 0.2 s call is at the mercy of
    # the scheduler (the loops below average over 100 points and ~1-2 s themselves)
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        pred = gd.predict_delay(params)
        runs.append(time.perf_counter() - t0)
    t_vec = float(np.median(runs))
    tracemalloc.start()  # separately: tracing slows numpy's many small allocations
    gd.predict_delay(params)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = lam.size
    n_inf = int(np.isinf(pred.t_grok).sum())
    print(f"vectorized exact: {n} points in {t_vec:.3f} s (median of 5; min {min(runs):.3f} s, "
          f"max {max(runs):.3f} s; {1e6 * t_vec / n:.1f} us/point); "
          f"{n_inf} never grok (weight-decay floor above the target)")
    print(f"  peak traced memory {peak / 2**20:.1f} MiB; process max RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")

    rng = np.random.default_rng(0)
    idx = rng.choice(n, size=min(args.loop_sample, n), replace=False)
    for weighted, label in ((False, "plain quad (QAGS)"), (True, "edge-weighted quad (QAWS)")):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            loop = [loop_delay(float(lam.flat[i]), float(wd.flat[i]), weighted) for i in idx]
        t_loop = time.perf_counter() - t0
        per = t_loop / idx.size
        rel = []
        for (tm, tg), i in zip(loop, idx):
            for mine, ref in ((pred.t_mem.flat[i], tm), (pred.t_grok.flat[i], tg)):
                if math.isinf(ref) or math.isinf(mine):
                    assert math.isinf(ref) and math.isinf(mine), (i, mine, ref)
                else:
                    rel.append(abs(ref / mine - 1))
        print(f"per-point {label} + brentq loop: {idx.size} random grid points in "
              f"{t_loop:.2f} s ({1e3 * per:.2f} ms/point); extrapolated to {n} points: "
              f"{per * n:.0f} s; speed-up of the vectorized exact method: "
              f"{per * n / t_vec:.1f}x; max relative deviation from exact {max(rel):.1e}")

    points = REFERENCE_POINTS[:4] if args.quick else REFERENCE_POINTS
    print("accuracy vs mpmath (30 digits):")
    worst = 0.0
    with mpmath.workdps(30):
        for lam_, wd_, eps_ in points:
            p = gd.predict_delay(gd.LinearTeacherStudent(lam_, ETA, weight_decay=wd_,
                                                         threshold=eps_))
            errs = []
            for kind, mine in (("tr", p.t_mem), ("gen", p.t_grok)):
                if math.isinf(mine):
                    errs.append(float("nan"))
                    continue
                ref = mp_time(lam_, wd_, eps_, kind, mine)
                errs.append(abs(float(mine / ref - 1)))
            worst = max([worst] + [e for e in errs if e == e])
            print(f"  aspect_ratio={lam_:<5} weight_decay={wd_:<7g} threshold={eps_:<6g} "
                  f"t_mem={p.t_mem:.10g} (rel err {errs[0]:.1e}), t_grok={p.t_grok:.10g} "
                  f"(rel err {errs[1]:.1e})")
    print(f"  worst relative error: {worst:.1e}")


if __name__ == "__main__":
    main()

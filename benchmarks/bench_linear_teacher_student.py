"""Benchmark: the exact linear teacher-student delay, speed, memory and accuracy.

Run: ``python benchmarks/bench_linear_teacher_student.py [--repeats 5] [--sample 60]
[--big] [--quick] [--baseline SRC]``

Measured honestly (issue 16): every time is paired CPU time (``time.process_time``, all
threads) and wall time (``time.perf_counter``); every comparison is between runs on the
same points in the same process, interleaved repeat by repeat so that they see the same
machine load, and summarized as min / median / max over the repeats. Nothing is
extrapolated.

0. **The compiled kernel's start-up** (numba, ``grokdelay[fast]``), in fresh processes: the
   first batch call with an empty numba cache (import + compile) and with the cache warm
   (import + load), each less the same call's steady time.
1. **Batch against batch.** Both paths of the exact method, paired in one run: the
   compiled kernel (``GROKDELAY_KERNEL=auto``, the default for 64 points or more) and the
   pure-numpy path (``GROKDELAY_KERNEL=numpy``). The grid: 100 x 100 (aspect_ratio, weight_decay),
   aspect_ratio in [0.05, 0.95], weight_decay 0 and 99 values in [1e-6, 1e-3] (part of it
   never groks: the weight-decay floor is above the target), learning_rate 0.01,
   threshold 1e-3, d_out = 1. Against it, on a random sample of ``--sample`` of its
   points: the vectorized exact method on that sample, and the fair per-point baseline on
   the same sample: ``scipy.integrate.quad`` with the square-root edge weights (QAWS, which
   reaches 1e-11 relative; plain QAGS is 69-83% wrong at aspect_ratio 0.99, threshold 1e-6,
   shown once) + ``brentq`` in log t. The floor of the work: ``numpy.exp`` of 250 values
   per point (about what 40-60 quadrature nodes and 3-6 Newton steps need), timed over the
   same number of points; and the kernel's own exp (``_lts_numba.exp_nonpositive``) on the
   same values, since numpy's float64 exp is a scalar libm call on machines without
   AVX512F.
2. **Scalar against scalar.** One ``predict_delay`` call on one point (each sample point in
   turn; numpy by default, the compiled one-point solve with ``GROKDELAY_KERNEL=numba``)
   against one QAWS + brentq solve of that point. ``--baseline SRC``: the batch and scalar
   timings, and the construction of the scalar parameter objects, of another source tree
   (e.g. ``/path/to/main/src``) against this one, in alternating fresh processes (two
   trees cannot share one process). Each scalar job calls every sample point once, right
   after the other jobs of its repeat (one of which writes a 20 MB array), so it runs on
   cold caches; the "warm" jobs make five passes over the points, as a loop of calls does
   (a call right after a 20 MB array operation costs about 10% more).
3. **The coupled two-layer path** (``method="coupled"``, depth 2, finite hidden width)
   against the exact depth-2 path on the same points.
4. **Memory**: peak traced memory (tracemalloc; numpy reports its buffers to it) of one call
   on 2 x 10^5 points and, with ``--big``, on 10^6 points, both paths (the kernel's scratch,
   six rows of at most 854 nodes, is not traced).
5. **Accuracy** against an mpmath reference at 30 digits (mpmath.quad of the same integrals
   in the angle variable that removes the square-root edges, mpmath.findroot with the
   bracketing Anderson-Bjorck solver), including aspect_ratio = 0.99 with threshold = 1e-6
   and a point just inside the never-groks edge (weight decay 0.1% below the value at
   which the generalization floor reaches the target); both paths, and the agreement of the
   two paths on the whole grid.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
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


def lts(lam, wd, eps=EPS, **kw):
    return gd.LinearTeacherStudent(aspect_ratio=lam, learning_rate=ETA, weight_decay=wd,
                                   threshold=eps, **kw)


# --------------------------------------------------------------------------- the baseline


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


def quad_delay(lam, wd, eps=EPS, weighted=True):
    level = eps / 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        t_mem = _time_quad(lam, wd, level, "tr", weighted)
        t_grok = (_time_quad(lam, wd, level, "gen", weighted) if math.isfinite(t_mem)
                  else math.inf)
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


def _edge_wd(lam, eps=EPS):
    """A weight decay 0.1% below the one whose generalization floor is the target."""
    level = eps / 4

    def h(lwd):
        return math.log(gd.linear_teacher_student.loss_floors(lts(lam, math.exp(lwd)))[1]
                        / level)

    return math.exp(optimize.brentq(h, math.log(1e-6), math.log(1.0)) + math.log(1 - 1e-3))


REFERENCE_POINTS = [  # (aspect_ratio, weight_decay, threshold)
    (0.1, 0.0, 1e-3), (0.5, 0.0, 1e-3), (0.9, 0.0, 1e-3), (0.99, 0.0, 1e-6),
    (0.99, 0.0, 1e-1), (0.5, 1e-4, 1e-3), (0.9, 1e-5, 1e-6), (0.3, 1e-2, 1e-2),
    (2.0, 1e-4, 1e-3), (0.5, "edge", 1e-3),
]


# --------------------------------------------------------------------------- timing


def _clock(fn):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return time.process_time() - c0, time.perf_counter() - w0, out


def _mmm(xs, scale=1.0, fmt="{:.3g}"):
    xs = [x * scale for x in xs]
    return "/".join(fmt.format(v) for v in (min(xs), statistics.median(xs), max(xs)))


def paired(jobs: dict, repeats: int) -> dict:
    """{name: (cpu list, wall list)}: every job once per repeat, interleaved."""
    out = {k: ([], []) for k in jobs}
    for _ in range(repeats):
        for k, fn in jobs.items():
            c, w, _ = _clock(fn)
            out[k][0].append(c)
            out[k][1].append(w)
    return out


def _report(res, per: dict, unit: str, scale: float):
    for k, (c, w) in res.items():
        n = per[k]
        print(f"  {k:38s} cpu {_mmm(c, scale / n)} {unit}, wall {_mmm(w, scale / n)} {unit}"
              " per point (min/median/max)")


def _ratios(res, num, den, per):
    c = [a / per[num] / (b / per[den]) for a, b in zip(res[num][0], res[den][0])]
    w = [a / per[num] / (b / per[den]) for a, b in zip(res[num][1], res[den][1])]
    return f"{num} / {den}: cpu {_mmm(c)}, wall {_mmm(w)} (paired, min/median/max)"


_STARTUP_CHILD = """
import time, numpy as np
import grokdelay as gd
lam, wd = np.meshgrid(np.linspace(0.05, 0.95, 40), np.geomspace(1e-6, 1e-3, 40))
p = gd.LinearTeacherStudent(aspect_ratio=lam, learning_rate=0.01, weight_decay=wd,
                            threshold=1e-3)
t0 = time.perf_counter(); gd.predict_delay(p); t1 = time.perf_counter()
gd.predict_delay(p); t2 = time.perf_counter()
print((t1 - t0) - (t2 - t1))
"""


def startup_costs() -> dict:
    """Seconds the first compiled batch call costs over a later one, in fresh processes:
    numba cache empty (import + JIT compile), then warm (import + cache load)."""
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, GROKDELAY_KERNEL="numba")
        for what in ("import + JIT compile (empty numba cache)",
                     "import + cache load (warm cache)"):
            res = subprocess.run([sys.executable, "-c", _STARTUP_CHILD], env=env, check=True,
                                 capture_output=True, text=True)
            out[what] = float(res.stdout.split()[-1])
    env = dict(os.environ, GROKDELAY_KERNEL="numpy")
    res = subprocess.run([sys.executable, "-c", _STARTUP_CHILD], env=env, check=True,
                         capture_output=True, text=True)
    out["for comparison, numpy path (no numba)"] = float(res.stdout.split()[-1])
    return out


_TREE_CHILD = """
import os, sys, time, json
sys.path.insert(0, {src!r})
import numpy as np
import grokdelay as gd
assert gd.__file__.startswith({src!r}), gd.__file__
lam, wd = np.meshgrid(np.linspace(0.05, 0.95, 100),
                      np.concatenate([[0.0], np.logspace(-6, -3, 99)]), indexing="ij")
full = gd.LinearTeacherStudent(aspect_ratio=lam, learning_rate=0.01, weight_decay=wd,
                               threshold=1e-3)
idx = np.random.default_rng(0).choice(lam.size, 40, replace=False)
scal = [gd.LinearTeacherStudent(aspect_ratio=float(lam.flat[i]), learning_rate=0.01,
                                weight_decay=float(wd.flat[i]), threshold=1e-3) for i in idx]
os.environ["GROKDELAY_KERNEL"] = {kernel!r}
gd.predict_delay(full)
for q in scal:
    gd.predict_delay(q)
c0 = time.process_time(); gd.predict_delay(full); c1 = time.process_time()
for q in scal:
    gd.predict_delay(q)
c2 = time.process_time()
for _ in range(5):      # constructing the scalar parameter objects (validation included)
    for i in idx:
        gd.LinearTeacherStudent(aspect_ratio=float(lam.flat[i]), learning_rate=0.01,
                                weight_decay=float(wd.flat[i]), threshold=1e-3)
c3 = time.process_time()
print(json.dumps([(c1 - c0) / lam.size * 1e6, (c2 - c1) / len(scal) * 1e3,
                  (c3 - c2) / (5 * len(scal)) * 1e3]))
"""


def compare_trees(baseline: str, repeats: int) -> None:
    """Batch (us per point) and scalar (ms per call) CPU time of ``baseline`` against this
    tree's numpy and compiled paths, in fresh processes alternating repeat by repeat."""
    import json
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    runs = {"baseline": (baseline, "numpy"), "this tree, numpy": (here, "numpy"),
            "this tree, compiled (auto batch, numba scalar)": (here, "numba")}
    out = {k: [] for k in runs}
    for _ in range(repeats):
        for k, (src, kern) in runs.items():
            code = _TREE_CHILD.format(src=os.path.abspath(src), kernel=kern)
            res = subprocess.run([sys.executable, "-c", code], check=True,
                                 capture_output=True, text=True)
            out[k].append(json.loads(res.stdout.strip().splitlines()[-1]))
    for k, v in out.items():
        b, s, c = zip(*v)
        print(f"    {k:48s} batch {_mmm(b)} us/pt, scalar {_mmm(s)} ms, construct "
              f"{_mmm(c)} ms (min/median/max)")
    for k in list(runs)[1:]:
        rb, rs, rc = ([a[j] / b[j] for a, b in zip(out[k], out["baseline"])] for j in range(3))
        print(f"    {k} / baseline: batch {_mmm(rb)}, scalar {_mmm(rs)}, construct {_mmm(rc)}"
              " (paired)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sample", type=int, default=60, help="points of the per-point baseline")
    ap.add_argument("--big", action="store_true", help="also trace memory at 10^6 points")
    ap.add_argument("--quick", action="store_true", help="fewer mpmath reference points")
    ap.add_argument("--baseline", help="another source tree to time against this one")
    args = ap.parse_args(argv)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; times: "
          f"{args.repeats} paired repeats")

    lam, wd = grid()
    n = lam.size
    rng = np.random.default_rng(0)
    idx = rng.choice(n, size=min(args.sample, n), replace=False)
    s_lam, s_wd = lam.flat[idx], wd.flat[idx]
    full, sample = lts(lam, wd), lts(s_lam, s_wd)
    scalars = [lts(float(a), float(b)) for a, b in zip(s_lam, s_wd)]
    pred = gd.predict_delay(full)      # warm-up (imports, caches) and the reference values
    exps = np.linspace(-50.0, 0.0, 250 * n)

    def qaws_loop():
        return [quad_delay(float(a), float(b)) for a, b in zip(s_lam, s_wd)]

    print("0. compiled kernel start-up (fresh processes):")
    for what, t in startup_costs().items():
        print(f"  {what}: {t:.2f} s")

    def kernel(name):
        os.environ["GROKDELAY_KERNEL"] = name

    def batch(name, p):
        kernel(name)
        return gd.predict_delay(p)

    def scalar_loop(name, passes=1):
        kernel(name)
        for _ in range(passes):
            for p in scalars:
                gd.predict_delay(p)
        kernel("auto")

    from grokdelay import _lts_numba
    exp_out = np.empty_like(exps)

    @_lts_numba._jit
    def kernel_exp(x, out):
        for j in range(x.size):
            out[j] = _lts_numba.exp_nonpositive(x[j])

    kernel_exp(exps[:10], exp_out[:10])
    batch("numba", sample)              # warm-up: every kernel loaded before the timing
    scalar_loop("numba")
    scalar_loop("numpy")
    print("1-2. batch vs batch, scalar vs scalar (us per point):")
    jobs = {"exact compiled, batch of 10^4 grid points": lambda: batch("auto", full),
            "exact numpy, batch of 10^4 grid points": lambda: batch("numpy", full),
            f"exact compiled, batch of the {idx.size} points": lambda: batch("numba", sample),
            "numpy exp, 250 per point (the floor)": lambda: np.exp(exps),
            "kernel exp, 250 per point": lambda: kernel_exp(exps, exp_out),
            f"exact numpy, scalar calls on the {idx.size} points": lambda: scalar_loop("numpy"),
            f"exact compiled, scalar calls ({idx.size})": lambda: scalar_loop("numba"),
            f"QAWS + brentq, the {idx.size} points": qaws_loop,
            "exact numpy, scalar calls, 5 passes (warm)": lambda: scalar_loop("numpy", 5),
            "exact compiled, scalar calls, 5 passes (warm)": lambda: scalar_loop("numba", 5)}
    per = dict(zip(jobs, (n, n, idx.size, n, n, idx.size, idx.size, idx.size, 5 * idx.size,
                          5 * idx.size)))
    res = paired(jobs, args.repeats)
    kernel("auto")
    _report(res, per, "us", 1e6)
    names = list(jobs)
    print("  " + _ratios(res, names[0], names[3], per) + "  <- compiled batch / exp floor")
    print("  " + _ratios(res, names[1], names[3], per) + "  <- numpy batch / exp floor")
    print("  " + _ratios(res, names[0], names[4], per) + "  <- compiled batch / kernel exp")
    print("  " + _ratios(res, names[1], names[0], per) + "  <- numpy / compiled, batch")
    print("  " + _ratios(res, names[5], names[6], per) + "  <- numpy / compiled, scalar")
    print("  " + _ratios(res, names[7], names[2], per) + "  <- QAWS / compiled batch")
    print("  " + _ratios(res, names[7], names[5], per) + "  <- QAWS / numpy scalar")
    print("  " + _ratios(res, names[8], names[5], per) + "  <- numpy scalar, warm / cold")
    agree = [batch(k, full) for k in ("auto", "numpy")]
    kernel("auto")
    rel = [np.abs(getattr(agree[0], f)[np.isfinite(getattr(agree[1], f))]
                  / getattr(agree[1], f)[np.isfinite(getattr(agree[1], f))] - 1)
           for f in ("t_mem", "t_grok")]
    rel = np.concatenate(rel)
    print(f"  compiled vs numpy on the grid: max relative difference {rel.max():.1e}, "
          f"{np.mean(rel == 0):.0%} of the finite times bit-identical")
    if args.baseline:
        print(f"  baseline {args.baseline} vs this tree (alternating fresh processes):")
        compare_trees(args.baseline, args.repeats)

    loop = qaws_loop()
    rel = []
    for (tm, tg), i in zip(loop, idx):
        for mine, ref in ((pred.t_mem.flat[i], tm), (pred.t_grok.flat[i], tg)):
            if math.isinf(ref) or math.isinf(mine):
                assert math.isinf(ref) and math.isinf(mine), (i, mine, ref)
            else:
                rel.append(abs(ref / mine - 1))
    print(f"  QAWS vs exact on the sample: max relative deviation {max(rel):.1e}; "
          f"{int(np.isinf(pred.t_grok).sum())} of {n} grid points never grok")
    good = gd.predict_delay(lts(0.99, 0.0, 1e-6))
    try:
        bad = quad_delay(0.99, 0.0, 1e-6, weighted=False)
        print(f"  plain QAGS at aspect_ratio 0.99, threshold 1e-6: t_mem off by "
              f"{abs(bad[0] / good.t_mem - 1):.0%}, t_grok off by "
              f"{abs(bad[1] / good.t_grok - 1):.0%}")
    except ValueError:   # the late-time loss comes out <= 0: no log, no root
        print("  plain QAGS at aspect_ratio 0.99, threshold 1e-6: fails (the quadrature "
              "returns a loss <= 0 at late times)")

    print("3. coupled two-layer path vs exact depth 2 (us per point, 400 points):")
    cl = np.linspace(0.1, 0.9, 20)[:, None]
    ch = np.geomspace(20, 2000, 20)[None, :]
    deep = dict(aspect_ratio=cl, learning_rate=ETA, threshold=EPS, d_out=4, depth=2,
                init_scale=0.3, hidden_width=ch)
    pdeep = gd.LinearTeacherStudent(**deep)
    res = paired({"coupled": lambda: gd.predict_delay(pdeep, method="coupled"),
                  "exact depth 2": lambda: gd.predict_delay(pdeep)}, args.repeats)
    per = {"coupled": 400, "exact depth 2": 400}
    _report(res, per, "us", 1e6)
    print("  " + _ratios(res, "coupled", "exact depth 2", per))

    print("4. peak traced memory of one call (inputs and outputs included):")
    sizes = [("exact", 200_000, "auto"), ("exact", 200_000, "numpy")]
    sizes += ([("exact", 1_000_000, "auto"), ("exact", 1_000_000, "numpy")] if args.big else [])
    sizes += [("coupled", 20_000, "auto")]
    for kind, size, path in sizes:
        kernel(path)
        lam_m = np.linspace(0.05, 0.95, size)
        if kind == "exact":
            wd_m = np.where(np.arange(size) % 3 == 0, 0.0, np.geomspace(1e-6, 1e-3, size))
            p = lts(lam_m, wd_m)
        else:
            p = gd.LinearTeacherStudent(aspect_ratio=lam_m, learning_rate=ETA, threshold=EPS,
                                        d_out=4, depth=2, init_scale=0.3,
                                        hidden_width=np.geomspace(20, 2000, size))
        tracemalloc.start()
        c, w, _ = _clock(lambda: gd.predict_delay(p, method=kind))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        kernel("auto")
        print(f"  {kind:8s}{path:6s}{size:>10,d} points: peak {peak / 2**20:7.1f} MiB = "
              f"{peak / 2**20 / (size / 2e5):6.1f} MiB per 2x10^5 points "
              f"({peak / size:.0f} bytes per point); traced call {w:.1f} s wall")

    points = REFERENCE_POINTS[:4] + REFERENCE_POINTS[-1:] if args.quick else REFERENCE_POINTS
    print("5. accuracy vs mpmath (30 digits):")
    worst = 0.0
    with mpmath.workdps(30):
        for lam_, wd_, eps_ in points:
            wd_ = _edge_wd(lam_, eps_) if wd_ == "edge" else wd_
            preds = {}
            for path in ("numpy", "numba"):      # one point: numba = the compiled solve
                kernel(path)
                preds[path] = gd.predict_delay(lts(lam_, wd_, eps_))
                block = gd.predict_delay(lts(np.full(64, lam_), wd_, eps_))  # block path
                preds[path + " block"] = block
            kernel("auto")
            p = preds["numpy"]
            line = []
            for kind, mine in (("tr", p.t_mem), ("gen", p.t_grok)):
                if math.isinf(mine):
                    line.append(f"{kind} inf")
                    continue
                ref = mp_time(lam_, wd_, eps_, kind, mine)
                errs = []
                for path, q in preds.items():
                    v = q.t_mem if kind == "tr" else q.t_grok
                    errs.append(abs(float(float(np.ravel(v)[0]) / ref - 1)))
                worst = max([worst] + errs)
                line.append(f"{kind} {float(ref):.10g} rel err " + "/".join(f"{e:.1e}"
                                                                           for e in errs))
            print(f"  aspect_ratio={lam_:<5} weight_decay={wd_:<10.6g} threshold={eps_:<6g} "
                  + "; ".join(line))
    print("  (rel err: numpy one point / numpy block / compiled one point / compiled block)")
    print(f"  worst relative error: {worst:.1e}")


if __name__ == "__main__":
    main()

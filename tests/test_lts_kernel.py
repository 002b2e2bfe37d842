"""The optional compiled kernel of the exact linear teacher-student path (numba).

The compiled path and the numpy path compute the same quadrature, the same Newton
iteration and the same stopping rules; they differ only by rounding (sums over the nodes in
another order, the kernel's own exp). These tests pin that: the two paths agree on a broad
random grid including the hard points, ``exp_nonpositive`` is within 1 ulp of the true
value, the choice of path follows GROKDELAY_KERNEL, and without numba the numpy path gives
the numpy numbers, and calls of one to 63 points never import numba (they are numpy in
both settings). numba compiles once per machine (``cache=True``); the first test that
runs the kernel pays the compile (about 10 s), later sessions load it from the cache.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

import grokdelay as gd
from grokdelay import _lts_kernel

pytest.importorskip("numba")   # in the "test" extra, so it runs in CI


def _predict(monkeypatch, kernel, p):
    monkeypatch.setenv("GROKDELAY_KERNEL", kernel)
    return gd.predict_delay(p)


def _random_points(n, seed):
    rng = np.random.default_rng(seed)
    lam = np.concatenate([rng.uniform(0.01, 0.99, n // 2),
                          np.exp(rng.uniform(math.log(1.01), math.log(30.0), n // 4)),
                          np.full(n - n // 2 - n // 4, 1.0)])
    wd = np.where(rng.random(n) < 0.3, 0.0, 10 ** rng.uniform(-7, -2, n))
    return gd.LinearTeacherStudent(
        aspect_ratio=lam, learning_rate=0.01, weight_decay=wd,
        threshold=10 ** rng.uniform(-6, -2, n), d_out=rng.choice([1, 10], n),
        depth=np.where(wd > 0, 1, rng.choice([1, 2], n)),
        label_noise=np.where(rng.random(n) < 0.15, 10 ** rng.uniform(-3, -1, n), 0.0),
        init_scale=rng.uniform(0.3, 1.5, n))


def _hard_points():
    """aspect_ratio 0.99 with threshold 1e-6, the never-groks edge (the weight-decay floor
    0.1% under the target, aspect_ratio 0.1-0.9), aspect_ratio 1 with weight decay."""
    lam = [0.99, 0.99, 1.0, 1.0, 0.1, 0.3, 0.5, 0.7, 0.9]
    wd = [0.0, 1e-6, 1e-4, 2.4e-6, 0.0, 0.0, 0.01657698, 0.0, 0.0]
    eps = [1e-6, 1e-6, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3]
    for i, lam_i in enumerate(lam):               # the never-groks edge, found by bisection
        if i >= 4 and wd[i] == 0.0:
            wd[i] = _edge_wd(lam_i)
    # eight copies: calls of fewer than 64 points do not use the kernel
    return gd.LinearTeacherStudent(aspect_ratio=np.tile(lam, 8), learning_rate=0.01,
                                   weight_decay=np.tile(wd, 8), threshold=np.tile(eps, 8))


def _edge_wd(lam):
    from scipy import optimize

    def h(lwd):
        p = gd.LinearTeacherStudent(aspect_ratio=lam, learning_rate=0.01,
                                    weight_decay=math.exp(lwd), threshold=1e-3)
        return math.log(gd.linear_teacher_student.loss_floors(p)[1] / 2.5e-4)

    return math.exp(optimize.brentq(h, math.log(1e-6), 0.0) + math.log(1 - 1e-3))


def _agreement(p, a, b):
    """Relative differences of the finite times over their tolerances (below); the
    never-fit / never-grok sets and the zeros equal exactly."""
    out = []
    for f, which in (("t_mem", 0), ("t_grok", 1)):
        x, y = np.ravel(getattr(a, f)), np.ravel(getattr(b, f))
        assert np.array_equal(np.isfinite(x), np.isfinite(y)), f
        assert not np.any(np.isnan(x))
        fin = np.isfinite(y) & (y > 0)
        assert np.array_equal(x[~fin], y[~fin]), f      # 0 and inf exactly
        out.append(np.abs(x[fin] / y[fin] - 1) / _tolerance(p, y, which)[fin])
    return np.concatenate(out)


def _tolerance(p, t, which):
    """Per crossing: 1e-14 + 32 ulp / |d log L / d log t| (the loss's relative slope at the
    crossing, by a central difference of the losses).

    The two paths' losses differ by a few ulp (the sums over ~100 nodes in another order,
    an exp within 1 ulp); a crossing moves that by the inverse relative slope of the loss.
    Well-conditioned crossings (slope ~ 1) get ~2e-14; at the never-groks edge (the floor
    0.1% under the target, slope ~ 1e-3) ~1e-11, where either path alone is ~1e-13 from
    mpmath (docs/performance.rst)."""
    t = np.ravel(np.where(np.isfinite(t) & (t > 0), t, 1.0))
    h = 1e-4
    up = np.log(gd.linear_teacher_student.losses(p, np.reshape(t * math.exp(h),
                                                               np.shape(p.aspect_ratio)))[which])
    down = np.log(gd.linear_teacher_student.losses(p, np.reshape(t * math.exp(-h),
                                                                 np.shape(p.aspect_ratio)))[which])
    slope = np.ravel(np.abs(up - down)) / (2 * h)
    return 1e-14 + 32 * np.finfo(float).eps / slope


def test_compiled_and_numpy_batches_agree_on_a_broad_grid(monkeypatch):
    p = _random_points(2000, seed=5)
    ratio = _agreement(p, _predict(monkeypatch, "numba", p), _predict(monkeypatch, "numpy", p))
    assert ratio.max() < 1.0, ratio.max()
    assert np.median(ratio) == 0.0          # most crossings agree bit for bit
    assert np.mean(ratio == 0.0) > 0.5


def test_compiled_and_numpy_agree_at_the_hard_points(monkeypatch):
    p = _hard_points()
    a, b = _predict(monkeypatch, "numba", p), _predict(monkeypatch, "numpy", p)
    # every point crosses but aspect_ratio = 1's generalization loss (floor sqrt(g) / 4)
    assert np.isfinite(b.t_mem).all() and np.isfinite(np.delete(b.t_grok[:9], [2, 3])).all()
    assert _agreement(p, a, b).max() < 1.0
    lam, wd, eps = (np.asarray(getattr(p, f), float)[:9]
                    for f in ("aspect_ratio", "weight_decay", "threshold"))
    for i in range(lam.size):                        # one-point calls
        q = gd.LinearTeacherStudent(aspect_ratio=lam[i], learning_rate=0.01,
                                    weight_decay=wd[i], threshold=eps[i])
        sa, sb = _predict(monkeypatch, "numba", q), _predict(monkeypatch, "numpy", q)
        assert _agreement(q, sa, sb).max() < 1.0
        auto = _predict(monkeypatch, "auto", q)      # one point: numpy unless forced
        assert (auto.t_mem, auto.t_grok) == (sb.t_mem, sb.t_grok)
        for f, which in (("t_mem", 0), ("t_grok", 1)):      # scalar against batch
            one, many = getattr(sa, f), getattr(b, f)[i]
            assert one == many or abs(one / many - 1) < _tolerance(q, np.array(one), which)


def test_compiled_one_point_solves_agree_with_numpy(monkeypatch):
    # GROKDELAY_KERNEL=numba: a one-point call is one compiled call (floors, bound, Newton)
    p = _random_points(200, seed=11)
    fields = ("aspect_ratio", "weight_decay", "threshold", "d_out", "depth", "label_noise",
              "init_scale")
    worst = 0.0
    for i in range(200):
        q = gd.LinearTeacherStudent(learning_rate=0.01, **{
            f: float(np.asarray(getattr(p, f), float)[i]) for f in fields})
        ratio = _agreement(q, _predict(monkeypatch, "numba", q),
                           _predict(monkeypatch, "numpy", q))
        worst = max([worst, *ratio])
    assert worst < 1.0


def test_exp_nonpositive_is_within_one_ulp():
    import mpmath

    from grokdelay import _lts_numba

    rng = np.random.default_rng(3)
    ys = np.concatenate([-rng.uniform(0, 708, 400), -rng.uniform(0, 1e-3, 50), [0.0, -708.0],
                         -np.logspace(-300, 2.8, 60)])
    with mpmath.workdps(30):
        for y in ys:
            mine = _lts_numba.exp_nonpositive(float(y))
            true = mpmath.exp(mpmath.mpf(float(y)))
            assert abs(mpmath.mpf(mine) - true) <= np.spacing(float(true)), y
    assert _lts_numba.exp_nonpositive(-708.5) == 0.0            # documented flush
    assert _lts_numba.exp_nonpositive(-1e300) == 0.0


def test_kernel_choice_follows_the_environment(monkeypatch):
    monkeypatch.setenv("GROKDELAY_KERNEL", "numpy")
    assert _lts_kernel.compiled() is None
    monkeypatch.setenv("GROKDELAY_KERNEL", "auto")
    assert _lts_kernel.compiled() is not None
    monkeypatch.setenv("GROKDELAY_KERNEL", "fortran")
    for lam in (0.5, np.linspace(0.1, 0.9, 70)):     # one point and a compiled-size call
        with pytest.raises(gd.ParameterError, match="GROKDELAY_KERNEL") as err:
            gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=lam, learning_rate=0.01,
                                                     threshold=1e-3))
        assert err.value.field == "GROKDELAY_KERNEL"


_PROBE = """
import os, sys, json
{block}
import numpy as np, grokdelay as gd
n = int(os.environ["PROBE_POINTS"])
p = gd.LinearTeacherStudent(aspect_ratio=np.linspace(0.1, 0.9, n), learning_rate=0.01,
                            weight_decay=np.geomspace(1e-6, 1e-3, n), threshold=1e-3)
try:
    r = gd.predict_delay(p)
    out = [float(v).hex() for v in np.concatenate([r.t_mem, r.t_grok])]
except ImportError as e:
    out = "ImportError: " + str(e)
print(json.dumps({{"numba": "numba" in sys.modules, "out": out}}))
"""


def _probe(kernel, block="", points=70):
    import json
    import os

    env = dict(os.environ, GROKDELAY_KERNEL=kernel, PROBE_POINTS=str(points))
    res = subprocess.run([sys.executable, "-c", _PROBE.format(block=block)], env=env,
                         check=True, capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_without_numba_the_numpy_path_runs_and_numba_is_never_imported():
    hide = "sys.modules['numba'] = None"          # as if numba were not installed
    forced = _probe("numpy")
    assert forced["numba"] is False                # the numpy path does not import numba
    fallback = _probe("auto", hide)
    assert fallback["out"] == forced["out"]        # the same numbers, bit for bit
    assert _probe("numba", hide)["out"].startswith("ImportError: GROKDELAY_KERNEL=numba")
    assert _probe("auto")["numba"] is True
    # one point and calls under 64 points stay on numpy: no numba import (start-up)
    assert _probe("auto", points=1)["numba"] is False
    assert _probe("auto", points=63)["numba"] is False
    assert _probe("numba", points=5)["numba"] is True     # forced: small calls too


def test_compiled_path_memory_stays_bounded(monkeypatch):
    import tracemalloc

    n = 200_000
    lam = np.linspace(0.05, 0.95, n)
    wd = np.where(np.arange(n) % 3 == 0, 0.0, np.geomspace(1e-6, 1e-3, n))
    p = gd.LinearTeacherStudent(aspect_ratio=lam, learning_rate=0.01, weight_decay=wd,
                                threshold=1e-3)
    monkeypatch.setenv("GROKDELAY_KERNEL", "numba")
    gd.predict_delay(_random_points(40, seed=1))   # compiled (or loaded) outside the trace
    tracemalloc.start()
    try:
        gd.predict_delay(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, peak / 2**20


def test_each_kernel_compiles_once():
    # every array reaches the kernels C-contiguous, writable and of one dtype, so numba
    # compiles (or loads) one specialization per kernel, whatever views the callers hold;
    # read-only broadcasts included (this file runs after test_linear_teacher_student.py)
    from grokdelay import _lts_numba

    lam = np.broadcast_to(np.linspace(0.1, 0.9, 100), (100,))
    p = gd.LinearTeacherStudent(aspect_ratio=lam, learning_rate=0.01, threshold=1e-3,
                                weight_decay=np.broadcast_to(1e-4, (100,)))
    assert not lam.flags.writeable
    gd.predict_delay(p)
    for name in ("crossings_block", "crossings_one"):
        assert len(getattr(_lts_numba, name).signatures) <= 1, name


def test_one_point_numpy_solves_agree_with_the_numpy_block(monkeypatch):
    # The one-point numpy path (Python floats, node rows shared across its two crossings,
    # the four sums as one matrix-vector product) against the same points in one numpy
    # block: within the agreement bound above (measured worst 0.29 of it over 400 points),
    # the never-fit / never-grok sets and the zeros exactly.
    p = _random_points(300, seed=21)
    fields = ("aspect_ratio", "weight_decay", "threshold", "d_out", "depth", "label_noise",
              "init_scale")
    block = _predict(monkeypatch, "numpy", p)
    worst = 0.0
    for i in range(300):
        q = gd.LinearTeacherStudent(learning_rate=0.01, **{
            f: float(np.asarray(getattr(p, f), float)[i]) for f in fields})
        one = _predict(monkeypatch, "numpy", q)
        for f, which in (("t_mem", 0), ("t_grok", 1)):
            a, b = getattr(one, f), np.ravel(getattr(block, f))[i]
            if np.isfinite(b) and b > 0:
                worst = max(worst, abs(a / b - 1) / _tolerance(q, np.array(a), which)[0])
            else:
                assert a == b, (i, f, a, b)
    assert worst < 1.0, worst


def test_one_point_floor_sums_equal_the_block_bit_for_bit():
    # Near the never-groks edge a crossing moves by ~150x a relative change of the
    # generalization floor, so the one-point floors (_lts_kernel.point_floor_sums) keep the
    # block's products and einsum sums exactly (a dot product instead differs in the last
    # bit on about half of the points; a plain sum moved the edge point of
    # tests/test_lts_crosscheck.py from 4e-14 to 1.4e-13 of mpmath).
    from grokdelay._lts_engine import Model, _floor_sums, _panels_1

    rng = np.random.default_rng(8)
    for _ in range(500):
        lam = float(rng.choice([rng.uniform(0.01, 3.0), 1.0]))
        wd, d_out = float(10 ** rng.uniform(-8, 0)), float(rng.choice([1, 3, 10]))
        m = Model([lam], [0.01], [wd], [d_out], [1], [1.0], [0.0])
        pt = _lts_kernel.Point1.of(m)
        p = _panels_1(pt.lam, pt.g, 0.0)
        one = _lts_kernel.point_floor_sums(pt, p, {})
        block = _floor_sums(m, p)
        assert one == (float(block[0][0]), float(block[1][0])), (lam, wd, d_out)

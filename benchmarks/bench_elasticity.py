"""Cost and accuracy of gd.elasticity: the exact (symbolic) path against the numerical one.

Run: ``python benchmarks/bench_elasticity.py``. For a few closed-form laws on 10^4 points it
times the exact path (first call: sympy differentiation and lambdify; later calls: cached),
the numerical path on the same points (7 predictions per point in one vectorized call) and
reports the largest disagreement; then the numerical path of linear_teacher_student's
"exact" method (no closed form), timed against one prediction of the same points. Times are
medians of 3 runs on a shared machine: read them as ratios measured in one run.
"""

from __future__ import annotations

import time

import numpy as np

import grokdelay as gd
from grokdelay import sensitivity as sens

N = 10_000
rng = np.random.default_rng(0)


def median_time(fn, n=3):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return float(np.median(out)), fn()


def closed_forms():
    cases = [
        ("norm_separation", gd.NormSeparation(learning_rate=rng.uniform(1e-4, 1e-2, N),
                                              weight_decay=rng.uniform(0.1, 10, N),
                                              norm_mem=rng.uniform(2, 50, N), norm_post=1.0),
         "weight_decay"),
        ("two_clocks", gd.TwoClocks(gap_rate=rng.uniform(0.01, 1, N), n_classes=97,
                                    loss_target=1e-2, kl_exponent=rng.uniform(0.55, 0.95, N),
                                    kl_rate=1e-3, structure_target=1e-4), "kl_exponent"),
        ("linear_teacher_student/lambert_w",
         gd.LinearTeacherStudent(aspect_ratio=rng.uniform(0.1, 0.9, N), learning_rate=0.01,
                                 threshold=rng.uniform(1e-5, 1e-3, N)), "aspect_ratio"),
    ]
    for label, p, field in cases:
        method = "lambert_w" if "lambert" in label else None
        t0 = time.perf_counter()
        gd.elasticity(p, field, method=method)
        first = time.perf_counter() - t0
        t_exact, e = median_time(lambda: gd.elasticity(p, field, method=method))
        pred = gd.predict_delay(p, method=method)
        name = method or type(p).default_method
        x = np.broadcast_to(np.asarray(getattr(p, field), dtype=float), p.shape)
        t_num, (num, _) = median_time(lambda: sens._numerical(
            p, field, name, "delay", np.asarray(pred.log_delay), x, np.ones(p.shape, bool)))
        err = float(np.max(np.abs(num - e.value) / (1 + np.abs(e.value))))
        print(f"{label:36s} {field:14s} exact {t_exact * 1e3:7.1f} ms (first call "
              f"{first:5.2f} s)  numerical {t_num * 1e3:7.1f} ms  max |num - exact| / "
              f"(1 + |E|) = {err:.1e}")


def numerical_only():
    n = 1000
    p = gd.LinearTeacherStudent(aspect_ratio=rng.uniform(0.1, 3, n), learning_rate=0.01,
                                threshold=rng.uniform(1e-5, 1e-3, n))
    t_pred, _ = median_time(lambda: gd.predict_delay(p))
    t_el, e = median_time(lambda: gd.elasticity(p, "aspect_ratio"))
    print(f"linear_teacher_student/exact, {n} points: prediction {t_pred:.2f} s, elasticity "
          f"{t_el:.2f} s ({t_el / t_pred:.1f}x), {int(np.isinf(e.value).sum())} inf (never "
          "groks), no NaN" if not np.isnan(e.value).any() else "NaN!")


if __name__ == "__main__":
    closed_forms()
    numerical_only()

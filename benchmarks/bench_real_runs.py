"""Benchmark of the real-run layer: the reference trainer, the corpus, the readers, the recorder.

Run: ``python benchmarks/bench_real_runs.py``. Reports, on this machine:

1. ``trainer.train(QUICK)`` wall time (median of 3) with BLAS limited to one thread (what the
   trainer does when threadpoolctl is installed) and with BLAS's default threads;
2. ``datasets.fu2026()`` first load (70 runs, 6,590 records);
3. ``read_run`` of a 100,000-record CSV and of the same run as a Lightning ``metrics.csv``
   (two partial rows per step: 200,000 rows merged);
4. ``RunRecorder.log`` throughput with a 10^6-parameter model (norms computed per record).
"""

from __future__ import annotations

import csv
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def timed(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main():
    import grokdelay as gd
    from grokdelay import trainer

    t0 = time.perf_counter()
    runs = gd.datasets.fu2026()
    print(f"fu2026(): {len(runs)} runs, {sum(len(r) for r in runs)} records, first load "
          f"{time.perf_counter() - t0:.3f} s")

    t1, run = timed(lambda: trainer.train(trainer.QUICK))
    m = run.milestones(0.95, 0.99)
    print(f"train(QUICK), BLAS 1 thread: {t1:.2f} s (median of 3); t_mem {m.t_mem:g}, "
          f"t_grok {m.t_grok:g}, {len(run)} records")
    real = trainer._one_blas_thread
    trainer._one_blas_thread = lambda: __import__("contextlib").nullcontext()
    try:
        t2, _ = timed(lambda: trainer.train(trainer.QUICK), repeat=1)
    finally:
        trainer._one_blas_thread = real
    print(f"train(QUICK), BLAS default threads: {t2:.2f} s ({t2 / t1:.1f}x the 1-thread time)")

    n = 100_000
    rng = np.random.default_rng(0)
    steps = np.arange(n) * 10
    tr = np.minimum(1.0, np.linspace(0, 3, n)) * rng.uniform(0.98, 1.0, n)
    te = np.minimum(1.0, np.linspace(0, 1.2, n)) * rng.uniform(0.98, 1.0, n)
    with tempfile.TemporaryDirectory() as d:
        plain, light = Path(d) / "run.csv", Path(d) / "metrics.csv"
        with open(plain, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["step", "train_acc", "val_acc"])
            w.writerows(zip(steps.tolist(), tr.tolist(), te.tolist()))
        with open(light, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["epoch", "step", "train_acc", "val_acc"])
            for s, a, b in zip(steps.tolist(), tr.tolist(), te.tolist()):
                w.writerow([s, s, a, ""])
                w.writerow([s, s, "", b])
        tc, r1 = timed(lambda: gd.read_run(plain))
        tl, r2 = timed(lambda: gd.read_run(light))
        assert r1 == r2
        print(f"read_run CSV, {n} records: {tc:.2f} s; Lightning metrics.csv, {2 * n} rows "
              f"merged to {n}: {tl:.2f} s")
        params = {"w1": rng.standard_normal((1000, 500)), "w2": rng.standard_normal(500_000)}
        rec = gd.RunRecorder(Path(d) / "live.jsonl", groups="name")
        k = 200
        t0 = time.perf_counter()
        for i in range(k):
            rec.log(i, train_acc=0.5, test_acc=0.25, train_loss=1.0, params=params)
        dt = time.perf_counter() - t0
        rec.close()
        print(f"RunRecorder.log with 10^6 parameters: {dt / k * 1e3:.2f} ms per record")


if __name__ == "__main__":
    main()

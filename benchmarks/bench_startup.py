"""Benchmark: start-up of ``import grokdelay`` and ``grokdelay compare`` against ``import numpy``.

Run: ``python benchmarks/bench_startup.py [--repeats 15]``

Each repeat runs, back to back in fresh interpreters, ``python -c "import numpy"``,
``python -c "import grokdelay"`` and ``python -m grokdelay compare``, so the three see the
same machine load (paired); the ratios are per repeat, then summarized as min / median /
max. Wall time and CPU time (user + system of the child) are both reported. Everything is
run twice: with BLAS limited to one thread and with the BLAS default, because a run-time
eigensolve under threaded BLAS was what made ``compare`` slow (issue 16).

The bytecode of grokdelay is written once before timing (``PYTHONDONTWRITEBYTECODE`` is
removed from the children's environment), as it is after ``pip install .``; an environment
that sets it and has no ``__pycache__`` recompiles grokdelay's sources at every start
(about 0.1 s more here).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "numpy": ["-c", "import numpy"],
    "import": ["-c", "import grokdelay"],
    "compare": ["-m", "grokdelay", "compare"],
}


def _run(args, env):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def _summary(xs):
    return f"{min(xs):.3f} / {statistics.median(xs):.3f} / {max(xs):.3f}"


def measure(repeats: int, env: dict) -> dict:
    for args in COMMANDS.values():  # warm-up: file cache, bytecode
        _run(args, env)
    rows = {k: [] for k in COMMANDS}
    for _ in range(repeats):
        for k, args in COMMANDS.items():
            rows[k].append(_run(args, env))
    return rows


def report(label: str, rows: dict) -> None:
    print(f"{label}:")
    for k, vals in rows.items():
        print(f"  {k:8s} wall {_summary([w for w, _ in vals])} s, "
              f"cpu {_summary([c for _, c in vals])} s (min / median / max)")
    for num, den in (("import", "numpy"), ("compare", "import")):
        for i, kind in enumerate(("wall", "cpu")):
            r = [a[i] / b[i] for a, b in zip(rows[num], rows[den])]
            print(f"  {num}/{den} ({kind}, paired per repeat): {_summary(r)}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args(argv)
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    one = dict(base, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}")
    report("BLAS 1 thread", measure(args.repeats, one))
    report("BLAS default threads", measure(args.repeats, base))
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

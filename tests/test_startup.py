"""Start-up stays light: what ``import grokdelay`` and ``grokdelay compare`` load and compute.

The times themselves are measured by benchmarks/bench_startup.py (never asserted here); these
tests pin the causes: heavy libraries imported where used, no eigensolve in ``compare``.
"""

import json
import subprocess
import sys


HEAVY = ("scipy", "mpmath", "sympy", "matplotlib", "pandas", "tqdm", "dask", "distributed",
         "numba", "llvmlite")


def _loaded_after(code: str) -> list[str]:
    probe = (f"import sys\n{code}\nimport json\n"
             f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))")
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_import_loads_no_heavy_dependency():
    assert _loaded_after("import grokdelay") == []


def test_compare_loads_no_heavy_dependency():
    code = ("import io, contextlib\nfrom grokdelay import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    cli.main(['compare'])")
    assert _loaded_after(code) == []


def test_compare_runs_no_kernel_eigensolve():
    # in a fresh process (the scenarios are cached per process), with the kernel toolkit's
    # eigensolvers replaced by a trap before anything is built
    code = ("import numpy, grokdelay.modular_kernel as mk, grokdelay.scenarios as sc\n"
            "def trap(*a, **k):\n    raise AssertionError('eigensolve at run time')\n"
            "mk.kernel_summary = sc.kernel_summary = numpy.linalg.eigvalsh = trap\n"
            "from grokdelay import compare\nrows = compare.compare()\n"
            "assert len(rows) == len(compare.scenarios())\nprint('ok')")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert out.strip() == "ok"

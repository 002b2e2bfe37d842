"""Full width-exponent measurement (docs/width_exponent.rst): p = 11, N = 64..1024, 3 seeds.

Runs examples/width_exponent.py's main(full=True) and writes
benchmarks/results/width_exponent.{json,png}. A few minutes on one core.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    spec = importlib.util.spec_from_file_location(
        "width_exponent_example", HERE.parent / "examples" / "width_exponent.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rec = mod.main(HERE / "results", full=True)
    print(json.dumps(rec["fits"], indent=2))
    print(f"{rec['seconds']:.1f} s")

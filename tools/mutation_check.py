"""Break each public helper in turn and check that at least one test fails.

Usage (from the project root, in the test environment)::

    python tools/mutation_check.py                 # every public helper
    python tools/mutation_check.py --only sustained_time estimate_gamma_eff
    python tools/mutation_check.py --list          # what would be mutated

A public helper is a function named in the ``__all__`` of a public module of the package
(and ``predict_delay``). Its mutant returns the helper's own result with every float
changed by about 10% (``perturb``), or, when the result has no float, raises
(``raise``). The tests that can see the helper run against the mutant: the test files
naming it or its module, and the module's doctests (``-x``: the first failure is enough).
A mutant that no test notices ("SURVIVED") is a helper whose tests cannot fail. The run
is serial and takes a while (tens of minutes for the whole package on two cores).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import pathlib
import pkgutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
SKIP_MODULES = {"cli", "__main__"}


def helpers():
    import grokdelay

    seen = {}
    for info in pkgutil.iter_modules(grokdelay.__path__):
        if info.name.startswith("_") or info.name in SKIP_MODULES:
            continue
        mod = importlib.import_module(f"grokdelay.{info.name}")
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name, None)
            if inspect.isfunction(obj) and id(obj) not in seen:
                seen[id(obj)] = (mod.__name__, name, obj)
    seen[id(grokdelay.predict_delay)] = ("grokdelay", "predict_delay", grokdelay.predict_delay)
    return list(seen.values())


def kind_for(obj) -> str:
    ret = inspect.signature(obj).return_annotation
    return "raise" if ret in ("None", "str", "dict[str, type[Parameters]]") else "perturb"


def test_targets(module: str, name: str, obj) -> list[str]:
    short = module.split(".")[-1]
    defining = obj.__module__.split(".")[-1]
    files = sorted(str(p) for p in TESTS.glob("test_*.py")
                   if name in p.read_text() or short in p.read_text()
                   or defining.lstrip("_") in p.name)
    src = ROOT / "src" / "grokdelay"
    files += [str(src / f"{m}.py") for m in {short, defining} if (src / f"{m}.py").exists()]
    return files


def run(module, name, kind, targets, timeout):
    env = dict(os.environ, GROKDELAY_MUTANT=f"{module}:{name}:{kind}",
               PYTHONPATH=os.pathsep.join([str(ROOT / "tools"), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p",
           "_mutation_plugin", "--no-header", "-W", "ignore::DeprecationWarning", *targets]
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return "TIMEOUT", time.perf_counter() - t0
    if r.returncode == 0:
        return "SURVIVED", time.perf_counter() - t0
    if r.returncode == 1:
        return "killed", time.perf_counter() - t0
    return f"ERROR {r.returncode}", time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="helper names to mutate")
    ap.add_argument("--list", action="store_true", help="list the helpers and exit")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per mutant")
    args = ap.parse_args(argv)
    todo = [h for h in helpers() if not args.only or h[1] in args.only]
    if args.list:
        for module, name, obj in todo:
            print(f"{module}.{name} [{kind_for(obj)}]")
        return 0
    survived = []
    counts: dict[str, int] = {}
    for module, name, obj in todo:
        kind = kind_for(obj)
        targets = test_targets(module, name, obj)
        status, dt = run(module, name, kind, targets, args.timeout)
        counts[status] = counts.get(status, 0) + 1
        print(f"{status:9s} {module}.{name} [{kind}] ({len(targets)} files, {dt:.0f} s)",
              flush=True)
        if status != "killed":
            survived.append(f"{module}.{name}")
    print(f"\n{len(todo)} helpers mutated: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if survived:
        print("not killed: " + ", ".join(survived))
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())

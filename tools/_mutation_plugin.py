"""pytest plugin of tools/mutation_check.py: replace one public helper by a broken copy.

``GROKDELAY_MUTANT="module:name:kind"`` (kind ``perturb`` or ``raise``). Every reference to
the helper in the package's modules is replaced before the tests are collected, so test
modules that import it by name get the mutant too.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import os
import sys

import numpy as np


def _perturb(x):
    """The same structure with every float (array) changed by ~10%: a wrong answer."""
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, float | np.floating):
        return float(x) * 1.1 + 0.1 if np.isfinite(x) else -x if x == -np.inf else 0.5
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return np.where(np.isfinite(x), x * 1.1 + 0.1, 0.5)
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(_perturb(v) for v in x))
    if isinstance(x, tuple | list):
        return type(x)(_perturb(v) for v in x)
    if isinstance(x, dict):
        return {k: _perturb(v) for k, v in x.items()}
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        changes = {f.name: _perturb(getattr(x, f.name)) for f in dataclasses.fields(x)
                   if f.init}
        try:
            return dataclasses.replace(x, **changes)
        except Exception:                      # noqa: BLE001 - keep the original then
            return x
    return x


def mutant(func, kind):
    @functools.wraps(func)
    def broken(*args, **kwargs):
        if kind == "raise":
            raise RuntimeError(f"mutant: {func.__qualname__} is broken")
        return _perturb(func(*args, **kwargs))
    return broken


def pytest_configure(config):
    spec = os.environ.get("GROKDELAY_MUTANT")
    if not spec:
        return
    module, name, kind = spec.split(":")
    mod = importlib.import_module(module)
    original = getattr(mod, name)
    fake = mutant(original, kind)
    for mname, m in list(sys.modules.items()):
        if mname == "grokdelay" or mname.startswith("grokdelay."):
            for attr, value in list(vars(m).items()):
                if value is original:
                    setattr(m, attr, fake)

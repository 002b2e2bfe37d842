"""Make the shared test helpers (tests/conformance.py) importable from every test file.

pytest runs with --import-mode=importlib, which does not put tests/ on sys.path.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def pytest_collection_modifyitems(config, items):
    """Deselect the long fuzz campaign unless asked for (-m fuzz_long or GROKDELAY_FUZZ=long)."""
    import os

    if "fuzz_long" in (config.getoption("markexpr") or "") \
            or os.environ.get("GROKDELAY_FUZZ", "").lower() == "long":
        return
    keep = [i for i in items if i.get_closest_marker("fuzz_long") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep

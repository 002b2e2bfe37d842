"""Make the shared test helpers (tests/conformance.py) importable from every test file.

pytest runs with --import-mode=importlib, which does not put tests/ on sys.path.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import multiprocessing  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def process_pool():
    """A two-worker process pool for the executor= tests. Spawned, not forked: the test
    process may already run threads (a Dask client, BLAS), which fork does not copy."""
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as ex:
        yield ex


@pytest.fixture(scope="session")
def dask_client():
    """A local in-process Dask cluster (threads; no dashboard) for the executor= tests."""
    distributed = pytest.importorskip("distributed")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=None) as client:
        yield client


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

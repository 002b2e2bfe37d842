"""The shared executor helper: order, equality with the serial run, errors naming the point."""

import math
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import grokdelay as gd
from grokdelay._core import as_params
from grokdelay._parallel import as_executor, parallel_map, seed_ensemble


def _executors(process_pool, dask_client):
    return {"serial": None, "threads": ThreadPoolExecutor(3), "processes": process_pool,
            "dask": dask_client.get_executor(), "dask-client": dask_client}


def test_order_and_values_equal_the_serial_map_on_every_executor(process_pool, dask_client):
    items = [float(i) for i in range(23)]
    want = [math.sqrt(x) for x in items]
    for name, ex in _executors(process_pool, dask_client).items():
        for chunk in (1, 4, 100):
            seen = []
            got = parallel_map(math.sqrt, items, executor=ex, chunk_size=chunk,
                               on_result=lambda i, r: seen.append((i, r)))
            assert got == want, (name, chunk)
            assert seen == list(enumerate(want)), (name, chunk)


def test_a_failing_point_comes_back_as_parameter_error_naming_it(process_pool, dask_client):
    items = [4.0, 9.0, -1.0, 16.0, -2.0]
    for name, ex in _executors(process_pool, dask_client).items():
        with pytest.raises(gd.ParameterError, match=r"x\[2\] = -1.0 failed: ValueError: math "
                                                    "domain error") as info:
            parallel_map(math.sqrt, items, executor=ex, chunk_size=2, field="x",
                         describe=lambda v: f"x[{items.index(v)}] = {v}")
        assert info.value.field == "x", name
        assert isinstance(info.value.__cause__, ValueError), name


def test_a_parameter_error_keeps_its_field_through_a_process_pool(process_pool):
    err = gd.ParameterError("aspect_ratio = -1 is outside (0, inf)", "aspect_ratio")
    back = pickle.loads(pickle.dumps(err))
    assert (str(back), back.field) == (str(err), "aspect_ratio")
    # a mechanism's own validation error, raised in a worker, keeps its field
    bad = [{"mechanism": "linear_teacher_student", "aspect_ratio": a, "learning_rate": 0.1}
           for a in (0.5, -1.0)]
    with pytest.raises(gd.ParameterError, match="aspect_ratio") as info:
        parallel_map(as_params, bad, executor=process_pool)
    assert info.value.field == "aspect_ratio"
    assert "failed: ParameterError" in str(info.value)


def test_unpicklable_work_and_non_executors_are_named(process_pool):
    with pytest.raises(gd.ParameterError, match="executor") as info:
        parallel_map(lambda x: x, [1, 2], executor=process_pool)
    assert info.value.field == "executor"
    with pytest.raises(gd.ParameterError, match="executor = 4 is not a concurrent"):
        parallel_map(math.sqrt, [1.0], executor=4)
    with pytest.raises(gd.ParameterError, match="chunk_size"):
        parallel_map(math.sqrt, [1.0], chunk_size=0)
    assert as_executor(None) is None
    assert parallel_map(math.sqrt, []) == []


def test_seed_ensemble_is_the_serial_loop(process_pool):
    kw = {"size": 5}
    want = [np.random.default_rng(s).standard_normal(**kw) for s in range(4)]
    for ex in (None, process_pool):
        got = seed_ensemble(np.random.default_rng, range(4), executor=ex)
        assert [g.standard_normal(**kw).tolist() for g in got] == [w.tolist() for w in want]
    with pytest.raises(gd.ParameterError, match="seeds"):
        seed_ensemble(np.random.default_rng, [])
    with pytest.raises(gd.ParameterError, match=r"seed = -1 failed: ValueError"):
        seed_ensemble(np.random.default_rng, [0, -1], executor=process_pool)

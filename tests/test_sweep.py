"""grokdelay.sweep: grids evaluated by broadcasting equal point-by-point predictions."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conformance as cf
import grokdelay as gd
from grokdelay import sweep as sweep_mod
from grokdelay.sweep import Table, sweep

BASE = gd.SpectralConditioning([10.0, 1.0, 0.1], learning_rate=0.01)
NUMERIC = ("t_mem", "t_grok", "delay", "ratio", "log_delay")


def _scalar(params, method=None):
    return gd.predict_delay(params, method=method)


@pytest.mark.filterwarnings("ignore::grokdelay.GrokdelayWarning")
def test_product_grid_equals_point_by_point():
    lrs = [1e-3, 1e-2, 0.3]
    tols = [1e-6, 1e-2]
    t = sweep(BASE, learning_rate=lrs, tolerance=tols, method="gradient_descent")
    assert t.shape == (3, 2) and len(t) == 6
    # the independent computation: one scalar predict_delay call per point, in C order
    for row, (lr, tol) in zip(t, [(a, b) for a in lrs for b in tols]):
        ref = _scalar(BASE.replace(learning_rate=lr, tolerance=tol), "gradient_descent")
        assert row["learning_rate"] == lr and row["tolerance"] == tol
        for k in NUMERIC:
            assert row[k] == getattr(ref, k)  # same arithmetic, so bit-identical
        assert row["method"] == "gradient_descent" and row["units"] == "steps"
        assert row["mechanism"] == "spectral"


def test_one_predict_call_for_the_whole_grid(monkeypatch):
    calls = []
    real = sweep_mod.predict_delay

    def counting(params, method=None):
        calls.append(params.shape)
        return real(params, method=method)

    monkeypatch.setattr(sweep_mod, "predict_delay", counting)
    t = sweep(BASE, learning_rate=np.logspace(-4, -1, 100), tolerance=np.logspace(-8, -1, 100))
    assert len(t) == 10_000
    assert calls == [(10_000,)]  # vectorized: no per-point loop


def test_chunked_equals_unchunked_and_progress_without_tqdm():
    kw = dict(learning_rate=np.logspace(-4, -1, 13), tolerance=np.logspace(-8, -1, 5))
    a = sweep(BASE, **kw)
    b = sweep(BASE, chunk_size=7, progress=True, **kw)  # tqdm optional: silently absent
    for k in a.columns:
        np.testing.assert_array_equal(a[k], b[k])


def test_tqdm_progress_bar(capsys):
    import tqdm  # noqa: F401  (in the test extra: this path must run in CI)

    t = sweep(BASE, chunk_size=10, learning_rate=np.logspace(-3, -1, 30))
    assert len(t) == 30


def test_zip_mode_and_custom_field_loop():
    t = sweep(BASE, mode="zip", learning_rate=[0.01, 0.02, 0.05], tolerance=[0.1, 0.01, 0.001])
    assert t.shape == (3,)
    np.testing.assert_array_equal(t["tolerance"], [0.1, 0.01, 0.001])
    # a custom (non-broadcast) field listed between two scalar ones keeps its axis position
    spectra = [[1.0, 0.1], [1.0, 0.01, 0.0]]
    t = sweep(BASE, learning_rate=[0.01, 0.1], eigenvalues=spectra, tolerance=[0.1, 0.01, 1e-3])
    assert t.shape == (2, 2, 3)
    i = 0
    for lr in [0.01, 0.1]:
        for ev in spectra:
            for tol in [0.1, 0.01, 1e-3]:
                ref = _scalar(BASE.replace(learning_rate=lr, eigenvalues=ev, tolerance=tol))
                row = t.row(i)
                assert (row["learning_rate"], row["tolerance"]) == (lr, tol)
                assert row["ratio"] == ref.ratio and row["t_grok"] == ref.t_grok
                i += 1
    assert t["eigenvalues"][3] == "[1, 0.01, 0]"
    assert any("zero eigenvalue" in n for n in t.notes)
    # zip with a custom field: one call per point, still the same numbers
    z = sweep(BASE, mode="zip", eigenvalues=spectra, learning_rate=[0.01, 0.1])
    assert z["ratio"].tolist() == [10.0, 100.0]


def test_array_field_of_the_base_adds_trailing_axes():
    base = BASE.replace(learning_rate=np.array([0.01, 0.02, 0.03]))
    t = sweep(base, tolerance=[0.1, 0.01])
    assert t.shape == (2, 3)
    np.testing.assert_array_equal(t.grid("learning_rate"), [[0.01, 0.02, 0.03]] * 2)
    ref = _scalar(base.replace(tolerance=0.01))
    np.testing.assert_array_equal(t.grid("t_mem")[1], ref.t_mem)


def test_no_grid_is_one_row():
    t = sweep(BASE)
    assert len(t) == 1 and t.shape == (1,)
    assert t["delay"][0] == _scalar(BASE).delay


@pytest.mark.filterwarnings("ignore::grokdelay.GrokdelayWarning")
def test_inf_rows_and_notes_survive():
    # eta * nu_max >= 2: gradient descent never fits; inf, never NaN, with a note
    t = sweep(BASE, method="gradient_descent", learning_rate=[0.01, 0.5])
    assert math.isinf(t["t_mem"][1]) and math.isinf(t["delay"][1])
    assert not np.isnan(np.asarray(t["delay"], float)).any()
    assert any("never" in n for n in t.notes)


@pytest.mark.filterwarnings("ignore::grokdelay.GrokdelayWarning")
def test_csv_round_trip(tmp_path):
    t = sweep(BASE, method="gradient_descent", learning_rate=[0.01, 0.5], tolerance=[0.1, 1e-3])
    path = tmp_path / "sweep.csv"
    text = t.to_csv(path)
    assert path.read_text() == text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(t)
    for i, r in enumerate(rows):
        for k in NUMERIC:
            assert float(r[k]) == t[k][i]  # repr precision: exact round trip, inf as "inf"
    assert rows[-1]["t_mem"] == "inf"


def test_to_pandas():
    import pandas as pd  # in the test extra: this path must run in CI

    df = sweep(BASE, learning_rate=[0.01, 0.1]).to_pandas()
    assert isinstance(df, pd.DataFrame) and list(df["learning_rate"]) == [0.01, 0.1]


@pytest.mark.filterwarnings("ignore::grokdelay.GrokdelayWarning")
def test_to_xarray_labels_the_grid():
    import xarray as xr  # in the test extra

    lrs, tols = [1e-3, 1e-2, 0.5], [1e-6, 1e-2]
    t = sweep(BASE, method="gradient_descent", learning_rate=lrs, tolerance=tols)
    ds = t.to_xarray()
    assert isinstance(ds, xr.Dataset)
    assert dict(ds.sizes) == {"learning_rate": 3, "tolerance": 2}
    assert ds["learning_rate"].values.tolist() == lrs and ds["tolerance"].values.tolist() == tols
    assert set(NUMERIC) <= set(ds.data_vars) and "extra.kappa" in ds.data_vars
    for k in NUMERIC:  # the same numbers as the table's grid, axis for axis
        np.testing.assert_array_equal(ds[k].values, t.grid(k))
    # and as one scalar call at a labelled point (sel by dict: `tolerance` is also a
    # keyword of Dataset.sel)
    ref = _scalar(BASE.replace(learning_rate=0.01, tolerance=1e-6), "gradient_descent")
    assert ds["t_grok"].sel({"learning_rate": 0.01, "tolerance": 1e-6}).item() == ref.t_grok
    assert ds["delay"].attrs["units"] == "steps" and ds["ratio"].attrs["units"] == "1"
    assert ds.attrs["mechanism"] == "spectral" and ds.attrs["method"] == "gradient_descent"
    assert ds.attrs["notes"] == list(t.notes) and any("never" in n for n in ds.attrs["notes"])
    assert math.isinf(ds["t_mem"].sel({"learning_rate": 0.5, "tolerance": 1e-2}).item())


def test_to_xarray_zip_choice_and_trailing_axes():
    base = gd.NormSeparation(learning_rate=0.01, weight_decay=np.array([0.1, 1.0]),
                             norm_mem=10.0, norm_post=2.0)
    t = sweep(base, optimizer=["sgd", "adamw"], norm_mem=[5.0, 10.0, 20.0])
    ds = t.to_xarray()
    # the base's array field adds an axis, named after it
    assert ds["delay"].dims == ("optimizer", "norm_mem", "weight_decay")
    assert ds["optimizer"].values.tolist() == ["sgd", "adamw"]
    assert ds["weight_decay"].values.tolist() == [0.1, 1.0]
    ref = _scalar(base.replace(weight_decay=1.0, norm_mem=20.0, optimizer="adamw"))
    got = ds["delay"].sel(optimizer="adamw", norm_mem=20.0, weight_decay=1.0).item()
    assert got == ref.delay
    assert ds.attrs["norm_post"] == 2.0 and "norm_post" not in ds.coords  # constants: attrs
    z = sweep(base.replace(weight_decay=1.0), mode="zip", optimizer=["sgd", "adamw"],
              norm_mem=[5.0, 10.0]).to_xarray()
    assert z["delay"].dims == ("point",)
    assert z["optimizer"].dims == ("point",) and z["norm_mem"].values.tolist() == [5.0, 10.0]


def test_to_xarray_of_a_plain_table():
    ds = Table({"a": [1.0, 2.0], "b": ["x", "y"]}, notes=["n"]).to_xarray()
    assert ds["a"].dims == ("row",) and ds["b"].values.tolist() == ["x", "y"]
    assert ds.attrs["notes"] == ["n"]


def test_table_basics_and_errors():
    t = Table({"a": [1, 2, 3], "b": ["x", "y", "z"]}, notes=["n", "n"])
    assert len(t) == 3 and t.columns == ["a", "b"] and t.notes == ("n",)
    assert t.where(t["a"] > 1)["b"].tolist() == ["y", "z"]
    assert "a" in t and "c" not in t
    with pytest.raises(KeyError, match="no column"):
        t["c"]
    with pytest.raises(gd.ParameterError):
        Table({"a": [1, 2], "b": [1]})
    with pytest.raises(gd.ParameterError):
        Table({"a": [1, 2]}, shape=(3,))
    assert "3 rows" in repr(t)


@pytest.mark.parametrize("kw, field", [
    (dict(nope=[1.0]), "nope"),
    (dict(learning_rate=[]), "learning_rate"),
    (dict(learning_rate=[[0.1, 0.2]]), "learning_rate"),
    (dict(learning_rate="abc"), "learning_rate"),
    (dict(learning_rate=[0.1, -1.0]), "learning_rate"),
    (dict(tolerance=[0.5, 1.0]), "tolerance"),
    (dict(mode="zip", learning_rate=[0.1, 0.2], tolerance=[0.1]), "learning_rate"),
    (dict(mode="outer", learning_rate=[0.1]), "mode"),
    (dict(chunk_size=0, learning_rate=[0.1]), "chunk_size"),
    (dict(method="nope", learning_rate=[0.1]), "method"),
    (dict(eigenvalues="abc"), "eigenvalues"),
])
def test_bad_sweeps_name_the_field(kw, field):
    with pytest.raises(gd.ParameterError) as exc:
        sweep(BASE, **kw)
    assert exc.value.field == field


def test_mapping_form_and_type_error():
    t = sweep({"mechanism": "spectral", "eigenvalues": [2.0, 1.0], "learning_rate": 0.1},
              learning_rate=[0.1, 0.2])
    assert t["ratio"].tolist() == [2.0, 2.0]
    with pytest.raises(TypeError):
        sweep(42, learning_rate=[0.1])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n1=st.integers(1, 6), n2=st.integers(1, 6), chunk=st.integers(1, 40),
       swap=st.booleans())
def test_property_rows_match_grid_any_chunking(n1, n2, chunk, swap):
    lr = np.logspace(-3, -1, n1)
    tol = np.logspace(-6, -1, n2)
    grids = {"tolerance": tol, "learning_rate": lr} if swap else {"learning_rate": lr,
                                                                     "tolerance": tol}
    t = sweep(BASE, chunk_size=chunk, **grids)
    assert len(t) == n1 * n2
    assert t.shape == tuple(len(v) for v in grids.values())
    # the delay scales exactly as log(1/tol) / eta (gradient flow): check the law row-wise
    c = np.log(1 / t["tolerance"]) / t["learning_rate"]
    np.testing.assert_allclose(t["t_grok"], c / 0.1, rtol=1e-13)  # a few ulps of log/div


# --------------------------------------------------------------------------- registry-wide


REFS = {"spectral": BASE, **{name: gd._core.from_mapping(case["params"])
                                for name, case in cf.first_cases().items()
                                if name != "spectral"}}


def _sweepable(params):
    """(field, 3 valid values around the scenario's value) for each scalar field."""
    out = []
    for name, (spec, _) in type(params).field_specs().items():
        v = getattr(params, name)
        if not spec.broadcasts or v is None or np.ndim(v) or spec.kind == "integer":
            continue
        cand = np.array([v * 0.8, v, v * 1.25]) if v != 0 else np.array([0.0, 1e-3, 1e-2])
        cand = cand[spec.domain.contains(cand)]
        if len(np.unique(cand)) >= 2:
            out.append((name, np.unique(cand)))
    return out


@pytest.mark.parametrize("name", list(gd.mechanisms()))
def test_every_mechanism_sweeps_like_a_loop(name):
    params = REFS[name] if name in REFS else cf.typical_params(gd.mechanisms()[name])
    fields = _sweepable(params)
    if not fields:
        pytest.skip(f"{name}: no scalar field to sweep around its scenario")
    field, values = fields[0]
    t = sweep(params, **{field: values})
    assert len(t) == len(values)
    for i, v in enumerate(values):
        ref = gd.predict_delay(params.replace(**{field: float(v)}))
        for k in NUMERIC:
            np.testing.assert_allclose(t[k][i], getattr(ref, k), rtol=1e-12, atol=0)


@pytest.mark.filterwarnings("ignore::grokdelay.GrokdelayWarning")
def test_sweep_on_a_process_pool_and_a_dask_cluster_equals_the_serial_sweep(process_pool,
                                                                            dask_client):
    lts = gd.LinearTeacherStudent(aspect_ratio=0.5, learning_rate=0.01)
    cases = [(BASE, dict(learning_rate=np.logspace(-4, -1, 13), tolerance=np.logspace(-8, -1, 5))),
             (lts, dict(aspect_ratio=np.linspace(0.1, 2.0, 11), weight_decay=[0.0, 1e-3]))]
    for base, grids in cases:
        serial = sweep(base, chunk_size=9, **grids)
        for ex in (process_pool, dask_client.get_executor(), dask_client):
            par = sweep(base, chunk_size=9, executor=ex, **grids)
            assert par.columns == serial.columns and par.shape == serial.shape
            assert par.notes == serial.notes and par.meta == serial.meta
            for k in serial.columns:
                np.testing.assert_array_equal(par[k], serial[k])  # bit-identical, same order


def test_a_failing_chunk_on_an_executor_names_its_rows_and_field(process_pool):
    with pytest.raises(gd.ParameterError, match="sweep rows 5..9 .*learning_rate") as info:
        sweep(BASE, chunk_size=5, executor=process_pool,
              learning_rate=[0.01] * 7 + [-1.0] + [0.01] * 4)
    assert info.value.field == "learning_rate"
    with pytest.raises(gd.ParameterError, match="executor"):
        sweep(BASE, executor="four", learning_rate=[0.01])


def test_the_sweep_module_is_callable_and_keeps_its_names():
    base = gd.SpectralConditioning([10.0, 1.0, 0.1], learning_rate=0.01)
    lr = np.logspace(-3, -1, 5)
    t = gd.sweep(base, learning_rate=lr)
    ref = sweep(base, learning_rate=lr)
    assert isinstance(t, gd.sweep.Table) and gd.sweep.Table is Table is gd.Table
    assert gd.sweep.sweep is sweep and callable(gd.sweep)
    np.testing.assert_array_equal(t["delay"], ref["delay"])
    with pytest.raises(gd.ParameterError, match="not a field"):
        gd.sweep(base, nonsense=[1.0])

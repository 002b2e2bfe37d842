"""The registry-wide conformance suite: every registered mechanism, nothing to opt into.

For each mechanism: its reference table, hypothesis-drawn valid parameters (never NaN,
every method), values outside each field's domain (ParameterError naming the field),
broadcast == loop of scalar calls, mapping form == object form, and its comparison
scenario.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conformance as cf
import grokdelay as gd


MECHS = cf.mechanism_names()
REFERENCES = cf.load_references()
CASES = [(m, i, c) for m, cs in REFERENCES.items() for i, c in enumerate(cs)]

# Hypothesis budget per mechanism: small, because some methods root-find or integrate.
HYP = settings(max_examples=25, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _construct(cls, kwargs):
    """Build a parameter object; a cross-field ParameterError must name a field."""
    try:
        return cls(**kwargs)
    except gd.ParameterError as exc:
        assert exc.field is not None and exc.field in str(exc), str(exc)
        return None


def _predict_all(params):
    """Every method's prediction; a method outside its regime raises ParameterError."""
    out = {}
    for name in type(params).methods:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", gd.GrokdelayWarning)
                out[name] = gd.predict_delay(params, method=name)
        except gd.ParameterError as exc:
            assert exc.field is not None and exc.field in str(exc), str(exc)
    return out


def test_every_mechanism_is_in_the_suite():
    missing = [m for m in MECHS if m not in REFERENCES]
    assert not missing, f"mechanisms without tests/references/<name>.py: {missing}"
    unknown = [m for m in REFERENCES if m not in MECHS]
    assert not unknown, f"references for unregistered mechanisms: {unknown}"


@pytest.mark.parametrize("mech,i,case", CASES, ids=[f"{m}-{i}" for m, i, _ in CASES])
def test_reference_case(mech, i, case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gd.GrokdelayWarning)
        pred = gd.predict_delay(case["params"], method=case.get("method"))
    assert case.get("source"), "each reference states where its numbers come from"
    for key, expected in case["expect"].items():
        got = getattr(pred, key)
        if isinstance(expected, str):
            assert got == expected, (key, got, expected)
        else:
            np.testing.assert_allclose(got, expected, rtol=case["rtol"], atol=case.get("atol", 0),
                                       err_msg=f"{mech} {key}: {case['source']}")


@pytest.mark.parametrize("mech", MECHS)
def test_declarations_are_complete(mech):
    cls = gd.mechanisms()[mech]
    assert cls.__doc__ and cls.__doc__.strip(), "numpydoc class docstring"
    for name, (spec, default) in cls.field_specs().items():
        assert spec.doc and spec.symbol, name
        if spec.kind == "custom":
            assert spec.examples and spec.invalid_examples, f"{name}: examples for the tests"
    assert cls.default_method in cls.methods
    assert all(cls.methods.values()), "every method has a one-line summary"


@pytest.mark.parametrize("mech", MECHS)
def test_valid_parameters_never_give_nan(mech):
    cls = gd.mechanisms()[mech]
    built = []

    @HYP
    @given(cf.params_strategy(cls))
    def check(kwargs):
        params = _construct(cls, kwargs)
        if params is None:
            return
        built.append(1)
        for name, pred in _predict_all(params).items():
            for field, value in cf.numeric_fields(pred).items():
                assert not np.isnan(value).any(), (name, field, kwargs)
            if np.isinf(np.asarray(pred.t_grok)).any():
                assert pred.notes, f"{name}: an inf t_grok needs a note saying why"
            assert pred.units in ("steps", "time")
            assert pred.mechanism == mech and pred.method == name

    check()
    # A suite that rejects every draw tests nothing: most field-wise valid draws must build.
    assert len(built) >= 5, f"only {len(built)} of the drawn parameter sets were accepted"


@pytest.mark.parametrize("mech", MECHS)
def test_outside_the_domain_raises_parameter_error_naming_the_field(mech):
    cls = gd.mechanisms()[mech]
    base = _base_kwargs(cls)
    checked = 0
    for name, (spec, _default) in cls.field_specs().items():
        for bad in cf.invalid_values(spec):
            kwargs = {**base, name: bad}
            with pytest.raises(gd.ParameterError) as info:
                cls(**kwargs)
            assert name in str(info.value), (name, bad, str(info.value))
            assert info.value.field == name
            checked += 1
            if spec.kind in ("scalar", "integer") and not isinstance(bad, str):
                # the same bad value inside an array is caught too
                arr = np.array([_valid_scalar(cls, name), bad], dtype=float)
                with pytest.raises(gd.ParameterError, match=name):
                    cls(**{**base, name: arr})
    assert checked


def _base_kwargs(cls) -> dict:
    """A valid parameter set: the first reference case's fields."""
    case = REFERENCES[cls.name][0]
    return {k: v for k, v in case["params"].items() if k != "mechanism"}


def _valid_scalar(cls, name):
    """A valid value of a scalar field: from the first reference case, else its default,
    else the low end of its typical range."""
    v = _base_kwargs(cls).get(name, cls.field_specs()[name][1])
    if v is None or v is cf.REQUIRED:
        spec = cls.field_specs()[name][0]
        lo, hi = cf.typical_range(spec.domain)
        v = next(x for x in (lo, (lo + hi) / 2, hi) if spec.domain.contains(x))
    return float(np.ravel(v)[0])


def _scalar_fields(cls):
    return [n for n, (s, d) in cls.field_specs().items() if s.kind in ("scalar", "integer")]


@pytest.mark.parametrize("mech", MECHS)
def test_broadcast_equals_loop_of_scalar_calls(mech):
    cls = gd.mechanisms()[mech]
    base = _base_kwargs(cls)
    strategies = {n: cf.scalar_values(cls.field_specs()[n][0].domain) for n in _scalar_fields(cls)}
    if not strategies:
        pytest.skip("no scalar fields")
    names = sorted(strategies)

    @HYP
    @given(st.sampled_from(names), st.sampled_from(names), st.data())
    def check(f1, f2, data):
        v1 = [data.draw(strategies[f1]) for _ in range(3)]
        v2 = [data.draw(strategies[f2]) for _ in range(2)]
        kwargs = {**base, f1: np.array(v1)[:, None]}
        if f2 != f1:
            kwargs[f2] = np.array(v2)[None, :]
        params = _construct(cls, kwargs)
        if params is None:
            return
        for method, pred in _predict_all(params).items():
            shape = params.shape
            for field, value in cf.numeric_fields(pred).items():
                assert value.shape == shape, (method, field, value.shape, shape)
            for idx in np.ndindex(*shape):
                kw = dict(base)
                kw[f1] = v1[idx[0]]
                if f2 != f1:
                    kw[f2] = v2[idx[1]]
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", gd.GrokdelayWarning)
                        single = gd.predict_delay(cls(**kw), method=method)
                except gd.ParameterError:
                    # a method that rejects one point rejects the array containing it
                    raise AssertionError(f"{method}: scalar call rejected {kw}, array accepted")
                for field in gd.DelayPrediction.NUMERIC:
                    got = np.asarray(getattr(pred, field))[idx]
                    want = getattr(single, field)
                    assert np.isscalar(want) or np.ndim(want) == 0
                    # 1e-9: vectorized root-finders may take a different number of
                    # iterations per element than the scalar call; both converge far below.
                    np.testing.assert_allclose(got, want, rtol=1e-9, atol=0,
                                               err_msg=f"{method} {field} at {kw}")

    check()


@pytest.mark.parametrize("mech", MECHS)
def test_mapping_form_equals_object_form(mech):
    cls = gd.mechanisms()[mech]
    for case in REFERENCES[mech]:
        obj = cls(**{k: v for k, v in case["params"].items() if k != "mechanism"})
        mapping = obj.to_dict()
        assert mapping["mechanism"] == mech
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", gd.GrokdelayWarning)
            a = gd.predict_delay(obj, method=case.get("method"))
            b = gd.predict_delay(mapping, method=case.get("method"))
        assert a.params == b.params
        for field in gd.DelayPrediction.NUMERIC:
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
        assert a.notes == b.notes and a.units == b.units and a.method == b.method


@pytest.mark.parametrize("mech", MECHS)
def test_scalar_in_python_float_out(mech):
    case = REFERENCES[mech][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gd.GrokdelayWarning)
        pred = gd.predict_delay(case["params"], method=case.get("method"))
    for field in gd.DelayPrediction.NUMERIC:
        assert type(getattr(pred, field)) is float, field
    assert isinstance(pred.notes, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        pred.delay = 0.0


@pytest.mark.parametrize("mech", MECHS)
def test_unknown_method_lists_the_methods(mech):
    case = REFERENCES[mech][0]
    with pytest.raises(gd.ParameterError) as info:
        gd.predict_delay(case["params"], method="no_such_method")
    for m in gd.mechanisms()[mech].methods:
        assert m in str(info.value)


@pytest.mark.parametrize("mech", MECHS)
def test_comparison_scenario(mech):
    cls = gd.mechanisms()[mech]
    sc = cls.scenario()
    assert isinstance(sc, gd.Scenario) and isinstance(sc.params, cls)
    assert sc.summary, "one line on what the scenario maps to"
    for name, (_spec, default) in cls.field_specs().items():
        value = getattr(sc.params, name)
        if default is cf.REQUIRED or not np.array_equal(np.asarray(value, dtype=object),
                                                           np.asarray(default, dtype=object)):
            assert name in sc.sources, f"scenario input {name} = {value!r} has no source"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gd.GrokdelayWarning)
        pred = gd.predict_delay(sc.params)
    assert not any(math.isnan(float(getattr(pred, f))) for f in gd.DelayPrediction.NUMERIC)

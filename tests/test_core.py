"""The shared core: declarations, validation, dispatch, the prediction record."""

from __future__ import annotations

import json
import inspect
import math
import warnings

import numpy as np
import pytest

import grokdelay as gd
from grokdelay._core import Interval, Outcome, finalize, note_where

SPEC = gd.SpectralConditioning


def test_interval_text_and_membership():
    assert str(Interval(0, math.inf, lo_closed=False)) == "(0, inf)"
    assert str(Interval(0, 0.5)) == "[0, 0.5]"
    assert str(Interval(1, math.inf, integer=True)) == "integers >= 1"
    dom = Interval(0, 1, lo_closed=False, hi_closed=True)
    np.testing.assert_array_equal(dom.contains([0.0, 0.5, 1.0, 1.5, np.nan]),
                                  [False, True, True, False, False])
    assert not Interval(1, math.inf, integer=True).contains(1.5)


def test_error_names_field_value_and_domain():
    with pytest.raises(gd.ParameterError) as info:
        SPEC([1.0, 0.1], learning_rate=-0.5)
    msg = str(info.value)
    assert "learning_rate" in msg and "-0.5" in msg and "(0, inf)" in msg
    assert info.value.field == "learning_rate"
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("bad", [math.nan, "fast", True, None, [0.1, math.nan], [[0.1], [0.2, 0.3]]])
def test_non_numbers_are_parameter_errors(bad):
    with pytest.raises(gd.ParameterError, match="learning_rate"):
        SPEC([1.0], learning_rate=bad)


def test_arrays_that_do_not_broadcast_name_a_field():
    with pytest.raises(gd.ParameterError, match="broadcast"):
        SPEC([1.0, 0.1], learning_rate=np.ones(3), tolerance=np.full(2, 0.1))


def test_dispatch_errors():
    with pytest.raises(TypeError, match="spectral"):
        gd.predict_delay(3.0)
    with pytest.raises(gd.ParameterError, match="mechanism"):
        gd.predict_delay({"barrier": 1.0})
    with pytest.raises(gd.ParameterError, match="no_such"):
        gd.predict_delay({"mechanism": "no_such"})
    with pytest.raises(gd.ParameterError, match="learning_rat"):
        gd.predict_delay({"mechanism": "spectral", "eigenvalues": [1.0], "learning_rat": 0.1})
    with pytest.raises(gd.ParameterError, match="learning_rate"):
        gd.predict_delay({"mechanism": "spectral", "eigenvalues": [1.0]})
    with pytest.raises(gd.ParameterError, match="gradient_flow, gradient_descent"):
        gd.predict_delay(SPEC([1.0], learning_rate=0.1), method="magic")


def test_default_method_is_used():
    pred = gd.predict_delay(SPEC([1.0, 0.5], learning_rate=0.1))
    assert pred.method == SPEC.default_method


def test_mechanisms_is_a_copy_of_the_registry():
    reg = gd.mechanisms()
    reg.pop("spectral")
    assert "spectral" in gd.mechanisms()
    assert gd.mechanisms()["spectral"] is SPEC


def test_parameters_are_frozen_and_compare_by_value():
    a = SPEC(np.array([1.0, 0.5]), learning_rate=np.array([0.1, 0.2]))
    b = SPEC([1.0, 0.5], learning_rate=[0.1, 0.2])
    assert a == b and a != b.replace(tolerance=0.5)
    with pytest.raises(AttributeError):
        a.learning_rate = 1.0
    with pytest.raises(ValueError):
        a.learning_rate[0] = 5.0  # stored arrays are read-only copies


def test_finalize_ratio_and_inf_rules():
    p = SPEC([1.0], learning_rate=0.1)
    shape = (5,)
    out = Outcome(t_mem=[0.0, 0.0, 2.0, math.inf, 3.0], t_grok=[0.0, 5.0, math.inf, math.inf, 3.0],
                  notes=["x", "x"])
    pred = finalize(p, "gradient_flow", shape, out)
    np.testing.assert_array_equal(pred.delay, [0.0, 5.0, math.inf, math.inf, 0.0])
    np.testing.assert_array_equal(pred.ratio, [1.0, math.inf, math.inf, math.inf, 1.0])
    np.testing.assert_array_equal(pred.log_delay, [-math.inf, math.log(5.0), math.inf,
                                                   math.inf, -math.inf])
    early = finalize(p, "m", (), Outcome(t_mem=4.0, t_grok=2.0, notes=["early"]))
    assert early.delay == -2.0 and early.log_delay == -math.inf and early.ratio == 0.5
    # the method's note once, then the core's: no delay at 2 points, ratio inf at t_mem = 0
    assert pred.notes[0] == "x" and pred.notes.count("x") == 1
    assert any("no grokking delay" in n and "2 of 5" in n for n in pred.notes)
    assert any("t_mem = 0 < t_grok" in n for n in pred.notes)
    with pytest.raises(FloatingPointError, match="NaN"):
        finalize(p, "gradient_flow", (), Outcome(t_mem=1.0, t_grok=math.nan))


def test_log_delay_from_the_method_is_kept():
    p = SPEC([1.0], learning_rate=0.1)
    pred = finalize(p, "m", (), Outcome(t_mem=0.0, t_grok=math.inf, delay=math.inf,
                                         log_delay=1234.5, notes=["overflow"]))
    assert pred.delay == math.inf and pred.log_delay == 1234.5


def test_note_where_counts():
    assert note_where(False, "a") == []
    assert note_where(True, "a") == ["a"]
    assert note_where(np.array([True, False, True]), "a") == ["a (at 2 of 3 points)"]
    assert note_where(np.array([True, True]), "a") == ["a (at all 2 points)"]


def test_prediction_to_dict_is_json_and_indexable():
    pred = gd.predict_delay(SPEC([1.0, 0.01], learning_rate=np.array([0.1, 0.2, 0.4])))
    d = json.loads(json.dumps(pred.to_dict()))
    assert set(d) >= {"mechanism", "method", "t_mem", "t_grok", "delay", "ratio", "log_delay",
                      "units", "notes"}
    assert pred.shape == (3,)
    one = pred[1]
    assert one.t_mem == pytest.approx(math.log(100) / 0.2)
    assert "ratio" in str(pred)
    with pytest.raises(TypeError):
        gd.predict_delay(SPEC([1.0], learning_rate=0.1))[0]


def test_scalar_inputs_give_python_floats_arrays_give_arrays():
    s = gd.predict_delay(SPEC([1.0, 0.5], learning_rate=0.1))
    assert type(s.delay) is float
    a = gd.predict_delay(SPEC([1.0, 0.5], learning_rate=np.array(0.1)))
    assert np.ndim(a.delay) == 0
    b = gd.predict_delay(SPEC([1.0, 0.5], learning_rate=np.array([[0.1], [0.2]]),
                              tolerance=[0.1, 0.01, 0.001]))
    assert b.delay.shape == (2, 3)


def test_json_is_strict_even_with_inf_in_arrays():
    from grokdelay._core import jsonable

    text = json.dumps(jsonable(np.array([1.0, np.inf, -np.inf])), allow_nan=False)
    assert json.loads(text) == [1.0, "inf", "-inf"]
    pred = gd.predict_delay(SPEC([1.0, 0.01], learning_rate=np.array([0.1, 1.0])))
    json.dumps(pred.to_dict(), allow_nan=False)


def test_to_dict_round_trips_through_json_with_inf():
    p = SPEC([1.0, 0.5], learning_rate=0.1, tolerance=0.5)
    d = json.loads(json.dumps(p.to_dict()))
    assert gd.predict_delay(d).params == p
    # the words for infinity are accepted where a number is, nothing else
    from grokdelay._fields import FieldSpec, Interval, _convert_scalar

    spec = FieldSpec("x", Interval(0, math.inf, allow_inf=True), "x")
    assert _convert_scalar("x", spec, "inf") == math.inf
    np.testing.assert_array_equal(_convert_scalar("x", spec, [1.0, "inf"]), [1.0, math.inf])
    with pytest.raises(gd.ParameterError):
        _convert_scalar("x", spec, "1.5")


def test_an_infinite_endpoint_is_a_limit_not_a_value():
    # (0, inf) means every finite positive number; inf itself only where a field says so
    from grokdelay._core import Interval

    assert not Interval(0, math.inf).contains(math.inf)
    assert math.inf in Interval(0, math.inf).outside()
    assert Interval(1, math.inf, allow_inf=True).contains(math.inf)
    assert str(Interval(1, math.inf, allow_inf=True)) == "[1, inf]"
    with pytest.raises(gd.ParameterError, match="aspect_ratio = inf"):
        gd.LinearTeacherStudent(aspect_ratio=math.inf, learning_rate=0.1)


def test_registering_the_same_class_again_keeps_the_first():
    from grokdelay._core import register

    again = register("spectral")(type("SpectralConditioning", (), {}))
    assert again is SPEC and gd.mechanisms()["spectral"] is SPEC
    with pytest.raises(RuntimeError, match="twice"):
        register("spectral")(type("Other", (), {}))


def _recorded(call):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        call()
    return [w for w in rec if issubclass(w.category, (gd.GrokdelayWarning, DeprecationWarning))]


def test_method_warnings_name_the_users_line():
    # the warning is found three calls deep (predict_delay -> method, or sweep -> chunk ->
    # predict_delay -> method), but must name this file and the line of the call
    unstable = gd.SpectralConditioning([300.0, 1.0], learning_rate=0.01)
    line = inspect.currentframe().f_lineno + 1
    direct = _recorded(lambda: gd.predict_delay(unstable, method="gradient_descent"))
    line_sweep = inspect.currentframe().f_lineno + 1
    swept = _recorded(lambda: gd.sweep(unstable, method="gradient_descent", tolerance=[0.1, 0.01]))
    line_old = inspect.currentframe().f_lineno + 1
    old = _recorded(lambda: gd.modular_kernel.SEED000_NTK_MIN)
    for rec, at in ((direct, line), (swept, line_sweep), (old, line_old)):
        assert rec, "no warning emitted"
        assert [(w.filename, w.lineno) for w in rec] == [(__file__, at)] * len(rec)
    assert direct[0].category is gd.GrokdelayWarning and "nu_max" in str(direct[0].message)
    assert old[0].category is DeprecationWarning and "grokdelay.scenarios" in str(old[0].message)


def test_a_note_on_one_point_has_no_point_count():
    # a scalar call's masks are one-element arrays inside some engines: "(at all 1 points)"
    # was appended to its notes; one point gets the bare note, several get the count
    from grokdelay._core import note_where

    assert note_where(np.array([True]), "n") == ["n"] == note_where(True, "n")
    assert note_where(np.array([True, True]), "n") == ["n (at all 2 points)"]
    assert note_where(np.array([True, False]), "n") == ["n (at 1 of 2 points)"]
    p = gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=0.5, learning_rate=0.5))
    flow = [n for n in p.notes if n.startswith("2 eta0 lambda_+ >= 1")]
    assert flow and not flow[0].endswith("points)")

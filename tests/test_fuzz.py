"""The fuzz suite: every field of every registered mechanism at the extremes, every method.

Driven by the field declarations (tests/fuzz.py): the whole domain in decades
(1e-300..1e300), ``nextafter`` just inside open edges, huge integers (2**63 and beyond, as
Python ints and in float arrays), -0.0, subnormals, every numpy dtype, 0-d and empty arrays,
arrays mixing valid and invalid points, complex, bool, bytes, strings, nested lists, and
``method=`` of wrong types. Every output must pass :func:`fuzz.check` (no NaN, notes for
every inf and negative delay, delay/ratio/log_delay consistent), no exception but
ParameterError may escape, and no RuntimeWarning.

Bounded in the normal run (fixed seeds, fixed lists); ``GROKDELAY_FUZZ=long`` or
``pytest -m fuzz_long`` runs the random parts 20 times longer.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conformance as cf
import fuzz as fz
import grokdelay as gd

MECHS = cf.mechanism_names()
FIELDS = [(m, f) for m in MECHS for f in fz.scalar_fields(gd.mechanisms()[m])]
CUSTOM = [(m, f) for m in MECHS for f, (s, _) in gd.mechanisms()[m].field_specs().items()
          if s.kind == "custom"]
HYP = settings(max_examples=15 * fz.SCALE, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                      HealthCheck.data_too_large])


def _all_methods(params, where):
    for m in type(params).methods:
        pred = fz.call(params, m)
        if pred is not None:
            fz.check(pred, where)


@pytest.mark.parametrize("mech,field", FIELDS, ids=[f"{m}.{f}" for m, f in FIELDS])
def test_field_edges(mech, field):
    """One field at a time over its edge values and decades, the others typical."""
    cls = gd.mechanisms()[mech]
    base = fz.typical(cls)
    spec = cls.field_specs()[field][0]
    for v in fz.edge_values(spec.domain):
        p = fz.build(cls, {**base, field: v})
        valid = bool(spec.domain.contains(float(v))) if not isinstance(v, int) or \
            abs(v) < 1e308 else False
        if p is None:
            continue
        assert valid or spec.kind == "integer", f"{field} = {v!r} accepted outside the domain"
        _all_methods(p, f"{field}={v!r}")


@pytest.mark.parametrize("mech,field", FIELDS, ids=[f"{m}.{f}" for m, f in FIELDS])
def test_field_wrong_types(mech, field):
    """bool, complex, bytes, strings, ragged lists, datetimes: ParameterError naming the field."""
    cls = gd.mechanisms()[mech]
    base = fz.typical(cls)
    for v in fz.WRONG_TYPES:
        with pytest.raises(gd.ParameterError) as info:
            cls(**{**base, field: v})
        assert info.value.field == field and field in str(info.value), (v, str(info.value))


@pytest.mark.parametrize("mech,field", CUSTOM, ids=[f"{m}.{f}" for m, f in CUSTOM])
def test_custom_field_wrong_types(mech, field):
    cls = gd.mechanisms()[mech]
    base = fz.typical(cls)
    for v in [True, b"1", "abc", 1 + 2j, [1 + 2j, 1.0], [True, False], [[1.0], [1.0, 2.0]],
              np.array(["1", "2"]), [None], {"a": 1}, [10 ** 400], [1e308, -1e308],
              [[1e308, 1e308], [1e308, 1e308]]]:
        p = fz.build(cls, {**base, field: v})
        if p is not None:
            _all_methods(p, f"{field}={v!r}")


_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
           np.float16, np.float32, np.float64, np.longdouble]


def _exact_value(spec):
    """A valid value that every dtype above represents exactly (a small integer or a half)."""
    lo, hi = cf.typical_range(spec.domain)
    for v in (1.0, 2.0, 3.0, 0.5, 0.25, 5.0, 10.0, 100.0, 0.0):
        if lo <= v <= hi and spec.domain.contains(v):
            return v
    return None


@pytest.mark.parametrize("mech", MECHS)
def test_dtype_and_wrapping_do_not_matter(mech):
    """The same value as every numpy dtype, 0-d array, numpy scalar, list, tuple, nested list
    or an object with __array__ (a torch tensor by duck typing) gives the same prediction."""
    cls = gd.mechanisms()[mech]
    base = fz.typical(cls)
    ref = {m: fz.call(cls(**base), m) for m in cls.methods}

    class Tensorish:
        def __init__(self, v):
            self.v = v

        def __array__(self, dtype=None, copy=None):
            return np.asarray(self.v, dtype=dtype)

    for field in fz.scalar_fields(cls):
        spec = cls.field_specs()[field][0]
        v = _exact_value(spec)
        if v is None:
            continue
        if spec.kind == "integer" and v != int(v):
            continue
        point = fz.build(cls, {**base, field: v})
        if point is None:            # a cross-field check refuses this value
            continue
        here = {m: fz.call(point, m) for m in cls.methods}
        kinds = [np.array(v, dtype=dt) for dt in _DTYPES
                 if not (v < 0 or (v != int(v) and np.dtype(dt).kind in "iu"))]
        kinds += [dt(v) for dt in (np.float32, np.float64, np.int64) if v == int(v)]
        kinds += [Tensorish(v), int(v) if v == int(v) else v]
        for w in kinds:
            for m, pred in here.items():
                got = fz.call(fz.build(cls, {**base, field: w}), m)
                assert (got is None) == (pred is None), (field, w, m)
                if got is not None:
                    fz.check(got, f"{field}={w!r}")
                    assert fz.same(got, pred), (field, type(w), np.asarray(w).dtype, m)
        for w in ([v], (v,), [[v]], np.array([[v]])):
            for m, pred in here.items():
                got = fz.call(fz.build(cls, {**base, field: w}), m)
                if got is not None:
                    assert got.shape == np.shape(w), (field, w)
                    fz.check(got)
                    assert fz.same(got, pred), (field, w, m)
    assert ref  # the base point predicts


@pytest.mark.parametrize("mech", MECHS)
def test_empty_and_zero_d_arrays(mech):
    cls = gd.mechanisms()[mech]
    base = fz.typical(cls)
    for field in fz.scalar_fields(cls):
        v = base.get(field, cls.field_specs()[field][1])
        if v is None or np.ndim(v):
            continue
        for w, shape in ((np.array(v), ()), (np.array([], dtype=float), (0,)),
                         (np.empty((0, 3)), (0, 3))):
            p = fz.build(cls, {**base, field: w})
            if p is None:
                continue
            for m in cls.methods:
                pred = fz.call(p, m)
                if pred is not None:
                    assert pred.shape == shape, (field, m, pred.shape)
                    fz.check(pred)


@pytest.mark.parametrize("mech", MECHS)
def test_mixed_valid_and_invalid_points(mech):
    """One bad point in an array is a ParameterError naming the field and that value."""
    cls = gd.mechanisms()[mech]
    base = fz.typical(cls)
    for field in fz.scalar_fields(cls):
        spec = cls.field_specs()[field][0]
        good = base.get(field, cls.field_specs()[field][1])
        if good is None or np.ndim(good):
            continue
        for bad in [math.nan, *spec.domain.outside()]:
            with pytest.raises(gd.ParameterError) as info:
                cls(**{**base, field: np.array([good, bad, good])})
            assert info.value.field == field
            assert "shape (3,)" in str(info.value), str(info.value)


@pytest.mark.parametrize("mech", MECHS)
def test_wrong_method_types(mech):
    cls = gd.mechanisms()[mech]
    p = cls(**fz.typical(cls))
    for m in [1, 1.5, b"exact", ["exact"], {"a": 1}, object(), "", "EXACT", np.str_("nope")]:
        with pytest.raises(gd.ParameterError) as info:
            gd.predict_delay(p, method=m)
        assert info.value.field == "method"
    name = next(iter(cls.methods))
    assert fz.call(p, np.str_(name)) is not None      # a numpy string is a string


def _point(dom):
    """Valid values across the whole domain: decades and edges, not the typical range only."""
    vals = [v for v in fz.edge_values(dom) if not isinstance(v, int) or abs(v) < 1e300]
    vals = [float(v) for v in vals if bool(dom.contains(float(v)))]
    return st.sampled_from(sorted(set(vals))) if vals else st.nothing()


@pytest.mark.parametrize("mech", MECHS)
def test_broadcast_equals_loop_at_the_extremes(mech):
    """Arrays drawn from the whole domain of every scalar field: the broadcast prediction
    equals the loop of scalar ones, point by point, and both pass the checks."""
    cls = gd.mechanisms()[mech]
    base = fz.typical(cls)
    fields = fz.scalar_fields(cls)

    @HYP
    @given(st.data())
    def run(data):
        field = data.draw(st.sampled_from(fields))
        spec = cls.field_specs()[field][0]
        xs = data.draw(st.lists(_point(spec.domain), min_size=2, max_size=4))
        if spec.kind == "integer":
            xs = [float(x) for x in xs if abs(x) <= 2 ** 53]
            if len(xs) < 2:
                return
        p = fz.build(cls, {**base, field: np.array(xs)})
        if p is None:
            return
        for m in cls.methods:
            pred = fz.call(p, m)
            singles = [fz.call(fz.build(cls, {**base, field: x}), m) for x in xs]
            if pred is None:
                # a method that refuses the array refuses some point of it
                assert any(s is None for s in singles), (field, xs, m)
                continue
            fz.check(pred, f"{field}={xs}")
            for i, s in enumerate(singles):
                assert s is not None, (field, xs[i], m)
                assert fz.same(pred[i], s), (field, xs[i], m, pred[i], s)

    run()


@pytest.mark.parametrize("mech", MECHS)
def test_random_points_over_whole_domains(mech):
    """All fields at once, each from its whole domain: no exception but ParameterError,
    every output passes the checks."""
    cls = gd.mechanisms()[mech]
    strategies = {}
    for name, (spec, default) in cls.field_specs().items():
        if spec.kind in ("scalar", "integer"):
            s = _point(spec.domain)
            if spec.kind == "integer":
                s = s.filter(lambda x: abs(x) <= 1e6)
            strategies[name] = s if default is cf.REQUIRED else st.one_of(st.just(default), s)
        else:
            strategies[name] = cf.field_values(spec, default)

    @HYP
    @given(st.fixed_dictionaries(strategies))
    def run(kw):
        p = fz.build(cls, kw)
        if p is not None:
            _all_methods(p, repr(kw))

    run()


@pytest.mark.fuzz_long
@pytest.mark.parametrize("mech", MECHS)
def test_long_random_campaign(mech, monkeypatch):
    """The random parts again with 20x the examples (``pytest -m fuzz_long``; deselected by
    default)."""
    monkeypatch.setattr(fz, "SCALE", 20)
    global HYP
    old = HYP
    HYP = settings(old, max_examples=300, derandomize=False)
    try:
        test_random_points_over_whole_domains(mech)
        test_broadcast_equals_loop_at_the_extremes(mech)
    finally:
        HYP = old


# --------------------------------------------------------------------------- named regressions
# Points the long campaign found; each is checked against the whole contract (fuzz.check).

REGRESSIONS = [
    # a subnormal learning rate or gram_min: inf * 0 was NaN, and an exact finite delay
    # (log_delay 646) was reported as inf; 1/tol overflowed for a subnormal tolerance
    ("ridge_null_space", "gradient_flow", dict(gram_min=5e-324, learning_rate=5e-324,
                                               weight_decay=1e-12)),
    ("ridge_null_space", "gradient_flow", dict(gram_min=5e-324, learning_rate=5e-324,
                                               weight_decay=1e-140)),
    ("ridge_null_space", "gradient_flow", dict(gram_min=9.2e18, learning_rate=1e300,
                                               weight_decay=0.0, tolerance=5e-324)),
    ("ridge_null_space", "gradient_flow", dict(gram_min=1e-280, learning_rate=5e-324,
                                               weight_decay=9.2e18)),
    # a t_mem that overflows in discrete steps had no note
    ("ridge_null_space", "gradient_descent", dict(gram_min=5e-324, learning_rate=0.5,
                                                  weight_decay=5e-324, gram_max=5e-324)),
    # the delay from logs of N^(2 alpha) and eta lost 1e-14 against t_grok - t_mem; a
    # subnormal width times a subnormal eta made t_features inf
    ("timescale_separation", "abstract_law", dict(width=1e60, alpha=0.499999999999,
                                                  learning_rate=1e60, kernel_norm=1.0,
                                                  kernel_gradient_norm=1.0)),
    ("timescale_separation", "abstract_law", dict(width=5e-324, alpha=0.499999999999,
                                                  learning_rate=2.2250738585072014e-308,
                                                  kernel_norm=1.0,
                                                  kernel_gradient_norm=5e-324)),
    # the accuracy-to-loss inversion: an empty broadcast indexed its first element; a
    # subnormal accuracy left the plain-Python inverse's domain (math domain error)
    ("linear_teacher_student", "exact", dict(aspect_ratio=np.array([]), learning_rate=0.01)),
    ("linear_teacher_student", "exact", dict(aspect_ratio=5e-324, learning_rate=5e-324,
                                             d_out=2, accuracy=5e-324)),
    # one point on Python floats: the inverse of accuracy 1e-300 underflows to 0
    # (ZeroDivisionError); every loss meets such a target, so it is met at t = 0
    ("linear_teacher_student", "exact", dict(aspect_ratio=0.5, learning_rate=0.01,
                                             accuracy=1e-300)),
]


@pytest.mark.parametrize("mech,method,kw", REGRESSIONS,
                         ids=[f"{m}-{i}" for i, (m, _, _) in enumerate(REGRESSIONS)])
def test_named_regressions_keep_the_contract(mech, method, kw):
    cls = gd.mechanisms()[mech]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        pred = gd.predict_delay(cls(**kw), method=method)
    fz.check(pred, repr(kw))


def test_ridge_delay_in_log_space_is_exact():
    # gram_min = learning_rate = 5e-324, weight_decay = 1e-140: t_null = log(100)/(eta lam)
    # overflows, but the delay t_null h/(h + lam) = log(100)/lam^2 * (h/eta) is ~1e280
    p = gd.predict_delay(gd.RidgeNullSpace(gram_min=5e-324, learning_rate=5e-324,
                                           weight_decay=1e-140))
    assert p.log_delay == pytest.approx(math.log(math.log(100.0)) + 280 * math.log(10.0),
                                        rel=1e-12)
    assert math.isfinite(p.delay) and p.delay == pytest.approx(math.exp(p.log_delay))


def test_real_run_laws_refuse_an_overflowing_contraction():
    # learning_rate * weight_decay = 1.8e308 * 2 overflowed with a RuntimeWarning
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(gd.ParameterError) as e:
            gd.TwoPhaseDecay(learning_rate=1.7976931348623157e308, weight_decay=2.0,
                             norm_init=22.6, norm_c=1.0)
    assert e.value.field == "weight_decay"
    # kappa * learning_rate overflows but weight_decay = 0: the rate is 0, valid (it was
    # inf * 0 = NaN with a RuntimeWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        p = gd.FirstPassage(learning_rate=1e160, weight_decay=0.0, norm_mem=5e-324,
                            norm_star=5e-324, kappa=1e160)
        fz.check(gd.predict_delay(p), "kappa * learning_rate overflows, weight_decay = 0")


def test_lts_refuses_a_noise_term_beyond_float64():
    # label_noise^2 * aspect_ratio = 1e310: the loss integrands overflowed to NaN and the
    # Newton solve raised FloatingPointError; now a ParameterError naming label_noise
    with pytest.raises(gd.ParameterError) as e:
        gd.LinearTeacherStudent(aspect_ratio=1e10, learning_rate=0.01, label_noise=1e150)
    assert e.value.field == "label_noise"
    ok = gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=1e30, learning_rate=0.01,
                                                  label_noise=1e100))
    fz.check(ok, "aspect_ratio=1e30, label_noise=1e100")


def test_lts_overflowing_step_count_is_not_called_a_floor():
    # the training loss does cross its target (floor 0 at aspect_ratio 1), at tau ~ 3e40,
    # but t = tau / eta overflows at eta = 1e-290: the note said the floor was above it
    p = gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=1.0, learning_rate=1e-290,
                                                 label_noise=1e18))
    assert p.t_mem == math.inf
    assert any("t_mem exceeds the float64 range" in n for n in p.notes)
    assert not any("training loss floor" in n for n in p.notes)
    # and one point on floats agrees with the same point in an array (the scalar fast path)
    q = gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=[1.0, 1.0], learning_rate=5e-324,
                                                 label_noise=9.223372036854776e18))
    r = gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=1.0, learning_rate=5e-324,
                                                 label_noise=9.223372036854776e18))
    assert np.all(q.t_mem == r.t_mem) and np.all(q.t_grok == r.t_grok)


@pytest.mark.parametrize("wd", [1e-29, 1e-30, 1e-33])
def test_lts_noise_term_is_summed_node_by_node(wd):
    # aspect_ratio = 1, label_noise = 0.5, tiny weight decay: the fitted-noise part of the gen
    # loss split into floor + E1 A + E1^2 B cancelled between terms ~ g^-1/2 = 1e15, giving a
    # finite t_grok (186 steps at 1e-29) or a failed bracket (smaller); the floor (>= 5e13) is
    # far above the target, so the point never groks
    p = gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=1.0, learning_rate=0.01,
                                                 label_noise=0.5, weight_decay=wd))
    fz.check(p, f"weight_decay={wd}")
    assert p.t_grok == math.inf and math.isfinite(p.t_mem)
    assert any("generalization loss floor" in n for n in p.notes)


def test_lts_hard_edge_refuses_an_unresolved_weight_decay_pole():
    # aspect_ratio = 1, label noise, 0 < d_out wd / 2 < 6e-35: the pole at nu = -g is closer
    # to the hard edge than the capped panels resolve; the noise floor ~ sigma^2 g^-1/2 came out
    # 2.5e19 instead of ~1e49 at weight_decay 1e-100 (a wrong floor, and a wrong answer for
    # a smaller label_noise)
    for wd in (1e-35, 1e-100, 1e-300):
        with pytest.raises(gd.ParameterError) as e:
            gd.LinearTeacherStudent(aspect_ratio=1.0, learning_rate=0.01, weight_decay=wd,
                                    label_noise=1e-10)
        assert e.value.field == "weight_decay"
    for kw in (dict(weight_decay=0.0), dict(weight_decay=1e-33), dict(aspect_ratio=0.999999),
               dict(label_noise=0.0)):
        point = gd.LinearTeacherStudent(**{"aspect_ratio": 1.0, "learning_rate": 0.01,
                                           "weight_decay": 1e-100, "label_noise": 0.1, **kw})
        fz.check(gd.predict_delay(point), repr(kw))


def test_lts_crossing_beyond_the_resolved_time_range():
    # aspect_ratio = 1 without weight decay: the losses fall as powers of t, and a tiny target
    # put the crossing past eta0 t ~ 4e33, where the capped panels stop resolving the hard
    # edge: "Newton iteration did not converge" / "no crossing below exp(690)"
    with pytest.raises(gd.ParameterError) as e:
        gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=1.0, learning_rate=1.0,
                                                 threshold=1e-300))
    assert e.value.field == "threshold"
    # ... unless even that time is beyond float64 in steps: then t_mem overflows, exactly
    p = gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=1.0, learning_rate=5e-324,
                                                 threshold=1e-280))
    fz.check(p, "aspect_ratio=1, learning_rate=5e-324, threshold=1e-280")
    assert p.t_mem == math.inf and any("t_mem exceeds the float64" in n for n in p.notes)
    # a null-space term decaying at a subnormal rate (g = 5e-309): closed form beyond the
    # panels, the crossing tau ~ 1e310 overflows (was "no crossing found below exp(690)")
    q = gd.predict_delay(gd.LinearTeacherStudent(
        aspect_ratio=1e20, learning_rate=1e-60, weight_decay=3.33333333333333e-309, d_out=3,
        init_scale=9.223372036854776e18, accuracy=1e-60))
    fz.check(q, "aspect_ratio=1e20, weight_decay=3.3e-309")
    assert math.isfinite(q.t_mem) and q.t_grok == math.inf
    assert any("t_grok exceeds the float64" in n for n in q.notes)


def test_lts_noisy_scan_reaches_a_crossing_of_a_huge_initial_loss():
    # init_scale 1e100: the noisy generalization loss starts at ~1e200 and falls past the
    # target only after log(L0 / L*) ~ 470 e-folds; the scan grid stopped at e^-40 of decay,
    # found no dip and reported inf with a note claiming the floor 1e-80 above the target
    p = gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=1e-80, learning_rate=1e150,
                                                 d_out=3, depth=2, init_scale=1e150,
                                                 label_noise=1.0, accuracy=1e-220))
    fz.check(p, "init_scale=1e150, label_noise=1")
    assert math.isfinite(p.t_grok) and p.t_grok == pytest.approx(p.t_mem, rel=1e-9)
    q = gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=0.5, learning_rate=0.01,
                                                 init_scale=1e100, label_noise=1e-30))
    fz.check(q, "init_scale=1e100, label_noise=1e-30")
    assert math.isfinite(q.t_grok)


def test_lts_depth2_refuses_an_overflowing_rate():
    # init_scale * learning_rate overflowed eq 18's rate eta0 to inf: t = tau / eta0 gave NaN
    with pytest.raises(gd.ParameterError) as e:
        gd.LinearTeacherStudent(aspect_ratio=1e-80, learning_rate=1e308, d_out=3, depth=2,
                                init_scale=1e150)
    assert e.value.field == "learning_rate"


def test_lts_newton_keeps_inside_the_bracket_when_the_slope_underflows():
    # init_scale 1e150: the guess tau = 363 lies where the loss sits at its floor and its
    # slope underflows (-3e-300); the Newton step went to x = -2e302 and bisection from there
    # exhausted its 200 iterations. The crossing is at tau = 23.2 (L0 = 5e299, L* = 2.5e259)
    kw = dict(aspect_ratio=1e-12, learning_rate=1e20, threshold=1e260, weight_decay=1e-12,
              init_scale=1e150)
    p = gd.predict_delay(gd.LinearTeacherStudent(**kw))
    fz.check(p, repr(kw))
    assert p.t_mem * 1e20 == pytest.approx(math.log(5e299 / 2.5e259) / 4.0, rel=1e-3)
    q = gd.predict_delay(gd.LinearTeacherStudent(**{**kw, "aspect_ratio": [1e-12, 1e-12]}))
    # (the times agree to rounding; their difference, 1e-12 of them at aspect_ratio 1e-12,
    # carries that rounding relative to itself, so it is not compared)
    assert np.allclose(q.t_mem, p.t_mem, rtol=1e-12) and np.allclose(q.t_grok, p.t_grok,
                                                                     rtol=1e-12)


def test_lts_scalar_slope_overflows_like_the_array_path():
    # aspect_ratio ~1e50, init_scale 1.8e19: the slope term's exp overflowed in math.exp
    # (OverflowError on the one-point float path; numpy gives inf and the array path copes)
    kw = dict(aspect_ratio=9.999999999999997e49, learning_rate=1e-260, weight_decay=1e-280,
              init_scale=1.8446744073709556e19)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        p = gd.predict_delay(gd.LinearTeacherStudent(**kw))
    fz.check(p, repr(kw))
    q = gd.predict_delay(gd.LinearTeacherStudent(**{**kw, "aspect_ratio": [kw["aspect_ratio"]] * 2}))
    assert fz.same(q[0], p)


def test_lts_newton_converges_on_a_slow_null_space_decay():
    # aspect_ratio 1e50, weight decay 1e30, init_scale 1e100: the gen loss falls through the
    # null-space term 0.5 (1 + alpha^2 e^{-4 g tau}) at rate 4 g, far below the spectrum's
    # 2 c = 2 e50; a model decaying at 2 c had its power p at 2 c tau to rounding, its steps
    # crawled and Newton stopped after 200 ("did not converge"). The model's guard against
    # that rate stays; with the weighted rate (_lts_kernel.mixed_rate, 4 g here) the model
    # itself fits this decay.
    kw = dict(aspect_ratio=9.999999999999999e49, learning_rate=1e140, threshold=1e-240,
              weight_decay=1e30, init_scale=1e100, accuracy=1e-120)
    p = gd.predict_delay(gd.LinearTeacherStudent(**kw))
    fz.check(p, repr(kw))
    level = gd.linear_teacher_student.target_loss(gd.LinearTeacherStudent(**kw))
    tau = math.log(0.5e200 / (level - 0.5)) / (4.0 * 0.5e30)       # the closed form
    assert p.t_grok == pytest.approx(tau / 1e140, rel=1e-12)

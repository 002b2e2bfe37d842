"""gd.elasticity: against finite differences for every mechanism and method, exact against
numerical, the non-smooth and infinite points, broadcasting, errors and calibrations."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import grokdelay as gd
from grokdelay import _symbolic
from grokdelay import sensitivity as sens
from conformance import first_cases, typical_params

HYP = settings(max_examples=30, deadline=None, derandomize=True)


def _predict(params, method):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gd.GrokdelayWarning)
        return gd.predict_delay(params, method=method)


def _cases():
    """(params, method, field, of) for every mechanism and method, every scalar field."""
    refs = first_cases()
    out = []
    for name, cls in gd.mechanisms().items():
        p = gd._core.as_params(refs[name]["params"]) if name in refs else typical_params(cls)
        for m in cls.methods:
            try:
                _predict(p, m)
            except gd.ParameterError:
                p_m = p.replace(weight_decay=0.0) if name == "linear_teacher_student" else None
                if p_m is None:
                    raise
            else:
                p_m = p
            for f, (spec, _) in cls.field_specs().items():
                if spec.kind != "scalar" or getattr(p_m, f) is None:
                    continue
                for of in ("delay", "t_mem", "t_grok"):
                    out.append(pytest.param(p_m, m, f, of, id=f"{name}-{m}-{f}-{of}"))
    return out


@pytest.mark.parametrize("params, method, field, of", _cases())
def test_elasticity_against_a_finite_difference(params, method, field, of):
    e = gd.elasticity(params, field, method=method, of=of)
    assert not np.isnan(e.value)
    x = float(getattr(params, field))
    pred = _predict(params, method)
    g0 = float(sens._log_of(pred, of))
    if not math.isfinite(g0) or x == 0.0:
        assert e.value == (math.inf if not math.isfinite(g0) else 0.0) and e.notes
        return
    if math.isinf(x):
        assert e.value == 0.0 and e.notes           # a field at its infinite limit
        return
    law = _symbolic.law_for(params, method)
    rounded = law is not None and law.rounded and bool(e.exact)
    spec = type(params).field_specs()[field][0]

    def secant(h):
        """An independent plain secant of log(of) in log(field): two predictions at x e^{+-h}
        (one-sided at a domain edge)."""
        lo, hi = x * math.exp(-h), x * math.exp(h)
        if not spec.domain.contains(hi):
            lo, hi, span = lo, x, h
        elif not spec.domain.contains(lo):
            lo, hi, span = x, hi, h
        else:
            span = 2 * h
        gl = float(sens._log_of(_predict(params.replace(**{field: lo}), method), of))
        gh = float(sens._log_of(_predict(params.replace(**{field: hi}), method), of))
        # (g(x e^h) - g(x e^-h)) / 2h -> d g / d s at x e^s = x g'(x), whatever the sign of x
        return (gh - gl) / span, min(gl, gh)

    if math.isinf(e.value):
        assert e.notes
        return
    # Smooth methods: secants at h = 1e-2 and 5e-3; the second's truncation error is about a
    # third of their difference (central, O(h^2)) or all of it (one-sided at a domain edge,
    # O(h)), so 2 |s1 - s2| + 1e-6 bounds the distance to the true derivative.
    # Integer step counts: h = 0.1 and 0.05 over counts of thousands, each rounded by <= 1
    # step, so each secant carries up to 2 / (count * 2h) of rounding on top.
    h = 0.1 if rounded else 1e-2
    s1, g1 = secant(h)
    s2, g2 = secant(h / 2)
    tol = 2 * abs(s1 - s2) + 1e-6 * (1 + abs(e.value))
    if rounded:
        tol += 2 * (2.0 / (math.exp(min(g1, g2)) * h))
    assert e.value == pytest.approx(s2, abs=tol), (e, s1, s2)


def _laws_and_fields():
    out = []
    for law in _symbolic.laws():
        cls = gd.mechanisms()[law.mechanism]
        p = typical_params(cls)
        if law.mechanism == "norm_separation" and "gamma_eff" in law.fields:
            p = p.replace(gamma_eff=1e-3)
        if law.mechanism == "ridge_null_space" and "gram_max" in law.fields:
            p = p.replace(gram_max=2 * p.gram_min)
        if law.mechanism in ("kramers", "implicit_bias") and "learning_rate" in law.fields:
            p = p.replace(learning_rate=0.01)
        if law.mechanism == "two_clocks":
            extra = {"energy_initial": 10.0 if "energy_initial" in law.fields else None,
                     "tail_contraction": 0.1 if "tail_contraction" in law.fields else None,
                     "coupling_exponent": 1.0}
            p = p.replace(**extra)
        if _symbolic.law_for(p, law.method) is not law or law.rounded:
            continue
        for f in law.fields:
            if law.differentiable(f) and cls.field_specs()[f][0].kind == "scalar":
                out.append(pytest.param(p, law.method, f,
                                        id=f"{law.mechanism}-{law.method}-{law.variant}-{f}"))
    return out


@pytest.mark.parametrize("params, method, field", _laws_and_fields())
def test_exact_and_numerical_elasticities_agree(params, method, field):
    for of in ("delay", "t_mem", "t_grok"):
        e = gd.elasticity(params, field, method=method, of=of)
        if not e.exact:
            continue
        pred = _predict(params, method)
        shape = params.shape
        x = np.broadcast_to(np.asarray(getattr(params, field), dtype=float), shape)
        num, _ = sens._numerical(params, field, method, of,
                                 np.broadcast_to(sens._log_of(pred, of), shape), x,
                                 np.ones(shape, dtype=bool))
        # Richardson error ~h^4 = 1e-12 and rounding ~1e-15/h = 1e-12 of log(of): 1e-8 is slack
        assert float(num) == pytest.approx(e.value, abs=1e-8 * (1 + abs(e.value))), of


def test_known_values_and_the_doubling_reading():
    p = gd.NormSeparation(learning_rate=1e-3, weight_decay=1.0, norm_mem=10.0, norm_post=1.0)
    e = gd.elasticity(p, "weight_decay", method="law")
    assert e.value == pytest.approx(-1.0, abs=1e-14) and e.exact
    assert e.factor(2.0) == pytest.approx(0.5)
    assert "x0.5" in e.summary() and isinstance(e, float)
    # the exact count: -gamma / ((1 - gamma) log(1/(1 - gamma))) at gamma = 1e-3
    g = 1e-3
    assert gd.elasticity(p, "weight_decay").value == pytest.approx(
        g / ((1 - g) * math.log1p(-g)), rel=1e-12)
    ts = gd.TimescaleSeparation(width=1024.0, alpha=0.5, learning_rate=0.1)
    assert gd.elasticity(ts, "width", of="t_grok").value == pytest.approx(1.0, rel=1e-14)
    assert gd.elasticity(ts, "alpha", of="t_grok").value == pytest.approx(
        2 * 0.5 * math.log(1024.0), rel=1e-14)


def test_broadcasting_mixed_exact_and_numerical_points():
    lam = np.array([[0.01], [0.02]])
    p = gd.ImplicitBias(init_scale=np.array([10.0, 1e3, 1e6]), weight_decay=lam,
                        learning_rate=0.1, t_mem=np.array([100.0, 100.0, 1e9]))
    e = gd.elasticity(p, "init_scale", of="t_grok")
    assert e.value.shape == (2, 3) and not np.isnan(e.value).any()
    # grokking points: 1 / log(alpha); the last column is clipped (t_grok = t_mem), where the
    # elasticity of t_grok in alpha is 0 (numerically: that branch does not move with alpha)
    want = 1.0 / np.log(np.array([10.0, 1e3]))
    assert np.allclose(e.value[:, :2], want, rtol=1e-12)
    assert np.allclose(e.value[:, 2], 0.0, atol=1e-10)
    assert e.exact[:, :2].all() and not e.exact[:, 2].any()
    assert isinstance(gd.elasticity(p.replace(init_scale=10.0, weight_decay=0.01, t_mem=1.0),
                                    "init_scale").value, float)


def test_non_smooth_and_infinite_points_give_inf_with_a_note_never_nan():
    # the kink of t_grok = max(t_mem, log(alpha) / (eta lambda)), exactly at the corner
    t_star = math.log(1e3) / (0.1 * 0.01)
    p = gd.ImplicitBias(init_scale=1e3, weight_decay=0.01, learning_rate=0.1, t_mem=t_star)
    e = gd.elasticity(p, "weight_decay", of="t_grok")
    assert e.value == math.inf and any("non-smooth" in n for n in e.notes)
    # never groks (no weight decay): delay inf
    e = gd.elasticity(gd.RidgeNullSpace(1.0, 0.1, 0.0), "learning_rate")
    assert e.value == math.inf and any("inf or 0" in n for n in e.notes)
    # the field itself is 0: scaling it changes nothing
    e = gd.elasticity(gd.LinearTeacherStudent(0.5, 0.01), "weight_decay")
    assert e.value == 0.0 and any("= 0" in n for n in e.notes)
    # an overflowing escape time keeps exact elasticities (log space)
    k = gd.KramersEscape(barrier=1e4, temperature=1.0, hessian_min=8.0, hessian_saddle=-4.0,
                         t_mem=5.0)
    assert gd.elasticity(k, "barrier").value == pytest.approx(1e4, rel=1e-14)
    assert gd.elasticity(k, "temperature", of="t_grok").value == pytest.approx(-1e4, rel=1e-9)


def test_numerical_derivative_respects_domain_edges():
    # alpha = 1/2 is the closed upper edge: only the backward stencil is valid
    p = gd.TimescaleSeparation(width=64.0, alpha=0.5, learning_rate=0.1)
    shape = p.shape
    pred = p.predict()
    num, notes = sens._numerical(p, "alpha", "abstract_law", "t_grok",
                                 np.asarray(sens._log_of(pred, "t_grok")),
                                 np.asarray(0.5), np.ones(shape, dtype=bool))
    assert float(num) == pytest.approx(math.log(64.0), rel=1e-9) and not notes
    # accuracy in (0, 1) near its upper edge, for a method without a closed form
    lts = gd.LinearTeacherStudent(0.5, 0.01, accuracy=0.9995)
    e = gd.elasticity(lts, "accuracy", of="t_mem")
    assert np.isfinite(e.value) and not e.exact


@HYP
@given(st.floats(1e-6, 0.5), st.floats(1.01, 1e3), st.floats(0.0, 1e4))
def test_norm_separation_elasticities_property(gamma, ratio, t_mem):
    p = gd.NormSeparation(learning_rate=gamma, weight_decay=1.0, norm_mem=ratio, norm_post=1.0,
                          t_mem=t_mem)
    e_lr = gd.elasticity(p, "learning_rate", method="law").value
    e_n = gd.elasticity(p, "norm_mem", method="law").value
    assert e_lr == pytest.approx(-1.0, abs=1e-12)
    assert e_n == pytest.approx(1.0 / math.log(ratio), rel=1e-10)
    # t_grok's elasticity is the delay's, weighted by delay / t_grok
    d = p.predict("law")
    e_t = gd.elasticity(p, "learning_rate", method="law", of="t_grok").value
    assert e_t == pytest.approx(-d.delay / d.t_grok, rel=1e-9, abs=1e-12)


def test_calibrated_prediction_uses_its_base_method():
    from grokdelay.norm_separation import calibrate

    cal = calibrate([1e-3, 1e-3, 2e-3], [1.0, 0.5, 1.0], [100.0] * 3, [5000.0, 9000.0, 2600.0],
                    [10.0] * 3, [1.0] * 3)
    pred = cal.predict(1e-3, 1.0, 10.0, 1.0, t_mem=100.0)
    base = gd.NormSeparation(1e-3, 1.0, 10.0, 1.0, t_mem=100.0)
    e = gd.elasticity(pred, "weight_decay")
    assert e.value == pytest.approx(gd.elasticity(base, "weight_decay").value, rel=1e-14)
    # t_grok = t_mem + C k*: the weights are the calibrated times'
    e_t = gd.elasticity(pred, "weight_decay", of="t_grok").value
    assert e_t == pytest.approx(e.value * pred.delay / pred.t_grok, rel=1e-12)
    # without extra["base_method"], the method of its params that reproduces its delay
    import dataclasses

    bare = dataclasses.replace(pred, extra={}, delay=pred.delay / pred.extra["constant"],
                               log_delay=pred.log_delay - math.log(pred.extra["constant"]))
    assert gd.elasticity(bare, "weight_decay").value == pytest.approx(e.value, rel=1e-14)
    with pytest.raises(gd.ParameterError, match="base_method"):
        gd.elasticity(dataclasses.replace(pred, extra={}), "weight_decay")
    # a prediction of a registered method is differentiated as given
    assert gd.elasticity(base.predict(), "norm_mem").value == pytest.approx(
        gd.elasticity(base, "norm_mem").value)


def test_bad_input_raises_parameter_error_naming_the_field():
    p = gd.SpectralConditioning([10.0, 1.0], learning_rate=0.1)
    for field, kw, word in (("eigenvalues", {}, "not a scalar field"),
                            ("nope", {}, "not a field"),
                            ("learning_rate", {"of": "ratio"}, "of"),
                            ("learning_rate", {"method": "nope"}, "method")):
        with pytest.raises(gd.ParameterError, match=word):
            gd.elasticity(p, field, **kw)
    with pytest.raises(gd.ParameterError, match="not given"):
        gd.elasticity(gd.ImplicitBias(init_scale=10.0, weight_decay=0.1), "learning_rate")
    with pytest.raises(gd.ParameterError, match="integer field"):
        gd.elasticity(gd.LinearTeacherStudent(0.5, 0.01), "d_out")
    with pytest.raises(TypeError):
        gd.elasticity(3.0, "learning_rate")


def test_mapping_input_and_integer_field_with_a_closed_form():
    m = {"mechanism": "two_clocks", "gap_rate": 0.05, "n_classes": 97, "loss_target": 0.01,
         "kl_exponent": 0.75, "kl_rate": 1e-3, "structure_target": 1e-4}
    e = gd.elasticity(m, "n_classes", of="t_mem")
    # t_mem = log((K-1)/eps)/gamma: d log t_mem / d log K = K / ((K-1) log((K-1)/eps))
    assert e.value == pytest.approx(97 / (96 * math.log(96 / 0.01)), rel=1e-12) and e.exact


def test_compare_elasticities_in_the_shell(capsys):
    import json

    from grokdelay.cli import main

    assert main(["compare", "--elasticities"]) == 0
    out = capsys.readouterr().out
    block = out[out.index("Elasticities d log(delay)"):]
    # the seed-000 norm-separation row: k* at gamma = 2e-3, exact from the closed form
    g = 2e-3
    line = [x for x in block.splitlines() if x.strip().startswith("norm_separation")][0]
    assert f"weight_decay {g / ((1 - g) * math.log1p(-g)):.4g}*" in line
    assert "nan" not in block
    assert main(["compare", "--json", "--elasticities"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[1]["elasticities"]["learning_rate"] == pytest.approx(
        g / ((1 - g) * math.log1p(-g)), rel=1e-12)


@pytest.mark.parametrize("mech", list(gd.mechanisms()))
def test_elasticity_is_never_nan_over_the_domains(mech):
    # hypothesis draws field-wise valid points, domain edges included (conformance strategy)
    from hypothesis import assume

    import conformance as cf

    cls = gd.mechanisms()[mech]
    scalar = [f for f, (s, _) in cls.field_specs().items() if s.broadcasts]

    @settings(max_examples=12, deadline=None, derandomize=True)
    @given(cf.params_strategy(cls), st.sampled_from(scalar), st.sampled_from(list(cls.methods)),
           st.sampled_from(["delay", "t_mem", "t_grok"]))
    def check(kwargs, field, method, of):
        try:
            params = cls(**kwargs)
            _predict(params, method)
        except gd.ParameterError:
            assume(False)
        assume(getattr(params, field) is not None)
        try:
            e = gd.elasticity(params, field, method=method, of=of)
        except gd.ParameterError as exc:        # an integer field without a closed form
            assert "integer field" in str(exc)
            return
        assert not np.isnan(e.value).any()
        if np.isinf(e.value).any():
            assert e.notes

    check()

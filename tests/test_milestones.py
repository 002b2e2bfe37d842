"""grokdelay.milestones: observed milestones from logs, and predictions set beside them."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conformance as cf
import grokdelay as gd
from grokdelay import clock_estimators as ce
from grokdelay.milestones import Milestones, compare_with_log, estimate_inputs, milestones_from_log


def sustained_time(steps, values, threshold, *, window=0.0, above=True):
    """The milestones' reading of the one persistence rule: accuracies, with index and note."""
    return ce.sustained_time(steps, values, threshold, window, above=above, full_output=True)


def _brute_sustained(steps, values, thr, window, above=True):
    """The definition, literally: a double loop over records (independent of the vectorized
    reversed running minimum in sustained_time)."""
    n = len(steps)
    for i in range(n):
        if steps[-1] < steps[i] + window:
            continue
        good = True
        for j in range(i, n):
            if steps[j] > steps[i] + window:
                break
            v = values[j]
            if not (v >= thr if above else v <= thr):  # NaN fails both
                good = False
                break
        if good:
            return float(steps[i])
    return math.inf


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), n=st.integers(1, 40), above=st.booleans())
def test_sustained_time_matches_the_definition(data, n, above):
    gaps = data.draw(st.lists(st.integers(1, 5), min_size=n, max_size=n))
    steps = np.cumsum(gaps).astype(float)
    vals = np.array(data.draw(st.lists(st.sampled_from([0.0, 0.5, 0.9, 0.95, 1.0, math.nan]),
                                       min_size=n, max_size=n)))
    thr = data.draw(st.sampled_from([0.5, 0.9, 0.95]))
    window = data.draw(st.sampled_from([0.0, 1.0, 3.0, 7.5, 20.0]))
    t, i, note = sustained_time(steps, vals, thr, window=window, above=above)
    assert t == _brute_sustained(steps, vals, thr, window, above)
    if math.isfinite(t):
        assert steps[i] == t and note is None
    else:
        assert i is None and note  # inf always says why


def test_sustained_time_agrees_with_clock_estimators():
    rng = np.random.default_rng(0)
    for _ in range(50):
        steps = np.cumsum(rng.integers(1, 4, 30)).astype(float)
        vals = rng.choice([0.1, 0.6, 0.99], 30)
        for w in (0.0, 2.0, 9.0):
            for above in (True, False):
                ours = sustained_time(steps, vals, 0.6, window=w, above=above)[0]
                assert ours == ce.sustained_time(steps, vals, 0.6, w, above=above)


def test_deprecated_milestones_sustained_time_is_the_same_rule():
    steps = np.arange(6.0)
    vals = np.array([0, .9, .2, .95, .97, .99])
    with pytest.warns(DeprecationWarning, match="clock_estimators.sustained_time"):
        old = gd.milestones.sustained_time(steps, vals, 0.9, window=2)
    assert old == sustained_time(steps, vals, 0.9, window=2) == (3.0, 3, None)


def _gd_log(nu_mem, nu_grok, eta, n_steps):
    """Gradient descent on the diagonal quadratic 0.5 * sum nu_i e_i^2, stepped in numpy.

    "Accuracy" of a mode := 1 - |e_k| / |e_0| (the fraction of its initial error removed), so
    a threshold 1 - tol on it is the spectral mechanism's "mode learned to tolerance tol".
    """
    nu = np.array([nu_mem, nu_grok])
    e = np.ones(2)
    acc = np.empty((n_steps + 1, 2))
    acc[0] = 0.0
    for k in range(1, n_steps + 1):
        e = e - eta * nu * e
        acc[k] = 1.0 - np.abs(e)
    return np.arange(n_steps + 1.0), acc[:, 0], acc[:, 1]


def test_simulated_run_matches_the_exact_gradient_descent_prediction():
    nu_mem, nu_grok, eta, tol = 1.0, 0.02, 0.1, 0.05
    steps, train, test = _gd_log(nu_mem, nu_grok, eta, 2500)
    # monotone contraction: any window gives the same milestones
    obs = milestones_from_log(steps, train, test, threshold=1 - tol, window=25)
    pred = gd.predict_delay(gd.SpectralConditioning([nu_mem, nu_grok], learning_rate=eta,
                                                    tolerance=tol), method="gradient_descent")
    # the simulation's float error (|e_k| computed by repeated multiplication, ~k ulps) can
    # only flip a step where |1 - eta nu|^k is within ~1e-13 of tol; not the case here
    assert (obs.t_mem, obs.t_grok) == (pred.t_mem, pred.t_grok)
    table = compare_with_log(obs, {"spectral": pred})
    assert table["delay_factor"][0] == 1.0 and table["ratio_factor"][0] == 1.0
    # the gradient-flow approximation overestimates: flow / GD = -log(1 - x) / x in (1, 1 + x)
    # for x = eta nu <= 1/2, less up to one step for GD's ceiling; x = 0.1 and 0.002 here
    flow = compare_with_log(obs, {"spectral": {"eigenvalues": [nu_mem, nu_grok],
                                               "learning_rate": eta, "tolerance": tol}})
    for key, x, k in (("t_mem_factor", eta * nu_mem, obs.t_mem),
                      ("t_grok_factor", eta * nu_grok, obs.t_grok)):
        assert 1 - 1 / k < flow[key][0] < 1 + x, key


def test_noisy_run_needs_the_window():
    steps = np.arange(0.0, 200.0)
    train = np.where(steps >= 20, 1.0, 0.0)
    test = np.where(steps >= 150, 1.0, 0.0)
    test[[60, 61]] = 1.0  # a spurious blip
    assert milestones_from_log(steps, train, test).t_grok == 60.0
    m = milestones_from_log(steps, train, test, window=10)
    assert (m.t_mem, m.t_grok, m.delay, m.ratio) == (20.0, 150.0, 130.0, 7.5)
    assert m.log_delay == math.log(130.0)
    assert m.extra["first_crossing_grok"] == 60.0


def test_never_reaching_threshold_is_inf_with_a_note():
    steps = np.arange(10.0)
    m = milestones_from_log(steps, np.ones(10), np.full(10, 0.5))
    assert m.t_mem == 0.0 and math.isinf(m.t_grok) and math.isinf(m.delay)
    assert math.isinf(m.ratio) and math.isinf(m.log_delay)
    assert any("never >= 0.99" in n and "best 0.5" in n for n in m.notes)
    m = milestones_from_log(steps, np.full(10, 0.2), np.ones(10))
    assert math.isinf(m.t_mem) and math.isinf(m.delay)
    assert any("train accuracy does not" in n for n in m.notes)
    # the log ends inside the window
    m = milestones_from_log(steps, np.ones(10), (steps >= 8).astype(float), window=3)
    assert math.isinf(m.t_grok) and any("log ends" in n for n in m.notes)
    # test accuracy first: no delay, log_delay = -inf, said so
    m = milestones_from_log(steps, (steps >= 5).astype(float), (steps >= 3).astype(float))
    assert m.delay == -2.0 and m.log_delay == -math.inf and any("no grokking delay" in n
                                                               for n in m.notes)


def test_nan_policy():
    steps = np.arange(6.0)
    test = np.array([0, 0, np.nan, 1, 1, 1.0])
    with pytest.raises(gd.ParameterError) as exc:
        milestones_from_log(steps, np.ones(6), test)
    assert exc.value.field == "test_accuracy" and "test_accuracy[2]" in str(exc.value)
    m = milestones_from_log(steps, np.ones(6), test, nan="fail", window=1)
    assert m.t_grok == 3.0
    m = milestones_from_log(steps, np.ones(6), np.full(6, np.nan), nan="fail")
    assert math.isinf(m.t_grok) and any("all NaN" in n for n in m.notes)


@pytest.mark.parametrize("change, field", [
    (dict(steps=[0, 2, 1, 3]), "steps"),
    (dict(steps=[0, 1, 1, 3]), "steps"),
    (dict(steps=[0, 1, np.inf, 3]), "steps"),
    (dict(steps=[]), "steps"),
    (dict(steps="abc"), "steps"),
    (dict(train_accuracy=[1, 1, 1]), "train_accuracy"),
    (dict(test_accuracy=[0, 50, 100, 100]), "test_accuracy"),
    (dict(test_accuracy=[[0, 1, 1, 1]]), "test_accuracy"),
    (dict(threshold=1.5), "threshold"),
    (dict(test_threshold=-0.1), "test_threshold"),
    (dict(window=-1), "window"),
    (dict(window="x"), "window"),
    (dict(nan="skip"), "nan"),
    (dict(train_loss=[1, -1, 0, 0]), "train_loss"),
    (dict(norms=[1, 1]), "norms"),
    (dict(train_loss=[1, 1, 0, 0], loss_threshold=-1), "loss_threshold"),
])
def test_bad_logs_raise_naming_the_field(change, field):
    kw = dict(steps=[0, 1, 2, 3], train_accuracy=[0, 1, 1, 1], test_accuracy=[0, 0, 1, 1])
    kw.update(change)
    with pytest.raises(gd.ParameterError) as exc:
        milestones_from_log(**kw)
    assert exc.value.field == field


def test_losses_and_norms():
    steps = np.arange(0.0, 100.0)
    loss = np.exp(-steps / 10)
    norms = 5 * np.exp(-0.01 * steps) + 1
    m = milestones_from_log(steps, (steps >= 10).astype(float), (steps >= 60).astype(float),
                            train_loss=loss, test_loss=loss * 3, loss_threshold=0.01,
                            norms=norms)
    # loss <= 0.01 first at k with exp(-k/10) <= 0.01: k = ceil(10 ln 100) = 47
    assert m.extra["t_mem_loss"] == math.ceil(10 * math.log(100))
    assert m.extra["t_grok_loss"] == math.ceil(10 * math.log(300))
    assert m.extra["norm_mem"] == norms[10] and m.extra["norm_grok"] == norms[60]
    est = estimate_inputs(m, learning_rate=1e-3, weight_decay=2.0)["norm_separation"]
    assert est["norm_mem"] == norms[10] and est["norm_post"] == norms[60]
    assert est["t_mem"] == 10.0 and est["weight_decay"] == 2.0 and est["_notes"]
    # no norms, nothing to estimate
    assert estimate_inputs(milestones_from_log(steps, np.ones(100), np.ones(100))) == {}


def test_gamma_eff_from_norms_by_the_norm_separation_estimator():
    eta, lam = 1e-3, 2.0
    steps = np.arange(0.0, 3000.0)
    norms = 10.0 * (1 - eta * lam) ** steps  # pure decoupled decay
    m = milestones_from_log(steps, (steps >= 100).astype(float), (steps >= 2000).astype(float),
                            norms=norms)
    est = estimate_inputs(m)["norm_separation"]
    assert "gamma_eff" in est, "estimator refused: " + "; ".join(est["_notes"])
    # a pure geometric decay is a straight line in log ||theta||^2: the OLS fit is exact up to
    # rounding of ~2000 logs (~1e-13 relative in the slope)
    assert est["gamma_eff"] == pytest.approx(eta * lam, rel=1e-9)


def test_from_values_and_dict():
    m = Milestones.from_values(200, 14_600)
    assert (m.delay, m.ratio) == (14_400.0, 73.0)
    d = m.to_dict()
    assert d["t_grok"] == 14_600.0 and d["units"] == "steps"
    assert Milestones.from_values(0, 5).ratio == math.inf
    assert Milestones.from_values(10, math.inf).to_dict()["delay"] == "inf"
    with pytest.raises(gd.ParameterError):
        Milestones.from_values(-1, 5)
    with pytest.raises(gd.ParameterError):
        Milestones.from_values(1, float("nan"))
    assert "t_mem" in str(m)


def test_compare_conventions_for_inf_time_units_and_refusals():
    obs = Milestones.from_values(200, 14_600)
    base = gd.predict_delay(gd.SpectralConditioning([73.0, 1.0], learning_rate=0.01))
    never = dataclasses.replace(base, t_grok=math.inf, delay=math.inf, ratio=math.inf,
                                log_delay=math.inf)
    in_time = dataclasses.replace(base, units="time", mechanism="fake_time")
    t = compare_with_log(obs, [base, never, in_time,
                               {"mechanism": "spectral", "eigenvalues": [1.0],
                                "learning_rate": 0.1, "tolerance": 0.1}],
                         method={"spectral": "nope"})
    assert len(t) == 4
    # base: predicted delay (73-1) log(100)/(0.01*73) vs 14400, through log_delay
    expect = (math.log(100) / 0.01) * (1 - 1 / 73) / 14_400
    assert t["delay_factor"][0] == pytest.approx(expect, rel=1e-12)
    assert t["log10_delay_factor"][0] == pytest.approx(math.log10(expect), rel=1e-12)
    assert t["delay_factor"][1] == math.inf and t["t_grok_factor"][1] == math.inf
    assert t["comparable"][2] is False and t["t_mem_factor"][2] is None
    assert t["ratio_factor"][2] == pytest.approx(1.0)  # ratio is unit-free
    assert "time_per_step" in t["notes"][2]
    assert t["comparable"][3] is False and "not applicable" in t["notes"][3]
    # with time_per_step, time converts to steps: t_steps = t_time / eta
    t2 = compare_with_log(obs, [in_time], time_per_step=0.5)
    assert t2["t_mem"][0] == pytest.approx(base.t_mem / 0.5)
    assert t2["delay_factor"][0] == pytest.approx(base.delay / 0.5 / 14_400, rel=1e-12)
    # observation "never groks" vs a finite prediction: factor 0
    t3 = compare_with_log(Milestones.from_values(200, math.inf), [base, never])
    assert t3["t_grok_factor"][0] == 0.0 and t3["t_grok_factor"][1] == 1.0
    with pytest.raises(gd.ParameterError):
        compare_with_log(obs, [gd.predict_delay(gd.SpectralConditioning(
            [1.0, 0.1], learning_rate=np.array([0.1, 0.2])))])
    with pytest.raises(TypeError):
        compare_with_log({"t_mem": 1}, [base])
    with pytest.raises(TypeError):
        compare_with_log(obs, [42])
    with pytest.raises(gd.ParameterError):
        compare_with_log(obs, [base], time_per_step=0)


def test_every_registered_mechanism_against_the_seed000_run():
    obs = Milestones.from_values(200, 14_600)
    refs = {name: (case["params"], case.get("method"))
            for name, case in cf.first_cases().items()}
    t = compare_with_log(obs, {k: p for k, (p, _) in refs.items()},
                         method={k: m for k, (_, m) in refs.items() if m}, time_per_step=1e-3)
    assert len(t) == len(refs)
    for row in t:
        assert row["comparable"] or row["units"] == "time" or "not applicable" in row["notes"]
        for k in ("t_mem_factor", "t_grok_factor", "delay_factor", "ratio_factor"):
            v = row[k]
            assert v is None or (v >= 0 and not math.isnan(v)), (row["mechanism"], k, v)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vals=st.lists(st.floats(0, 1), min_size=1, max_size=30),
       thr=st.lists(st.floats(0, 1), min_size=2, max_size=2),
       win=st.lists(st.floats(0, 20), min_size=2, max_size=2))
def test_sustained_time_is_monotone_in_threshold_and_window(vals, thr, win):
    """Raising the threshold or lengthening the window only shrinks the set of qualifying
    steps, so the sustained time can only move later (or to inf)."""
    steps = np.arange(len(vals), dtype=float)
    lo_t, hi_t = sorted(thr)
    lo_w, hi_w = sorted(win)
    t = lambda a, w: sustained_time(steps, vals, a, window=w)[0]  # noqa: E731
    assert t(lo_t, lo_w) <= t(hi_t, lo_w)
    assert t(lo_t, lo_w) <= t(lo_t, hi_w)
    # losses: the mirror image (a lower threshold is harder)
    s = lambda a, w: sustained_time(steps, vals, a, window=w, above=False)[0]  # noqa: E731
    assert s(hi_t, lo_w) <= s(lo_t, lo_w)

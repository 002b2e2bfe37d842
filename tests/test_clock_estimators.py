"""clock_estimators: windowed stopping times vs a brute-force loop, schedules, ratio."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import grokdelay as gd
from grokdelay import clock_estimators as ce
from grokdelay import deep_linear as dl

HYP = settings(max_examples=60, deadline=None, derandomize=True)


def _brute(times, values, thr, w):
    """F.4's definition, literally: min{t_k : v_j <= thr for all t_j in [t_k, t_k + w]}."""
    for k, tk in enumerate(times):
        if tk + w > times[-1]:
            break
        if all(v <= thr for t, v in zip(times, values) if tk <= t <= tk + w):
            return float(tk)
    return math.inf


@HYP
@given(st.lists(st.floats(0, 2), min_size=1, max_size=40), st.floats(0, 2),
       st.integers(0, 10), st.integers(1, 3))
def test_sustained_time_equals_the_definition(values, thr, w, dt):
    times = np.arange(len(values)) * dt
    assert ce.sustained_time(times, values, thr, w) == _brute(times, values, thr, w)


@HYP
@given(st.lists(st.floats(0, 2), min_size=2, max_size=40), st.floats(0, 2), st.integers(0, 5))
def test_sustained_time_is_monotone(values, thr, w):
    t = np.arange(len(values), dtype=float)
    base = ce.sustained_time(t, values, thr, w)
    assert ce.sustained_time(t, values, thr, w + 3) >= base      # longer window: later
    assert ce.sustained_time(t, values, thr + 0.5, w) <= base    # looser threshold: earlier


def test_noise_spike_is_ignored_only_by_a_window():
    t = np.arange(10.0)
    loss = np.array([1, 0.5, 0.05, 0.3, 0.05, 0.04, 0.03, 0.02, 0.02, 0.01])
    assert ce.classifier_time(t, loss, 0.1) == 2.0
    assert ce.classifier_time(t, loss, 0.1, window=2) == 4.0


def test_accumulated_time_makes_schedules_comparable():
    # Same deep linear network, constant eta = 0.1 vs a schedule 0.05 then 0.2 (same total
    # optimizer time). Read in accumulated time tau (F.4), the classifier clock agrees to the
    # discretization of the two runs (records every 10 steps, so tau resolution 0.5-2);
    # read in raw steps it does not.
    task = dl.make_synthetic_task(seed=0)
    const = dl.train_deep_linear(task, depth=2, learning_rate=0.1, weight_decay=1e-2,
                                 steps=4000, record_every=10)
    sched = np.where(np.arange(4000) < 2000, 0.05, 0.15)
    var = dl.train_deep_linear(task, depth=2, learning_rates=sched, weight_decay=1e-2,
                               steps=4000, record_every=10)
    tau = ce.accumulated_time(sched)
    np.testing.assert_allclose(var.time, tau[var.steps])
    a = ce.classifier_time(const.time, const.loss, 0.05)
    b = ce.classifier_time(var.time, var.loss, 0.05)
    assert b == pytest.approx(a, abs=2.0)
    assert ce.classifier_time(var.steps, var.loss, 0.05) > 1.5 * ce.classifier_time(
        const.steps, const.loss, 0.05)


def test_separation_ratio_conventions():
    np.testing.assert_array_equal(
        ce.separation_ratio([10, 0, 0, 5, math.inf, math.inf], [50, 3, 0, math.inf, 4,
                                                                 math.inf]),
        [5.0, math.inf, 1.0, math.inf, 0.0, 1.0])


def test_min_logit_gap_matches_loop():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((20, 5))
    y = rng.integers(0, 5, 20)
    want = min(z[i, y[i]] - z[i, c] for i in range(20) for c in range(5) if c != y[i])
    assert ce.min_logit_gap(z, y) == pytest.approx(want, rel=1e-15)


def test_bad_inputs_name_the_field():
    with pytest.raises(gd.ParameterError, match="window"):
        ce.sustained_time([0, 1], [1, 1], 0.5, window=-1)
    with pytest.raises(gd.ParameterError, match="times"):
        ce.sustained_time([1, 0], [1, 1], 0.5)
    with pytest.raises(gd.ParameterError, match="loss_target"):
        ce.classifier_time([0, 1], [1, 1], 0.0)
    with pytest.raises(gd.ParameterError, match="learning_rates"):
        ce.accumulated_time([0.1, -1])


def test_vectorized_on_long_series():
    import time

    t = np.arange(1_000_000, dtype=float)
    v = np.exp(-t / 1e5) + 1e-3 * np.sin(t)
    t0 = time.process_time()
    got = ce.sustained_time(t, v, 0.01, window=1000)
    assert time.process_time() - t0 < 1.0
    # exp(-t/1e5) <= 0.01 - 1e-3 up to where in its 2-pi period sin peaks: within ~100 steps
    assert got == pytest.approx(1e5 * math.log(1 / (0.01 - 1e-3)), abs=100)

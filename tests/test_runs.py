"""grokdelay.runs: TrainingRun, its hyperparameters, milestones and right-censoring."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import grokdelay as gd
from grokdelay.runs import TrainingRun, normalize_hyper


def _run(**kw):
    steps = np.arange(0, 1000, 10)
    train = np.where(steps >= 100, 1.0, 0.5)
    test = np.where(steps >= 700, 0.99, 0.1)
    return TrainingRun(steps, train, test, **kw)


def test_milestones_and_until_censoring():
    run = _run(hyper={"lr": 0.01, "weight_decay": 0.1, "optimizer": "sgd"})
    m = run.milestones(threshold=0.95)
    assert (m.t_mem, m.t_grok, m.delay, m.ratio) == (100.0, 700.0, 600.0, 7.0)
    assert not m.extra["censored"] and not m.notes
    early = run.until(650)
    assert early.last_step == 650 and len(early) == 66
    c = early.milestones(threshold=0.95)
    assert c.t_mem == 100.0 and c.t_grok == math.inf and c.delay == math.inf
    assert c.extra["censored"] and c.extra["censored_at"] == 650.0
    assert c.extra["censored_milestones"] == ("t_grok",)
    assert run.until(50).milestones().extra["censored_milestones"] == ("t_mem", "t_grok")
    assert "censored at step 650" in c.notes[0] and "not the theories' 'never groks'" in c.notes[0]
    # a milestone whose persistence window the log cannot complete is censored too
    w = run.until(720).milestones(threshold=0.95, window=50)
    assert w.t_grok == math.inf and "censored at step 720" in w.notes[0]
    assert run.milestones(threshold=0.95, window=50).t_grok == 700.0


def test_train_threshold_defaults_to_threshold():
    run = TrainingRun([0, 1, 2, 3], [0.5, 0.96, 0.99, 1.0], [0.0, 0.5, 0.96, 0.99])
    assert run.milestones(0.95).t_mem == 1.0
    assert run.milestones(0.95, train_threshold=0.99).t_mem == 2.0
    assert run.milestones(0.95, train_threshold=0.99).thresholds == {"train": 0.99,
                                                                     "test": 0.95,
                                                                     "window": 0.0}


def _brute_first_sustained(steps, values, thr, window):
    """The definition, literally (independent of the vectorized estimator)."""
    for i, s in enumerate(steps):
        if steps[-1] < s + window:
            return math.inf
        if all(v >= thr for t, v in zip(steps[i:], values[i:]) if t <= s + window):
            return float(s)
    return math.inf


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_milestones_match_the_definition_and_censoring(data):
    n = data.draw(st.integers(1, 30))
    steps = np.cumsum(data.draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
    acc = st.lists(st.sampled_from([0.0, 0.5, 0.9, 0.95, 1.0]), min_size=n, max_size=n)
    tr, te = np.array(data.draw(acc)), np.array(data.draw(acc))
    w = data.draw(st.sampled_from([0.0, 2.0, 5.0]))
    thr = data.draw(st.sampled_from([0.5, 0.9, 0.95]))
    m = TrainingRun(steps, tr, te).milestones(thr, window=w)
    tm = _brute_first_sustained(steps, tr, thr, w)
    tg = _brute_first_sustained(steps, te, thr, w)
    assert (m.t_mem, m.t_grok) == (tm, tg)
    if math.isfinite(tm) and math.isfinite(tg):
        assert m.delay == tg - tm and not m.extra["censored"]
    else:
        # a finite log never says "never": whatever is missing is censored at its end
        assert m.delay == math.inf and m.extra["censored_at"] == float(steps[-1])
        assert m.extra["censored_milestones"] == tuple(
            k for k, t in (("t_mem", tm), ("t_grok", tg)) if math.isinf(t))
        assert all(f"censored at step {steps[-1]:g}" in note for note in m.notes
                   if note.startswith("no "))


def test_norm_groups_total_is_root_sum_square_unless_logged():
    g1, g2 = np.array([3.0, 6.0]), np.array([4.0, 8.0])
    run = TrainingRun([0, 1], [0.1, 1.0], [0.0, 1.0], norm={"hidden": g1, "embed": g2})
    np.testing.assert_array_equal(run.norm, [5.0, 10.0])
    logged = TrainingRun([0, 1], [0.1, 1.0], [0.0, 1.0],
                         norm={"total": [7.0, 11.0], "hidden": g1})
    np.testing.assert_array_equal(logged.norm, [7.0, 11.0])
    m = logged.milestones(0.95)
    assert (m.extra["norm_mem"], m.extra["norm_grok"]) == (11.0, 11.0)


def test_bad_values_name_the_field():
    with pytest.raises(gd.ParameterError, match="strictly increasing.*duplicate") as e:
        TrainingRun([0, 1, 1], [0, 0, 1], [0, 0, 1])
    assert e.value.field == "steps"
    with pytest.raises(gd.ParameterError, match="percentages") as e:
        TrainingRun([0, 1], [10.0, 99.0], [0.0, 1.0])
    assert e.value.field == "train_acc"
    with pytest.raises(gd.ParameterError, match="has 3 entries but steps has 2") as e:
        TrainingRun([0, 1], [0.0, 1.0], [0.0, 0.5, 1.0])
    assert e.value.field == "test_acc"
    with pytest.raises(gd.ParameterError, match=r"test_acc\[1\] is missing or NaN \(step 1") as e:
        TrainingRun([0, 1], [0.0, 1.0], [0.0, math.nan])
    assert e.value.field == "test_acc"
    with pytest.raises(gd.ParameterError, match="required"):
        TrainingRun([0, 1], [0.0, 1.0], None)
    with pytest.raises(gd.ParameterError) as e:
        _run().milestones(threshold=95)
    assert e.value.field == "threshold"
    with pytest.raises(gd.ParameterError) as e:
        _run().until(-5)
    assert e.value.field == "step"


def test_nan_policies():
    steps, tr, te = [0, 1, 2, 3], [0.0, 1.0, math.nan, 1.0], [0.0, 0.2, 0.99, 0.99]
    dropped = TrainingRun(steps, tr, te, nan="drop")
    assert dropped.steps.tolist() == [0, 1, 3] and "1 record(s)" in dropped.notes[0]
    assert dropped.milestones(0.95).t_grok == 3.0
    failed = TrainingRun(steps, tr, te, nan="fail")
    assert failed.milestones(0.95, window=1).t_mem == math.inf   # NaN breaks the window


def test_percent_is_converted_only_when_declared():
    run = TrainingRun([0, 1], [50.0, 100.0], [10.0, 96.0], percent=True)
    assert run.train_acc.tolist() == [0.5, 1.0] and run.test_acc.tolist() == [0.1, 0.96]


def test_hyper_conventions_at_the_edge():
    h, notes = normalize_hyper({"LR": 1e-3, "wd": 0.5, "optimizer": "Adam", "train_frac": 0.3,
                                "bs": 512.0, "my_key": "kept"})
    assert h == {"learning_rate": 1e-3, "weight_decay": 0.5, "optimizer": "adam_l2",
                 "train_fraction": 0.3, "batch_size": 512, "my_key": "kept"}
    assert any("adam_l2" in n for n in notes)
    assert normalize_hyper({"optimizer": "adam", "weight_decay": 0.0})[0]["optimizer"] == "adam"
    assert normalize_hyper({"optimizer": "AdamW"})[0]["optimizer"] == "adamw"
    # Loshchilov-Hutter per-step decay factor d: weight_decay = d / eta
    assert normalize_hyper({"lr": 0.01, "decay_per_step": 1e-4})[0]["weight_decay"] == \
        pytest.approx(0.01)
    with pytest.raises(gd.ParameterError, match="percent") as e:
        normalize_hyper({"train_fraction": 40})
    assert e.value.field == "train_fraction"
    with pytest.raises(gd.ParameterError, match="both give learning_rate"):
        normalize_hyper({"lr": 0.1, "learning_rate": 0.2})
    with pytest.raises(gd.ParameterError) as e:
        normalize_hyper({"weight_decay": -1})
    assert e.value.field == "weight_decay"
    # idempotent: normalizing twice changes nothing
    once = normalize_hyper({"lr": 0.02, "muon_lr": 0.05, "optimizer": "muon"})[0]
    assert once["learning_rate"] == 0.05 and once["adamw_learning_rate"] == 0.02
    assert normalize_hyper(once)[0] == once


def test_repr_is_short_and_html_too():
    n = 100_000
    steps = np.arange(n)
    run = TrainingRun(steps, np.linspace(0, 1, n), np.linspace(0, 1, n),
                      train_loss=np.ones(n), norm={"a": np.ones(n), "b": np.ones(n)},
                      hyper={"optimizer": "adamw", "lr": 1e-3, "wd": 1.0, "seed": 3},
                      name="big")
    assert len(repr(run)) < 400 and "100000 (steps 0 to 99999)" in repr(run)
    html = run._repr_html_()
    assert len(html) < 1000 and "<table>" in html and "adamw" in html


def test_to_pandas_and_equality():
    pd = pytest.importorskip("pandas")
    run = _run(train_loss=np.linspace(1, 0, 100), norm={"w": np.ones(100) * 2},
               hyper={"optimizer": "adamw"}, extra={"lr": np.full(100, 0.1)})
    df = run.to_pandas()
    assert isinstance(df, pd.DataFrame) and list(df.columns) == [
        "step", "train_acc", "test_acc", "train_loss", "norm", "w_norm", "lr"]
    assert gd.read_run(df) == run
    assert run != _run()
    assert run.until(500) != run


def test_arrays_are_read_only():
    run = _run()
    with pytest.raises(ValueError):
        run.test_acc[0] = 1.0
    with pytest.raises(TypeError):
        run.hyper["x"] = 1

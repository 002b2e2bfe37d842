"""calibrate / Calibration.predict / invert / cross_validate on runs with known constants.

Synthetic runs are drawn from the first-passage law with kappa, V_star and a log-normal seed
noise sigma set here, so what a fit should recover is known; a small subset of the vendored
fu2026 corpus checks the pipeline on real logs (the benchmark scores the whole corpus).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import grokdelay as gd
from grokdelay import calibration as cal_mod

KAPPA, NORM_STAR = 0.4, 25.0


def synthetic_run(lr, wd, norm_mem, *, seed=0, sigma=0.1, t_mem=100, budget=None,
                  kappa=KAPPA, norm_star=NORM_STAR, optimizer="adamw", every=5):
    rng = np.random.default_rng(seed)
    law = math.log(norm_mem ** 2 / norm_star ** 2) / (2 * kappa * lr * wd)
    law = max(law, 50.0)             # below V_star the law has no delay; such runs grok anyway
    delay = law * math.exp(sigma * rng.standard_normal())
    t_grok = t_mem + delay
    end = t_grok + 200 if budget is None else budget
    steps = np.arange(0, end + every, every, dtype=float)
    train = np.where(steps >= t_mem, 1.0, 0.5 * steps / t_mem)
    test = np.where(steps >= t_grok, 0.99, 0.1)
    rate = math.log(norm_mem / norm_star) / delay if delay > 0 else 0.0
    norm = np.where(steps <= t_mem, 20.0 + (norm_mem - 20.0) * steps / t_mem,
                    norm_mem * np.exp(-rate * (steps - t_mem)))
    return gd.TrainingRun(steps, train, test, norm=norm,
                          hyper={"learning_rate": lr, "weight_decay": wd, "optimizer": optimizer,
                                 "seed": seed, "init_scale": 1.0},
                          name=f"lr{lr}_wd{wd}_n{norm_mem}_s{seed}")


def pilots(sigma=0.1):
    # two cells (weight decay 1 and 0.5) x two seeds, norm_mem varying by seed
    return [synthetic_run(1e-3, wd, nm, seed=s, sigma=sigma)
            for wd, nms in ((1.0, (30.0, 40.0)), (0.5, (32.0, 45.0))) for s, nm in enumerate(nms)]


def test_first_passage_recovers_known_constants():
    runs = [synthetic_run(1e-3, wd, nm, seed=i, sigma=0.0)
            for i, (wd, nm) in enumerate([(1.0, 30.0), (0.5, 40.0), (2.0, 50.0), (1.0, 60.0)])]
    cal = gd.calibrate(runs, "first_passage")
    # noise-free delays: the fit is exact up to the log's 5-step grid (delays of ~500-4000
    # steps are read to within 5 steps: <1% in log delay, ~2% in the constants)
    assert cal.constants["kappa"] == pytest.approx(KAPPA, rel=0.03)
    assert cal.constants["norm_star"] == pytest.approx(NORM_STAR, rel=0.03)
    # outside the pilots' learning rate and weight decay: the law's own extrapolation, asked for
    p = cal.predict(synthetic_run(2e-3, 0.3, 35.0, seed=9, sigma=0.0), extrapolate=True)
    law = math.log(35.0 ** 2 / NORM_STAR ** 2) / (2 * KAPPA * 2e-3 * 0.3)
    assert p.delay == pytest.approx(law, rel=0.03)
    assert p.method == "calibrated" and p.mechanism == "first_passage"
    # the prediction's params are the mechanism at the fitted constants: the same number
    assert gd.predict_delay(p.params).delay == pytest.approx(p.delay, rel=1e-9)


def test_prediction_reads_nothing_past_memorization():
    cal = gd.calibrate(pilots(), "first_passage")
    run = synthetic_run(1e-3, 0.7, 38.0, seed=5)
    t_mem = run.milestones(0.95).t_mem
    full, cut = cal.predict(run), cal.predict(run.until(t_mem + 10))
    assert full.delay == cut.delay and full.extra["interval"] == cut.extra["interval"]
    for law in ("two_phase", "power_law"):
        c = gd.calibrate(pilots(), law)
        assert c.predict(run).delay == c.predict(run.until(t_mem + 10)).delay


def test_censored_pilots_are_lower_bounds_not_dropped():
    # one long-delay cell whose logs stop early: dropping it biases kappa upwards (only the
    # fast runs remain); the Tobit term keeps the fit near the truth
    runs = [synthetic_run(1e-3, wd, nm, seed=s, sigma=0.05)
            for s, (wd, nm) in enumerate([(1.0, 30.0), (1.0, 34.0), (0.5, 40.0), (0.5, 44.0)])]
    slow = [synthetic_run(1e-3, 0.1, nm, seed=10 + s, sigma=0.05, budget=4000)
            for s, nm in enumerate((50.0, 60.0, 70.0))]
    assert all(math.isinf(r.milestones(0.95).t_grok) for r in slow)
    cal = gd.calibrate(runs + slow, "first_passage")
    assert cal.n_censored == 3 and cal.n_runs == 7
    test = synthetic_run(1e-3, 0.1, 55.0, seed=20, sigma=0.0)
    truth = test.milestones(0.95).delay
    p = cal.predict(test)
    assert p.extra["interval"][1] > 4000 - 100     # consistent with the bounds
    assert p.delay == pytest.approx(truth, rel=0.5)


def test_interval_covers_at_its_level_and_widens_with_few_pilots():
    # 40 replicate calibrations on 6 pilots with sigma = 0.2: the 0.8 intervals should cover
    # about 80% of fresh draws; a binomial(200, 0.8) lies in [0.72, 0.88] with >99% probability
    hits, widths = [], {}
    for rep in range(40):
        runs = [synthetic_run(1e-3, wd, nm, seed=100 * rep + i, sigma=0.2)
                for i, (wd, nm) in enumerate([(1.0, 30.0), (1.0, 40.0), (0.5, 32.0),
                                              (0.5, 45.0), (2.0, 35.0), (2.0, 50.0)])]
        cal = gd.calibrate(runs, "first_passage")
        for j in range(5):
            r = synthetic_run(1e-3, 0.8, 38.0, seed=100 * rep + 50 + j, sigma=0.2)
            lo, hi = cal.predict(r).extra["interval"]
            hits.append(lo <= r.milestones(0.95).delay <= hi)
    assert 0.72 <= np.mean(hits) <= 0.88
    for n in (4, 8):
        runs = [synthetic_run(1e-3, (1.0, 0.5)[i % 2], 30.0 + 3 * i, seed=i, sigma=0.2)
                for i in range(n)]
        lo, hi = gd.calibrate(runs, "first_passage").predict(
            synthetic_run(1e-3, 0.8, 38.0, seed=99)).extra["interval"]
        widths[n] = math.log(hi / lo)
    assert widths[4] > widths[8]


def test_auto_chooses_by_leave_one_out_and_records_why():
    cal = gd.calibrate(pilots(sigma=0.02))
    assert cal.mechanism == "first_passage"
    assert isinstance(cal.selection["first_passage"], float)
    assert "norm_post" in cal.selection["norm_separation"]
    assert any("auto chose first_passage" in n for n in cal.notes)


def test_premises_fail_with_not_applicable_never_a_number():
    cal = gd.calibrate(pilots(), "first_passage")
    for run, field in ((synthetic_run(1e-3, 1.0, 30.0, optimizer="muon"), "optimizer"),
                       (synthetic_run(1e-3, 1.0, 30.0, optimizer="sgd"), "optimizer"),
                       (synthetic_run(1e-3, 1.0, 20.0), "norm")):
        with pytest.raises(gd.NotApplicable) as info:
            cal.predict(run)
        assert info.value.field == field
    steps = np.arange(0, 100.0, 10)
    no_wd = gd.TrainingRun(steps, np.where(steps > 30, 1.0, 0.1), np.zeros(10),
                           norm=np.full(10, 30.0),
                           hyper={"lr": 1e-3, "wd": 0.0, "optimizer": "adamw"})
    with pytest.raises(gd.NotApplicable, match="weight_decay = 0"):
        cal.predict(no_wd)
    early = synthetic_run(1e-3, 1.0, 30.0).until(50)
    with pytest.raises(gd.NotApplicable, match="has not memorized"):
        gd.calibrate(pilots(), "power_law").predict(early)
    with pytest.raises(gd.NotApplicable, match="weight_decay = 0"):
        gd.calibrate(pilots() + [no_wd], "first_passage")
    assert issubclass(gd.NotApplicable, gd.ParameterError)
    with pytest.raises(gd.ParameterError, match="mix optimizers"):
        gd.calibrate(pilots() + [synthetic_run(1e-3, 1.0, 30.0, optimizer="sgd")])
    with pytest.raises(gd.ParameterError, match="level"):
        gd.calibrate(pilots(), level=1.5)


def test_predict_from_hyperparameters_vectorized():
    cal = gd.calibrate(pilots(), "two_phase")
    hyper = {"learning_rate": 1e-3, "optimizer": "adamw", "init_scale": 1.0}
    p = cal.predict({**hyper, "weight_decay": np.array([0.5, 0.7, 1.0])})
    assert p.delay.shape == (3,) and np.all(np.diff(p.delay) < 0)
    lo, hi = p.extra["interval"]
    assert np.all(lo < p.delay) and np.all(p.delay < hi)
    # one point past the pilots' weight decays refuses the call; asked for, it extrapolates
    wide = {**hyper, "weight_decay": np.array([0.5, 0.7, 1.0, 2.0]), "init_scale": 1.5}
    with pytest.raises(gd.NotApplicable, match="weight_decay = 2, outside the pilots' range "
                       "0.5 to 1; init_scale too"):
        cal.predict(wide)
    q = cal.predict(wide, extrapolate=True)
    assert q.delay.shape == (4,) and np.all(np.diff(q.delay) < 0)
    assert [n.split(":")[0] for n in q.notes if n.startswith("extrapolating")] == \
        ["extrapolating in weight_decay", "extrapolating in init_scale"]
    with pytest.raises(gd.NotApplicable, match="norm"):
        gd.calibrate(pilots(), "first_passage").predict(
            {"learning_rate": 1e-3, "weight_decay": 1.0, "optimizer": "adamw"})


def test_invert_weight_decay_round_trip():
    cal = gd.calibrate(pilots(), "first_passage")
    run = synthetic_run(1e-3, 0.7, 38.0, seed=5)
    targets = np.array([800.0, 1500.0, 3000.0])
    inv = cal.invert(run, by_step=targets)
    t_mem = run.milestones(0.95).t_mem
    for lam, target in zip(inv.value, targets):
        p = cal.predict({"learning_rate": 1e-3, "weight_decay": lam, "optimizer": "adamw",
                         "norm_mem": cal_mod.facts_at_memorization(run, threshold=0.95)[
                             "norm_mem"], "t_mem": t_mem}, extrapolate=True)
        assert p.t_grok == pytest.approx(target, rel=1e-9)
    # the solved weight decays that leave the pilots' 0.5-1 say so
    outside = int(np.sum((inv.value < 0.5) | (inv.value > 1.0)))
    assert outside > 0
    assert any(n.startswith("the solution lies outside the pilots' weight_decay range 0.5 "
                            f"to 1 at {outside} target(s)") for n in inv.notes)
    with pytest.raises(gd.NotApplicable, match="learning_rate = 0.002"):
        cal.invert(synthetic_run(2e-3, 0.7, 38.0, seed=5), by_step=targets)
    lo, hi = inv.interval
    assert np.all(lo < inv.value) and np.all(inv.value < hi)
    assert np.all(np.diff(inv.value) < 0)          # a later deadline needs less decay
    with pytest.raises(gd.ParameterError, match="by_step"):
        cal.invert(run, by_step=50.0)


def test_cross_validate_reports_errors_coverage_and_the_seed_floor():
    runs = [synthetic_run(1e-3, wd, nm, seed=10 * c + s, sigma=0.1)
            for c, (wd, nm) in enumerate([(1.0, 30.0), (0.5, 35.0), (2.0, 40.0), (0.7, 45.0)])
            for s in range(2)]
    runs.append(synthetic_run(1e-3, 1.0, 30.0, optimizer="muon"))
    # leaving a cell out takes weight decays 0.5 and 2 outside the other cells' range: refused
    # by default, scored as the law's extrapolation when asked (the synthetic law holds there)
    inside = gd.cross_validate(runs, "first_passage", groups="cell")
    assert inside.summary["n_predicted"] == 4 and inside.summary["n_refused"] == 5
    assert sum("outside the pilots' range" in r for r in inside.table["reason"]) == 4
    cv = gd.cross_validate(runs, "first_passage", groups="cell", extrapolate=True)
    t, s = cv.table, cv.summary
    assert s["n_predicted"] == 8 and s["n_refused"] == 1
    assert "muon" in t["reason"][t["status"] == "refused"][0].lower()
    assert s["mape"] < 25 and np.isfinite(s["floor_mape"])
    assert set(cv.by("optimizer")) == {"adamw", "muon"}
    assert "MAPE" in str(cv) and "<table" in cv._repr_html_()
    with pytest.raises(gd.ParameterError, match="groups"):
        gd.cross_validate(runs, groups="nope")


def test_plot_predictions(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    runs = [synthetic_run(1e-3, wd, nm, seed=s) for s, (wd, nm) in
            enumerate([(1.0, 30.0), (0.5, 35.0), (2.0, 40.0), (0.7, 45.0), (1.0, 50.0)])]
    ax = gd.cross_validate(runs, "first_passage", groups="run").plot()
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    ax.figure.savefig(tmp_path / "cv.png")


def test_fu2026_adamw_subset():
    runs = [r for r in gd.datasets.fu2026("mech") if r.hyper["optimizer"] == "adamw"
            and r.hyper["weight_decay"] == 1.0]
    pilot = [r for r in runs if r.hyper["seed"] in (0, 1)]
    cal = gd.calibrate(pilot, threshold=0.95, train_threshold=0.99)
    assert cal.mechanism in ("first_passage", "two_phase")
    for r in runs:
        p = cal.predict(r)
        obs = r.milestones(0.95, 0.99)
        lo, hi = p.extra["interval"]
        assert lo < p.delay < hi and 0.3 < p.delay / obs.delay < 3
        # three records (75 steps) past memorization are all a prediction reads
        assert cal.predict(r.until(obs.t_mem + 75)).delay == p.delay
    d = gd.diagnose(gd.datasets.fu2026("mech")[0], train_threshold=0.99)
    assert not d["first_passage"]["applies"]
    assert any("grows after memorization" in w for w in d["first_passage"]["reasons"])


def test_result_reprs_are_concise_and_render_as_html():
    """Issue 17: in a notebook every result type renders as HTML and no repr runs to pages."""
    runs = [r for r in gd.datasets.fu2026() if r.hyper["optimizer"] == "adamw"]
    pilots = [r for r in runs if r.hyper["weight_decay"] == 1.0 and r.hyper["seed"] in (0, 1)]
    diag = gd.diagnose(pilots[0], train_threshold=0.99)
    cal = gd.calibrate(pilots, threshold=0.95, train_threshold=0.99)
    cv = gd.cross_validate(runs, "first_passage", groups="run", threshold=0.95,
                           train_threshold=0.99)
    for obj, head in ((diag, "Diagnosis("), (cal, "Calibration("), (cv, "CrossValidation(")):
        text = repr(obj)
        assert text.startswith(head) and len(text) <= 400, text
        assert "<table" in obj._repr_html_()
    assert "first_passage" in repr(diag) and "kappa=" in repr(cal) and "MAPE" in repr(cv)
    inv = cal.invert(runs[5], by_step=1500)
    assert repr(inv).startswith("Inversion(field='weight_decay'") and len(repr(inv)) <= 400
    assert "grokdelay-repr" in inv._repr_html_()
    e = gd.elasticity(cal.predict(runs[5]), "weight_decay")
    assert "grokdelay-repr" in e._repr_html_() and "a 2x weight_decay" in e._repr_html_()


def test_predict_refuses_what_is_neither_a_run_nor_a_mapping():
    pilots = [r for r in gd.datasets.fu2026() if r.hyper["optimizer"] == "adamw"
              and r.hyper["weight_decay"] == 1.0 and r.hyper["seed"] in (0, 1)]
    cal = gd.calibrate(pilots, threshold=0.95, train_threshold=0.99)
    with pytest.raises(gd.ParameterError, match="TrainingRun or a mapping") as e:
        cal.predict(3.0)
    assert e.value.field == "run"


def test_pilots_from_too_few_cells_say_the_interval_does_not_cover_law_error():
    runs = [r for r in gd.datasets.fu2026() if r.hyper["optimizer"] == "adamw"]
    one_cell = [r for r in runs if r.hyper["weight_decay"] == 1.0 and r.hyper["init_scale"] == 1.0]
    cal = gd.calibrate(one_cell, "first_passage", threshold=0.95, train_threshold=0.99)
    assert any(n.startswith(cal_mod.CELLS_NOTE) for n in cal.notes)
    pred = cal.predict(one_cell[0])
    assert any(n.startswith(cal_mod.CELLS_NOTE) for n in pred.notes)
    # pilots from three cells with a two-constant law: no such note
    three = [r for r in runs if r.hyper["weight_decay"] > 0]
    cal3 = gd.calibrate(three, "first_passage", threshold=0.95, train_threshold=0.99)
    cells = {(r.hyper["weight_decay"], r.hyper["init_scale"]) for r in three
             if math.isfinite(r.milestones(0.95, 0.99).delay)}
    assert (len(cells) > 2) == (not any(n.startswith(cal_mod.CELLS_NOTE) for n in cal3.notes))


def test_cross_validate_on_an_executor_equals_the_serial_run(process_pool, dask_client):
    # issue 16: the held-out groups' calibrations are independent; spread over a process pool
    # or a Dask cluster, the table is the serial one, row for row
    runs = [r for r in gd.datasets.fu2026() if r.hyper["optimizer"] == "adamw"]
    kw = dict(groups="run", threshold=0.95, train_threshold=0.99)
    serial = gd.cross_validate(runs, "first_passage", **kw)
    for ex in (process_pool, dask_client.get_executor()):
        par = gd.cross_validate(runs, "first_passage", executor=ex, **kw)
        for col in ("run", "status", "reason", "covers"):
            assert list(par.table[col]) == list(serial.table[col])
        for col in ("predicted", "lo", "hi", "ape"):
            np.testing.assert_array_equal(par.table[col].astype(float),
                                          serial.table[col].astype(float))
        assert str(par) == str(serial)


def test_predictions_outside_the_pilots_range_are_refused_unless_asked():
    runs = [r for r in gd.datasets.fu2026() if r.hyper["optimizer"] == "adamw"]
    pilots = [r for r in runs if r.hyper["weight_decay"] == 1.0 and r.hyper["seed"] in (0, 1)]
    cal = gd.calibrate(pilots, "first_passage", threshold=0.95, train_threshold=0.99)
    assert cal.ranges["weight_decay"] == (1.0, 1.0)
    assert "tested on: learning_rate 0.001, weight_decay 1" in str(cal)
    assert "tested on" in cal._repr_html_()
    inside = cal.predict(next(r for r in runs if r.hyper["weight_decay"] == 1.0))
    assert not any(n.startswith("extrapolating") for n in inside.notes)
    hyper = {"optimizer": "adamw", "learning_rate": 1e-3, "norm_mem": 60.0, "t_mem": 300.0}
    wd = np.array([1.0, 0.1, 3.0])
    with pytest.raises(gd.NotApplicable, match=r"weight_decay = 0.1, 3, outside the pilots' "
                       r"value 1\..*extrapolate=True") as err:
        cal.predict({**hyper, "weight_decay": wd})
    assert err.value.field == "weight_decay"
    out = cal.predict({**hyper, "weight_decay": wd}, extrapolate=True)
    note = [n for n in out.notes if n.startswith("extrapolating in weight_decay")]
    assert len(note) == 1 and "2 point(s) outside the pilots' value 1;" in note[0]
    # the refusal is about the range only: inside it, the two calls give the same numbers
    same = {**hyper, "weight_decay": 1.0}
    assert cal.predict(same).delay == cal.predict(same, extrapolate=True).delay
    with pytest.raises(gd.ParameterError, match="extrapolate = 'yes' must be True or False"):
        cal.predict(same, extrapolate="yes")
    with pytest.raises(gd.ParameterError, match="extrapolate"):
        gd.cross_validate(runs[:4], "first_passage", extrapolate=1)


def norm_blind_run(lr, wd, norm_mem, seed, every=5):
    """A run whose delay is 5 / (eta lambda) whatever its norm (as on the reference MLP)."""
    t_mem, delay = 100.0, 5.0 / (lr * wd) * math.exp(0.05 * np.random.default_rng(seed)
                                                      .standard_normal())
    steps = np.arange(0, t_mem + delay + 200, every, dtype=float)
    return gd.TrainingRun(steps, np.where(steps >= t_mem, 1.0, 0.5),
                          np.where(steps >= t_mem + delay, 0.99, 0.1),
                          norm=np.where(steps <= t_mem, norm_mem, norm_mem * 0.9),
                          hyper={"learning_rate": lr, "weight_decay": wd, "optimizer": "adamw",
                                 "seed": seed}, name=f"blind{seed}")


def test_pilots_that_contradict_the_gap_law_say_so():
    # delays independent of the norm: the log-ratio law can only fit them by sending V_star
    # to its lower limit, which the calibration and each prediction must say
    runs = [norm_blind_run(lr, 1.0, nm, s) for s, (lr, nm) in
            enumerate([(1e-3, 30.0), (1e-3, 35.0), (3e-3, 60.0), (3e-3, 80.0)])]
    cal = gd.calibrate(runs, "first_passage")
    assert cal.constants["norm_star"] < 30.0 * math.exp(-cal_mod.DEGENERATE_GAP / 2)
    note = [n for n in cal.notes if n.startswith(cal_mod.BOUND_NOTE)]
    assert len(note) == 1 and "barely depends on the norm at memorization" in note[0]
    assert note[0] in cal.predict(runs[0]).notes
    # the power law has no such limit here, and a law that fits gets no such note
    assert not any(n.startswith(cal_mod.BOUND_NOTE) for n in gd.calibrate(runs,
                                                                          "power_law").notes)
    assert not any(n.startswith(cal_mod.BOUND_NOTE) for n in gd.calibrate(
        pilots(), "first_passage").notes)


def test_auto_ranks_a_law_that_contradicts_its_form_last():
    runs = [norm_blind_run(lr, 1.0, nm, s) for s, (lr, nm) in
            enumerate([(1e-3, 30.0), (1e-3, 35.0), (3e-3, 60.0), (3e-3, 80.0),
                       (2e-3, 45.0)])]
    cal = gd.calibrate(runs)
    assert cal.mechanism == "power_law"
    for law in ("first_passage", "two_phase"):
        if isinstance(cal.selection.get(law), str) and "leave-one-out MAPE" in \
                cal.selection[law]:
            assert "ranked last" in cal.selection[law]
    assert any("first_passage" in k and "ranked last" in str(v)
               for k, v in cal.selection.items())


def test_pilots_that_vary_two_hyperparameters_together_test_only_their_line():
    # two cells that differ in learning rate and weight decay at once: a point inside both
    # ranges but off the line through the cells (here the corner lr 1e-3, wd 3) is untested
    runs = [synthetic_run(lr, wd, nm, seed=s) for s, (lr, wd, nm) in
            enumerate([(1e-3, 1.0, 30.0), (1e-3, 1.0, 40.0), (3e-3, 3.0, 32.0),
                       (3e-3, 3.0, 45.0)])]
    cal = gd.calibrate(runs, "power_law")
    c = cal.constants
    assert c["exponent_lr"] == pytest.approx(c["exponent_wd"], abs=1e-9)   # only their sum
    assert any(n.startswith("the pilots vary exponent_lr, exponent_wd only together")
               for n in cal.notes)
    base = {"optimizer": "adamw", "norm_mem": 35.0, "t_mem": 100.0}
    on_line = cal.predict({**base, "learning_rate": 2e-3, "weight_decay": 2.0})
    assert np.isfinite(on_line.delay)
    corner = {**base, "learning_rate": 1e-3, "weight_decay": 3.0}
    with pytest.raises(gd.NotApplicable, match="vary learning_rate and weight_decay only "
                       "together") as err:
        cal.predict(corner)
    assert err.value.field == "learning_rate"
    p = cal.predict(corner, extrapolate=True)
    # the point sits log(3)/sqrt(2) off the line through the pilots: a factor 2.17
    assert any(n.startswith("extrapolating off the pilots' line") and "factor 2.17" in n
               for n in p.notes)
    # invert solves for weight decay: the line check gives way to the solved field's note
    assert np.isfinite(cal.invert({**base, "learning_rate": 1e-3, "weight_decay": 3.0},
                                  by_step=900.0).value)

"""Where pilots tested a calibrated law (grokdelay._pilot_range), as properties.

A point is refused exactly when a hyperparameter leaves the pilots' range or, with pilots that
vary several hyperparameters only together, when it leaves the line through them; both
checks are computed here a second way (plain interval tests and the perpendicular distance
to the line in log space) and compared with the module's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import grokdelay as gd
from grokdelay import _pilot_range as pr

logs = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)


def facts(lr, wd, init=None):
    lr, wd = np.atleast_1d(np.asarray(lr, float)), np.atleast_1d(np.asarray(wd, float))
    nan = np.full(np.broadcast(lr, wd).shape, math.nan)
    return {"learning_rate": lr * (1 + 0 * wd), "weight_decay": wd * (1 + 0 * lr),
            "init_scale": nan if init is None else np.asarray(init, float) + 0 * lr,
            "train_fraction": nan}


@settings(max_examples=200, deadline=None)
@given(a=st.tuples(logs, logs), b=st.tuples(logs, logs), q=st.tuples(logs, logs))
def test_two_cells_test_the_box_and_the_line_through_them(a, b, q):
    lr, wd = np.exp([a[0], a[0], b[0], b[0]]), np.exp([a[1], a[1], b[1], b[1]])
    F = facts(lr, wd)
    ranges = {k: (float(F[k].min()), float(F[k].max())) for k in ("learning_rate",
                                                                 "weight_decay")}
    span = pr.pilot_span(F)
    point = facts(math.exp(q[0]), math.exp(q[1]))
    # a second way: the box by interval tests, the line by the perpendicular distance of the
    # point from the line through the two cells in log space
    tol = 1e-9
    in_box = all(ranges[k][0] * (1 - tol) <= point[k][0] <= ranges[k][1] * (1 + tol)
                 for k in ranges)
    d = np.subtract(b, a)
    # the pilots vary a hyperparameter when it spans more than 10%; varying both from two
    # cells, they span only the line through the cells
    both = bool(np.all(np.abs(d) > math.log(1.1)))
    if both:
        u = d / np.linalg.norm(d)
        r = np.subtract(q, a)
        off_line = abs(r[0] * u[1] - r[1] * u[0]) > pr.SPAN_TOL
    else:
        off_line = False
    assert bool(span) == both
    off = pr._off_span(span, point)
    assert (off is not None) == off_line
    outside = pr.outside(ranges, point)
    assert (not outside) == in_box
    refused = False
    try:
        pr.refuse_extrapolation("law", ranges, point, "p", span=span)
    except gd.NotApplicable:
        refused = True
    assert refused == (not in_box or off_line)
    notes = pr.extrapolation_notes(ranges, point, span=span)
    assert bool(notes) == refused


@settings(max_examples=60, deadline=None)
@given(q=st.tuples(st.one_of(st.just(0.0), st.floats(-2, 2)), st.floats(-2, 2)))
def test_predict_refuses_iff_outside_and_extrapolate_keeps_the_law(q):
    from tests.test_calibration import synthetic_run

    runs = [synthetic_run(lr, wd, nm, seed=s) for s, (lr, wd, nm) in
            enumerate([(1e-3, 0.5, 30.0), (1e-3, 0.5, 40.0), (1e-3, 2.0, 32.0),
                       (1e-3, 2.0, 45.0)])]
    cal = gd.calibrate(runs, "first_passage")
    hyper = {"optimizer": "adamw", "learning_rate": 1e-3 * math.exp(q[0]),
             "weight_decay": 1.0 * math.exp(q[1]), "norm_mem": 60.0, "t_mem": 100.0}
    inside = abs(q[0]) <= 1e-12 and 0.5 * (1 - 1e-9) <= hyper["weight_decay"] <= 2 * (1 + 1e-9)
    far = cal.predict(hyper, extrapolate=True)
    c = far.extra["constants"]
    law = math.log(60.0 ** 2 / c["norm_star"] ** 2) / (
        2 * c["kappa"] * hyper["learning_rate"] * hyper["weight_decay"])
    assert far.delay == pytest.approx(law, rel=1e-9)
    if inside:
        assert cal.predict(hyper).delay == far.delay
    else:
        with pytest.raises(gd.NotApplicable, match="outside the pilots'"):
            cal.predict(hyper)

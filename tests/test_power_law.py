"""power_law: the empirical law's scalings, edges and broadcasting."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import grokdelay as gd

HYP = settings(max_examples=60, deadline=None, derandomize=True)


@HYP
@given(st.floats(1e-4, 1e-1), st.floats(1e-3, 5.0), st.floats(0.05, 1.0),
       st.floats(-2.0, 0.0), st.floats(-2.0, 0.5), st.floats(-3.0, 0.0))
def test_each_exponent_is_the_log_log_slope(eta, lam, r, a, b, c):
    kw = dict(learning_rate=eta, weight_decay=lam, train_fraction=r, constant=2.5,
              exponent_lr=a, exponent_wd=b, exponent_fraction=c)
    d = gd.predict_delay(gd.PowerLaw(**kw)).delay
    assert d == pytest.approx(2.5 * eta ** a * lam ** b * r ** c, rel=1e-12)
    for field, e in (("learning_rate", a), ("weight_decay", b)):
        d2 = gd.predict_delay(gd.PowerLaw(**{**kw, field: 2 * kw[field]})).delay
        assert math.log(d2 / d) / math.log(2) == pytest.approx(e, abs=1e-9)


def test_zero_weight_decay_by_sign_of_the_exponent():
    p = gd.predict_delay(gd.PowerLaw(learning_rate=1e-3, weight_decay=0.0,
                                     exponent_wd=np.array([-0.5, 0.0, 0.5])))
    assert np.isinf(p.delay[0]) and p.delay[1] == pytest.approx(1e3) and p.delay[2] == 0.0
    assert sum("weight_decay = 0" in n for n in p.notes) == 3

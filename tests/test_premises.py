"""diagnose: premises per mechanism, in words, with the measured contraction."""

from __future__ import annotations

import math

import numpy as np
import pytest

import grokdelay as gd
from grokdelay.premises import contraction_rate


def run_with(norm_after, *, wd=1.0, optimizer="adamw"):
    steps = np.arange(0, 1000.0, 10)
    t_mem, t_grok = 100.0, 600.0
    norm = np.where(steps <= t_mem, 30.0, norm_after(steps - t_mem))
    return gd.TrainingRun(steps, np.where(steps >= t_mem, 1.0, 0.2),
                          np.where(steps >= t_grok, 1.0, 0.1), norm=norm,
                          hyper={"lr": 1e-3, "wd": wd, "optimizer": optimizer}, name="r")


def test_contraction_rate_is_the_log_slope_of_v():
    s = np.arange(0, 500.0, 5)
    assert contraction_rate(s, 30 * np.exp(-3e-4 * s), 0, 500) == pytest.approx(6e-4, rel=1e-9)
    assert math.isnan(contraction_rate(s, 30 * np.ones_like(s), 600, 700))


def test_contracting_run_measures_rate_against_two_eta_lambda():
    d = gd.diagnose(run_with(lambda t: 30 * np.exp(-4e-4 * t)))
    assert d.measured["rate_over_2_eta_lambda"] == pytest.approx(0.4, rel=1e-6)
    assert {"first_passage", "two_phase", "power_law"} <= set(d.applicable)
    assert not d["norm_separation"]["applies"]           # needs norm_post
    assert not d["kramers"]["applies"] and "idealized" in d["kramers"]["reasons"][0]
    html = d._repr_html_()
    assert "first_passage" in html and "<table" in html
    assert len(d.to_table()) == len(gd.mechanisms())


def test_growing_norm_fails_the_contraction_premise_only_for_contraction_laws():
    d = gd.diagnose(run_with(lambda t: 30 * np.exp(+2e-4 * t)))
    assert not d["first_passage"]["applies"]
    assert "grows after memorization" in d["first_passage"]["reasons"][0]
    assert d["power_law"]["applies"]                      # empirical: no contraction premise


def test_cut_at_memorization_cannot_see_the_contraction():
    run = run_with(lambda t: 30 * np.exp(+2e-4 * t))
    d = gd.diagnose(run.until(110))
    assert d["first_passage"]["applies"]
    assert any("not yet measurable" in w for w in d["first_passage"]["reasons"])


@pytest.mark.parametrize("optimizer,wd,word", [("muon", 1.0, "Muon"), ("adamw", 0.0,
                                                                     "weight_decay = 0"),
                                               ("adam_l2", 1.0, "sqrt(v_hat)")])
def test_optimizer_and_weight_decay_premises(optimizer, wd, word):
    d = gd.diagnose(run_with(lambda t: 30 * np.exp(-4e-4 * t), wd=wd, optimizer=optimizer))
    assert not d["first_passage"]["applies"]
    assert any(word in w for w in d["first_passage"]["reasons"])
    assert "first_passage" in str(d)

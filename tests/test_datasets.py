"""grokdelay.datasets: the vendored fu2026 corpus reads in full and reproduces its authors'
milestones exactly."""

from __future__ import annotations

import math
from importlib import resources

import numpy as np
import pytest

import grokdelay as gd
from grokdelay.datasets import FU2026_ATTRIBUTION, fu2026


@pytest.fixture(scope="module")
def corpus():
    return fu2026()


def test_all_seventy_runs_load_with_their_studies(corpus):
    assert len(corpus) == 70
    assert len(fu2026("mech")) == 30 and len(fu2026("add_normctl")) == 40
    assert len({r.name for r in corpus}) == 70
    assert all(isinstance(r, gd.TrainingRun) for r in corpus)
    with pytest.raises(gd.ParameterError, match="study"):
        fu2026("nope")


def test_authors_milestones_reproduced_exactly(corpus):
    """memorize_step = first record with train accuracy >= 0.99, grok_step = first with test
    accuracy >= 0.95 (the _meta's memorize_thresh / grok_thresh); null = censored."""
    n_censored = 0
    for run in corpus:
        s = run.summary
        assert run.meta["memorize_thresh"] == 0.99 and run.meta["grok_thresh"] == 0.95
        m = run.milestones(threshold=run.meta["grok_thresh"],
                           train_threshold=run.meta["memorize_thresh"])
        assert m.t_mem == s["memorize_step"], run.name
        if s["grok_step"] is None:
            n_censored += 1
            assert m.t_grok == math.inf and m.delay == math.inf
            assert m.extra["censored"] and m.extra["censored_at"] == run.last_step
            assert any(f"censored at step {run.last_step:g}" in n for n in m.notes)
        else:
            assert m.t_grok == s["grok_step"], run.name
            assert not m.extra["censored"] and m.extra["censored_at"] is None
            # the authors' delay_ratio is grok_step / memorize_step
            assert m.ratio == pytest.approx(s["delay_ratio"], rel=1e-15)
        assert run.last_step == s["stopped_step"]
    assert n_censored == 3   # the three AdamW runs at init scale 3, weight decay 0.01


def test_summary_is_not_data(corpus):
    run = corpus[0]
    # the _summary line is kept, but no record comes from it (its keys are not columns)
    assert "final_test_acc" in run.summary and "final_test_acc" not in run.extra
    assert len(run) == len(run.steps) == 171
    assert run.until(1000).summary is None   # written after the run: not visible early


def test_hyper_under_library_names(corpus):
    by = {r.name: r for r in corpus}
    a = by["mech/adamw_sc1.0_wd1.0_s0"].hyper
    assert (a["optimizer"], a["learning_rate"], a["weight_decay"], a["init_scale"],
            a["train_fraction"], a["seed"]) == ("adamw", 0.001, 1.0, 1.0, 0.4, 0)
    assert "adamw_learning_rate" not in a and "norm_ceiling" not in a
    m = by["mech/muon_sc3.0_wd0.01_s1"].hyper
    # Muon: learning_rate is muon_lr (the hidden matrices); lr, AdamW's for the rest, kept too
    assert (m["optimizer"], m["learning_rate"], m["adamw_learning_rate"]) == ("muon", 0.02,
                                                                             0.001)
    assert (m["init_scale"], m["weight_decay"], m["seed"]) == (3.0, 0.01, 1)
    s = by["mech/sgdm_sc1.0_wd0.0_s2"].hyper
    assert (s["optimizer"], s["momentum"], s["learning_rate"]) == ("sgd", 0.95, 0.02)
    ks = {r.name.split("/")[1].split("_")[0]: r.hyper["norm_ceiling"]
          for r in fu2026("add_normctl")}
    assert ks == {"k1": 1.0, "k1p5": 1.5, "k2": 2.0, "k3": 3.0, "kinf": math.inf}
    for r in corpus:
        assert r.hyper["train_fraction"] == r.meta["train_frac"]
        assert r.hyper["weight_decay"] == r.meta["weight_decay"]


def test_norms_total_as_logged_and_groups(corpus):
    run = corpus[0]
    assert set(run.norm_groups) == {"hidden", "embed"}
    # wn_total is logged, so it is the total (hidden and embed do not partition the model)
    assert run.norm[0] == 28.41002168837263
    assert np.all(run.norm > np.hypot(run.norm_groups["hidden"], run.norm_groups["embed"]))


def test_raw_files_read_by_read_run_agree(tmp_path, corpus):
    """The generic JSONL reader on an extracted file gives the same series (hyper differs:
    the generic reader only renames what the _meta line says)."""
    import tarfile

    path = resources.files("grokdelay.datasets").joinpath("data", "fu2026.tar.gz")
    with tarfile.open(str(path)) as tar:
        member = tar.getmember("mech/muon_sc1.0_wd0.0_s0.jsonl")
        (tmp_path / "m.jsonl").write_bytes(tar.extractfile(member).read())
    run = gd.read_run(tmp_path / "m.jsonl")
    ref = {r.name: r for r in corpus}["mech/muon_sc1.0_wd0.0_s0"]
    np.testing.assert_array_equal(run.test_acc, ref.test_acc)
    np.testing.assert_array_equal(run.norm, ref.norm)
    assert run.hyper["learning_rate"] == 0.02 and run.hyper["adamw_learning_rate"] == 0.001
    assert run.summary == ref.summary


def test_attribution_and_license_ship_beside_the_data():
    data = resources.files("grokdelay.datasets").joinpath("data")
    readme = data.joinpath("fu2026-README.md").read_text(encoding="utf-8")
    lic = data.joinpath("fu2026-LICENSE-CC-BY-4.0.txt").read_text(encoding="utf-8")
    assert "Zeyu Fu" in readme and "10.5281/zenodo.21020292" in readme and "CC BY 4.0" in readme
    assert "Attribution 4.0 International" in lic and "Section 3" in lic
    assert "CC BY 4.0" in FU2026_ATTRIBUTION

"""grokdelay.recorder: live JSONL, norms from duck-typed tensors, reopen/append, crashes."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest

import grokdelay as gd
from grokdelay.recorder import RunRecorder, parameter_norms


class FakeTensor:
    """Duck-typed like a torch tensor on a device: .detach() -> .cpu() -> __array__."""

    def __init__(self, a):
        self.a = np.asarray(a, dtype=np.float32)
        self.calls = []

    def detach(self):
        self.calls.append("detach")
        return self

    def cpu(self):
        self.calls.append("cpu")
        return self

    def __array__(self, dtype=None, copy=None):
        return self.a if dtype is None else self.a.astype(dtype)


class FakeModule:
    def __init__(self, named):
        self.named = named

    def named_parameters(self):
        return iter(self.named.items())


def _log(rec, steps, tr, te, **kw):
    for s, a, b in zip(steps, tr, te):
        rec.log(s, train_acc=a, test_acc=b, **kw)


def test_each_record_is_one_flushed_line(tmp_path):
    path = tmp_path / "live.jsonl"
    rec = RunRecorder(path, hyper={"lr": 0.01, "optimizer": "adamw", "wd": 0.5})
    lines = path.read_text().splitlines()
    assert json.loads(lines[0]) == {"_meta": {"learning_rate": 0.01, "optimizer": "adamw",
                                              "weight_decay": 0.5}}
    rec.log(0, train_acc=0.1, test_acc=0.0, train_loss=2.3)
    rec.log(10, train_acc=1.0, test_acc=0.3, train_loss=0.1)
    # readable while the recorder is still open: nothing is buffered
    assert len(path.read_text().splitlines()) == 3
    live = gd.read_run(path)
    assert live == rec.run and live.hyper["weight_decay"] == 0.5
    m = rec.milestones(0.95)
    assert m.t_mem == 10.0 and m.t_grok == math.inf and "censored at step 10" in m.notes[0]
    rec.close()


def test_reopening_appends_and_checks_the_run(tmp_path):
    path = tmp_path / "r.jsonl"
    with RunRecorder(path, hyper={"lr": 0.01}) as rec:
        _log(rec, [0, 10], [0.1, 1.0], [0.0, 0.5])
    with RunRecorder(path) as rec:          # hyper comes from the file
        assert len(rec) == 2 and rec.hyper == {"learning_rate": 0.01}
        with pytest.raises(gd.ParameterError, match="does not follow") as e:
            rec.log(10, train_acc=1.0, test_acc=0.9)
        assert e.value.field == "step"
        rec.log(20, train_acc=1.0, test_acc=0.99)
    run = gd.read_run(path)
    assert run.steps.tolist() == [0, 10, 20] and run.milestones(0.95).t_grok == 20.0
    with pytest.raises(gd.ParameterError, match="other hyperparameters.*learning_rate") as e:
        RunRecorder(path, hyper={"lr": 0.02})
    assert e.value.field == "hyper"
    with RunRecorder(path, hyper={"learning_rate": 0.01}) as rec:
        rec.close(summary={"finished": True})
    with pytest.raises(gd.ParameterError, match="finished log"):
        RunRecorder(path)
    assert gd.read_run(path).summary == {"finished": True}


def test_a_crash_loses_at_most_the_last_line(tmp_path):
    path = tmp_path / "crash.jsonl"
    rec = RunRecorder(path, hyper={"lr": 0.1})
    _log(rec, [0, 1, 2], [0.1, 0.5, 1.0], [0.0, 0.1, 0.2])
    rec._fh.write('{"step": 3, "train_ac')     # killed in the middle of a line
    rec._fh.flush()
    crashed = gd.read_run(path)
    assert crashed.steps.tolist() == [0, 1, 2] and "interrupted write" in crashed.notes[0]
    with pytest.warns(gd.GrokdelayWarning, match="incomplete last line"):
        again = RunRecorder(path)
    again.log(3, train_acc=1.0, test_acc=0.96)
    again.close()
    assert gd.read_run(path).steps.tolist() == [0, 1, 2, 3]


def test_norms_from_arrays_tensors_and_modules():
    t = FakeTensor([[3.0, 0.0], [0.0, 4.0]])
    total, groups = parameter_norms({"enc.0.weight": t, "enc.0.bias": np.array([0.0]),
                                     "head.weight": [12.0]})
    assert t.calls == ["detach", "cpu"]
    assert total == 13.0 and groups == {"enc_0": 5.0, "head": 12.0}
    total_m, groups_m = parameter_norms(FakeModule({"w": FakeTensor([1.0, 2.0, 2.0])}))
    assert (total_m, groups_m) == (3.0, {"w": 3.0})
    # the total is the root-sum-square of the groups, whatever the grouping
    rng = np.random.default_rng(0)
    ps = {f"l{i}.w": rng.standard_normal((3, 4)) for i in range(5)}
    tot, by = parameter_norms(ps, groups="name")
    assert tot == pytest.approx(np.sqrt(sum(np.sum(p ** 2) for p in ps.values())), rel=1e-15)
    assert tot == pytest.approx(math.hypot(*by.values()), rel=1e-15)
    assert parameter_norms([np.ones(4)], groups=None) == (2.0, {})


def test_torch_is_never_imported(tmp_path):
    before = "torch" in sys.modules
    rec = RunRecorder(tmp_path / "t.jsonl", groups="name")
    rec.log(0, train_acc=FakeTensor(0.5), test_acc=np.float32(0.25),
            params={"w1": FakeTensor(np.ones((2, 2))), "w2": FakeTensor([0.0])})
    assert ("torch" in sys.modules) == before
    run = rec.run
    assert run.train_acc[0] == 0.5 and run.norm[0] == 2.0
    assert {k: v.tolist() for k, v in run.norm_groups.items()} == {"w1": [2.0], "w2": [0.0]}
    rec.close()


def test_bad_values_name_the_field(tmp_path):
    rec = RunRecorder(None)
    with pytest.raises(gd.ParameterError, match="percent") as e:
        rec.log(0, train_acc=95.0, test_acc=0.1)
    assert e.value.field == "train_acc"
    with pytest.raises(gd.ParameterError) as e:
        rec.log(-1, train_acc=0.5, test_acc=0.1)
    assert e.value.field == "step"
    with pytest.raises(gd.ParameterError, match="no records"):
        rec.run
    with pytest.raises(gd.ParameterError, match="not both"):
        rec.log(0, train_acc=0.5, test_acc=0.1, params=[np.ones(2)], norm=1.0)


def test_predict_delegates_to_the_calibration():
    class Calibration:
        def predict(self, run):
            return ("prediction at", run.last_step, len(run))

    rec = RunRecorder(None)
    _log(rec, [0, 50, 100], [0.2, 1.0, 1.0], [0.0, 0.1, 0.2])
    assert rec.predict(Calibration()) == ("prediction at", 100.0, 3)
    with pytest.raises(gd.ParameterError, match="predict"):
        rec.predict(object())

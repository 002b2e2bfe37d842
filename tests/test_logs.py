"""grokdelay.logs: every supported format reads back to the same TrainingRun; every bad log
raises a ParameterError naming its column."""

from __future__ import annotations

import csv
import gzip
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import grokdelay as gd
from grokdelay import trainer


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A reference run that groks, recorded live to JSONL (the recorder is the source)."""
    path = tmp_path_factory.mktemp("rec") / "quick.jsonl"
    run = trainer.train(trainer.QUICK, path=path)
    return path, run


def _cell(x):
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else repr(float(x))


def _write_csv(path, run):
    cols = run.columns()
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(list(cols))
        for i in range(len(run)):
            w.writerow([_cell(c[i]) for c in cols.values()])


def _write_lightning(folder, run):
    """A CSVLogger metrics.csv: training metrics and validation metrics in separate rows of
    one step (empty cells elsewhere), plus the hparams.yaml Lightning writes beside it."""
    folder.mkdir(parents=True)
    header = ["epoch", "step", "train_acc", "train_loss", "param_norm"] + [
        f"wn_{g}" for g in run.norm_groups] + ["val_acc", "val_loss"]
    with open(folder / "metrics.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i, s in enumerate(run.steps):
            train = {"epoch": int(s), "step": int(s), "train_acc": run.train_acc[i],
                     "train_loss": run.train_loss[i], "param_norm": run.norm[i],
                     **{f"wn_{g}": v[i] for g, v in run.norm_groups.items()}}
            val = {"epoch": int(s), "step": int(s), "val_acc": run.test_acc[i],
                   "val_loss": run.test_loss[i]}
            for row in (train, val):
                w.writerow(["" if k not in row else (str(row[k]) if k in ("epoch", "step")
                                                     else _cell(row[k])) for k in header])
    with open(folder / "hparams.yaml", "w") as fh:
        for k, v in run.hyper.items():
            fh.write(f"{k}: {'null' if v is None else str(v).lower() if isinstance(v, bool) else v}\n")


def test_done_when_every_format_reads_back_to_the_same_run(recorded, tmp_path):
    path, run = recorded
    pd = pytest.importorskip("pandas")
    _write_csv(tmp_path / "run.csv", run)
    _write_lightning(tmp_path / "lightning" / "version_0", run)
    reads = {
        "recorder": run,
        "jsonl": gd.read_run(path),
        "csv": gd.read_run(tmp_path / "run.csv", hyper=dict(run.hyper)),
        "lightning": gd.read_run(tmp_path / "lightning" / "version_0" / "metrics.csv"),
        "lightning folder": gd.read_run(tmp_path / "lightning" / "version_0"),
        "dataframe": gd.read_run(run.to_pandas()),
        "mapping": gd.read_run({**run.columns(), "hyper": dict(run.hyper)}),
    }
    assert isinstance(run.to_pandas(), pd.DataFrame)
    ref = run.milestones(threshold=0.95, train_threshold=0.99, window=50)
    assert math.isfinite(ref.t_grok) and ref.t_grok > ref.t_mem   # it does grok, later
    for fmt, r in reads.items():
        assert r == run, fmt
        for kw in ({"threshold": 0.95, "train_threshold": 0.99, "window": 50},
                   {"threshold": 0.5}, {"threshold": 0.999, "window": 100}):
            a, b = r.milestones(**kw), run.milestones(**kw)
            assert (a.t_mem, a.t_grok, a.delay, a.ratio, a.notes) == (
                b.t_mem, b.t_grok, b.delay, b.ratio, b.notes), (fmt, kw)


def test_a_dataframe_of_a_lightning_csv_is_merged_too(recorded, tmp_path):
    pd = pytest.importorskip("pandas")
    _, run = recorded
    _write_lightning(tmp_path / "v0", run)
    df = pd.read_csv(tmp_path / "v0" / "metrics.csv")     # NaN where a row lacks a metric
    assert df["step"].duplicated().any()
    assert gd.read_run(df, hyper=dict(run.hyper)) == run


def test_jsonl_gz_json_and_read_runs(recorded, tmp_path):
    path, run = recorded
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(path.read_bytes()))
    assert gd.read_run(tmp_path / "a.jsonl.gz") == run
    records = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    (tmp_path / "b.json").write_text(json.dumps({"meta": dict(run.hyper), "records": records}))
    assert gd.read_run(tmp_path / "b.json") == run
    (tmp_path / "c.json").write_text(json.dumps(records))
    assert gd.read_run(tmp_path / "c.json", hyper=dict(run.hyper)) == run
    both = gd.read_runs(tmp_path)
    assert [r.name for r in both] == ["a", "b", "c"]
    assert gd.read_runs(str(tmp_path / "*.json")) == both[1:]
    assert gd.read_runs([tmp_path / "b.json"])[0] == run
    with pytest.raises(gd.ParameterError, match="no training logs") as e:
        gd.read_runs(str(tmp_path / "*.nothing"))
    assert e.value.field == "source"


def test_wandb_history_and_chart_exports(recorded, tmp_path):
    _, run = recorded
    with open(tmp_path / "history.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["_step", "_runtime", "_timestamp", "train/acc", "valid/acc", "train/loss",
                    "val/loss"])
        for i, s in enumerate(run.steps):
            w.writerow([int(s), 0.1 * i, 1.7e9 + i, _cell(run.train_acc[i]),
                        _cell(run.test_acc[i]), _cell(run.train_loss[i]),
                        _cell(run.test_loss[i])])
    h = gd.read_run(tmp_path / "history.csv")
    np.testing.assert_array_equal(h.test_acc, run.test_acc)
    np.testing.assert_array_equal(h.train_loss, run.train_loss)
    assert set(h.extra) == {"_runtime", "_timestamp"}
    with open(tmp_path / "chart.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Step", "quick-run - val_acc", "quick-run - val_acc__MIN",
                    "quick-run - val_acc__MAX", "quick-run - train_acc"])
        for i, s in enumerate(run.steps):
            a = _cell(run.test_acc[i])
            w.writerow([int(s), a, a, a, _cell(run.train_acc[i])])
    c = gd.read_run(tmp_path / "chart.csv")
    assert c.milestones(0.95).t_grok == run.milestones(0.95).t_grok and not c.extra


def test_tensorboard_event_files(recorded, tmp_path):
    pytest.importorskip("tbparse")   # the 'tensorboard' extra; in the test extra
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    _, run = recorded
    writer = EventFileWriter(str(tmp_path))
    for i, s in enumerate(run.steps):   # PyTorch's SummaryWriter: one event per scalar
        for tag, v in (("train/acc", run.train_acc[i]), ("val/acc", run.test_acc[i]),
                       ("param_norm", run.norm[i])):
            val = summary_pb2.Summary.Value(tag=tag, simple_value=float(v))
            writer.add_event(event_pb2.Event(step=int(s), wall_time=1.0,
                                             summary=summary_pb2.Summary(value=[val])))
    writer.close()
    tb = gd.read_run(tmp_path)
    # event files hold float32: the accuracies agree to float32 rounding (2^-24 relative)
    np.testing.assert_allclose(tb.test_acc, run.test_acc, rtol=2 ** -24)
    np.testing.assert_array_equal(tb.steps, run.steps)
    m, ref = tb.milestones(0.95, 0.99), run.milestones(0.95, 0.99)
    assert (m.t_mem, m.t_grok) == (ref.t_mem, ref.t_grok)


def test_tensorboard_keras_layout_counts_epochs(tmp_path):
    """Keras writes logs/train and logs/validation with the same tags, one step per epoch."""
    pytest.importorskip("tbparse")
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    for sub, values in (("train", [0.5, 1.0, 1.0]), ("validation", [0.125, 0.5, 1.0])):
        (tmp_path / sub).mkdir()
        writer = EventFileWriter(str(tmp_path / sub))
        for epoch, v in enumerate(values):
            val = summary_pb2.Summary.Value(tag="epoch_accuracy", simple_value=v)
            writer.add_event(event_pb2.Event(step=epoch, wall_time=1.0,
                                             summary=summary_pb2.Summary(value=[val])))
        writer.close()
    run = gd.read_run(tmp_path, columns={"epoch": "step"}, hyper={"steps_per_epoch": 10})
    assert run.steps.tolist() == [0, 10, 20] and run.test_acc.tolist() == [0.125, 0.5, 1.0]
    assert run.milestones(0.95).t_mem == 10.0 and run.milestones(0.95).t_grok == 20.0


def test_tensorboard_without_the_extra_names_it(monkeypatch, tmp_path):
    import builtins

    (tmp_path / "events.out.tfevents.1.host").write_bytes(b"")
    real = builtins.__import__

    def no_tbparse(name, *a, **k):
        if name == "tbparse":
            raise ImportError("no tbparse")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_tbparse)
    with pytest.raises(gd.ParameterError, match=r"grokdelay\[tensorboard\]"):
        gd.read_run(tmp_path)


def test_aliases_columns_and_norm_groups():
    base = {"iteration": [0, 5, 10], "acc/held_out": [0.0, 0.5, 1.0],
            "training_accuracy": [0.5, 1.0, 1.0]}
    with pytest.raises(gd.ParameterError, match="no test_acc column") as e:
        gd.read_run(base)
    assert e.value.field == "test_acc"
    a = gd.read_run(base, columns={"test_acc": "acc/held_out"})
    b = gd.read_run(base, columns={"acc/held_out": "test_acc"})   # either direction
    assert a == b and a.milestones(0.9).t_grok == 10.0
    groups = gd.read_run({"step": [0, 1], "train_acc": [0, 1], "test_acc": [0, 1],
                          "wn_embed": [3.0, 6.0], "mlp_norm": [4.0, 8.0],
                          "grad_norm": [9.0, 9.0], "head_parameter_norm": [0.0, 0.0]})
    assert set(groups.norm_groups) == {"embed", "mlp", "head"}
    np.testing.assert_array_equal(groups.norm, [5.0, 10.0])   # root-sum-square
    assert "grad_norm" in groups.extra                      # a gradient norm is not a group
    logged = gd.read_run({"step": [0, 1], "train_acc": [0, 1], "test_acc": [0, 1],
                          "wn_total": [7.0, 7.5], "wn_embed": [3.0, 6.0]})
    np.testing.assert_array_equal(logged.norm, [7.0, 7.5])
    # Lightning's on_step/on_epoch suffixes, when only one is logged
    lit = gd.read_run({"step": [0, 1], "train_acc_step": [0.2, 1], "val_acc_epoch": [0, 1]})
    assert lit.test_acc.tolist() == [0.0, 1.0]
    hyp = gd.read_run({"step": [0, 1], "train_acc": [0, 1], "test_acc": [0, 1],
                       "_meta": {"lr": 0.1, "wd": 0.5, "optimizer": "SGD"}},
                      hyper={"weight_decay": 0.25})
    assert dict(hyp.hyper) == {"learning_rate": 0.1, "weight_decay": 0.25, "optimizer": "sgd"}


def test_epochs_convert_to_steps_only_when_told():
    log = {"epoch": [0, 1, 2], "train_acc": [0.1, 1, 1], "test_acc": [0, 0.2, 1]}
    with pytest.raises(gd.ParameterError, match="steps_per_epoch") as e:
        gd.read_run(log)
    assert e.value.field == "epoch"
    run = gd.read_run(log, hyper={"steps_per_epoch": 40})
    assert run.steps.tolist() == [0, 40, 80] and "epochs" in run.notes[0]
    assert gd.read_run(log, hyper={"full_batch": True}).steps.tolist() == [0, 1, 2]
    # a DataLoader over 1,000 examples in batches of 64: 16 batches per epoch (15 dropping
    # the last partial batch)
    assert gd.read_run(log, hyper={"n_train": 1000, "bs": 64}).steps.tolist() == [0, 16, 32]
    assert gd.read_run(log, hyper={"n_train": 1000, "batch_size": 64, "drop_last": True}
                       ).steps.tolist() == [0, 15, 30]


def _csv(tmp_path, text, name="log.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("text, column, match", [
    ("step,train_acc,val_acc\n0,0.1,0.0\n20,0.9,0.1\n10,1.0,0.2\n", "step", "decreases"),
    ("step,train_acc,val_acc\n0,0.1,0.0\n10,0.9,0.1\n10,0.9,0.3\n", "val_acc",
     "duplicate step 10 with two values"),
    ("step,train_acc,val_acc\n0,10,0\n10,99.5,50\n", "train_acc", "percentages"),
    ("step,train_acc,val_loss\n0,0.1,3.0\n10,0.9,2.0\n", "test_acc", "no test_acc column"),
    ("step,train_acc,val_acc\n0,0.1,0.0\n10,0.9,\n20,1.0,0.9\n", "val_acc",
     "missing or NaN \\(step 10.*nan=.drop."),
    ("step,train_acc,val_acc\n0,0.1,0.0\n10,0.9,nan\n", "val_acc", "NaN"),
    ("step,train_acc,val_acc\n0,0.1,0.0\n10,0.9,high\n", "val_acc", "'high', not a number"),
    ("step,train_acc,val_acc,test_acc\n0,0.1,0.0,0.0\n", "val_acc", "could each be test_acc"),
    ("step,train_acc,val_acc\n0,0.1,0.0\n,0.9,0.5\n", "step", "no step"),
])
def test_bad_csv_logs_name_the_column(tmp_path, text, column, match):
    with pytest.raises(gd.ParameterError, match=match) as e:
        gd.read_run(_csv(tmp_path, text))
    assert e.value.field == column


def test_bad_mappings_name_the_column():
    with pytest.raises(gd.ParameterError, match="has 2 entries") as e:
        gd.read_run({"step": [0, 1, 2], "train_acc": [0, 1, 1], "val_acc": [0, 1]})
    assert e.value.field == "val_acc"
    # no merging for arrays: a repeated step is a duplicate, named by its column
    with pytest.raises(gd.ParameterError, match="duplicate steps") as e:
        gd.read_run({"global_step": [0, 1, 1], "train_acc": [0, 1, 1], "val_acc": [0, 1, 1]})
    assert e.value.field == "global_step"
    with pytest.raises(gd.ParameterError, match=r"val_acc \(column 'val_acc'\)|test_acc") as e:
        gd.read_run({"step": [0, 1], "train_acc": [0, 1], "val_acc": [0, 1.5]})
    assert e.value.field == "val_acc"


def test_nan_policy_drop_for_sparse_evaluation(tmp_path):
    p = _csv(tmp_path, "step,train_acc,val_acc\n0,0.1,0.0\n5,0.5,\n10,1.0,0.2\n15,1.0,\n"
                       "20,1.0,0.97\n")
    run = gd.read_run(p, nan="drop")
    assert run.steps.tolist() == [0, 10, 20] and run.milestones(0.95).t_grok == 20.0


def test_files_that_are_not_logs(tmp_path):
    with pytest.raises(gd.ParameterError, match="header") as e:
        gd.read_run(_csv(tmp_path, "0,0.1,0.2\n1,0.5,0.5\n"))
    assert e.value.field == "source"
    with pytest.raises(gd.ParameterError, match="unknown log format"):
        gd.read_run(_csv(tmp_path, "x", name="log.txt"))
    with pytest.raises(gd.ParameterError, match="no such file"):
        gd.read_run(tmp_path / "missing.csv")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"step": 0, "train_acc": 0, "test_acc": 0}\n{"step": 1, "tra\n'
                   '{"step": 2, "train_acc": 1, "test_acc": 1}\n')
    with pytest.raises(gd.ParameterError, match="line 2"):
        gd.read_run(bad)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_writers_round_trip_any_run(tmp_path, data):
    """TrainingRun.to_csv / to_jsonl / to_pandas read back to an equal run, for any values
    (floats are written with repr, so they round-trip bit for bit)."""
    n = data.draw(st.integers(1, 12))
    steps = np.cumsum(data.draw(st.lists(st.integers(1, 1000), min_size=n, max_size=n)))
    unit = st.floats(0.0, 1.0, allow_nan=False)
    pos = st.floats(0.0, 1e6, allow_nan=False)
    arr = lambda s: np.array(data.draw(st.lists(s, min_size=n, max_size=n)))  # noqa: E731
    norm = {"a": arr(pos), "b": arr(pos)} if data.draw(st.booleans()) else None
    hyper = {"lr": data.draw(st.floats(1e-6, 1.0)), "optimizer": "adamw",
             "norm_ceiling": math.inf, "note": "kept"}
    run = gd.TrainingRun(steps, arr(unit), arr(unit), train_loss=arr(pos), norm=norm,
                         hyper=hyper, extra={"lr_schedule": arr(pos)})
    csv_path, jsonl_path = tmp_path / "r.csv", tmp_path / "r.jsonl"
    run.to_csv(csv_path)
    run.to_jsonl(jsonl_path)
    assert gd.read_run(csv_path, hyper=dict(run.hyper)) == run
    assert gd.read_run(jsonl_path) == run
    assert gd.read_run(run.to_pandas()) == run
    assert gd.read_run(jsonl_path).hyper["norm_ceiling"] == math.inf


def test_recorder_keeps_infinite_hyperparameters(tmp_path):
    rec = gd.RunRecorder(tmp_path / "k.jsonl", hyper={"norm_ceiling": math.inf, "lr": 0.1})
    rec.log(0, train_acc=0.5, test_acc=0.1)
    rec.close()
    assert '"inf"' in (tmp_path / "k.jsonl").read_text().splitlines()[0]
    assert gd.read_run(tmp_path / "k.jsonl") == rec.run
    assert gd.RunRecorder(tmp_path / "k.jsonl").hyper["norm_ceiling"] == math.inf

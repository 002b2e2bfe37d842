r"""Reading training logs into :class:`~grokdelay.TrainingRun`: :func:`read_run`, :func:`read_runs`.

Formats (chosen by the file name, or by the type of ``source``):

* **JSONL** (``.jsonl``, ``.ndjson``): one JSON record per line. An optional first line
  ``{"_meta": {...}}`` holds the hyperparameters; an optional line ``{"_summary": {...}}``
  (written when the run ends) is kept as ``run.summary`` and never read as data.
* **CSV** (``.csv``; ``.tsv`` tab-separated) with a header line. This covers a training
  script's own CSV, a **PyTorch Lightning** ``CSVLogger`` ``metrics.csv`` (several partial rows
  per step: merged, see below; an ``hparams.yaml`` beside it gives the hyperparameters) and a
  **Weights & Biases** history export (``_step`` column, ``train/acc``-style names; a chart
  export's ``"<run> - <metric>"`` columns with their ``__MIN`` / ``__MAX`` companions).
* **JSON** (``.json``): a list of records, a mapping of columns, or a mapping with
  ``"records"`` (or ``"history"``, ``"data"``, ``"rows"``) and ``"meta"`` (or ``"_meta"``,
  ``"hyper"``, ``"config"``, ``"hparams"``).
* **TensorBoard** event files (``events.out.tfevents.*``, or a folder of them): through the
  optional extra ``tensorboard`` (``pip install "grokdelay[tensorboard]"``, which installs
  ``tbparse``); scalars are merged by step, a tag in a sub-folder is named
  ``<folder>/<tag>`` (Keras' ``train/epoch_accuracy``, ``validation/epoch_accuracy``). The
  event files' step is read as the optimizer step; where it counts epochs (Keras'
  ``epoch_*`` scalars), pass ``columns={"epoch": "step"}`` with
  ``hyper={"steps_per_epoch": ...}``.
* A **pandas DataFrame** (``df.attrs["hyper"]`` is read; NaN cells are missing values, and
  rows of one step are merged as in a CSV, so ``pd.read_csv("metrics.csv")`` works), or a
  **mapping of arrays** (one record per index: a repeated step raises).
* ``.gz``-compressed versions of the file formats.

Columns are found by name (lower case; ``-``, ``/``, ``.`` and spaces read as ``_``):

===============  ============================================================================
role             names recognized
===============  ============================================================================
step             ``step``, ``steps``, ``global_step``, ``_step``, ``iteration``, ``iter``
epoch            ``epoch``, ``epochs`` (used only without a step column)
train_acc        ``train_acc``, ``train_accuracy``, ``training_accuracy``, ``acc``, ...
test_acc         ``test_acc``, ``val_acc``, ``valid_acc``, ``eval_acc``, ``*_accuracy``, ...
train_loss       ``train_loss``, ``training_loss``, ``loss``
test_loss        ``test_loss``, ``val_loss``, ``valid_loss``, ``eval_loss``, ...
norm (total)     ``norm``, ``param_norm``, ``parameter_norm``, ``weight_norm``, ``wn_total``, ...
norm groups      ``wn_<group>``, ``<group>_norm``, ``<group>_parameter_norm``,
                 ``<group>_param_norm`` (names with ``grad`` are gradient norms: skipped)
===============  ============================================================================

Lightning's ``_step`` / ``_epoch`` suffixes (``train_acc_step``) are recognized when only one
of them is logged. ``columns={"test_acc": "acc/held_out", ...}`` names anything else (the
reverse direction ``{"acc/held_out": "test_acc"}`` works too). Two columns that could both
fill a role raise :class:`~grokdelay.ParameterError` listing them: never a guess.

Rows with the same step are **merged** (Lightning writes training and validation metrics in
separate rows of one step); two different values of one column at one step raise, and so
does a step smaller than the one before it (a restarted run appended to its own log). An
epoch-only log is converted to steps with ``hyper["steps_per_epoch"]`` (or
``full_batch=True``: one step per epoch), else it raises naming the ``epoch`` column. Missing
values follow the ``nan`` policy of :class:`~grokdelay.TrainingRun`; other columns that hold
numbers are kept in ``run.extra``.
"""

from __future__ import annotations

import glob as _glob
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ._core import ParameterError
from ._log_formats import SUFFIXES, Table, event_files, load
from .runs import TrainingRun, column_key, normalize_hyper

__all__ = ["read_run", "read_runs", "run_from_table", "ROLE_ALIASES"]

#: Column names per role (after lower-casing and mapping '-', '/', '.', ' ' to '_').
ROLE_ALIASES: dict[str, tuple[str, ...]] = {
    "step": ("step", "steps", "global_step", "_step", "trainer_global_step", "iteration",
             "iter", "iterations", "optimizer_step", "update"),
    "epoch": ("epoch", "epochs"),
    "train_acc": ("train_acc", "train_accuracy", "training_accuracy", "training_acc",
                  "acc_train", "accuracy_train", "train_top1", "train_epoch_accuracy",
                  "acc", "accuracy"),
    "test_acc": ("test_acc", "test_accuracy", "val_acc", "val_accuracy", "valid_acc",
                 "valid_accuracy", "validation_acc", "validation_accuracy", "eval_acc",
                 "eval_accuracy", "acc_test", "acc_val", "accuracy_test", "accuracy_val",
                 "val_top1", "test_top1", "validation_epoch_accuracy",
                 "val_epoch_accuracy"),
    "train_loss": ("train_loss", "training_loss", "loss_train", "train_epoch_loss", "loss"),
    "test_loss": ("test_loss", "val_loss", "valid_loss", "validation_loss", "eval_loss",
                  "loss_test", "loss_val", "validation_epoch_loss", "val_epoch_loss"),
    "norm": ("norm", "param_norm", "params_norm", "parameter_norm", "parameters_norm",
             "weight_norm", "weights_norm", "wn_total", "wn", "norm_total",
             "param_norm_total", "total_param_norm", "total_parameter_norm",
             "total_weight_norm", "l2_norm", "theta_norm"),
}
_ROLES = tuple(ROLE_ALIASES)
_LOOKUP = {alias: role for role, names in ROLE_ALIASES.items() for alias in names}


# --------------------------------------------------------------------------- entry points


def read_run(source: Any, *, columns: Mapping[str, str] | None = None,
             hyper: Mapping[str, Any] | None = None, nan: str = "raise",
             percent: bool = False, name: str | None = None) -> TrainingRun:
    """Read one training log into a :class:`~grokdelay.TrainingRun`.

    Parameters
    ----------
    source : path, DataFrame or mapping
        A file (see the module docstring for the formats), a folder holding a Lightning
        ``metrics.csv`` or TensorBoard event files, a pandas DataFrame, or a mapping of
        columns (arrays) optionally with ``"hyper"`` / ``"_meta"``.
    columns : mapping, optional
        ``{role: column}`` for columns the aliases do not find; roles are ``step``,
        ``epoch``, ``train_acc``, ``test_acc``, ``train_loss``, ``test_loss``, ``norm`` and
        ``norm:<group>`` for a named norm group.
    hyper : mapping, optional
        Added to, and overriding, the hyperparameters the log carries.
    nan : {"raise", "drop", "fail"}
        Missing-value policy (see :class:`~grokdelay.TrainingRun`).
    percent : bool
        The accuracies are in percent.
    name : str, optional
        Label of the run (default: the file name without its extension).

    Returns
    -------
    TrainingRun

    Raises
    ------
    ParameterError
        Naming the column: no accuracy column, two candidates for one role, a decreasing
        step, two values of one column at one step, NaN (under ``nan="raise"``),
        accuracies outside [0, 1] (with a hint for percentages), columns of different
        lengths, a file that is not the format its name says.

    Examples
    --------
    >>> import grokdelay as gd
    >>> run = gd.read_run({"step": [0, 10, 20], "val_acc": [0.1, 0.5, 0.99],
    ...                    "train_accuracy": [0.5, 1.0, 1.0], "lr": [1e-3] * 3},
    ...                   hyper={"wd": 1.0})
    >>> run.milestones(0.95).t_grok, dict(run.hyper), sorted(run.extra)
    (20.0, {'weight_decay': 1.0}, ['lr'])
    """
    table = load(source, name)
    return run_from_table(table, columns=columns, hyper=hyper, nan=nan, percent=percent)


def read_runs(source: Any, **kwargs: Any) -> list[TrainingRun]:
    """Read several logs: a glob pattern, a folder (its log files, sorted by name; Lightning
    ``version_*/metrics.csv`` folders too) or a sequence of sources.

    Keyword arguments go to :func:`read_run` for every log. An empty match raises
    :class:`~grokdelay.ParameterError` naming the pattern.
    """
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if os.path.isdir(path):
            items = _folder_logs(path)
        elif any(ch in path for ch in "*?["):
            items = sorted(_glob.glob(path, recursive=True))
        else:
            items = [path]
        if not items:
            raise ParameterError(f"source = {path!r}: no training logs found (looked for "
                                 f"{', '.join(SUFFIXES)} files, metrics.csv, event files)",
                                 "source")
    elif isinstance(source, Iterable) and not isinstance(source, Mapping):
        items = list(source)
    else:
        raise ParameterError(f"source = {type(source).__name__}: read_runs takes a glob, a "
                             "folder or a list of sources (read_run reads one)", "source")
    return [read_run(item, **kwargs) for item in items]


def _folder_logs(path: str) -> list[str]:
    out = []
    for entry in sorted(os.listdir(path)):
        full = os.path.join(path, entry)
        base = entry[:-3] if entry.endswith(".gz") else entry
        if os.path.isfile(full) and base.lower().endswith(SUFFIXES):
            out.append(full)
        elif os.path.isdir(full) and (os.path.isfile(os.path.join(full, "metrics.csv"))
                                      or event_files(full)):
            out.append(full)
    if not out and event_files(path):
        out.append(path)
    return out


# --------------------------------------------------------------------------- to a run


def _role_of(key: str) -> str | None:
    role = _LOOKUP.get(key)
    if role is None:
        for suffix in ("_step", "_epoch"):
            if key.endswith(suffix) and _LOOKUP.get(key[: -len(suffix)]) not in (None, "step",
                                                                                 "epoch"):
                return _LOOKUP[key[: -len(suffix)]]
    return role


def _norm_group(key: str) -> str | None:
    if "grad" in key or _LOOKUP.get(key) == "norm":
        return None
    for prefix in ("wn_",):
        if key.startswith(prefix) and len(key) > len(prefix):
            return key[len(prefix):]
    for suffix in ("_parameter_norm", "_param_norm", "_weight_norm", "_norm"):
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return None


def _wandb_chart_names(names: list[str]) -> dict[str, str]:
    """``"<run> - <metric>"`` columns of a W&B chart export -> metric names (MIN/MAX dropped)."""
    out: dict[str, str] = {}
    prefixes = set()
    for n in names:
        if n.endswith(("__MIN", "__MAX")):
            continue
        if " - " in n:
            p, _, metric = n.partition(" - ")
            prefixes.add(p)
            out[n] = metric
        else:
            out[n] = n
    if len(prefixes) > 1:
        raise ParameterError(f"the log holds several W&B runs ({', '.join(sorted(prefixes))}); "
                             "export one run, or pick its columns with columns=", "source")
    return out


def _columns_of(table: Table) -> dict[str, list]:
    if table.cols is not None:
        return dict(table.cols)
    names: list[str] = []
    seen = set()
    for r in table.rows:
        for k in r:
            if k not in seen:
                seen.add(k)
                names.append(k)
    return {k: [r.get(k) for r in table.rows] for k in names}


def _resolve(names: list[str], columns: Mapping[str, str] | None,
             where: str) -> tuple[dict[str, str], dict[str, str]]:
    """role -> column, group -> column."""
    chosen: dict[str, str] = {}
    groups: dict[str, str] = {}
    taken = set()
    for k, v in (columns or {}).items():
        role, col = (k, v)
        if not (k in _ROLES or k.startswith("norm:")) and (v in _ROLES or
                                                           str(v).startswith("norm:")):
            role, col = v, k        # {column: role}
        if not (role in _ROLES or role.startswith("norm:")):
            raise ParameterError(f"columns: {k!r} is not a role; roles are "
                                 f"{', '.join(_ROLES)} and 'norm:<group>'", "columns")
        if col not in names:
            raise ParameterError(f"columns: {role} = {col!r} is not a column of {where} "
                                 f"(columns: {', '.join(names)})", str(col))
        if role.startswith("norm:"):
            groups[role[5:]] = col
        else:
            chosen[role] = col
        taken.add(col)
    cands: dict[str, list[str]] = {}
    for n in names:
        if n in taken:
            continue
        role = _role_of(column_key(n))
        if role is not None and role not in chosen:
            cands.setdefault(role, []).append(n)
    for role, found in cands.items():
        if len(found) > 1:
            exact = [n for n in found if _LOOKUP.get(column_key(n)) == role]
            if role == "train_acc" and any(column_key(n) not in ("acc", "accuracy") for n in exact):
                exact = [n for n in exact if column_key(n) not in ("acc", "accuracy")]
            if role == "train_loss" and any(column_key(n) != "loss" for n in exact):
                exact = [n for n in exact if column_key(n) != "loss"]
            if len(exact) != 1:
                raise ParameterError(
                    f"{where}: columns {', '.join(map(repr, found))} could each be {role}; "
                    f"pick one with columns={{{role!r}: ...}}", found[0])
            found = exact
        chosen[role] = found[0]
        taken.add(found[0])
    if not groups:
        for n in names:
            g = _norm_group(column_key(n))
            if n not in taken and g is not None:
                if g in groups:
                    raise ParameterError(f"{where}: columns {groups[g]!r} and {n!r} are both "
                                         f"the norm of group {g!r}; pick one with "
                                         f"columns={{'norm:{g}': ...}}", n)
                groups[g] = n
                taken.add(n)
    return chosen, groups


def _numeric(col: str, values: Sequence, where: str, *, required: bool) -> np.ndarray | None:
    if not isinstance(values, np.ndarray) or values.dtype.kind in "fiu":
        try:
            return np.array(values, dtype=float)    # None reads as NaN
        except (TypeError, ValueError):
            pass
    out = np.empty(len(values))
    for i, v in enumerate(values):
        if v is None or (isinstance(v, str) and v.strip() == ""):
            out[i] = math.nan
            continue
        if isinstance(v, bool):
            v = float(v)
        try:
            out[i] = float(v)
        except (TypeError, ValueError):
            if not required:
                return None
            raise ParameterError(f"{where}: column {col!r} holds {v!r}, not a number",
                                 col) from None
    return out


def _merge(table: Table, step_col: str, where: str) -> None:
    """Merge rows of one step in place; raise on a decreasing step or conflicting values."""
    merged: list[dict] = []
    last = -math.inf
    for i, r in enumerate(table.rows):
        raw = r.get(step_col)
        if raw is None:
            raise ParameterError(f"{where}: record {i} has no {step_col}", step_col)
        try:
            s = float(raw)
        except (TypeError, ValueError):
            raise ParameterError(f"{where}: record {i} has {step_col} = {raw!r}, not a step "
                                 "number", step_col) from None
        if math.isnan(s):
            raise ParameterError(f"{where}: record {i} has no {step_col}", step_col)
        if s < last:
            raise ParameterError(f"{where}: {step_col} decreases from {last:g} to {s:g} at "
                                 f"record {i} (a restarted run appended to the same log? keep "
                                 "one segment, or sort the log)", step_col)
        if s == last:
            cur = merged[-1]
            for k, v in r.items():
                if v is None or k == step_col:
                    continue
                if k in cur and cur[k] is not None and not _equal_cell(cur[k], v):
                    raise ParameterError(f"{where}: duplicate {step_col} {s:g} with two values "
                                         f"of {k!r} ({cur[k]!r} and {v!r}); duplicate steps "
                                         "that disagree cannot be merged", k)
                cur[k] = v
        else:
            merged.append({k: v for k, v in r.items()})
            last = s
    table.rows = merged


def _repeats(values: Any) -> bool:
    try:
        s = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return False
    return s.ndim == 1 and bool(np.any(np.diff(s) == 0))


def _rows_of(cols: Mapping[str, Any]) -> list[dict]:
    """Columns to rows, NaN (pandas' missing value) as absent."""
    def cell(v):
        return None if isinstance(v, float) and math.isnan(v) else v
    names = list(cols)
    arrays = [list(np.asarray(cols[k], dtype=object)) for k in names]
    return [{k: cell(v) for k, v in zip(names, vals)} for vals in zip(*arrays)]


def _equal_cell(a: Any, b: Any) -> bool:
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return a == b


def _steps_from_epochs(epochs: np.ndarray, hyper: Mapping[str, Any], col: str,
                       where: str) -> tuple[np.ndarray, str]:
    spe = hyper.get("steps_per_epoch")
    how = "steps_per_epoch"
    if spe is None and hyper.get("full_batch") is True:
        spe, how = 1, "full_batch"
    n_train = hyper.get("n_train")
    if spe is None and n_train is not None and "batch_size" in hyper:
        # a DataLoader's batches per epoch: ceil(n / B), or floor with drop_last=True
        whole = n_train // hyper["batch_size"]
        spe = whole if hyper.get("drop_last") else -(-n_train // hyper["batch_size"])
        how = (f"{'floor' if hyper.get('drop_last') else 'ceil'}(n_train {n_train} / "
               f"batch_size {hyper['batch_size']})")
    if spe is None:
        raise ParameterError(f"{where}: the log counts epochs (column {col!r}) and has no step "
                             "column; give hyper={'steps_per_epoch': ...} (or 'full_batch': "
                             "True, or 'batch_size' and 'n_train') to convert epochs to "
                             "optimizer steps", col)
    try:
        spe_f = float(spe)
    except (TypeError, ValueError):
        spe_f = math.nan
    if not (spe_f >= 1 and spe_f.is_integer()):
        raise ParameterError(f"steps_per_epoch = {spe!r} is not an integer >= 1",
                             "steps_per_epoch")
    return epochs * spe_f, (f"steps = {col} x steps_per_epoch ({spe_f:g}, from {how}): the "
                            "log counts epochs")


def run_from_table(table: Table, *, columns: Mapping[str, str] | None = None,
                   hyper: Mapping[str, Any] | None = None, nan: str = "raise",
                   percent: bool = False, hyper_from_meta: bool = True) -> TrainingRun:
    """The :class:`~grokdelay.TrainingRun` of a loaded :class:`~grokdelay._log_formats.Table`:
    columns resolved by role, rows of one step merged, epochs converted, hyperparameters
    normalized (the table's ``meta`` unless ``hyper_from_meta=False``, then ``hyper``).
    :func:`read_run` is ``run_from_table(load(source))``; the recorder and the corpus loader
    call it on tables they parsed themselves."""
    where = table.name or table.what
    if table.rows is not None and not table.rows:
        raise ParameterError(f"{where}: the log has no records", "source")
    names = list(_columns_of(table))
    if table.what == "CSV" and any(" - " in n for n in names):
        rename = _wandb_chart_names(names)
        table.rows = [{rename[k]: v for k, v in r.items() if k in rename} for r in table.rows]
        names = list(_columns_of(table))
    chosen, groups = _resolve(names, columns, where)
    file_hyper, notes = normalize_hyper(table.meta) if hyper_from_meta else ({}, [])
    notes = list(table.notes) + notes
    merged_hyper = {**file_hyper, **normalize_hyper(hyper)[0]}
    for role in ("train_acc", "test_acc"):
        if role not in chosen:
            raise ParameterError(
                f"{where}: no {role} column among {', '.join(names) or '(none)'}; name it "
                f"with columns={{{role!r}: ...}}", role)
    step_col = chosen.get("step")
    if step_col is None and "epoch" in chosen:
        step_col = chosen["epoch"]
    if step_col is None:
        raise ParameterError(f"{where}: no step column among {', '.join(names)}; name it "
                             "with columns={'step': ...}", "step")
    if table.merge and table.rows is None and _repeats(table.cols[step_col]):
        table.rows = _rows_of(table.cols)
        table.cols = None
    if table.rows is not None and table.merge:
        _merge(table, step_col, where)
    cols = _columns_of(table)
    lengths = {k: len(v) for k, v in cols.items()}
    if len(set(lengths.values())) > 1:
        ref = lengths[step_col]
        bad = next(k for k, n in lengths.items() if n != ref)
        raise ParameterError(f"{where}: column {bad!r} has {lengths[bad]} entries but "
                             f"{step_col!r} has {ref}: every column needs one value per "
                             "record", bad)
    values = {role: _numeric(col, cols[col], where, required=True)
              for role, col in chosen.items()}
    steps = values["step"] if "step" in chosen else values["epoch"]
    if "step" not in chosen:
        steps, note = _steps_from_epochs(steps, normalize_hyper(merged_hyper)[0], step_col,
                                         where)
        notes.append(note)
    norm: Any = None
    if groups or "norm" in chosen:
        norm = {g: _numeric(c, cols[c], where, required=True) for g, c in groups.items()}
        if "norm" in chosen:
            norm["total"] = values["norm"]
    used = set(chosen.values()) | set(groups.values())
    extra = {}
    for k, v in cols.items():
        if k in used:
            continue
        arr = _numeric(k, v, where, required=False)
        if arr is not None:
            extra[k] = arr
    sources = {"steps": step_col, **{r: c for r, c in chosen.items() if r not in ("step",
                                                                                   "epoch")},
               **{f"norm[{g}]": c for g, c in groups.items()}}
    return TrainingRun(steps, values["train_acc"], values["test_acc"],
                       values.get("train_loss"), values.get("test_loss"), norm, merged_hyper,
                       name=table.name, meta=table.meta, summary=table.summary, extra=extra,
                       nan=nan, percent=percent, notes=tuple(notes), sources=sources)

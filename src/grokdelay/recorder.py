"""A live recorder: log a run while it trains, ask for its milestones (and a prediction) at any time.

:class:`RunRecorder` writes the JSONL format of :func:`grokdelay.read_run` one flushed line
per record, so a crash loses at most the record being written, and reopening a log appends
to it. It computes the parameter norm (total and per group) from numpy arrays or any tensor
offering ``.detach()`` / ``__array__`` (PyTorch, JAX, ...): torch is never imported.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._core import GrokdelayWarning, ParameterError
from ._log_formats import Table, parse_jsonl
from .logs import run_from_table
from .runs import TrainingRun, column_key, normalize_hyper, plain

__all__ = ["RunRecorder", "parameter_norms"]


def _to_numpy(x: Any, name: str) -> np.ndarray:
    """A float64 copy of an array or tensor (duck-typed: ``.detach()``, ``.cpu()``,
    ``__array__``)."""
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "cpu") and not isinstance(x, np.ndarray):
        x = x.cpu()
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError, RuntimeError):
        if hasattr(x, "float"):          # e.g. bfloat16 tensors have no numpy dtype
            return np.asarray(x.float(), dtype=np.float64)
        raise ParameterError(f"params[{name!r}] is a {type(x).__name__}, not an array or a "
                             "tensor", "params") from None


def _named(params: Any) -> list[tuple[str, Any]]:
    if hasattr(params, "named_parameters") and callable(params.named_parameters):
        return [(str(k), v) for k, v in params.named_parameters()]
    if isinstance(params, Mapping):
        return [(str(k), v) for k, v in params.items()]
    if isinstance(params, list | tuple):
        return [(f"p{i}", v) for i, v in enumerate(params)]
    return [("params", params)]


def parameter_norms(params: Any, *, groups: Any = "module") -> tuple[float, dict[str, float]]:
    """Total L2 norm of all parameters and the L2 norm of each group.

    Parameters
    ----------
    params : mapping, sequence, array, or a module with ``named_parameters()``
        ``{name: array or tensor}``; a list of arrays (named ``p0``, ``p1``, ...); one array;
        or a PyTorch-like module.
    groups : {"module", "name", None} or callable
        ``"module"`` (default): a parameter ``"encoder.0.weight"`` belongs to group
        ``"encoder.0"`` (its module; a name without a dot is its own group). ``"name"``: one
        group per parameter. ``None``: no groups. A callable maps a name to its group.

    Returns
    -------
    (float, dict)
        The total norm and ``{group: norm}``; group names as :func:`~grokdelay.read_run` will
        read them back (lower case, separators as ``_``).

    Examples
    --------
    >>> total, by = parameter_norms({"layer1.weight": np.full((2, 2), 1.0),
    ...                              "layer1.bias": np.zeros(2), "out": [3.0]})
    >>> total, by
    (3.605551275463989, {'layer1': 2.0, 'out': 3.0})
    """
    sq: dict[str, float] = {}
    total = 0.0
    for name, p in _named(params):
        a = _to_numpy(p, name).ravel()
        s = float(np.dot(a, a))
        total += s
        if groups is None:
            continue
        if callable(groups):
            g = str(groups(name))
        elif groups == "module":
            g = name.rsplit(".", 1)[0] if "." in name else name
        elif groups == "name":
            g = name
        else:
            raise ParameterError(f"groups = {groups!r} is not 'module', 'name', None or a "
                                 "function", "groups")
        g = column_key(g)
        sq[g] = sq.get(g, 0.0) + s
    return math.sqrt(total), {g: math.sqrt(v) for g, v in sq.items()}


def _scalar(name: str, value: Any, *, lo: float | None, hi: float | None) -> float | None:
    if value is None:
        return None
    try:
        x = float(_to_numpy(value, name)) if not isinstance(value, int | float) else float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} = {value!r} is not a number", name) from None
    if math.isnan(x):
        return x
    if (lo is not None and x < lo) or (hi is not None and x > hi) or math.isinf(x):
        hint = " (percent? divide by 100)" if hi == 1.0 and 1 < x <= 100 else ""
        raise ParameterError(f"{name} = {x!r} is outside [{lo:g}, "
                             f"{'inf' if hi is None else f'{hi:g}'}]{hint}", name)
    return x


class RunRecorder:
    """Record a training run live, as JSONL, and read its milestones while it trains.

    Parameters
    ----------
    path : path or None
        The JSONL log (created with a ``{"_meta": hyper}`` first line; an existing log is
        appended to, never truncated). ``None`` keeps the records in memory only.
    hyper : mapping, optional
        Hyperparameters (any names :func:`~grokdelay.runs.normalize_hyper` knows). When
        reopening a log, they must agree with its ``_meta`` line.
    name : str, optional
        Label of the run (default: the file name).
    groups : {"module", "name", None} or callable
        Norm groups of ``params`` (see :func:`parameter_norms`).
    fsync : bool
        Also ``os.fsync`` after every line (slower; survives a power cut, not just a crash).

    Examples
    --------
    >>> rec = RunRecorder(None, hyper={"optimizer": "adamw", "lr": 1e-3, "wd": 1.0})
    >>> for step, (tr, te) in enumerate([(0.3, 0.0), (1.0, 0.2), (1.0, 0.97)]):
    ...     _ = rec.log(step * 100, train_acc=tr, test_acc=te, params={"w": np.ones(4) * step})
    >>> rec.milestones(0.95).t_grok, rec.run.norm.tolist()
    (200.0, [0.0, 2.0, 4.0])
    """

    def __init__(self, path: Any = None, hyper: Mapping[str, Any] | None = None, *,
                 name: str | None = None, groups: Any = "module", fsync: bool = False,
                 nan: str = "raise"):
        self.path = None if path is None else os.fspath(path)
        self.hyper, _ = normalize_hyper(hyper)
        self.groups = groups
        self.fsync = bool(fsync)
        self.nan = nan
        self.name = name or (None if self.path is None else
                             os.path.splitext(os.path.basename(self.path))[0])
        self._rows: list[dict[str, Any]] = []
        self._fh = None
        if self.path is not None:
            self._open()

    def _open(self) -> None:
        exists = os.path.isfile(self.path) and os.path.getsize(self.path) > 0
        if exists:
            with open(self.path, "rb") as fh:
                data = fh.read()
            cut = data.rfind(b"\n") + 1
            if cut < len(data):
                # an interrupted write left a fragment of a line: no complete record is lost
                warnings.warn(f"{self.path}: removed an incomplete last line ({len(data) - cut} "
                              "bytes, an interrupted write) before appending", GrokdelayWarning,
                              stacklevel=3)
                with open(self.path, "r+b") as fh:
                    fh.truncate(cut)
                data = data[:cut]
            table = parse_jsonl(data.decode("utf-8"), self.name, self.path)
            if table.summary is not None:
                raise ParameterError(f"{self.path} is a finished log (it has a _summary line); "
                                     "record a new run in a new file", "path")
            file_hyper = normalize_hyper(table.meta)[0]
            if self.hyper and file_hyper != self.hyper:
                diff = sorted(k for k in set(file_hyper) | set(self.hyper)
                              if file_hyper.get(k) != self.hyper.get(k))
                raise ParameterError(f"{self.path} was recorded with other hyperparameters "
                                     f"(differing: {', '.join(diff)}); a reopened log must "
                                     "continue the same run", "hyper")
            self.hyper = file_hyper
            self._rows = table.rows
        self._fh = open(self.path, "a", encoding="utf-8", newline="\n")
        if not exists:
            self._write({"_meta": self.hyper})

    def _write(self, record: Mapping[str, Any]) -> None:
        line = json.dumps(plain(record), allow_nan=False)
        self._fh.write(line + "\n")
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())

    def log(self, step: Any, *, train_acc: Any, test_acc: Any, train_loss: Any = None,
            test_loss: Any = None, params: Any = None, norm: Any = None,
            **extra: Any) -> dict[str, Any]:
        """Record one evaluation and write it as one flushed JSONL line.

        Parameters
        ----------
        step : int
            Optimizer step; larger than the previous record's.
        train_acc, test_acc : float or scalar tensor
            In [0, 1].
        train_loss, test_loss : float, optional
        params : optional
            The parameters (see :func:`parameter_norms`): the total norm is written as
            ``norm`` and each group's as ``wn_<group>``.
        norm : float, optional
            The total norm, when the caller computes it (instead of ``params``).
        **extra : float
            Other scalars (kept in ``run.extra``).

        Returns
        -------
        dict
            The record as written.
        """
        s = _scalar("step", step, lo=0.0, hi=None)
        if s is None or math.isnan(s):
            raise ParameterError(f"step = {step!r} is not a step number", "step")
        if self._rows:
            last = float(self._rows[-1]["step"])
            if s <= last:
                raise ParameterError(f"step = {s:g} does not follow the last record's step "
                                     f"{last:g}: steps must increase", "step")
        rec: dict[str, Any] = {"step": int(s) if s.is_integer() else s}
        for k, v, lo, hi in (("train_acc", train_acc, 0.0, 1.0), ("test_acc", test_acc, 0.0, 1.0),
                             ("train_loss", train_loss, 0.0, None),
                             ("test_loss", test_loss, 0.0, None)):
            x = _scalar(k, v, lo=lo, hi=hi)
            if x is not None:
                rec[k] = None if math.isnan(x) else x
        if params is not None and norm is not None:
            raise ParameterError("give params (the norm is computed) or norm, not both", "norm")
        if params is not None:
            total, by = parameter_norms(params, groups=self.groups)
            rec["norm"] = total
            if len(by) > 1 or (by and next(iter(by)) != "params"):
                rec.update({f"wn_{g}": v for g, v in by.items()})
        elif norm is not None:
            rec["norm"] = _scalar("norm", norm, lo=0.0, hi=None)
        for k, v in extra.items():
            x = _scalar(k, v, lo=None, hi=None)
            rec[k] = None if x is None or math.isnan(x) else x
        self._rows.append(rec)
        if self._fh is not None:
            self._write(rec)
        return rec

    @property
    def run(self) -> TrainingRun:
        """The records so far as a :class:`~grokdelay.TrainingRun` (exactly what
        ``read_run(path)`` reads back)."""
        if not self._rows:
            raise ParameterError("no records yet: call log() first", "step")
        table = Table(self.name, rows=[dict(r) for r in self._rows], meta=self.hyper,
                       what="recorder")
        return run_from_table(table, columns=None, hyper=None, nan=self.nan, percent=False)

    def milestones(self, threshold: float = 0.95, train_threshold: float | None = None,
                   window: float = 0.0, **kwargs: Any):
        """:meth:`TrainingRun.milestones` of the records so far (censored at the last one)."""
        return self.run.milestones(threshold, train_threshold, window, **kwargs)

    def predict(self, calibration: Any):
        """``calibration.predict(run)`` on the records so far: a prediction made while the
        run trains (e.g. a :class:`grokdelay.Calibration` from ``gd.calibrate``)."""
        if not callable(getattr(calibration, "predict", None)):
            raise ParameterError(f"calibration must have a predict(run) method, got "
                            f"{type(calibration).__name__}", "calibration")
        return calibration.predict(self.run)

    def close(self, summary: Mapping[str, Any] | None = None) -> None:
        """Close the log; ``summary`` (optional) is written as a final ``_summary`` line,
        which marks the run finished."""
        if self._fh is None:
            return
        if summary is not None:
            self._write({"_summary": dict(summary)})
        self._fh.close()
        self._fh = None

    def __enter__(self) -> RunRecorder:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        where = self.path or "memory"
        last = f", last step {self._rows[-1]['step']}" if self._rows else ""
        return f"RunRecorder({where!r}, {len(self._rows)} records{last})"

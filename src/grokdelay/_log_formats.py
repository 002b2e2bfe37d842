"""Log files and objects into rows or columns (the formats behind :func:`grokdelay.read_run`).

Each loader returns a :class:`Table`: the records (rows in file order, or columns), what the
log says about itself (``meta``, ``summary``) and notes; :mod:`grokdelay.logs` turns a table
into a :class:`~grokdelay.TrainingRun`.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._core import ParameterError

RECORD_KEYS = ("records", "history", "data", "rows", "log")
META_KEYS = ("_meta", "meta", "hyper", "hyperparameters", "config", "hparams")
SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv")


class Table:
    """Rows (dicts, file order) or columns, plus what the log says about itself."""

    def __init__(self, name, *, rows=None, cols=None, meta=None, summary=None, what="log",
                 merge=True):
        self.name, self.rows, self.cols = name, rows, cols
        self.meta = dict(meta or {})
        self.summary = summary
        self.what = what
        self.merge = merge
        self.notes: list[str] = []


def load(source: Any, name: str | None) -> Table:
    if hasattr(source, "columns") and hasattr(source, "to_dict") and hasattr(source, "attrs"):
        return from_dataframe(source, name)
    if isinstance(source, Mapping):
        return from_mapping(source, name or "mapping", what="mapping")
    if isinstance(source, str | os.PathLike):
        return from_path(os.fspath(source), name)
    raise ParameterError(f"source = {type(source).__name__} is not a path, a DataFrame or a "
                         "mapping of columns", "source")


def from_dataframe(df: Any, name: str | None) -> Table:
    cols = {str(c): df[c].to_numpy() for c in df.columns}
    index_name = getattr(df.index, "name", None)
    if index_name is not None and str(index_name) not in cols:
        cols = {str(index_name): df.index.to_numpy(), **cols}
    meta = dict(df.attrs.get("hyper", {}) or {})
    # merged like a CSV when a step repeats (a pandas.read_csv of a Lightning metrics.csv)
    return Table(name or df.attrs.get("name"), cols=cols, meta=meta, what="DataFrame")


def from_mapping(m: Mapping, name: str, *, what: str) -> Table:
    meta: dict[str, Any] = {}
    for k in META_KEYS:
        if k in m and isinstance(m[k], Mapping):
            meta.update(m[k])
    summary = m.get("_summary") if isinstance(m.get("_summary"), Mapping) else None
    for k in RECORD_KEYS:
        if k in m and isinstance(m[k], list | tuple):
            return Table(name, rows=check_records(m[k], name), meta=meta, summary=summary,
                          what=what)
    cols = {str(k): v for k, v in m.items()
            if k not in META_KEYS and k != "_summary" and not isinstance(v, Mapping | str)}
    return Table(name, cols=cols, meta=meta, summary=summary, what=what, merge=False)


def check_records(records: Sequence, name: str) -> list[dict]:
    for i, r in enumerate(records):
        if not isinstance(r, Mapping):
            raise ParameterError(f"{name}: record {i} is {type(r).__name__}, not a mapping of "
                                 "column to value", "source")
    return [dict(r) for r in records]


def from_path(path: str, name: str | None) -> Table:
    if os.path.isdir(path):
        metrics = os.path.join(path, "metrics.csv")
        if os.path.isfile(metrics):
            return from_path(metrics, name or os.path.basename(os.path.normpath(path)))
        if event_files(path):
            return from_tensorboard(path, name or os.path.basename(os.path.normpath(path)))
        raise ParameterError(f"source = {path!r} is a folder without metrics.csv or "
                             "TensorBoard event files (read_runs reads a folder of logs)",
                             "source")
    if not os.path.exists(path):
        raise ParameterError(f"source = {path!r}: no such file", "source")
    base = os.path.basename(path)
    if "tfevents" in base:
        return from_tensorboard(path, name or base)
    inner = base[:-3] if base.endswith(".gz") else base
    stem, ext = os.path.splitext(inner)
    ext = ext.lower()
    if ext not in SUFFIXES:
        raise ParameterError(f"source = {path!r}: unknown log format {ext or '(none)'!r}; "
                             f"read_run reads {', '.join(SUFFIXES)} (optionally .gz), "
                             "TensorBoard event files, DataFrames and mappings", "source")
    opener = gzip.open if base.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        text = fh.read()
    if stem == "metrics" and ext == ".csv" and name is None:
        stem = os.path.basename(os.path.dirname(os.path.abspath(path))) or stem
    table = parse_text(text, ext, name or stem, path)
    if base == "metrics.csv":
        hp = os.path.join(os.path.dirname(os.path.abspath(path)), "hparams.yaml")
        if os.path.isfile(hp):
            table.meta = {**read_flat_yaml(hp), **table.meta}
    return table


def parse_text(text: str, ext: str, name: str, where: str) -> Table:
    if ext in (".jsonl", ".ndjson"):
        return parse_jsonl(text, name, where)
    if ext == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParameterError(f"{where}: not valid JSON ({exc})", "source") from None
        if isinstance(data, list):
            return Table(name, rows=check_records(data, where), what="JSON")
        if isinstance(data, Mapping):
            return from_mapping(data, name, what="JSON")
        raise ParameterError(f"{where}: JSON holds a {type(data).__name__}, not records or "
                             "columns", "source")
    return parse_csv(text, "\t" if ext == ".tsv" else ",", name, where)


def parse_jsonl(text: str, name: str, where: str) -> Table:
    """Records of a JSONL log; ``_meta`` (first line) and ``_summary`` lines set apart.

    An unparsable last line without its newline is what a writer interrupted mid-line
    leaves: it is skipped with a note (no complete record is in it). Any other bad line
    raises.
    """
    rows: list[dict] = []
    meta: dict[str, Any] = {}
    summary = None
    notes = []
    lines = text.splitlines()
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            if lineno == len(lines) and not text.endswith(("\n", "\r")):
                notes.append(f"{where}: incomplete last line {lineno} skipped (an interrupted "
                             "write)")
                continue
            raise ParameterError(f"{where}, line {lineno}: not a JSON record ({exc}); a "
                                 "crashed writer leaves at most a partial last line: remove "
                                 "it", "source") from None
        if not isinstance(rec, Mapping):
            raise ParameterError(f"{where}, line {lineno}: a JSON {type(rec).__name__}, not a "
                                 "record", "source")
        if "_meta" in rec and len(rec) == 1:
            if rows:
                raise ParameterError(f"{where}, line {lineno}: a _meta line after the data; it "
                                     "must be the first line", "_meta")
            meta.update(rec["_meta"])
        elif "_summary" in rec and len(rec) == 1:
            summary = dict(rec["_summary"])
        else:
            rows.append(dict(rec))
    table = Table(name, rows=rows, meta=meta, summary=summary, what="JSONL")
    table.notes = notes
    return table


def parse_csv(text: str, delimiter: str, name: str, where: str) -> Table:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ParameterError(f"{where}: empty file (a CSV log needs a header line)",
                             "source") from None
    header = [h.strip() for h in header]
    if all(is_number(h) for h in header):
        raise ParameterError(f"{where}: the first line {header[:6]!r} holds numbers, not "
                             "column names; a CSV log needs a header line", "source")
    rows = []
    for lineno, cells in enumerate(reader, 2):
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise ParameterError(f"{where}, line {lineno}: {len(cells)} cells for "
                                 f"{len(header)} columns", "source")
        rows.append({h: c for h, c in zip(header, cells) if c.strip() != ""})
    return Table(name, rows=rows, what="CSV")


def _number_or_text(v: Any) -> Any:
    if not isinstance(v, str):
        return v
    try:
        x = json.loads(v)
    except json.JSONDecodeError:
        return v
    return x if isinstance(x, int | float) and not isinstance(x, bool) else v


def read_flat_yaml(path: str) -> dict[str, Any]:
    """The top-level ``key: value`` pairs of a Lightning ``hparams.yaml`` (PyYAML when
    installed; else scalars only, nested blocks skipped)."""
    try:
        import yaml
    except ImportError:
        yaml = None
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if yaml is not None:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            data = None
        if isinstance(data, Mapping):
            # PyYAML reads YAML 1.1, where 1e-08 (no dot) is a string; YAML 1.2 and the
            # fallback below read it as the number it is
            return {str(k): _number_or_text(v) for k, v in data.items()
                    if not isinstance(v, Mapping | list)}
    out: dict[str, Any] = {}
    for line in text.splitlines():
        if not line or line[0] in " \t#-" or ":" not in line:
            continue
        k, _, v = line.partition(":")
        v = v.strip()
        if not v:
            continue
        special = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, "~": None,
                   ".nan": math.nan}
        if v.lower() in special:
            out[k.strip()] = special[v.lower()]
            continue
        try:
            out[k.strip()] = json.loads(v)
        except json.JSONDecodeError:
            out[k.strip()] = v.strip("'\"")
    return out


def event_files(path: str) -> list[str]:
    """TensorBoard event files in ``path`` and its sub-folders."""
    if not os.path.isdir(path):
        return []
    return sorted(os.path.join(root, f) for root, _, files in os.walk(path)
                  for f in files if "tfevents" in f)


def from_tensorboard(path: str, name: str) -> Table:
    try:
        from tbparse import SummaryReader
    except ImportError:
        raise ParameterError(
            f"{path}: reading TensorBoard event files needs the optional extra "
            "'tensorboard': pip install \"grokdelay[tensorboard]\" (it installs tbparse)",
            "source") from None
    # dir_name: Keras writes logs/train and logs/validation with the same tags
    reader = SummaryReader(path, pivot=False, extra_columns={"dir_name"})
    triples = []
    with warnings.catch_warnings():      # tbparse's own pandas deprecations
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        frames = (reader.scalars, reader.tensors)
    # PyTorch's SummaryWriter writes scalars; TF2 / tensorboard.summary write 0-d tensors
    for df in frames:
        if df is None or len(df) == 0 or "value" not in df:
            continue
        dirs = df["dir_name"].to_numpy() if "dir_name" in df else [""] * len(df)
        for step, tag, value, sub in zip(df["step"].to_numpy(), df["tag"].to_numpy(),
                                         df["value"].to_numpy(), dirs):
            if np.ndim(value) == 0:
                triples.append((step, f"{sub}/{tag}" if sub else tag, value))
    if not triples:
        raise ParameterError(f"{path}: no scalars in the TensorBoard event files", "source")
    by_step: dict[float, dict[str, float]] = {}
    for step, tag, value in triples:
        row = by_step.setdefault(float(step), {"step": float(step)})
        if tag in row and row[tag] != float(value):
            raise ParameterError(f"{path}: tag {tag!r} has two values at step {step:g} "
                                 f"({row[tag]!r}, {float(value)!r}); several runs in one "
                                 "folder? read their folders one by one", str(tag))
        row[str(tag)] = float(value)
    rows = [by_step[s] for s in sorted(by_step)]
    return Table(name, rows=rows, what="TensorBoard")



def is_number(x: Any) -> bool:
    try:
        float(x)
    except (TypeError, ValueError):
        return False
    return True

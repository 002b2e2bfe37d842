"""Parameter sweeps: one mechanism over a grid of its fields, as a tidy table.

:func:`sweep` takes a parameter object (or mapping) and 1-D grids for some of its fields and
evaluates the whole grid with *one* :func:`~grokdelay.predict_delay` call, through the
broadcasting the core already does (the swept fields become arrays of the grid's shape).
Very large grids are split into chunks (one call per chunk, with a ``tqdm`` progress bar
when the optional ``tqdm`` is installed). Fields that do not broadcast (``choice`` fields
such as an optimizer name, ``custom`` fields such as a spectrum) can be swept too; each of
their values is one more call.

The result is a :class:`Table`: one row per grid point, one column per field and per
prediction field, convertible to a pandas ``DataFrame`` (optional dependency) or CSV.

The module is itself callable: ``gd.sweep(params, **grids)`` is ``gd.sweep.sweep(params,
**grids)``, while ``gd.sweep.Table`` and the other names keep working (the module's class
is a :class:`types.ModuleType` subclass whose ``__call__`` is :func:`sweep`).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import sys
import types
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from . import _arguments as A
from . import _html
from ._core import (DelayPrediction, ParameterError, Parameters, as_params, predict_delay,
                    real_array, require_fields, resolve_method)
from ._parallel import parallel_map

__all__ = ["Table", "sweep", "grid_shape"]

#: Prediction columns every sweep table has, in this order.
PREDICTION_COLUMNS = ("t_mem", "t_grok", "delay", "ratio", "log_delay")


class Table:
    """A small tidy table: named columns of equal length (numpy arrays).

    Rows are grid points; columns are the parameter fields, the prediction fields
    (``t_mem``, ``t_grok``, ``delay``, ``ratio``, ``log_delay``), ``units`` and any scalar
    method extras (prefixed ``extra.``).

    Parameters
    ----------
    columns : mapping of str to array_like
        Column name to values; all of one length.
    shape : tuple of int, optional
        The grid shape the rows were flattened from (C order), for :meth:`grid`.
    notes : sequence of str
        Notes collected from the predictions (regimes, why a value is inf).
    meta : mapping
        Free-form description (mechanism, method, swept fields).

    Examples
    --------
    >>> t = Table({"x": [1.0, 2.0], "y": [3.0, 4.0]})
    >>> len(t), t.columns
    (2, ['x', 'y'])
    >>> next(iter(t))
    {'x': 1.0, 'y': 3.0}
    """

    def __init__(self, columns: Mapping[str, Any], *, shape: tuple[int, ...] | None = None,
                 notes: Sequence[str] = (), meta: Mapping[str, Any] | None = None):
        cols = {}
        n = None
        for name, values in columns.items():
            arr = np.asarray(values)
            if arr.ndim != 1:
                arr = arr.reshape(-1)
            if n is None:
                n = arr.shape[0]
            elif arr.shape[0] != n:
                raise ParameterError(f"column {name!r} has {arr.shape[0]} rows, the others {n}",
                                     name)
            cols[name] = arr
        self._columns = cols
        self._n = 0 if n is None else int(n)
        if shape is not None and int(np.prod(shape, dtype=int)) != self._n:
            raise ParameterError(f"shape {shape} does not hold {self._n} rows", "shape")
        self.shape = tuple(shape) if shape is not None else (self._n,)
        self.notes = tuple(dict.fromkeys(notes))
        self.meta = dict(meta or {})

    # ---------------------------------------------------------------- access
    @property
    def columns(self) -> list[str]:
        """Column names, in order."""
        return list(self._columns)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self._columns[name]
        except KeyError:
            raise KeyError(f"no column {name!r}; columns: {', '.join(self._columns)}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._columns

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Rows as dicts of Python scalars."""
        names = self.columns
        for i in range(self._n):
            yield {k: _py(self._columns[k][i]) for k in names}

    def row(self, i: int) -> dict[str, Any]:
        """Row ``i`` as a dict of Python scalars."""
        return {k: _py(v[i]) for k, v in self._columns.items()}

    def grid(self, name: str) -> np.ndarray:
        """Column ``name`` reshaped to the grid shape (axes in the order the grids were given)."""
        return self[name].reshape(self.shape)

    def where(self, mask: Any) -> Table:
        """The rows where ``mask`` (a boolean array of length ``len(self)``) holds."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (self._n,):
            raise ParameterError(f"mask has shape {mask.shape}, the table {self._n} rows", "mask")
        return Table({k: v[mask] for k, v in self._columns.items()}, notes=self.notes,
                     meta=self.meta)

    # ---------------------------------------------------------------- export
    def to_dict(self) -> dict[str, list]:
        """``{column: list of Python values}``."""
        return {k: [_py(x) for x in v] for k, v in self._columns.items()}

    def to_pandas(self):
        """A ``pandas.DataFrame`` (requires the optional dependency pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("Table.to_pandas needs pandas (pip install pandas); "
                              "Table.to_csv and Table.to_dict work without it") from exc
        df = pd.DataFrame({k: v for k, v in self._columns.items()})
        df.attrs["notes"] = list(self.notes)
        df.attrs.update(self.meta)
        return df

    def to_xarray(self):
        """An ``xarray.Dataset`` over the grid (requires the optional dependency xarray).

        One data variable per prediction column (``t_mem``, ``t_grok``, ``delay``, ``ratio``,
        ``log_delay``) and per scalar method extra (``extra.*``), with the grid's shape. A
        product sweep has one dimension per swept field, its grid as the coordinate; a
        ``"zip"`` sweep has one dimension ``point`` with the swept fields as coordinates along
        it. Axes that a non-swept array field added are ``axis_k``. Parameter fields that vary
        become coordinates; constant ones, and the mechanism, method, units and notes, are
        attributes (``Dataset.attrs``; ``notes`` is a list of str). Time variables carry
        ``units`` in their attributes.

        A table that is not a sweep (no swept fields recorded in ``meta``) becomes a Dataset
        over one dimension ``row``, one variable per column.

        Examples
        --------
        >>> import grokdelay as gd
        >>> from grokdelay.sweep import sweep
        >>> base = gd.SpectralConditioning([10.0, 0.1], learning_rate=0.01)
        >>> ds = sweep(base, learning_rate=[0.01, 0.1], tolerance=[1e-2, 1e-4]).to_xarray()
        >>> ds["delay"].dims, ds["delay"].attrs["units"]
        (('learning_rate', 'tolerance'), 'steps')
        >>> float(ds["t_grok"].sel({"learning_rate": 0.1, "tolerance": 1e-4}).round(6))
        921.034037
        """
        try:
            import xarray as xr
        except ImportError as exc:
            raise ImportError("Table.to_xarray needs xarray (pip install xarray); "
                              "Table.to_pandas, Table.to_csv and Table.grid work without it"
                              ) from exc
        swept = list(self.meta.get("swept", ()))
        attrs = {k: v for k, v in self.meta.items() if k not in ("swept", "units")}
        attrs["notes"] = list(self.notes)
        if not swept:
            ds = xr.Dataset({k: ("row", _plain(v)) for k, v in self._columns.items()})
            ds.attrs.update(attrs)
            return ds
        zipped = self.meta.get("mode") == "zip"
        lead = ["point"] if zipped else swept
        dims = lead + [f"axis_{k}" for k in range(len(self.shape) - len(lead))]
        coords: dict[str, Any] = {}
        for i, name in enumerate(swept):
            along = self.grid(name)[_line(0 if zipped else i, len(self.shape))]
            coords[name] = ("point" if zipped else name, _plain(along))
        units = self.meta.get("units") or sorted(set(self._columns.get("units", ["steps"])))
        unit = units[0] if len(units) == 1 else ", ".join(units)
        results = [k for k in self.columns
                   if k in PREDICTION_COLUMNS or k.startswith("extra.")]
        varying = {}
        for k in self.columns:
            if k in swept or k in results:
                continue
            _, constant = _html.split_constant({k: self[k]})
            if not constant:
                varying[k] = _plain(self.grid(k))
            elif constant[k] is not None:
                attrs[k] = constant[k]
        # an axis that one non-swept array field added is named after it, with its values
        for axis in range(len(lead), len(dims)):
            owners = [k for k, v in varying.items() if _only_along(v, axis)]
            if len(owners) == 1:
                k = owners[0]
                dims[axis] = k
                coords[k] = (k, varying.pop(k)[_line(axis, len(dims))])
        coords.update({k: (dims, v) for k, v in varying.items()})
        data = {k: (dims, _plain(self.grid(k)), _units_attrs(k, unit)) for k in results}
        attrs["units"] = unit
        return xr.Dataset(data, coords=coords, attrs=attrs)

    def to_csv(self, path: Any = None) -> str:
        """Write CSV (header + one line per row) to ``path`` if given; return the text.

        Floats are written with ``repr`` precision (round-trip exact); infinities as ``inf``.
        """
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.columns)
        cols = [self._columns[k] for k in self.columns]
        for i in range(self._n):
            w.writerow([_cell(c[i]) for c in cols])
        text = buf.getvalue()
        if path is not None:
            with open(path, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        return text

    def _title(self) -> str:
        grid = f", grid {self.shape}" if len(self.shape) > 1 else ""
        return f"Table: {self._n} rows x {len(self._columns)} columns{grid}"

    def __repr__(self) -> str:
        """Fixed-width preview: the columns that vary, then the constant ones, then notes."""
        return _html.table_text(self._columns, notes=self.notes, title=self._title())

    def _repr_html_(self) -> str:
        return _html.table_html(self._columns, notes=self.notes, title=self._title())


def _plain(v: np.ndarray) -> np.ndarray:
    """Object columns of str become str arrays (xarray and netCDF want those)."""
    if v.dtype == object and all(isinstance(x, str) for x in v.reshape(-1)):
        return v.astype(str)
    return v


def _line(axis: int, ndim: int) -> tuple:
    """Index of the values along ``axis`` at the origin of the other axes."""
    return tuple(slice(None) if j == axis else 0 for j in range(ndim))


def _only_along(v: np.ndarray, axis: int) -> bool:
    """Whether ``v`` varies along ``axis`` and along no other axis."""
    line = v[_line(axis, v.ndim)]
    shape = [1] * v.ndim
    shape[axis] = -1
    return len(set(line.tolist())) == line.size and bool(
        np.all(np.broadcast_to(line.reshape(shape), v.shape) == v))


def _units_attrs(name: str, unit: str) -> dict[str, str]:
    if name in ("t_mem", "t_grok", "delay"):
        return {"units": unit}
    if name == "log_delay":
        return {"units": f"log({unit})", "long_name": "natural log of delay"}
    if name == "ratio":
        return {"units": "1", "long_name": "t_grok / t_mem"}
    return {}


def _py(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def _cell(x: Any) -> str:
    x = _py(x)
    if isinstance(x, float):
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return repr(x)
    if x is None:
        return ""
    return str(x)


# --------------------------------------------------------------------------- sweep



def grid_shape(**grids: Any) -> tuple[int, ...]:
    """The shape of the product grid of 1-D ``grids`` (in the order given)."""
    return tuple(len(np.atleast_1d(np.asarray(v, dtype=object))) for v in grids.values())


def _grid_values(name: str, values: Any, broadcasts: bool) -> Any:
    if broadcasts:
        try:
            arr = real_array(name, values)
        except ParameterError:
            arr = None
        if arr is None or arr.ndim > 1:
            raise ParameterError(f"the grid for {name} must be a 1-D sequence of numbers, got "
                                 f"{values!r}", name)
        arr = np.atleast_1d(arr)
        if arr.size == 0:
            raise ParameterError(f"the grid for {name} is empty", name)
        return arr
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray):
        raise ParameterError(f"the grid for {name} must be a list of values, got {values!r}", name)
    vals = list(values)
    if not vals:
        raise ParameterError(f"the grid for {name} is empty", name)
    return vals


def _progress(total: int, enabled: bool | None, desc: str):
    if enabled is False:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit="pt", leave=False)


def _columns_of(pred: DelayPrediction, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    out = {k: np.broadcast_to(np.asarray(getattr(pred, k), dtype=float), shape).reshape(-1)
           for k in PREDICTION_COLUMNS}
    for k, v in pred.extra.items():
        try:
            arr = np.asarray(v, dtype=float)
            arr = np.broadcast_to(arr, shape)
        except (TypeError, ValueError):
            continue
        if arr.ndim == len(shape):
            out[f"extra.{k}"] = arr.reshape(-1)
    return out


@A.arguments(params=A.params(), chunk_size=A.integer(1))
def sweep(params: Parameters | Mapping[str, Any], *, method: str | None = None,
          mode: str = "product", chunk_size: int = 200_000, progress: bool | None = None,
          executor: Any = None, **grids: Any) -> Table:
    """Evaluate one mechanism over a grid of some of its fields; return a tidy :class:`Table`.

    Parameters
    ----------
    params : Parameters or mapping
        The base point: a parameter object of a registered mechanism (or its mapping form).
        Fields not swept keep their values; a non-swept field that is already an array
        adds its own axes after the grid axes.
    method : str, optional
        The prediction method (default: the mechanism's default).
    mode : {"product", "zip"}
        ``"product"``: every combination (the grid shape is the lengths of the grids, in the
        order given). ``"zip"``: the grids are paired element-wise (equal lengths).
    chunk_size : int
        At most this many points per :func:`~grokdelay.predict_delay` call. Smaller grids
        are one call; larger ones are cut into chunks (with a progress bar if ``tqdm`` is
        installed and ``progress`` is not ``False``).
    progress : bool, optional
        ``False`` disables the progress bar; ``None`` shows it for chunked sweeps when
        ``tqdm`` is installed; ``True`` shows it whenever ``tqdm`` is installed.
    executor : concurrent.futures.Executor, optional
        Evaluate the chunks there (one task per chunk): a
        :class:`~concurrent.futures.ProcessPoolExecutor`, or a Dask cluster's
        ``Client.get_executor()`` (or the ``Client``; optional extra ``grokdelay[dask]``).
        The table equals the serial one exactly, rows in the same order; a chunk that raises
        comes back as :class:`~grokdelay.ParameterError` naming its rows. ``None`` (default):
        in this process. Choose ``chunk_size`` so that there are a few chunks per worker.
    **grids
        ``field=values``: 1-D grids. Scalar and integer fields are evaluated by broadcasting
        (vectorized); choice and custom fields (e.g. ``optimizer=["sgd", "adamw"]``) loop
        over their values, one call each.

    Returns
    -------
    Table
        One row per grid point (C order over ``Table.shape``). Columns: every scalar,
        integer and choice field of the mechanism (custom fields only when swept, as the
        value's ``repr``), then ``mechanism``, ``method``, ``units``, ``t_mem``, ``t_grok``,
        ``delay``, ``ratio``, ``log_delay`` and the method's scalar extras (``extra.*``).
        ``Table.notes`` collects the predictions' notes.

    Raises
    ------
    ParameterError
        An unknown field, an empty or non-1-D grid, unequal lengths in ``"zip"`` mode, or a
        grid value outside the field's domain (the message names the field).

    Examples
    --------
    >>> import numpy as np, grokdelay as gd
    >>> from grokdelay.sweep import sweep
    >>> base = gd.SpectralConditioning([10.0, 0.1], learning_rate=0.01)
    >>> t = sweep(base, learning_rate=[0.01, 0.1], tolerance=[1e-2, 1e-4])
    >>> len(t), t.shape
    (4, (2, 2))
    >>> np.round(t["ratio"], 9).tolist()
    [100.0, 100.0, 100.0, 100.0]
    >>> t.row(0)["t_grok"] == gd.predict_delay(base).t_grok
    True
    """
    base = as_params(params, "sweep")
    cls = type(base)
    specs = cls.field_specs()
    if mode not in ("product", "zip"):
        raise ParameterError(f"mode = {mode!r} is not one of 'product', 'zip'", "mode")
    chunk_size = int(chunk_size)
    if chunk_size < 1:
        raise ParameterError(f"chunk_size = {chunk_size} must be >= 1", "chunk_size")
    if method is not None:
        resolve_method(cls, method)
    require_fields(cls, grids)
    names = list(grids)
    bnames = [n for n in names if specs[n][0].broadcasts]
    lnames = [n for n in names if not specs[n][0].broadcasts]
    values = {n: _grid_values(n, grids[n], specs[n][0].broadcasts) for n in names}
    lengths = {n: len(v) for n, v in values.items()}
    if mode == "zip" and len(set(lengths.values())) > 1:
        raise ParameterError("mode='zip' needs grids of equal length, got " +
                             ", ".join(f"{n}: {k}" for n, k in lengths.items()), names[0])

    # the broadcast part: flat arrays of the swept scalar fields over their (sub)grid
    if mode == "product":
        mesh = np.meshgrid(*(values[n] for n in bnames), indexing="ij") if bnames else []
        bflat = {n: m.reshape(-1) for n, m in zip(bnames, mesh)}
        npts = int(np.prod([lengths[n] for n in bnames], dtype=int))
        calls = [({n: values[n][j] for n, j in zip(lnames, combo)}, 0, npts)
                 for combo in itertools.product(*(range(lengths[n]) for n in lnames))]
    else:
        npts = lengths[names[0]] if names else 1
        bflat = {n: values[n] for n in bnames}
        if lnames:  # non-broadcast fields cannot be vectorized: one call per point
            calls = [({n: values[n][i] for n in lnames}, i, i + 1) for i in range(npts)]
        else:
            calls = [({}, 0, npts)]

    # non-swept fields that are arrays keep their own axes, after the grid axes
    rest_shape = base.replace(**{n: values[n][0] for n in bnames}).shape
    per_point = int(np.prod(rest_shape, dtype=int))
    total = sum(hi - lo for _, lo, hi in calls) * per_point
    chunked = any(hi - lo > chunk_size for _, lo, hi in calls)
    pbar = _progress(total, progress, f"sweep {cls.name}") if (
        progress or (progress is None and chunked)) else None

    tasks = []
    for fixed, lo, hi in calls:
        for start in range(lo, hi, chunk_size):
            stop = min(hi, start + chunk_size)
            changes = {n: bflat[n][start:stop].reshape((stop - start,) + (1,) * len(rest_shape))
                       for n in bnames}
            changes.update(fixed)
            tasks.append(_Block(base, changes, method, (stop - start,) + tuple(rest_shape),
                                tuple(lnames), start, stop))
    used_method = method or cls.default_method
    try:
        done = parallel_map(_evaluate_block, tasks, executor=executor, describe=_Block.describe,
                            on_result=None if pbar is None else
                            lambda _, res: pbar.update(len(res[0]["units"])))
    finally:
        if pbar is not None:
            pbar.close()
    blocks = [b for b, _, _ in done]
    notes = [n for _, ns, _ in done for n in ns]
    units = {u for _, _, u in done}

    keys = list(dict.fromkeys(k for b in blocks for k in b))
    # extras that appear in only some blocks cannot form a column
    keys = [k for k in keys if all(k in b for b in blocks)]
    cols = {k: np.concatenate([b[k] for b in blocks]) for k in keys}

    # put the loop (non-broadcast) axes where the user listed them
    if mode == "product":
        natural = lnames + bnames
        nat_shape = tuple(lengths[n] for n in natural) + tuple(rest_shape)
        order = [natural.index(n) for n in names] + list(range(len(natural), len(nat_shape)))
        out_shape = tuple(nat_shape[i] for i in order)
        if order != sorted(order):
            cols = {k: v.reshape(nat_shape).transpose(order).reshape(-1) for k, v in cols.items()}
    else:
        out_shape = (npts,) + tuple(rest_shape)
    if not out_shape:
        out_shape = (1,)

    head = {k: cols.pop(k) for k in list(cols) if k not in PREDICTION_COLUMNS and k != "units" and not k.startswith("extra.")}
    n = len(next(iter(cols.values())))
    ordered = dict(head)
    ordered["mechanism"] = np.full(n, cls.name, dtype=object)
    ordered["method"] = np.full(n, used_method, dtype=object)
    ordered["units"] = cols.pop("units")
    for k in PREDICTION_COLUMNS:
        ordered[k] = cols.pop(k)
    ordered.update(cols)
    return Table(ordered, shape=out_shape, notes=notes,
                 meta={"mechanism": cls.name, "method": used_method, "swept": names,
                       "mode": mode, "units": sorted(units)})


class _Block:
    """One chunk of a sweep: the base point with ``changes`` applied (picklable)."""

    def __init__(self, base, changes, method, shape, lnames, start, stop):
        self.base, self.changes, self.method = base, changes, method
        self.shape, self.lnames, self.start, self.stop = shape, lnames, start, stop

    def describe(self) -> str:
        fixed = ", ".join(f"{n} = {self.changes[n]!r}" for n in self.lnames)
        return (f"sweep rows {self.start}..{self.stop - 1} of the swept grid"
                + (f" at {fixed}" if fixed else ""))


def _evaluate_block(block: _Block):
    """Columns, notes and units of one chunk (runs wherever the executor puts it)."""
    p = block.base.replace(**block.changes)
    pred = predict_delay(p, method=block.method)
    size = int(np.prod(block.shape, dtype=int))
    cols = _field_columns(p, block.shape, type(p).field_specs(), block.lnames)
    cols.update(_columns_of(pred, block.shape))
    cols["units"] = np.full(size, pred.units, dtype=object)
    return cols, pred.notes, pred.units


def _field_columns(p: Parameters, shape: tuple[int, ...], specs: Mapping[str, Any],
                   swept_custom: Sequence[str]) -> dict[str, np.ndarray]:
    size = int(np.prod(shape, dtype=int))
    out: dict[str, np.ndarray] = {}
    for name, (spec, _) in specs.items():
        v = getattr(p, name)
        if spec.broadcasts:
            if v is None:
                out[name] = np.full(size, None, dtype=object)
            else:
                dtype = int if spec.kind == "integer" else float
                out[name] = np.broadcast_to(np.asarray(v, dtype=dtype), shape).reshape(-1)
        elif spec.kind == "choice":
            out[name] = np.full(size, v, dtype=object)
        elif name in swept_custom:
            out[name] = np.full(size, _short_repr(v), dtype=object)
    return out


def _short_repr(v: Any) -> str:
    if isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype.kind in "fi":
        inner = ", ".join(f"{x:.6g}" for x in v[:8]) + (", ..." if v.size > 8 else "")
        return f"[{inner}]"
    return repr(v)


class _CallableModule(types.ModuleType):
    """``grokdelay.sweep`` the module, callable as :func:`grokdelay.sweep.sweep`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Table:
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

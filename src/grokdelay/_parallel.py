"""Embarrassingly parallel maps on any :class:`concurrent.futures.Executor`.

Every job of grokdelay that is a list of independent points (the blocks of a sweep, the
seeds of a simulated ensemble, the cells of a training grid, the folds of a
cross-validation) runs through :func:`parallel_map`, so that each accepts one
``executor=`` argument with one meaning:

* ``None`` (the default): in this process, one point after the other.
* any :class:`concurrent.futures.Executor`: a
  :class:`~concurrent.futures.ProcessPoolExecutor` on one machine, a
  :class:`~concurrent.futures.ThreadPoolExecutor` (useful only where numpy releases the
  GIL), or a Dask cluster's ``distributed.Client(...).get_executor()``. A Dask ``Client``
  itself is accepted too (its ``get_executor()`` is used).

Guarantees, whatever the executor: the results come back in the order of the points and
equal the serial run's exactly (each point is computed by the same function on the same
input, independently of the others); an exception raised by a point comes back as a
:class:`~grokdelay.ParameterError` naming that point (the original exception is its
``__cause__`` when it could be sent back). With a process pool or a cluster, the function
and the points are pickled: pass module-level functions (or :func:`functools.partial` of
them), not lambdas.

>>> import math
>>> from concurrent.futures import ThreadPoolExecutor
>>> with ThreadPoolExecutor(2) as ex:
...     parallel_map(math.sqrt, [1.0, 4.0, 9.0], executor=ex)
[1.0, 2.0, 3.0]
>>> parallel_map(math.sqrt, [4.0, -1.0], describe=lambda x: f"x = {x}")
Traceback (most recent call last):
...
grokdelay._fields.ParameterError: x = -1.0 failed: ValueError: math domain error
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ._core import ParameterError

__all__ = ["parallel_map", "seed_ensemble", "as_executor"]


def as_executor(executor: Any):
    """``None``, a :class:`concurrent.futures.Executor`, or an object with ``get_executor()``
    (a Dask ``Client``) -> ``None`` or an object with ``submit``; anything else raises
    :class:`~grokdelay.ParameterError` naming ``executor``."""
    if executor is None:
        return None
    if callable(getattr(executor, "get_executor", None)):
        executor = executor.get_executor()
    if not callable(getattr(executor, "submit", None)):
        raise ParameterError(f"executor = {executor!r} is not a concurrent.futures.Executor "
                             "(it has no submit method); pass e.g. ProcessPoolExecutor() or a "
                             "Dask Client's get_executor()", "executor")
    return executor


class _Failure:
    """What a worker sends back instead of a result when a point raised."""

    __slots__ = ("index", "kind", "message", "field", "exc")

    def __init__(self, index: int, exc: BaseException):
        self.index = index
        self.kind = type(exc).__name__
        self.message = str(exc)
        self.field = getattr(exc, "field", None) if isinstance(exc, ParameterError) else None
        try:                    # send the exception itself back only if it survives pickling
            pickle.loads(pickle.dumps(exc))
            self.exc = exc
        except Exception:       # noqa: BLE001 - any pickling failure: keep the text only
            self.exc = None

    def __getstate__(self):
        return tuple(getattr(self, k) for k in self.__slots__)

    def __setstate__(self, state):
        for k, v in zip(self.__slots__, state):
            setattr(self, k, v)


def _run_chunk(fn: Callable[[Any], Any], start: int, items: Sequence[Any]) -> list[Any]:
    """Worker side: ``fn`` over a contiguous run of points; stops at the first failure."""
    out: list[Any] = []
    for j, item in enumerate(items):
        try:
            out.append(fn(item))
        except Exception as exc:  # noqa: BLE001 - carried back and re-raised by the caller
            out.append(_Failure(start + j, exc))
            break
    return out


def _default_describe(item: Any) -> str:
    text = repr(item)
    return text if len(text) <= 120 else text[:117] + "..."


def parallel_map(fn: Callable[[Any], Any], items: Iterable[Any], *, executor: Any = None,
                 chunk_size: int = 1, describe: Callable[[Any], str] | None = None,
                 field: str | None = None,
                 on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
    """``[fn(item) for item in items]``, optionally spread over an executor.

    Parameters
    ----------
    fn : callable
        One point -> its result. Must be picklable for process pools and clusters.
    items : iterable
        The points (materialized into a list first).
    executor : concurrent.futures.Executor, dask Client, or None
        Where to run; ``None`` runs serially in this process.
    chunk_size : int
        Points per submitted task (contiguous); larger chunks cut the per-task overhead.
    describe : callable, optional
        Point -> text naming it in an error message (default: its ``repr``).
    field : str, optional
        The field a :class:`~grokdelay.ParameterError` names when the failing point's own
        exception named none.
    on_result : callable, optional
        Called as ``on_result(index, result)`` for every point, in order, as results
        arrive (e.g. to advance a progress bar).

    Returns
    -------
    list
        The results, in the order of ``items``, equal to the serial run's.

    Raises
    ------
    ParameterError
        ``"<point> failed: <ExceptionType>: <message>"`` for the first failing point (in
        order), chained to the original exception; or, naming ``executor``, when the
        executor cannot run the job at all (e.g. a lambda sent to a process pool).
    """
    items = list(items)
    chunk_size = int(chunk_size)
    if chunk_size < 1:
        raise ParameterError(f"chunk_size = {chunk_size} must be >= 1", "chunk_size")
    describe = describe or _default_describe
    ex = as_executor(executor)
    starts = range(0, len(items), chunk_size)
    if ex is None:
        chunks = (_run_chunk(fn, s, items[s:s + chunk_size]) for s in starts)
        return _collect(chunks, items, describe, field, on_result)
    futures = [ex.submit(_run_chunk, fn, s, items[s:s + chunk_size]) for s in starts]
    try:
        return _collect(_results(futures, ex), items, describe, field, on_result)
    finally:
        for fut in futures:
            fut.cancel()


def _results(futures, ex):
    for fut in futures:
        try:
            yield fut.result()
        except Exception as exc:  # noqa: BLE001 - the task never ran fn (pickling, broken pool)
            raise ParameterError(f"executor = {ex!r} could not run the job: "
                                 f"{type(exc).__name__}: {exc}", "executor") from exc


def _collect(chunks, items, describe, field, on_result) -> list[Any]:
    out: list[Any] = []
    for chunk in chunks:
        for res in chunk:
            if isinstance(res, _Failure):
                err = ParameterError(f"{describe(items[res.index])} failed: {res.kind}: "
                                     f"{res.message}", res.field or field)
                raise err from res.exc
            if on_result is not None:
                on_result(len(out), res)
            out.append(res)
    return out


def _call_with_seed(fn: Callable[..., Any], kwargs: dict[str, Any], seed: Any) -> Any:
    return fn(**kwargs, seed=seed)


def seed_ensemble(fn: Callable[..., Any], seeds: Iterable[Any], *, executor: Any = None,
                  **kwargs: Any) -> list[Any]:
    """``[fn(**kwargs, seed=s) for s in seeds]`` through :func:`parallel_map`.

    The seed is the only thing that changes between runs, so each run equals the serial
    call with that seed exactly; a failing run is reported as ``seed = s``.

    >>> import numpy as np
    >>> seed_ensemble(lambda seed, n: int(np.random.default_rng(seed).integers(n)), [0, 1], n=10)
    [8, 4]
    """
    seeds = list(seeds)
    if not seeds:
        raise ParameterError("seeds is empty: give at least one seed", "seeds")
    job = functools.partial(_call_with_seed, fn, kwargs)
    return parallel_map(job, seeds, executor=executor, describe=lambda s: f"seed = {s!r}",
                        field="seeds")

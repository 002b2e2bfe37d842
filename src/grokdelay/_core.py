"""The machinery every mechanism shares.

A mechanism is a frozen dataclass of parameters (a subclass of :class:`Parameters`)
whose fields are declared once with :func:`param` (symbol, domain, one-line meaning).
That declaration drives validation, error messages, the CLI flags, the docs tables and
the conformance tests. Its methods, marked with :func:`method`, receive the scalar
fields already broadcast together and return an :class:`Outcome`; :func:`predict_delay`
turns that into a :class:`DelayPrediction`. The field declarations themselves, the errors
and the warnings live one level down, in :mod:`grokdelay._fields` (re-exported here).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from . import _html
from ._fields import (MAX_INTEGER, REQUIRED, ArgumentTypeError, Choice, FieldSpec,
                      GrokdelayWarning, Interval, ParameterError, decode_inf, did_you_mean,
                      moved_names, param, positive_array, real_array, real_scalar,
                      validate_field, warn)

__all__ = [
    "ParameterError",
    "ArgumentTypeError",
    "NotApplicable",
    "GrokdelayWarning",
    "Interval",
    "Choice",
    "FieldSpec",
    "param",
    "Parameters",
    "Outcome",
    "Scenario",
    "DelayPrediction",
    "method",
    "register",
    "mechanisms",
    "register_scenario",
    "scenario_builders",
    "predict_delay",
    "note_where",
    "overflow_note",
    "warn",
    "moved_names",
    "positive_array",
    "validate_field",
    "decode_inf",
    "real_array",
    "real_scalar",
    "did_you_mean",
    "MAX_INTEGER",
    "register_latex",
]


# --------------------------------------------------------------------------- display hooks

#: LaTeX renderers of parameter objects and predictions (``_repr_latex_``), registered by a
#: higher layer (``sensitivity``, from the symbolic laws): the core imports no renderer,
#: and sympy is imported only when one is called.
_LATEX: dict[str, Callable[[Any], str | None]] = {}


def register_latex(params: Callable[[Any], str | None],
                   prediction: Callable[[Any], str | None]) -> None:
    """Install the ``_repr_latex_`` renderers of parameter objects and of predictions."""
    _LATEX.update(params=params, prediction=prediction)


class NotApplicable(ParameterError):
    """A mechanism's premise does not hold on a run or input: the message says which and why.

    Raised instead of a number, e.g. by a weight-decay law asked about a run without weight
    decay, or by a calibrated law asked about an optimizer it was not calibrated for.
    ``field`` names the hyperparameter or log column behind the failed premise when there is
    one; ``mechanism`` names the law.
    """

    def __init__(self, message: str, field: str | None = None, mechanism: str | None = None):
        super().__init__(message, field)
        self.mechanism = mechanism

    def __reduce__(self):
        return (type(self), (str(self), self.field, self.mechanism))


# --------------------------------------------------------------------------- registry

_REGISTRY: dict[str, type[Parameters]] = {}


@dataclasses.dataclass(frozen=True)
class _MethodInfo:
    name: str
    func: Callable
    summary: str
    default: bool


def method(name: str, *, default: bool = False, summary: str = "") -> Callable:
    """Mark a ``Parameters`` method as a prediction method called ``name``.

    The function receives ``(self, a)`` where ``a`` is a :class:`Broadcast` of the
    broadcast scalar fields (and the non-broadcast ones as given) and returns an
    :class:`Outcome`. ``summary`` is one line for the CLI and the docs; the first line of
    the docstring is used when it is empty.
    """

    def deco(func: Callable) -> Callable:
        doc = (func.__doc__ or "").strip().splitlines()
        func._grokdelay_method = _MethodInfo(name, func, summary or (doc[0] if doc else ""),
                                            default)
        return func

    return deco


def register(name: str) -> Callable[[type], type]:
    """Class decorator: make ``cls`` a frozen dataclass and register it as mechanism ``name``."""

    def deco(cls: type) -> type:
        if name in _REGISTRY:
            if _REGISTRY[name].__qualname__ == cls.__qualname__:
                # the same module imported a second time (e.g. pytest running one file's
                # doctests by path): keep the first class, so isinstance checks hold
                return _REGISTRY[name]
            raise RuntimeError(f"mechanism {name!r} registered twice "
                               f"({_REGISTRY[name].__qualname__}, {cls.__qualname__})")
        cls = dataclasses.dataclass(frozen=True, eq=False)(cls)
        methods: dict[str, _MethodInfo] = {}
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                info = getattr(attr, "_grokdelay_method", None)
                if info is not None:
                    methods[info.name] = info
        defaults = [m.name for m in methods.values() if m.default]
        if len(defaults) != 1:
            raise RuntimeError(f"mechanism {name!r} needs exactly one default method, has {defaults}")
        for f in dataclasses.fields(cls):
            if "grokdelay" not in f.metadata:
                raise RuntimeError(f"{cls.__name__}.{f.name} is not declared with param()")
        cls.name = name
        cls.methods = {k: v.summary for k, v in methods.items()}
        cls.default_method = defaults[0]
        cls._method_funcs = {k: v.func for k, v in methods.items()}
        _REGISTRY[name] = cls
        return cls

    return deco


def mechanisms() -> dict[str, type[Parameters]]:
    """The registered mechanisms, ``{name: parameter class}``, in registration order."""
    return dict(_REGISTRY)


_SCENARIOS: dict[str, Callable[[], Scenario]] = {}


def register_scenario(name: str) -> Callable[[Callable[[], Scenario]], Callable[[], Scenario]]:
    """Decorator: register a zero-argument builder of mechanism ``name``'s worked scenario.

    The builder is cached (a scenario is built once per process) and is what
    ``Mechanism.scenario()`` returns. Scenarios live above the mechanisms (in
    :mod:`grokdelay.scenarios`), so a mechanism never imports the module that builds its
    scenario; this registry is the link.
    """

    def deco(build: Callable[[], Scenario]) -> Callable[[], Scenario]:
        cached = functools.cache(build)
        _SCENARIOS[name] = cached
        return cached

    return deco


def scenario_builders() -> dict[str, Callable[[], Scenario]]:
    """``{mechanism: cached scenario builder}`` in mechanism registration order."""
    return {name: _SCENARIOS[name] for name in _REGISTRY if name in _SCENARIOS}


# --------------------------------------------------------------------------- parameters


class Broadcast:
    """The fields of a parameter object with every scalar field broadcast to ``shape``.

    Attribute access gives the field: broadcast fields as float (or int) ndarrays of
    ``shape`` (numpy scalars, ``np.float64`` or ``np.int64``, for scalar input: 0-d, and
    numpy's operations treat them as 0-d arrays), other fields as stored. ``None`` optional
    fields stay ``None``.
    """

    def __init__(self, shape: tuple[int, ...], values: dict[str, Any]):
        self.shape = shape
        self._values = values
        for k, v in values.items():
            setattr(self, k, v)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=int))

    def __repr__(self) -> str:
        return f"Broadcast(shape={self.shape}, fields={list(self._values)})"


_PLAIN_NUMBERS = (float, int)     # validated scalar fields are stored as these
# a one-point Broadcast holds numpy scalars (0-d: shape (), ndim 0, the same arithmetic,
# comparisons and ufuncs as 0-d arrays, which numpy's operations return as scalars anyway)
# at a quarter of a 0-d array's construction cost
_NUMPY_SCALAR = {float: np.float64, int: np.int64}


class Parameters:
    """Base class of every mechanism's parameters (a frozen dataclass once registered)."""

    name: ClassVar[str]
    methods: ClassVar[dict[str, str]]
    default_method: ClassVar[str]
    _method_funcs: ClassVar[dict[str, Callable]]

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            spec = f.metadata["grokdelay"]
            object.__setattr__(self, f.name, validate_field(f.name, spec, getattr(self, f.name)))
        try:
            self.shape     # the fields broadcast together
        except ValueError:
            shapes = {k: np.shape(v) for k, v in self._broadcast_values().items() if np.ndim(v)}
            raise ParameterError(f"array fields do not broadcast together: shapes {shapes}",
                                 next(iter(shapes), None)) from None
        self._check()

    # hooks ------------------------------------------------------------------
    def _check(self) -> None:
        """Cross-field validation; raise ParameterError naming a field. Override."""

    @classmethod
    def scenario(cls) -> Scenario:
        """This mechanism's inputs for the default comparison scenario (built once).

        Registered with :func:`register_scenario` (the library's are in
        :mod:`grokdelay.scenarios`); a subclass may also override this method.
        """
        build = _SCENARIOS.get(getattr(cls, "name", ""))
        if build is None:
            raise NotImplementedError(f"{cls.__name__} has no comparison scenario")
        return build()

    # introspection ------------------------------------------------------------
    @classmethod
    def field_specs(cls) -> dict[str, tuple[FieldSpec, Any]]:
        """``{field: (spec, default)}``, default ``dataclasses.MISSING`` when required."""
        return {f.name: (f.metadata["grokdelay"], f.default) for f in dataclasses.fields(cls)}

    @classmethod
    def _field_plan(cls) -> tuple[tuple[str, Any], ...]:
        """``(name, dtype)`` per field, dtype ``None`` for fields that do not broadcast
        (cached per class: ``dataclasses.fields`` is the slow part of a scalar call)."""
        plan = cls.__dict__.get("_FIELD_PLAN")
        if plan is None:
            plan = tuple((f.name, (int if f.metadata["grokdelay"].kind == "integer" else float)
                          if f.metadata["grokdelay"].broadcasts else None)
                         for f in dataclasses.fields(cls))
            setattr(cls, "_FIELD_PLAN", plan)
        return plan

    def _broadcast_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name, dtype in self._field_plan()
                if dtype is not None and getattr(self, name) is not None}

    @property
    def shape(self) -> tuple[int, ...]:
        """The broadcast shape of the scalar fields (``()`` when all are scalars)."""
        values = self._broadcast_values().values()
        if all(type(v) in _PLAIN_NUMBERS for v in values):    # the usual one point
            return ()
        shapes = [np.shape(v) for v in values]
        return () if not any(shapes) else np.broadcast_shapes(*shapes)

    def broadcast(self) -> Broadcast:
        """All fields, the scalar ones broadcast together (done once, here)."""
        plan = self._field_plan()
        values: dict[str, Any] = {name: getattr(self, name) for name, _ in plan}
        if all(type(values[name]) in _PLAIN_NUMBERS or values[name] is None
               for name, dtype in plan if dtype is not None):      # the usual one point
            for name, dtype in plan:
                if dtype is not None and values[name] is not None:
                    values[name] = _NUMPY_SCALAR[dtype](values[name])
            return Broadcast((), values)
        shape = self.shape
        for name, dtype in plan:
            v = values[name]
            if dtype is not None and v is not None:
                values[name] = (np.broadcast_to(np.asarray(v, dtype=dtype), shape) if shape
                                else np.array(v, dtype=dtype))
        return Broadcast(shape, values)

    def replace(self, **changes: Any) -> Parameters:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The plain-mapping form: ``{"mechanism": name, field: value, ...}`` (JSON-ready)."""
        out: dict[str, Any] = {"mechanism": self.name}
        for f in dataclasses.fields(self):
            out[f.name] = jsonable(getattr(self, f.name))
        return out

    def predict(self, method: str | None = None) -> DelayPrediction:
        """Shorthand for ``predict_delay(self, method=method)``."""
        return predict_delay(self, method=method)

    def _repr_latex_(self) -> str | None:
        """The default method's closed form (Jupyter); None when it has none."""
        hook = _LATEX.get("params")
        return None if hook is None else hook(self)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(_equal(getattr(self, f.name), getattr(other, f.name))
                   for f in dataclasses.fields(self))

    __hash__ = None  # type: ignore[assignment]


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            return bool(np.array_equal(a, b, equal_nan=True))
        except TypeError:
            return False
    return a == b


def jsonable(v: Any) -> Any:
    """Plain JSON values; non-finite floats become the strings "inf", "-inf"."""
    if isinstance(v, np.ndarray):
        return jsonable(v.tolist())
    if isinstance(v, np.generic):
        return jsonable(v.item())
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)  # "inf", "-inf"
    if isinstance(v, tuple | list):
        return [jsonable(x) for x in v]
    return v


# --------------------------------------------------------------------------- results


@dataclasses.dataclass
class Outcome:
    """What a method returns: arrays broadcastable to the parameters' shape.

    Give ``log_delay`` (and ``delay``) when ``t_grok - t_mem`` can overflow or lose
    precision; otherwise the core computes ``delay = t_grok - t_mem`` and its log.
    ``extra`` holds method-specific arrays (bounds, per-mode times) for the record.
    ``warnings``: texts :func:`predict_delay` emits as :class:`GrokdelayWarning`, attributed
    to the user's call (a method never calls ``warnings.warn`` itself).
    """

    t_mem: Any
    t_grok: Any
    units: str = "steps"
    notes: list[str] = dataclasses.field(default_factory=list)
    delay: Any = None
    log_delay: Any = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    warnings: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A mechanism's inputs for a documented scenario, with the source of each input."""

    params: Parameters
    sources: Mapping[str, str]
    summary: str = ""


@dataclasses.dataclass(frozen=True, eq=False)
class DelayPrediction:
    """The predicted grokking delay of one mechanism (an immutable record).

    Attributes
    ----------
    mechanism : str
        Registry name of the mechanism, e.g. ``"linear_teacher_student"``.
    method : str
        The method that produced the numbers, e.g. ``"exact"``.
    t_mem, t_grok : float or ndarray
        Time of memorization (fit) and of generalization.
    delay : float or ndarray
        ``t_grok - t_mem``; ``inf`` when the model never groks.
    ratio : float or ndarray
        ``t_grok / t_mem`` (``inf`` when ``t_mem == 0 < t_grok``; 1 when they are equal).
    log_delay : float or ndarray
        Natural log of ``delay``, finite even where ``delay`` overflows float64; ``-inf``
        when ``delay <= 0`` (a mechanism may predict generalization no later than fitting,
        and says so in ``notes``).
    units : str
        ``"steps"`` (optimizer steps) or ``"time"`` (continuous time of the theory).
    notes : tuple of str
        Regime, validity, approximations, and why a value is inf.
    params : Parameters or None
        The parameter object the prediction was made from.
    extra : mapping
        Method-specific quantities (bounds, per-mode times, ...).
    """

    mechanism: str
    method: str
    t_mem: Any
    t_grok: Any
    delay: Any
    ratio: Any
    log_delay: Any
    units: str
    notes: tuple[str, ...] = ()
    params: Parameters | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    NUMERIC: ClassVar[tuple[str, ...]] = ("t_mem", "t_grok", "delay", "ratio", "log_delay")

    @property
    def shape(self) -> tuple[int, ...]:
        return np.shape(self.t_mem)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping of the prediction fields (inf as the string ``"inf"``)."""
        out = {k: jsonable(getattr(self, k))
               for k in ("mechanism", "method", "t_mem", "t_grok", "delay", "ratio",
                         "log_delay", "units")}
        out["notes"] = list(self.notes)
        if self.params is not None:
            out["params"] = self.params.to_dict()
        if self.extra:
            out["extra"] = {k: jsonable(v) for k, v in self.extra.items()}
        return out

    def __getitem__(self, index: Any) -> DelayPrediction:
        """Index an array prediction (numeric fields only; params and notes are kept)."""
        if not self.shape:
            raise TypeError("a scalar prediction cannot be indexed")
        vals = {k: _scalarize(np.asarray(getattr(self, k))[index]) for k in self.NUMERIC}
        return dataclasses.replace(self, **vals)

    def __repr__(self) -> str:
        fields = {"mechanism": self.mechanism, "method": self.method,
                  **{k: getattr(self, k) for k in self.NUMERIC}, "units": self.units}
        return _html.record_repr("DelayPrediction", fields, self.notes)

    def _repr_html_(self) -> str:
        more: dict[str, Any] = {}
        if self.params is not None:
            more.update({f"params.{f.name}": getattr(self.params, f.name)
                         for f in dataclasses.fields(self.params)})
        more.update({f"extra.{k}": v for k, v in self.extra.items()})
        return _html.record_html(
            "DelayPrediction", {k: getattr(self, k) for k in self.NUMERIC}, self.notes,
            subtitle=f"{self.mechanism}, method {self.method}, units: {self.units}", more=more)

    def _repr_latex_(self) -> str | None:
        """The method's closed form with the predicted numbers (Jupyter); None without one."""
        hook = _LATEX.get("prediction")
        return None if hook is None else hook(self)

    def __str__(self) -> str:
        lines = [f"{self.mechanism} ({self.method}, units: {self.units})"]
        for k in self.NUMERIC:
            v = getattr(self, k)
            lines.append(f"  {k:9s} = {v:.6g}" if np.ndim(v) == 0 else f"  {k:9s} = {v}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _scalarize(x: Any) -> Any:
    arr = np.asarray(x)
    return float(arr) if arr.ndim == 0 else arr


def note_where(mask: Any, text: str) -> list[str]:
    """``[text]`` if ``mask`` holds anywhere (with a count for arrays), else ``[]``."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return []
    if m.size == 1:             # one point (a scalar call's one-element mask included)
        return [text]
    if m.all():
        return [f"{text} (at all {m.size} points)"]
    return [f"{text} (at {int(m.sum())} of {m.size} points)"]


def overflow_note(mask: Any, what: str) -> list[str]:
    """The note for a time that exceeds the float64 range (reported as inf) where ``mask``."""
    return note_where(mask, f"{what} exceeds the float64 range (1.8e308) at these inputs and "
                            "is reported as inf")


def _finalize_scalar(out: Outcome) -> dict[str, float] | None:
    """:func:`finalize`'s numbers for one point on Python floats (None: not all given)."""
    vals = [out.t_mem, out.t_grok, out.delay, out.log_delay]
    if any(v is None or (type(v) is not float and np.ndim(v)) for v in vals):
        return None
    t_mem, t_grok, delay, log_delay = map(float, vals)
    if math.isinf(t_mem) and math.isinf(t_grok):
        ratio = math.inf
    elif t_grok == t_mem:
        ratio = 1.0
    else:
        ratio = math.inf if t_mem == 0.0 else t_grok / t_mem
    return {"t_mem": t_mem, "t_grok": t_grok, "delay": delay, "ratio": ratio,
            "log_delay": log_delay}


def finalize(params: Parameters, method_name: str, shape: tuple[int, ...],
             out: Outcome) -> DelayPrediction:
    values = None if shape else _finalize_scalar(out)
    if values is not None:
        return _checked_scalar(params, method_name, out, values)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        t_mem = np.broadcast_to(np.asarray(out.t_mem, dtype=float), shape)
        t_grok = np.broadcast_to(np.asarray(out.t_grok, dtype=float), shape)
        if out.delay is None:
            delay = np.where(np.isinf(t_grok), np.inf, t_grok - t_mem)
        else:
            delay = np.broadcast_to(np.asarray(out.delay, dtype=float), shape)
        if out.log_delay is None:
            # generalizing no later than fitting (delay <= 0) has no log: -inf by convention
            log_delay = np.where(delay > 0, np.log(np.where(delay > 0, delay, 1.0)), -np.inf)
        else:
            log_delay = np.broadcast_to(np.asarray(out.log_delay, dtype=float), shape)
        ratio = np.where(t_grok == t_mem, 1.0,
                         np.where(t_mem == 0.0, np.inf, t_grok / np.where(t_mem == 0, 1.0, t_mem)))
        ratio = np.where(np.isinf(t_mem) & np.isinf(t_grok), np.inf, ratio)
    values = {"t_mem": t_mem, "t_grok": t_grok, "delay": delay, "ratio": ratio,
              "log_delay": log_delay}
    return _checked(params, method_name, shape, out, values)


_UNFIT_NOTE = ("never fits (t_mem = inf), so by convention never groks (t_grok = delay = "
               "inf), although the generalization target alone is met at "
               "extra['t_generalize']")
_NO_DELAY_NOTE = ("t_grok <= t_mem: generalization comes no later than memorization, so "
                  "there is no grokking delay (log_delay = -inf)")
_DELAY_OVERFLOW_NOTE = ("the delay exceeds the float64 range and is reported as inf; "
                        "log_delay is exact")
_TIMES_OVERFLOW_NOTE = ("t_mem and t_grok exceed the float64 range (reported as inf); the "
                        "delay between them is exact")
_RATIO_ZERO_NOTE = "t_mem = 0 < t_grok: ratio = inf by convention"
_RATIO_OVERFLOW_NOTE = "t_grok / t_mem exceeds the float64 range: ratio reported as inf"


def _nan_error(params, method_name, k) -> FloatingPointError:
    return FloatingPointError(f"internal error: {params.name}/{method_name} produced NaN in "
                              f"{k} for {params!r}; please report it")


def _checked_scalar(params, method_name, out, values) -> DelayPrediction:
    """:func:`_checked` for one point whose numbers are Python floats: the same rules,
    notes and order, without numpy calls on 0-d arrays."""
    notes = list(out.notes)
    extra = dict(out.extra)
    t_mem, t_grok = values["t_mem"], values["t_grok"]
    if math.isinf(t_mem) and math.isfinite(t_grok):
        extra["t_generalize"] = t_grok
        values.update(t_grok=math.inf, delay=math.inf, ratio=math.inf, log_delay=math.inf)
        notes.append(_UNFIT_NOTE)
    for k, v in values.items():
        if math.isnan(v):
            raise _nan_error(params, method_name, k)
    t_grok, delay, ratio, log_delay = (values[k] for k in ("t_grok", "delay", "ratio",
                                                            "log_delay"))
    text = " ".join(notes)
    if "log_delay" not in text and delay <= 0:
        notes.append(_NO_DELAY_NOTE)
    if "float64" not in text:
        if math.isinf(delay) and math.isfinite(log_delay):
            notes.append(_DELAY_OVERFLOW_NOTE)
        if math.isinf(t_mem) and math.isinf(t_grok) and math.isfinite(delay):
            notes.append(_TIMES_OVERFLOW_NOTE)
    if math.isinf(ratio) and math.isfinite(t_grok) and t_mem == 0:
        notes.append(_RATIO_ZERO_NOTE)
    if math.isinf(ratio) and math.isfinite(t_grok) and t_mem > 0:
        notes.append(_RATIO_OVERFLOW_NOTE)
    return DelayPrediction(params.name, method_name, units=out.units,
                           notes=tuple(dict.fromkeys(notes)), params=params, extra=extra,
                           **values)


def _checked(params, method_name, shape, out, values) -> DelayPrediction:
    """The conventions every prediction keeps (docs/conventions.rst), its NaN check and
    the notes the core can state for every mechanism; scalar and array paths alike."""
    notes = list(out.notes)
    extra = dict(out.extra)
    t_mem = values["t_mem"]
    # Never fits => never groks ("Infinite outcomes"): grokking is generalization *after*
    # fitting, so a point whose t_mem is inf has t_grok, delay, ratio and log_delay inf too;
    # when its generalization target is met anyway, that time is kept in
    # extra["t_generalize"].
    unfit = np.isinf(t_mem) & np.isfinite(values["t_grok"])
    if np.any(unfit):
        t_gen = np.where(unfit, values["t_grok"], np.inf)
        extra["t_generalize"] = _scalarize(t_gen) if not shape else t_gen
        for k in ("t_grok", "delay", "ratio", "log_delay"):
            values[k] = np.where(unfit, np.inf, values[k])
        notes += note_where(unfit, _UNFIT_NOTE)
    for k, v in values.items():
        if np.isnan(v).any():
            raise _nan_error(params, method_name, k)
    t_grok, delay, ratio, log_delay = (values[k] for k in ("t_grok", "delay", "ratio",
                                                            "log_delay"))
    text = " ".join(notes)
    with np.errstate(invalid="ignore"):
        # facts the core can state for every mechanism (a method may say more)
        if "log_delay" not in text:
            notes += note_where(delay <= 0, _NO_DELAY_NOTE)
        if "float64" not in text:
            notes += note_where(np.isinf(delay) & np.isfinite(log_delay), _DELAY_OVERFLOW_NOTE)
            notes += note_where(np.isinf(t_mem) & np.isinf(t_grok) & np.isfinite(delay),
                                _TIMES_OVERFLOW_NOTE)
        notes += note_where(np.isinf(ratio) & np.isfinite(t_grok) & (t_mem == 0),
                            _RATIO_ZERO_NOTE)
        notes += note_where(np.isinf(ratio) & np.isfinite(t_grok) & (t_mem > 0),
                            _RATIO_OVERFLOW_NOTE)
    values = {k: _scalarize(v) if not shape else np.array(v) for k, v in values.items()}
    notes = tuple(dict.fromkeys(notes))  # de-duplicate, keep order
    return DelayPrediction(params.name, method_name, units=out.units, notes=notes,
                           params=params, extra=extra, **values)


def require_fields(cls: type[Parameters], names) -> None:
    """ParameterError naming the first of ``names`` that is not a field of mechanism ``cls``.

    The one place that message is written (mapping form, sweeps, plots).
    """
    specs = cls.field_specs()
    for name in names:
        if name not in specs:
            raise ParameterError(f"{name} is not a field of {cls.name} ({cls.__name__})"
                                 f"{did_you_mean(name, specs)}; its fields are: "
                                 + ", ".join(specs), str(name))


def resolve_method(cls: type[Parameters], method: str | None) -> str:
    """The method name ``method`` of ``cls`` (its default for None), or a ParameterError."""
    name = cls.default_method if method is None else method
    if not isinstance(name, str) or name not in cls._method_funcs:
        raise ParameterError(f"method = {name!r} is not a method of {cls.name}"
                             f"{did_you_mean(name, cls.methods)}; it has: "
                             + ", ".join(cls.methods), "method")
    return name


def from_mapping(mapping: Mapping[str, Any]) -> Parameters:
    data = dict(mapping)
    if "mechanism" not in data:
        raise ParameterError(
            "mapping has no 'mechanism' key; it must name one of " + ", ".join(_REGISTRY),
            "mechanism")
    name = data.pop("mechanism")
    cls = _REGISTRY.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ParameterError(
            f"mechanism = {name!r} is not registered{did_you_mean(name, _REGISTRY)}; known "
            "mechanisms: " + ", ".join(_REGISTRY), "mechanism")
    require_fields(cls, data)
    specs = cls.field_specs()
    missing = [k for k, (_, d) in specs.items() if d is REQUIRED and k not in data]
    if missing:
        raise ParameterError(f"{missing[0]} is required by {name} ({specs[missing[0]][0].doc})",
                             missing[0])
    return cls(**data)


def as_params(params: Parameters | Mapping[str, Any], caller: str = "grokdelay") -> Parameters:
    """A registered mechanism's parameter object from an object or its mapping form.

    Raises ParameterError for a bad mapping and TypeError (listing the mechanisms) for
    anything else.
    """
    if isinstance(params, Mapping):
        try:
            params = from_mapping(params)
        except ParameterError as exc:
            if exc.field == "mechanism":        # the mapping itself is the bad argument
                raise ParameterError(f"params: {exc}", "params") from None
            raise
    if not isinstance(params, Parameters) or type(params).__name__ not in {
            c.__name__ for c in _REGISTRY.values()}:
        raise ArgumentTypeError(
            f"{caller} takes a parameter object of a registered mechanism or a mapping, "
            f"got {type(params).__name__}; mechanisms: "
            + ", ".join(f"{k} ({c.__name__})" for k, c in _REGISTRY.items()), "params")
    return params


def predict_delay(params: Parameters | Mapping[str, Any], *,
                  method: str | None = None) -> DelayPrediction:
    """Predict the grokking delay of one mechanism.

    Parameters
    ----------
    params : Parameters or mapping
        A parameter object of a registered mechanism (e.g. ``LinearTeacherStudent``), or a
        mapping whose key ``"mechanism"`` names one and whose other keys are its fields.
        Scalar fields may be numpy arrays; they broadcast together.
    method : str, optional
        One of the mechanism's methods (``type(params).methods``); ``None`` means its
        default.

    Returns
    -------
    DelayPrediction
        Numeric fields have the broadcast shape of the inputs (Python floats for scalars).

    Raises
    ------
    ParameterError
        A field outside its domain, an unknown mechanism or method, or a method used
        outside the regime where it applies.
    TypeError
        ``params`` is neither a parameter object nor a mapping.
    """
    params = as_params(params, "predict_delay")
    cls = type(params)
    name = resolve_method(cls, method)
    b = params.broadcast()
    # IEEE arithmetic is the intended model at the extremes (a time past 1.8e308 is inf,
    # a subnormal rate gives an inf time); finalize then refuses NaN, and the fuzz suite
    # (tests/test_fuzz.py) checks that every inf carries a note. No RuntimeWarning escapes.
    with np.errstate(all="ignore"):
        out = cls._method_funcs[name](params, b)
        pred = finalize(params, name, b.shape, out)
    for text in dict.fromkeys(out.warnings):     # emitted here, attributed to the caller
        warn(text)
    return pred


def is_scalar_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)

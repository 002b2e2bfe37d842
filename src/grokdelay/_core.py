"""The machinery every mechanism shares.

A mechanism is a frozen dataclass of parameters (a subclass of :class:`Parameters`)
whose fields are declared once with :func:`param` (symbol, domain, one-line meaning).
That declaration drives validation, error messages, the CLI flags, the docs tables and
the conformance tests. Its methods, marked with :func:`method`, receive the scalar
fields already broadcast together and return an :class:`Outcome`; :func:`predict_delay`
turns that into a :class:`DelayPrediction`.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import math
import numbers
import warnings
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

__all__ = [
    "ParameterError",
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
]


class ParameterError(ValueError):
    """An input outside its domain: the message names the field, the value and the domain."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field

    def __reduce__(self):
        # keep ``field`` through pickling (errors sent back by process pools and clusters)
        return (type(self), (str(self), self.field))


class GrokdelayWarning(UserWarning):
    """A valid input in a regime where a formula's assumptions are strained."""


# --------------------------------------------------------------------------- domains


def _fmt(x: float) -> str:
    if x == math.inf:
        return "inf"
    if x == -math.inf:
        return "-inf"
    return f"{x:g}"


@dataclasses.dataclass(frozen=True)
class Interval:
    """A real interval, optionally restricted to integers.

    ``typical`` is a (lo, hi) range that hypothesis draws valid values from; it should
    cover the values a user would plausibly pass.
    """

    lo: float = -math.inf
    hi: float = math.inf
    lo_closed: bool = True
    hi_closed: bool = True
    integer: bool = False
    typical: tuple[float, float] | None = None
    allow_inf: bool = False

    def contains(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        lo_ok = (x >= self.lo) if self.lo_closed else (x > self.lo)
        hi_ok = (x <= self.hi) if self.hi_closed else (x < self.hi)
        ok = lo_ok & hi_ok & ~np.isnan(x)
        if not self.allow_inf:          # an infinite endpoint is a limit, not a value
            ok &= ~np.isinf(x)
        if self.integer:
            ok &= np.isfinite(x) & (np.floor(x) == x)
        return ok

    def __str__(self) -> str:
        if self.integer:
            if self.hi == math.inf:
                lo = math.ceil(self.lo) if self.lo_closed else math.floor(self.lo) + 1
                return f"integers >= {lo}"
            return f"integers in [{_fmt(self.lo)}, {_fmt(self.hi)}]"
        left = "[" if self.lo_closed and self.lo != -math.inf else "("
        right = "]" if self.hi_closed and (self.hi != math.inf or self.allow_inf) else ")"
        return f"{left}{_fmt(self.lo)}, {_fmt(self.hi)}{right}"

    def edges(self) -> list[float]:
        """Closed, finite endpoints: valid values on the domain's edge."""
        out = []
        if self.lo_closed and math.isfinite(self.lo):
            out.append(float(self.lo))
        if self.hi_closed and math.isfinite(self.hi):
            out.append(float(self.hi))
        return out

    def outside(self) -> list[float]:
        """Values just outside the domain (open endpoints and beyond)."""
        out = []
        if math.isfinite(self.lo):
            if not self.lo_closed:
                out.append(float(self.lo))
            out.append(float(self.lo) - max(1.0, abs(self.lo)))
        if math.isfinite(self.hi):
            if not self.hi_closed:
                out.append(float(self.hi))
            out.append(float(self.hi) + max(1.0, abs(self.hi)))
        elif not self.allow_inf:
            out.append(math.inf)
        if self.integer:
            base = self.lo if math.isfinite(self.lo) else 0.0
            out.append(base + 1.5)
        return out


@dataclasses.dataclass(frozen=True)
class Choice:
    """One of a fixed set of strings."""

    values: tuple[str, ...]

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


REQUIRED = dataclasses.MISSING


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """The declaration of one parameter field.

    kind:
      ``"scalar"``  a real number or array; broadcasts with the other scalar fields.
      ``"integer"`` an integer or integer array; broadcasts too.
      ``"choice"``  a string from ``domain.values``; never broadcast.
      ``"custom"``  anything else (a spectrum, a Hessian); validated and converted by
                    ``convert``; never broadcast.
    ``optional``: ``None`` is allowed and means "not given" (see ``doc``).
    ``examples`` / ``invalid_examples``: sample values for the conformance tests of
    ``custom`` fields (scalar fields are drawn from ``domain``).
    """

    symbol: str
    domain: Any
    doc: str
    kind: str = "scalar"
    optional: bool = False
    convert: Callable[[str, Any], Any] | None = None
    examples: tuple = ()
    invalid_examples: tuple = ()
    cli_help: str = ""

    @property
    def broadcasts(self) -> bool:
        return self.kind in ("scalar", "integer")


def param(
    symbol: str,
    domain: Any,
    doc: str,
    default: Any = REQUIRED,
    *,
    kind: str = "scalar",
    optional: bool = False,
    convert: Callable[[str, Any], Any] | None = None,
    examples: tuple = (),
    invalid_examples: tuple = (),
    cli_help: str = "",
) -> Any:
    """Declare a parameter field (use as a dataclass field default)."""
    spec = FieldSpec(symbol, domain, doc, kind, optional, convert, tuple(examples),
                     tuple(invalid_examples), cli_help)
    return dataclasses.field(default=default, metadata={"grokdelay": spec})


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return np.array2string(value, threshold=6, precision=6)
    return repr(value.item() if isinstance(value, np.generic | np.ndarray) else value)


_INF_WORDS = {"inf": math.inf, "+inf": math.inf, "infinity": math.inf, "-inf": -math.inf,
              "-infinity": -math.inf}


def _decode_inf(value: Any) -> Any:
    """Undo the JSON form of ``to_dict``: the strings "inf" / "-inf" become floats."""
    if isinstance(value, str) and value.strip().lower() in _INF_WORDS:
        return _INF_WORDS[value.strip().lower()]
    if isinstance(value, list | tuple):
        return [_decode_inf(v) for v in value]
    return value


def _convert_scalar(name: str, spec: FieldSpec, value: Any) -> Any:
    value = _decode_inf(value)
    if isinstance(value, bool | np.bool_) or isinstance(value, str):
        raise ParameterError(
            f"{name} = {value!r} is not a number; {name} ({spec.symbol}) must lie in "
            f"{spec.domain}: {spec.doc}", name)
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{name} = {value!r} is not a number or array of numbers; {name} ({spec.symbol}) "
            f"must lie in {spec.domain}: {spec.doc}", name) from None
    if arr.dtype == object:
        raise ParameterError(f"{name} = {value!r} is not a numeric array", name)
    ok = spec.domain.contains(arr)
    if not np.all(ok):
        bad = arr[~ok].ravel()[0] if arr.ndim else arr
        where = "" if arr.ndim == 0 else f" (in array of shape {arr.shape})"
        raise ParameterError(
            f"{name} = {_describe(np.asarray(bad))}{where} is outside its domain {spec.domain}: "
            f"{name} ({spec.symbol}) is {spec.doc}", name)
    if arr.ndim == 0:
        return int(arr) if spec.kind == "integer" else float(arr)
    arr = arr.astype(int) if spec.kind == "integer" else arr
    arr.setflags(write=False)
    return arr


def _validate_field(name: str, spec: FieldSpec, value: Any) -> Any:
    if value is None:
        if spec.optional:
            return None
        raise ParameterError(f"{name} is required ({spec.symbol}: {spec.doc}); got None", name)
    if spec.kind in ("scalar", "integer"):
        return _convert_scalar(name, spec, value)
    if spec.kind == "choice":
        if not isinstance(value, str) or value not in spec.domain.values:
            raise ParameterError(f"{name} = {value!r} is not {spec.domain}: {spec.doc}", name)
        return value
    if spec.kind == "custom":
        if spec.convert is None:
            return value
        return spec.convert(name, value)
    raise TypeError(f"unknown field kind {spec.kind!r}")


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
    ``shape`` (0-d for scalar input), other fields as stored. ``None`` optional fields stay
    ``None``.
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


class Parameters:
    """Base class of every mechanism's parameters (a frozen dataclass once registered)."""

    name: ClassVar[str]
    methods: ClassVar[dict[str, str]]
    default_method: ClassVar[str]
    _method_funcs: ClassVar[dict[str, Callable]]

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            spec = f.metadata["grokdelay"]
            object.__setattr__(self, f.name, _validate_field(f.name, spec, getattr(self, f.name)))
        try:
            np.broadcast_shapes(*(np.shape(v) for v in self._broadcast_values().values()))
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

    def _broadcast_values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.metadata["grokdelay"].broadcasts and getattr(self, f.name) is not None}

    @property
    def shape(self) -> tuple[int, ...]:
        """The broadcast shape of the scalar fields (``()`` when all are scalars)."""
        return np.broadcast_shapes(*(np.shape(v) for v in self._broadcast_values().values()))

    def broadcast(self) -> Broadcast:
        """All fields, the scalar ones broadcast together (done once, here)."""
        bvals = self._broadcast_values()
        shape = self.shape
        values: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name in bvals:
                dtype = int if f.metadata["grokdelay"].kind == "integer" else float
                v = np.broadcast_to(np.asarray(v, dtype=dtype), shape)
            values[f.name] = v
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
    """

    t_mem: Any
    t_grok: Any
    units: str = "steps"
    notes: list[str] = dataclasses.field(default_factory=list)
    delay: Any = None
    log_delay: Any = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


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
    if m.ndim == 0 or m.all():
        return [text] if m.ndim == 0 else [f"{text} (at all {m.size} points)"]
    return [f"{text} (at {int(m.sum())} of {m.size} points)"]


def finalize(params: Parameters, method_name: str, shape: tuple[int, ...],
              out: Outcome) -> DelayPrediction:
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
    for k, v in values.items():
        if np.isnan(v).any():
            raise FloatingPointError(
                f"internal error: {params.name}/{method_name} produced NaN in {k} for "
                f"{params!r}; please report it")
    values = {k: _scalarize(v) if not shape else np.array(v) for k, v in values.items()}
    notes = tuple(dict.fromkeys(out.notes))  # de-duplicate, keep order
    return DelayPrediction(params.name, method_name, units=out.units, notes=notes,
                           params=params, extra=dict(out.extra), **values)


def from_mapping(mapping: Mapping[str, Any]) -> Parameters:
    data = dict(mapping)
    if "mechanism" not in data:
        raise ParameterError(
            "mapping has no 'mechanism' key; it must name one of " + ", ".join(_REGISTRY),
            "mechanism")
    name = data.pop("mechanism")
    cls = _REGISTRY.get(name)
    if cls is None:
        raise ParameterError(
            f"mechanism = {name!r} is not registered; known mechanisms: " + ", ".join(_REGISTRY),
            "mechanism")
    specs = cls.field_specs()
    unknown = [k for k in data if k not in specs]
    if unknown:
        raise ParameterError(
            f"{unknown[0]} is not a field of {name} ({cls.__name__}); its fields are: "
            + ", ".join(specs), unknown[0])
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
        params = from_mapping(params)
    if not isinstance(params, Parameters) or type(params).__name__ not in {
            c.__name__ for c in _REGISTRY.values()}:
        raise TypeError(
            f"{caller} takes a parameter object of a registered mechanism or a mapping, "
            f"got {type(params).__name__}; mechanisms: "
            + ", ".join(f"{k} ({c.__name__})" for k, c in _REGISTRY.items()))
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
    name = cls.default_method if method is None else method
    func = cls._method_funcs.get(name)
    if func is None:
        raise ParameterError(
            f"method = {name!r} is not a method of {cls.name}; it has: "
            + ", ".join(cls.methods), "method")
    b = params.broadcast()
    out = func(params, b)
    return finalize(params, name, b.shape, out)


def moved_names(old_module: str, moves: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for names that moved: ``{old_name: "new.module:new_name"}``.

    The old name keeps working, with a ``DeprecationWarning`` naming the new home. The new
    module is imported on first access only, so a module below it in the layering does not
    import it.
    """

    def __getattr__(name: str) -> Any:
        target = moves.get(name)
        if target is None:
            raise AttributeError(f"module {old_module!r} has no attribute {name!r}")
        module, _, new = target.partition(":")
        warnings.warn(f"{old_module}.{name} is deprecated; use {module}.{new}",
                      DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(module), new)

    return __getattr__


def positive_array(name: str, value: Any, *, allow_zero: bool = False,
                   below_one: bool = False) -> np.ndarray:
    """A float array argument of a public helper in (0, inf), [0, inf), (0, 1) or [0, 1).

    NaN and inf are rejected; a ParameterError names the argument, the value and the domain.
    (Fields of a parameter object are checked by their declaration instead.)
    """
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} = {value!r} is not a number or array of numbers", name) \
            from None
    ok = np.isfinite(arr) & ((arr >= 0) if allow_zero else (arr > 0))
    if below_one:
        ok &= arr < 1
    if not np.all(ok):
        bad = arr[~ok].ravel()[0] if arr.ndim else arr
        dom = ("[0" if allow_zero else "(0") + (", 1)" if below_one else ", inf)")
        raise ParameterError(f"{name} = {float(bad)!r} is outside its domain {dom}", name)
    return arr


def is_scalar_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)

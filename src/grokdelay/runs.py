r"""Real training runs: :class:`TrainingRun`, its hyperparameters, and its observed milestones.

A :class:`TrainingRun` is one logged run: strictly increasing optimizer ``steps``, train and
test accuracy in [0, 1] per record, optionally the losses and the parameter norm (the total
:math:`\lVert\theta\rVert_2` and named groups), and ``hyper``, the run's hyperparameters
under the library's names and conventions (see :doc:`/conventions`):

=================  =====================================================================
``learning_rate``  :math:`\eta` of the parameters the optimizer is named after (for Muon:
                   the matrix parameters; the rest in ``adamw_learning_rate``)
``weight_decay``   :math:`\lambda` in :math:`\theta \leftarrow \theta - \eta(\nabla L +
                   \lambda\theta)`; decoupled for AdamW (:math:`\theta \leftarrow \theta -
                   \eta\lambda\theta - \eta\,\mathrm{adam\_step}`), i.e. PyTorch's own
                   ``weight_decay`` for ``SGD``, ``Adam`` (coupled L2) and ``AdamW``
``optimizer``      ``"sgd"``, ``"adamw"``, ``"adam"`` (no weight decay), ``"adam_l2"``
                   (Adam with coupled L2 weight decay), ``"muon"``, ... (lower case)
``init_scale``     multiplier of the default initialization
``train_fraction`` fraction of the data set used for training, in (0, 1]
``batch_size``     examples per optimizer step
``loss``           e.g. ``"cross_entropy"``, ``"mse"``
=================  =====================================================================

Unknown keys are kept as given. Conversions done at the edge (and recorded in
``run.notes``): aliases (``lr``, ``wd``, ``train_frac``, ...); ``"adam"`` with a positive
weight decay becomes ``"adam_l2"`` (PyTorch's ``Adam(weight_decay=...)`` adds
:math:`\lambda\theta` to the gradient, before the adaptive scaling); a per-step decay
factor ``decay_per_step`` (:math:`\theta \leftarrow (1 - d)\theta`, the
Loshchilov-Hutter form without the learning rate) becomes ``weight_decay = d / eta``;
``train_fraction`` given in percent raises (a hint says so) rather than being guessed.

Milestones (:meth:`TrainingRun.milestones`) are first crossings with an optional
persistence window (Tan et al. 2026, appendix F.4), computed by
:func:`grokdelay.milestones.sustained_time`. A log that ends before a milestone is
**right-censored**: the milestone is ``inf`` with a note "censored at step S", and
``extra["censored"]`` is True; that is not a theory's "never groks", which a finite log
cannot observe.
"""

from __future__ import annotations

import html
import math
import types
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._core import FieldSpec, Interval, ParameterError, decode_inf, validate_field
from .observations import Milestones, as_column, as_threshold, derived, sustained_time

__all__ = ["TrainingRun", "normalize_hyper", "column_key", "plain", "HYPER_FIELDS",
           "HYPER_ALIASES"]

_POS = Interval(0.0, math.inf, lo_closed=False, typical=(1e-5, 1.0))

#: Declarations of the hyperparameters the library knows (others are kept unchecked).
HYPER_FIELDS: dict[str, FieldSpec] = {
    "learning_rate": FieldSpec("eta", _POS, "the learning rate (step size) eta"),
    "weight_decay": FieldSpec("lambda", Interval(0.0, math.inf, typical=(0.0, 1.0)),
                              "weight decay lambda in theta <- theta - eta (grad L + lambda "
                              "theta) (decoupled for AdamW)"),
    "init_scale": FieldSpec("alpha", _POS, "multiplier of the default initialization"),
    "train_fraction": FieldSpec("f", Interval(0.0, 1.0, lo_closed=False, typical=(0.1, 0.9)),
                                "fraction of the data used for training (a fraction, not "
                                "percent)"),
    "batch_size": FieldSpec("B", Interval(1, math.inf, integer=True), "examples per step",
                            kind="integer"),
    "steps_per_epoch": FieldSpec("S", Interval(1, math.inf, integer=True),
                                 "optimizer steps per epoch", kind="integer"),
    "n_train": FieldSpec("n", Interval(1, math.inf, integer=True), "training examples",
                         kind="integer"),
    "momentum": FieldSpec("mu", Interval(0.0, 1.0, hi_closed=False), "momentum coefficient"),
    "seed": FieldSpec("seed", Interval(-math.inf, math.inf, integer=True), "random seed",
                      kind="integer"),
}

#: Aliases of hyperparameter names (compared after lower-casing and mapping '-', ' ', '/'
#: and '.' to '_').
HYPER_ALIASES: dict[str, str] = {
    "lr": "learning_rate", "eta": "learning_rate", "learningrate": "learning_rate",
    "wd": "weight_decay", "weightdecay": "weight_decay", "l2": "weight_decay",
    "opt": "optimizer", "optim": "optimizer", "optimizer_name": "optimizer",
    "train_frac": "train_fraction", "frac_train": "train_fraction",
    "training_fraction": "train_fraction", "train_split": "train_fraction",
    "init": "init_scale", "initialization_scale": "init_scale", "init_multiplier": "init_scale",
    "bs": "batch_size", "batch": "batch_size", "batchsize": "batch_size",
    "loss_fn": "loss", "loss_function": "loss", "criterion": "loss",
    "random_seed": "seed", "train_size": "n_train", "n_train_examples": "n_train",
}

_OPTIMIZER_ALIASES = {"sgdm": "sgd", "sgd_momentum": "sgd", "adam_w": "adamw",
                      "adam_coupled": "adam_l2", "adaml2": "adam_l2"}


def column_key(name: str) -> str:
    """A name as the readers compare it: lower case, ``-``, ``/``, ``.`` and spaces as ``_``.

    >>> column_key("Val/Acc")
    'val_acc'
    """
    k = str(name).strip().lower()
    for ch in "-/ .":
        k = k.replace(ch, "_")
    return k


def normalize_hyper(hyper: Mapping[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """Hyperparameters under the library's names and conventions, and the conversions made.

    Parameters
    ----------
    hyper : mapping or None
        As logged: aliases (``lr``, ``wd``, ``train_frac``, ...) and library names.

    Returns
    -------
    (dict, list of str)
        The normalized mapping (known fields validated, unknown keys kept) and one note per
        conversion.

    Raises
    ------
    ParameterError
        A known field outside its domain (``train_fraction = 40``: percent?), or two keys
        that mean the same field with different values (``lr`` and ``learning_rate``).

    Examples
    --------
    >>> normalize_hyper({"lr": 1e-3, "wd": 0.1, "optimizer": "Adam"})[0]
    {'learning_rate': 0.001, 'weight_decay': 0.1, 'optimizer': 'adam_l2'}
    """
    if hyper is None:
        return {}, []
    if not isinstance(hyper, Mapping):
        raise ParameterError(f"hyper = {hyper!r} is not a mapping of hyperparameters", "hyper")
    out: dict[str, Any] = {}
    origin: dict[str, str] = {}
    notes: list[str] = []
    for raw, value in hyper.items():
        value = decode_inf(value) if isinstance(value, str) else value   # JSON's "inf"
        k = column_key(raw)
        name = HYPER_ALIASES.get(k, k if k in HYPER_FIELDS or k in ("optimizer", "loss")
                                 else str(raw))
        if name in out and not _same(out[name], value):
            raise ParameterError(f"hyper: {origin[name]!r} = {out[name]!r} and {raw!r} = "
                                 f"{value!r} both give {name}", name)
        out[name] = value
        origin.setdefault(name, str(raw))
        if name != raw and name in HYPER_FIELDS | {"optimizer": None, "loss": None}:
            notes.append(f"hyper: {raw!r} read as {name!r}")
    for name, spec in HYPER_FIELDS.items():
        if out.get(name) is None:
            out.pop(name, None)
            continue
        v = out[name]
        if isinstance(v, str):
            try:
                v = float(v)
            except ValueError:
                pass
        if spec.kind == "integer" and isinstance(v, float) and v.is_integer():
            v = int(v)
        try:
            out[name] = validate_field(name, spec, v)
        except ParameterError as exc:
            hint = ""
            if name == "train_fraction" and isinstance(v, int | float) and 1 < v <= 100:
                hint = f" (percent? give {v / 100:g})"
            raise ParameterError(f"hyper[{origin[name]!r}]: {exc}{hint}", name) from None
    if "decay_per_step" in out:
        d = float(out.pop("decay_per_step"))
        if "learning_rate" not in out:
            raise ParameterError("hyper: decay_per_step (theta <- (1 - d) theta each step) "
                                 "needs learning_rate to give weight_decay = d / "
                                 "learning_rate", "learning_rate")
        wd = d / out["learning_rate"]
        if "weight_decay" in out and not math.isclose(out["weight_decay"], wd, rel_tol=1e-12):
            raise ParameterError(f"hyper: weight_decay = {out['weight_decay']!r} and "
                                 f"decay_per_step / learning_rate = {wd!r} disagree",
                                 "weight_decay")
        out["weight_decay"] = wd
        notes.append(f"hyper: decay_per_step = {d:g} converted to weight_decay = "
                     f"d / learning_rate = {wd:g}")
    if column_key(str(out.get("optimizer", ""))) == "muon" and "muon_lr" in out:
        # Muon drives the matrix parameters at muon_lr; the rest (embeddings, gains,
        # biases) are trained by AdamW at lr. learning_rate is Muon's.
        if "learning_rate" in out:
            out["adamw_learning_rate"] = out["learning_rate"]
        out["learning_rate"] = validate_field("learning_rate", HYPER_FIELDS["learning_rate"],
                                               float(out.pop("muon_lr")))
        notes.append("hyper: Muon run: learning_rate = muon_lr (the matrix parameters'); "
                     "lr, the AdamW rate of the other parameters, is adamw_learning_rate")
    if "optimizer" in out and out["optimizer"] is not None:
        raw_opt = out["optimizer"]
        if not isinstance(raw_opt, str):
            raise ParameterError(f"hyper: optimizer = {raw_opt!r} is not a name", "optimizer")
        opt = column_key(raw_opt)
        opt = _OPTIMIZER_ALIASES.get(opt, opt)
        if opt == "adam" and out.get("weight_decay", 0.0) > 0:
            opt = "adam_l2"
            notes.append("hyper: optimizer 'adam' with weight_decay > 0 read as 'adam_l2' "
                         "(coupled L2: lambda theta is added to the gradient before Adam's "
                         "scaling, as PyTorch's Adam(weight_decay=...) does)")
        elif opt != raw_opt:
            notes.append(f"hyper: optimizer {raw_opt!r} read as {opt!r}")
        out["optimizer"] = opt
    return out, notes


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) or float(a) == float(b)
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- validation


def _label(field: str, sources: Mapping[str, str]) -> str:
    src = sources.get(field)
    return field if src is None or src == field else f"{field} (column {src!r})"


def _column(field: str, values: Any, n: int | None, sources: Mapping[str, str]) -> np.ndarray:
    return as_column(_label(field, sources), values, n, field=sources.get(field, field))


def _check_steps(values: Any, sources: Mapping[str, str]) -> np.ndarray:
    s = _column("steps", values, None, sources)
    col = sources.get("steps", "steps")
    lab = _label("steps", sources)
    if s.size == 0:
        raise ParameterError(f"{lab} is empty: a run needs at least one record", col)
    bad = ~np.isfinite(s)
    if bad.any():
        i = int(np.argmax(bad))
        raise ParameterError(f"{lab}[{i}] = {s[i]!r}: steps must be finite numbers", col)
    if s[0] < 0:
        raise ParameterError(f"{lab}[0] = {s[0]:g}: optimizer steps are >= 0", col)
    d = np.diff(s)
    if np.any(d <= 0):
        i = int(np.argmax(d <= 0))
        what = "duplicate" if d[i] == 0 else "decreasing"
        raise ParameterError(
            f"{lab} must be strictly increasing, but record {i} has step {s[i]:g} and record "
            f"{i + 1} has step {s[i + 1]:g} ({what} steps; a restarted run appended to the same "
            "log? keep one segment)", col)
    return s


def _check_values(field: str, v: np.ndarray, steps: np.ndarray, sources: Mapping[str, str],
                  *, nan: str, hi: float | None, percent: bool) -> np.ndarray:
    lab, col = _label(field, sources), sources.get(field, field)
    isnan = np.isnan(v)
    if isnan.any() and nan == "raise":
        i = int(np.argmax(isnan))
        raise ParameterError(
            f"{col}[{i}]{'' if col == field else f' ({field})'} is missing or NaN (step "
            f"{steps[i]:g}; {int(isnan.sum())} of {v.size} records); policy: NaN is never "
            "guessed. Pass nan='drop' to drop the records "
            "whose accuracies are missing (e.g. test accuracy evaluated less often), or "
            "nan='fail' to keep them as not meeting any threshold (a diverged run)", col)
    finite = v[~isnan]
    if np.any(np.isinf(finite)):
        raise ParameterError(f"{lab} contains an infinite value", col)
    if hi is not None:
        top = hi * (100.0 if percent else 1.0)
        if np.any(finite < 0) or np.any(finite > top):
            bad = finite[(finite < 0) | (finite > top)][0]
            hint = ""
            if not percent and 1 < bad <= 100:
                hint = (" (these look like percentages: pass percent=True to read "
                        "accuracies in percent)")
            raise ParameterError(f"{lab} contains {bad:g}, outside [0, {top:g}]{hint}", col)
        if percent:
            v = v / 100.0
    elif np.any(finite < 0):
        raise ParameterError(f"{lab} contains {finite[finite < 0][0]:g}; it must be >= 0", col)
    return v


def _frozen(a: np.ndarray | None) -> np.ndarray | None:
    if a is not None:
        a.setflags(write=False)
    return a


def _same_array(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


# --------------------------------------------------------------------------- the run


class TrainingRun:
    """One logged training run, validated and under the library's conventions.

    Parameters
    ----------
    steps : array_like, shape (n,)
        Optimizer steps of the records: finite, >= 0, strictly increasing.
    train_acc, test_acc : array_like, shape (n,)
        Accuracies in [0, 1] (in [0, 100] with ``percent=True``).
    train_loss, test_loss : array_like, shape (n,), optional
        Losses (>= 0).
    norm : array_like or mapping, optional
        The L2 norm of all parameters per record, or a mapping of named groups
        ``{group: norms}``, optionally with a ``"total"`` entry. Without one, the total is the
        root-sum-square of the groups (exact when the groups partition the parameters).
    hyper : mapping, optional
        Hyperparameters; normalized by :func:`normalize_hyper` (aliases, conventions).
    name : str, optional
        A label (readers use the file name).
    meta, summary : mapping, optional
        What the log says about itself, verbatim (a JSONL ``_meta`` line, a ``_summary``
        line). Kept for reference; never read as data. :meth:`until` drops ``summary``
        (it is written after the run ends).
    extra : mapping of str to array_like, optional
        Other logged series (one value per record), kept as float arrays.
    nan : {"raise", "drop", "fail"}
        Policy for missing (NaN) values. ``"raise"`` (default): any NaN raises
        :class:`~grokdelay.ParameterError` naming the column and the step. ``"drop"``: records
        whose train or test accuracy is NaN are dropped (a note counts them); NaN losses and
        norms are kept as "not logged at that record". ``"fail"``: NaN accuracies are kept
        and count as not meeting any threshold (a diverged run).
    percent : bool
        Accuracies are given in percent (divided by 100 here). Without it, an accuracy
        above 1 raises with a hint.

    Attributes
    ----------
    steps, train_acc, test_acc, train_loss, test_loss : ndarray (read-only)
    norm : ndarray or None
        The total parameter norm per record.
    norm_groups : mapping of str to ndarray
        Named groups (empty when none were logged).
    hyper : mapping
    notes : tuple of str
        Conversions made on the way in (aliases, units, dropped records).

    Examples
    --------
    >>> run = TrainingRun([0, 100, 200, 300], [0.2, 1.0, 1.0, 1.0], [0.1, 0.2, 0.5, 0.97],
    ...                   hyper={"lr": 1e-3, "wd": 1.0, "optimizer": "AdamW"})
    >>> run.hyper["weight_decay"], run.hyper["optimizer"]
    (1.0, 'adamw')
    >>> m = run.milestones(threshold=0.95)
    >>> m.t_mem, m.t_grok
    (100.0, 300.0)
    >>> run.until(200).milestones().t_grok
    inf
    >>> run.until(200).milestones().notes[0][:48]
    'no grokking: censored at step 200 (test accuracy'
    """

    def __init__(self, steps: Any, train_acc: Any, test_acc: Any, train_loss: Any = None,
                 test_loss: Any = None, norm: Any = None, hyper: Mapping[str, Any] | None = None,
                 *, name: str | None = None, meta: Mapping[str, Any] | None = None,
                 summary: Mapping[str, Any] | None = None,
                 extra: Mapping[str, Any] | None = None, nan: str = "raise",
                 percent: bool = False, notes: tuple[str, ...] = (),
                 sources: Mapping[str, str] | None = None):
        if nan not in ("raise", "drop", "fail"):
            raise ParameterError(f"nan = {nan!r} is not one of 'raise', 'drop', 'fail'", "nan")
        src = dict(sources or {})
        s = _check_steps(steps, src)
        n = s.size
        series: dict[str, np.ndarray | None] = {}
        for field, values in (("train_acc", train_acc), ("test_acc", test_acc),
                              ("train_loss", train_loss), ("test_loss", test_loss)):
            if values is None:
                if field in ("train_acc", "test_acc"):
                    raise ParameterError(f"{field} is required: a run needs train and test "
                                         "accuracy per record", field)
                series[field] = None
                continue
            v = _column(field, values, n, src)
            is_acc = field.endswith("_acc")
            series[field] = _check_values(field, v, s, src, nan=nan if is_acc else
                                          ("raise" if nan == "raise" else "keep"),
                                          hi=1.0 if is_acc else None,
                                          percent=percent and is_acc)
        total, groups = self._norms(norm, n, s, src, nan)
        extras: dict[str, np.ndarray] = {}
        for k, values in (extra or {}).items():
            extras[str(k)] = _column(str(k), values, n, src)
        my_notes = list(notes)
        if nan == "drop":
            keep = ~(np.isnan(series["train_acc"]) | np.isnan(series["test_acc"]))
            if not keep.all():
                dropped = int((~keep).sum())
                if not keep.any():
                    raise ParameterError("every record has a missing train or test accuracy: "
                                         "nothing is left after nan='drop'",
                                         src.get("test_acc", "test_acc"))
                my_notes.append(f"{dropped} record(s) without both accuracies dropped "
                                "(nan='drop')")
                s = s[keep]
                series = {k: None if v is None else v[keep] for k, v in series.items()}
                total = None if total is None else total[keep]
                groups = {k: v[keep] for k, v in groups.items()}
                extras = {k: v[keep] for k, v in extras.items()}
        h, hnotes = normalize_hyper(hyper)
        self._steps = _frozen(s)
        self._train_acc = _frozen(series["train_acc"])
        self._test_acc = _frozen(series["test_acc"])
        self._train_loss = _frozen(series["train_loss"])
        self._test_loss = _frozen(series["test_loss"])
        self._norm = _frozen(total)
        self._groups = types.MappingProxyType({k: _frozen(v) for k, v in groups.items()})
        self._extra = types.MappingProxyType({k: _frozen(v) for k, v in extras.items()})
        self._hyper = types.MappingProxyType(h)
        self.name = name
        self.meta = types.MappingProxyType(dict(meta or {}))
        self.summary = None if summary is None else types.MappingProxyType(dict(summary))
        self.notes = tuple(my_notes) + tuple(n for n in hnotes if n not in my_notes)
        self._nan = nan

    @staticmethod
    def _norms(norm: Any, n: int, s: np.ndarray, src: Mapping[str, str], nan: str):
        policy = "raise" if nan == "raise" else "keep"
        if norm is None:
            return None, {}
        if isinstance(norm, Mapping):
            groups, total = {}, None
            for g, values in norm.items():
                field = "norm" if g == "total" else f"norm[{g}]"
                v = _check_values(field, _column(field, values, n, src), s, src, nan=policy,
                                  hi=None, percent=False)
                if g == "total":
                    total = v
                else:
                    groups[str(g)] = v
            if total is None and groups:
                total = np.sqrt(np.sum([g ** 2 for g in groups.values()], axis=0))
            return total, groups
        v = _column("norm", norm, n, src)
        return _check_values("norm", v, s, src, nan=policy, hi=None, percent=False), {}

    # ------------------------------------------------------------------ data

    steps = property(lambda self: self._steps, doc="Optimizer steps of the records.")
    train_acc = property(lambda self: self._train_acc, doc="Train accuracy in [0, 1].")
    test_acc = property(lambda self: self._test_acc, doc="Test accuracy in [0, 1].")
    train_loss = property(lambda self: self._train_loss, doc="Train loss, or None.")
    test_loss = property(lambda self: self._test_loss, doc="Test loss, or None.")
    norm = property(lambda self: self._norm, doc="Total parameter norm per record, or None.")
    norm_groups = property(lambda self: self._groups, doc="Named parameter-norm groups.")
    hyper = property(lambda self: self._hyper, doc="Hyperparameters (library conventions).")
    extra = property(lambda self: self._extra, doc="Other logged series, by name.")

    def __len__(self) -> int:
        return int(self._steps.size)

    @property
    def last_step(self) -> float:
        """The last logged step: where a log that has not grokked is censored."""
        return float(self._steps[-1])

    def _replace(self, keep: np.ndarray | slice, *, summary: Any, notes: tuple[str, ...]):
        def cut(a):
            return None if a is None else a[keep]
        norm: Any = None
        if self._norm is not None:
            norm = {"total": self._norm[keep], **{k: v[keep] for k, v in self._groups.items()}}
        return TrainingRun(self._steps[keep], self._train_acc[keep], self._test_acc[keep],
                           cut(self._train_loss), cut(self._test_loss), norm, dict(self._hyper),
                           name=self.name, meta=self.meta, summary=summary,
                           extra={k: v[keep] for k, v in self._extra.items()},
                           nan="raise" if self._nan == "raise" else "fail", notes=notes)

    def until(self, step: float) -> TrainingRun:
        """The log cut at ``step`` (records with ``steps <= step``): what a prediction made
        at that step may see.

        ``hyper`` and ``meta`` are kept; ``summary`` is dropped (it is written after the
        run and may hold its milestones).

        Raises
        ------
        ParameterError
            ``step`` is not a number or lies before the first record.
        """
        try:
            st = float(step)
        except (TypeError, ValueError):
            raise ParameterError(f"step = {step!r} is not a number", "step") from None
        if math.isnan(st) or st < self._steps[0]:
            raise ParameterError(f"step = {step!r} is before the first record (step "
                                 f"{self._steps[0]:g}): nothing would be left", "step")
        k = int(np.searchsorted(self._steps, st, side="right"))
        note = f"cut at step {st:g} (run.until)"
        return self._replace(slice(0, k), summary=None, notes=self.notes + (note,))

    def milestones(self, threshold: float = 0.95, train_threshold: float | None = None,
                   window: float = 0.0, *, loss_threshold: float | None = None):
        """Observed t_mem (train accuracy) and t_grok (test accuracy) of this run.

        Parameters
        ----------
        threshold : float
            Test-accuracy threshold of grokking, in [0, 1].
        train_threshold : float, optional
            Train-accuracy threshold of memorization (default: ``threshold``).
        window : float
            Persistence window in steps (Tan et al. 2026, F.4): a milestone is the first record
            from which the accuracy stays at or above its threshold through
            ``step + window`` (0: the first crossing).
        loss_threshold : float, optional
            Also the loss clocks ``extra["t_mem_loss"]`` / ``extra["t_grok_loss"]``.

        Returns
        -------
        Milestones
            A milestone the log does not reach (or whose window it does not complete) is
            ``inf`` with a note "censored at step S"; ``extra["censored"]`` is True,
            ``extra["censored_at"]`` is S and ``extra["censored_milestones"]`` names them
            (``("t_grok",)``, or ``("t_mem", "t_grok")``). ``extra`` also has the first crossings, the
            norm at the milestones (``norm_mem``, ``norm_grok``; ``inf`` when censored)
            and the norm series, as :func:`grokdelay.milestones.milestones_from_log` does.
        """
        return _observe(self, threshold, train_threshold, window, loss_threshold)

    # ------------------------------------------------------------------ export

    def columns(self) -> dict[str, np.ndarray]:
        """The run as columns: ``step``, accuracies, losses, ``norm``, ``<group>_norm``,
        and the extra series (the names :func:`grokdelay.logs.read_run` reads back)."""
        out: dict[str, np.ndarray] = {"step": self._steps, "train_acc": self._train_acc,
                                      "test_acc": self._test_acc}
        for k in ("train_loss", "test_loss"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        if self._norm is not None:
            out["norm"] = self._norm
        for g, v in self._groups.items():
            out[f"{g}_norm"] = v
        out.update(self._extra)
        return out

    def to_csv(self, path: Any = None) -> str:
        """Write the :meth:`columns` as CSV with a header (floats round-trip exactly, missing
        values empty) to ``path`` if given; return the text. The hyperparameters are not in a
        CSV: give them to ``read_run(path, hyper=run.hyper)``, or use :meth:`to_jsonl`."""
        import csv
        import io

        cols = self.columns()
        integral = bool(np.all(np.floor(self._steps) == self._steps))
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(list(cols))
        for i in range(len(self)):
            w.writerow([_cell(v[i], integral and k == "step") for k, v in cols.items()])
        text = buf.getvalue()
        if path is not None:
            with open(path, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        return text

    def to_jsonl(self, path: Any = None) -> str:
        """Write the run as JSONL: a ``{"_meta": hyper}`` line, one record per line (missing
        values as null) and the ``_summary`` line if the run has one; return the text."""
        import json

        cols = self.columns()
        integral = bool(np.all(np.floor(self._steps) == self._steps))
        lines = [json.dumps({"_meta": plain(self._hyper)}, allow_nan=False)]
        for i in range(len(self)):
            rec = {}
            for k, v in cols.items():
                x = float(v[i])
                rec[k] = None if math.isnan(x) else (int(x) if integral and k == "step" else x)
            lines.append(json.dumps(rec, allow_nan=False))
        if self.summary is not None:
            lines.append(json.dumps({"_summary": plain(self.summary)}, allow_nan=False))
        text = "\n".join(lines) + "\n"
        if path is not None:
            with open(path, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        return text

    def to_pandas(self):
        """A :class:`pandas.DataFrame`, one row per record (pandas is an optional extra);
        ``df.attrs["hyper"]`` holds the hyperparameters, so ``read_run(df)`` restores them."""
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is in the test extra
            raise ImportError("TrainingRun.to_pandas needs pandas: pip install pandas") from None
        cols = self.columns()
        if np.all(np.floor(self._steps) == self._steps):
            cols["step"] = self._steps.astype(np.int64)
        df = pd.DataFrame({k: np.array(v) for k, v in cols.items()})
        df.attrs["hyper"] = dict(self._hyper)
        if self.name is not None:
            df.attrs["name"] = self.name
        return df

    # ------------------------------------------------------------------ comparison, repr

    def __eq__(self, other: object) -> bool:
        """Same records, series, norm groups and hyperparameters (name, meta and notes
        are labels, not data)."""
        if not isinstance(other, TrainingRun):
            return NotImplemented
        pairs = [(self._steps, other._steps), (self._train_acc, other._train_acc),
                 (self._test_acc, other._test_acc), (self._train_loss, other._train_loss),
                 (self._test_loss, other._test_loss), (self._norm, other._norm)]
        if not all(_same_array(a, b) for a, b in pairs):
            return False
        if set(self._groups) != set(other._groups) or set(self._extra) != set(other._extra):
            return False
        if not all(_same_array(v, other._groups[k]) for k, v in self._groups.items()):
            return False
        if not all(_same_array(v, other._extra[k]) for k, v in self._extra.items()):
            return False
        return dict(self._hyper) == dict(other._hyper)

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self) -> dict[str, Any]:      # mappingproxy does not pickle
        return {k: dict(v) if isinstance(v, types.MappingProxyType) else v
                for k, v in self.__dict__.items()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            if isinstance(v, np.ndarray):
                _frozen(v)
        for k in ("_groups", "_extra"):
            state[k] = {g: _frozen(a) for g, a in state[k].items()}
        for k in ("_groups", "_extra", "_hyper", "meta"):
            state[k] = types.MappingProxyType(state[k])
        if state.get("summary") is not None:
            state["summary"] = types.MappingProxyType(state["summary"])
        self.__dict__.update(state)

    def _summary_items(self) -> list[tuple[str, str]]:
        s = self._steps
        items = [("records", f"{s.size} (steps {s[0]:g} to {s[-1]:g})"),
                 ("train_acc", f"{self._train_acc[0]:.3g} to {self._train_acc[-1]:.3g}"),
                 ("test_acc", f"{self._test_acc[0]:.3g} to {self._test_acc[-1]:.3g}")]
        logged = [k for k in ("train_loss", "test_loss") if getattr(self, k) is not None]
        if self._norm is not None:
            logged.append("norm" + (f" (+ {', '.join(self._groups)})" if self._groups else ""))
        if self._extra:
            logged.append(f"{len(self._extra)} extra series")
        if logged:
            items.append(("also", ", ".join(logged)))
        keys = [k for k in ("optimizer", "learning_rate", "weight_decay", "init_scale",
                            "train_fraction", "seed") if k in self._hyper]
        if keys:
            more = len(self._hyper) - len(keys)
            items.append(("hyper", ", ".join(f"{k}={self._hyper[k]!r}" for k in keys)
                          + (f" (+{more} more)" if more > 0 else "")))
        return items

    def __repr__(self) -> str:
        head = f"TrainingRun({self.name!r}" if self.name else "TrainingRun("
        body = "; ".join(f"{k}: {v}" for k, v in self._summary_items())
        return f"{head}{', ' if self.name else ''}{body})"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
                       for k, v in self._summary_items())
        title = html.escape(f"TrainingRun {self.name}" if self.name else "TrainingRun")
        return f"<table><caption>{title}</caption>{rows}</table>"


def plain(value: Any) -> Any:
    """JSON-ready: mappings and sequences recursively, numpy scalars as Python numbers,
    non-finite floats as the strings "inf", "-inf", "nan" (read back by the readers)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _cell(x: float, as_int: bool) -> str:
    x = float(x)
    if math.isnan(x):
        return ""
    return str(int(x)) if as_int else repr(x)


# --------------------------------------------------------------------------- milestones


def _observe(run: TrainingRun, threshold: Any, train_threshold: Any, window: Any,
             loss_threshold: Any):
    a_test = as_threshold("threshold", threshold, 0.0, 1.0)
    a_train = a_test if train_threshold is None else as_threshold("train_threshold",
                                                                   train_threshold, 0.0, 1.0)
    try:
        w = float(window)
    except (TypeError, ValueError):
        w = math.nan
    if isinstance(window, bool) or not (w >= 0 and math.isfinite(w)):
        raise ParameterError(f"window = {window!r} is outside its domain [0, inf)", "window")
    s, last = run.steps, run.last_step
    notes: list[str] = []
    extra: dict[str, Any] = {}
    censored: list[str] = []
    found = {}
    for key, what, series, thr in (("mem", "train accuracy", run.train_acc, a_train),
                                   ("grok", "test accuracy", run.test_acc, a_test)):
        t, i, why = sustained_time(s, series, thr, window=w)
        found[key] = (t, i)
        with np.errstate(invalid="ignore"):
            hit = series >= thr
        extra[f"first_crossing_{key}"] = float(s[int(np.argmax(hit))]) if hit.any() else math.inf
        if math.isinf(t):
            censored.append(f"t_{key}")
            word = "memorization" if key == "mem" else "grokking"
            notes.append(f"no {word}: censored at step {last:g} ({what} {why}); the log ends "
                         f"first, which is not the theories' 'never groks'")
    tm, tg = found["mem"][0], found["grok"][0]
    if math.isinf(tm) and math.isfinite(tg):
        notes.append("the test accuracy reaches its threshold but the train accuracy does "
                     "not: no delay can be measured (delay = inf); check the thresholds")
    delay, ratio, log_delay, more = derived(tm, tg)
    notes += more
    extra["censored"] = bool(censored)
    extra["censored_at"] = last if censored else None
    extra["censored_milestones"] = tuple(censored)
    for name in ("train_loss", "test_loss"):
        if getattr(run, name) is not None:
            extra[name] = getattr(run, name)
    if loss_threshold is not None:
        try:
            lt = float(loss_threshold)
        except (TypeError, ValueError):
            lt = math.nan
        if not (lt >= 0 and math.isfinite(lt)):
            raise ParameterError(f"loss_threshold = {loss_threshold!r} is outside [0, inf)",
                                 "loss_threshold")
        for key, name in (("t_mem_loss", "train_loss"), ("t_grok_loss", "test_loss")):
            series = getattr(run, name)
            if series is None:
                continue
            t, _, why = sustained_time(s, series, lt, window=w, above=False)
            extra[key] = t
            if why:
                notes.append(f"{name}: censored at step {last:g} ({name} {why})")
    if run.norm is not None:
        nv = run.norm
        extra["norms"] = nv
        extra["steps"] = s
        for key, idx in (("norm_mem", found["mem"][1]), ("norm_grok", found["grok"][1])):
            extra[key] = float(nv[idx]) if idx is not None and np.isfinite(nv[idx]) else math.inf
    return Milestones(tm, tg, delay, ratio, log_delay, "steps", tuple(notes),
                      {"train": a_train, "test": a_test, "window": w}, extra)

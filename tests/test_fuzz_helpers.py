"""Fuzz of the public helpers (issue 14 item 2): milestones, sweeps, plotting, the
norm_separation tools, the toolkits (clock_estimators, deep_linear, modular_kernel),
linear_teacher_student losses/accuracies, the mechanisms' helper functions.

Each helper is called once with valid arguments, then with each argument in turn replaced by
bad values. A bad argument must raise ParameterError naming it; no raw ValueError,
TypeError, IndexError, LinAlgError, ZeroDivisionError or OverflowError, no RuntimeWarning,
and no NaN out of valid input.
"""

from __future__ import annotations

import inspect
import math
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import grokdelay as gd  # noqa: E402
from grokdelay import (clock_estimators as ce, deep_linear as dl, kramers as kr,  # noqa: E402
                       linear_teacher_student as lts, logs, milestones as ms,
                       norm_separation as ns, observations as ob, plotting as P, premises,
                       runs, sensitivity as se, spectral as sp, sweep as sw, two_clocks as tc)

BAD = [math.nan, -1.0, 0.0, math.inf, "abc", None, [], [[1.0], [1.0, 2.0]], 1 + 2j, True,
       b"1", {"a": 1}, 10 ** 400, -(10 ** 400)]

STEPS = np.arange(0.0, 200.0, 10.0)
TRAIN = np.clip(STEPS / 50.0, 0, 1)
TEST = np.clip((STEPS - 100.0) / 50.0, 0, 1)
NORMS = 10.0 * np.exp(-0.01 * STEPS) + 1.0
OBS = ms.milestones_from_log(STEPS, TRAIN, TEST, threshold=0.99)
LTS = gd.LinearTeacherStudent(aspect_ratio=0.5, learning_rate=0.01)
SPEC = gd.SpectralConditioning([4.0, 0.04], learning_rate=0.1)
W = np.array([[3.0, 1.0], [0.5, 2.0]])
LOGITS = np.array([[2.0, 0.5, -1.0], [0.1, 1.5, 0.2]])
LABELS = np.array([0, 1])
T = np.linspace(1.0, 100.0, 30)
RUN = runs.TrainingRun(STEPS, TRAIN, TEST, norm=NORMS,
                       hyper={"learning_rate": 1e-3, "weight_decay": 1.0})
LOG = {"step": STEPS, "train_acc": TRAIN, "val_acc": TEST}
GAP = 1.0 / (0.3 * T) ** 2.0


def _plt(f):
    def g(*a, **k):
        out = f(*a, **k)
        plt.close("all")
        return out
    g.__name__ = f.__name__
    g.__wrapped__ = f
    return g


#: (function, positional args, keyword args) of one valid call each.
CALLS = [
    (ms.milestones_from_log, (STEPS, TRAIN, TEST), {"threshold": 0.99, "window": 0.0}),
    (ob.sustained_time, (STEPS, TRAIN, 0.5), {"window": 10.0}),
    (runs.TrainingRun, (STEPS, TRAIN, TEST), {"norm": NORMS}),
    (RUN.milestones, (0.9,), {"train_threshold": 0.9, "window": 10.0,
                              "loss_threshold": None}),
    (RUN.until, (100.0,), {}),
    (logs.read_run, (LOG,), {"hyper": {"weight_decay": 1.0}}),
    (premises.diagnose, (RUN,), {"threshold": 0.9}),
    (se.elasticity, (SPEC, "learning_rate"), {"of": "delay"}),
    (se.elasticities, (gd.predict_delay(SPEC),), {"of": "t_grok"}),
    (ms.compare_with_log, (OBS, {"spectral": SPEC}), {}),
    (ms.estimate_inputs, (OBS,), {"learning_rate": 1e-3, "weight_decay": 1.0}),
    (sw.sweep, (SPEC,), {"learning_rate": [0.1, 0.2], "tolerance": [1e-2, 1e-3]}),
    (sw.grid_shape, (), {"a": [1.0, 2.0], "b": [1.0, 2.0, 3.0]}),
    (_plt(P.plot_curves), (STEPS, TRAIN, TEST), {}),
    (_plt(P.plot_delay), (SPEC, "learning_rate", [0.1, 0.2]), {}),
    (_plt(P.plot_phase_diagram), (SPEC, "learning_rate", "tolerance", [0.1, 0.2],
                                  [1e-2, 1e-3]), {}),
    (P.predict_grid, (SPEC,), {"learning_rate": [0.1, 0.2]}),
    (P.relative_error_grid, (SPEC, "learning_rate", "tolerance",
                             ("gradient_flow", "gradient_descent"), [0.1, 0.2], [1e-2, 1e-3]),
     {}),
    (ns.contraction_steps, (10.0, 1.0, 0.01), {}),
    (ns.delay_lower_bound, (10.0, 1.0, 0.01), {}),
    (ns.delay_upper_bound, (10.0, 1.0, 0.01), {}),
    (ns.effective_rate, (1e-3, 1.0), {}),
    (ns.estimate_gamma_eff, (NORMS,), {}),
    (ns.calibrate, ([1e-3, 2e-3, 1e-3], [1.0, 1.0, 2.0], [100.0, 100.0, 100.0],
                    [2400.0, 1300.0, 1300.0], [10.0, 10.0, 10.0], [1.0, 1.0, 1.0]),
     {"n_boot": 50}),
    (ce.sustained_time, (T, GAP, 0.01), {}),
    (ce.classifier_time, (T, GAP, 0.01), {}),
    (ce.representation_time, (T, GAP, 0.01), {}),
    (ce.accumulated_time, ([0.1, 0.1, 0.2],), {}),
    (ce.separation_ratio, (10.0, 100.0), {}),
    (ce.min_logit_gap, (LOGITS, LABELS), {}),
    (ce.energy_gap, (GAP,), {}),
    (ce.read_clocks, (T, GAP, GAP, 0.01, 0.01), {}),
    (dl.singular_values, (W,), {}),
    (dl.schatten_power, (W, 1.0), {}),
    (dl.schatten_norm, (W, 1.0), {}),
    (dl.schatten_surrogate, (W, 2), {}),
    (dl.stable_rank, (W,), {}),
    (dl.spectral_tail, (W, 1), {}),
    (dl.balanced_factorization, (W, 2), {}),
    (dl.schatten_gradient, (W, 2, 0.01), {}),
    (dl.energy_gap_solution, (T, 0.75, 0.3), {}),
    (dl.energy_gap_time, (0.01, 0.75, 0.3), {}),
    (dl.fit_kl_exponent, (T, GAP), {}),
    (dl.cross_entropy, (LOGITS, LABELS), {}),
    (lts.losses, (LTS, [0.0, 10.0, 1e3]), {}),
    (lts.accuracies, (LTS, [0.0, 10.0, 1e3]), {}),
    (lts.target_loss, (LTS,), {}),
    (lts.loss_floors, (LTS,), {}),
    (lts.eq19_train_loss, (0.5, [0.0, 1.0, 10.0]), {}),
    (lts.mp_density, ([0.5, 1.0, 2.0], 0.5), {}),
    (lts.mp_edges, (0.5,), {}),
    (lts.mp_atom, (2.0,), {}),
    (kr.log_prefactor, (8.0, -4.0), {}),
    (kr.sgd_temperature, (1e-3, 2.0, 32), {}),
    (kr.full_batch_temperature, (1e-3, 2.0, 0.1), {}),
    (kr.discretized_temperature, (0.1, 1e-3, 2.0), {}),
    (kr.extensive_barrier, (100, 0.01), {}),
    (kr.implied_barrier_over_temperature, (1e4,), {}),
    (kr.log_delay_change, (10.0,), {"learning_rate_factor": 2.0}),
    (sp.mode_times, ([4.0, 0.04], 0.1), {}),
    (tc.classifier_clock, (0.01, 0.2, 10), {}),
    (tc.representation_clock, (0.001, 0.75, 0.02), {}),
]
#: arguments whose error rightly names something inside them (a missing column of a log)
NAMED_INSIDE = {("read_run", "source"): ("train_acc", "test_acc", "step")}
IDS = [f"{getattr(f, '__module__', '').split('.')[-1]}.{f.__name__}" for f, _, _ in CALLS]


def _arg_names(func, args, kwargs):
    sig = inspect.signature(getattr(func, "__wrapped__", func))
    names = [p.name for p in sig.parameters.values()
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][:len(args)]
    return names + list(kwargs)


def _no_nan(out, where):
    if isinstance(out, np.ndarray | float | np.floating):
        assert not np.isnan(np.asarray(out, dtype=float)).any(), f"NaN out of {where}"
    elif isinstance(out, tuple | list) and not isinstance(out, str):
        for o in out:
            if isinstance(o, np.ndarray | float | np.floating):
                _no_nan(o, where)


def _call(func, args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", gd.GrokdelayWarning)
        return func(*args, **kwargs)


@pytest.mark.parametrize("func,args,kwargs", CALLS, ids=IDS)
def test_valid_call_gives_no_nan(func, args, kwargs):
    _no_nan(_call(func, args, kwargs), func.__name__)


@pytest.mark.parametrize("func,args,kwargs", CALLS, ids=IDS)
def test_bad_arguments_are_parameter_errors_naming_them(func, args, kwargs):
    names = _arg_names(func, args, kwargs)
    problems = []
    for i, name in enumerate(names):
        for bad in BAD:
            a, k = list(args), dict(kwargs)
            if i < len(args):
                a[i] = bad
            else:
                k[name] = bad
            try:
                out = _call(func, a, k)
            except gd.ParameterError as exc:
                inside = NAMED_INSIDE.get((func.__name__, name), ())
                if exc.field != name and name not in str(exc) and exc.field not in inside:
                    problems.append(f"{name}={bad!r}: ParameterError does not name it: {exc}")
                continue
            except Exception as exc:  # noqa: BLE001
                problems.append(f"{name}={bad!r}: {type(exc).__name__}: {str(exc)[:100]}")
                continue
            try:
                _no_nan(out, f"{func.__name__}({name}={bad!r})")
            except AssertionError as exc:
                problems.append(str(exc))
    plt.close("all")
    assert not problems, f"{func.__name__}:\n" + "\n".join(problems)


# --------------------------------------------------------------------------- named regressions


def test_labels_must_index_the_logits():
    with pytest.raises(gd.ParameterError) as e:
        ce.min_logit_gap(LOGITS, [0, 3])          # 3 classes: 3 is out of range
    assert e.value.field == "labels"
    with pytest.raises(gd.ParameterError) as e:
        dl.cross_entropy(LOGITS, [0, 1, 2])       # one label per row
    assert e.value.field == "labels"
    with pytest.raises(gd.ParameterError) as e:
        dl.cross_entropy(LOGITS, [0.5, 1])        # not a class index
    assert e.value.field == "labels"


def test_elementwise_arguments_must_broadcast():
    with pytest.raises(gd.ParameterError) as e:
        dl.energy_gap_solution(T, [0.75, 0.8], 0.3)   # shapes (30,) and (2,)
    assert e.value.field == "theta"
    out = tc.classifier_clock(0.01, 0.2, np.array([2, 10]))   # integer arrays broadcast
    assert out.shape == (2,) and np.all(np.isfinite(out))
    with pytest.raises(gd.ParameterError) as e:
        tc.classifier_clock(0.01, 0.2, np.array([2, 2.5]))
    assert e.value.field == "n_classes"


def test_a_wrong_type_is_a_parameter_error_and_a_type_error():
    from grokdelay._core import ArgumentTypeError

    for call in (lambda: ms.compare_with_log({"t_mem": 1}, [SPEC]),
                 lambda: ms.compare_with_log(OBS, [42]),
                 lambda: premises.diagnose([1, 2, 3]),
                 lambda: se.elasticities(SPEC)):
        with pytest.raises(ArgumentTypeError) as e:
            call()
        assert isinstance(e.value, TypeError) and isinstance(e.value, gd.ParameterError)


def test_huge_integer_arguments_are_range_errors_not_overflow():
    with pytest.raises(gd.ParameterError) as e:
        dl.schatten_surrogate(W, 10 ** 400)
    assert e.value.field == "depth" and "outside its domain" in str(e.value)
    assert float(dl.spectral_tail(W, 10 ** 400)) == 0.0     # huge but valid: exact
    with pytest.raises(gd.ParameterError) as e:
        RUN.until(10 ** 400)
    assert e.value.field == "step"

"""The notes and numbers of an exact linear teacher-student prediction (private).

The texts of the notes live here, once, for both paths of
``LinearTeacherStudent._exact_outcome``: the array path (numpy masks over the points, in
:mod:`grokdelay.linear_teacher_student`) and :func:`exact_outcome_1`, the same decisions for
one point on Python floats. On one point each of the dozen masks of the array path is a
numpy call on a 0-d array, a few microseconds each, which was a large part of a scalar
``predict_delay`` call; the one-point path takes the same decisions in the same order and
returns the same notes (word for word), the same numbers and the same types
(``tests/test_lts_outcome.py`` compares the two paths).
"""

from __future__ import annotations

import math

import numpy as np

from ._core import Outcome, overflow_note
from ._lts_engine import Model

FLOW_NOTE = ("2 eta0 lambda_+ >= 1: gradient descent steps are too large for the "
             "gradient-flow theory (and diverge once 2 eta0 lambda_+ >= 2)")
SADDLE_NOTE = ("depth 2 with init_scale = 0: the student starts at the saddle S0 = S1 = 0, "
               "where the gradient vanishes; gradient flow never leaves it")
WIDTH_IGNORED_NOTE = "hidden_width is ignored at depth = 1"
COUPLED_NOTE = ("coupled: eq 17's kernel drift only; the output kernel's anisotropy "
                "(O(sqrt(d_out/d_h)) per run) and the run-to-run spread of the initial "
                "kernel are not modelled")
FROZEN_NOTE = ("depth 2: eq 18 freezes the kernel (infinite width); method='coupled' uses "
               "hidden_width")
NEVER_FIT_WHY = "weight decay and label noise keep the training loss above the target"
NULL_SPACE_WHY = ("aspect_ratio > 1: the null space of the training Gram matrix (mass "
                  "1 - 1/lambda) is never learned")
FLOOR_WHY = "weight decay / label noise keep the generalization loss above the target"
NOISE_RETURN_NOTE = ("label noise: generalization accuracy reaches the target, then falls "
                     "back below it as the noise is fitted")
AT_ZERO_NOTE = ("the initial losses are already below the target level: t_mem = t_grok = 0")
EARLY_NOTE = ("label noise: the generalization accuracy reaches the target before the "
              "training accuracy does (negative delay; log_delay is reported as -inf)")


def floor_text(which, floor, target, shape, why):
    """The note of a loss whose floor keeps it from the target (values only for one point)."""
    if shape == ():
        return (f"never reaches the target: the {which} loss floor {float(floor):.4g} is at or "
                f"above the target loss {float(target):.4g} ({why})")
    return f"never reaches the target: the {which} loss floor is at or above the target ({why})"


def model_1(lam, eta, wd, dout, depth, alpha, sigma) -> Model:
    """``Model(...)`` of one point from Python numbers, without numpy's per-call cost: the
    same operations in the same order (numpy's ``x ** 2`` is ``x * x``), one-element
    arrays as the model holds them."""
    dout = float(dout)
    root = 1.0 - math.sqrt(lam)
    consts = {"lam": lam,
              "eta0": alpha * eta / (2.0 * (dout * dout)) if depth == 2 else eta / dout,
              "g": 0.5 * dout * wd, "s": 1.0 / dout, "a2": alpha * alpha,
              "sig2": sigma * sigma, "lo": root * root, "atom": max(0.0, 1.0 - 1.0 / lam)}
    m = object.__new__(Model)
    held = np.array(list(consts.values()), dtype=float).reshape(-1, 1)   # one row per name
    for k, row in zip(consts, held):
        setattr(m, k, row)
    return m


def _steps(tau: float, eta0: float) -> float:
    """``_lts_closed_forms.to_steps`` on Python floats (the same operations)."""
    return 0.0 if tau == 0 else tau / eta0 if eta0 > 0 else math.inf


def exact_outcome_1(a, m, target, tau_tr, tau_gen, floors) -> Outcome:
    """The exact method's :class:`Outcome` for one point (``a.shape == ()``, frozen kernel).

    ``m``, ``target``, ``tau_tr``, ``tau_gen`` and ``floors`` are the one-element arrays of
    the array path; the decisions are those of its masks, in its order.
    """
    eta0, lam = float(m.eta0[0]), float(m.lam[0])
    tt, tg = float(tau_tr[0]), float(tau_gen[0])
    tgt = float(target[0])
    f_gen = float(floors[1][0])
    depth, width = int(a.depth), float(a.hidden_width)
    t_mem, t_grok = _steps(tt, eta0), _steps(tg, eta0)
    notes = []
    root = 1.0 + math.sqrt(lam)
    if 2.0 * eta0 * (root * root) >= 1.0:
        notes.append(FLOW_NOTE)
    if math.isfinite(width) and depth == 1:
        notes.append(WIDTH_IGNORED_NOTE)
    elif math.isfinite(width) and depth == 2:
        notes.append(FROZEN_NOTE)
    saddle = depth == 2 and float(a.init_scale) == 0
    inf_mem, inf_grok = math.isinf(t_mem), math.isinf(t_grok)
    if saddle and inf_grok:
        notes.append(SADDLE_NOTE)
    big_mem = inf_mem and math.isfinite(tt) and not saddle
    big_grok = inf_grok and math.isfinite(tg) and not saddle
    if big_mem:
        notes += overflow_note(True, "t_mem")
    if big_grok and not inf_mem:
        notes += overflow_note(True, "t_grok")
    if inf_mem and not saddle and not big_mem:
        notes.append(floor_text("training", floors[0][0], tgt, (), NEVER_FIT_WHY))
    null = lam > 1 and inf_grok and not saddle and not big_grok
    if null:
        notes.append(floor_text("generalization", f_gen, tgt, (), NULL_SPACE_WHY))
    if not null and not saddle and inf_grok and not big_grok:
        notes.append(floor_text("generalization", f_gen, tgt, (), FLOOR_WHY))
    if float(a.label_noise) > 0 and math.isfinite(t_grok) and f_gen > tgt:
        notes.append(NOISE_RETURN_NOTE)
    if t_mem == 0 and t_grok == 0:
        notes.append(AT_ZERO_NOTE)
    delay = math.inf if inf_grok or inf_mem else t_grok - t_mem
    early = delay < 0
    if early:
        notes.append(EARLY_NOTE)
    log_delay = -math.inf if early else float(np.log(delay))   # (numpy's log: the array path's)
    return Outcome(t_mem=t_mem, t_grok=t_grok, units="steps", notes=notes, delay=delay,
                   log_delay=log_delay,
                   extra={"target_loss": target.reshape(()),
                          "floor_train": floors[0].reshape(()),
                          "floor_gen": floors[1].reshape(())})

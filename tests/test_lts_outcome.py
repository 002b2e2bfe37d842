"""The one-point outcome path of the exact linear teacher-student method (issue 16).

``predict_delay`` on one point takes its notes and numbers from
``_lts_outcome.exact_outcome_1`` and ``_core._checked_scalar`` (Python floats); the array
path (numpy masks, ``lean=False`` and ``_core._checked``) must give the same record: the
same notes word for word and in order, bit-identical numbers of the same types, the same
extras.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import grokdelay as gd
from grokdelay import _core
from grokdelay.linear_teacher_student import LinearTeacherStudent


def _array_path(p):
    b = p.broadcast()
    with np.errstate(all="ignore"):
        out = p._exact_outcome(b, coupled=False, lean=False)
        values = _core._finalize_scalar(out)
        return _core._checked(p, "exact", (), out, values)


def _same(lean, ref):
    assert lean.notes == ref.notes
    for k in lean.NUMERIC:
        x, y = getattr(lean, k), getattr(ref, k)
        assert type(x) is float and type(y) is float, k
        assert x.hex() == y.hex(), (k, x, y)
    assert list(lean.extra) == list(ref.extra)
    for k, v in lean.extra.items():
        w = ref.extra[k]
        assert type(v) is type(w), k
        assert np.shape(v) == np.shape(w) and np.asarray(v).dtype == np.asarray(w).dtype, k
        assert np.array_equal(v, w, equal_nan=True), (k, v, w)


EDGES = [
    dict(aspect_ratio=0.5, learning_rate=0.01),
    dict(aspect_ratio=0.5, learning_rate=0.9, weight_decay=1e-2),          # flow note
    dict(aspect_ratio=0.5, learning_rate=0.01, hidden_width=10.0),         # width ignored
    dict(aspect_ratio=0.5, learning_rate=0.01, depth=2, hidden_width=100.0, d_out=3),
    dict(aspect_ratio=0.5, learning_rate=0.01, depth=2, init_scale=0.0),   # the saddle
    dict(aspect_ratio=0.5, learning_rate=0.01, weight_decay=0.5),          # never fits
    dict(aspect_ratio=0.5, learning_rate=0.01, weight_decay=2e-2),         # never groks
    dict(aspect_ratio=2.0, learning_rate=0.01),                            # null space
    dict(aspect_ratio=2.0, learning_rate=0.01, weight_decay=1e-3),
    dict(aspect_ratio=0.3, learning_rate=0.01, label_noise=0.01, threshold=1e-2),
    dict(aspect_ratio=0.05, learning_rate=0.01, label_noise=0.1, threshold=0.02),  # unfit
    dict(aspect_ratio=0.9, learning_rate=0.01, label_noise=0.05, threshold=0.05),
    dict(aspect_ratio=0.5, learning_rate=0.01, threshold=8.0),             # t = 0
    dict(aspect_ratio=0.5, learning_rate=1e-310),                          # overflow
    dict(aspect_ratio=0.5, learning_rate=1e-300, threshold=1e-2),
    dict(aspect_ratio=0.95, learning_rate=4e-307),                         # t_grok overflows
    dict(aspect_ratio=0.9, learning_rate=0.01, label_noise=0.1, threshold=0.3),  # falls back
    dict(aspect_ratio=0.3, learning_rate=0.01, label_noise=0.3, threshold=0.3),  # early
    dict(aspect_ratio=1.0, learning_rate=0.01, threshold=1e-6),
    dict(aspect_ratio=0.99, learning_rate=0.01, threshold=1e-6, d_out=10, accuracy=0.9),
]


@pytest.mark.parametrize("kw", EDGES)
def test_edges_match_the_array_path(kw):
    p = LinearTeacherStudent(**kw)
    _same(gd.predict_delay(p), _array_path(p))


def test_random_points_match_the_array_path():
    rng = np.random.default_rng(16)
    seen = set()
    for _ in range(150):
        kw = dict(aspect_ratio=float(10 ** rng.uniform(-2, 1.3)),
                  learning_rate=float(10 ** rng.uniform(-4, -0.2)),
                  weight_decay=float(rng.choice([0.0, 10 ** rng.uniform(-7, -1)])),
                  threshold=float(10 ** rng.uniform(-6, -1)),
                  d_out=int(rng.choice([1, 2, 10])), depth=int(rng.choice([1, 2])),
                  init_scale=float(rng.choice([0.0, 0.3, 1.0])),
                  hidden_width=float(rng.choice([math.inf, 50.0])))
        if kw["depth"] == 2:                      # eq 14's weight decay is one-layer only
            kw["weight_decay"] = 0.0
        elif rng.random() < 0.3:
            kw["label_noise"] = float(10 ** rng.uniform(-3, -0.5))
        p = LinearTeacherStudent(**kw)
        lean = gd.predict_delay(p)
        _same(lean, _array_path(p))
        seen.update(lean.notes)
    assert len(seen) >= 6          # the sample reaches several kinds of note

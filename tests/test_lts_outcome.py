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
from grokdelay import ParameterError, _core, _fields
from grokdelay._lts_engine import Model
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


def test_one_point_model_is_the_array_model():
    """``_setup``'s one-point constants (Python floats) equal ``Model`` on arrays, bit for
    bit, and so does the target level."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        depth = int(rng.choice([1, 2]))
        p = LinearTeacherStudent(
            aspect_ratio=float(10 ** rng.uniform(-3, 2)),
            learning_rate=float(10 ** rng.uniform(-6, 0)),
            weight_decay=0.0 if depth == 2 else float(10 ** rng.uniform(-8, -1)),
            threshold=float(10 ** rng.uniform(-7, -1)), d_out=int(rng.integers(1, 13)),
            depth=depth, init_scale=float(rng.uniform(0, 3)),
            label_noise=0.0 if depth == 2 else float(rng.uniform(0, 0.5)),
            accuracy=float(rng.uniform(0.05, 0.99)), hidden_width=math.inf)
        b = p.broadcast()
        m, target, shape = p._setup(b)
        ref = Model(*(np.reshape(getattr(b, k), 1) for k in (
            "aspect_ratio", "learning_rate", "weight_decay", "d_out", "depth", "init_scale",
            "label_noise")))
        assert shape == ()
        assert sorted(vars(m)) == sorted(vars(ref))
        for k, v in vars(ref).items():
            got = getattr(m, k)
            assert got.shape == (1,) and got.dtype == v.dtype, k
            assert got[0].hex() == v[0].hex(), (k, got, v)
        ref_t = _core_target(b)
        assert target.shape == (1,) and target[0].hex() == ref_t.hex()


def _core_target(b):
    from grokdelay._lts_closed_forms import target_loss_level
    return float(np.reshape(target_loss_level(b.threshold, b.accuracy, b.d_out), 1)[0])


def _general_or_error(name, spec, value):
    try:
        return _fields._convert_general(name, spec, value)
    except ParameterError as exc:
        return exc


@pytest.mark.parametrize("mechanism", sorted(_core._REGISTRY))
def test_plain_numbers_take_the_general_paths_answer(mechanism):
    """The fast acceptance of a plain float or int (``_fields._plain_scalar``) returns what
    the general conversion returns, of the same type, and refers everything else to it."""
    cls = _core._REGISTRY[mechanism]
    values = [0, 1, 2, -1, 3, 2 ** 53, 2 ** 53 + 1, -2 ** 60, 0.0, -0.0, 0.5, 1.0, 1.5, 2.0,
              -3.0, 1e-320, 1e-300, 1e50, 1e51, 1e300, math.inf, -math.inf, math.nan,
              math.pi, 9007199254740993.0]
    checked = 0
    for name, (spec, _) in cls.field_specs().items():
        if spec.kind not in ("scalar", "integer"):
            continue
        dom = spec.domain
        more = [v for v in dom.edges() + dom.outside() if math.isfinite(v)]
        for v in values + more + [math.nextafter(v, math.inf) for v in more]:
            fast = _fields._plain_scalar(spec, v)
            ref = _general_or_error(name, spec, v)
            if fast is None:
                continue
            checked += 1
            assert not isinstance(ref, Exception), (name, v, ref)
            assert type(fast) is type(ref) and fast == ref, (name, v, fast, ref)
            assert (math.copysign(1, fast) == math.copysign(1, ref)), (name, v)
    assert checked > 0


def test_plain_check_accepts_exactly_what_the_array_check_accepts():
    """``LinearTeacherStudent._plainly_valid`` never accepts a point the array tests of
    ``_check`` refuse; on points they accept it is True (so the fast path is taken)."""
    rng = np.random.default_rng(3)
    cases = [dict(depth=2, hidden_width=3.0, d_out=2), dict(depth=2, weight_decay=1e-3),
             dict(depth=2, learning_rate=1e300, init_scale=1e10),
             dict(aspect_ratio=1.0, weight_decay=1e-30, label_noise=0.1),
             dict(aspect_ratio=1.0, weight_decay=1.0, label_noise=0.1),
             dict(label_noise=1e150, aspect_ratio=2.0), dict(label_noise=1e149)]
    for _ in range(300):
        cases.append(dict(aspect_ratio=float(rng.choice([1.0, 10 ** rng.uniform(-3, 3)])),
                          learning_rate=float(10 ** rng.uniform(-300, 300)),
                          weight_decay=float(rng.choice([0.0, 10 ** rng.uniform(-40, 2)])),
                          d_out=int(rng.integers(1, 20)), depth=int(rng.choice([1, 2])),
                          init_scale=float(10 ** rng.uniform(-3, 3)),
                          label_noise=float(rng.choice([0.0, 10 ** rng.uniform(-3, 152)])),
                          hidden_width=float(rng.choice([math.inf, rng.uniform(1, 60)]))))
    accepted = refused = 0
    for kw in cases:
        kw = {"aspect_ratio": 0.5, "learning_rate": 0.01, **kw}
        try:
            p = LinearTeacherStudent(**kw)
        except ParameterError:
            refused += 1
            p = object.__new__(LinearTeacherStudent)
            for name, (_, default) in LinearTeacherStudent.field_specs().items():
                object.__setattr__(p, name, kw.get(name, default))
            assert not p._plainly_valid(), kw
            continue
        accepted += 1
        assert p._plainly_valid(), kw
    assert accepted > 50 and refused > 50

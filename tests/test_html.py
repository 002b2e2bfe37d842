"""Reprs and Jupyter HTML of the result types: short, rounded, notes shown, well-formed."""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import grokdelay as gd
from grokdelay import _html
from grokdelay.milestones import milestones_from_log
from grokdelay.sweep import Table, sweep

VOID = {"br", "hr", "img", "meta", "link", "input", "col", "wbr"}
# a float printed at full precision: 8 or more significant digits in a row
LONG_FLOAT = re.compile(r"\d\.\d{7,}|\d{9,}")


class _Balance(HTMLParser):
    """Checks that every opened tag is closed in order (what a browser needs to lay it out)."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def _check_html(markup: str) -> str:
    p = _Balance()
    p.feed(markup)
    p.close()
    assert not p.errors and not p.stack, (p.errors, p.stack)
    return " ".join(p.text)


def _long_log(n=100_000):
    steps = np.arange(n, dtype=float) * 10
    train = np.where(steps >= 1_000, 1.0, 0.5)
    test = np.where(steps >= 70_000, 1.0, 0.1)
    norms = np.linspace(30.0, 10.0, n)
    loss = np.exp(-steps / 1e5)
    return milestones_from_log(steps, train, test, window=50, norms=norms, train_loss=loss,
                               test_loss=loss, loss_threshold=1e-3)


def test_prediction_repr_is_rounded_and_short():
    pred = gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=0.5, learning_rate=0.01))
    text = repr(pred)
    assert text.startswith("DelayPrediction(mechanism='linear_teacher_student', method='exact'")
    assert f"t_mem={pred.t_mem:.4g}" in text and "units='steps'" in text
    assert not LONG_FLOAT.search(text), text
    assert "params" not in text  # the dataclass dump is gone


def test_prediction_repr_of_a_large_array_stays_short():
    lam = np.linspace(0.05, 0.95, 10_000)
    pred = gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=lam, learning_rate=0.01),
                            method="lambert_w")
    text = repr(pred)
    assert len(text) < 1000
    assert "array(10000 values" in text
    # the summary's range is the array's range, rounded
    assert f"{np.min(pred.delay):.4g} to {np.max(pred.delay):.4g}" in text


def test_prediction_notes_are_shown():
    # weight decay that keeps the loss above the target: never groks, and the note says why
    pred = gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=0.5, learning_rate=0.01,
                                                    weight_decay=0.5))
    assert pred.notes
    text = repr(pred)
    assert "t_grok=inf" in text and "notes=[" in text
    shown = _check_html(pred._repr_html_())
    for note in pred.notes:
        assert note in shown  # in full in the HTML
    assert "params.weight_decay" in shown and "0.5" in shown


def test_milestones_repr_is_bounded_for_a_long_log():
    m = _long_log()
    assert m.extra["norms"].size == 100_000
    text = repr(m)
    assert len(text) <= 1000, len(text)
    assert "t_mem=1000" in text and "t_grok=7e+04" in text
    assert "norms: array(100000 values, 10 to 30)" in text
    shown = _check_html(m._repr_html_())
    assert len(m._repr_html_()) < 5000
    for note in m.notes:
        assert note in shown


def test_milestones_repr_cut_at_its_limit():
    notes = tuple(f"note {i}: " + "x" * 200 for i in range(20))
    m = gd.milestones.Milestones.from_values(10, 100, notes=notes)
    text = repr(m)
    assert len(text) <= 1000 and text.endswith(" ...)")


def test_table_folds_constant_columns_last():
    t = sweep(gd.LinearTeacherStudent(aspect_ratio=0.5, learning_rate=0.01),
              aspect_ratio=np.linspace(0.1, 0.9, 30))
    text = repr(t)
    lines = text.splitlines()
    assert lines[0] == "Table: 30 rows x {} columns".format(len(t.columns))
    header = lines[1].split()
    assert header[:2] == ["aspect_ratio", "t_mem"]  # the swept field first, then results
    assert "learning_rate" not in header and "mechanism" not in header
    const = next(line for line in lines if line.startswith("constant: "))
    assert "learning_rate = 0.01" in const and "mechanism = linear_teacher_student" in const
    assert "..." in text and len(lines) < 20  # rows elided in the middle
    assert not LONG_FLOAT.search(text)
    markup = t._repr_html_()
    shown = _check_html(markup)
    assert "constant: " in shown and "more rows" in shown
    assert not LONG_FLOAT.search(shown)
    # the varying columns come before the folded ones in the HTML too
    assert markup.index("<th>aspect_ratio</th>") < markup.index("constant: ")


def test_small_table_shows_every_row_and_notes():
    t = Table({"a": [1, 2, 3], "b": ["x", "y", "z"]}, notes=["n", "n"])
    text = repr(t)
    assert text.splitlines()[-1] == "note: n" and text.count("note:") == 1
    assert "3 rows" in text and "..." not in text
    assert "<li>n</li>" in t._repr_html_()


def test_html_escapes_text():
    t = Table({"a<b": ["<script>"]}, notes=["x & y"])
    markup = t._repr_html_()
    assert "<script>" not in markup and "&lt;script&gt;" in markup and "x &amp; y" in markup
    _check_html(markup)


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, width=64))
def test_fmt_rounds_to_four_significant_digits(x):
    text = _html.fmt(x)
    if np.isinf(x):
        assert text == ("inf" if x > 0 else "-inf")
        return
    back = Decimal(text)  # exact decimal: no overflow where rounding up passes float max
    # 4 significant digits: relative error at most half a unit in the 4th digit
    assert abs(back - Decimal(x)) <= Decimal(5e-4) * abs(Decimal(x))
    assert len(text.split("e")[0].replace("-", "").replace(".", "").lstrip("0")) <= 4


@pytest.mark.parametrize("value, expected", [
    (np.array([1.0, np.inf, 3.0, 4.0, 5.0, 6.0, 7.0]),
     "[1, inf, ..., 6, 7] (7 values, 1 to 7, 1 not finite)"),
    (np.arange(12.0).reshape(3, 4), "[0, 1, ..., 10, 11] (shape (3, 4), 0 to 11)"),
    (np.array([0.5, 0.25]), "[0.5, 0.25]"),
    ({"train": 0.99}, "{train: 0.99}"),
    (None, "None"),
    (True, "True"),
    (np.int64(7), "7"),
])
def test_fmt_summaries(value, expected):
    assert _html.fmt(value) == expected

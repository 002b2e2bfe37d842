"""grokdelay.plotting: every figure draws headless (Agg), writes a non-empty image, is labelled;
the numbers behind the grids equal point-by-point predictions."""

from __future__ import annotations

import dataclasses
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import conformance as cf  # noqa: E402
import grokdelay as gd  # noqa: E402
from grokdelay import compare  # noqa: E402
from grokdelay import plotting as P  # noqa: E402
from grokdelay.milestones import Milestones  # noqa: E402

BASE = gd.SpectralConditioning([1.0, 0.01], learning_rate=0.1)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _written(ax, path):
    ax.figure.savefig(path, dpi=60)
    assert path.stat().st_size > 1000  # a PNG with content, not an empty canvas
    return path


def _labelled(ax):
    assert ax.get_xlabel() and ax.get_ylabel()


def test_plot_curves_marks_predicted_and_observed(tmp_path):
    pred = gd.predict_delay(BASE)
    t = np.logspace(0, 5, 200)
    obs = Milestones.from_values(40, 4000)
    ax = P.plot_curves(t, 1 - np.exp(-0.1 * t), 1 - np.exp(-1e-3 * t), pred, observed=obs)
    _written(ax, tmp_path / "curves.png")
    _labelled(ax)
    xs = sorted(line.get_xdata()[0] for line in ax.get_lines()[2:])
    assert xs == sorted([pred.t_mem, pred.t_grok, 40.0, 4000.0])
    # never groks: no t_grok line, a text instead
    never = dataclasses.replace(pred, t_grok=math.inf, delay=math.inf, ratio=math.inf,
                                log_delay=math.inf)
    fig, ax2 = plt.subplots()
    assert P.plot_curves(t, t * 0, t * 0, never, ax=ax2) is ax2
    assert any("never groks" in txt.get_text() for txt in ax2.texts)
    with pytest.raises(gd.ParameterError):
        P.plot_curves(t, t[:-1], t)
    with pytest.raises(gd.ParameterError):
        P.plot_curves(t, t, t, gd.predict_delay(BASE.replace(learning_rate=[0.1, 0.2])))


@pytest.mark.filterwarnings("ignore::grokdelay.GrokdelayWarning")
def test_plot_delay_array_field_and_values(tmp_path):
    p = BASE.replace(learning_rate=np.logspace(-3, 0, 20))
    ax = P.plot_delay(p)
    _written(ax, tmp_path / "delay.png")
    _labelled(ax)
    assert ax.get_yscale() == "log" and ax.get_xscale() == "log"
    line = ax.get_lines()[0]
    expect = gd.predict_delay(p).delay
    np.testing.assert_array_equal(line.get_ydata(), expect)
    # several methods and quantities, inf points marked, explicit values
    ax = P.plot_delay(BASE, "learning_rate", np.linspace(0.5, 2.5, 9),
                      method=["gradient_flow", "gradient_descent"],
                      quantities=("t_mem", "t_grok"))
    labels = [line.get_label() for line in ax.get_lines()]
    assert "t_grok (gradient_descent)" in labels
    assert any(lb.startswith("inf") for lb in labels)  # eta * nu_max >= 2 never fits
    _labelled(ax)


def test_plot_delay_errors():
    with pytest.raises(gd.ParameterError):
        P.plot_delay(BASE)  # no array field
    with pytest.raises(gd.ParameterError) as e:
        P.plot_delay(BASE, "eigenvalues", [[1.0]])
    assert e.value.field == "eigenvalues"
    with pytest.raises(gd.ParameterError) as e:
        P.plot_delay(BASE, "learning_rate", [0.1, -1.0])
    assert e.value.field == "learning_rate"
    with pytest.raises(gd.ParameterError):
        P.plot_delay(BASE, "learning_rate", [0.1, 0.2], quantities="speed")
    with pytest.raises(gd.ParameterError):  # the other fields must be scalars
        P.plot_delay(BASE.replace(tolerance=[0.1, 0.2, 0.3]), "learning_rate", [0.1, 0.2])


def test_predict_grid_equals_point_by_point():
    lr = np.logspace(-2, 0.4, 7)
    tol = np.logspace(-4, -1, 5)
    with pytest.warns(gd.GrokdelayWarning):
        res = P.predict_grid(BASE, "gradient_descent", learning_rate=lr, tolerance=tol)
    assert res["t_mem"].shape == (5, 7) and res["applicable"].all()
    with pytest.warns(gd.GrokdelayWarning):
        for i, b in enumerate(tol):
            for j, a in enumerate(lr):
                ref = gd.predict_delay(BASE.replace(learning_rate=a, tolerance=b),
                                       method="gradient_descent")
                for q in ("t_mem", "t_grok", "delay", "ratio", "log_delay"):
                    assert res[q][i, j] == getattr(ref, q)


def test_predict_grid_marks_points_a_method_refuses(monkeypatch):
    """A method that raises ParameterError on part of the grid (e.g. an approximation used
    outside its domain) leaves those points not applicable and the rest exact."""
    real = P.predict_delay

    def picky(params, method=None):
        if np.any(np.asarray(params.learning_rate) > 0.3):
            raise gd.ParameterError("outside this approximation's domain", "learning_rate")
        return real(params, method=method)

    monkeypatch.setattr(P, "predict_delay", picky)
    lr = np.array([0.1, 0.2, 0.4, 0.8])
    tol = np.array([0.1, 0.01, 0.001])
    res = P.predict_grid(BASE, None, learning_rate=lr, tolerance=tol)
    np.testing.assert_array_equal(res["applicable"], np.broadcast_to(lr <= 0.3, (3, 4)))
    ref = real(BASE.replace(learning_rate=lr[:2], tolerance=tol[:, None]))
    np.testing.assert_array_equal(res["t_grok"][:, :2], ref.t_grok)
    ax = P.plot_phase_diagram(BASE, "learning_rate", "tolerance", lr, tol)
    assert ax.get_legend() is not None
    # all refused: the user sees the method's own error
    with pytest.raises(gd.ParameterError, match="outside this approximation"):
        P.predict_grid(BASE, None, learning_rate=[0.5, 0.6])


def test_phase_diagram(tmp_path):
    x = np.logspace(-3, 0.5, 30)
    y = np.logspace(-6, -1, 20)
    with pytest.warns(gd.GrokdelayWarning):  # eta nu_max >= 2 in the right-hand columns
        ax = P.plot_phase_diagram(BASE, "learning_rate", "tolerance", x, y,
                                  method="gradient_descent")
    _written(ax, tmp_path / "phase.png")
    _labelled(ax)
    cbar = ax.figure.axes[-1]
    assert cbar.get_ylabel() == "log10 delay [steps]"
    # the colored values are log10(delay) from the exact log_delay
    z = ax.collections[0].get_array()
    with pytest.warns(gd.GrokdelayWarning):
        ref = gd.predict_delay(BASE.replace(learning_rate=x, tolerance=y[:, None]),
                               method="gradient_descent")
    finite = np.isfinite(ref.delay)
    np.testing.assert_allclose(np.asarray(z)[finite.ravel()] if z.ndim == 1 else
                               z[finite], np.log10(ref.delay[finite]), rtol=1e-12)
    assert any(h.get_label().startswith("inf") for h in ax.get_legend().legend_handles)
    with pytest.raises(gd.ParameterError):
        P.plot_phase_diagram(BASE, "learning_rate", "learning_rate", x, x)


def _row(name, t_mem, t_grok, units="steps", log_delay=None):
    pred = gd.predict_delay(BASE)
    delay = t_grok - t_mem if math.isfinite(t_grok) else math.inf
    ld = log_delay if log_delay is not None else (math.log(delay) if delay > 0 else -math.inf)
    return dataclasses.replace(pred, mechanism=name, t_mem=t_mem, t_grok=t_grok, delay=delay,
                               ratio=t_grok / t_mem if t_mem else math.inf, log_delay=ld,
                               units=units)


def test_plot_comparison_inf_time_zero_and_overflow(tmp_path):
    rows = [_row("a", 100.0, 1e4), _row("never", 50.0, math.inf),
            _row("continuous", 2.0, 300.0, units="time"), _row("zero", 0.0, 10.0),
            _row("huge", 10.0, math.inf, log_delay=900.0), _row("nofit", math.inf, math.inf)]
    ax = P.plot_comparison(rows, observed=compare.OBSERVED)
    _written(ax, tmp_path / "comparison.png")
    assert ax.get_xscale() == "log" and ax.get_xlabel()
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[0] == "observed" and "continuous (gradient_flow) [time]" in ticks
    texts = " | ".join(t.get_text() for t in ax.texts)
    assert "never groks" in texts and "never fits" in texts
    assert "10^390.9" in texts  # exp(900) overflows; the label comes from log_delay
    assert "continuous time" in ax.get_title()
    with pytest.raises(gd.ParameterError):
        P.plot_comparison([])
    with pytest.raises(TypeError):
        P.plot_comparison([BASE])


def test_compare_cli_plot_path(tmp_path):
    """`grokdelay compare --plot FILE` goes through compare.plot_comparison into this module."""
    rows = [_row("a", 100.0, 1e4), _row("b", 3.0, 30.0, units="time")]
    ax = compare.plot_comparison(rows)
    _written(ax, tmp_path / "cli.png")


def test_relative_error_grid_against_the_closed_forms():
    """gradient_flow vs gradient_descent for the spectral mechanism: the relative error of
    t_mem is computed here independently from the two formulas, ceil included."""
    lr = np.logspace(-3, -0.5, 9)
    tol = np.logspace(-5, -1, 6)
    x, y, err, ok = P.relative_error_grid(BASE, "learning_rate", "tolerance",
                                          ("gradient_flow", "gradient_descent"), lr, tol,
                                          quantity="t_mem")
    assert ok.all()
    eta, tl = lr[None, :], tol[:, None]
    flow = np.log(1 / tl) / eta  # nu_max = 1
    gd_steps = np.ceil(np.log(tl) / np.log(1 - eta) - 1e-12)  # 1e-12: exact powers of ten
    np.testing.assert_allclose(err, np.abs(flow - gd_steps) / gd_steps, rtol=1e-9)
    # delay through log_delay equals the direct ratio where nothing overflows
    _, _, err_d, _ = P.relative_error_grid(BASE, "learning_rate", "tolerance",
                                           "gradient_descent", lr, tol)
    a = gd.predict_delay(BASE.replace(learning_rate=lr, tolerance=tol[:, None]),
                         method="gradient_descent")
    r = gd.predict_delay(BASE.replace(learning_rate=lr, tolerance=tol[:, None]))
    # both sides cancel: expm1 of a difference of two logs ~10 (a few ulps, 1e-15 absolute)
    # against a difference of two delays; they agree to ~1e-15 absolute, not relative
    np.testing.assert_allclose(err_d, np.abs(a.delay - r.delay) / r.delay, rtol=1e-6,
                               atol=1e-14)
    with pytest.raises(gd.ParameterError):
        P.relative_error_grid(BASE, "learning_rate", "tolerance", ("nope", "gradient_flow"),
                              lr, tol)


def test_validity_map(tmp_path):
    with pytest.warns(gd.GrokdelayWarning):
        ax = P.plot_validity_map(BASE, "learning_rate", "tolerance",
                                 ("gradient_flow", "gradient_descent"),
                                 np.logspace(-3, 0.5, 25), np.logspace(-6, -1, 15),
                                 tolerance=0.05)
    _written(ax, tmp_path / "validity.png")
    _labelled(ax)
    assert ax.figure.axes[-1].get_ylabel() == "log10 relative error of delay"
    assert "gradient_flow vs gradient_descent" in ax.get_title()
    with pytest.raises(gd.ParameterError):
        P.plot_validity_map(BASE, "learning_rate", "tolerance", "gradient_descent",
                            [0.1, 0.2], [0.1, 0.2], tolerance=0)


# --------------------------------------------------------------------------- registry-wide


def _sweepable_fields(params):
    out = []
    for name, (spec, _) in type(params).field_specs().items():
        v = getattr(params, name)
        if spec.kind != "scalar" or v is None or np.ndim(v):
            continue
        cand = np.array([v / 2, v, v * 2]) if v > 0 else np.array([v, v + 0.1, v + 0.2])
        cand = np.unique(cand[spec.domain.contains(cand)])
        if cand.size >= 2:
            out.append((name, cand))
    return out


@pytest.mark.filterwarnings("ignore::grokdelay.GrokdelayWarning")
@pytest.mark.parametrize("name", list(gd.mechanisms()))
def test_every_mechanism_draws(name, tmp_path):
    cls = gd.mechanisms()[name]
    params = cf.typical_params(cls)
    fields = _sweepable_fields(params)
    if len(fields) < 2:
        pytest.skip(f"{name}: fewer than two scalar fields to sweep")
    (fx, vx), (fy, vy) = fields[:2]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3))
    P.plot_delay(params, fx, vx, ax=axes[0])
    P.plot_phase_diagram(params, fx, fy, vx, vy, ax=axes[1])
    rows = []
    for m in cls.methods:
        try:
            rows.append(gd.predict_delay(params, method=m))
        except gd.ParameterError:
            continue  # a method that needs an optional field this point leaves out
    P.plot_comparison(rows, ax=axes[2])
    if len(cls.methods) >= 2:
        other = [m for m in cls.methods if m != cls.default_method][0]
        _, axv = plt.subplots()
        try:
            gd.predict_delay(params, method=other)
        except gd.ParameterError:
            # the method refuses the base point itself (an optional field it needs is not
            # given): the map must refuse too, not draw an empty picture
            with pytest.raises(gd.ParameterError):
                P.plot_validity_map(params, fx, fy, (other, cls.default_method), vx, vy, ax=axv)
        else:
            P.plot_validity_map(params, fx, fy, (other, cls.default_method), vx, vy, ax=axv)
    _written(axes[0], tmp_path / f"{name}.png")
    for ax in axes:
        assert ax.get_xlabel()


def test_plot_delay_overflow_draws_log10_from_log_delay(tmp_path):
    """Kramers' exp(barrier / T) overflows float64 for barrier/T > ~709: the axis switches to
    log10 of the delay, computed from the exact log_delay (not dropped as inf)."""
    p = {"mechanism": "kramers", "barrier": 1.0, "temperature": 1.0, "hessian_min": 8.0,
         "hessian_saddle": -4.0}
    barriers = np.array([10.0, 300.0, 800.0, 1500.0])
    ax = P.plot_delay(p, "barrier", barriers)
    _written(ax, tmp_path / "overflow.png")
    assert ax.get_ylabel().startswith("log10 delay")
    ref = gd.predict_delay(dict(p, barrier=barriers))
    y = ax.get_lines()[0].get_ydata()
    np.testing.assert_allclose(y, ref.log_delay / np.log(10), rtol=1e-14)
    assert np.isinf(ref.delay[-1]) and np.isfinite(y[-1])

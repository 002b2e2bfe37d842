"""linear_teacher_student against independent computations (seed 003, arXiv 2310.16441).

References: 20-digit mpmath quadrature of the paper's own integrands (eqs 8, 38); eq 19
(Bessel closed form) and eq 20 (dL_gen/dt = -4 eta0 L_tr); scipy quad + brentq per point; the
exact gradient flow of sampled finite-size problems (eigendecomposition of the actual Gram
matrix with actual teacher, student and label noise); the paper's eqs 11, 23-24. The precise
exact times vs 25-digit mpmath are in tests/references/linear_teacher_student.py.
"""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, special

import grokdelay as gd
from grokdelay import linear_teacher_student as lts

LTS = gd.LinearTeacherStudent
HYP = settings(max_examples=15, deadline=None, derandomize=True)


def mp_losses(lam, tau, g=0.0, a2=1.0, s=1.0, sig2=0.0, dps=20):
    """(train, gen) by mpmath: the paper's eq 38 integrand (student |S0|^2 scaled by alpha^2,
    eq 37), the noise terms in their raw unsimplified form, the density of eq 6."""
    with mp.workdps(dps):
        lam, tau, g, a2, s, sig2 = map(mp.mpf, (lam, tau, g, a2, s, sig2))
        a, b = (1 - mp.sqrt(lam)) ** 2, (1 + mp.sqrt(lam)) ** 2

        def parts(v):
            k = v + g
            if k == 0:
                return s * (a2 + 1) / 2, mp.mpf(0), mp.mpf(0)
            e = mp.e ** (-2 * tau * k)
            sig = s * (a2 * e ** 2 + ((e * v + g) / k) ** 2) / 2           # eq 38
            one_m = 1 - e
            ng = sig2 * lam * v * one_m ** 2 / k ** 2
            nt = sig2 * lam * (v * v * one_m ** 2 / k ** 2 - 2 * v * one_m / k)
            return sig, ng, nt

        def integrand(which):
            def f(ph):
                v = a + (b - a) * mp.sin(ph) ** 2
                dens = mp.sqrt((b - v) * (v - a)) / (2 * mp.pi * lam * v)
                sig, ng, nt = parts(v)
                val = sig + ng if which == "gen" else v * sig + nt
                return val * dens * 2 * (b - a) * mp.sin(ph) * mp.cos(ph)
            return f
        pts = [0] + [mp.pi / 2 * mp.mpf(2) ** (-j) for j in range(16, -1, -1)]
        gen = mp.quad(integrand("gen"), pts)
        tr = mp.quad(integrand("tr"), pts) + sig2
        if lam > 1:
            gen += (1 - 1 / lam) * parts(mp.mpf(0))[0]
        return float(tr), float(gen)


@pytest.mark.parametrize("kw,t", [
    (dict(aspect_ratio=0.9, weight_decay=1e-3), 3e3),
    (dict(aspect_ratio=2.0, weight_decay=0.01, init_scale=0.3), 300.0),
    (dict(aspect_ratio=0.7, label_noise=0.1), 1e3),
    (dict(aspect_ratio=1.5, label_noise=0.05, weight_decay=0.02, d_out=3), 3e3),
    (dict(aspect_ratio=0.99), 3e4),
])
def test_losses_against_mpmath(kw, t):
    # graded Gauss-Legendre vs 20-digit adaptive mpmath: measured agreement ~1e-14
    p = LTS(learning_rate=0.01, **kw)
    d = kw.get("d_out", 1)
    ref = mp_losses(kw["aspect_ratio"], 0.01 / d * t, g=0.5 * d * kw.get("weight_decay", 0),
                    a2=kw.get("init_scale", 1.0) ** 2, s=1 / d, sig2=kw.get("label_noise", 0) ** 2)
    got = lts.losses(p, t)
    np.testing.assert_allclose([float(got[0]), float(got[1])], ref, rtol=1e-12)


@pytest.mark.parametrize("lam", [0.1, 0.5, 0.99, 1.0, 3.0])
def test_eq19_closed_form_equals_quadrature(lam):
    # eq 19 (Bessel form, used as the fast path) vs the quadrature path, forced by a weight
    # decay of 1e-300 (same physics, other code path). Both are ~1e-14 accurate.
    tau = np.array([0.0, 0.01, 1.0, 30.0, 300.0])
    closed = lts.eq19_train_loss(lam, tau)
    p = LTS(aspect_ratio=lam, learning_rate=1.0, weight_decay=1e-300)
    quad_tr, _ = lts.losses(p, tau)
    np.testing.assert_allclose(closed, quad_tr, rtol=1e-12)


@pytest.mark.parametrize("lam", [0.3, 0.9, 2.0])
def test_eq20_gen_loss_is_the_integral_of_the_train_loss(lam):
    # eq 20: dL_gen/dt = -4 eta0 L_tr, so L_gen(t1) - L_gen(t2) = 4 eta0 int L_tr; scipy quad
    # of the train curve (1e-10) against the gen curve's difference.
    p = LTS(aspect_ratio=lam, learning_rate=0.01)
    t1, t2 = 50.0, 400.0
    integral = integrate.quad(lambda t: float(lts.losses(p, t)[0]), t1, t2, epsrel=1e-12)[0]
    g1, g2 = lts.losses(p, [t1, t2])[1]
    assert g1 - g2 == pytest.approx(4 * 0.01 * integral, rel=1e-9)


def _finite_flow(lam, d, eta0, g, alpha, sigma, t, seed):
    """Exact gradient flow of one sampled problem (not the MP average): eigendecompose the
    actual Gram matrix; D(t) = D* + exp(-2 eta0 (Sigma + g) t)(D0 - D*)."""
    rng = np.random.default_rng(seed)
    n = round(d / lam)
    x = rng.standard_normal((n, d))
    teacher = rng.standard_normal(d) / np.sqrt(2 * d)
    s0 = alpha * rng.standard_normal(d) / np.sqrt(2 * d)
    delta = sigma * rng.standard_normal(n)
    nu, v = np.linalg.eigh(x.T @ x / n)
    k = np.clip(nu, 0, None) + g
    d0, tb, bb = v.T @ (s0 - teacher), v.T @ teacher, v.T @ (x.T @ delta / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        dstar = np.where(k > 1e-12, (bb - g * tb) / np.where(k > 1e-12, k, 1), 0.0)
    dt = dstar + np.exp(-2 * eta0 * np.outer(t, k)) * (d0 - dstar)
    gen = np.sum(dt ** 2, axis=1)
    train = np.mean((x @ (dt @ v.T).T - delta[:, None]) ** 2, axis=0)
    return train, gen


@pytest.mark.parametrize("lam,g,alpha,sigma", [(0.5, 0.0, 1.0, 0.0), (0.5, 0.01, 0.5, 0.1),
                                               (2.0, 0.005, 1.0, 0.05)])
def test_losses_against_sampled_gradient_flow(lam, g, alpha, sigma):
    # d_in = 400, 6 seeds. Measured: the seed mean sits within ~2 standard errors of the MP
    # average, whose standard error is 1-7% here; finite-size bias is O(1/d). Tolerance:
    # 4 standard errors + 3%.
    t = np.array([0.0, 30.0, 100.0, 300.0])
    runs = np.array([_finite_flow(lam, 400, 0.01, g, alpha, sigma, t, s) for s in range(6)])
    mean, se = runs.mean(0), runs.std(0, ddof=1) / np.sqrt(6)
    p = LTS(aspect_ratio=lam, learning_rate=0.01, weight_decay=2 * g, init_scale=alpha,
            label_noise=sigma)
    theory = np.array(lts.losses(p, t))
    assert np.all(np.abs(mean - theory) <= 4 * se + 0.03 * theory), (mean / theory - 1, se / theory)


def test_floors_against_ridge_solution_and_eq15():
    # t -> inf: the ridge solution D* = -g (Sigma + g)^-1 T of sampled problems (d = 500, 4
    # seeds; spread ~3%) against loss_floors; the small-gamma limit gamma^2/(8 (1-lam)^3) is
    # half of seed 003's eq 15 (gamma^2/(4 (1-lam)^3)), which drops eq 14's prefactor 1/2.
    lam, wd = 0.5, 2e-3
    g = wd / 2
    runs = np.array([_finite_flow(lam, 500, 0.01, g, 1.0, 0.0, np.array([1e9]), s)
                     for s in range(4)])[:, :, 0]
    tr_f, gen_f = lts.loss_floors(LTS(aspect_ratio=lam, learning_rate=0.01, weight_decay=wd))
    assert runs[:, 1].mean() == pytest.approx(gen_f, rel=0.08)
    assert runs[:, 0].mean() == pytest.approx(tr_f, rel=0.08)
    assert gen_f == pytest.approx(wd ** 2 / (8 * (1 - lam) ** 3), rel=0.03)  # O(gamma) corr.
    assert tr_f == pytest.approx(wd ** 2 / (8 * (1 - lam)), rel=0.03)
    assert gen_f < 0.6 * wd ** 2 / (4 * (1 - lam) ** 3)          # eq 15 as printed is 2x


def test_label_noise_floors_are_the_least_squares_ones():
    # classical least squares: train residual sigma^2 (1 - lam), excess risk sigma^2 lam/(1-lam)
    s, lam = 0.1, 0.6
    tr, gen = lts.loss_floors(LTS(aspect_ratio=lam, learning_rate=0.01, label_noise=s))
    assert tr == pytest.approx(s ** 2 * (1 - lam), rel=1e-12)
    assert gen == pytest.approx(s ** 2 * lam / (1 - lam), rel=1e-11)
    tr, gen = lts.loss_floors(LTS(aspect_ratio=2.5, learning_rate=0.01, label_noise=s))
    # lambda > 1: interpolation (train 0); null space (1 - 1/lam)(1 + alpha^2)/2 plus the
    # min-norm excess risk sigma^2 / (lam - 1)
    assert tr == 0.0 and gen == pytest.approx(0.5 * (1 - 1 / 2.5) * 2 + s ** 2 / 1.5, rel=1e-11)


def test_exact_time_against_scipy_quad_and_brentq():
    # The obvious per-point method: scipy quad of eq 8 on the raw density + brentq.
    lam, eta, eps = 0.7, 0.01, 1e-4
    lo, hi = gd.linear_teacher_student.mp_edges(lam)

    def loss(t, q):
        f = lambda v: (v if q else 1.0) * math.exp(-4 * eta * v * t) * lts.mp_density(v, lam)
        return integrate.quad(f, lo, hi, epsabs=0, epsrel=1e-13, limit=200)[0]
    ref = [optimize.brentq(lambda t: math.log(loss(t, q)) - math.log(eps / 4), 1.0, 2e5,
                           xtol=1e-12, rtol=1e-13) for q in (True, False)]
    p = gd.predict_delay(LTS(aspect_ratio=lam, learning_rate=eta, threshold=eps))
    # quad on the sqrt-singular edges is good to ~1e-10 here
    np.testing.assert_allclose([p.t_mem, p.t_grok], ref, rtol=1e-8)


def test_seed_readme_numbers_at_lambda_09():
    # seeds/README: eq 11 off by ~2.7x at lambda = 0.9, eps = 1e-3; eqs 23-24 within ~12%
    p = LTS(aspect_ratio=0.9, learning_rate=0.01)
    exact = gd.predict_delay(p).delay
    lw = gd.predict_delay(p, method="lambert_w").delay
    asym = gd.predict_delay(p, method="asymptotic").delay
    assert asym / exact == pytest.approx(2.753, rel=0.01)
    assert lw / exact == pytest.approx(1.118, rel=0.01)


def test_lambert_w_error_at_small_aspect_ratio_as_documented():
    # the docstring's measured validity: lambert_w is poor at small lambda (+57% at
    # lambda = 0.05, eps = 1e-3; still +26% at eps = 1e-6), not "within 12%"
    p = LTS(aspect_ratio=0.05, learning_rate=0.01, threshold=np.array([1e-3, 1e-6]))
    ratio = gd.predict_delay(p, method="lambert_w").delay / gd.predict_delay(p).delay
    np.testing.assert_allclose(ratio, [1.572, 1.264], rtol=0.005)


def test_depth2_threshold_mapping_of_the_paper_initialization():
    # depth = 2 fixes eq 18's ||D0||^2 at the one-layer value; the paper's layer init at
    # width d_h scales every loss by 1/(2 d_h), i.e. is the same model at threshold * 2 d_h
    dh, t = 50, np.array([0.0, 300.0, 3000.0])
    p = LTS(aspect_ratio=0.5, learning_rate=0.01, depth=2, d_out=5)
    lib = gd.linear_teacher_student
    tr, gen = lib.losses(p, t)
    assert gen[0] == pytest.approx(1.0 / 5)
    paper_gen = gen / (2 * dh)
    acc_paper = special.gammainc(2.5, 2.5 * 1e-4 / paper_gen)
    np.testing.assert_allclose(lib.accuracies(_replace(p, threshold=1e-4 * 2 * dh), t)[1],
                               acc_paper, rtol=1e-12)


def _replace(p, **kw):
    fields = dict(aspect_ratio=p.aspect_ratio, learning_rate=p.learning_rate, depth=p.depth,
                  d_out=p.d_out)
    fields.update(kw)
    return LTS(**fields)


def test_approximations_converge_as_epsilon_goes_to_zero():
    eps = np.array([1e-3, 1e-6, 1e-12])
    p = LTS(aspect_ratio=0.5, learning_rate=0.01, threshold=eps)
    exact = gd.predict_delay(p).delay
    err_lw = np.abs(gd.predict_delay(p, method="lambert_w").delay / exact - 1)
    err_as = np.abs(gd.predict_delay(p, method="asymptotic").delay / exact - 1)
    assert np.all(np.diff(err_lw) < 0) and np.all(np.diff(err_as) < 0)
    assert err_lw[-1] < 0.03 and err_as[-1] < 0.2


def test_methods_outside_their_domain_name_the_field_and_the_method():
    with pytest.raises(gd.ParameterError, match="aspect_ratio.*exact"):
        gd.predict_delay(LTS(aspect_ratio=1.5, learning_rate=0.01), method="lambert_w")
    with pytest.raises(gd.ParameterError, match="label_noise"):
        gd.predict_delay(LTS(aspect_ratio=0.5, learning_rate=0.01, label_noise=0.1),
                         method="asymptotic")
    with pytest.raises(gd.ParameterError, match="weight_decay"):
        gd.predict_delay(LTS(aspect_ratio=0.5, learning_rate=0.01, weight_decay=1e-3),
                         method="lambert_w")
    with pytest.raises(gd.ParameterError, match="weight_decay"):
        LTS(aspect_ratio=0.5, learning_rate=0.01, weight_decay=1e-3, depth=2)
    with pytest.raises(gd.ParameterError, match="accuracy"):
        LTS(aspect_ratio=0.5, learning_rate=0.01, accuracy=1.0)


def test_never_groks_regimes_are_inf_with_the_floor_in_the_note():
    p = gd.predict_delay(LTS(aspect_ratio=2.0, learning_rate=0.01))
    assert p.t_grok == math.inf and math.isfinite(p.t_mem)
    assert any("null space" in n and "floor 0.5" in n for n in p.notes)
    p = gd.predict_delay(LTS(aspect_ratio=0.5, learning_rate=0.01, weight_decay=0.05))
    floor = lts.loss_floors(LTS(aspect_ratio=0.5, learning_rate=0.01, weight_decay=0.05))[1]
    assert floor > 2.5e-4 and p.t_grok == math.inf
    assert any(f"{floor:.4g}" in n for n in p.notes)
    p = gd.predict_delay(LTS(aspect_ratio=0.5, learning_rate=0.01, label_noise=0.1))
    assert p.t_mem == math.inf and any("training loss floor" in n for n in p.notes)


def test_label_noise_crossings_and_negative_delay():
    # the noisy generalization loss is not monotone: its first down-crossing is found by a
    # grid scan plus a bracketed root; check the loss on both sides of the returned time
    p = LTS(aspect_ratio=0.5, learning_rate=0.01, label_noise=0.03, threshold=4e-3)
    pred = gd.predict_delay(p)
    t = np.array([pred.t_grok * (1 - 1e-6), pred.t_grok * (1 + 1e-6)])
    gen = lts.losses(p, t)[1]
    assert gen[0] > 1e-3 > gen[1]
    # small lambda: the train loss carries sigma^2 from the start, so the test set is
    # learned first: negative delay, log_delay -inf, with a note (never NaN)
    q = gd.predict_delay(LTS(aspect_ratio=0.05, learning_rate=0.01, label_noise=0.03,
                             threshold=4e-3))
    assert q.delay < 0 and q.log_delay == -math.inf
    assert any("before the training accuracy" in n for n in q.notes)


@HYP
@given(st.floats(0.05, 0.95), st.floats(1e-6, 1e-2), st.floats(1.5, 10))
def test_times_decrease_with_threshold(lam, eps, factor):
    p = gd.predict_delay(LTS(aspect_ratio=lam, learning_rate=0.01,
                             threshold=np.array([eps, eps * factor])))
    assert p.t_mem[1] < p.t_mem[0] and p.t_grok[1] < p.t_grok[0]
    assert np.all(p.t_grok > p.t_mem)             # eq 10: L_gen > L_tr when lambda < 1


@HYP
@given(st.floats(0.05, 3.0), st.floats(1e-4, 0.1), st.floats(1e-5, 1e-2))
def test_times_scale_exactly_as_one_over_learning_rate(lam, eta, eps):
    a = gd.predict_delay(LTS(aspect_ratio=lam, learning_rate=eta, threshold=eps))
    b = gd.predict_delay(LTS(aspect_ratio=lam, learning_rate=2 * eta, threshold=eps))
    assert b.t_mem == pytest.approx(a.t_mem / 2, rel=1e-10)
    if math.isfinite(a.t_grok):
        assert b.t_grok == pytest.approx(a.t_grok / 2, rel=1e-10)


@HYP
@given(st.floats(0.05, 0.95), st.floats(0.0, 3.0))
def test_init_scale_is_a_threshold_rescaling(lam, alpha):
    # section 3.1: L -> (1 + alpha^2)/2 L, i.e. epsilon -> 2 epsilon / (1 + alpha^2)
    a = gd.predict_delay(LTS(aspect_ratio=lam, learning_rate=0.01, init_scale=alpha))
    b = gd.predict_delay(LTS(aspect_ratio=lam, learning_rate=0.01,
                             threshold=2e-3 / (1 + alpha ** 2)))
    assert a.t_mem == pytest.approx(b.t_mem, rel=1e-10, abs=1e-9)
    assert a.t_grok == pytest.approx(b.t_grok, rel=1e-10, abs=1e-9)


@HYP
@given(st.floats(0.05, 3.0), st.integers(2, 30), st.floats(1.0, 1e4))
def test_d_out_and_depth_are_rescalings_of_eq8(lam, d, t):
    # eq 12: L^(d) (eta, t) = L^(1)(eta/d, t)/d; eq 18: depth 2 runs at eta/(2 d^2)
    one = LTS(aspect_ratio=lam, learning_rate=0.01)
    many = LTS(aspect_ratio=lam, learning_rate=0.01, d_out=d)
    deep = LTS(aspect_ratio=lam, learning_rate=0.01, d_out=d, depth=2)
    np.testing.assert_allclose(np.array(lts.losses(many, t)),
                               np.array(lts.losses(one, t / d)) / d, rtol=1e-12)
    np.testing.assert_allclose(np.array(lts.losses(deep, t)),
                               np.array(lts.losses(one, t / (2 * d * d))) / d, rtol=1e-12)


def test_accuracy_field_and_eq9():
    p = LTS(aspect_ratio=0.5, learning_rate=0.01)
    pred = gd.predict_delay(p)
    acc = lts.accuracies(p, [pred.t_mem, pred.t_grok])
    assert acc[0][0] == pytest.approx(math.erf(math.sqrt(2)), rel=1e-12)
    assert acc[1][1] == pytest.approx(math.erf(math.sqrt(2)), rel=1e-12)
    p3 = LTS(aspect_ratio=0.5, learning_rate=0.01, d_out=3, accuracy=0.9)
    pred = gd.predict_delay(p3)
    assert lts.accuracies(p3, pred.t_grok)[1] == pytest.approx(0.9, rel=1e-12)


def test_vectorized_sweep_is_fast_and_matches_scalar_calls():
    lam = np.linspace(0.05, 0.99, 20)[:, None]
    wd = np.logspace(-7, -3, 10)[None, :]
    p = gd.predict_delay(LTS(aspect_ratio=lam, learning_rate=0.01, weight_decay=wd))
    for i, j in [(0, 0), (19, 9), (7, 3)]:
        s = gd.predict_delay(LTS(aspect_ratio=float(lam[i, 0]), learning_rate=0.01,
                                 weight_decay=float(wd[0, j])))
        assert p.t_grok[i, j] == pytest.approx(s.t_grok, rel=1e-12)


def test_scenario_states_the_regime():
    sc = LTS.scenario()
    pred = gd.predict_delay(sc.params)
    assert pred.t_mem == math.inf and "never" in sc.summary
    no_wd = gd.predict_delay(sc.params.replace(weight_decay=0.0))
    assert 1.0 < no_wd.ratio < 1.2


def test_simulation_functions_are_public():
    from grokdelay import _lts_simulation as sim

    for name in ("simulate_gradient_descent", "integrate_gradient_flow",
                 "GradientDescentRun", "GradientFlowRun"):
        assert getattr(gd.linear_teacher_student, name) is getattr(sim, name)
        assert name in gd.linear_teacher_student.__all__


def test_target_without_scipy_matches_gammaincinv_and_mpmath():
    # One d_out and one accuracy for all points: P^-1(d_out/2, A) in plain Python (keeps
    # scipy.special off the shell's path). Against mpmath at 40 digits: erfinv to 2 ulp;
    # the general inverse to 5e-15 (measured worst 2.9e-15 over d_out 1..10^4, A from 1e-12
    # to 1 - 1e-12; scipy's gammaincinv: 2.2e-15), far inside the 1e-13 budget of the times.
    import mpmath
    from scipy import special

    from grokdelay._lts_closed_forms import target_loss_level as _target
    from grokdelay._special import erfinv as _erfinv
    from grokdelay._special import gammaincinv as _gammaincinv

    for a in (1e-300, 1e-9, 0.3, 0.5, math.erf(math.sqrt(2.0)), 0.999, 1 - 1e-12, 1 - 2**-53):
        with mpmath.workdps(40):
            ref = float(mpmath.erfinv(mpmath.mpf(a)))
        assert _erfinv(a) == pytest.approx(ref, rel=5e-16), a
    for d in (1, 2, 3, 20, 39, 40, 97, 1000):
        for acc in (1e-12, 0.01, 0.5, math.erf(math.sqrt(2.0)), 0.999999, 1 - 1e-12):
            guess = special.gammaincinv(d / 2, acc)
            with mpmath.workdps(40):
                ref = float(mpmath.findroot(
                    lambda x: mpmath.gammainc(d / 2, 0, x, regularized=True) - acc,
                    (guess * (1 - 1e-6), guess * (1 + 1e-6)), solver="anderson"))
            assert _gammaincinv(d / 2, acc) == pytest.approx(ref, rel=5e-15), (d, acc)
            assert _target(1e-3, acc, d) == pytest.approx(d * 1e-3 / (2 * ref), rel=5e-15)
    # mixed outputs or accuracies take scipy's gammaincinv, element by element
    acc = np.array([0.5, 0.9, 0.99])
    dout = np.array([1, 3, 40])
    np.testing.assert_allclose(_target(1e-3, acc, dout),
                               dout * 1e-3 / (2 * special.gammaincinv(dout / 2, acc)),
                               rtol=1e-15)

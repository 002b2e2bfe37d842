r"""Each mechanism's closed forms, written once as sympy expressions.

The numerical code stays numpy (each mechanism module); this module holds the same laws as
symbolic expressions, and from them come

* the LaTeX of the docs (the ``.. mechanism-laws::`` directive of ``docs/_ext``) and of the
  notebook reprs (``Parameters._repr_latex_``, ``DelayPrediction._repr_latex_``);
* the exact elasticities of :func:`grokdelay.elasticity` (the symbolic log-derivative,
  lambdified to numpy and cached);
* the symbolic checks of ``tests/test_symbolic.py`` (limits, series, inversions).

sympy is imported here only: ``import grokdelay`` does not import this module (the core
imports it inside the functions that need it).

A :class:`Law` is one method's closed form on its main branch (the regime in which the
mechanism predicts a delay): ``t_mem``, ``t_grok`` and ``delay`` (two given, the third
follows), written in the symbols of the parameter fields, plus named intermediate
definitions (rendered as "where ..."), plus constants computed from non-scalar fields (a
spectrum's extremes, a Hessian prefactor). ``rounded`` marks a method whose prediction is the
integer step count at or after the law's value (the law is then the unrounded count).
Which branch a point is on is the numerical code's business: :func:`grokdelay.elasticity`
uses a law only where its value agrees with the prediction.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

__all__ = ["Law", "laws", "law_for", "methods_with_laws", "latex_for_params",
           "latex_for_prediction", "GammaIncInv", "LogAbs1m"]


# --------------------------------------------------------------------------- special functions


class GammaIncInv(sp.Function):
    r"""Inverse in x of the regularized lower incomplete gamma function, :math:`P^{-1}(a, y)`.

    Its derivative in ``y`` is :math:`\Gamma(a)\,x^{1-a}e^{x}` at :math:`x = P^{-1}(a, y)`
    (inverse-function rule on :math:`\partial_x P = x^{a-1}e^{-x}/\Gamma(a)`); numerically it
    is :func:`scipy.special.gammaincinv`.
    """

    nargs = 2

    def fdiff(self, argindex=2):
        a, _ = self.args
        if argindex == 2:
            return sp.gamma(a) * self ** (1 - a) * sp.exp(self)
        from sympy.core.function import ArgumentIndexError

        raise ArgumentIndexError(self, argindex)

    def _latex(self, printer):
        a, y = (printer._print(x) for x in self.args)
        return rf"P^{{-1}}\!\left({a},\, {y}\right)"


class LogAbs1m(sp.Function):
    r""":math:`\log|1 - x|`, evaluated without cancellation (``log1p`` below 1), as the
    per-step contraction of a gradient-descent mode; derivative :math:`1/(x - 1)`."""

    nargs = 1

    def fdiff(self, argindex=1):
        return 1 / (self.args[0] - 1)

    def _latex(self, printer):
        return rf"\log\left|1 - {printer._print(self.args[0])}\right|"


def _log_abs_1m(x):
    from ._contraction import log_contraction

    return log_contraction(x)


def _lambertw_real(z):
    from scipy import special

    return special.lambertw(z).real


def _gammaincinv(a, y):
    from scipy import special

    return special.gammaincinv(a, y)


_MODULES = [{"LambertW": _lambertw_real, "GammaIncInv": _gammaincinv,
             "LogAbs1m": _log_abs_1m}, "scipy", "numpy"]


# --------------------------------------------------------------------------- laws

QUANTITIES = ("t_mem", "t_grok", "delay")
_TEX_Q = {"t_mem": r"t_\mathrm{mem}", "t_grok": r"t_\mathrm{grok}",
          "delay": r"t_\mathrm{grok} - t_\mathrm{mem}"}


@dataclasses.dataclass(frozen=True, eq=False)
class Law:
    """One method's closed form (see the module docstring).

    ``fields`` maps a parameter field to its symbol; ``constants`` maps a symbol that is not
    a scalar field to a function ``(params, broadcast) -> array`` giving its value;
    ``defs`` are ``(symbol, expression)`` pairs, later ones may use earlier ones;
    ``latex_names`` gives the LaTeX of each symbol; ``when`` selects this variant for a
    parameter object (e.g. on which optional fields are given); ``source`` cites the paper.
    """

    mechanism: str
    method: str
    fields: dict[str, sp.Symbol]
    quantities: dict[str, sp.Expr]
    defs: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()
    constants: dict[sp.Symbol, Callable[[Any, Any], Any]] = dataclasses.field(
        default_factory=dict)
    latex_names: dict[sp.Symbol, str] = dataclasses.field(default_factory=dict)
    rounded: bool = False
    when: Callable[[Any], bool] = lambda params: True
    variant: str = ""
    source: str = ""
    fixed: frozenset[str] = frozenset()   # fields the law uses but cannot differentiate in

    def differentiable(self, field: str) -> bool:
        return field in self.fields and field not in self.fixed

    def __post_init__(self) -> None:
        object.__setattr__(self, "stated", tuple(k for k in QUANTITIES if k in self.quantities))
        q = dict(self.quantities)
        if "delay" not in q:
            q["delay"] = q["t_grok"] - q["t_mem"]
        if "t_grok" not in q:
            q["t_grok"] = q["t_mem"] + q["delay"]
        object.__setattr__(self, "quantities", q)

    # ------------------------------------------------------------------ symbolic
    def expr(self, quantity: str) -> sp.Expr:
        """The quantity in field and constant symbols only (definitions substituted)."""
        e = self.quantities[quantity]
        for sym, value in reversed(self.defs):
            e = e.subs(sym, value)
        return e

    def log_expr(self, quantity: str) -> sp.Expr:
        """log of the (positive) quantity, split over its factors, so that exp(barrier/T)
        never overflows numerically and a ratio of two negative logs stays real."""
        return _log_abs(self.expr(quantity))

    def elasticity_expr(self, quantity: str, field: str) -> sp.Expr:
        """d log(quantity) / d log(field) = field * d log(quantity) / d field."""
        x = self.fields[field]
        return x * sp.diff(self.log_expr(quantity), x)

    @property
    def args(self) -> tuple[sp.Symbol, ...]:
        return tuple(self.fields.values()) + tuple(self.constants)

    def values(self, params, a) -> list[Any]:
        """Numerical values of :attr:`args` for a parameter object and its broadcast."""
        out = [np.asarray(getattr(a, f), dtype=float) for f in self.fields]
        out += [np.asarray(get(params, a), dtype=float) for get in self.constants.values()]
        return out

    def _lambdify(self, expr: sp.Expr) -> Callable:
        from sympy.codegen.rewriting import log1p_opt, optimize

        # log(1 - x) -> log1p(-x): no cancellation for a small decay rate
        return sp.lambdify(self.args, optimize(expr, [log1p_opt]), modules=_MODULES, cse=True)

    @functools.cache  # noqa: B019 (laws live for the whole process)
    def log_function(self, quantity: str) -> Callable:
        return self._lambdify(self.log_expr(quantity))

    @functools.cache  # noqa: B019
    def elasticity_function(self, quantity: str, field: str) -> Callable:
        return self._lambdify(self.elasticity_expr(quantity, field))

    # ------------------------------------------------------------------ LaTeX
    def latex(self, quantities: tuple[str, ...] | None = None) -> list[str]:
        """LaTeX lines: the quantities, then "where" the definitions."""
        def tex(e):
            return sp.latex(e, symbol_names=self.latex_names)

        inputs = set(self.fields.values())
        # a time that is an input (t_mem given) is not a law: leave it out
        wanted = quantities or tuple(k for k in self.stated if self.quantities[k] not in inputs)
        lines = [f"{_TEX_Q[k]} = {tex(self.quantities[k])}" for k in wanted]
        lines += [f"{tex(sym)} = {tex(value)}" for sym, value in self.defs]
        return lines


def _log_abs(e: sp.Expr) -> sp.Expr:
    """log|e| as a sum over the factors of e (no branch cuts for real factors)."""
    if isinstance(e, sp.Mul):
        return sp.Add(*(_log_abs(f) for f in e.args))
    if isinstance(e, sp.Pow) and (e.base.is_positive or e.exp.is_integer):
        return e.exp * _log_abs(e.base)
    if isinstance(e, sp.exp):
        return e.args[0]
    if e.is_Number:
        return sp.log(abs(e))
    return sp.log(e) if e.is_positive else sp.log(sp.Abs(e))


# --------------------------------------------------------------------------- the laws


def _pos(name: str) -> sp.Symbol:
    return sp.Symbol(name, positive=True)


def _given(field: str) -> Callable[[Any], bool]:
    return lambda params: getattr(params, field) is not None


def _absent(field: str) -> Callable[[Any], bool]:
    return lambda params: getattr(params, field) is None


def _timescale() -> list[Law]:
    N, al, eta, k0, kg = (_pos(n) for n in ("N", "alpha", "eta", "K0", "Kg"))
    return [Law("timescale_separation", "abstract_law",
                {"width": N, "alpha": al, "learning_rate": eta, "kernel_norm": k0,
                 "kernel_gradient_norm": kg},
                {"t_mem": 1 / (eta * k0), "t_grok": N ** (2 * al) / (eta * kg)},
                latex_names={k0: r"\|K_0\|", kg: r"\|\nabla_w K\|"},
                source="Analytical Proof notes, abstract")]


def _spectral() -> list[Law]:
    eta, tol, nmax, nmin = (_pos(n) for n in ("eta", "tol", "nu_max", "nu_min"))
    consts = {nmax: lambda p, a: np.max(p.eigenvalues),
              nmin: lambda p, a: np.min(p.eigenvalues[p.eigenvalues > 0])}
    names = {nmax: r"\nu_{\max}", nmin: r"\nu_{\min}^{+}", tol: r"\mathrm{tol}"}
    f = {"learning_rate": eta, "tolerance": tol}
    flow = Law("spectral", "gradient_flow", f,
               {"t_mem": sp.log(1 / tol) / (eta * nmax), "t_grok": sp.log(1 / tol) / (eta * nmin)},
               constants=consts, latex_names=names, source="Analytical Proof notes, section 4.3")
    gd = Law("spectral", "gradient_descent", f,
             {"t_mem": sp.log(tol) / LogAbs1m(eta * nmax),
              "t_grok": sp.log(tol) / LogAbs1m(eta * nmin)},
             constants=consts, latex_names=names, rounded=True,
             source="exact discrete gradient descent, unrounded")
    return [flow, gd]


def _ridge() -> list[Law]:
    h, eta, lam, tol, hmax, ell = (_pos(n) for n in ("h", "eta", "lambda", "tol", "h_max", "ell"))
    names = {h: r"h_{\min}^{+}", hmax: r"h_{\max}", tol: r"\mathrm{tol}", ell: r"\ell"}
    f = {"gram_min": h, "learning_rate": eta, "weight_decay": lam, "tolerance": tol}
    flow = Law("ridge_null_space", "gradient_flow", f,
               {"t_mem": ell / (eta * (h + lam)), "t_grok": ell / (eta * lam),
                "delay": ell * h / (eta * lam * (h + lam))},
               defs=((ell, sp.log(1 / tol)),), latex_names=names,
               source="Analytical Proof notes, section 2.6")
    t_null = sp.log(tol) / LogAbs1m(eta * lam)
    one = sp.log(tol) / LogAbs1m(eta * (h + lam))
    gd_none = Law("ridge_null_space", "gradient_descent", f, {"t_mem": one, "t_grok": t_null},
                  latex_names=names, rounded=True, when=_absent("gram_max"),
                  variant="gram_max not given", source="exact discrete gradient descent")
    both = sp.log(tol) / sp.Max(LogAbs1m(eta * (h + lam)),
                                LogAbs1m(eta * (hmax + lam)))
    gd_max = Law("ridge_null_space", "gradient_descent", {**f, "gram_max": hmax},
                 {"t_mem": both, "t_grok": t_null}, latex_names=names, rounded=True,
                 when=_given("gram_max"), variant="gram_max given",
                 source="exact discrete gradient descent")
    return [flow, gd_none, gd_max]


def _implicit_bias() -> list[Law]:
    al, lam, eta, tm = (_pos(n) for n in ("alpha", "lambda", "eta", "t_mem"))
    names = {tm: r"t_\mathrm{mem}"}
    base = {"init_scale": al, "weight_decay": lam, "t_mem": tm}
    src = "Analytical Proof notes, section 2.5; Lyu et al. 2024"
    return [
        Law("implicit_bias", "gradient_flow", {**base, "learning_rate": eta},
            {"t_mem": tm, "t_grok": sp.log(al) / (eta * lam)}, latex_names=names,
            when=_given("learning_rate"), variant="steps", source=src),
        Law("implicit_bias", "gradient_flow", base,
            {"t_mem": tm, "t_grok": sp.log(al) / lam}, latex_names=names,
            when=_absent("learning_rate"), variant="time units", source=src),
        Law("implicit_bias", "gradient_descent", {**base, "learning_rate": eta},
            {"t_mem": tm, "t_grok": -sp.log(al) / LogAbs1m(eta * lam)},
            latex_names=names, rounded=True, source="exact decoupled decay"),
    ]


def _norm_separation() -> list[Law]:
    eta, lam, nm, npost, tm, g = (_pos(n) for n in ("eta", "lambda", "n_mem", "n_post",
                                                    "t_mem", "gamma_eff"))
    names = {nm: r"\|\theta_\mathrm{mem}\|", npost: r"\|\theta_\mathrm{post}\|",
             tm: r"t_\mathrm{mem}", g: r"\gamma_\mathrm{eff}"}
    f = {"norm_mem": nm, "norm_post": npost, "t_mem": tm}
    ratio = sp.log(nm ** 2 / npost ** 2)
    out = []
    for method, delay, src in (("contraction", ratio / (-2 * sp.log(1 - g)),
                                "exact pure decoupled decay"),
                               ("law", ratio / (2 * g), "arXiv 2603.13331, abstract")):
        out.append(Law("norm_separation", method, {**f, "learning_rate": eta, "weight_decay": lam},
                       {"t_mem": tm, "delay": delay}, defs=((g, eta * lam),), latex_names=names,
                       when=_absent("gamma_eff"), variant="gamma_eff = eta lambda", source=src))
        out.append(Law("norm_separation", method, {**f, "gamma_eff": g},
                       {"t_mem": tm, "delay": delay}, latex_names=names,
                       when=_given("gamma_eff"), variant="gamma_eff given", source=src))
    return out


def _kramers() -> list[Law]:
    B, T, tm, eta, P = (_pos(n) for n in ("DeltaF", "T", "t_mem", "eta", "P"))
    names = {B: r"\Delta F", tm: r"t_\mathrm{mem}",
             P: r"\frac{2\pi}{|\lambda_s|}\sqrt{\frac{|\det H_s|}{\det H_{\min}}}"}
    consts = {P: lambda p, a: math.exp(p.log_prefactor)}
    out = []
    for method, scale in (("eyring_kramers", 1), ("saddle_passage", sp.Rational(1, 2))):
        tau = scale * P * sp.exp(B / T)
        base = {"barrier": B, "temperature": T, "t_mem": tm}
        out.append(Law("kramers", method, {**base, "learning_rate": eta},
                       {"t_mem": tm, "delay": tau / eta}, constants=consts, latex_names=names,
                       when=_given("learning_rate"), variant="steps",
                       source="Analytical Proof notes, section 3.3"))
        out.append(Law("kramers", method, base, {"t_mem": tm, "delay": tau}, constants=consts,
                       latex_names=names, when=_absent("learning_rate"), variant="time units",
                       source="Analytical Proof notes, section 3.3"))
    return out


def _two_clocks() -> list[Law]:
    gam, K, eps, th, c, dl, g0, tmg, tl, e0, rho, beta = (
        _pos("gamma_g"), _pos("K"), _pos("epsilon"), _pos("theta"), _pos("c"), _pos("delta"),
        sp.Symbol("g0", real=True), _pos("t_m"), _pos("t_l"), _pos("E0"), _pos("rho"),
        _pos("beta"))
    names = {gam: r"\gamma", g0: "g_0", tmg: "t_m", tl: r"t_\ell", e0: "E_0"}
    base = {"gap_rate": gam, "n_classes": K, "loss_target": eps, "kl_exponent": th,
            "kl_rate": c, "gap_initial": g0, "t_margin": tmg, "t_late": tl}
    t_cls = tmg + (sp.log((K - 1) / eps) - g0) / gam

    def rep(target, finite):
        num = target ** (-(2 * th - 1)) - (e0 ** (-(2 * th - 1)) if finite else 0)
        return tl + num / (c * (2 * th - 1))

    def e0_inf(p):
        return p.energy_initial is None or bool(np.all(np.isinf(p.energy_initial)))

    def e0_fin(p):
        return not e0_inf(p)

    out = []
    src = "Tan et al. 2026, Thm 3.5 and Thm 4.9"
    for finite, sel, var in ((False, e0_inf, "E0 = inf"), (True, e0_fin, "finite E0")):
        extra = {"energy_initial": e0} if finite else {}
        out.append(Law("two_clocks", "continuous", {**base, "structure_target": dl, **extra},
                       {"t_mem": t_cls, "t_grok": rep(dl, finite)}, latex_names=names,
                       when=sel, variant=var, source=src))
        out.append(Law("two_clocks", "coupled", {**base, "coupling_exponent": beta, **extra},
                       {"t_mem": t_cls, "t_grok": rep(eps ** beta, finite)}, latex_names=names,
                       when=sel, variant=var, source="Tan et al. 2026, Thm 5.6"))
        for rho_given in (False, True):
            q = -sp.log(1 - rho) if rho_given else gam
            fields = {**base, "structure_target": dl, **extra,
                      **({"tail_contraction": rho} if rho_given else {})}
            t_disc = tmg + (sp.log((K - 1) / eps) - g0) / q

            def sel2(p, sel=sel, rho_given=rho_given):
                return sel(p) and ((p.tail_contraction is not None) == rho_given)

            out.append(Law("two_clocks", "discrete", fields,
                           {"t_mem": t_disc, "t_grok": rep(dl, finite)}, latex_names=names,
                           rounded=True, when=sel2,
                           variant=var + (", rho given" if rho_given else ""),
                           source="Tan et al. 2026, Prop 3.6 / F.1, unrounded"))
    return out


def _linear_teacher_student() -> list[Law]:
    lam, eta, eps, wd, dout, depth, al, A = (
        _pos("lambda"), _pos("eta"), _pos("epsilon"), sp.Symbol("gamma_wd", nonnegative=True),
        _pos("d_out"), _pos("L"), sp.Symbol("alpha", nonnegative=True), _pos("A"))
    eta0, lo, Lt, Ctr, z_tr, z_gen, r = (_pos(n) for n in ("eta_0", "lambda_-", "L^*", "C_tr",
                                                            "z_tr", "z_gen", "r"))
    names = {wd: r"\gamma", eta0: r"\eta_0", lo: r"\lambda_-", Lt: r"\mathcal{L}^*",
             Ctr: r"C_\mathrm{tr}", z_tr: r"z_\mathrm{tr}", z_gen: r"z_\mathrm{gen}",
             dout: r"d_\mathrm{out}", A: r"\mathcal{A}"}
    fields = {"aspect_ratio": lam, "learning_rate": eta, "threshold": eps, "d_out": dout,
              "depth": depth, "init_scale": al, "accuracy": A}
    defs_common = (
        (eta0, sp.Piecewise((al * eta / (2 * dout ** 2), sp.Eq(depth, 2)), (eta / dout, True))),
        (lo, (1 - sp.sqrt(lam)) ** 2),
        (Lt, dout * eps / (2 * GammaIncInv(dout / 2, A))),
        (Ctr, (1 + al ** 2) / (2 * dout) / (16 * sp.sqrt(sp.pi) * lam ** sp.Rational(3, 4))),
        (z_tr, sp.Rational(2, 3) * (Ctr * (4 * lo) ** sp.Rational(3, 2) / Lt) ** sp.Rational(2, 3)),
        (z_gen, sp.Rational(2, 3) * (Ctr / lo * (4 * lo) ** sp.Rational(3, 2) / Lt)
         ** sp.Rational(2, 3)),
    )
    t_mem = 3 * sp.LambertW(z_tr) / (8 * eta0 * lo)
    lw = Law("linear_teacher_student", "lambert_w", fields,
             {"t_mem": t_mem, "t_grok": 3 * sp.LambertW(z_gen) / (8 * eta0 * lo)},
             defs=defs_common, latex_names=names, source="Levi et al. 2023, eqs 10, 21, 23-24",
             fixed=frozenset({"d_out", "depth"}))
    delay = sp.Piecewise((sp.log(1 + r) / (2 * eta0 * (1 - r) ** 2), wd > 0),
                         (-sp.log(1 - r) / (2 * eta0 * (1 - r) ** 2), True))
    asym = Law("linear_teacher_student", "asymptotic", {**fields, "weight_decay": wd},
               {"t_mem": t_mem, "delay": delay},
               defs=((r, sp.sqrt(lam)),) + defs_common, latex_names=names,
               source="Levi et al. 2023, eq 11 (eq 15 with weight decay) and eq 23",
               fixed=frozenset({"d_out", "depth"}))
    return [lw, asym]


def _first_passage() -> list[Law]:
    eta, lam, nm, ns, k, tm, g = (_pos(n) for n in ("eta", "lambda", "n_mem", "n_star",
                                                    "kappa", "t_mem", "g"))
    names = {nm: r"\|\theta_\mathrm{mem}\|", ns: r"\|\theta_\star\|", k: r"\kappa_\mathrm{LL}",
             tm: r"t_\mathrm{mem}"}
    f = {"learning_rate": eta, "weight_decay": lam, "norm_mem": nm, "norm_star": ns,
         "kappa": k, "t_mem": tm}
    ratio = sp.log(nm ** 2 / ns ** 2)            # log(V_mem / V_star)
    return [Law("first_passage", "law", f, {"t_mem": tm, "delay": ratio / (2 * k * eta * lam)},
                latex_names=names, source="arXiv 2605.18845, abstract and section 5.3"),
            Law("first_passage", "steps", f,
                {"t_mem": tm, "delay": ratio / (-2 * sp.log(1 - g))}, defs=((g, k * eta * lam),),
                latex_names=names, source="V <- (1 - kappa eta lambda)^2 V, counted")]


def _two_phase() -> list[Law]:
    eta, lam, w0, wc, al, c, tm = (_pos(n) for n in ("eta", "lambda", "w_0", "w_c", "alpha",
                                                     "c", "t_mem"))
    names = {tm: r"t_\mathrm{mem}"}
    f = {"learning_rate": eta, "weight_decay": lam, "norm_init": w0, "norm_c": wc,
         "init_scale": al, "constant": c, "t_mem": tm}
    log_ratio = sp.log(al * w0 / wc)
    return [Law("two_phase", "omnigrok", f,
                {"t_mem": tm, "delay": c * log_ratio / (eta * lam)}, latex_names=names,
                source="arXiv 2505.20172 (Theta(1/lambda)) with arXiv 2210.01117's log"),
            Law("two_phase", "steps", f,
                {"t_mem": tm, "delay": c * log_ratio / (-sp.log(1 - eta * lam))},
                latex_names=names, source="w <- (1 - eta lambda) w, counted, times c")]


def _power_law() -> list[Law]:
    eta, lam, r, C, tm = (_pos(n) for n in ("eta", "lambda", "r", "C", "t_mem"))
    a, b, c = sp.symbols("a b c", real=True)
    names = {tm: r"t_\mathrm{mem}"}
    f = {"learning_rate": eta, "weight_decay": lam, "train_fraction": r, "constant": C,
         "exponent_lr": a, "exponent_wd": b, "exponent_fraction": c, "t_mem": tm}
    return [Law("power_law", "power", f,
                {"t_mem": tm, "delay": C * eta ** a * lam ** b * r ** c}, latex_names=names,
                source="empirical; exponents as in arXiv 2605.18845 section 4.2 and arXiv "
                       "2306.13253")]


@functools.cache
def laws() -> tuple[Law, ...]:
    """Every closed-form law, all mechanisms."""
    return tuple(_timescale() + _spectral() + _ridge() + _implicit_bias() + _norm_separation()
                 + _kramers() + _two_clocks() + _linear_teacher_student() + _first_passage()
                 + _two_phase() + _power_law())


def law_for(params, method: str) -> Law | None:
    """The law of ``method`` that applies to ``params`` (its variant), or None."""
    for law in laws():
        if law.mechanism == params.name and law.method == method and law.when(params):
            return law
    return None


def methods_with_laws(mechanism: str) -> dict[str, list[Law]]:
    """``{method: [its variants]}`` for one mechanism, in declaration order."""
    out: dict[str, list[Law]] = {}
    for law in laws():
        if law.mechanism == mechanism:
            out.setdefault(law.method, []).append(law)
    return out


# --------------------------------------------------------------------------- reprs


def _display(lines: list[str]) -> str:
    return r"$\begin{aligned}" + r" \\ ".join(_align(x) for x in lines) + r"\end{aligned}$"


def _align(line: str) -> str:
    lhs, _, rhs = line.partition(" = ")
    return f"{lhs} &= {rhs}"


def latex_for_params(params) -> str | None:
    """The default method's law for a parameter object (None: no closed form)."""
    law = law_for(params, type(params).default_method)
    if law is None:
        return None
    return _display(law.latex())


def latex_for_prediction(pred) -> str | None:
    """A prediction's law with its numbers (None: its method has no closed form)."""
    if pred.params is None:
        return None
    law = law_for(pred.params, pred.method)
    if law is None:
        return None
    lines = law.latex()
    if np.ndim(pred.t_mem) == 0:
        for k, name in (("t_mem", r"t_\mathrm{mem}"), ("t_grok", r"t_\mathrm{grok}"),
                        ("delay", r"t_\mathrm{grok} - t_\mathrm{mem}")):
            v = float(getattr(pred, k))
            lines.append(f"{name} = " + (r"\infty" if math.isinf(v) else sp.latex(
                sp.Float(v, 6))) + rf"\ \text{{{pred.units}}}")
    return _display(lines)

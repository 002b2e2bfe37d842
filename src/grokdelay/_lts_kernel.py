r"""The per-point Newton iteration of the exact linear teacher-student path (private).

Two implementations of :func:`grokdelay._lts_newton.newton_block`'s iteration for single
points, the same model step, brackets and stopping rules:

* on Python floats (:func:`newton_scalar`), for one point, where numpy's per-call cost on
  tiny arrays would dominate;
* compiled by numba (the optional extra ``grokdelay[fast]``; :mod:`grokdelay._lts_numba`):
  one call per block of points that, per point, computes the floors, the starting bound
  (``_upper_guess``), builds the tau-independent quadrature rows of ``_Integrands`` (the
  same nodes, on the panel count the point itself needs, as in the one-point paths, where
  the numpy block gives each group of points its largest count; the same products in the
  same order) and iterates on them, so each evaluation of the loss is one pass over nodes
  held in cache (one ``exp`` and four running sums per node) instead of some twenty passes
  over a block in memory. A compiled batch and compiled one-point calls give the same bits.

The compiled numbers agree with numpy's to a few units in the last place, not bit for bit:
the sums over the nodes run in another order (in SIMD lanes, reassociated by the compiler,
against numpy's ``einsum``), ``exp`` is the kernel's own (within 1 ulp, like libm's), where
the floor is at most half the loss the loss is formed directly instead of in log space, and
a batch point may have fewer panels than its numpy group; the converged times then differ
by rounding noise times the crossing's condition number (tests/test_lts_kernel.py measures
it). ``import grokdelay`` does not import numba; the
first exact call with the kernel enabled does (:func:`compiled`).

Choice of path, by the environment variable ``GROKDELAY_KERNEL`` (read on every call):
``auto`` (or unset, the default): calls of 64 points or more (``_lts_engine._COMPILED_MIN``)
use the kernel when numba imports; one point and smaller calls stay on numpy, so they never
pay numba's import (about 0.5 s once per process; ``grokdelay compare`` stays free of it).
``numba``: the kernel for every call, one point included (a loop of scalar calls: the whole
one-point solve is then one compiled call), ImportError without numba. ``numpy``: never.
"""

from __future__ import annotations

import math
import os
from typing import NamedTuple

import numpy as np

from ._marchenko_pastur import graded_panels

NEWTON_STEP_TOL = 1e-9     # |Newton step| in log tau; the next error is ~ step^2 << 1e-14
# A tiny model step far from the root (|h| > STALL max(1, |slope|), where a converging step
# has |h| ~ |slope| step <= 1e-9 |slope|) is a stall, not convergence: the model's three
# inner steps can crawl towards the iterate where L is close to its floor F (P = L - F
# tiny; x -> a point with h = -0.1, t_mem 2.1x too late), and the plain step is taken.
STALL = 1e-6
# With the curvature term the model step converges with order ~2.4: the error after a step
# s is ~K s^2 s_prev (s_prev the step before); over 1200 crossings of the benchmark grid K
# is 0.09 median, 0.28 at the 99th percentile, 1.45 at most (0.08 / 0.44 / 0.85 over 859
# crossings of tests/test_lts_kernel.py's broad random points). A step s <= 1e-7 with
# s^2 s_prev <= SUPERLINEAR therefore leaves an error ~1e-16 in log tau (well under the
# 1e-15 the times need), and the iteration stops there without the confirming evaluation
# that s <= NEWTON_STEP_TOL would take.
SUPERLINEAR = 1e-16
# The model step's inner Newton iteration (at most three steps from the plain step) stops
# once its update is under INNER_TOL of the outer step u: it converges quadratically, so the
# model's root is then ~1e-6 u^2 away, far inside the model's own error at every outer step
# (its error after a step s is ~K s^2 s_prev). 3 -> 1.7 inner steps per evaluation with the
# same outer evaluations (3.73 per Newton solve over 808 broad random ones).
INNER_TOL = 1e-3
_multiply, _exp, _dot = np.multiply, np.exp, np.dot    # (one-point loops: fewer lookups)
try:      # np.einsum without its Python wrapper (what np.einsum calls, optimize=False)
    from numpy._core.multiarray import c_einsum as _einsum
except ImportError:                                            # pragma: no cover
    _einsum = np.einsum
_ENV = "GROKDELAY_KERNEL"
_CHOICES = ("auto", "numpy", "numba")
_STATE: dict[str, object] = {}


def kernel_choice() -> str:
    """The path the environment asks for: ``auto``, ``numpy`` or ``numba``."""
    value = os.environ.get(_ENV, "auto").strip().lower() or "auto"
    if value not in _CHOICES:
        from ._core import ParameterError
        raise ParameterError(f"{_ENV} = {value!r} is not one of {_CHOICES}", _ENV)
    return value


def compiled(choice: str | None = None):
    """The compiled kernels (module :mod:`grokdelay._lts_numba`), or None for the numpy
    path (per ``choice``, by default :func:`kernel_choice`). numba is imported on the first
    call that wants it."""
    choice = kernel_choice() if choice is None else choice
    if choice == "numpy":
        return None
    if "kernels" not in _STATE:
        try:
            from . import _lts_numba
            _STATE["kernels"] = _lts_numba
        except ImportError:
            _STATE["kernels"] = None
    if _STATE["kernels"] is None and choice == "numba":
        raise ImportError(f"{_ENV}=numba but numba is not installed (pip install "
                          "'grokdelay[fast]')")
    return _STATE["kernels"]


def node_tables(graded_panels, panel_weights, max_panels: int):
    """``(offsets, x_unit, weights)``: the nodes of P panels for every P in 1..max_panels,
    concatenated: P's nodes are ``[offsets[P], offsets[P+1])``; ``x_unit`` = sin^2 phi,
    ``weights`` = the cached (16 / pi) sin^2 cos^2 dphi (the very arrays numpy uses)."""
    if "tables" not in _STATE:
        s2 = [graded_panels(p)[0] for p in range(1, max_panels + 1)]
        cw = [panel_weights(p) for p in range(1, max_panels + 1)]
        sizes = [0, 0] + [v.size for v in s2]
        _STATE["tables"] = (np.cumsum(sizes).astype(np.int64), np.concatenate(s2),
                            np.concatenate(cw))
    return _STATE["tables"]


def _f(v, dtype=float):
    # C-contiguous, writable (a strided or read-only view, e.g. of np.broadcast_to, would make
    # numba compile another specialization of each kernel)
    return np.require(v, dtype=dtype, requirements=("C", "W"))


def _pt(m):
    """The per-point arrays the kernels take: lam, lo, g, s, a2, sigma^2 lambda."""
    return tuple(_f(v) for v in (m.lam, m.lo, m.g, m.s, m.a2, m.sig2 * m.lam))


def crossings_block_compiled(k, m, log_target, x_v, x_min: float, x_max: float, tables,
                             max_panels: int):
    """``_lts_numba.crossings_block`` on the flat points of Model ``m``: an array (6, n),
    rows ``tau_tr, tau_gen, floor_tr, floor_gen, status_tr, status_gen`` (the statuses of
    ``_lts_numba.crossings_point``). Raises where Newton did not converge."""
    out = np.empty((m.lam.size, 6))
    k.crossings_block(*_pt(m)[:5], _f(m.atom), _f(m.sig2), _f(m.sig2 * m.lam),
                      _f(log_target), _f(x_v), x_min, x_max, *tables, NEWTON_STEP_TOL, STALL,
                      SUPERLINEAR, max_panels, out)
    bad = int(np.sum(out[:, 4:] == -1))
    if bad:
        raise FloatingPointError("linear_teacher_student: Newton iteration did not converge "
                                 f"for {bad} crossing(s); please report the parameters")
    return out.T.copy()


def crossings_one_compiled(k, m, log_target: float, x_v: float, x_min: float, x_max: float,
                           tables, max_panels: int):
    """``_lts_engine._crossings_1`` by the compiled kernel, in one call: ``(tau_tr,
    tau_gen, floor_tr, floor_gen, status_tr, status_gen)`` as Python numbers; status 0: the
    crossing lies beyond exp(x_v) (the caller decides), -2: no crossing below
    exp(x_max + 2). Raises where Newton did not converge."""
    out = k.crossings_one(float(m.lam[0]), float(m.lo[0]), float(m.g[0]), float(m.s[0]),
                          float(m.a2[0]), float(m.atom[0]), log_target, x_v, x_min, x_max,
                          *tables, NEWTON_STEP_TOL, STALL, SUPERLINEAR, max_panels)
    if -1 in out[4:]:
        raise FloatingPointError("linear_teacher_student: Newton iteration did not converge "
                                 "for 1 point; please report the parameters")
    return out

# ------------------------------------------------------- one point on Python floats


def model_step_1(x, log_l, slope, log_target, floor, rate, x_prev=math.nan, p_prev=math.nan,
                 hoisted=None):
    """:func:`grokdelay._lts_newton.model_step` for one point, on Python floats:
    ``(x_next, p)``, p nan where the model does not apply; ``rate``: the model's decay rate
    (:func:`mixed_rate`). ``hoisted``: the per-crossing ``(log(floor), r_t, log1p(-r_t))``
    of :func:`hoist` (the same numbers)."""
    h = log_l - log_target
    plain = x - h / slope if slope != 0 else math.nan
    if not math.isfinite(plain) or floor < 0:
        return plain, math.nan
    lf, r_t, l1rt = hoist(floor, log_target) if hoisted is None else hoisted
    r_f = math.exp(lf - log_l) if floor > 0 else 0.0
    if not (r_f < 1.0 and r_t < 1.0):
        return plain, math.nan
    log_p = log_l + math.log1p(-r_f)
    d = log_target + l1rt - log_p
    tau0 = math.exp(x)
    p = slope / (1.0 - r_f) + rate * tau0
    if rate * tau0 > 4.0 * abs(slope / (1.0 - r_f)) + 8.0:     # see _lts_newton.model_step
        return plain, p
    q = 0.0        # the curvature term: the secant of p between the last two iterates
    if x != x_prev:                                    # (0 where it is undefined)
        q = (p - p_prev) / (x - x_prev)
        if not math.isfinite(q):
            q = 0.0
    y = plain
    try:
        for _ in range(3):
            ey = math.exp(y)
            u = y - x
            dy = (p * u + 0.5 * q * u * u - rate * (ey - tau0) - d) / (p + q * u - rate * ey)
            y = y - dy
            if abs(dy) <= INNER_TOL * abs(u) + 1e-16:     # (see INNER_TOL)
                break
    except (OverflowError, ZeroDivisionError):
        return plain, p
    return (y if math.isfinite(y) and abs(y - x) < 8.0 else plain), p


def mixed_rate(c2, g4, pa, pb, dec):
    """The decay rate of the model of :func:`grokdelay._lts_newton.model_step` at the
    current iterate: the rates of the loss's parts above its floor, ``2c`` of the spectral
    ``E1 A``, ``4c`` of ``E1^2 B`` and ``4g`` of the atom's ``dec``, weighted by their
    values there (``c2 = 2c``, ``g4 = 4g``; ``2c`` where they do not sum to a positive
    number; each part's weight is divided first, so nothing overflows). A model decaying
    at ``2c`` alone is off by a factor 2 in the rate wherever the ``B`` part dominates
    (always without weight decay, where ``A`` vanishes); the weighted rate is exact for
    each part alone and cuts the evaluations per Newton solve from 4.38 to 3.73 over 808
    solves of tests/test_lts_kernel.py's broad random points (4.47 to 3.61 on the
    benchmark grid)."""
    total = pa + pb + dec
    if not 0.0 < total < math.inf:
        return c2
    return c2 * (pa / total) + (2.0 * c2) * (pb / total) + g4 * (dec / total)


def hoist(floor, log_target):
    """:func:`model_step_1`'s per-crossing constants: ``(log(floor), r_t, log1p(-r_t))``
    with ``r_t = F / T`` (nan where unused)."""
    if floor <= 0:
        return -math.inf, 0.0, 0.0
    lf = math.log(floor)
    r_t = math.exp(lf - log_target)
    return lf, r_t, (math.log1p(-r_t) if r_t < 1.0 else math.nan)


class Point1(NamedTuple):
    """One point's constants of ``_lts_engine.Model`` as Python floats."""
    lam: float
    lo: float
    g: float
    s: float
    a2: float
    atom: float

    @classmethod
    def of(cls, m) -> "Point1":
        return cls(*(float(v[0]) for v in (m.lam, m.lo, m.g, m.s, m.a2, m.atom)))


def panel_weights(p: int) -> np.ndarray:
    """``(16 / pi) sin^2 cos^2 dphi`` at the nodes of P graded panels (cached)."""
    if p not in _WEIGHT_CACHE:
        s2, c2, dphi = graded_panels(p)
        _WEIGHT_CACHE[p] = (16.0 / math.pi) * (s2 * c2 * dphi)
    return _WEIGHT_CACHE[p]


_WEIGHT_CACHE: dict[int, np.ndarray] = {}


def _nodes_1(pt: Point1, p: int, memo: dict):
    """``(x, nu, k, cw)`` of one point on P panels, as ``_lts_engine._Integrands`` forms
    them (the same products), kept in ``memo`` (one point's call: its floors, both starting
    bounds and both Newton solves share them)."""
    key = -p
    nodes = memo.get(key)
    if nodes is None:
        x = (4.0 * math.sqrt(pt.lam)) * graded_panels(p)[0]
        nu = x + pt.lo
        nodes = memo[key] = (x, nu, nu + pt.g, panel_weights(p))
    return nodes


def _base_1(pt: Point1, p: int, memo: dict):
    """The kind-independent node rows of one point on P panels, ``(x, nu, k, inv_k, q,
    half_b, cw)`` (:func:`_nodes_1` and the products the losses add), kept in ``memo``."""
    base = memo.get(p)
    if base is None:
        x, nu, k, cw = _nodes_1(pt, p, memo)
        inv_k = 1.0 / k
        q = nu * inv_k
        half_b = (0.5 * pt.s) * (pt.a2 + q * q)
        base = memo[p] = (x, nu, k, inv_k, q, half_b, cw)
    return base


def point_rows(pt: Point1, kind: str, p: int, floor: float, memo: dict) -> "Rows1":
    """The Newton rows of one point without label noise on P panels (``Rows1.of`` of
    ``_Integrands(m, kind, p, [floor])``), from :func:`_base_1`."""
    x, nu, k, inv_k, q, half_b, cw = _base_1(pt, p, memo)
    n = x.size
    r4 = np.zeros((4, 2 * n))
    wa, wak, wb, wbk = r4[0, :n], r4[1, :n], r4[2, n:], r4[3, n:]
    sg = pt.s * pt.g
    if kind == "gen":
        np.multiply(sg * inv_k, cw, out=wak)
        np.multiply(half_b, cw / nu, out=wb)
        cdec = pt.atom * pt.s * 0.5 * pt.a2
    else:
        np.multiply(sg, cw * q, out=wak)
        np.multiply(half_b, cw, out=wb)
        cdec = 0.0
    np.multiply(wak, inv_k, out=wa)
    np.multiply(wb, k, out=wbk)
    return Rows1.build(x, r4, pt.g, pt.lo + pt.g, cdec, floor - (0.0 if pt.g > 0 else cdec))


def point_guess_sums(pt: Point1, kind: str, memo: dict) -> tuple[float, float, float]:
    """``(sum |wa|, sum wb, cdec)`` of :func:`point_rows` on one panel (what the starting
    bound needs), as two dot products; every weight is >= 0 without label noise."""
    _, nu, _, inv_k, q, half_b, cw = _base_1(pt, 1, memo)
    sg = pt.s * pt.g
    if kind == "gen":
        return (sg * float((cw * inv_k) @ inv_k), float(half_b @ (cw / nu)),
                pt.atom * pt.s * 0.5 * pt.a2)
    return sg * float((cw * q) @ inv_k), float(half_b @ cw), 0.0


def point_floor_sums(pt: Point1, p: int, memo: dict) -> tuple[float, float]:
    """``_lts_engine._floor_sums(m, p)`` for one point without label noise, bit for bit
    (the same products and the same ``einsum`` sums: near the never-groks edge a crossing
    moves by about 150 times a relative change of the generalization floor):
    ``E[g^2 s / (2 k^2)]`` and ``E[s g^2 / (2 nu k^2)]`` with weight ``C / nu``."""
    _, nu, k, cw = _nodes_1(pt, p, memo)
    cwk = cw * (1.0 / k ** 2)
    hs, g = 0.5 * pt.s, pt.g          # (the block's g g (hs + 0 / nu) is (g g) hs per node)
    return (float(_einsum("j,j->", cwk, np.full(nu.size, (g * g) * hs))),
            float(_einsum("j,j->", cwk, (hs * g * g) / nu)))


class Rows1(NamedTuple):
    """The quadrature rows of one point (its n nodes ``x``; ``r4`` of shape (4, 2n) holds
    ``wa, wak`` against ``exp(-2 x tau)`` in its first n columns and ``wb, wbk`` against
    its square in the last n, so one matrix-vector product gives the four sums; ``buf``
    is the 2n-vector, ``e1`` and ``e2`` its halves) and the point's constants (Python
    floats): what :func:`newton_scalar` iterates on."""
    x: np.ndarray
    r4: np.ndarray
    buf: np.ndarray
    e1: np.ndarray
    e2: np.ndarray
    g: float
    c: float
    cdec: float
    floor: float

    @classmethod
    def build(cls, x, r4, g, c, cdec, floor) -> "Rows1":
        n = x.size
        buf = np.empty(2 * n)
        return cls(x, r4, buf, buf[:n], buf[n:], g, c, cdec, floor)

    @classmethod
    def of(cls, it) -> "Rows1":
        """The rows of a one-point ``_lts_engine._Integrands`` block."""
        n = it.x.shape[1]
        r4 = np.zeros((4, 2 * n))
        r4[0, :n], r4[1, :n], r4[2, n:], r4[3, n:] = it.wa[0], it.wak[0], it.wb[0], it.wbk[0]
        return cls.build(it.x[0], r4, float(it.g[0]), float(it.c[0]), float(it.cdec[0]),
                         float(it.floor[0]))

    def sums(self):
        """``[sum |wa|, sum |wak|, sum |wb|, sum |wbk|]``: the rows' values at tau = 0."""
        return np.abs(self.r4).sum(axis=1).tolist()


def log_loss_and_slope_1(it: Rows1, tau: float) -> tuple[float, float, float]:
    """:meth:`grokdelay._lts_engine._Integrands.log_loss_and_slope` for one point, on
    Python floats: four numpy calls (an exp, a square, one matrix-vector product for the
    four sums) instead of some forty. ``(log L, d log L / d log tau, rate)``, ``rate``
    the model's (:func:`mixed_rate`)."""
    x, r4, buf, ev1, ev2, g, c, cdec, floor = it      # (one unpacking: fewer lookups)
    _multiply(x, -2.0 * tau, out=ev1)
    _exp(ev1, out=ev1)
    _multiply(ev1, ev1, out=ev2)
    big_a, a_k, big_b, b_k = _dot(r4, buf).tolist()
    le1 = -2.0 * tau * c
    dec = cdec * math.exp(-4.0 * tau * g)
    floor = floor + dec
    if le1 >= -300.0:        # the direct form where the compiled kernel takes it (its
        e1 = math.exp(le1)   # loss_and_slope says why: not where the floor is over half L)
        e2 = e1 * e1
        spec = e1 * big_a + e2 * big_b
        total = floor + spec
        if floor <= spec and 1e-290 < total < math.inf:
            dtot = -4.0 * g * dec - 2.0 * (e1 * a_k) - 4.0 * (e2 * b_k)
            return (math.log(total), tau * dtot / total,
                    mixed_rate(2.0 * c, 4.0 * g, e1 * big_a, e2 * big_b, dec))
    t0 = math.log(floor) if floor > 0 else -math.inf
    t1 = le1 + math.log(abs(big_a)) if big_a != 0 else -math.inf
    t2 = 2.0 * le1 + math.log(big_b) if big_b > 0 else -math.inf
    top = max(t0, t1, t2)
    top = top if math.isfinite(top) else 0.0

    def part(t, sign=1.0):     # numpy's exp: inf past the float64 range (the block's semantics)
        return 0.0 if t == -math.inf else sign * (math.exp(t - top) if t - top < 709.78
                                                  else math.inf)

    p_a, p_b = part(t1, math.copysign(1.0, big_a)), part(t2)
    total = part(t0) + p_a + p_b
    log_l = math.log(max(total, 1e-300)) + top
    ea_k = part(le1 + math.log(abs(a_k)), math.copysign(1.0, a_k)) if a_k != 0 else 0.0
    eb_k = part(2.0 * le1 + math.log(b_k)) if b_k > 0 else 0.0
    d_dec = part(math.log(dec)) if dec > 0 else 0.0
    dtot = -4.0 * g * d_dec - 2.0 * ea_k - 4.0 * eb_k
    rate = mixed_rate(2.0 * c, 4.0 * g, p_a, p_b, d_dec)
    if total == 0.0:         # every term underflowed: numpy's x / 0 (the block's semantics)
        return (log_l, math.copysign(math.inf, tau * dtot) if dtot != 0.0 else math.nan,
                rate)
    return log_l, tau * dtot / total, rate


def newton_scalar(it: Rows1, x_hi: float, log_target: float) -> tuple[float, bool]:
    """:func:`grokdelay._lts_newton.newton_block` for one point (the same safeguarded
    steps, on Python floats)."""
    step_tol, floor = NEWTON_STEP_TOL, it.floor
    x = x_hi
    a, b = -math.inf, math.inf
    x_prev, p_prev, s_prev = math.nan, math.nan, math.inf
    hoisted = hoist(floor, log_target)
    for count in range(200):
        log_l, slope, rate = log_loss_and_slope_1(it, math.exp(x))
        h = log_l - log_target
        if count == 0 and h > 0:
            return x, False
        if h == 0:
            return x, True
        if h > 0:
            a = max(a, x)
        else:
            b = min(b, x)
        xn, p = model_step_1(x, log_l, slope, log_target, floor, rate, x_prev, p_prev,
                             hoisted)
        step = abs(xn - x)            # the stopping rule (SUPERLINEAR, NEWTON_STEP_TOL)
        small = step <= step_tol or (step <= 1e-7 and step * step * s_prev <= SUPERLINEAR)
        if small and abs(h) > STALL * max(1.0, abs(slope)):      # a stall: the plain step
            xn, small = (x - h / slope if slope != 0 else math.nan), False
        outside = (not math.isfinite(xn) or xn < a or xn > b or xn < -745.0
                   or ((xn == a or xn == b) and not small))
        if outside:
            xn, p = (0.5 * (a + b) if math.isfinite(a) else b - 2.0), math.nan
        x_prev, p_prev, s_prev = x, p, abs(xn - x)
        x = xn
        if (small and not outside) or b - a <= 1e-14:
            return x, True
    raise FloatingPointError("linear_teacher_student: Newton iteration did not converge for "
                             "1 point; please report the parameters")

"""The numba kernels behind :mod:`grokdelay._lts_kernel` (private; imports numba).

Imported only by :func:`grokdelay._lts_kernel.compiled`. Compiled on first use and
cached on disk (``cache=True``), so a later process loads the machine code instead of
compiling it again. ``error_model="numpy"``: a division by zero gives inf / nan as in the
numpy path instead of raising.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


# ---------------------------------------------------------------- exp over the nodes
# libm's exp is a call per value that the compiler cannot vectorize; ``exp_nonpositive``
# is branch-free, so the loop over a row's nodes runs in SIMD lanes (2.1 against 12-15 ns
# per value for libm on the development machine; 1.55 ns with fastmath "contract", which
# lets the compiler fuse its multiply-adds into FMA instructions where the CPU has them,
# and nothing else). tests/test_lts_kernel.py checks it against 30-digit mpmath (at most
# 1 ulp, like libm) and against numpy's exp.


@intrinsic
def _as_float(typingctx, i):
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@intrinsic
def _as_int(typingctx, f):
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


_INNER_TOL = 1e-3    # _lts_kernel.INNER_TOL (not imported: _lts_kernel imports this module)
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01     # the high bits of log 2: n * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10     # log 2 - _LN2_HI
_ROUND = 6755399441055744.0              # 1.5 * 2^52: y + _ROUND rounds y to an integer,
_ROUND_BITS = 0x4338000000000000         # held in the low bits of the sum
_C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10, _C11, _C12, _C13 = (
    1.0 / math.factorial(k) for k in range(3, 14))


@numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def exp_nonpositive(y):
    """exp(y) for y <= 0, within 1 ulp, and 0 below -708 (where numpy's exp gives a
    subnormal < 3e-308: every sum here has a first node whose exp is near 1, since the
    panels resolve the decay width at the largest tau evaluated, so those tail terms are
    below rounding). y = n log 2 + r, |r| <= log(2) / 2; Taylor to r^13 (truncation < 1e-17
    relative) with the tail in Estrin's order and its leading terms added last."""
    z = max(y, -708.0)
    t = z * _LOG2E + _ROUND
    n = t - _ROUND
    r = (z - n * _LN2_HI) - n * _LN2_LO
    r2 = r * r
    r4 = r2 * r2
    s0 = (0.5 + _C3 * r) + (_C4 + _C5 * r) * r2
    s1 = (_C6 + _C7 * r) + (_C8 + _C9 * r) * r2
    s2 = (_C10 + _C11 * r) + (_C12 + _C13 * r) * r2
    p = 1.0 + (r + r2 * ((s0 + s1 * r4) + s2 * (r4 * r4)))
    v = p * _as_float((_as_int(t) - _ROUND_BITS + 1023) << 52)
    return v if y >= -708.0 else 0.0


@_jit
def part(t, sign, top):
    """``sign exp(t - top)``, 0 at t = -inf; inf past the float64 range (numpy's exp)."""
    if t == -math.inf:
        return 0.0
    return sign * (math.exp(t - top) if t - top < 709.78 else math.inf)



@numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc"})
def _sums(n, wa, wak, wb, wbk, ebuf):
    # the four sums over a row's nodes, reassociated into SIMD lanes (only this loop: the
    # flag allows reordering the additions, nothing else); a fixed order for a given
    # build, another than numpy's einsum, which is one more rounding difference of a few ulp
    big_a = 0.0
    a_k = 0.0
    big_b = 0.0
    b_k = 0.0
    for j in range(n):
        e = ebuf[j]
        big_a += wa[j] * e
        a_k += wak[j] * e
        e = e * e
        big_b += wb[j] * e
        b_k += wbk[j] * e
    return big_a, a_k, big_b, b_k


@_jit
def loss_and_slope(tau, n, xs, wa, wak, wb, wbk, g, c, cdec, floor, ebuf):
    # _lts_kernel.log_loss_and_slope_1 (no noise rows: the Newton losses have none)
    m2t = -2.0 * tau
    for j in range(n):                   # (vectorized)
        ebuf[j] = exp_nonpositive(xs[j] * m2t)
    big_a, a_k, big_b, b_k = _sums(n, wa, wak, wb, wbk, ebuf)
    le1 = m2t * c
    dec = cdec * math.exp(-4.0 * tau * g) if cdec != 0.0 else 0.0
    fl = floor + dec
    if le1 >= -300.0:
        # E1 = exp(le1) and E1^2 are normal numbers: the loss directly, floor + E1 A + E1^2 B
        # (the same terms as below without the log-space scaling, which only guards against
        # underflow; three transcendentals instead of about twelve). Not where the floor is
        # more than half the loss: there the crossing amplifies the loss's rounding by
        # L / (L - F) (up to 1e3 at the never-groks edge), and the log-space form below is
        # numpy's, so the two paths' rounding stays the same up to the sums
        e1 = math.exp(le1)
        e2 = e1 * e1
        spec = e1 * big_a + e2 * big_b
        total = fl + spec
        if fl <= spec and 1e-290 < total < math.inf:
            dtot = -4.0 * g * dec - 2.0 * (e1 * a_k) - 4.0 * (e2 * b_k)
            return (math.log(total), tau * dtot / total,
                    mixed_rate(2.0 * c, 4.0 * g, e1 * big_a, e2 * big_b, dec))
    t0 = math.log(fl) if fl > 0 else -math.inf
    t1 = le1 + math.log(abs(big_a)) if big_a != 0 else -math.inf
    t2 = 2.0 * le1 + math.log(big_b) if big_b > 0 else -math.inf
    top = max(t0, t1, t2)
    if not math.isfinite(top):
        top = 0.0
    p_a = part(t1, math.copysign(1.0, big_a), top)
    p_b = part(t2, 1.0, top)
    total = part(t0, 1.0, top) + p_a + p_b
    log_l = math.log(max(total, 1e-300)) + top
    ea_k = (part(le1 + math.log(abs(a_k)), math.copysign(1.0, a_k), top)
            if a_k != 0 else 0.0)
    eb_k = part(2.0 * le1 + math.log(b_k), 1.0, top) if b_k > 0 else 0.0
    d_dec = part(math.log(dec), 1.0, top) if dec > 0 else 0.0
    dtot = -4.0 * g * d_dec - 2.0 * ea_k - 4.0 * eb_k
    rate = mixed_rate(2.0 * c, 4.0 * g, p_a, p_b, d_dec)
    if total == 0.0:
        if dtot != 0.0:
            return log_l, math.copysign(math.inf, tau * dtot), rate
        return log_l, math.nan, rate
    return log_l, tau * dtot / total, rate


@_jit
def mixed_rate(c2, g4, pa, pb, dec):
    """``_lts_kernel.mixed_rate``: the model's decay rate."""
    total = pa + pb + dec
    if not (total > 0.0 and total < math.inf):
        return c2
    return c2 * (pa / total) + (2.0 * c2) * (pb / total) + g4 * (dec / total)


@_jit
def model_step(x, tau0, log_l, slope, log_target, lf, r_t, l1rt, floor, rate, x_prev,
               p_prev):
    """``_lts_kernel.model_step_1`` with the per-crossing constants hoisted: ``tau0 =
    exp(x)``, ``lf = log(floor)``, ``r_t = exp(lf - log_target)``, ``l1rt =
    log1p(-r_t)`` (the same operations, computed once per crossing). ``(x_next, p)``."""
    h = log_l - log_target
    plain = x - h / slope if slope != 0 else math.nan
    if not math.isfinite(plain) or floor < 0:
        return plain, math.nan
    r_f = math.exp(lf - log_l) if floor > 0 else 0.0
    if not (r_f < 1.0 and r_t < 1.0):
        return plain, math.nan
    log_p = log_l + math.log1p(-r_f)
    d = log_target + l1rt - log_p
    p = slope / (1.0 - r_f) + rate * tau0
    if rate * tau0 > 4.0 * abs(slope / (1.0 - r_f)) + 8.0:
        return plain, p
    q = 0.0                                   # (_lts_kernel.model_step_1)
    if x != x_prev:
        q = (p - p_prev) / (x - x_prev)
        if not math.isfinite(q):
            q = 0.0
    y = plain
    for _ in range(3):
        ey = math.exp(y)
        u = y - x
        dy = (p * u + 0.5 * q * u * u - rate * (ey - tau0) - d) / (p + q * u - rate * ey)
        y = y - dy
        if abs(dy) <= _INNER_TOL * abs(u) + 1e-16:
            break
    if math.isfinite(y) and abs(y - x) < 8.0:
        return y, p
    return plain, p

@_jit
def build_rows(p, lam, lo, g, s, a2, nl, noisy, gen, offsets, x_unit, weights,
               xs, wa, wak, wb, wbk):
    """The rows of ``_lts_engine._Integrands(kind, p)`` for one point, the same products in
    the same order; returns the node count."""
    o0 = offsets[p]
    n = offsets[p + 1] - o0
    w4 = 4.0 * math.sqrt(lam)
    sg = s * g
    hs = 0.5 * s
    for j in range(n):
        cw = weights[o0 + j]
        x = w4 * x_unit[o0 + j]
        nu = x + lo
        k = nu + g
        inv_k = 1.0 / k
        q = nu * inv_k
        half_b = hs * (a2 + q * q)
        if gen:
            cwn = cw / nu
            wak_j = sg * inv_k * cw
            wa_j = wak_j * inv_k
            wb_j = half_b * cwn
        else:
            cq = cw * q
            wak_j = sg * cq
            wa_j = wak_j * inv_k
            wb_j = half_b * cw
            if noisy:
                gk = g * inv_k
                wa_j = wa_j + 2.0 * nl * gk * cw * inv_k
                wb_j = wb_j + nl * cq * inv_k
                wak_j = wa_j * k
        xs[j] = x
        wa[j] = wa_j
        wak[j] = wak_j
        wb[j] = wb_j
        wbk[j] = wb_j * k
    return n


@_jit
def newton_point(n, xs, wa, wak, wb, wbk, g, c, cdec, floor, x0, log_target, step_tol,
                 stall, superlinear, ebuf):
    """``_lts_kernel.newton_scalar`` on built rows: ``(x, status)``, status 1 converged,
    0 h(x0) > 0 (look further), -1 no convergence in 200 steps."""
    x = x0
    a = -math.inf
    b = math.inf
    lf = math.log(floor) if floor > 0 else -math.inf
    r_t = math.exp(lf - log_target) if floor > 0 else 0.0
    l1rt = math.log1p(-r_t) if r_t < 1.0 else math.nan
    x_prev = math.nan
    p_prev = math.nan
    s_prev = math.inf
    for count in range(200):
        tau = math.exp(x)
        log_l, slope, rate = loss_and_slope(tau, n, xs, wa, wak, wb, wbk, g, c, cdec, floor,
                                            ebuf)
        h = log_l - log_target
        if count == 0 and h > 0:
            return x, 0
        if h == 0:
            return x, 1
        if h > 0:
            a = max(a, x)
        else:
            b = min(b, x)
        xn, p = model_step(x, tau, log_l, slope, log_target, lf, r_t, l1rt, floor, rate,
                           x_prev, p_prev)
        step = abs(xn - x)                    # _lts_kernel.newton_scalar's stopping rule
        small = step <= step_tol or (step <= 1e-7 and step * step * s_prev <= superlinear)
        if small and abs(h) > stall * max(1.0, abs(slope)):  # a stall: the plain step
            xn = x - h / slope if slope != 0 else math.nan
            small = False
        outside = (not math.isfinite(xn) or xn < a or xn > b or xn < -745.0
                   or ((xn == a or xn == b) and not small))
        if outside:
            xn = 0.5 * (a + b) if math.isfinite(a) else b - 2.0
            p = math.nan
        x_prev = x
        p_prev = p
        s_prev = abs(xn - x)
        x = xn
        if (small and not outside) or b - a <= 1e-14:
            return x, 1
    return x, -1


@_jit
def guess_point(n, wa, wb, cdec, c, floor, l0, log_target, x_min, x_max):
    """``_lts_engine._upper_guess`` on built rows (one panel)."""
    a = 0.0
    b = 0.0
    for j in range(n):
        a += abs(wa[j])
        b += wb[j]
    b = b + cdec
    gap = math.exp(log_target) - floor
    den = a + math.sqrt(a * a + 4.0 * b * gap)
    e = 2.0 * gap / den
    if math.isnan(e):
        e = 1.0
    e = min(max(e, 1e-300), 1.0)
    tau_exp = -math.log(e) / (2.0 * c) if c > 0 else math.inf
    ratio = max(math.log(l0) - log_target, 1.0)
    tau_pow = math.exp(min(2.0 * ratio + 1.0, 600.0))
    tau = min(tau_exp, tau_pow) * 1.05
    return min(max(math.log(tau), x_min), x_max) if tau > 0 else x_min


@numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc"})
def floor_point(p, lam, lo, g, s, nl, offsets, x_unit, weights):
    """``_lts_engine._floor_sums`` (with the noise terms) for one point on p panels. The
    sums in SIMD lanes (fastmath reassoc: the compiler may reorder the additions and the
    products per node, rounding differences of a few ulp; 0.40 -> 0.18 us per point)."""
    o0 = offsets[p]
    n = offsets[p + 1] - o0
    w4 = 4.0 * math.sqrt(lam)
    hs = 0.5 * s
    gg = g * g
    hgg = hs * g * g
    f_tr = 0.0
    f_gen = 0.0
    for j in range(n):
        nu = w4 * x_unit[o0 + j] + lo
        k = nu + g
        cwk = weights[o0 + j] * (1.0 / (k * k))
        f_tr += cwk * (gg * (hs + nl / nu))
        f_gen += cwk * (hgg / nu + nl)
    return f_tr, f_gen


@_jit
def panels_point(lam, shift, decay, max_panels):
    """``_lts_engine._panels_1``: the graded panels one point needs."""
    r = math.sqrt(lam)
    lo, w = (1.0 - r) ** 2, 4.0 * r
    near = lo if lo > 0 else shift
    pole = math.sqrt(near / w) if near > 0 else math.inf
    width = 1.0 / math.sqrt(decay * w) if decay > 0 else math.inf
    phi_min = 0.5 * min(pole, width, 0.5 * math.pi)
    if phi_min <= 0:
        return max_panels
    p = math.ceil(math.log(phi_min / (0.5 * math.pi)) / math.log(0.5))
    return int(min(max(p, 1), max_panels))


@_jit
def _scratch(offsets):
    nmax = 0
    for p in range(1, offsets.size - 1):
        nmax = max(nmax, offsets[p + 1] - offsets[p])
    return np.empty((6, nmax))


@_jit
def crossings_point(lam, lo, g, s, a2, atom, sig2, nl, log_target, x_v, x_min, x_max,
                    offsets, x_unit, weights, step_tol, stall, superlinear, max_panels, w,
                    out):
    """``_lts_engine.exact_crossings`` for one point, all in one call: the floors
    (``model_floors``), then per loss the checks of ``crossing_times``, the starting bound,
    the panel count the bound needs (the point's own), Newton and the look-further steps.
    ``out[:]`` = ``(tau_tr, tau_gen, floor_tr, floor_gen, status_tr, status_gen)``; status
    1: done, 0: the crossing lies beyond exp(x_v) (tau nan, for the caller), -1: no
    convergence, -2: no crossing below exp(x_max + 2), 2: a generalization loss with label
    noise (not monotone: the caller scans it)."""
    f_tr = sig2 * max(0.0, 1.0 - lam)
    f_gen = atom * s * 0.5 * (1.0 if g > 0 else 1.0 + a2)
    if g > 0 or sig2 > 0:
        d_tr, d_gen = floor_point(panels_point(lam, g, 0.0, max_panels), lam, lo, g, s, nl,
                                  offsets, x_unit, weights)
        f_tr, f_gen = f_tr + d_tr, f_gen + d_gen
    out[2] = f_tr
    out[3] = f_gen
    sig = s * 0.5 * (1.0 + a2)
    c = lo + g
    noisy = nl > 0
    for kind in range(2):
        out[4 + kind] = 1.0
        floor = f_tr if kind == 0 else f_gen
        l0 = sig + sig2 if kind == 0 else sig
        if math.log(l0) <= log_target:
            out[kind] = 0.0
            continue
        gen = kind == 1
        if gen and sig2 > 0:
            out[kind] = math.nan
            out[4 + kind] = 2.0
            continue
        if floor > 0 and math.log(floor) >= log_target:
            out[kind] = math.inf
            continue
        cdec = atom * s * 0.5 * a2 if gen else 0.0
        eff = floor - (0.0 if g > 0 else cdec)
        n = build_rows(1, lam, lo, g, s, a2, nl, noisy, gen, offsets, x_unit, weights,
                       w[0], w[1], w[2], w[3], w[4])
        x = min(guess_point(n, w[1], w[3], cdec, c, floor, l0, log_target, x_min, x_max),
                x_v)
        out[kind] = math.nan
        while True:
            p = panels_point(lam, g, 4.0 * math.exp(x), max_panels)
            n = build_rows(p, lam, lo, g, s, a2, nl, noisy, gen, offsets, x_unit, weights,
                           w[0], w[1], w[2], w[3], w[4])
            root, st = newton_point(n, w[0], w[1], w[2], w[3], w[4], g, c, cdec, eff, x,
                                    log_target, step_tol, stall, superlinear, w[5])
            if st < 0:
                out[4 + kind] = -1.0
                break
            if st == 1:
                out[kind] = math.exp(root)
                break
            if x >= x_v:             # still above the target where the panels end
                out[4 + kind] = 0.0
                break
            x = min(x + 2.0, x_v)
            if x > x_max + 2.0:
                out[4 + kind] = -2.0
                break


@_jit
def crossings_block(lam, lo, g, s, a2, atom, sig2, nl, log_target, x_v, x_min, x_max,
                    offsets, x_unit, weights, step_tol, stall, superlinear, max_panels, out):
    """:func:`crossings_point` for every point: ``out`` of shape (n, 6)."""
    w = _scratch(offsets)
    for i in range(lam.size):
        crossings_point(lam[i], lo[i], g[i], s[i], a2[i], atom[i], sig2[i], nl[i],
                        log_target[i], x_v[i], x_min, x_max, offsets, x_unit, weights,
                        step_tol, stall, superlinear, max_panels, w, out[i])


@_jit
def crossings_one(lam, lo, g, s, a2, atom, log_target, x_v, x_min, x_max, offsets, x_unit,
                  weights, step_tol, stall, superlinear, max_panels):
    """``_lts_engine._crossings_1`` for one point without label noise
    (:func:`crossings_point`): ``(tau_tr, tau_gen, floor_tr, floor_gen, status_tr,
    status_gen)``."""
    out = np.empty(6)
    crossings_point(lam, lo, g, s, a2, atom, 0.0, 0.0, log_target, x_v, x_min, x_max,
                    offsets, x_unit, weights, step_tol, stall, superlinear, max_panels,
                    _scratch(offsets), out)
    return out[0], out[1], out[2], out[3], int(out[4]), int(out[5])

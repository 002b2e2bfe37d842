r"""The loss engine of the linear teacher-student mechanism (private).

The Marchenko-Pastur averaged losses of :mod:`grokdelay.linear_teacher_student` (their
formulas and conventions are in that module's docstring) evaluated in log space on the
quadrature of :mod:`grokdelay._marchenko_pastur`, their floors and initial values, the
two-layer clock (:mod:`grokdelay._two_layer`), and the root finding that turns them into
first-passage times: a safeguarded Newton iteration for monotone losses and a scan plus a
bracketed root for the non-monotone generalization loss with label noise.

Every function takes flat per-point arrays (a :class:`Model`); the mechanism module
validates, broadcasts and reshapes.
"""

from __future__ import annotations

import math

import numpy as np

from ._core import ParameterError
from ._lts_closed_forms import describe_first, log_eq19
from ._lts_kernel import (Point1, Rows1, compiled, crossings_block_compiled,
                          crossings_one_compiled, kernel_choice, newton_scalar, node_tables,
                          panel_weights, point_floor_sums, point_guess_sums, point_rows)
from ._lts_newton import mixed_rate, newton_block
from ._marchenko_pastur import graded_panels, panels_needed, resolved_limits
from ._two_layer import CoupledKernel

_CHUNK = 2048          # points per vectorized block (memory: ~250 nodes per point)


# --------------------------------------------------------------------------- model


class Model:
    """Per-point constants of the loss formulas (arrays of one flat shape)."""

    def __init__(self, lam, eta, wd, dout, depth, alpha, sigma):
        self.lam = np.asarray(lam, dtype=float)
        dout = np.asarray(dout, dtype=float)
        depth = np.asarray(depth)
        # depth 2: eq 18's rate at the initial kernel kappa0 = init_scale (both layers scaled by
        # sqrt(init_scale), so h = init_scale / 2 instead of the paper's 1/2)
        self.eta0 = np.where(depth == 2, np.asarray(alpha, dtype=float) * eta / (2.0 * dout ** 2),
                             eta / dout)
        self.g = 0.5 * dout * wd                       # gamma / 2 with gamma = d_out * wd
        self.s = 1.0 / dout                            # signal prefactor (eq 12)
        self.a2 = np.asarray(alpha, dtype=float) ** 2
        self.sig2 = np.asarray(sigma, dtype=float) ** 2
        self.lo = (1.0 - np.sqrt(self.lam)) ** 2
        self.atom = np.maximum(0.0, 1.0 - 1.0 / self.lam)

    def take(self, idx):
        new = object.__new__(Model)
        for k, v in vars(self).items():
            setattr(new, k, v[idx])
        return new


def _log_loss(m: Model, tau, kind: str):
    """log of the train ("tr") or generalization ("gen") loss at tau = eta0 * t.

    The per-point arrays of ``m`` broadcast with ``tau``. Points are grouped by the number of
    graded panels their decay ``4 tau`` needs and evaluated by :class:`_Integrands`, the one
    implementation of the loss integrals.
    """
    tau = np.asarray(tau, dtype=float)
    shape = np.broadcast_shapes(tau.shape, *(np.shape(v) for v in vars(m).values()))
    flat = object.__new__(Model)
    for k, v in vars(m).items():
        setattr(flat, k, np.broadcast_to(v, shape).ravel())
    t = np.broadcast_to(tau, shape).ravel()
    out = np.empty(t.size)
    need = panels_needed(flat.lam, flat.g, 4.0 * t)
    for p in np.unique(need):
        i = np.flatnonzero(need == p)
        out[i] = _Integrands(flat.take(i), kind, int(p)).log_loss(t[i])
    return out.reshape(shape)


_BLOCK = 1024          # points per block of the exact path: its memory is O(block)
# the compiled kernel holds one point's rows at a time, so its blocks are larger (a block's
# copies and results, about 200 bytes per point, are 3 MiB): fewer per-block numpy calls
_COMPILED_BLOCK = 16384
_COMPILED_MIN = 64     # points per call from which the compiled kernel is used


def _blocks(n: int, size: int = _BLOCK):
    return (slice(lo, min(n, lo + size)) for lo in range(0, n, size))


def exact_crossings(m: Model, log_target):
    """``(tau_tr, tau_gen, floor_tr, floor_gen)`` of flat points, in fixed-size blocks.

    Every intermediate (quadrature rows, guesses, Newton state) lives for one block of
    :data:`_BLOCK` points (:data:`_COMPILED_BLOCK` on the compiled kernel), so the memory is
    O(block) whatever the number of points.
    """
    n, choice = m.lam.size, kernel_choice()       # (checks GROKDELAY_KERNEL on every call)
    if n == 1 and float(m.sig2[0]) == 0.0:
        return _crossings_1(m, float(log_target[0]), compiled() if choice == "numba" else None)
    # the compiled kernel (numba, optional) for calls of _COMPILED_MIN points or more (or
    # any, if forced): importing numba costs about 1 s once per process
    kern = compiled(choice) if n >= _COMPILED_MIN or choice == "numba" else None
    out = tuple(np.empty(n) for _ in range(4))
    for sl in _blocks(n, _BLOCK if kern is None else _COMPILED_BLOCK):
        mm, lt = m.take(sl), log_target[sl]
        floors = model_floors(mm) if kern is None else None
        res = (_crossings_compiled(kern, mm, lt) if kern is not None else
               (crossing_times(mm, lt, "tr", floors), crossing_times(mm, lt, "gen", floors),
                *floors))
        for o, r in zip(out, res):
            o[sl] = r
    return out


def _crossings_compiled(kern, m: Model, log_target):
    """A block of :func:`exact_crossings` by the compiled kernel, each point in one pass;
    numpy scans noisy generalization losses, :func:`_beyond` takes those past x_v."""
    x_v = _x_verified(m.lam)
    res = crossings_block_compiled(kern, m, log_target, x_v, _XMIN + 1.0, _XMAX, _tables(),
                                   _MAX_PANELS)       # rows: tau_tr, tau_gen, floors, statuses
    for i, kind in enumerate(("tr", "gen")):
        e, b, bad = (np.flatnonzero(res[4 + i] == v) for v in (0, 2, -2))
        if bad.size:
            raise _no_crossing(bad.size)
        if e.size:
            res[i, e] = _beyond(m.take(e), x_v[e], kind, res[2 + i, e], log_target[e])
        if b.size:
            res[i, b] = crossing_times(m.take(b), log_target[b], kind, (res[2, b], res[3, b]))
    return res[:4]


def _crossings_1(m: Model, log_target: float, kern=None):
    """:func:`exact_crossings` for one point without label noise, on Python floats where
    numpy's per-call overhead would dominate: the same floors, guesses and iteration, on
    node rows built once per panel count (:func:`grokdelay._lts_kernel.point_rows`);
    ``kern``: all of it in one call of the compiled kernel (GROKDELAY_KERNEL=numba)."""
    x_v = _x_verified_1(float(m.lam[0]))
    if kern is not None:
        *res, st_tr, st_gen = crossings_one_compiled(kern, m, log_target, x_v, _XMIN + 1.0,
                                                     _XMAX, _tables(), _MAX_PANELS)
        for i, (kind, st) in enumerate((("tr", st_tr), ("gen", st_gen))):
            if st == -2:
                raise _no_crossing(1)
            if st == 0:                       # beyond where the panels resolve
                res[i] = float(_beyond(m, np.array([x_v]), kind, np.array([res[2 + i]]),
                                       np.array([log_target]))[0])
        return tuple(np.array([v]) for v in res)
    pt, memo = Point1.of(m), {}
    g, s, a2 = pt.g, pt.s, pt.a2
    scales = memo["scales"] = _scales_1(pt.lam, g)
    f_tr, f_gen = 0.0, pt.atom * s * 0.5 * (1.0 if g > 0 else 1.0 + a2)
    if g > 0:
        d_tr, d_gen = point_floor_sums(pt, _panels_1(pt.lam, g, 0.0, scales), memo)
        f_tr, f_gen = f_tr + d_tr, f_gen + d_gen
    l0 = s * 0.5 * (1.0 + a2)
    taus = []
    for kind, floor in (("tr", f_tr), ("gen", f_gen)):
        if math.log(l0) <= log_target:
            taus.append(0.0)
        elif floor > 0 and math.log(floor) >= log_target:
            taus.append(math.inf)
        else:
            taus.append(_newton_1(m, kind, floor, l0, log_target, (pt, memo)))
    return tuple(np.array([*taus, f_tr, f_gen]).reshape(4, 1))   # one array, a row each


def _panels_1(lam: float, shift: float, decay: float, scales=None) -> int:
    """:func:`grokdelay._marchenko_pastur.panels_needed` for one point, on Python floats.
    ``scales``: the point's ``(w, pole)`` (:func:`_scales_1`), if known."""
    w, pole = _scales_1(lam, shift) if scales is None else scales
    width = 1.0 / math.sqrt(decay * w) if decay > 0 else math.inf   # decay >= 4 e^-90
    phi_min = 0.5 * min(pole, width, _HALF_PI)
    if phi_min <= 0:
        return _MAX_PANELS
    p = math.ceil(math.log(phi_min / _HALF_PI) / math.log(0.5))
    return int(min(max(p, 1), _MAX_PANELS))


def _scales_1(lam: float, shift: float) -> tuple[float, float]:
    """The spectrum's width ``w = 4 sqrt(lambda)`` and the pole's scale in phi (see
    :func:`grokdelay._marchenko_pastur.panels_needed`), which every panel count of one point
    shares."""
    r = math.sqrt(lam)
    lo, w = (1.0 - r) ** 2, 4.0 * r
    near = lo if lo > 0 else shift
    return w, (math.sqrt(near / w) if near > 0 else math.inf)


_HALF_PI, _MAX_PANELS = 0.5 * math.pi, 60
_BASE2 = (2.0 * _HALF_PI * 0.5 ** _MAX_PANELS) ** 2   # resolved_limits: decay_max w = 0.5 / it


def _newton_1(m: Model, kind, floor: float, l0: float, log_target: float, point=None) -> float:
    """:func:`_upper_guess` and :func:`_newton_crossing` for one point (Python floats).
    ``point``: ``(Point1, memo)`` of a point without label noise, whose node rows are
    shared across its calls."""
    if point is None and float(m.sig2[0]) == 0.0:
        point = Point1.of(m), {}
    pt, memo = point if point is not None else (None, None)
    if pt is None:
        it = _rows_1(m, kind, 1, floor)
        a, _, b, _ = it.sums()
        b, c = b + it.cdec, it.c
    else:
        a, b, cdec = point_guess_sums(pt, kind, memo)
        b, c = b + cdec, pt.lo + pt.g
    gap = math.exp(log_target) - floor
    den = a + math.sqrt(a * a + 4.0 * b * gap)
    e = 2.0 * gap / den if den > 0 else 1.0
    e = min(max(e, 1e-300), 1.0) if e == e else 1.0
    tau_exp = -math.log(e) / (2.0 * c) if c > 0 else math.inf
    ratio = max(math.log(l0) - log_target, 1.0)
    tau_pow = math.exp(min(2.0 * ratio + 1.0, 600.0))
    tau = min(tau_exp, tau_pow) * 1.05
    lam, g = float(m.lam[0]), float(m.g[0])
    x_v = _x_verified_1(lam)
    x = min(max(math.log(tau), _XMIN + 1.0), _XMAX, x_v) if tau > 0 else _XMIN + 1.0
    scales = memo.get("scales") if memo is not None else None
    while True:
        p = _panels_1(lam, g, 4.0 * math.exp(x), scales)
        root, ok = newton_scalar(_rows_1(m, kind, p, floor, pt, memo), x, log_target)
        if ok:
            return math.exp(root)
        if x >= x_v:                     # still above the target where the panels end
            return float(_beyond(m, np.array([x_v]), kind, np.array([floor]),
                                 np.array([log_target]))[0])
        x = min(x + 2.0, x_v)            # the guess was below the crossing: look further
        if x > _XMAX + 2.0:
            raise _no_crossing(1)


def _rows_1(m: Model, kind, p: int, floor: float, pt=None, memo=None) -> Rows1:
    """``Rows1.of(_Integrands(m, kind, p, [floor]))`` for one point: without label noise
    (``pt`` given) from the node rows shared in ``memo``, the same products as the block's
    on Python floats and 1-D node arrays."""
    if pt is None:                       # the noisy training rows: the general builder
        return Rows1.of(_Integrands(m, kind, p, np.array([floor])))
    return point_rows(pt, kind, p, floor, memo)


def _x_verified(lam):     # log of the largest tau whose late-time integrands panels resolve
    return np.log(0.25 * resolved_limits(lam)[0])


def _x_verified_1(lam: float) -> float:   # :func:`_x_verified` of one point, on floats
    return math.log(0.25 * 0.5 / (_BASE2 * (4.0 * math.sqrt(lam))))


def _beyond(m: Model, x_v, kind, floor, log_target):
    """A crossing beyond tau = exp(x_v), where the panels stop resolving the spectrum: if
    tau / eta0 overflows there, a finite stand-in tau (float max) gets the overflow note;
    if the spectral terms are negligible (< 1e-17 L*) there, the null-space term left,
    ``floor + cdec e^{-4 g tau}``, is solved in closed form; otherwise refused."""
    it = _Integrands(m, kind, 1, floor)
    with np.errstate(over="ignore", divide="ignore", under="ignore", invalid="ignore"):
        e1 = np.exp(-2.0 * np.exp(x_v) * it.c)
        rest = e1 * np.abs(it.wa).sum(axis=1) + e1 * e1 * it.wb.sum(axis=1)
        log_tau = np.log(np.log(it.cdec / (np.exp(log_target) - it.floor))) - np.log(4.0 * it.g)
        solved = (rest <= 1e-17 * np.exp(log_target)) & (log_tau >= x_v)
        over = (np.minimum(x_v, np.where(solved, log_tau, np.inf)) - np.log(m.eta0)
                > math.log(np.finfo(float).max))
    if np.all(over | solved):
        return np.where(over, np.finfo(float).max, np.exp(np.where(solved, log_tau, 0.0)))
    over |= solved
    raise ParameterError(
        f"threshold: the {'training' if kind == 'tr' else 'generalization'} loss reaches the "
        f"target only beyond eta0 t = {float(np.exp(x_v[~over][0])):.3g}, where the exact "
        "quadrature is not verified (aspect_ratio = 1 without weight decay, or a tiny "
        "target); raise threshold or lower accuracy", "threshold")


def model_floors(m: Model):
    """Exact t -> inf limits (train, gen) of the losses, from the same integrals.

    The t-independent part of :class:`_Integrands` on as many graded panels as the nearest
    pole needs (points grouped by that count); without weight decay the student's initial
    component in the null space (the ``cdec`` term) never decays. Blocks of
    :data:`_BLOCK` points.
    """
    if np.size(m.lam) > _BLOCK:
        n = m.lam.size
        tr, gen = np.empty(n), np.empty(n)
        for sl in _blocks(n):
            tr[sl], gen[sl] = model_floors(m.take(sl))
        return tr.reshape(np.shape(m.lam)), gen.reshape(np.shape(m.lam))
    lam = np.atleast_1d(m.lam)
    g = np.atleast_1d(m.g)
    sig2 = np.atleast_1d(m.sig2)
    tr = np.broadcast_to(sig2 * np.maximum(0.0, 1.0 - lam), lam.shape).copy()
    gen = np.broadcast_to(np.atleast_1d(m.atom * m.s * 0.5 * np.where(m.g > 0, 1.0, 1.0 + m.a2)),
                          lam.shape).copy()
    # without weight decay and label noise the integrals vanish: only the constants remain
    live = np.flatnonzero((g > 0) | (sig2 > 0))
    if live.size:
        ml = m.take(live) if np.ndim(m.lam) else m
        need = panels_needed(np.atleast_1d(ml.lam), np.atleast_1d(ml.g), 0.0)
        for p in np.unique(need):
            i = np.flatnonzero(need == p)
            f_tr, f_gen = _floor_sums(ml.take(i) if np.ndim(m.lam) else m, int(p))
            tr[live[i]] += f_tr
            gen[live[i]] += f_gen
    return tr.reshape(np.shape(m.lam)), gen.reshape(np.shape(m.lam))


def _floor_sums(m: Model, p: int, noise: bool = True):
    """The t -> inf integrals (train, gen) on P graded panels (no constants):
    ``E[g^2 (s nu / 2 + sigma^2 lambda) / k^2]`` and ``E[(s g^2 / 2 + sigma^2 lambda nu) / k^2]``
    with weight ``C / nu`` (see :class:`_Integrands`); ``noise=False``: without the
    ``sigma^2`` terms."""
    s2, _, _ = graded_panels(p)
    cw = _panel_weights(p)
    nu = (4.0 * np.sqrt(np.atleast_1d(m.lam)))[:, None] * s2 + np.atleast_1d(m.lo)[:, None]
    g = np.atleast_1d(m.g)[:, None]
    hs = 0.5 * np.atleast_1d(m.s)[:, None]
    nl = np.atleast_1d(m.sig2 * m.lam if noise else np.zeros_like(m.lam))[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_k2 = 1.0 / (nu + g) ** 2
    cwk = cw * inv_k2
    f_tr = np.einsum("ij,ij->i", cwk, g * g * (hs + nl / nu))
    f_gen = np.einsum("ij,ij->i", cwk, hs * g * g / nu + nl)
    return f_tr, f_gen


_panel_weights = panel_weights   # (16 / pi) sin^2 cos^2 dphi per P, cached


def _tables():            # every panel count's nodes and weights, for the compiled kernel
    return node_tables(graded_panels, _panel_weights, _MAX_PANELS)


def model_initial(m: Model):
    """Exact t = 0 losses (train, gen): the MP mean is 1."""
    sig = m.s * 0.5 * (1.0 + m.a2)
    return sig + m.sig2, sig


_KERNELS = ("frozen", "coupled")


def check_kernel(kernel, f):
    if kernel not in _KERNELS:
        raise ParameterError(f"kernel = {kernel!r} is not one of {_KERNELS}", "kernel")
    if kernel == "coupled":
        check_coupled(f["depth"], f["label_noise"])


def check_coupled(depth, label_noise):
    bad = (np.asarray(depth) == 2) & (np.asarray(label_noise) > 0)
    if np.any(bad):
        raise ParameterError(
            f"label_noise = {describe_first(label_noise, bad)} with depth = 2: the coupled "
            "kernel (eq 17) is derived without label noise; use label_noise = 0 or the frozen "
            "kernel of eq 18", "label_noise")


def coupled_kernel(f, u_max):
    """The corrected eq 17 for flat field arrays ``f`` (depth-2 points)."""
    return CoupledKernel.marchenko_pastur(f["aspect_ratio"], f["init_scale"], f["d_out"],
                                          f["hidden_width"], f["learning_rate"], u_max)


def effective_times(f, t, kernel):
    """tau = the argument of the one-layer losses reached after t steps (flat arrays)."""
    m = Model(f["aspect_ratio"], f["learning_rate"], f["weight_decay"], f["d_out"],
               f["depth"], f["init_scale"], f["label_noise"])
    tau = m.eta0 * t
    if kernel == "coupled":
        deep = np.flatnonzero(f["depth"] == 2)
        if deep.size:
            sub = {k: v[deep] for k, v in f.items()}
            # u(t) <= kappa_max eta t / (2 d_out^2), kappa_max^2 <= alpha^2 + 2 d_out / d_h
            a2 = sub["init_scale"] ** 2
            k_hi = np.sqrt(a2 + 2.0 * sub["d_out"] / sub["hidden_width"])
            u_max = k_hi * sub["learning_rate"] * t[deep] / (2.0 * sub["d_out"] ** 2)
            tau[deep] = coupled_kernel(sub, u_max).effective_time(t[deep])
    return m, tau


def log_losses_flat(f, t, kernel="frozen"):
    m, tau_all = effective_times(f, t, kernel)
    out_tr = np.empty(t.size)
    out_gen = np.empty(t.size)
    for lo in range(0, t.size, _CHUNK):
        sl = slice(lo, lo + _CHUNK)
        mm = m.take(sl)
        tau = tau_all[sl]
        out_tr[sl] = _log_loss(mm, tau, "tr")
        out_gen[sl] = _log_loss(mm, tau, "gen")
    return out_tr, out_gen


# --------------------------------------------------------------------------- root finding

_XMIN, _XMAX = -90.0, 690.0       # bracket limits on x = log(eta0 t)


def _flat_model(lam, g, s, a2, sig2):
    m = object.__new__(Model)
    m.lam, m.g, m.s, m.a2, m.sig2 = lam, g, s, a2, sig2
    m.lo = (1.0 - np.sqrt(lam)) ** 2
    m.atom = np.maximum(0.0, 1.0 - 1.0 / lam)
    return m


def _objective(kind):
    def f(x, lam, g, s, a2, sig2, log_target):
        m = _flat_model(lam, g, s, a2, sig2)
        return _log_loss_fast(m, np.exp(x), kind) - log_target
    return f


def _log_loss_fast(m, tau, kind):
    """``_log_loss`` with Levi et al.'s eq 19 as the exact fast path for the training loss
    (no weight decay, no label noise): ``L_tr = s (1 + alpha^2)/2 * eq19``."""
    tau = np.asarray(tau, dtype=float)
    if kind != "tr":
        return _log_loss(m, tau, kind)
    fast = (m.g == 0) & (m.sig2 == 0)
    out = np.empty(tau.shape)
    if np.any(fast):
        out[fast] = np.log(m.s[fast] * 0.5 * (1.0 + m.a2[fast])) + log_eq19(m.lam[fast],
                                                                              tau[fast])
    if not np.all(fast):
        slow = ~fast
        out[slow] = _log_loss(m.take(slow), tau[slow], kind)
    return out


def crossing_times(m: Model, log_target, kind, floors=None):
    """First tau = eta0 t with loss <= target, per point (flat arrays). inf: never."""
    n = m.lam.size
    l0_tr, l0_gen = model_initial(m)
    f_tr, f_gen = model_floors(m) if floors is None else floors
    l0, floor = (l0_tr, f_tr) if kind == "tr" else (l0_gen, f_gen)
    tau = np.full(n, np.nan)
    noisy_gen = (m.sig2 > 0) & (kind == "gen")           # not monotone: falls, then rises
    with np.errstate(divide="ignore"):
        tau[np.log(l0) <= log_target] = 0.0
        # a monotone loss never crosses a target at or below its floor; a noisy gen loss
        # can dip below its floor on the way, so it is scanned instead
        tau[np.isnan(tau) & ~noisy_gen & (np.log(floor) >= log_target)] = np.inf
    todo = np.isnan(tau)
    bumpy = todo & noisy_gen
    mono = todo & ~bumpy
    if np.any(mono):
        idx = np.flatnonzero(mono)
        tau[idx] = _newton_crossing(m.take(idx), log_target[idx], kind, floor[idx], l0[idx])
    if np.any(bumpy):
        args_all = (m.lam, m.g, m.s, m.a2, m.sig2, log_target)
        f = _objective(kind)
        idx = np.flatnonzero(bumpy)
        for lo in range(0, idx.size, _CHUNK // 8):
            sel = idx[lo:lo + _CHUNK // 8]
            tau[sel] = _first_crossing_scan(f, m, sel, args_all)
    return tau


# The exact method for monotone losses: graded panels of module _marchenko_pastur, P per
# point from the smallest length scale at the largest tau the solver evaluates, points grouped
# by P. The tau-independent parts of the integrands are computed once per group; each
# evaluation of the loss and of its analytic slope is then one exp per node and four sums.
# From an upper bound, steps to the root of a model fitted at each iterate
# (_lts_newton.model_step), safeguarded by the bracket [largest x with h > 0, smallest with
# h < 0].
_NEWTON_CHUNK = 2048


class _Integrands:
    """tau-independent parts of the loss integrals of one block of points, P panels.

    With ``C = (16/pi) sin^2 cos^2 dphi`` the quadrature weight is ``C / nu``, so the
    products with the integrands' factors of ``nu`` are formed without dividing by ``nu``.
    """

    _ROWS = ("x", "wa", "wb", "wak", "wbk", "floor", "c", "g", "cdec", "wn", "k")

    def __init__(self, m: Model, kind, p, floor=None):
        """``floor``: the loss at t = inf (from :func:`model_floors`), if known; otherwise
        its integrals are computed on the same P panels."""
        s2, _, _ = graded_panels(p)
        cw = _panel_weights(p)
        self.x = (4.0 * np.sqrt(m.lam))[:, None] * s2    # nu - lower edge, exact
        nu = self.x + m.lo[:, None]
        g = m.g[:, None]
        k = nu + g
        inv_k = 1.0 / k
        q = nu * inv_k                                  # nu / k
        s = m.s[:, None]
        sg = s * g
        half_b = (0.5 * s) * (m.a2[:, None] + q * q)
        noisy = bool(np.any(m.sig2 > 0))
        nl = (m.sig2 * m.lam)[:, None]
        self.wn = self.k = None
        if kind == "gen":
            # A: s g nu/k^2; B: s (a2 + q^2)/2; weight C / nu. The noise nl nu (1-e)^2/k^2 is
            # summed per node (weight wn): split into floor, A, B its parts cancel (~g^-1/2)
            cwn = cw / nu
            self.wak = sg * inv_k * cw
            self.wa = self.wak * inv_k
            self.wb = half_b * cwn
            if noisy:
                self.wn, self.k = nl * cw * inv_k * inv_k, k
            const = m.atom * m.s * 0.5
            self.cdec = const * m.a2                    # times exp(-4 tau g)
        else:
            # A: s g nu^2/k^2 (+ 2 nl g nu/k^2); B: s nu (a2 + q^2)/2 (+ nl nu^2/k^2)
            cq = cw * q
            self.wak = sg * cq
            self.wa = self.wak * inv_k
            self.wb = half_b * cw
            if noisy:
                gk = g * inv_k
                self.wa = self.wa + 2.0 * nl * gk * cw * inv_k
                self.wb = self.wb + nl * cq * inv_k
                self.wak = self.wa * k
            const = m.sig2 * np.maximum(0.0, 1.0 - m.lam)
            self.cdec = np.zeros_like(m.lam)
        if self.wn is not None:          # the floor of the signal only (noise: wn)
            self.floor = _floor_sums(m, p, noise=False)[1] + const
        elif floor is None:
            self.floor = _floor_sums(m, p)[kind != "tr"] + const
        else:                            # the t = inf value less the part of cdec that stays
            self.floor = floor - np.where(m.g > 0, 0.0, self.cdec)
        self.wbk = self.wb * k
        self.c = m.lo + m.g
        self.g = m.g

    def compact(self, rows):
        """Keep only ``rows`` (the points still iterating), so later sums skip the rest."""
        for name in self._ROWS:
            if getattr(self, name) is not None:
                setattr(self, name, getattr(self, name)[rows])

    def log_loss(self, tau):
        """log L(tau) for every point of the block."""
        return self.log_loss_and_slope(tau, slice(None), slope=False)[0]

    def log_loss_and_slope(self, tau, i, *, slope=True):
        """log L(tau), d log L / d log tau and the model's decay rate
        (:func:`grokdelay._lts_newton.mixed_rate`) for the points ``i`` of the block
        (``slope=False``: ``(log L, None)``).

        Written as ``floor + atom(t) + E1*A + E1^2*B`` with ``E1 = exp(-2 tau (lo + g))``
        factored out of the integrals, so that late times neither underflow nor lose digits.
        """
        e = np.multiply(self.x[i], -2.0 * tau[:, None])
        with np.errstate(under="ignore"):
            np.exp(e, out=e)
        big_a = np.einsum("ij,ij->i", self.wa[i], e)
        a_k = np.einsum("ij,ij->i", self.wak[i], e) if slope else None
        np.multiply(e, e, out=e)
        big_b = np.einsum("ij,ij->i", self.wb[i], e)
        b_k = np.einsum("ij,ij->i", self.wbk[i], e) if slope else None
        g = self.g[i]
        le1 = -2.0 * tau * self.c[i]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            dec = self.cdec[i] * np.exp(-4.0 * tau * g)
            floor = self.floor[i] + dec
            noise, d_noise = self._noise(tau, i, slope)
            terms = np.stack([np.log(floor), le1 + np.log(np.abs(big_a)),
                              2.0 * le1 + np.log(big_b), np.log(noise)])
            top = np.max(np.where(np.isnan(terms), -np.inf, terms), axis=0)
            top = np.where(np.isfinite(top), top, 0.0)
            ea = np.sign(big_a) * np.exp(le1 + np.log(np.abs(big_a)) - top)
            eb = np.exp(2.0 * le1 + np.log(big_b) - top)
            total = (np.exp(terms[0] - top) + np.nan_to_num(ea) + np.nan_to_num(eb)
                     + np.exp(terms[3] - top))
            log_l = np.log(np.maximum(total, 1e-300)) + top
            if not slope:
                return log_l, None
            ea_k = np.sign(a_k) * np.exp(le1 + np.log(np.abs(a_k)) - top)
            eb_k = np.exp(2.0 * le1 + np.log(b_k) - top)
            ed = np.exp(np.log(dec) - top)
            dtot = (-4.0 * g * ed - 2.0 * np.nan_to_num(ea_k)
                    - 4.0 * np.nan_to_num(eb_k) + np.exp(np.log(d_noise) - top))
            return log_l, tau * dtot / total, mixed_rate(2.0 * self.c[i], 4.0 * g,
                                                         np.nan_to_num(ea),
                                                         np.nan_to_num(eb), ed)

    def _noise(self, tau, i, slope):
        """Noise term ``sum wn (1-e)^2``, ``e = exp(-2 k tau)``, and its d/dtau (0 without)."""
        if self.wn is None:
            return np.zeros(tau.shape), np.zeros(tau.shape)
        em1 = np.expm1(np.multiply(self.k[i], -2.0 * tau[:, None]))
        noise = np.einsum("ij,ij->i", self.wn[i], em1 * em1)
        if not slope:
            return noise, None
        return noise, np.einsum("ij,ij->i", self.wn[i] * self.k[i], -4.0 * em1 * (em1 + 1.0))


def _upper_guess(m: Model, kind, floor, l0, log_target):
    """A tau at (or just beyond) the crossing: the t -> inf decay bound of the loss."""
    it = _Integrands(m, kind, 1, floor)  # only the t = 0 sums: coarse nodes are enough
    a = np.abs(it.wa).sum(axis=1)
    b = it.wb.sum(axis=1) + it.cdec
    target = np.exp(log_target)
    gap = target - floor                 # > 0 (monotone losses with floor < target)
    # largest E in (0, 1) with floor + a E + b E^2 <= target
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        e = 2.0 * gap / (a + np.sqrt(a * a + 4.0 * b * gap))
        e = np.clip(np.nan_to_num(e, nan=1.0), 1e-300, 1.0)
        tau_exp = np.where(it.c > 0, -np.log(e) / (2.0 * it.c), np.inf)
        # power-law decay at the hard edge (lambda = 1: L ~ tau^-1/2 or faster)
        ratio = np.maximum(np.log(l0) - log_target, 1.0)
        tau_pow = np.exp(np.minimum(2.0 * ratio + 1.0, 600.0))
    tau = np.minimum(tau_exp, tau_pow) * 1.05
    return np.clip(np.log(tau), _XMIN + 1.0, _XMAX)


def _newton_crossing(m: Model, log_target, kind, floor, l0):
    """tau at which a monotone loss falls to exp(log_target) (flat arrays, all finite)."""
    n = m.lam.size
    if n == 1:                           # one point: no grouping, sorting or retry lists
        return np.array([_newton_1(m, kind, float(floor[0]), float(l0[0]),
                                   float(log_target[0]))])
    x_v = _x_verified(m.lam)
    x_hi = np.minimum(_upper_guess(m, kind, floor, l0, log_target), x_v)
    out = np.full(n, np.nan)
    pending = np.arange(n)
    while pending.size:
        retry = []
        need = panels_needed(m.lam[pending], m.g[pending], 4.0 * np.exp(x_hi[pending]))
        order = pending[np.argsort(need, kind="stable")]
        need = np.sort(need, kind="stable")
        for lo, hi in _panel_groups(need):
            sel = order[lo:hi]
            it = _Integrands(m.take(sel), kind, int(need[hi - 1]), floor[sel])
            if sel.size == 1:            # one point: the same iteration on Python floats
                x, ok = newton_scalar(Rows1.of(it), float(x_hi[sel[0]]),
                                      float(log_target[sel[0]]))
                x, ok = np.array([x]), np.array([ok])
            else:
                x, ok = newton_block(it, x_hi[sel], log_target[sel])
            out[sel[ok]] = np.exp(x[ok])
            retry.append(sel[~ok])
        pending = np.concatenate(retry)
        if pending.size:                 # the guess was below the crossing: look further
            end = x_hi[pending] >= x_v[pending]   # still above the target where panels end
            e = pending[end]
            out[e] = _beyond(m.take(e), x_v[e], kind, floor[e], log_target[e])
            pending = pending[~end]
            x_hi[pending] = np.minimum(x_hi[pending] + 2.0, x_v[pending])
            if np.any(x_hi[pending] > _XMAX + 2.0):
                raise _no_crossing(pending.size)
    return out


def _panel_groups(need):
    """``(lo, hi)`` slices of sorted panel counts, one per count (each point gets about the
    nodes it needs), those under _MIN_GROUP points merged into the next, <= _NEWTON_CHUNK."""
    groups, lo = [], 0
    for hi in [*(np.flatnonzero(np.diff(need)) + 1).tolist(), need.size]:
        if hi - lo >= _MIN_GROUP or hi == need.size:
            groups.extend((a, min(a + _NEWTON_CHUNK, hi)) for a in range(lo, hi, _NEWTON_CHUNK))
            lo = hi
    return groups


_MIN_GROUP = 96


def _no_crossing(count: int) -> FloatingPointError:
    return FloatingPointError("linear_teacher_student: no crossing found below eta0 t = "
                              f"exp(690) for {count} point(s); please report the parameters")


def _refine(f, bracket, args, ok):
    from scipy.optimize import elementwise

    res = elementwise.find_root(f, bracket, args=args,
                                tolerances={"xatol": 1e-14, "xrtol": 0.0, "fatol": 0.0,
                                            "frtol": 0.0})
    x = np.where(res.success | (res.status == -2), res.x, np.nan)
    if not np.all(ok) or np.any(np.isnan(x)):
        bad = np.flatnonzero(~ok | np.isnan(x))
        raise FloatingPointError(f"linear_teacher_student: root bracketing failed for "
                                 f"{bad.size} point(s); please report the parameters")
    return np.exp(x)


def _first_crossing_scan(f, m, sel, args_all):
    """First down-crossing of a non-monotone loss: log-time grid, then a bracketed root."""
    args = tuple(np.asarray(v)[sel] for v in args_all)
    lam, g = m.lam[sel], m.g[sel]
    slow = m.lo[sel] + g
    # e^-40 of decay, or of log(L0 / L*) when more (a huge init_scale: L0 ~ alpha^2)
    more = np.maximum(1.0, (np.log(0.5 * args[2] * (1.0 + args[3])) - args[5]) / 40.0)
    t_hi = np.where(slow > 1e-13, 40.0 / np.where(slow > 1e-13, slow, 1.0), 1e14) * more
    t_lo = 1e-4 / (1.0 + lam + g)
    grid = np.linspace(0.0, 1.0, 97)
    xs = np.log(t_lo)[:, None] + grid * (np.log(t_hi) - np.log(t_lo))[:, None]
    vals = f(xs, *(a[:, None] for a in args))
    below = vals <= 0
    out = np.full(sel.size, np.inf)
    hit = below.any(axis=1)
    first = np.argmax(below, axis=1)
    # points whose grid never dips below: look closer at the grid minimum
    j = np.clip(np.argmin(vals, axis=1), 1, grid.size - 2)
    rows = np.arange(sel.size)
    miss = ~hit
    if np.any(miss):
        r = rows[miss]
        from scipy.optimize import elementwise

        mn = elementwise.find_minimum(
            f, (xs[r, j[r] - 1], xs[r, j[r]], xs[r, j[r] + 1]),
            args=tuple(a[r] for a in args))
        dips = mn.f_x <= 0
        if np.any(dips):
            rr = r[dips]
            left = xs[rr, j[rr] - 1]
            out[rr] = _refine(f, (left, mn.x[dips]), tuple(a[rr] for a in args),
                              np.ones(rr.size, bool))
    if np.any(hit):
        r = rows[hit]
        i = first[r]
        left = np.where(i > 0, xs[r, np.maximum(i - 1, 0)], _XMIN)
        out[r] = _refine(f, (left, xs[r, i]), tuple(a[r] for a in args), np.ones(r.size, bool))
    return out

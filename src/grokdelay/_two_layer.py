r"""The two-layer linear network with a moving kernel: Levi et al.'s eq 17, made consistent.

Levi et al. 2023 (section 4.1, App. F) trains :math:`S_0\in\mathbb R^{d_\mathrm{in}\times d_h}` and
:math:`S_1\in\mathbb R^{d_h\times d_\mathrm{out}}` by the gradient flow of eq 40. The
end-to-end error :math:`D = S_0S_1 - T` then obeys

.. math::

    \dot D = -\frac{2\eta}{d_\mathrm{out}}\bigl(S_0S_0^\top\Sigma D + \Sigma D\,S_1^\top S_1\bigr).

Eq 17 keeps the output kernel only, isotropic, :math:`S_1^\top S_1 \simeq
(\|S_1\|^2/d_\mathrm{out}) I` (the input kernel :math:`S_0S_0^\top` is
:math:`O(d_\mathrm{out}/d_\mathrm{in})` smaller), with :math:`\|S_1\|^2 = h`: the flow
conserves :math:`S_0^\top S_0 - S_1S_1^\top`, so :math:`\|S_0\|^2 - \|S_1\|^2` is constant and
zero on average at the paper's initialization. Differentiating :math:`h` along eq 40 gives

.. math::

    \dot h = -\frac{4\eta}{d_\mathrm{out}}\,\mathrm{Tr}\bigl[(T+D)^\top\Sigma D\bigr],

not eq 17's :math:`-8\eta_0 (T+D)^\top\Sigma D` (a matrix set equal to a scalar; its trace
is :math:`2d_\mathrm{out}` times the derivative above). This module integrates the consistent
pair.

Reduction to one quadrature
---------------------------
With a scalar kernel the error is the one-layer solution at an effective time,
:math:`D(t) = e^{-2u(t)\Sigma}D_0`, :math:`\dot u = \eta_0\kappa`, where
:math:`\eta_0 = \eta/(2d_\mathrm{out}^2)` is eq 18's rate and :math:`\kappa = 2h` the kernel
relative to the paper's :math:`h = 1/2` (the library's units, see
:mod:`grokdelay.linear_teacher_student`: end-to-end maps normalized like the one-layer model,
:math:`\|T\|^2 = 1/2`, :math:`\|D_0\|^2 = (1+\alpha^2)/2`; the paper's layers are
:math:`\sqrt{2d_h}` times smaller, and ``init_scale`` :math:`\alpha` scales both student
layers by :math:`\sqrt\alpha`, so :math:`\kappa(0) = \alpha`). Then
:math:`d(\kappa^2)/du = -(16 d_\mathrm{out}/d_h)\,\mathrm{Tr}[(T+D)^\top\Sigma D]` and, with
the equal-projection average of eq 36,

.. math::

    \kappa(u)^2 = \alpha^2 - \frac{16\,d_\mathrm{out}}{d_h}\,I(u), \qquad
    I(u) = \frac{\|D_0\|^2}{4}\,\mathbb E\bigl[1-e^{-4u\nu}\bigr]
         - \frac{\|T\|^2}{2}\,\mathbb E\bigl[1-e^{-2u\nu}\bigr],

exactly, over the Marchenko-Pastur law. The clock is the one quadrature left,

.. math::

    t(u) = \frac{1}{\eta_0}\int_0^u \frac{dv}{\kappa(v)} .

Two limits check it: :math:`d_h\to\infty` gives :math:`\kappa\equiv\alpha` (eq 18), and
:math:`u\to\infty` (:math:`\lambda<1`) gives
:math:`\kappa_\infty^2 = \alpha^2 + 2d_\mathrm{out}(1-\alpha^2)/d_h`: at the paper's
:math:`\alpha = 1` the kernel ends where it started (it dips by
:math:`O(d_\mathrm{out}/d_h)` on the way), a small student (:math:`\alpha<1`) must grow its
kernel, a large one shrinks it. From
:math:`1-e^{-4x} = y(2-y)`, :math:`y = 1-e^{-2x}`,
:math:`\kappa^2 \ge \alpha^2\bigl(1 - 2d_\mathrm{out}\alpha^2/(d_h(1+\alpha^2))\bigr)`, positive
whenever :math:`d_h \ge 2d_\mathrm{out}`; for :math:`\alpha\to0` the clock grows like
:math:`\log(1/\alpha)`, the escape time from the saddle at the origin.

Numerics
--------
:math:`I(u)` on the graded MP nodes of :mod:`grokdelay._marchenko_pastur` (adapted to the
largest :math:`u` of the point) with ``expm1`` (no cancellation at small :math:`u`); the
clock by Gauss-Legendre (8 nodes) on a base panel :math:`[0, u_0]` and panels geometric in
:math:`u` (3 per decade), :math:`u_0 = 10^{-3}\min(1,\alpha)/\lambda_+` below every
feature of :math:`1/\kappa`. Beyond :math:`u_c = 50/\lambda_-` the kernel equals its limit to
:math:`e^{-100}` and the clock is linear. Against ``solve_ivp`` of the
:math:`(u, \kappa)` ODE the times agree to ~1e-10 (tests/test_two_layer.py).

``predict_delay(method="coupled")`` needs the clock at two points only, and uses
:func:`mp_clocks`, which needs no spectral nodes: over the MP law
:math:`\mathbb E[\nu e^{-s\nu}] = e^{-s(1+\lambda)} I_1(2\sqrt\lambda s)/(\sqrt\lambda s)`
(the density's :math:`1/\nu` cancels; :math:`\int e^{z\cos\theta}\sin^2\theta\,d\theta =
\pi I_1(z)/z`), so :math:`I(u)` is an indefinite integral of one Bessel function, one
``i1e`` per clock node instead of one ``expm1`` per clock node and spectral node. It agrees
with the node quadrature to ~1e-14 (both with ``solve_ivp``); below ``init_scale`` 1e-2 the
node quadrature is kept.
"""

from __future__ import annotations

import math

import numpy as np

from ._marchenko_pastur import nodes_with_offset

_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)
_PER_DECADE = 3
_BASE = 1e-3
_TAIL = 50.0
_BLOCK = 3_000_000        # (points x u-nodes x spectral nodes) per vectorized block


class CoupledKernel:
    r"""The kernel :math:`\kappa(u)` and clock :math:`t(u)` of the corrected eq 17, per point.

    ``I(u) = sum_j a_j (1 - exp(-4 u nu_j)) + b_j (1 - exp(-2 u nu_j))`` over spectral nodes
    ``nu`` (shape ``(P, n)``); :math:`\kappa^2 = \kappa_0^2 - c\,I(u)`,
    :math:`t(u) = \int_0^u dv/(\eta_0\kappa)`. :meth:`marchenko_pastur` builds the
    large-``d_in`` average; a sampled problem can pass its own eigenvalues and projections.
    """

    def __init__(self, nu, a, b, kappa0_sq, c, rate):
        self.nu = np.atleast_2d(np.asarray(nu, dtype=float))
        p = self.nu.shape[0]
        self.a = np.broadcast_to(np.asarray(a, dtype=float), self.nu.shape)
        self.b = np.broadcast_to(np.asarray(b, dtype=float), self.nu.shape)
        self.k0sq = np.broadcast_to(np.asarray(kappa0_sq, dtype=float), (p,))
        self.c = np.broadcast_to(np.asarray(c, dtype=float), (p,))
        self.rate = np.broadcast_to(np.asarray(rate, dtype=float), (p,))
        live = np.where((self.a != 0) | (self.b != 0), self.nu, np.nan)
        with np.errstate(invalid="ignore"):
            pos = np.where(live > 0, live, np.nan)
        self.fast = np.where(np.all(np.isnan(pos), axis=1), 1.0,
                             np.nanmax(np.where(np.isnan(pos), -np.inf, pos), axis=1))
        slow = np.nanmin(np.where(np.isnan(pos), np.inf, pos), axis=1)
        # past u_cut the kernel equals its limit to exp(-100): the clock is linear there
        with np.errstate(divide="ignore"):
            self.u_cut = np.where(np.isfinite(slow), _TAIL / slow, np.inf)

    @classmethod
    def marchenko_pastur(cls, aspect_ratio, init_scale, d_out, hidden_width, learning_rate,
                         u_max):
        """Large-``d_in`` average in library units (``|T|^2 = 1/2``)."""
        lam = np.atleast_1d(np.asarray(aspect_ratio, dtype=float))
        alpha = np.broadcast_to(np.asarray(init_scale, dtype=float), lam.shape)
        d_out = np.broadcast_to(np.asarray(d_out, dtype=float), lam.shape)
        u_max = np.broadcast_to(np.asarray(u_max, dtype=float), lam.shape)
        lo = (1.0 - np.sqrt(lam)) ** 2
        # nodes graded for the slowest exponential still alive at u_max
        decay = 4.0 * np.minimum(u_max, np.where(lo > 0, _TAIL / np.where(lo > 0, lo, 1.0),
                                                  u_max))
        nu, _, w = nodes_with_offset(lam, decay)
        a = w * ((1.0 + alpha ** 2) / 8.0)[:, None]
        b = -0.25 * w
        with np.errstate(divide="ignore"):
            c = 16.0 * d_out / np.asarray(hidden_width, dtype=float)
        return cls(nu, a, b, alpha ** 2, np.broadcast_to(c, lam.shape),
                   np.broadcast_to(learning_rate / (2.0 * d_out ** 2), lam.shape))

    def take(self, idx):
        new = object.__new__(CoupledKernel)
        for k, v in vars(self).items():
            setattr(new, k, v[idx])
        return new

    # ---------------------------------------------------------------- kernel
    def kappa(self, u):
        """kappa at ``u`` of shape ``(P, K)`` (or ``(P,)``)."""
        u = np.asarray(u, dtype=float)
        flat = u.ndim == 1
        u2 = u[:, None] if flat else u
        # one expm1 per node: with m = 1 - exp(-2 x), 1 - exp(-4 x) = m (2 - m), so
        # a (1 - e^-4x) + b (1 - e^-2x) = (2a + b) m - a m^2 (no cancellation: 0 <= m <= 1)
        m = np.multiply(u2[..., None], self.nu[:, None, :])
        with np.errstate(over="ignore", invalid="ignore"):
            np.multiply(m, -2.0, out=m)
            np.expm1(m, out=m)
            np.negative(m, out=m)
            i = np.einsum("pkn,pn->pk", m, 2.0 * self.a + self.b)
            np.multiply(m, m, out=m)
            i -= np.einsum("pkn,pn->pk", m, self.a)
            i = np.where(np.isinf(u2), self._i_inf()[:, None], i)
            k2 = self.k0sq[:, None] - np.where(self.c[:, None] > 0, self.c[:, None] * i, 0.0)
        out = np.sqrt(np.maximum(k2, 0.0))
        return out[:, 0] if flat else out

    def _i_inf(self):
        live = self.nu > 0
        return np.sum(np.where(live, self.a + self.b, 0.0), axis=1)

    def kappa_limit(self):
        """kappa as u -> infinity."""
        k2 = self.k0sq - np.where(self.c > 0, self.c * self._i_inf(), 0.0)
        return np.sqrt(np.maximum(k2, 0.0))

    # ---------------------------------------------------------------- clock
    def _grid(self, u_end):
        """Panel edges ``(P, K+2)`` from 0 to ``u_end``: base panel, then geometric."""
        u0 = np.minimum(u_end, _BASE * np.minimum(1.0, np.sqrt(self.k0sq)) / self.fast)
        u0 = np.where(u0 > 0, u0, u_end)
        with np.errstate(divide="ignore", invalid="ignore"):
            decades = np.where(u_end > u0, np.log10(u_end / u0), 0.0)
        k = max(1, int(math.ceil(_PER_DECADE * float(np.max(decades, initial=0.0)))))
        j = np.arange(k + 1) / k
        with np.errstate(divide="ignore", invalid="ignore"):
            geo = u0[:, None] * np.exp(j * np.log(np.where(u_end > u0, u_end / u0, 1.0))[:, None])
        return np.concatenate([np.zeros((u_end.size, 1)), geo], axis=1)

    def _panel_integrals(self, left, right):
        """``int_left^right dv / (rate kappa)``, panel-wise: inputs and output ``(P, K)``."""
        half = 0.5 * (right - left)
        mid = 0.5 * (right + left)
        nodes = (mid[..., None] + half[..., None] * _GL_X).reshape(left.shape[0], -1)
        kap = self.kappa(nodes).reshape(*left.shape, _GL_X.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / (self.rate[:, None, None] * kap)
            out = np.einsum("pkn,n->pk", inv, _GL_W) * half
        return np.where(half > 0, out, 0.0)       # empty panels (u_end <= u0)

    def clock(self, u):
        r"""Steps to reach effective time ``u`` (shape ``(P,)``): :math:`\int_0^u dv/(\eta_0\kappa)`."""
        return self._blockwise(CoupledKernel._clock, u)

    def _blockwise(self, fn, x):
        """``fn(part, x[part])`` over blocks of points small enough for the 3-D node arrays."""
        x = np.broadcast_to(np.asarray(x, dtype=float), self.k0sq.shape)
        out = np.empty(x.shape)
        per = max(1, _BLOCK // (self.nu.shape[1] * _GL_X.size * 48))
        for i in range(0, x.size, per):
            sl = slice(i, i + per)
            out[sl] = fn(self.take(sl), x[sl])
        return out

    def _clock(self, u):
        u_end = np.minimum(u, self.u_cut)
        edges = self._grid(u_end)
        total = np.sum(self._panel_integrals(edges[:, :-1], edges[:, 1:]), axis=1)
        beyond = u > self.u_cut
        if np.any(beyond):
            with np.errstate(divide="ignore", invalid="ignore"):
                tail = (u - self.u_cut) / (self.rate * self.kappa(self.u_cut))
            total = np.where(beyond, total + tail, total)
        # kappa0 = 0 is the saddle S0 = S1 = 0: the clock never starts (the quadrature
        # above would be finite, the integral of 1/kappa ~ 1/u is not)
        return np.where(u > 0, np.where(self.k0sq > 0, total, np.inf), 0.0)

    def effective_time(self, t):
        r"""Inverse of :meth:`clock`: the :math:`u` reached after ``t`` steps (shape ``(P,)``)."""
        return self._blockwise(CoupledKernel._effective_time, t)

    def _effective_time(self, t):
        # kappa^2 <= kappa0^2 - c * sum(min(a,0) + min(b,0)) bounds the speed from above, so
        # u(t) <= rate * kappa_hi * t: the panels up to there contain the answer
        k_hi = np.sqrt(self.k0sq - np.where(self.c > 0, self.c, 0.0)
                       * np.sum(np.minimum(self.a, 0) + np.minimum(self.b, 0), axis=1))
        u_max = np.minimum(self.rate * k_hi * t, self.u_cut)
        edges = self._grid(u_max)
        cum = np.concatenate([np.zeros((t.size, 1)),
                              np.cumsum(self._panel_integrals(edges[:, :-1], edges[:, 1:]),
                                        axis=1)], axis=1)
        u = np.empty(t.size)
        rows = np.arange(t.size)
        beyond = t >= cum[:, -1]
        past_cut = beyond & (u_max >= self.u_cut) & np.isfinite(self.u_cut)
        if np.any(past_cut):
            r = rows[past_cut]
            sub = self.take(r)
            u[r] = (self.u_cut[r] + (t[r] - cum[r, -1]) * self.rate[r]
                    * sub.kappa(self.u_cut[r]))
        inside = ~past_cut
        if np.any(inside):
            r = rows[inside]
            k = np.clip(np.sum(cum[r] <= t[r, None], axis=1) - 1, 0, edges.shape[1] - 2)
            lo, hi = edges[r, k], edges[r, k + 1]
            u[r] = self.take(r)._solve_in_panel(t[r] - cum[r, k], lo, hi)
        return np.where((t > 0) & (self.k0sq > 0), u, 0.0)

    def _solve_in_panel(self, dt, lo, hi):
        """``u`` in ``[lo, hi]`` with ``int_lo^u dv/(rate kappa) = dt``: safeguarded Newton."""
        left, right = lo.copy(), hi.copy()
        k_lo = self.kappa(lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.clip(lo + dt * self.rate * k_lo, left, right)
        for _ in range(40):
            f = self._panel_integrals(lo[:, None], u[:, None])[:, 0] - dt
            left = np.where(f <= 0, u, left)
            right = np.where(f >= 0, u, right)
            step = f * self.rate * self.kappa(u)
            new = u - step
            bad = ~((new > left) & (new < right)) | ~np.isfinite(new)
            new = np.where(bad, 0.5 * (left + right), new)
            done = np.abs(new - u) <= 1e-14 * np.maximum(np.abs(u), 1e-300)
            u = new
            if np.all(done | (right - left <= 1e-15 * right)):
                break
        return u


# ------------------------------------------------------------------ MP clock without nodes
# Over the Marchenko-Pastur law, E[nu exp(-s nu)] = exp(-s (1+lam)) I_1(2 sqrt(lam) s) /
# (sqrt(lam) s) (the 1/nu of the density cancels; the atom at 0 of lam > 1 adds nothing), so
# the kernel needs no spectral nodes: with F4(v) = E[1 - e^{-4 v nu}] and
# M(v) = E[(1 - e^{-2 v nu})^2] (no cancellation at small alpha, unlike 2 F2 - F4 written out),
# F4' = 4 g(4v), M' = 4 (g(2v) - g(4v)), kappa^2 = alpha^2 - c (alpha^2 F4 - M) / 8.
_MP_N = 16                # Gauss-Legendre nodes per panel (indefinite integrals: error ~ 5.8^-16)
_MP_BASE = 0.1            # base panel [0, u0], u0 = 0.1 min(1, alpha) / lam_+
_MP_X, _MP_W = np.polynomial.legendre.leggauss(_MP_N)


def _legendre_integrals(x, xp1):
    """``int_{-1}^x P_k`` for ``k < _MP_N`` (``xp1 = 1 + x``): shape ``x.shape + (_MP_N,)``.

    From Legendre's equation, ``int_{-1}^x P_k = -(1 - x^2) P_k'(x) / (k (k+1))``, which
    keeps its relative accuracy as ``x -> -1`` (the difference ``P_{k+1} - P_{k-1}`` does not).
    """
    n = _MP_N
    p = np.empty(x.shape + (n,))
    d = np.empty(x.shape + (n,))           # P_k'
    p[..., 0], d[..., 0] = 1.0, 0.0
    p[..., 1], d[..., 1] = x, 1.0
    for k in range(1, n - 1):
        p[..., k + 1] = ((2 * k + 1) * x * p[..., k] - k * p[..., k - 1]) / (k + 1)
        d[..., k + 1] = d[..., k - 1] + (2 * k + 1) * p[..., k]
    k = np.arange(1, n)
    out = np.empty(x.shape + (n,))
    out[..., 0] = xp1
    out[..., 1:] = -((1.0 - x) * xp1)[..., None] * d[..., 1:] / (k * (k + 1))
    return out


# node values -> Legendre coefficients (exact: Gauss-Legendre integrates degree 2n-1)
_MP_COEF = (((2 * np.arange(_MP_N) + 1) / 2)[:, None]
            * np.polynomial.legendre.legvander(_MP_X, _MP_N - 1).T * _MP_W)
_MP_Q = _legendre_integrals(_MP_X, 1.0 + _MP_X) @ _MP_COEF      # [i, j] = int_{-1}^{x_i} l_j


def mp_laplace_slope(sigma, sqrt_lam, lo):
    r""":math:`g(\sigma) = \mathbb E[\nu e^{-\sigma\nu}]` over the MP law,
    :math:`e^{-\sigma\lambda_-}\,\mathrm{i1e}(2\sqrt\lambda\sigma)/(\sqrt\lambda\sigma)`."""
    from scipy.special import i1e
    x = 2.0 * sqrt_lam * sigma
    safe = np.where(x > 0, x, 1.0)
    return np.exp(-sigma * lo) * np.where(x > 0, 2.0 * i1e(safe) / safe, 1.0)


def mp_clocks(lam, alpha, c, rate, targets):
    r"""Clock :math:`t(u)` and kernel :math:`\kappa(u)` of the MP average at ``targets``
    (shape ``(m, P)``, finite, >= 0), without spectral nodes.

    Panels: a base :math:`[0, u_0]`, then :math:`[u_0 2^i, u_0 2^{i+1}]`, so that
    :math:`4v` on panel :math:`i` is :math:`2v` on panel :math:`i+1` and one Bessel
    evaluation serves both exponentials. :math:`F_4`, :math:`M` and the clock are
    indefinite integrals on each panel's 16 Gauss-Legendre nodes (Legendre integration
    matrix), accumulated across panels; a target inside a panel integrates the panel's
    interpolant to it. Beyond :math:`u_c = 50/\lambda_-` the kernel is at its limit (to
    :math:`e^{-100}`) and the clock linear. Against the node quadrature of
    :class:`CoupledKernel`: ~1e-14 for ``alpha`` >= 1e-2 (tests/test_two_layer.py).
    """
    lam, alpha, c, rate = (np.asarray(z, dtype=float) for z in (lam, alpha, c, rate))
    targets = np.atleast_2d(np.asarray(targets, dtype=float))
    p = lam.size
    sq = np.sqrt(lam)
    lo = (1.0 - sq) ** 2
    with np.errstate(divide="ignore"):
        u_cut = np.where(lo > 0, _TAIL / np.where(lo > 0, lo, 1.0), np.inf)
    u = np.minimum(targets, u_cut)
    u0 = _MP_BASE * np.minimum(1.0, np.where(alpha > 0, alpha, 1.0)) / (1.0 + sq) ** 2
    kp = np.ceil(np.log2(np.maximum(np.max(u, axis=0) / u0, 1.0)))
    k = max(1, int(np.max(kp, initial=1.0)))
    # index 0 the base panel, 1 + i the panel [u0 2^i, u0 2^(i+1)], i = 0..k (the last
    # only feeds g(4v) of the one before)
    scale = np.concatenate([[0.5], 0.5 * 2.0 ** np.arange(k + 1)])
    h = u0[:, None] * scale                                   # half-widths (P, k+2)
    left = np.concatenate([np.zeros((p, 1)), 2.0 * h[:, 1:]], axis=1)
    v = left[..., None] + h[..., None] * (1.0 + _MP_X)        # (P, k+2, n)
    need = np.arange(k + 2) <= (kp + 2)[:, None]              # panels a point uses
    shape = v.shape
    g2 = np.zeros(shape)
    g2[need] = mp_laplace_slope(2.0 * v[need], np.broadcast_to(sq[:, None, None], shape)[need],
                                np.broadcast_to(lo[:, None, None], shape)[need])
    g4 = np.empty(shape)
    g4[:, 1:-1] = g2[:, 2:]
    g4[:, 0] = mp_laplace_slope(4.0 * v[:, 0], sq[:, None], lo[:, None])
    g2, g4, h, left = g2[:, :-1], g4[:, :-1], h[:, :-1], left[:, :-1]
    d4 = 4.0 * g4
    dm = 4.0 * (g2 - g4)

    def starts(d):                     # integral from 0 to each panel's left edge
        tot = h * (d @ _MP_W)
        return np.concatenate([np.zeros((p, 1)), np.cumsum(tot, axis=1)[:, :-1]], axis=1)

    def kappa(f4, m):
        extra = (1,) * (f4.ndim - 1)
        a2, cc = (alpha ** 2).reshape(p, *extra), c.reshape(p, *extra)
        return np.sqrt(np.maximum(a2 - cc * (a2 * f4 - m) / 8.0, 0.0))

    f4_l, m_l = starts(d4), starts(dm)
    kap = kappa(f4_l[..., None] + h[..., None] * (d4 @ _MP_Q.T),
                m_l[..., None] + h[..., None] * (dm @ _MP_Q.T))
    with np.errstate(divide="ignore"):
        inv = 1.0 / (rate[:, None, None] * kap)
    t_l = starts(inv)
    steps, kout = np.empty(u.shape), np.empty(u.shape)
    rows = np.arange(p)
    for j in range(u.shape[0]):
        uj = u[j]
        i = np.where(uj <= u0, 0, 1 + np.clip(np.floor(np.log2(np.maximum(uj / u0, 1.0))),
                                              0, k - 1).astype(int))
        hh = h[rows, i]
        sp1 = np.clip((uj - left[rows, i]) / hh, 0.0, 2.0)     # 1 + s, s in [-1, 1]
        q = _legendre_integrals(sp1 - 1.0, sp1) @ _MP_COEF     # (P, n)

        def at(start, d):
            return start[rows, i] + hh * np.einsum("pn,pn->p", q, d[rows, i])

        kj = kappa(at(f4_l, d4), at(m_l, dm))
        t = at(t_l, inv)
        beyond = targets[j] > u_cut
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(beyond, t + (targets[j] - u_cut) / (rate * kj), t)
        # alpha = 0 is the saddle: the clock never starts
        steps[j] = np.where(targets[j] > 0, np.where(alpha > 0, t, np.inf), 0.0)
        kout[j] = kj
    return steps, kout


def mp_kappa_limit(lam, alpha, c):
    r""":math:`\kappa_\infty^2 = \alpha^2 + c\,(1-\alpha^2)\min(1, 1/\lambda)/8` (the MP
    law's mass above 0 is :math:`\min(1, 1/\lambda)`)."""
    lam, alpha, c = (np.asarray(z, dtype=float) for z in (lam, alpha, c))
    k2 = alpha ** 2 + c * (1.0 - alpha ** 2) * np.minimum(1.0, 1.0 / lam) / 8.0
    return np.sqrt(np.maximum(k2, 0.0))

r"""Independent numerical references for the Kramers mechanism (private implementation).

Two ways to compute a mean escape time that share nothing with the Eyring-Kramers formula:

* :func:`mfpt_1d`: the exact mean first-passage time of the one-dimensional overdamped
  Langevin equation :math:`dx = -U'(x)\,dt + \sqrt{2T}\,dB` from ``x_start`` to the
  absorbing point ``x_exit`` (reflecting at ``x_left``), by nested composite
  Gauss-Legendre quadrature in log space (:func:`mfpt_1d_mpmath`: the same by mpmath's
  high-precision ODE solver):

  .. math::

      \tau(x_0 \to b) = \frac{1}{T}\int_{x_0}^{b} dy\, e^{U(y)/T}
                        \int_{x_\mathrm{left}}^{y} dz\, e^{-U(z)/T}.

* :func:`escape_times`: Euler-Maruyama simulation of
  :math:`d\theta = -\nabla U\,dt + \sqrt{2T}\,dB` (Analytical Proof notes, eq 17), vectorized over
  many walkers, returning each walker's first exit time.

:class:`QuarticDoubleWell` is the test landscape: a quartic double well along one
coordinate with transverse harmonic directions whose stiffness changes between the well
and the saddle (so the Hessian prefactor is not trivial), optionally rotated so that the
Hessians are full symmetric matrices.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["QuarticDoubleWell", "escape_times", "escape_time_ensemble", "mfpt_1d", "mfpt_1d_mpmath", "exit_shift"]


class QuarticDoubleWell:
    r"""The landscape :math:`U(x, y) = \Delta F\,(x^2-1)^2 + \tfrac12\sum_i k_i (1 + c\,x^2)\, y_i^2`.

    Minima at :math:`x = \pm 1, y = 0`; the saddle at the origin. Hessians:
    :math:`H_\min = \mathrm{diag}(8\Delta F, k_i(1+c))`,
    :math:`H_s = \mathrm{diag}(-4\Delta F, k_i)`, so the Eyring-Kramers prefactor is
    :math:`(2\pi/4\Delta F)\sqrt{4\Delta F\prod k_i/(8\Delta F\prod k_i(1+c))}`.
    With ``rotation`` (an orthogonal matrix ``Q``) the landscape is expressed in the
    coordinates :math:`z = Q (x, y)`, so both Hessians are full symmetric matrices
    :math:`Q H Q^T`; the dynamics is rotation invariant, so the escape time is unchanged.

    Parameters
    ----------
    barrier : float
        :math:`\Delta F > 0`.
    transverse : sequence of float
        :math:`k_i > 0`, the transverse stiffnesses at the saddle (empty: one dimension).
    stiffening : float
        :math:`c > -1`: the transverse stiffness at the minima is :math:`k_i(1+c)`.
    rotation : ndarray, optional
        Orthogonal ``(d, d)`` matrix.
    """

    def __init__(self, barrier: float, transverse: Sequence[float] = (),
                 stiffening: float = 0.0, rotation: np.ndarray | None = None):
        self.barrier = float(barrier)
        self.k = np.asarray(transverse, dtype=float).reshape(-1)
        self.c = float(stiffening)
        self.dim = 1 + self.k.size
        if rotation is not None:
            rotation = np.asarray(rotation, dtype=float)
            if rotation.shape != (self.dim, self.dim) or not np.allclose(
                    rotation @ rotation.T, np.eye(self.dim), atol=1e-12):
                raise ValueError("rotation must be an orthogonal (d, d) matrix")
        self.q = rotation

    # frames (coordinates along the FIRST axis: a point is z[:, ...]) ---------------
    def _to_model(self, z: np.ndarray) -> np.ndarray:
        if self.q is None:
            return z
        if z.ndim == 2:
            return self.q.T @ z  # x = Q^T z
        return np.tensordot(self.q.T, z, axes=1)

    def _to_user(self, x: np.ndarray) -> np.ndarray:
        if self.q is None:
            return x
        if x.ndim == 2:
            return self.q @ x
        return np.tensordot(self.q, x, axes=1)

    # landscape ---------------------------------------------------------------
    def potential(self, z: np.ndarray) -> np.ndarray:
        """U at points ``z`` of shape ``(d, ...)`` (coordinates along the first axis)."""
        x = self._to_model(np.asarray(z, dtype=float))
        u = self.barrier * (x[0] ** 2 - 1.0) ** 2
        for i, k in enumerate(self.k):
            u = u + 0.5 * (1.0 + self.c * x[0] ** 2) * k * x[1 + i] ** 2
        return u

    def gradient(self, z: np.ndarray) -> np.ndarray:
        """grad U at points ``z`` of shape ``(d, ...)``; same shape."""
        x = self._to_model(np.asarray(z, dtype=float))
        x0 = x[0]
        g = np.empty_like(x)
        x0sq = x0 * x0
        g[0] = 4.0 * self.barrier * x0 * (x0sq - 1.0)
        if self.k.size:
            stiff = 1.0 + self.c * x0sq
            acc = np.zeros_like(x0)
            for i, k in enumerate(self.k):
                ky = k * x[1 + i]
                acc += ky * x[1 + i]
                g[1 + i] = stiff * ky
            g[0] += self.c * x0 * acc
        return self._to_user(g)

    def escape_coordinate(self, z: np.ndarray) -> np.ndarray:
        """The coordinate x along which the wells are separated (``z`` of shape ``(d, ...)``)."""
        z = np.asarray(z, dtype=float)
        if self.q is None:
            return z[0]
        return self.q[:, 0] @ z

    def point(self, x: float) -> np.ndarray:
        """The point with escape coordinate ``x`` and transverse coordinates 0, shape (d,)."""
        p = np.zeros(self.dim)
        p[0] = x
        return self._to_user(p)

    def _hess(self, diag: np.ndarray) -> np.ndarray | float:
        if self.dim == 1:
            return float(diag[0])
        h = np.diag(diag)
        if self.q is not None:
            h = self.q @ h @ self.q.T
            h = 0.5 * (h + h.T)
        return h

    @property
    def hessian_min(self):
        """Hessian at the minimum (a number in 1-D, else a matrix)."""
        return self._hess(np.concatenate([[8.0 * self.barrier], self.k * (1.0 + self.c)]))

    @property
    def hessian_saddle(self):
        """Hessian at the saddle (a number in 1-D, else a matrix)."""
        return self._hess(np.concatenate([[-4.0 * self.barrier], self.k]))


def exit_shift(temperature: float, dt: float) -> float:
    r"""Boundary shift that corrects discrete monitoring of a continuous exit.

    A walker observed only every ``dt`` crosses a level on average as if the level were
    :math:`\beta\sigma\sqrt{dt}` further away, :math:`\sigma = \sqrt{2T}`,
    :math:`\beta = -\zeta(1/2)/\sqrt{2\pi} \approx 0.5826` (Broadie, Glasserman and Kou 1997).
    """
    import mpmath

    beta = -float(mpmath.zeta(0.5)) / math.sqrt(2.0 * math.pi)
    return beta * math.sqrt(2.0 * temperature * dt)


def escape_times(gradient: Callable[[np.ndarray], np.ndarray], start: np.ndarray,
                 temperature: float, dt: float, *,
                 exit_coordinate: Callable[[np.ndarray], np.ndarray], exit_at: float,
                 n_walkers: int = 1000, max_time: float = math.inf, seed: int = 0,
                 chunk: int = 64) -> np.ndarray:
    r"""First exit times of Euler-Maruyama walkers of :math:`d\theta = -\nabla U dt + \sqrt{2T} dB`.

    All walkers start at ``start`` and step
    :math:`\theta \leftarrow \theta - \nabla U(\theta)\,dt + \sqrt{2T\,dt}\,\xi`; a walker
    exits at the first step where ``exit_coordinate(theta) >= exit_at`` and is then
    removed from the active set (the work is proportional to the sum of the exit times,
    not to the slowest walker times the number of walkers). Positions are stored as a
    ``(d, n)`` array (one column per walker) so that every operation runs over long
    contiguous rows.

    Parameters
    ----------
    gradient : callable
        ``(d, n) -> (d, n)`` gradient of U, one column per walker.
    start : array_like, shape (d,)
    temperature, dt : float
    exit_coordinate : callable
        ``(d, n) -> (n,)``.
    exit_at : float
    n_walkers : int
    max_time : float
        Walkers still inside at this time get ``inf``.
    seed : int
        Seed of ``numpy.random.default_rng``; the result is a deterministic function of it.
    chunk : int
        Steps drawn and taken between compactions of the active set.

    Returns
    -------
    ndarray, shape (n_walkers,)
        Exit times (multiples of ``dt``), ``inf`` for walkers that did not exit.
    """
    rng = np.random.default_rng(seed)
    start = np.asarray(start, dtype=float).reshape(-1)
    d = start.size
    pos = np.repeat(start[:, None], n_walkers, axis=1)
    idx = np.arange(n_walkers)
    times = np.full(n_walkers, np.inf)
    noise = math.sqrt(2.0 * temperature * dt)
    step = 0
    max_steps = math.inf if not math.isfinite(max_time) else int(math.ceil(max_time / dt))
    while idx.size and step < max_steps:
        n = int(min(chunk, max_steps - step))
        kicks = rng.standard_normal((n, d, idx.size))
        kicks *= noise
        alive = np.ones(idx.size, dtype=bool)
        for j in range(n):
            g = gradient(pos)
            g *= dt
            pos -= g
            pos += kicks[j]
            out = exit_coordinate(pos) >= exit_at
            out &= alive
            if out.any():
                times[idx[out]] = (step + j + 1) * dt
                alive &= ~out
        step += n
        pos = pos[:, alive]
        idx = idx[alive]
    return times


def escape_time_ensemble(gradient: Callable[[np.ndarray], np.ndarray], start: np.ndarray,
                         temperature: float, dt: float, *, seeds=range(4), executor=None,
                         **kwargs) -> np.ndarray:
    """:func:`escape_times` once per seed, optionally on an executor.

    ``gradient`` (and ``exit_coordinate``) must be picklable for a process pool: a bound
    method of :class:`QuarticDoubleWell` is, a lambda is not. Each seed's row equals the
    serial ``escape_times(..., seed=s)`` exactly; a failing seed comes back as
    :class:`~grokdelay.ParameterError` naming it.

    Returns
    -------
    ndarray, shape (len(seeds), n_walkers)
        Row ``i`` holds the exit times of seed ``seeds[i]``.

    Examples
    --------
    >>> well = QuarticDoubleWell(barrier=1.0)
    >>> t = escape_time_ensemble(well.gradient, well.point(-1.0), 0.5, 0.01, seeds=[0, 1],
    ...                          exit_coordinate=well.escape_coordinate, exit_at=0.0,
    ...                          n_walkers=20)
    >>> t.shape, bool(np.all(np.isfinite(t)))
    ((2, 20), True)
    """
    from ._parallel import seed_ensemble

    runs = seed_ensemble(escape_times, seeds, executor=executor, gradient=gradient,
                         start=start, temperature=temperature, dt=dt, **kwargs)
    return np.stack(runs)


def mfpt_1d(potential: Callable[[np.ndarray], np.ndarray], x_start: float, x_exit: float,
            temperature: float, *, x_left: float, n_panels: int = 200,
            order: int = 16) -> float:
    r"""Exact mean first-passage time of :math:`dx = -U'dt + \sqrt{2T}dB`, as its logarithm.

    From ``x_start`` to the absorbing point ``x_exit > x_start``, reflecting at ``x_left``:

    .. math::

        \tau = \frac1T\int_{x_0}^{b} e^{U(y)/T}\Big[\int_{x_\mathrm{left}}^{y}
               e^{-U(z)/T}\,dz\Big] dy,

    by composite Gauss-Legendre quadrature (``n_panels`` equal panels of ``order`` nodes
    on ``[x_left, x_start]`` and on ``[x_start, x_exit]``; the inner integral up to each outer
    node is the sum over the earlier panels plus a Gauss-Legendre rule on the partial
    panel). Exponents are shifted by the extreme values of U on the grid and added back in
    log space, so barriers of any height are fine. The panels must resolve the widths
    :math:`\sqrt{T/|U''|}` of the peaks at the minimum and at the saddle. Use a ``x_left``
    where :math:`U - U_\min \gg T` (the contribution beyond it is dropped). Agrees with
    mpmath nested quadrature to ~1e-15 on the quartic double well.

    Returns
    -------
    float
        :math:`\log\tau`.
    """
    if not x_left <= x_start < x_exit:
        raise ValueError("need x_left <= x_start < x_exit")
    g, w = np.polynomial.legendre.leggauss(order)

    def grid(lo, hi):
        e = np.linspace(lo, hi, n_panels + 1)
        a, b = e[:-1, None], e[1:, None]
        return e[:-1], 0.5 * (a + b) + 0.5 * (b - a) * g, 0.5 * (b - a) * w

    _, zl, wl = grid(x_left, x_start)
    starts, y, wy = grid(x_start, x_exit)
    uy = potential(y)
    u_lo = min(float(np.min(potential(zl))), float(np.min(uy)))
    u_hi = float(np.max(uy))
    base = float(np.sum(np.exp(-(potential(zl) - u_lo) / temperature) * wl)) if x_left < x_start else 0.0
    panel = np.sum(np.exp(-(uy - u_lo) / temperature) * wy, axis=1)
    cum = base + np.concatenate([[0.0], np.cumsum(panel)[:-1]])
    lo = starts[:, None, None]
    hi = y[..., None]
    z = 0.5 * (lo + hi) + 0.5 * (hi - lo) * g
    inner = cum[:, None] + np.sum(np.exp(-(potential(z) - u_lo) / temperature)
                                  * (0.5 * (hi - lo) * w), axis=-1)
    val = float(np.sum(np.exp((uy - u_hi) / temperature) * inner * wy))
    return math.log(val) + (u_hi - u_lo) / temperature - math.log(temperature)


def mfpt_1d_mpmath(potential: Callable, x_start: float, x_exit: float, temperature: float, *,
                   x_left: float, dps: int = 20) -> float:
    r"""The same mean first-passage time by mpmath's Taylor-series ODE solver (high precision).

    Integrates :math:`I' = e^{-U/T}`, :math:`\tau' = e^{U/T} I / T` from ``x_left``
    (``I = 0``) and returns :math:`\tau(x_\mathrm{exit}) - \tau(x_\mathrm{start})`; a
    computation independent of :func:`mfpt_1d`. ``potential`` must accept mpmath numbers.
    Slow (seconds): for reference values only.
    """
    import mpmath

    with mpmath.workdps(dps):
        t = mpmath.mpf(temperature)
        f = mpmath.odefun(lambda x, v: [mpmath.exp(-potential(x) / t),
                                        mpmath.exp(potential(x) / t) * v[0] / t],
                          mpmath.mpf(x_left), [mpmath.mpf(0), mpmath.mpf(0)])
        return float(f(mpmath.mpf(x_exit))[1] - f(mpmath.mpf(x_start))[1])

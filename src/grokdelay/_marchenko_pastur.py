r"""Marchenko-Pastur tools: density, accurate expectations, finite-size spectra.

The training Gram matrix :math:`\Sigma_\mathrm{tr} = X^\top X / N_\mathrm{tr}` of
:math:`N_\mathrm{tr}` samples :math:`x_i \sim \mathcal N(0, I_{d_\mathrm{in}})` has, as
:math:`d_\mathrm{in}, N_\mathrm{tr}\to\infty` with :math:`\lambda = d_\mathrm{in}/N_\mathrm{tr}`
fixed, the Marchenko-Pastur spectrum of Levi et al. 2023, eq 6:

.. math::

    p_\mathrm{MP}(\nu)\,d\nu = \Bigl(1-\frac1\lambda\Bigr)^+\delta_0
      + \frac{\sqrt{(\lambda_+-\nu)(\nu-\lambda_-)}}{2\pi\lambda\nu}\,
        \mathbb 1_{[\lambda_-,\lambda_+]}\,d\nu,
    \qquad \lambda_\pm = (1\pm\sqrt\lambda)^2 .

Quadrature
----------
With :math:`\nu = \lambda_- + w\sin^2\varphi`, :math:`w = \lambda_+-\lambda_- = 4\sqrt\lambda`,
the continuous part becomes :math:`\frac{16}{\pi}\,\frac{\sin^2\varphi\cos^2\varphi}{\nu}\,
d\varphi` on :math:`[0, \pi/2]`: both square-root edges are absorbed and the integrand is
analytic. Two length scales remain near the lower edge :math:`\varphi = 0`: the complex pole
of :math:`1/\nu` at distance :math:`\sqrt{\lambda_-/w}` (small as :math:`\lambda\to1`), and,
for late-time integrands :math:`e^{-c t\nu}`, the decay width :math:`1/\sqrt{c t w}`.
At :math:`\lambda = 1` exactly (:math:`\lambda_- = 0`, hard edge) the weight's :math:`1/\nu`
cancels, and the nearest singularity of a weight-decay integrand :math:`1/(\nu+g)^2` is
its pole at distance :math:`\sqrt{g/w}`, which then replaces the first scale (the private
``nodes_with_offset(..., shift=g)``; without it the floor at :math:`\lambda=1` came out up to 99.7%
low).
:func:`mp_nodes` therefore uses composite Gauss-Legendre (14 nodes per panel) on panels
graded geometrically by 0.5 towards :math:`\varphi = 0`, :math:`[\tfrac\pi2 2^{-j-1},
\tfrac\pi2 2^{-j}]` for :math:`j < P`, plus the base panel :math:`[0, \tfrac\pi2 2^{-P}]`,
with :math:`P` (:func:`panels_needed`) the first count whose base panel is at most half the
smaller scale. Each panel then sees its nearest singularity at least a panel-width away.
A grading of 0.35 suffices for the poles but not for the Gaussian-like decay
:math:`e^{-2\tau w\sin^2\varphi}` a few widths out (measured 2e-12 in :math:`\log\mathcal L` at
:math:`\lambda = 2`, :math:`\tau = 10^3`); with 0.5 the training loss agrees with eq 19 to
2e-15 over :math:`\lambda\in[0.01, 30]`, :math:`\tau\in[10^{-3}, 10^9]`, and the expectations
agree with 50-digit mpmath to ~1e-15 relative (tests/test_marchenko_pastur.py). :math:`P` is
capped at 60 (:math:`2^{-60}\pi/2\approx 1.4\times10^{-18}`), so accuracy degrades only for
:math:`|1-\lambda| \lesssim 10^{-17}` or decay rates :math:`c \gtrsim 10^{35}`.

This is the one Marchenko-Pastur quadrature of the library: the loss engine
(:mod:`grokdelay._lts_engine`) and the two-layer clock (:mod:`grokdelay._two_layer`) use
:func:`graded_panels` and :func:`panels_needed` directly.

Names used by the simulation module (part B) and the mechanism
---------------------------------------------------------------
``mp_edges(aspect_ratio) -> (lower, upper)``, ``mp_atom(aspect_ratio)`` (mass at 0),
``mp_density(nu, aspect_ratio)`` (continuous part only), ``mp_nodes(aspect_ratio, decay=0)``
(nodes and weights, atom excluded), ``mp_expectation(f, aspect_ratio, decay=0)`` (atom
included), ``sample_mp_spectrum(aspect_ratio, d_in, rng)`` (eigenvalues of an actual
Gaussian Gram matrix, data normalized as :math:`x\sim\mathcal N(0, I)`).
"""

from __future__ import annotations

import numpy as np

from . import _arguments as A
from ._core import ParameterError, real_array

__all__ = ["mp_edges", "mp_atom", "mp_density", "mp_nodes", "mp_expectation",
           "sample_mp_spectrum"]

_NODES = 14           # Gauss-Legendre nodes per panel
_RATIO = 0.5          # panel grading towards the lower edge
_MAX_PANELS = 60
_GL_X, _GL_W = np.polynomial.legendre.leggauss(_NODES)
_HALF_PI = 0.5 * np.pi
_PANEL_CACHE: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _check_ratio(aspect_ratio) -> np.ndarray:
    lam = real_array("aspect_ratio", aspect_ratio)
    bad = ~(lam > 0) | ~np.isfinite(lam)
    if np.any(bad):
        v = lam[bad].ravel()[0] if lam.ndim else lam
        raise ParameterError(f"aspect_ratio = {float(v)!r} is outside its domain (0, inf): "
                             "aspect_ratio (lambda) is d_in / N_train", "aspect_ratio")
    return lam


def mp_edges(aspect_ratio):
    r"""Edges :math:`\lambda_\pm = (1\pm\sqrt\lambda)^2` of the continuous MP support (eq 6).

    Examples
    --------
    >>> mp_edges(0.25)
    (0.25, 2.25)
    """
    lam = _check_ratio(aspect_ratio)
    r = np.sqrt(lam)
    lo, hi = (1.0 - r) ** 2, (1.0 + r) ** 2
    return (float(lo), float(hi)) if lam.ndim == 0 else (lo, hi)


def mp_atom(aspect_ratio):
    r"""Mass :math:`(1 - 1/\lambda)^+` of the zero eigenvalue (eq 6; the null space).

    Examples
    --------
    >>> mp_atom(2.0), mp_atom(0.5)
    (0.5, 0.0)
    """
    lam = _check_ratio(aspect_ratio)
    m = np.maximum(0.0, 1.0 - 1.0 / lam)
    return float(m) if lam.ndim == 0 else m


@A.arguments(nu=A.real())
def mp_density(nu, aspect_ratio):
    r"""Continuous part of the Marchenko-Pastur density, eq 6 (the atom at 0 is excluded).

    Parameters
    ----------
    nu : array_like
        Eigenvalues at which to evaluate; zero outside :math:`[\lambda_-, \lambda_+]`.
    aspect_ratio : float or array_like
        :math:`\lambda = d_\mathrm{in} / N_\mathrm{tr}`; broadcasts with ``nu``.

    Returns
    -------
    ndarray
        The density; it integrates to :math:`\min(1, 1/\lambda)` (use :func:`mp_atom` for the
        rest).

    Examples
    --------
    >>> from scipy.integrate import quad
    >>> round(quad(mp_density, *mp_edges(0.5), args=(0.5,))[0], 10)
    1.0
    """
    lam = _check_ratio(aspect_ratio)
    nu = np.asarray(nu, dtype=float)
    try:
        np.broadcast_shapes(nu.shape, lam.shape)
    except ValueError:
        raise ParameterError(f"aspect_ratio of shape {lam.shape} does not broadcast with nu of "
                             f"shape {nu.shape}", "aspect_ratio") from None
    lo, hi = mp_edges(lam)
    inside = (nu > lo) & (nu < hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        val = np.sqrt(np.clip((hi - nu) * (nu - lo), 0.0, None)) / (2 * np.pi * lam * nu)
    out = np.where(inside, val, 0.0)
    return float(out) if out.ndim == 0 else out


def mp_nodes(aspect_ratio, decay=0.0):
    r"""Quadrature nodes and weights for the continuous MP part (atom excluded).

    Parameters
    ----------
    aspect_ratio : float or array_like
        :math:`\lambda`.
    decay : float or array_like
        Largest rate :math:`c` (in :math:`e^{-c\,\nu}`) the integrand decays with; the
        panels are graded to resolve its width :math:`1/\sqrt{c\,w}` at the lower edge.
        Broadcasts with ``aspect_ratio``.

    Returns
    -------
    nu, weight : ndarray, shape ``broadcast + (n,)``
        ``sum(weight * f(nu), axis=-1)`` approximates
        :math:`\int f(\nu)\,p_\mathrm{MP}(\nu)\,d\nu` over the continuous part.

    Examples
    --------
    >>> nu, w = mp_nodes(0.5)
    >>> round(float(w.sum()), 14), round(float((w * nu).sum()), 14)
    (1.0, 1.0)
    """
    nu, _, weight = nodes_with_offset(_check_ratio(aspect_ratio), decay)
    return nu, weight


def panels_needed(lam, shift, decay):
    """Graded panels P per point: the base panel reaches half the smallest length scale.

    The scales in phi are the nearest pole (of ``1/nu`` at distance ``sqrt(lo / w)``, or, at
    ``lambda = 1`` where the lower edge ``lo`` is 0, of ``1/(nu + shift)^2`` at
    ``sqrt(shift / w)``) and the width ``1/sqrt(decay w)`` of a late-time integrand
    ``exp(-decay nu)``. Integers in [1, 60], broadcast shape of the inputs.
    """
    r = np.sqrt(np.asarray(lam, dtype=float))
    lo = (1.0 - r) ** 2
    w = 4.0 * r
    near = np.where(lo > 0, lo, shift)                          # nearest pole at nu = -near
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pole = np.where(near > 0, np.sqrt(near / w), np.inf)
        width = np.where(np.asarray(decay) > 0, 1.0 / np.sqrt(decay * w), np.inf)
        phi_min = 0.5 * np.minimum(np.minimum(pole, width), _HALF_PI)
        p = np.ceil(np.log(phi_min / _HALF_PI) / np.log(_RATIO))
    return np.clip(np.nan_to_num(p, nan=1.0), 1, _MAX_PANELS).astype(int)


def resolved_limits(lam):
    """``(decay_max, shift_min)``: the largest decay and, at ``lambda = 1``, the smallest
    shift whose length scale (see :func:`panels_needed`) the capped panels still resolve,
    with a factor 2 of margin. Beyond them the quadrature is not verified."""
    w = 4.0 * np.sqrt(np.asarray(lam, dtype=float))
    base = 2.0 * _HALF_PI * _RATIO ** _MAX_PANELS            # 2 x the smallest base panel
    return 0.5 / (base * base * w), 2.0 * w * base * base


def graded_panels(p: int):
    """``(sin^2 phi, cos^2 phi, dphi)`` at the nodes of P graded panels plus the base panel.

    Cached per P. With ``nu = lo + w sin^2 phi`` the MP weight of a node is
    ``(16 / pi) sin^2 cos^2 dphi / nu``.
    """
    p = int(p)
    if p not in _PANEL_CACHE:
        edges = _HALF_PI * _RATIO ** np.arange(p + 1)
        left = np.append(edges[1:], 0.0)
        right = np.append(edges[:-1], edges[-1])
        half, mid = 0.5 * (right - left), 0.5 * (right + left)
        phi = (mid[:, None] + half[:, None] * _GL_X).ravel()
        dphi = (half[:, None] * _GL_W).ravel()
        _PANEL_CACHE[p] = (np.sin(phi) ** 2, np.cos(phi) ** 2, dphi)
    return _PANEL_CACHE[p]


def nodes_with_offset(lam, decay, shift=0.0):
    """``(nu, nu - lower_edge, weight)`` of shape ``broadcast + (n,)``; the offset is exact.

    Every point gets its own :func:`panels_needed` count; points that need fewer panels than
    the most demanding one are padded with zero-weight nodes, so one array holds them all.
    """
    lam, decay, shift = np.broadcast_arrays(np.asarray(lam, dtype=float),
                                            np.asarray(decay, dtype=float),
                                            np.asarray(shift, dtype=float))
    need = panels_needed(lam, shift, decay)
    p_max = int(need.max()) if need.size else 1
    s2, c2, dphi = graded_panels(p_max)
    s2, c2, dphi = (np.broadcast_to(v, lam.shape + v.shape).copy() for v in (s2, c2, dphi))
    for p in np.unique(need):
        if p == p_max:
            continue
        sel = need == p
        ps2, pc2, pdphi = graded_panels(int(p))
        n = ps2.size
        s2[sel, :n], c2[sel, :n], dphi[sel, :n] = ps2, pc2, pdphi
        s2[sel, n:], c2[sel, n:], dphi[sel, n:] = 0.5, 0.5, 0.0    # padding: weight 0
    r = np.sqrt(lam)
    lo = (1.0 - r) ** 2
    x = (4.0 * r)[..., None] * s2
    nu = lo[..., None] + x
    weight = (16.0 / np.pi) * s2 * c2 / nu * dphi
    return nu, x, weight


def mp_expectation(f, aspect_ratio, decay=0.0):
    r""":math:`\mathbb E_{\nu\sim\mathrm{MP}(\lambda)}[f(\nu)]`, atom at zero included.

    Parameters
    ----------
    f : callable
        Vectorized ``f(nu)``; called with an array of shape ``broadcast + (n,)`` for the
        continuous part and with ``0.0``-filled arrays of shape ``broadcast + (1,)`` for the
        atom when :math:`\lambda > 1`. It must broadcast against those shapes (use
        ``x[..., None]`` for per-point parameters).
    aspect_ratio : float or array_like
    decay : float or array_like
        See :func:`mp_nodes` (pass the decay rate of late-time integrands).

    Returns
    -------
    float or ndarray
        Accurate to ~1e-15 relative for smooth ``f`` (see the module notes).

    Examples
    --------
    >>> round(mp_expectation(lambda nu: 1 / nu, 0.5), 12)     # 1 / (1 - lambda)
    2.0
    >>> round(mp_expectation(lambda nu: nu ** 2, 3.0), 12)     # 1 + lambda
    4.0
    """
    lam = _check_ratio(aspect_ratio)
    nu, weight = mp_nodes(lam, decay)
    total = np.sum(weight * f(nu), axis=-1)
    atom = np.maximum(0.0, 1.0 - 1.0 / lam)
    if np.any(atom > 0):
        f0 = np.asarray(f(np.zeros(nu.shape[:-1] + (1,))), dtype=float)[..., 0]
        total = total + np.where(atom > 0, atom * np.where(atom > 0, f0, 0.0), 0.0)
    return float(total) if np.ndim(total) == 0 else total


def _theta_grid(lam: float, n: int):
    """Continuous MP part in the angle variable nu = a + (b - a)(1 - cos th) / 2.

    With this substitution the square-root edges disappear: nu' = (b - a) sin(th) / 2 and
    sqrt((b - nu)(nu - a)) = (b - a) sin(th) / 2, so the density in theta is the smooth
    ((b - a)/2)^2 sin^2(th) / (2 pi lambda nu), normalised here to the continuous mass.
    """
    a, b = (1 - np.sqrt(lam)) ** 2, (1 + np.sqrt(lam)) ** 2
    th = np.linspace(0.0, np.pi, n)
    nu = a + (b - a) * (1 - np.cos(th)) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        dens = np.where(nu > 0, ((b - a) / 2) ** 2 * np.sin(th) ** 2 / (2 * np.pi * lam * nu),
                        0.0)
    return th, nu, dens, a, b


_KINDS = ("wishart", "quantile", "quadrature")


def sample_mp_spectrum(aspect_ratio, d_in, rng=None, *, kind="wishart", weights=False):
    r"""A finite spectrum standing in for the Marchenko-Pastur law of eq 6.

    Parameters
    ----------
    aspect_ratio : float
        :math:`\lambda = d_\mathrm{in}/N > 0`. For :math:`\lambda > 1` a fraction
        :math:`1 - 1/\lambda` of the modes is the zero atom.
    d_in : int
        Number of modes (the input dimension of the sampled data).
    rng : numpy.random.Generator, int or None
        Seed of the ``"wishart"`` sample (the other kinds are deterministic).
    kind : {"wishart", "quantile", "quadrature"}
        ``"wishart"`` (default): the eigenvalues of one sampled Gram matrix
        :math:`\Sigma = X^\top X / N`, ``X`` with ``N = round(d_in / aspect_ratio)`` rows
        :math:`x_i \sim \mathcal N(0, I_{d_\mathrm{in}})` (the data normalization of Levi et al.
        2023 and of this library; squared singular values of ``X``, so the null eigenvalues of
        :math:`\lambda > 1` are exact zeros), finite-size fluctuations included.
        ``"quantile"``: the deterministic mid-point quantiles of the MP law (a typical
        sample without sampling noise). ``"quadrature"``: trapezoid nodes in the angle
        variable :math:`\nu = \lambda_- + (\lambda_+ - \lambda_-)(1-\cos\theta)/2`, which
        removes the square-root edges (weights = density times node spacing), plus the atom;
        accurate to ~1e-12 for smooth functions of nu once ``d_in`` resolves the scale on
        which the function varies near the lower edge.
    weights : bool
        Also return the weights (equal, ``1 / d_in``, except for ``"quadrature"``).

    Returns
    -------
    nu : ndarray, ascending, shape (d_in,) (``"quadrature"``: one more node, the atom, when
        :math:`\lambda > 1`); with ``weights=True`` the pair ``(nu, weights)``, the weights
        summing to 1.

    Examples
    --------
    >>> nu = sample_mp_spectrum(0.5, 400, rng=0)
    >>> nu.shape, bool(abs(nu.mean() - 1) < 0.05)
    ((400,), True)
    >>> nu, w = sample_mp_spectrum(2.0, 1000, kind="quantile", weights=True)
    >>> round(float(w[nu == 0].sum()), 12)          # the atom 1 - 1/lambda
    0.5
    """
    lam = float(_check_ratio(aspect_ratio))
    n = int(d_in)
    if n < 1:
        raise ParameterError(f"d_in = {d_in} must be a positive integer", "d_in")
    if kind not in _KINDS:
        raise ParameterError(f"kind = {kind!r} is not one of {', '.join(map(repr, _KINDS))}",
                             "kind")
    atom = max(0.0, 1.0 - 1.0 / lam)
    if kind == "wishart":
        gen = np.random.default_rng(rng)
        n_train = max(1, int(round(n / lam)))
        s = np.linalg.svd(gen.standard_normal((n_train, n)), compute_uv=False)
        nu = np.zeros(n)
        nu[:s.size] = s ** 2 / n_train
        nu, w = np.sort(nu), np.full(n, 1.0 / n)
    elif kind == "quadrature":
        th, nu, dens, _, _ = _theta_grid(lam, n + 2)
        th, nu, dens = th[1:-1], nu[1:-1], dens[1:-1]  # endpoint weights are 0 anyway
        w = dens * (th[1] - th[0])
        w *= (1.0 - atom) / w.sum()  # trapezoid is spectrally accurate; fix the last ulp
        if atom > 0:
            nu, w = np.concatenate([[0.0], nu]), np.concatenate([[atom], w])
    else:
        from scipy.integrate import cumulative_trapezoid

        n_zero = int(round(n * atom))
        n_c = n - n_zero
        th, _, dens, a, b = _theta_grid(lam, 1 << 18)
        cdf = cumulative_trapezoid(dens, th, initial=0.0)
        cdf /= cdf[-1]
        th_q = np.interp((np.arange(n_c) + 0.5) / n_c, cdf, th)
        nu = np.concatenate([np.zeros(n_zero), a + (b - a) * (1 - np.cos(th_q)) / 2])
        w = np.full(n, 1.0 / n)
    return (nu, w) if weights else nu

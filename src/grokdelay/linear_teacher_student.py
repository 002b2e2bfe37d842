r"""Linear teacher-student grokking (seed 003: Levi, Beck, Bar Sinai, arXiv 2310.16441).

A linear student :math:`S\in\mathbb R^{d_\mathrm{in}\times d_\mathrm{out}}` learns a linear
teacher :math:`T` from :math:`N_\mathrm{tr}` Gaussian samples with the MSE loss (eq 1)

.. math::

    \mathcal L_\mathrm{tr} = \frac{1}{N_\mathrm{tr} d_\mathrm{out}}\sum_i \|(S-T)^\top x_i\|^2,
    \qquad \mathcal L_\mathrm{gen} = \frac{1}{d_\mathrm{out}}\|S-T\|_F^2 \quad\text{(eq 2)}.

A sample counts as correct when its squared error per output is below the threshold
:math:`\epsilon`, so the accuracy is an explicit function of the loss (eqs 9, 12) and grokking
is the generalization loss crossing a fixed level later than the training loss.

Conventions (the contract with the simulation module, part B)
--------------------------------------------------------------
* Data: :math:`x_i \sim \mathcal N(0, I_{d_\mathrm{in}})`, :math:`N_\mathrm{tr} =
  d_\mathrm{in}/\lambda`, Gram matrix :math:`\Sigma = X^\top X/N_\mathrm{tr}` (MP spectrum of
  mean 1, eq 6). Teacher and student entries :math:`\mathcal N(0, 1/(2 d_\mathrm{in}
  d_\mathrm{out}))` (section 3); ``init_scale`` :math:`\alpha` multiplies the student's.
  Labels :math:`y_i = T^\top x_i + \delta_i`, :math:`\delta_i\sim\mathcal N(0,\sigma^2
  I_{d_\mathrm{out}})` with :math:`\sigma` = ``label_noise``, fixed for the whole run.
* Optimizer: full-batch gradient descent on the loss of eq 1 (mean over samples *and*
  outputs), :math:`S \leftarrow S - \eta(\nabla_S\mathcal L_\mathrm{tr} + \lambda_\mathrm{wd} S)`
  with :math:`\eta` = ``learning_rate`` and :math:`\lambda_\mathrm{wd}` = ``weight_decay``.
* Time: ``t`` is the number of optimizer steps. The theory is the gradient-flow limit of
  those steps (seed 003 eq 4 with its :math:`t` = steps), exact for the flow and accurate to
  :math:`O(\eta\nu)` per step for discrete GD. With ``d_out`` outputs the per-output rate is
  :math:`\eta_0 = \eta/d_\mathrm{out}` (eq 12) and the paper's weight decay is
  :math:`\gamma = d_\mathrm{out}\lambda_\mathrm{wd}` (eq 3 writes :math:`\eta\gamma/d_\mathrm{out}`);
  for ``d_out = 1`` these are ``learning_rate`` and ``weight_decay`` themselves. For the
  two-layer linear network (``depth = 2``, eq 18) the rate is :math:`\eta_0 = \eta/(2
  d_\mathrm{out}^2)` and eq 18's :math:`\|D_0\|^2` is that of the one-layer initialization
  above; the paper's layer initialization at hidden width :math:`d_h` makes every loss
  :math:`2d_h` times smaller, i.e. it is this model with ``threshold`` times :math:`2d_h`.
  ``init_scale`` :math:`\alpha` scales each student layer by :math:`\sqrt\alpha`, so the
  kernel starts at :math:`\alpha` times the paper's and eq 18's rate is
  :math:`\alpha\eta/(2d_\mathrm{out}^2)`. At finite ``hidden_width`` the kernel moves: eq 17
  with :math:`\dot h` from eq 40 (:func:`two_layer_kernel`, ``method="coupled"``,
  ``losses(..., kernel="coupled")``; derivation in :mod:`grokdelay._two_layer`).

Losses (per direction of the MP spectrum, :math:`k = \nu + g`, :math:`g = \gamma/2`,
:math:`e = e^{-2\eta_0 k t}`), the exact average of eqs 14 and 37 extended to the student
scale and to fitted label noise:

.. math::

    \mathcal L_\mathrm{gen} = \frac{1}{d_\mathrm{out}}\,\mathbb E\Bigl[\tfrac12\bigl(\alpha^2e^2
      + (1-\nu(1-e)/k)^2\bigr)\Bigr] + \sigma^2\lambda\,\mathbb E\Bigl[\frac{\nu(1-e)^2}{k^2}\Bigr],

.. math::

    \mathcal L_\mathrm{tr} = \frac{1}{d_\mathrm{out}}\,\mathbb E\Bigl[\tfrac{\nu}{2}\bigl(\alpha^2e^2
      + (1-\nu(1-e)/k)^2\bigr)\Bigr] + \sigma^2\Bigl(1 - \lambda\,\mathbb E\Bigl[\frac{\nu(\nu+2g)
      - \nu^2e^2 - 2g\nu e}{k^2}\Bigr]\Bigr).

At :math:`\gamma = \sigma = 0`, :math:`\alpha = 1` these are eq 8 (divided by
:math:`d_\mathrm{out}`, eq 12). The label-noise terms are exact for the linear model: seed
003's App. C keeps only the constant :math:`\sigma^2` (train floor) and drops the noise the
student fits, which gives the classical floors :math:`\sigma^2(1-\lambda)` (train) and
:math:`\sigma^2\lambda/(1-\lambda)` (generalization) for :math:`\lambda<1`.

Public functions: :func:`losses`, :func:`accuracies`, :func:`two_layer_kernel`,
:func:`target_loss`, :func:`loss_floors`,
and the Marchenko-Pastur tools :func:`mp_density`, :func:`mp_expectation`,
:func:`sample_mp_spectrum`, :func:`mp_edges`, :func:`mp_atom`, :func:`mp_nodes` (from
:mod:`grokdelay._marchenko_pastur`).
The numerical cross-checks are re-exported from :mod:`grokdelay._lts_simulation`:
:func:`simulate_gradient_descent` (discrete GD on sampled data at finite ``d_in``, returning a
:class:`GradientDescentRun`) and :func:`integrate_gradient_flow` (the gradient-flow ODE on a
sampled spectrum, returning a :class:`GradientFlowRun`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special
from scipy.optimize import elementwise

from ._core import (Interval, Outcome, ParameterError, Parameters, method,
                    note_where, param, register)
from ._marchenko_pastur import (_nodes, mp_atom, mp_density, mp_edges, mp_expectation,
                                mp_nodes, sample_mp_spectrum)
from ._lts_simulation import (GradientDescentRun, GradientFlowRun, integrate_gradient_flow,
                             simulate_gradient_descent)
from ._two_layer import CoupledKernel

__all__ = ["LinearTeacherStudent", "losses", "accuracies", "two_layer_kernel", "target_loss",
           "loss_floors",
           "eq19_train_loss", "mp_density", "mp_expectation", "sample_mp_spectrum",
           "mp_edges", "mp_atom", "mp_nodes", "simulate_gradient_descent",
           "integrate_gradient_flow", "GradientDescentRun", "GradientFlowRun"]

_INF = math.inf
_DEFAULT_ACCURACY = math.erf(math.sqrt(2.0))
_CHUNK = 2048          # points per vectorized block (memory: ~250 nodes per point)


# --------------------------------------------------------------------------- model


class _Model:
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
        new = object.__new__(_Model)
        for k, v in vars(self).items():
            setattr(new, k, v[idx])
        return new


def _model(a) -> _Model:
    return _Model(a.aspect_ratio, a.learning_rate, a.weight_decay, a.d_out, a.depth,
                  a.init_scale, a.label_noise)


def _log_loss(m: _Model, tau, kind: str):
    """log of the train ("tr") or generalization ("gen") loss at tau = eta0 * t.

    Every per-point array of ``m`` has the shape of ``tau``. Written as
    ``floor + atom(t) + E1*A + E1^2*B`` with ``E1 = exp(-2 tau (lo + g))`` factored out of
    the integrals, so that late times neither underflow nor lose digits.
    """
    tau = np.asarray(tau, dtype=float)
    c = m.lo + m.g                                     # slowest continuous rate / 2
    nu, x, wq = _nodes(m.lam, 4.0 * tau, m.g)
    g = m.g[..., None]
    k = nu + g
    ehat = np.exp(-2.0 * tau[..., None] * x)
    inv_k2 = 1.0 / (k * k)
    s = m.s[..., None]
    nl = (m.sig2 * m.lam)[..., None]
    if kind == "gen":
        floor_i = s * 0.5 * g * g * inv_k2 + nl * nu * inv_k2
        a_i = (s * g * nu - 2.0 * nl * nu) * ehat * inv_k2
        b_i = (s * 0.5 * (m.a2[..., None] + nu * nu * inv_k2) + nl * nu * inv_k2) * ehat * ehat
        const = m.atom * m.s * 0.5 * (1.0 + m.a2 * np.exp(-4.0 * tau * m.g))
    else:
        floor_i = s * 0.5 * nu * g * g * inv_k2 + m.sig2[..., None] * m.lam[..., None] * g * g * inv_k2
        a_i = (s * g * nu * nu + 2.0 * nl * g * nu) * ehat * inv_k2
        b_i = (s * 0.5 * nu * (m.a2[..., None] + nu * nu * inv_k2) + nl * nu * nu * inv_k2) \
            * ehat * ehat
        const = m.sig2 * np.maximum(0.0, 1.0 - m.lam)
    floor = np.sum(wq * floor_i, axis=-1) + const
    big_a = np.sum(wq * a_i, axis=-1)
    big_b = np.sum(wq * b_i, axis=-1)
    le1 = -2.0 * tau * c
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        terms = np.stack([np.log(floor), le1 + np.log(np.abs(big_a)), 2.0 * le1 + np.log(big_b)])
        top = np.max(np.where(np.isnan(terms), -np.inf, terms), axis=0)
        top = np.where(np.isfinite(top), top, 0.0)
        total = (floor * np.exp(-top) + np.sign(big_a) * np.exp(le1 + np.log(np.abs(big_a)) - top)
                 + np.exp(2.0 * le1 + np.log(big_b) - top))
        total = np.where(np.isnan(total), 0.0, total)
        out = np.log(np.maximum(total, 1e-300)) + top
    return out


def _floors(m: _Model):
    """Exact t -> inf limits (train, gen) of the losses.

    Graded Gauss-Legendre in phi with as many panels as the nearest pole needs (points
    grouped by that count; see ``_panels_needed``)."""
    lam = np.atleast_1d(m.lam)
    tr = np.empty(lam.shape)
    gen = np.empty(lam.shape)
    need = _panels_needed(lam, np.atleast_1d(m.g), 0.0)
    for p in np.unique(need):
        i = np.flatnonzero(need == p)
        mm = m.take(i)
        s2, c2, dphi = _panel_nodes(int(p))
        r = np.sqrt(mm.lam)[:, None]
        nu = mm.lo[:, None] + 4.0 * r * s2
        wq = (16.0 / math.pi) * (s2 * c2 * dphi) / nu
        g = mm.g[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_k2 = 1.0 / (nu + g) ** 2
        s = mm.s[:, None]
        nl = (mm.sig2 * mm.lam)[:, None]
        gen[i] = np.einsum("ij,ij->i", wq, s * 0.5 * g * g * inv_k2 + nl * nu * inv_k2) \
            + mm.atom * mm.s * 0.5 * np.where(mm.g > 0, 1.0, 1.0 + mm.a2)
        tr[i] = np.einsum("ij,ij->i", wq, s * 0.5 * nu * g * g * inv_k2 + nl * g * g * inv_k2) \
            + mm.sig2 * np.maximum(0.0, 1.0 - mm.lam)
    return tr.reshape(np.shape(m.lam)), gen.reshape(np.shape(m.lam))


def _initial(m: _Model):
    """Exact t = 0 losses (train, gen): the MP mean is 1."""
    sig = m.s * 0.5 * (1.0 + m.a2)
    return sig + m.sig2, sig


def _target(accuracy, threshold, dout):
    """Loss level at which the accuracy of eq 12 (eq 9 for d_out = 1) equals ``accuracy``."""
    half = 0.5 * np.asarray(dout, dtype=float)
    return dout * threshold / (2.0 * special.gammaincinv(half, accuracy))


# --------------------------------------------------------------------------- public curves


def _params_and_times(params, t):
    if not isinstance(params, LinearTeacherStudent):
        raise TypeError(f"expected LinearTeacherStudent parameters, got {type(params).__name__}")
    t = np.asarray(t, dtype=float)
    if np.any(~(t >= 0)) or np.any(np.isinf(t)):
        raise ParameterError("t must be finite times >= 0 (optimizer steps)", "t")
    a = params.broadcast()
    shape = np.broadcast_shapes(a.shape, t.shape)
    fields = {k: np.broadcast_to(getattr(a, k), shape).ravel()
              for k in ("aspect_ratio", "learning_rate", "weight_decay", "d_out", "depth",
                        "init_scale", "label_noise", "threshold", "accuracy", "hidden_width")}
    return fields, np.broadcast_to(t, shape).ravel(), shape


_KERNELS = ("frozen", "coupled")


def _check_kernel(kernel, f):
    if kernel not in _KERNELS:
        raise ParameterError(f"kernel = {kernel!r} is not one of {_KERNELS}", "kernel")
    if kernel == "coupled":
        _check_coupled(f["depth"], f["label_noise"])


def _check_coupled(depth, label_noise):
    bad = (np.asarray(depth) == 2) & (np.asarray(label_noise) > 0)
    if np.any(bad):
        raise ParameterError(
            f"label_noise = {_describe_first(label_noise, bad)} with depth = 2: the coupled "
            "kernel (eq 17) is derived without label noise; use label_noise = 0 or the frozen "
            "kernel of eq 18", "label_noise")


def _coupled_kernel(f, u_max):
    """The corrected eq 17 for flat field arrays ``f`` (depth-2 points)."""
    return CoupledKernel.marchenko_pastur(f["aspect_ratio"], f["init_scale"], f["d_out"],
                                          f["hidden_width"], f["learning_rate"], u_max)


def _effective_times(f, t, kernel):
    """tau = the argument of the one-layer losses reached after t steps (flat arrays)."""
    m = _Model(f["aspect_ratio"], f["learning_rate"], f["weight_decay"], f["d_out"],
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
            tau[deep] = _coupled_kernel(sub, u_max).effective_time(t[deep])
    return m, tau


def _log_losses_flat(f, t, kernel="frozen"):
    m, tau_all = _effective_times(f, t, kernel)
    out_tr = np.empty(t.size)
    out_gen = np.empty(t.size)
    for lo in range(0, t.size, _CHUNK):
        sl = slice(lo, lo + _CHUNK)
        mm = m.take(sl)
        tau = tau_all[sl]
        out_tr[sl] = _log_loss(mm, tau, "tr")
        out_gen[sl] = _log_loss(mm, tau, "gen")
    return out_tr, out_gen


def losses(params, t, *, kernel="frozen"):
    r"""Train and generalization losses at times ``t`` (optimizer steps).

    Parameters
    ----------
    params : LinearTeacherStudent
        Array fields broadcast with ``t`` (numpy rules: pass ``t[:, None]`` for an outer
        product with a 1-D parameter array).
    t : array_like
        Times in optimizer steps, finite and >= 0.
    kernel : {"frozen", "coupled"}
        Two-layer network (``depth = 2``) only; depth-1 points are the same either way.
        ``"frozen"``: eq 18, the kernel held at its initial value. ``"coupled"``: eq 17 with
        the kernel moving at the finite ``hidden_width`` (its :math:`\dot h` corrected from
        eq 40; see :func:`two_layer_kernel`).

    Returns
    -------
    (train, gen) : ndarrays of the broadcast shape
        Eqs 8, 12, 14/38 and 18 (or 17) in the library's conventions (module docstring), with
        the student scale and the fitted label noise. Accurate to ~1e-14 relative (composite
        Gauss-Legendre graded at the lower MP edge; compared with 50-digit mpmath in the
        tests); the coupled kernel's clock to ~1e-12 (against ``solve_ivp``). Log-space
        internally: values below 1e-308 underflow to 0 only here.

    Examples
    --------
    >>> import numpy as np, grokdelay as gd
    >>> p = gd.LinearTeacherStudent(aspect_ratio=0.5, learning_rate=0.01)
    >>> tr, gen = gd.linear_teacher_student.losses(p, [0.0, 100.0])
    >>> [round(float(v), 6) for v in tr], [round(float(v), 6) for v in gen]
    ([1.0, 0.0391], [1.0, 0.130313])
    """
    f, tt, shape = _params_and_times(params, t)
    _check_kernel(kernel, f)
    ltr, lgen = _log_losses_flat(f, tt, kernel)
    with np.errstate(under="ignore"):
        return np.exp(ltr).reshape(shape), np.exp(lgen).reshape(shape)


def accuracies(params, t, *, kernel="frozen"):
    r"""Train and generalization accuracies at times ``t``: eq 12 (eq 9 for ``d_out = 1``).

    :math:`\mathcal A = P\bigl(\tfrac{d_\mathrm{out}}{2}, \tfrac{d_\mathrm{out}\epsilon}{2\mathcal L}\bigr)`,
    the regularized lower incomplete gamma function of the loss; for one output it is
    :math:`\mathrm{erf}\sqrt{\epsilon/(2\mathcal L)}`. ``kernel`` as in :func:`losses`.

    Examples
    --------
    >>> import grokdelay as gd
    >>> p = gd.LinearTeacherStudent(aspect_ratio=0.5, learning_rate=0.01)
    >>> tr, gen = gd.linear_teacher_student.accuracies(p, 0.0)
    >>> round(float(tr), 6)        # erf(sqrt(1e-3 / 2))
    0.025227
    """
    f, tt, shape = _params_and_times(params, t)
    _check_kernel(kernel, f)
    ltr, lgen = _log_losses_flat(f, tt, kernel)
    half = 0.5 * f["d_out"]
    scaled = half * f["threshold"]
    with np.errstate(over="ignore"):
        acc_tr = special.gammainc(half, scaled * np.exp(-ltr))
        acc_gen = special.gammainc(half, scaled * np.exp(-lgen))
    return acc_tr.reshape(shape), acc_gen.reshape(shape)


def two_layer_kernel(params, t):
    r"""The kernel of the two-layer network and its effective time (eq 17, corrected).

    Gradient flow of eq 40 moves the output kernel :math:`h = (\|S_0\|^2 + \|S_1\|^2)/2`;
    eq 17 couples it to the error. With :math:`\dot h` taken from eq 40,
    :math:`\dot h = -(4\eta/d_\mathrm{out})\mathrm{Tr}[(T+D)^\top\Sigma D]` (eq 17 prints
    :math:`-8\eta_0(T+D)^\top\Sigma D`), and the Marchenko-Pastur average of eq 36,

    .. math::

        \kappa(u)^2 = \alpha^2 - \frac{16 d_\mathrm{out}}{d_h}\Bigl(
          \frac{1+\alpha^2}{8}\mathbb E[1-e^{-4u\nu}] - \frac14\mathbb E[1-e^{-2u\nu}]\Bigr),
        \qquad t(u) = \frac{2d_\mathrm{out}^2}{\eta}\int_0^u\frac{dv}{\kappa(v)},

    where :math:`\kappa = 2h` (1 at the paper's initialization, ``init_scale`` at the
    library's) and :math:`u` is the argument of the one-layer losses:
    :math:`\mathcal L^{2\text{-layer}}(t) = \mathcal L^{1\text{-layer}}(u(t))`. Derivation
    and limits: :mod:`grokdelay._two_layer`.

    Parameters
    ----------
    params : LinearTeacherStudent
        ``depth = 2`` at every point; ``hidden_width`` is :math:`d_h` (``inf``: eq 18, the
        kernel never moves).
    t : array_like
        Times in optimizer steps, finite and >= 0 (broadcast with the fields).

    Returns
    -------
    (kernel, effective_time) : ndarrays of the broadcast shape
        :math:`\kappa(t)` and :math:`u(t)`. In a run, :math:`\kappa = 2\|S_1\|_F^2`
        at the paper's layer initialization (App. F).

    Examples
    --------
    >>> import grokdelay as gd
    >>> p = gd.LinearTeacherStudent(aspect_ratio=0.5, learning_rate=0.01, d_out=4, depth=2,
    ...                             init_scale=0.3, hidden_width=20)
    >>> k, u = two_layer_kernel(p, [0.0, 1e7])
    >>> [round(float(v), 4) for v in k]        # grows to sqrt(0.09 + 8 * 0.91 / 20)
    [0.3, 0.6738]
    """
    f, tt, shape = _params_and_times(params, t)
    if np.any(f["depth"] != 2):
        raise ParameterError("depth = 1: the one-layer model has no hidden kernel; use "
                             "depth = 2", "depth")
    _check_coupled(f["depth"], f["label_noise"])
    _, u = _effective_times(f, tt, "coupled")
    kern = _coupled_kernel(f, u).kappa(u)
    return kern.reshape(shape), u.reshape(shape)


def target_loss(params):
    r"""The loss level at which the accuracy reaches ``params.accuracy`` (eqs 9, 12).

    :math:`\mathcal L^* = d_\mathrm{out}\epsilon / (2 P^{-1}(d_\mathrm{out}/2, A))`; for
    ``d_out = 1`` it is :math:`\epsilon/(2\,\mathrm{erf}^{-1}(A)^2)`, i.e. :math:`\epsilon/4`
    at the default accuracy :math:`\mathrm{erf}(\sqrt2)`.

    Examples
    --------
    >>> import grokdelay as gd
    >>> round(target_loss(gd.LinearTeacherStudent(0.5, 0.01, threshold=1e-3)), 12)
    0.00025
    """
    a = params.broadcast()
    out = _target(a.accuracy, a.threshold, a.d_out)
    return float(out) if np.ndim(out) == 0 else out


def loss_floors(params):
    r"""The :math:`t\to\infty` limits (train, gen) of the losses (exact, by quadrature).

    With weight decay and no label noise, for small :math:`\gamma` and :math:`\lambda<1`
    they approach :math:`\gamma^2/(8(1-\lambda))` and :math:`\gamma^2/(8(1-\lambda)^3)`
    (times :math:`1/d_\mathrm{out}`): half of seed 003's eq 15, which drops eq 14's prefactor
    1/2. For :math:`\lambda > 1` the generalization floor includes the null space,
    :math:`(1-1/\lambda)/(2d_\mathrm{out})\cdot(1+\alpha^2)` without and
    :math:`(1-1/\lambda)/(2d_\mathrm{out})` with weight decay.

    Examples
    --------
    >>> import grokdelay as gd
    >>> tr, gen = loss_floors(gd.LinearTeacherStudent(2.0, 0.01))
    >>> round(tr, 12), round(gen, 12)
    (0.0, 0.5)
    """
    a = params.broadcast()
    shape = a.shape
    tr, gen = _floors(_Model(np.ravel(a.aspect_ratio), np.ravel(a.learning_rate),
                             np.ravel(a.weight_decay), np.ravel(a.d_out), np.ravel(a.depth),
                             np.ravel(a.init_scale), np.ravel(a.label_noise)))
    tr, gen = tr.reshape(shape), gen.reshape(shape)
    if not shape:
        return float(tr), float(gen)
    return tr, gen


def eq19_train_loss(aspect_ratio, tau):
    r"""Seed 003 eq 19: :math:`\mathcal L_\mathrm{tr} = e^{-4\tau(1+\lambda)}\,{}_0\tilde F_1(2; 16\tau^2\lambda)`.

    The closed form of eq 8's training loss (``d_out = 1``, no weight decay, unit scale),
    with :math:`\tau = \eta_0 t`. Written with the exponentially scaled Bessel function,
    :math:`{}_0\tilde F_1(2; z^2/4) = 2 I_1(z)/z`, :math:`z = 8\tau\sqrt\lambda`, so that
    late times neither overflow nor underflow before the final product. Valid for every
    :math:`\lambda > 0` (the atom at zero contributes nothing to the training loss).

    Examples
    --------
    >>> round(float(eq19_train_loss(0.5, 0.0)), 12)
    1.0
    """
    lam = np.asarray(aspect_ratio, dtype=float)
    tau = np.asarray(tau, dtype=float)
    z = 8.0 * tau * np.sqrt(lam)
    with np.errstate(invalid="ignore", divide="ignore", under="ignore"):
        ratio = np.where(z > 0, 2.0 * _ive1(z) / np.where(z > 0, z, 1.0), 1.0)
        out = np.exp(-4.0 * tau * (1.0 + lam) + z) * ratio
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------- root finding

_XMIN, _XMAX = -90.0, 690.0       # bracket limits on x = log(eta0 t)


def _flat_model(lam, g, s, a2, sig2):
    m = object.__new__(_Model)
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
    """``_log_loss`` with seed 003's eq 19 as the exact fast path for the training loss
    (no weight decay, no label noise): ``L_tr = s (1 + alpha^2)/2 * eq19``."""
    tau = np.asarray(tau, dtype=float)
    if kind != "tr":
        return _log_loss(m, tau, kind)
    fast = (m.g == 0) & (m.sig2 == 0)
    out = np.empty(tau.shape)
    if np.any(fast):
        z = 8.0 * tau[fast] * np.sqrt(m.lam[fast])
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(z > 0, 2.0 * _ive1(z) / np.where(z > 0, z, 1.0), 1.0)
        out[fast] = (np.log(m.s[fast] * 0.5 * (1.0 + m.a2[fast])) - 4.0 * tau[fast] * m.lo[fast]
                     + np.log(ratio))
    if not np.all(fast):
        slow = ~fast
        out[slow] = _log_loss(m.take(slow), tau[slow], kind)
    return out


def _ive1(z):
    """exp(-z) I_1(z); scipy's ``ive`` returns NaN beyond z ~ 1e9, so the Hankel expansion
    (error O(z^-3) < 1e-24 there) takes over at z > 1e8."""
    z = np.asarray(z, dtype=float)
    big = z > 1e8
    zb = np.where(big, z, 1e8)
    asym = (1.0 - 3.0 / (8.0 * zb) - 15.0 / (128.0 * zb) / zb) / np.sqrt(2.0 * np.pi * zb)
    return np.where(big, asym, special.ive(1, np.where(big, 0.0, z)))


def _crossing_times(m: _Model, log_target, kind, floors=None):
    """First tau = eta0 t with loss <= target, per point (flat arrays). inf: never."""
    n = m.lam.size
    l0_tr, l0_gen = _initial(m)
    f_tr, f_gen = _floors(m) if floors is None else floors
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


# Fast path of the exact method for monotone losses. The nodes of the MP quadrature do not
# depend on tau: composite Gauss-Legendre in phi (module _marchenko_pastur) on P panels
# graded by 0.5, P chosen per point so that the panels reach half the smallest length scale
# (the 1/nu or weight-decay pole, and the decay width at the largest tau the solver will
# evaluate). Grading 0.35 suffices for the poles but not for the Gaussian-like decay
# exp(-2 tau w sin^2 phi) a few widths out (measured 2e-12 in log L at lambda = 2,
# tau = 1e3); with 0.5 the train loss agrees with eq 19 to 2e-15 over lambda in
# [0.01, 30], tau in [1e-3, 1e9]. The tau-independent parts of the integrands are computed
# once per point; each evaluation of the loss and of its analytic tau-derivative is then one
# exp per node and four weighted sums. Newton's method in x = log tau then converges in a
# few steps (log L is close to concave in log tau, so Newton from an upper bound approaches
# the root from above), safeguarded by the bracket [largest x with h > 0, smallest with h < 0].
_RATIO = 0.5
_LOG_RATIO = math.log(_RATIO)
_PANEL_CACHE: dict = {}
_NEWTON_CHUNK = 2048
_NEWTON_STEP_TOL = 1e-9     # |Newton step| in log tau; the next error is ~ step^2 << 1e-14


def _panel_nodes(p):
    """sin^2, cos^2 and d phi weights of P graded panels plus the base panel (cached)."""
    if p not in _PANEL_CACHE:
        from ._marchenko_pastur import _GL_W, _GL_X
        edges = 0.5 * math.pi * _RATIO ** np.arange(p + 1)
        left = np.append(edges[1:], 0.0)
        right = np.append(edges[:-1], edges[-1])
        half, mid = 0.5 * (right - left), 0.5 * (right + left)
        phi = (mid[:, None] + half[:, None] * _GL_X).ravel()
        dphi = (half[:, None] * _GL_W).ravel()
        _PANEL_CACHE[p] = (np.sin(phi) ** 2, np.cos(phi) ** 2, dphi)
    return _PANEL_CACHE[p]


def _panels_needed(lam, g, decay):
    """Panels P of ratio 0.35 that reach half the smallest scale (as in ``_nodes``)."""
    r = np.sqrt(lam)
    lo = (1.0 - r) ** 2
    w = 4.0 * r
    near = np.where(lo > 0, lo, g)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pole = np.where(near > 0, np.sqrt(near / w), np.inf)
        width = np.where(decay > 0, 1.0 / np.sqrt(decay * w), np.inf)
        phi_min = 0.5 * np.minimum(np.minimum(pole, width), 0.5 * math.pi)
        p = np.ceil(np.log(phi_min / (0.5 * math.pi)) / _LOG_RATIO)
    return np.clip(np.nan_to_num(p, nan=1.0), 1, 60).astype(int)


class _Integrands:
    """tau-independent parts of the loss integrals of one block of points, P panels.

    With ``C = (16/pi) sin^2 cos^2 dphi`` the quadrature weight is ``C / nu``, so the
    products with the integrands' factors of ``nu`` are formed without dividing by ``nu``.
    """

    _ROWS = ("x", "wa", "wb", "wak", "wbk", "floor", "c", "g", "cdec")

    def __init__(self, m: _Model, kind, p):
        s2, c2, dphi = _panel_nodes(p)
        cw = (16.0 / math.pi) * (s2 * c2 * dphi)
        w = (4.0 * np.sqrt(m.lam))[:, None]
        self.x = w * s2                                 # nu - lower edge, exact
        nu = self.x + m.lo[:, None]
        g = m.g[:, None]
        k = nu + g
        inv_k = 1.0 / k
        q = nu * inv_k                                  # nu / k
        s = m.s[:, None]
        a2 = m.a2[:, None]
        sg = s * g
        if np.any(m.sig2 > 0):
            nl = (m.sig2 * m.lam)[:, None]
            wq = cw / nu
        if kind == "gen":
            # floor: s g^2/(2 k^2) (+ nl nu/k^2); A: s g nu/k^2 (- 2 nl nu/k^2);
            # B: s (a2 + q^2)/2 (+ nl nu/k^2)
            cik = cw * inv_k
            self.wak = sg * cik
            self.wa = self.wak * inv_k
            floor = 0.5 * m.g * np.einsum("ij,ij->i", sg * inv_k, cik / nu)
            self.wb = (0.5 * s) * (a2 + q * q) * (cw / nu)
            if np.any(m.sig2 > 0):
                noise = nl * wq * inv_k * q              # nl nu / k^2 * wq
                floor = floor + np.einsum("ij->i", noise)
                self.wa = self.wa - 2.0 * noise
                self.wb = self.wb + noise
                self.wak = self.wa * k
            self.const = m.atom * m.s * 0.5
            self.cdec = m.atom * m.s * 0.5 * m.a2         # times exp(-4 tau g)
        else:
            # floor: s nu g^2/(2 k^2) (+ nl g^2/k^2); A: s g nu^2/k^2 (+ 2 nl g nu/k^2);
            # B: s nu (a2 + q^2)/2 (+ nl nu^2/k^2)
            cq = cw * q
            self.wak = sg * cq
            self.wa = self.wak * inv_k
            floor = 0.5 * np.einsum("ij,ij->i", sg * g, cw * inv_k * inv_k)
            self.wb = (0.5 * s) * (a2 + q * q) * cw
            if np.any(m.sig2 > 0):
                gk = g * inv_k
                floor = floor + np.einsum("ij->i", nl * wq * gk * gk)
                self.wa = self.wa + 2.0 * nl * gk * cw * inv_k
                self.wb = self.wb + nl * cq * inv_k
                self.wak = self.wa * k
            self.const = m.sig2 * np.maximum(0.0, 1.0 - m.lam)
            self.cdec = np.zeros_like(m.lam)
        self.floor = floor + self.const
        self.wbk = self.wb * k
        self.c = m.lo + m.g
        self.g = m.g

    def compact(self, rows):
        """Keep only ``rows`` (the points still iterating), so later sums skip the rest."""
        for name in self._ROWS:
            setattr(self, name, getattr(self, name)[rows])

    def log_loss_and_slope(self, tau, i):
        """log L(tau) and d log L / d log tau for the points ``i`` of the block."""
        e = np.multiply(self.x[i], -2.0 * tau[:, None])
        with np.errstate(under="ignore"):
            np.exp(e, out=e)
        big_a = np.einsum("ij,ij->i", self.wa[i], e)
        a_k = np.einsum("ij,ij->i", self.wak[i], e)
        np.multiply(e, e, out=e)
        big_b = np.einsum("ij,ij->i", self.wb[i], e)
        b_k = np.einsum("ij,ij->i", self.wbk[i], e)
        g = self.g[i]
        le1 = -2.0 * tau * self.c[i]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            dec = self.cdec[i] * np.exp(-4.0 * tau * g)
            floor = self.floor[i] + dec
            terms = np.stack([np.log(floor), le1 + np.log(np.abs(big_a)),
                              2.0 * le1 + np.log(big_b)])
            top = np.max(np.where(np.isnan(terms), -np.inf, terms), axis=0)
            top = np.where(np.isfinite(top), top, 0.0)
            ea = np.sign(big_a) * np.exp(le1 + np.log(np.abs(big_a)) - top)
            eb = np.exp(2.0 * le1 + np.log(big_b) - top)
            total = np.exp(terms[0] - top) + np.nan_to_num(ea) + np.nan_to_num(eb)
            ea_k = np.sign(a_k) * np.exp(le1 + np.log(np.abs(a_k)) - top)
            eb_k = np.exp(2.0 * le1 + np.log(b_k) - top)
            dtot = (-4.0 * g * np.exp(np.log(dec) - top) - 2.0 * np.nan_to_num(ea_k)
                    - 4.0 * np.nan_to_num(eb_k))
            log_l = np.log(np.maximum(total, 1e-300)) + top
            slope = tau * dtot / total
        return log_l, slope


def _upper_guess(m: _Model, kind, floor, l0, log_target):
    """A tau at (or just beyond) the crossing: the t -> inf decay bound of the loss."""
    it = _Integrands(m, kind, 1)       # only the t = 0 sums: coarse nodes are enough
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


def _newton_crossing(m: _Model, log_target, kind, floor, l0):
    """tau at which a monotone loss falls to exp(log_target) (flat arrays, all finite)."""
    n = m.lam.size
    x_hi = _upper_guess(m, kind, floor, l0, log_target)
    out = np.full(n, np.nan)
    pending = np.arange(n)
    while pending.size:
        retry = []
        need = _panels_needed(m.lam[pending], m.g[pending], 4.0 * np.exp(x_hi[pending]))
        order = pending[np.argsort(need, kind="stable")]
        need = np.sort(need, kind="stable")
        for lo in range(0, order.size, _NEWTON_CHUNK):
            sel = order[lo:lo + _NEWTON_CHUNK]
            it = _Integrands(m.take(sel), kind, int(need[lo:lo + _NEWTON_CHUNK].max()))
            x, ok = _newton_block(it, x_hi[sel], log_target[sel])
            out[sel[ok]] = np.exp(x[ok])
            retry.append(sel[~ok])
        pending = np.concatenate(retry)
        if pending.size:                 # the guess was below the crossing: look further
            x_hi[pending] += 2.0
            if np.any(x_hi[pending] > _XMAX + 2.0):
                raise FloatingPointError(
                    "linear_teacher_student: no crossing found below eta0 t = exp(690) for "
                    f"{pending.size} point(s); please report the parameters")
    return out


def _newton_block(it: _Integrands, x_hi, log_target):
    """Safeguarded Newton in x = log tau from x_hi. Returns (x, ok); not ok: h(x_hi) > 0."""
    n = x_hi.size
    x = x_hi.copy()
    a = np.full(n, -np.inf)              # largest x seen with h > 0
    b = np.full(n, np.inf)               # smallest x seen with h <= 0
    ok = np.ones(n, bool)
    done = np.zeros(n, bool)
    act = np.arange(n)
    live = act                           # the points whose rows ``it`` still holds
    for it_count in range(200):
        xa = x[act]
        if act.size < live.size:
            rows = np.searchsorted(live, act)
            if act.size <= 0.6 * live.size:
                it.compact(rows)
                live, rows = act, slice(None)
        else:
            rows = slice(None)
        log_l, slope = it.log_loss_and_slope(np.exp(xa), rows)
        h = log_l - log_target[act]
        if it_count == 0:
            bad = h > 0
            ok[act[bad]] = False
            done[act[bad]] = True
        pos = h > 0
        a[act] = np.where(pos, np.maximum(a[act], xa), a[act])
        b[act] = np.where(pos, b[act], np.minimum(b[act], xa))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            xn = xa - h / slope
        aa, bb = a[act], b[act]
        # a converged Newton step may land on the bracket end it started from
        small = np.abs(xn - xa) <= _NEWTON_STEP_TOL
        outside = ~np.isfinite(xn) | (xn < aa) | (xn > bb) | ((xn == aa) | (xn == bb)) & ~small
        fallback = np.where(np.isfinite(aa), 0.5 * (aa + bb), bb - 2.0)
        xn = np.where(outside, fallback, xn)
        conv = (small & ~outside) | (bb - aa <= 1e-14) | (h == 0)
        x[act] = np.where(h == 0, xa, xn)
        done[act] |= conv
        act = act[~done[act]]
        if act.size == 0:
            break
    else:
        raise FloatingPointError("linear_teacher_student: Newton iteration did not converge "
                                 f"for {act.size} point(s); please report the parameters")
    return x, ok


def _refine(f, bracket, args, ok):
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
    t_hi = np.where(slow > 1e-13, 40.0 / np.where(slow > 1e-13, slow, 1.0), 1e14)
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


# --------------------------------------------------------------------------- mechanism


@register("linear_teacher_student")
class LinearTeacherStudent(Parameters):
    r"""Grokking of a linear student learning a linear teacher (seed 003, arXiv 2310.16441).

    :math:`t_\mathrm{mem}` and :math:`t_\mathrm{grok}` are the first optimizer steps at which
    the train and the generalization accuracy (eq 9; eq 12 for :math:`d_\mathrm{out}>1`)
    reach ``accuracy``, i.e. at which the Marchenko-Pastur averaged losses (eq 8; eq 14/38
    with weight decay; eq 18 for two layers) fall to the level

    .. math::

        \mathcal L^* = \frac{d_\mathrm{out}\,\epsilon}{2\,P^{-1}(d_\mathrm{out}/2,\ A)}
        \quad(=\epsilon/4 \text{ for } d_\mathrm{out}=1,\ A=\mathrm{erf}\sqrt2).

    Without weight decay and for :math:`\lambda<1` the paper's leading-order delay is eq 11,

    .. math::

        \Delta t \simeq -\frac{\log(1-\sqrt\lambda)}{2\eta_0(1-\sqrt\lambda)^2},

    the :math:`\epsilon\to0` limit of the Lambert-W times of eqs 23-24.

    Parameters
    ----------
    aspect_ratio : float or array_like
        :math:`\lambda = d_\mathrm{in}/N_\mathrm{tr}` (the paper's :math:`\lambda`).
    learning_rate : float or array_like
        :math:`\eta`; times are optimizer steps of full-batch gradient descent.
    threshold : float or array_like
        :math:`\epsilon`: a sample is correct when its squared error per output is below it.
    weight_decay : float or array_like
        Library convention :math:`S\leftarrow S-\eta(\nabla\mathcal L+\lambda_\mathrm{wd}S)`;
        the paper's :math:`\gamma` for ``d_out = 1`` (:math:`\gamma=d_\mathrm{out}\lambda_\mathrm{wd}`
        in general, see the module docstring).
    d_out : int or array_like
        Output dimension (eq 12).
    depth : int or array_like
        1: linear perceptron; 2: two-layer linear network in the constant-kernel limit of
        eq 18 (:math:`\eta_0 = \eta/(2d_\mathrm{out}^2)`). Convention: eq 18's prefactor
        :math:`\|D_0\|^2` is fixed at the one-layer value, i.e. teacher and student
        end-to-end maps are initialized like the one-layer ones (initial generalization loss
        :math:`(1+\alpha^2)/(2d_\mathrm{out})`). With the paper's layer initialization at
        hidden width :math:`d_h` (App. F) every loss is :math:`2d_h` times smaller (the
        dynamics are linear in :math:`D`), so its times are those of this model with
        ``threshold`` multiplied by :math:`2d_h`. Weight decay is not derived for depth 2
        and is rejected.
    init_scale : float or array_like
        :math:`\alpha`: the student starts at :math:`\alpha S_0` (section 3.1); without
        weight decay this rescales both losses by :math:`(1+\alpha^2)/2`. At depth 2 each
        student layer is scaled by :math:`\sqrt\alpha`, so the end-to-end map starts at
        :math:`\alpha S_0` and the kernel at :math:`\kappa_0 = 2h_0 = \alpha`: eq 18 runs at
        :math:`\eta_0 = \alpha\eta/(2d_\mathrm{out}^2)`, and :math:`\alpha = 0` is the saddle
        :math:`S_0 = S_1 = 0`, which gradient flow never leaves (``inf``).
    label_noise : float or array_like
        :math:`\sigma`, the standard deviation of Gaussian noise added to the training labels
        (App. C); the fitted noise is kept exactly (module docstring).
    accuracy : float or array_like
        Target accuracy :math:`A` defining both times (default :math:`\mathrm{erf}\sqrt2`,
        the paper's 95%).
    hidden_width : float or array_like
        :math:`d_h`, the hidden width of the two-layer network (``depth = 2``). Only
        ``method="coupled"`` uses it (eq 18 is its :math:`d_h\to\infty` limit, the default
        ``inf``); finite values must be at least :math:`2d_\mathrm{out}` (below
        :math:`d_\mathrm{out}` the network cannot represent the teacher; at least
        :math:`2d_\mathrm{out}` keeps the kernel of eq 17 positive). Ignored at depth 1.

    Notes
    -----
    Methods:

    ``"exact"`` (default)
        Vectorized safeguarded Newton iteration in :math:`\log t` on the exact log-losses
        with their analytic time derivative, started from an upper bound on the crossing
        (the late-time decay :math:`e^{-2\eta_0(\lambda_-+g)t}` of the loss) and kept inside
        the bracket of the points evaluated so far; it stops when a Newton step is below
        :math:`10^{-9}` in :math:`\log t` (the error left is then ~1e-15). The losses come
        from graded Gauss-Legendre quadrature of the MP law (see
        :mod:`grokdelay._marchenko_pastur`) on nodes fixed per point, so each iteration
        costs one exponential per node; measured agreement with 30-digit mpmath ~1e-15
        (benchmarks/bench_linear_teacher_student.py). With label noise the generalization
        loss first falls and then rises to its noise floor; the first down-crossing is found
        on a log-time grid and refined. Regimes that never reach :math:`\mathcal L^*` give
        ``inf`` with a note stating the floor: the null space for :math:`\lambda>1`
        (:math:`(1-1/\lambda)(1+\alpha^2)/(2d_\mathrm{out})`), weight decay, label noise.
    ``"lambert_w"``
        Eqs 23-24 generalized from :math:`\epsilon/4` to :math:`\mathcal L^*` and to
        :math:`d_\mathrm{out}`, depth and :math:`\alpha`:
        :math:`t^* = \frac{3}{8\eta_0\lambda_-}W(z)`,
        :math:`z = \frac23\bigl(C(4\lambda_-)^{3/2}/\mathcal L^*\bigr)^{2/3}` with
        :math:`C_\mathrm{tr} = \frac{(1+\alpha^2)}{2d_\mathrm{out}}\frac{1}{16\sqrt\pi\lambda^{3/4}}`
        (eq 21) and :math:`C_\mathrm{gen} = C_\mathrm{tr}/\lambda_-` (eq 10). Requires
        :math:`\lambda<1`, no weight decay, no label noise. Measured error against
        ``"exact"`` on the delay (it always overestimates it): within 15% only for
        :math:`0.5\le\lambda\le0.95` and :math:`\epsilon\le10^{-3}` (10% for
        :math:`\epsilon\le10^{-4}`); poor at small :math:`\lambda` even for small
        :math:`\epsilon` (+57% at :math:`\lambda=0.05`, :math:`\epsilon=10^{-3}`; +26% at
        :math:`\epsilon=10^{-6}`) and at large :math:`\epsilon` (+31% at
        :math:`\lambda=0.9`, :math:`\epsilon=10^{-2}`). Its :math:`t_\mathrm{mem}` is within
        3% for :math:`\epsilon\le10^{-2}`. Full table: docs, linear_teacher_student_validity.
    ``"asymptotic"``
        :math:`t_\mathrm{mem}` from eq 23 and the delay from eq 11 (eq 15,
        :math:`\log(1+\sqrt\lambda)/(2\eta_0(1-\sqrt\lambda)^2)`, with weight decay).
        Requires :math:`\lambda<1` and no label noise. Eq 11 is the :math:`\epsilon\to0`
        limit: off by a factor ~2.7 at :math:`\lambda=0.9`, :math:`\epsilon=10^{-3}`.

    ``"coupled"``
        Depth 2: eq 17 with the kernel moving at finite ``hidden_width`` and its
        :math:`\dot h` taken from eq 40 (eq 17's coefficient is inconsistent with it), on the
        exact crossing points of the losses: :func:`two_layer_kernel`. It captures the
        drift of the kernel, :math:`\kappa_\infty^2 = \alpha^2 + 2d_\mathrm{out}(1-\alpha^2)/d_h`,
        large for a small student (:math:`\alpha^2 d_h \lesssim d_\mathrm{out}`). Measured
        against two-layer gradient descent (eq 40, ``d_in = 200``, 8 seeds, the theory given
        each run's spectrum and initial kernel; benchmarks/two_layer_validity.py): at
        ``d_out = 1`` within -8% to +3% for :math:`d_h \in \{20, 100\}`,
        :math:`\alpha \in \{0.3, 1, 2\}`, where eq 18 is up to 89% late. At ``d_out = 4``
        the anisotropy of the output kernel :math:`S_1^\top S_1`, which eq 17 averages away,
        makes both theories early by up to 20% (:math:`d_h = 100`) and 49% (:math:`d_h = 20`).
        Not modelled: that anisotropy, the run-to-run spread of the initial kernel (relative
        :math:`\sqrt{2/(d_h d_\mathrm{out})}`), the input kernel, label noise (rejected).
        10^4 points take ~5 s (eq 18: ~0.1 s). ``extra["kernel_mem"]`` and
        ``extra["kernel_grok"]`` give :math:`\kappa` at the two times. Depth-1 points are
        the ``"exact"`` ones (no kernel to move).

    All methods use the gradient-flow limit; a note flags :math:`2\eta_0\lambda_+ \ge 1`,
    where discrete gradient descent no longer follows the flow (and diverges beyond 2).

    References
    ----------
    N. Levi, A. Beck, Y. Bar Sinai, "Grokking in linear estimators: a solvable model that
    groks without understanding", arXiv 2310.16441 (seed 003): eqs 6, 8-12, 14-15, 18-24, 38.

    Examples
    --------
    >>> import grokdelay as gd
    >>> p = gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=0.5, learning_rate=0.01))
    >>> round(p.t_mem, 3), round(p.t_grok, 3)
    (725.071, 1156.405)
    """

    aspect_ratio: float = param(
        "lambda", Interval(0, math.inf, lo_closed=False, typical=(0.02, 5.0)),
        "d_in / N_train, the ratio of input dimension to training-set size")
    learning_rate: float = param(
        "eta", Interval(0, math.inf, lo_closed=False, typical=(1e-4, 0.1)),
        "learning rate of full-batch gradient descent (times are its steps)")
    threshold: float = param(
        "epsilon", Interval(0, math.inf, lo_closed=False, typical=(1e-6, 0.1)),
        "a sample is correct when its squared error per output is below epsilon", 1e-3)
    weight_decay: float = param(
        "gamma", Interval(0, math.inf, typical=(1e-6, 0.1)),
        "weight decay lambda_wd in S <- S - eta (grad L + lambda_wd S) (seed 003's gamma for "
        "d_out = 1)", 0.0)
    d_out: int = param("d_out", Interval(1, math.inf, integer=True, typical=(1, 40)),
                       "output dimension (eq 12)", 1, kind="integer")
    depth: int = param("L", Interval(1, 2, integer=True),
                       "1: linear perceptron; 2: two-layer linear network (eq 18)", 1,
                       kind="integer")
    init_scale: float = param(
        "alpha", Interval(0, math.inf, typical=(0.1, 3.0)),
        "student initialization scale relative to the teacher's (section 3.1)", 1.0)
    label_noise: float = param(
        "sigma", Interval(0, math.inf, typical=(1e-4, 0.1)),
        "standard deviation of Gaussian noise on the training labels (App. C)", 0.0)
    accuracy: float = param(
        "A", Interval(0, 1, lo_closed=False, hi_closed=False, typical=(0.5, 0.999)),
        "accuracy that defines t_mem and t_grok (eqs 9, 12; default erf(sqrt 2) = 95.4%)",
        _DEFAULT_ACCURACY)
    hidden_width: float = param(
        "d_h", Interval(1, math.inf, typical=(10.0, 1e4), allow_inf=True),
        "hidden width of the two-layer network (depth = 2; used by method 'coupled', "
        "eq 17; inf = eq 18)", math.inf)

    def _check(self) -> None:
        depth2 = np.asarray(self.depth) == 2
        narrow = depth2 & (np.asarray(self.hidden_width) < 2 * np.asarray(self.d_out))
        if np.any(narrow):
            raise ParameterError(
                f"hidden_width = {_describe_first(self.hidden_width, narrow)} with d_out = "
                f"{_describe_first(self.d_out, narrow)} at depth = 2: must be >= 2 d_out "
                "(a narrower network cannot represent the teacher, or its kernel of eq 17 can "
                "vanish)", "hidden_width")
        if np.any(depth2 & (np.asarray(self.weight_decay) > 0)):
            raise ParameterError(
                f"weight_decay = {_describe_first(self.weight_decay, depth2)} with depth = 2: "
                "seed 003 derives weight decay only for the one-layer model (eq 14); use "
                "depth = 1 or weight_decay = 0", "weight_decay")

    # ------------------------------------------------------------------ helpers
    def _setup(self, a):
        shape = a.shape
        m = _model(a)
        m = _Model(*(np.ravel(np.broadcast_to(v, shape)) for v in (
            a.aspect_ratio, a.learning_rate, a.weight_decay, a.d_out, a.depth,
            a.init_scale, a.label_noise)))
        target = np.ravel(np.broadcast_to(_target(a.accuracy, a.threshold, a.d_out), shape))
        return m, target, shape

    @staticmethod
    def _flow_note(m, eta_steps):
        return note_where(2.0 * m.eta0 * (1.0 + np.sqrt(m.lam)) ** 2 >= 1.0,
                          "2 eta0 lambda_+ >= 1: gradient descent steps are too large for the "
                          "gradient-flow theory (and diverge once 2 eta0 lambda_+ >= 2)")

    def _approx_domain(self, name: str, a, allow_wd: bool) -> None:
        if np.any(np.asarray(a.aspect_ratio) >= 1):
            raise ParameterError(
                f"aspect_ratio = {_describe_first(a.aspect_ratio, np.asarray(a.aspect_ratio) >= 1)}"
                f" >= 1: method {name!r} (eqs 10-11, 21-24) needs aspect_ratio in (0, 1); "
                "use method='exact'", "aspect_ratio")
        if np.any(np.asarray(a.label_noise) > 0):
            raise ParameterError(
                f"label_noise > 0: method {name!r} is derived without label noise; use "
                "method='exact'", "label_noise")
        if not allow_wd and np.any(np.asarray(a.weight_decay) > 0):
            raise ParameterError(
                f"weight_decay > 0: method {name!r} (eqs 23-24) is derived without weight decay;"
                " use method='exact' (or 'asymptotic' for eq 15)", "weight_decay")

    # ------------------------------------------------------------------ methods
    @method("exact", default=True,
            summary="root-finding on the exact Marchenko-Pastur averaged accuracies "
                    "(eqs 8, 12, 14/38, 18, 19)")
    def _exact(self, a) -> Outcome:
        return self._exact_outcome(a, coupled=False)

    def _exact_outcome(self, a, coupled: bool) -> Outcome:
        m, target, shape = self._setup(a)
        log_t = np.log(target)
        floors = _floors(m)
        tau_tr = _crossing_times(m, log_t, "tr", floors)
        tau_gen = _crossing_times(m, log_t, "gen", floors)
        extra = {}
        if coupled:
            t_mem, t_grok, extra = self._coupled_steps(a, m, tau_tr, tau_gen)
        else:
            t_mem, t_grok = _steps(tau_tr, m.eta0), _steps(tau_gen, m.eta0)
        t_mem, t_grok = t_mem.reshape(shape), t_grok.reshape(shape)
        extra = {k: v.reshape(shape) for k, v in extra.items()}
        f_tr, f_gen = (v.reshape(shape) for v in floors)
        tgt = target.reshape(shape)
        lam = m.lam.reshape(shape)
        notes = self._flow_note(m, None) + self._depth_notes(a, coupled)
        saddle = _saddle(a)
        notes += note_where(saddle & np.isinf(t_grok), _SADDLE_NOTE)
        never_fit = np.isinf(t_mem) & ~saddle
        notes += note_where(never_fit, _floor_text(
            "training", f_tr, tgt, shape,
            "weight decay and label noise keep the training loss above the target"))
        null = (lam > 1) & np.isinf(t_grok) & ~saddle
        notes += note_where(null, _floor_text(
            "generalization", f_gen, tgt, shape,
            "aspect_ratio > 1: the null space of the training Gram matrix (mass 1 - 1/lambda) "
            "is never learned"))
        other = ~null & ~saddle & np.isinf(t_grok)
        notes += note_where(other, _floor_text(
            "generalization", f_gen, tgt, shape,
            "weight decay / label noise keep the generalization loss above the target"))
        notes += note_where((np.asarray(a.label_noise) > 0) & np.isfinite(t_grok)
                            & (f_gen > tgt),
                            "label noise: generalization accuracy reaches the target, then "
                            "falls back below it as the noise is fitted")
        notes += note_where((t_mem == 0) & (t_grok == 0),
                            "the initial losses are already below the target level: "
                            "t_mem = t_grok = 0")
        with np.errstate(invalid="ignore"):
            delay = np.where(np.isinf(t_grok), np.inf, t_grok - t_mem)
        early = delay < 0
        notes += note_where(early, "label noise: the generalization accuracy reaches the target "
                                   "before the training accuracy does (negative delay; "
                                   "log_delay is reported as -inf)")
        with np.errstate(divide="ignore", invalid="ignore"):
            log_delay = np.where(early, -np.inf, np.log(np.where(early, 1.0, delay)))
        return Outcome(t_mem=t_mem, t_grok=t_grok, units="steps", notes=notes, delay=delay,
                       log_delay=log_delay,
                       extra={"target_loss": tgt, "floor_train": f_tr, "floor_gen": f_gen,
                              **extra})

    @method("coupled", summary="depth 2: eq 17 with the kernel moving at finite hidden_width "
                               "(its h-dot corrected from eq 40); depth 1: as 'exact'")
    def _coupled(self, a) -> Outcome:
        _check_coupled(a.depth, a.label_noise)
        return self._exact_outcome(a, coupled=True)

    @staticmethod
    def _coupled_steps(a, m, tau_tr, tau_gen):
        """Steps to reach the crossing points tau on the clock of the corrected eq 17."""
        shape = a.shape
        f = {k: np.ravel(np.broadcast_to(getattr(a, k), shape)) for k in
             ("aspect_ratio", "learning_rate", "d_out", "depth", "init_scale", "hidden_width")}
        t_mem, t_grok = _steps(tau_tr, m.eta0), _steps(tau_gen, m.eta0)
        k_mem = np.ones(tau_tr.shape)
        k_grok = np.ones(tau_tr.shape)
        deep = np.flatnonzero(f["depth"] == 2)
        if deep.size:
            sub = {k: v[deep] for k, v in f.items()}
            taus = np.stack([tau_tr[deep], tau_gen[deep]])
            finite = np.where(np.isfinite(taus), taus, 0.0)
            kern = _coupled_kernel(sub, np.max(finite, axis=0))
            for i, (t_out, k_out) in enumerate(((t_mem, k_mem), (t_grok, k_grok))):
                u = taus[i]
                steps = kern.clock(np.where(np.isfinite(u), u, 0.0))
                t_out[deep] = np.where(np.isfinite(u), steps, np.inf)
                at = kern.kappa(np.where(np.isfinite(u), u, 0.0))
                k_out[deep] = np.where(sub["init_scale"] == 0, 0.0,
                                       np.where(np.isfinite(u), at, kern.kappa_limit()))
        return t_mem, t_grok, {"kernel_mem": k_mem, "kernel_grok": k_grok}

    @staticmethod
    def _depth_notes(a, coupled: bool) -> list[str]:
        depth = np.asarray(a.depth)
        width = np.asarray(a.hidden_width)
        notes = note_where((depth == 1) & np.isfinite(width),
                           "hidden_width is ignored at depth = 1")
        if coupled:
            notes += note_where((depth == 2) & np.isfinite(width),
                                "coupled: eq 17's kernel drift only; the output kernel's "
                                "anisotropy (O(sqrt(d_out/d_h)) per run) and the run-to-run "
                                "spread of the initial kernel are not modelled")
        else:
            notes += note_where((depth == 2) & np.isfinite(width),
                                "depth 2: eq 18 freezes the kernel (infinite width); "
                                "method='coupled' uses hidden_width")
        return notes

    def _lambert_times(self, a):
        m, target, shape = self._setup(a)
        lo = m.lo
        pref = m.s * 0.5 * (1.0 + m.a2)
        log_c_tr = np.log(pref) - math.log(16.0 * math.sqrt(math.pi)) - 0.75 * np.log(m.lam)
        out = []
        for log_c in (log_c_tr, log_c_tr - np.log(lo)):
            log_z = math.log(2.0 / 3.0) + (2.0 / 3.0) * (log_c + 1.5 * np.log(4.0 * lo)
                                                          - np.log(target))
            tau = 3.0 * _lambertw_exp(log_z) / (8.0 * lo)
            out.append(_steps(tau, m.eta0))
        l0_tr, l0_gen = _initial(m)
        t_mem = np.where(l0_tr <= target, 0.0, out[0])
        t_grok = np.where(l0_gen <= target, 0.0, out[1])
        return m, target, shape, t_mem, t_grok

    @method("lambert_w", summary="eqs 23-24: Lambert-W solutions of the late-time losses "
                                 "(eqs 10, 21), lambda < 1, no weight decay or label noise")
    def _lambert_w(self, a) -> Outcome:
        self._approx_domain("lambert_w", a, allow_wd=False)
        m, target, shape, t_mem, t_grok = self._lambert_times(a)
        notes = ["lambert_w: eqs 23-24 solve the late-time asymptotics (eqs 10, 21) of the "
                 "losses exactly; measured error on the delay vs 'exact': +12% at lambda = 0.9, "
                 "epsilon = 1e-3, within 15% only for 0.5 <= lambda <= 0.95 and epsilon <= "
                 "1e-3, +57% at lambda = 0.05 (docs: validity table)"]
        notes += self._flow_note(m, None) + self._depth_notes(a, False)
        saddle = _saddle(a).ravel()
        notes += note_where(saddle, _SADDLE_NOTE)
        with np.errstate(invalid="ignore"):
            notes += note_where(~saddle & (m.eta0 * t_mem < np.sqrt(m.lam)),
                                "eta0 t_mem < sqrt(lambda): outside the late-time regime of "
                                "eq 10; use method='exact'")
            delay = np.where(np.isinf(t_grok), np.inf, t_grok - t_mem)
        return Outcome(t_mem=t_mem.reshape(shape), t_grok=t_grok.reshape(shape), units="steps",
                       notes=notes, delay=delay.reshape(shape),
                       extra={"target_loss": target.reshape(shape)})

    @method("asymptotic", summary="eq 11 (eq 15 with weight decay): the epsilon -> 0 delay, "
                                  "added to eq 23's t_mem; lambda < 1, no label noise")
    def _asymptotic(self, a) -> Outcome:
        self._approx_domain("asymptotic", a, allow_wd=True)
        m, target, shape, t_mem, _ = self._lambert_times(
            _with(a, weight_decay=np.zeros(a.shape)))
        r = np.sqrt(m.lam)
        wd = m.g > 0
        delay = _steps(np.where(wd, np.log1p(r), -np.log1p(-r)) / (2.0 * (1.0 - r) ** 2),
                       m.eta0)
        f_tr, f_gen = _floors(m)
        never_fit = f_tr >= target
        never = f_gen >= target
        t_mem = np.where(never_fit, np.inf, t_mem)
        t_grok = np.where(never | never_fit, np.inf, t_mem + delay)
        delay = np.where(never | never_fit, np.inf, delay)
        with np.errstate(divide="ignore"):
            log_delay = np.log(delay)
        notes = ["asymptotic: eq 11 is the epsilon -> 0 limit of eqs 23-24 (off by ~2.7x at "
                 "lambda = 0.9, epsilon = 1e-3); use 'exact' for numbers"]
        notes += note_where(wd, "weight decay: eq 15's delay log(1+sqrt(lambda))/(2 eta0 "
                                "(1-sqrt(lambda))^2), stated for epsilon below the weight-decay "
                                "regime; t_mem is eq 23's (weight decay ignored)")
        notes += note_where(never_fit, "training loss floor (exact, weight decay) is above the "
                                       "target: never fits")
        notes += note_where(never & ~never_fit, "generalization loss floor (exact, weight decay; "
                                                "~gamma^2/(8(1-lambda)^3) for small gamma) is "
                                                "above the target: never groks")
        notes += self._flow_note(m, None) + self._depth_notes(a, False)
        notes += note_where(_saddle(a), _SADDLE_NOTE)
        return Outcome(t_mem=t_mem.reshape(shape), t_grok=t_grok.reshape(shape), units="steps",
                       notes=notes, delay=delay.reshape(shape),
                       log_delay=log_delay.reshape(shape),
                       extra={"target_loss": target.reshape(shape)})

# --------------------------------------------------------------------------- helpers


_SADDLE_NOTE = ("depth 2 with init_scale = 0: the student starts at the saddle S0 = S1 = 0, "
                "where the gradient vanishes; gradient flow never leaves it")


def _saddle(a):
    return (np.asarray(a.depth) == 2) & (np.asarray(a.init_scale) == 0)


def _steps(tau, eta0):
    """Optimizer steps t = tau / eta0; 0 stays 0 and eta0 = 0 (a saddle) gives inf."""
    tau = np.asarray(tau, dtype=float)
    eta0 = np.asarray(eta0, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(tau == 0, 0.0, np.where(eta0 > 0, tau / np.where(eta0 > 0, eta0, 1.0),
                                                 np.inf))


def _with(a, **changes):
    from ._core import Broadcast
    vals = dict(a._values)
    vals.update(changes)
    return Broadcast(a.shape, vals)


def _describe_first(value, mask):
    arr = np.asarray(value, dtype=float)
    mask = np.broadcast_to(np.asarray(mask), np.broadcast_shapes(arr.shape, np.shape(mask)))
    arr = np.broadcast_to(arr, mask.shape)
    return f"{float(arr[mask].ravel()[0]):g}" if mask.ndim else f"{float(arr):g}"


def _floor_text(which, floor, target, shape, why):
    if shape == ():
        return (f"never reaches the target: the {which} loss floor {float(floor):.4g} is at or "
                f"above the target loss {float(target):.4g} ({why})")
    return f"never reaches the target: the {which} loss floor is at or above the target ({why})"


def _lambertw_exp(log_z):
    """W(exp(log_z)), principal branch, for any real log_z (no overflow)."""
    log_z = np.asarray(log_z, dtype=float)
    small = log_z < 600
    with np.errstate(over="ignore"):
        w = np.where(small, special.lambertw(np.exp(np.minimum(log_z, 600))).real, 0.0)
    big = ~small
    if np.any(big):
        lz = log_z[big]
        wb = lz - np.log(lz)
        for _ in range(6):      # Newton on w + log w = lz (quadratic; 6 is plenty from here)
            wb = wb - (wb + np.log(wb) - lz) / (1.0 + 1.0 / wb)
        w[big] = wb
    return w

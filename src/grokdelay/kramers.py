r"""Kramers escape from a metastable memorization basin (Analytical Proof notes, section 3).

The training dynamics near the memorization basin are modelled by the overdamped Langevin
equation (Analytical Proof notes, eq 17)

.. math::

    d\theta = -\nabla F(\theta)\,dt + \sqrt{2T_\mathrm{eff}}\,dB_t ,

and grokking is the escape over the saddle between the memorization and the generalization
basins. For :math:`\Delta F \gg T` the mean escape time :math:`\tau` is the Eyring-Kramers
formula (Analytical Proof notes, section 3.3, unnumbered; its leading behaviour is the notes'
eq 15): the Arrhenius factor :math:`e^{\Delta F/T}` times a prefactor of the Hessians at the
minimum and at the saddle (:math:`\lambda_s` the saddle Hessian's one negative eigenvalue), up
to a relative :math:`O(T/\Delta F)`; its closed form is in :mod:`grokdelay._symbolic`,
rendered on the docs page. Everything is computed in log space: ``log_delay`` is exact when
:math:`\tau` overflows float64.

Besides the mechanism :class:`KramersEscape` this module gives the effective temperatures
of the Analytical Proof notes section 3.3 (:func:`sgd_temperature`, :func:`full_batch_temperature`,
:func:`discretized_temperature`), the extensive barrier of section 3.2
(:func:`extensive_barrier`), the inversions of section 4.2
(:func:`implied_barrier_over_temperature`, :func:`log_delay_change`), and the numerical
references the tests use (:func:`mfpt_1d`, :func:`escape_times` and its seed ensemble
:func:`escape_time_ensemble`, :class:`QuarticDoubleWell`).
"""

from __future__ import annotations

import math

import numpy as np

from ._core import (Interval, Outcome, ParameterError, Parameters,
                    method, note_where, param, register)
from ._core import positive_array as _positive
from ._langevin import (QuarticDoubleWell, escape_time_ensemble, escape_times, exit_shift, mfpt_1d,
                        mfpt_1d_mpmath)

__all__ = [
    "KramersEscape",
    "hessian_eigenvalues",
    "log_prefactor",
    "sgd_temperature",
    "full_batch_temperature",
    "discretized_temperature",
    "extensive_barrier",
    "implied_barrier_over_temperature",
    "log_delay_change",
    "QuarticDoubleWell",
    "escape_times",
    "escape_time_ensemble",
    "exit_shift",
    "mfpt_1d",
    "mfpt_1d_mpmath",
]

#: Below this barrier-to-temperature ratio the notes flag the formula as outside its regime.
VALIDITY_RATIO = 5.0


# --------------------------------------------------------------------------- Hessians


def _as_matrix_or_eigs(name: str, value) -> np.ndarray:
    if isinstance(value, str | bytes) or isinstance(value, bool | np.bool_):
        raise ParameterError(f"{name} = {value!r} is not a number, a vector of eigenvalues or "
                             "a symmetric matrix", name)
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} = {value!r} is not a number, a vector of eigenvalues or "
                             "a symmetric matrix", name) from None
    if arr.ndim > 2 or arr.size == 0 or (arr.ndim == 2 and arr.shape[0] != arr.shape[1]):
        raise ParameterError(f"{name} has shape {arr.shape}; give a number, a non-empty vector of "
                             "eigenvalues or a square symmetric matrix", name)
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name} contains a non-finite entry "
                             f"({arr[~np.isfinite(arr)].ravel()[0]!r}); Hessian entries are "
                             "finite real numbers", name)
    if arr.ndim == 2:
        scale = float(np.max(np.abs(arr))) if arr.size else 0.0
        asym = float(np.max(np.abs(arr - arr.T)))
        if asym > 1e-10 * max(scale, np.finfo(float).tiny):
            raise ParameterError(f"{name} is not symmetric: max |H - H^T| = {asym:.3g} (entries up "
                                 f"to {scale:.3g}); a Hessian is a symmetric matrix", name)
    return arr


def hessian_eigenvalues(name: str, value, *, saddle: bool) -> np.ndarray:
    """Validated eigenvalues (ascending) of a Hessian given as number, eigenvalues or matrix.

    ``saddle=False``: positive definite (a non-degenerate minimum). ``saddle=True``: exactly
    one negative eigenvalue and no zero one (a non-degenerate index-1 saddle). Eigenvalues
    within ``16 n eps max|lambda|`` of zero count as zero (the rounding of ``eigvalsh``).

    Raises
    ------
    ParameterError
        Naming ``name``.
    """
    arr = _as_matrix_or_eigs(name, value)
    if arr.ndim == 2:
        eig = np.linalg.eigvalsh(0.5 * (arr + arr.T))
    else:
        eig = np.sort(arr.reshape(-1))
    top = float(np.max(np.abs(eig)))
    tol = 16 * eig.size * np.finfo(float).eps * top
    n_neg = int(np.sum(eig < -tol))
    n_zero = int(np.sum(np.abs(eig) <= tol))
    shown = np.array2string(eig, threshold=6, precision=6)
    if not saddle:
        if n_neg or n_zero:
            raise ParameterError(
                f"{name} has eigenvalues {shown}: the Hessian at the minimum must be positive "
                "definite (all eigenvalues in (0, inf); a flat or unstable direction is not an "
                "isolated minimum)", name)
    else:
        if n_neg != 1 or n_zero:
            raise ParameterError(
                f"{name} has eigenvalues {shown} ({n_neg} negative, {n_zero} zero): the saddle's "
                "Hessian must have exactly one negative eigenvalue and none zero (an index-1 "
                "saddle)", name)
    out = np.array(eig, dtype=float)
    out.setflags(write=False)
    return out


def _convert_hessian(saddle: bool):
    def convert(name: str, value):
        hessian_eigenvalues(name, value, saddle=saddle)  # validate
        arr = np.array(value, dtype=float)
        if arr.ndim == 0:
            return float(arr)
        arr.setflags(write=False)
        return arr

    return convert


def log_prefactor(hessian_min, hessian_saddle) -> float:
    r"""Log of the Eyring-Kramers prefactor :math:`(2\pi/|\lambda_s|)\sqrt{|\det H_s|/\det H_\min}`.

    Computed from the eigenvalues as
    :math:`\log 2\pi - \log|\lambda_s| + \tfrac12(\sum\log|\lambda^s_i| - \sum\log\lambda^\min_i)`,
    so it never over- or underflows. In units of time (of eq 17) when the Hessians are in
    units of the loss per squared parameter.

    Examples
    --------
    >>> import math
    >>> round(math.exp(log_prefactor(8.0, -4.0)), 6)   # (2 pi / 4) sqrt(4 / 8)
    1.110721
    """
    em = hessian_eigenvalues("hessian_min", hessian_min, saddle=False)
    es = hessian_eigenvalues("hessian_saddle", hessian_saddle, saddle=True)
    if em.size != es.size:
        raise ParameterError(f"hessian_saddle has {es.size} eigenvalues but hessian_min has "
                             f"{em.size}: both Hessians live in the same parameter space",
                             "hessian_saddle")
    omega_s = -float(es[0])
    return (math.log(2.0 * math.pi) - math.log(omega_s)
            + 0.5 * (float(np.sum(np.log(np.abs(es)))) - float(np.sum(np.log(em)))))


# --------------------------------------------------------------------------- mechanism


@register("kramers")
class KramersEscape(Parameters):
    r"""Eyring-Kramers escape over a barrier (Analytical Proof notes 3.3; eq 17 dynamics).

    The grokking delay is the mean time for the overdamped Langevin dynamics
    :math:`d\theta = -\nabla F\,dt + \sqrt{2T}\,dB` (Analytical Proof notes, eq 17) to leave the
    memorization minimum for the generalizing basin over an index-1 saddle: the Eyring-Kramers
    time :math:`\tau`, the Arrhenius factor :math:`e^{\Delta F/T}` times a prefactor of the two
    Hessians (:math:`\lambda_s` the saddle Hessian's one negative eigenvalue), and
    :math:`t_\mathrm{grok} = t_\mathrm{mem} + \tau`. The closed form of each method is written
    once, in :mod:`grokdelay._symbolic`: the docs page renders them, and so does
    ``_repr_latex_()`` in a notebook (of the parameters: the default method; of a prediction:
    its method, with its numbers).

    Parameters
    ----------
    barrier : float or array_like
        :math:`\Delta F = F(\theta_s) - F(\theta_\mathcal{M}) \ge 0`.
    temperature : float or array_like
        :math:`T > 0`, the noise temperature of eq 17 (see :func:`sgd_temperature`).
    hessian_min, hessian_saddle : float, array_like
        Hessian of F at the memorization minimum (positive definite) and at the saddle
        (exactly one negative eigenvalue): a number (one dimension), a vector of
        eigenvalues, or a symmetric matrix; same dimension.
    t_mem : float or array_like
        Memorization time, in the units of the output (steps when ``learning_rate`` is given,
        else time); the escape starts there.
    learning_rate : float or array_like, optional
        :math:`\eta`: if given, times are optimizer steps, :math:`\tau/\eta` (one step of
        gradient descent advances eq 17's time by :math:`\eta`); else units are ``"time"``.

    Notes
    -----
    *Meaning of the time.* :math:`\tau` is the mean time to reach the *other basin* (a
    neighbourhood of its minimum; Bovier, Gayrard, Eckhoff and Klein 2004). The mean time to
    first reach the saddle itself is :math:`\tau/2` (a walker on the ridge falls back with
    probability 1/2): method ``"saddle_passage"``.

    *Validity.* Asymptotic in :math:`T/\Delta F \to 0` with a non-degenerate minimum and
    saddle; the relative error is :math:`O(T/\Delta F)`. For the quartic double well
    :math:`\Delta F (x^2-1)^2` the exact mean first-passage time is
    :math:`\tau\,(1 + \tfrac38 T/\Delta F + O((T/\Delta F)^2))` (Laplace expansion; the
    tests confirm it by quadrature). Notes flag :math:`\Delta F/T < 5`; below 1 a
    :class:`~grokdelay.GrokdelayWarning` is raised too. The formula also assumes the basin
    equilibrates before escaping (relaxation time :math:`1/\lambda_\min(H_\min) \ll \tau`).

    *Overflow.* ``delay`` is computed as :math:`\tau` itself (no cancellation against
    ``t_mem``) and ``log_delay`` as :math:`\log\tau`, both in log space; when :math:`\tau`
    exceeds float64, ``delay = t_grok = inf`` with a note and ``log_delay`` stays exact.

    References
    ----------
    The unpublished notes "Analytical Proof of Grokking Delay", sections 3.2-3.3 (eq 17, the Kramers
    formula), 4.2. H. A. Kramers, Physica 7, 284 (1940). A. Bovier, M. Eckhoff, V. Gayrard,
    M. Klein, J. Eur. Math. Soc. 6, 399 (2004) (the Eyring-Kramers formula in many dimensions).

    Examples
    --------
    >>> import grokdelay as gd
    >>> p = gd.predict_delay(gd.KramersEscape(barrier=1.0, temperature=0.1,
    ...                                       hessian_min=8.0, hessian_saddle=-4.0))
    >>> round(p.delay, 2)                     # (2 pi / 4) sqrt(4 / 8) e^10
    24465.25
    >>> p = gd.KramersEscape(barrier=1e4, temperature=1.0, hessian_min=8.0,
    ...                      hessian_saddle=-4.0).predict()
    >>> p.delay, round(p.log_delay, 6)        # exp(1e4) overflows; its log does not
    (inf, 10000.105009)
    """

    barrier: float = param(
        "ΔF", Interval(0, math.inf, hi_closed=False, typical=(1e-2, 1e3)),
        "free-energy barrier F(saddle) - F(memorization minimum)")
    temperature: float = param(
        "T", Interval(0, math.inf, lo_closed=False, hi_closed=False, typical=(1e-3, 10.0)),
        "effective temperature of the Langevin noise (Analytical Proof notes, eq 17)")
    hessian_min: object = param(
        "H_min", Interval(0, math.inf, lo_closed=False),
        "Hessian of F at the memorization minimum: a positive number, eigenvalues or a "
        "positive-definite symmetric matrix",
        kind="custom", convert=_convert_hessian(saddle=False),
        examples=(8.0, 0.5, [8.0, 1.0, 2.0], [[8.0, 1.0, 0.0], [1.0, 3.0, 0.0], [0.0, 0.0, 2.0]]),
        invalid_examples=(0.0, -1.0, [8.0, -1.0], [[1.0, 2.0], [0.0, 1.0]], [], "abc",
                          float("nan"), [[1.0, 0.0], [0.0, 0.0]]),
        cli_help="a number, comma-separated eigenvalues, or a JSON matrix")
    hessian_saddle: object = param(
        "H_s", Interval(-math.inf, math.inf),
        "Hessian of F at the saddle: a negative number, eigenvalues or a symmetric matrix with "
        "exactly one negative eigenvalue",
        kind="custom", convert=_convert_hessian(saddle=True),
        examples=(-4.0, -1e3, [-4.0, 1.0, 2.0],
                  [[-4.0, 0.5, 0.0], [0.5, 2.0, 0.0], [0.0, 0.0, 1.0]]),
        invalid_examples=(4.0, 0.0, [-1.0, -2.0], [-1.0, 0.0], [[-1.0, 2.0], [0.0, 1.0]], [],
                          "abc", float("inf")),
        cli_help="a number, comma-separated eigenvalues, or a JSON matrix")
    t_mem: float = param(
        "t_mem", Interval(0, math.inf, hi_closed=False, typical=(0.0, 1e4)),
        "memorization time, where the escape starts (steps if learning_rate is given, else time)",
        0.0)
    learning_rate: float = param(
        "η", Interval(0, math.inf, lo_closed=False, hi_closed=False, typical=(1e-5, 1.0)),
        "learning rate; if given, times are optimizer steps tau / eta, else continuous time",
        None, optional=True)

    def _check(self) -> None:
        log_prefactor(self.hessian_min, self.hessian_saddle)  # dimension match -> error

    @property
    def log_prefactor(self) -> float:
        r"""Log of :math:`(2\pi/|\lambda_s|)\sqrt{|\det H_s|/\det H_\min}` (time units)."""
        return log_prefactor(self.hessian_min, self.hessian_saddle)

    @property
    def omega_saddle(self) -> float:
        r""":math:`|\lambda_s|`, the magnitude of the saddle's negative eigenvalue."""
        return -float(hessian_eigenvalues("hessian_saddle", self.hessian_saddle, saddle=True)[0])

    def _escape(self, a, log_shift: float, what: str) -> Outcome:
        with np.errstate(divide="ignore"):
            ratio = a.barrier / a.temperature
        log_tau = self.log_prefactor + log_shift + ratio
        units = "time"
        if a.learning_rate is not None:
            log_tau = log_tau - np.log(a.learning_rate)
            units = "steps"
        with np.errstate(over="ignore"):
            tau = np.exp(log_tau)
            t_grok = a.t_mem + tau
        notes = [f"Eyring-Kramers {what} (Analytical Proof notes, 3.3): asymptotic in T/barrier -> 0, "
                 "relative error O(T/barrier)"]
        notes += note_where(ratio < VALIDITY_RATIO,
                            f"barrier / temperature < {VALIDITY_RATIO:g}: outside the formula's "
                            "regime (needs barrier >> T); the O(T/barrier) error is large")
        notes += note_where(np.isinf(tau),
                            "the escape time exceeds the float64 range: delay and t_grok are inf "
                            "(the escape does happen); log_delay is exact")
        warn = ["barrier / temperature < 1: the Eyring-Kramers formula assumes a high barrier; "
                "its value is only indicative here"] if np.any(ratio < 1.0) else []
        return Outcome(t_mem=a.t_mem, t_grok=t_grok, units=units, notes=notes, delay=tau,
                       log_delay=log_tau, warnings=warn,
                       extra={"barrier_over_temperature": ratio,
                              "log_prefactor": self.log_prefactor + log_shift,
                              "omega_saddle": self.omega_saddle})

    @method("eyring_kramers", default=True,
            summary="tau = (2 pi / omega_s) sqrt(abs(det H_s) / det H_min) exp(barrier / T), "
                    "mean time to reach the other basin (log space)")
    def _eyring_kramers(self, a) -> Outcome:
        """Mean time to reach the other basin."""
        return self._escape(a, 0.0, "escape time to the other basin")

    @method("saddle_passage",
            summary="tau / 2: mean time to first reach the saddle (same asymptotics)")
    def _saddle_passage(self, a) -> Outcome:
        """Mean time to first reach the saddle, half the escape time."""
        return self._escape(a, -math.log(2.0), "first-passage time to the saddle (tau / 2)")

# --------------------------------------------------------------------------- temperatures


def _out(x):
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x


def sgd_temperature(learning_rate, grad_cov_trace, batch_size, dimension=None):
    r"""Mini-batch SGD temperature :math:`T = \eta\,\mathrm{tr}(\Sigma)/(2B)` (notes, 3.3).

    One SGD step :math:`\theta \leftarrow \theta - \eta(\nabla F + \xi)`,
    :math:`\mathrm{Cov}\,\xi = \Sigma/B`, advances eq 17's time by :math:`dt = \eta` and adds
    noise of covariance :math:`\eta^2\Sigma/B = 2T\,dt`: so :math:`T = \eta\Sigma/(2B)` as a
    matrix. The notes' scalar takes the trace. A scalar temperature in eq 17 means isotropic
    noise; the per-coordinate value is :math:`\eta\,\mathrm{tr}(\Sigma)/(2BP)`, returned
    when ``dimension`` P is given (the notes' trace form is P times larger, which cancels the
    extensivity of :math:`\Delta F = cP` in :math:`\Delta F/T`).

    Parameters
    ----------
    learning_rate : float or array_like
        :math:`\eta > 0`.
    grad_cov_trace : float or array_like
        :math:`\mathrm{tr}\,\mathrm{Cov}[\nabla\ell_i] \ge 0` of the per-sample gradients.
    batch_size : float or array_like
        :math:`B \ge 1`.
    dimension : int, optional
        P: divide by it for the isotropic per-coordinate temperature.

    Examples
    --------
    >>> sgd_temperature(0.1, 4.0, 8)
    0.025
    """
    eta = _positive("learning_rate", learning_rate)
    tr = _positive("grad_cov_trace", grad_cov_trace, allow_zero=True)
    b = _positive("batch_size", batch_size)
    if np.any(b < 1):
        raise ParameterError(f"batch_size = {batch_size!r} is outside its domain [1, inf)",
                             "batch_size")
    t = eta * tr / (2.0 * b)
    if dimension is not None:
        t = t / _positive("dimension", dimension)
    return _out(t)


def full_batch_temperature(learning_rate, hessian_trace, scale):
    r"""Full-batch "discretization" temperature :math:`T = s\,\eta^2\,\mathrm{tr}\,H` (notes 3.3).

    The Analytical Proof notes give only :math:`T_\mathrm{eff}\propto\eta^2\,\mathrm{tr}(\nabla^2
    F)`. The constant ``scale`` s cannot be derived from the deterministic dynamics and must be
    supplied (no default):

    * dimensions: :math:`\eta` has units :math:`[\theta]^2/[F]`, so
      :math:`\eta^2\,\mathrm{tr}H` has units :math:`[\theta]^2/[F]`, not :math:`[F]`; s
      carries units :math:`[F]^2/[\theta]^4`;
    * full-batch gradient descent with :math:`\eta\lambda_{\max} < 2` converges to a strict
      minimum and never leaves it; its modified equation
      :math:`\dot\theta = -\nabla(F + \tfrac{\eta}{4}|\nabla F|^2)` (Barrett and Dherin
      2021) keeps every critical point and the barrier height, and has no diffusion term.

    The one derivable :math:`\eta^2\,\mathrm{tr}H` term is the correction to an existing
    noise temperature :math:`T_0` from discretizing it (:func:`discretized_temperature`):
    :math:`T = T_0/(1-\eta h/2) = T_0 + T_0\eta h/2 + O(\eta^2)` per mode of curvature h,
    i.e. :math:`s = T_0/(2\eta P)` averaged over P modes; with :math:`T_0` from
    :func:`sgd_temperature` that is :math:`s = \mathrm{tr}\Sigma/(4BP)`. Use that, or
    calibrate s on one observed run (which makes predictions for that run circular).

    Examples
    --------
    >>> full_batch_temperature(1e-3, 2.0, scale=1.0)
    2e-06
    """
    eta = _positive("learning_rate", learning_rate)
    tr = _positive("hessian_trace", hessian_trace)
    s = _positive("scale", scale)
    return _out(s * eta * eta * tr)


def discretized_temperature(temperature, learning_rate, curvature):
    r"""Temperature realised by the discrete chain :math:`\theta \leftarrow \theta - \eta h\theta + \sqrt{2T\eta}\,\xi`.

    Exact for a quadratic mode of curvature h: the stationary variance of the linear
    recursion is :math:`2T\eta/(1-(1-\eta h)^2) = T/(h(1-\eta h/2))`, the Boltzmann variance
    of the temperature :math:`T/(1 - \eta h/2)`. This is the Euler-Maruyama (and SGD)
    discretization bias, the :math:`\eta^2\,\mathrm{tr}H` term of the Analytical Proof notes
    section 3.3. ``inf`` when :math:`\eta h \ge 2` (the recursion diverges).

    Examples
    --------
    >>> discretized_temperature(1.0, 0.1, 2.0)     # 1 / (1 - 0.1)
    1.1111111111111112
    """
    t = _positive("temperature", temperature)
    eta = _positive("learning_rate", learning_rate)
    h = _positive("curvature", curvature)
    denom = 1.0 - eta * h / 2.0
    with np.errstate(divide="ignore"):
        return _out(np.where(denom > 0, t / np.where(denom > 0, denom, 1.0), np.inf))


def extensive_barrier(n_params, per_parameter):
    r"""The extensive barrier :math:`\Delta F = cP` of the notes' section 3.2 (c per parameter).

    The Analytical Proof notes prove only :math:`\Delta F = \Omega(P)` and computes no c (section
    5.2). For its network :math:`P = N(d+1) = 512\cdot(2\cdot97+1) = 99840` (section 1.1).

    Examples
    --------
    >>> extensive_barrier(99840, 1e-3)
    99.84
    """
    p = _positive("n_params", n_params)
    c = _positive("per_parameter", per_parameter, allow_zero=True)
    return _out(c * p)


def implied_barrier_over_temperature(delay, prefactor=1.0):
    r"""The :math:`\Delta F/T` implied by an observed delay: :math:`\log(\tau/\tau_0)`.

    Inverts :math:`\tau = \tau_0 e^{\Delta F/T}` exactly. The Analytical Proof notes section 4.2
    takes
    :math:`\tau/\tau_0 = t_\mathrm{grok}/t_\mathrm{mem} = 73`, i.e. the prefactor
    :math:`\tau_0 = t_\mathrm{mem}`, and finds :math:`\ln 73 \approx 4.3`. With Hessians use
    ``prefactor = exp(log_prefactor(H_min, H_s)) / learning_rate`` (in steps).

    Examples
    --------
    >>> round(implied_barrier_over_temperature(73.0), 4)
    4.2905
    """
    d = _positive("delay", delay)
    p0 = _positive("prefactor", prefactor)
    return _out(np.log(d) - np.log(p0))


def log_delay_change(barrier_over_temperature, learning_rate_factor=1.0,
                     weight_decay_factor=1.0, *, regime="sgd", barrier_exponent=1.0,
                     units="steps"):
    r"""Change of :math:`\log\tau` when :math:`\eta \to f_\eta\eta` and :math:`\lambda \to f_\lambda\lambda`.

    Under the stated assumptions (exact, not linearized):

    * barrier :math:`\Delta F \propto \lambda^b` (``barrier_exponent`` b; the notes' 3.2 step 3
      gives the norm barrier :math:`\lambda(\|\theta_s\|^2 - \|\theta_\mathcal{M}\|^2)`,
      b = 1; the library's ``weight_decay`` is twice the notes' :math:`\lambda`, which does
      not change ratios);
    * temperature :math:`T\propto\eta` (``regime="sgd"``, :func:`sgd_temperature`) or
      :math:`T\propto\eta^2` (``"full_batch"``, :func:`full_batch_temperature`), noise
      covariance and Hessian trace held fixed;
    * Hessians, hence the prefactor in time units, unchanged; in steps the prefactor gains
      :math:`1/\eta`.

    .. math::

        \Delta\log\tau = \frac{\Delta F}{T}\Big(\frac{f_\lambda^{\,b}}{f_\eta^{\,k}} - 1\Big)
                         - [\text{steps}]\,\log f_\eta,\qquad k = 1 \text{ or } 2.

    Note that b = 1 makes the delay *grow* with weight decay, against the Analytical Proof notes'
    4.2 ("large lambda lowers Delta F"); pass a negative ``barrier_exponent`` to model that claim.

    Examples
    --------
    >>> round(log_delay_change(4.29, learning_rate_factor=2.0, regime="sgd"), 4)
    -2.8381
    """
    x = _positive("barrier_over_temperature", barrier_over_temperature, allow_zero=True)
    fe = _positive("learning_rate_factor", learning_rate_factor)
    fl = _positive("weight_decay_factor", weight_decay_factor)
    if regime not in ("sgd", "full_batch"):
        raise ParameterError(f"regime = {regime!r} is not one of 'sgd', 'full_batch'", "regime")
    if units not in ("steps", "time"):
        raise ParameterError(f"units = {units!r} is not one of 'steps', 'time'", "units")
    b = float(barrier_exponent)
    if not math.isfinite(b):
        raise ParameterError(f"barrier_exponent = {barrier_exponent!r} is not finite",
                             "barrier_exponent")
    k = 1.0 if regime == "sgd" else 2.0
    change = x * (fl ** b / fe ** k - 1.0)
    if units == "steps":
        change = change - np.log(fe)
    return _out(change)

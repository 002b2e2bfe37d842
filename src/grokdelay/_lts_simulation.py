r"""Numerical cross-checks of the linear teacher-student mechanism (Levi et al. 2023).

Two computations that share no formula with the closed forms of
:mod:`grokdelay.linear_teacher_student`:

* :func:`simulate_gradient_descent`: full-batch gradient descent on sampled Gaussian data
  at a finite input dimension ``d_in`` (Levi et al. 2023, eq 3; eq 13 with weight decay), in
  discrete optimizer steps. Inputs :math:`x_i \sim \mathcal N(0, I)`, teacher and student
  entries :math:`\mathcal N(0, 1/(2 d_\mathrm{in} d_\mathrm{out}))` (the student scaled by
  ``init_scale``), labels :math:`y_i = T^\top x_i + \delta_i` with
  :math:`\delta_i \sim \mathcal N(0, \sigma^2 I)`. The step is the library's convention

  .. math::

      S \leftarrow S - \eta\,\bigl(\nabla_S \mathcal L_\mathrm{tr} + \gamma S\bigr), \qquad
      \mathcal L_\mathrm{tr} = \frac{1}{N d_\mathrm{out}} \sum_i \|S^\top x_i - y_i\|^2,
      \qquad \mathcal L_\mathrm{gen} = \frac{1}{d_\mathrm{out}}\|S - T\|_F^2,

  which is Levi et al.'s eq 13 for ``d_out = 1`` (its eq 3 divides the weight decay by
  ``d_out`` as well; the library does not, see the Notes of :func:`simulate_gradient_descent`).
  ``method="eigen"`` (default) runs the *same* iteration in the eigenbasis of the sampled
  training covariance, where each mode is an affine scalar recursion solved exactly, so a
  run of 10^6 steps at ``d_in = 1000`` takes well under a second; ``method="direct"``
  iterates the matrices step by step (the reference for the eigenbasis trick, and the only
  option for the two-layer network, ``depth = 2``).

* :func:`integrate_gradient_flow`: the gradient-flow ODE of the mode amplitudes integrated by
  :func:`scipy.integrate.solve_ivp` on a sampled Marchenko-Pastur spectrum, under the
  paper's equal-projection approximation (eq 36). No exponential solution (eq 33) and no
  MP integral is used: the losses are averages over the integrated modes.

Both report the first-passage times exactly as the library defines them: ``t_mem`` and
``t_grok`` are the first times the training and the generalization accuracy reach
``accuracy``, the accuracy being the large-sample function of the loss of eq 9 / eq 12,
:math:`\mathcal A = P(d_\mathrm{out}/2,\, d_\mathrm{out}\epsilon / (2\mathcal L))`
(regularized lower incomplete gamma; :math:`\mathrm{erf}\sqrt{\epsilon/(2\mathcal L)}` for
``d_out = 1``). That is the loss level
:math:`\mathcal L^* = d_\mathrm{out}\,\epsilon / (2 P^{-1}(d_\mathrm{out}/2, \mathcal A^*))`,
``threshold / 4`` by default. Gradient descent gives integer steps (the first step at which
the accuracy is reached); gradient flow gives continuous time in units of steps
(:math:`t = k`, :math:`\eta_0 = \eta`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._core import ParameterError, Parameters, as_params
from ._lts_closed_forms import accuracy_of_log_loss, target_loss_level
from ._marchenko_pastur import sample_mp_spectrum

__all__ = [
    "GradientDescentRun",
    "GradientFlowRun",
    "simulate_gradient_descent",
    "gradient_descent_ensemble",
    "integrate_gradient_flow",
    "scalar_inputs",
    "accuracy_from_loss",
    "first_passage",
]

_MECHANISM = "linear_teacher_student"
_DEFAULT_HIDDEN = 200     # two-layer width simulated when the parameters leave it at inf


def scalar_inputs(params: Any, overrides: Mapping[str, Any], *,
                  caller: str = "a simulation") -> dict[str, Any]:
    """The inputs of one simulated point, validated by the mechanism's own declarations.

    ``params`` is a :class:`~grokdelay.LinearTeacherStudent`, its mapping form or None;
    keyword ``overrides`` replace or supply fields. The point is built through the core's
    registry, so every field (``hidden_width`` included) is checked against its declared
    domain and the cross-field rules, exactly as for ``predict_delay``; a simulation then
    needs every field to be a scalar.
    """
    if params is None:
        data: dict[str, Any] = {}
    elif isinstance(params, Mapping):
        data = dict(params)
        if data.pop("mechanism", _MECHANISM) != _MECHANISM:
            raise ParameterError(f"mechanism = {params['mechanism']!r}: {caller} simulates "
                                 f"{_MECHANISM}", "mechanism")
    elif isinstance(params, Parameters) and params.name == _MECHANISM:
        data = {f.name: getattr(params, f.name) for f in dataclasses.fields(params)}
    else:
        raise TypeError(f"{caller} takes LinearTeacherStudent parameters, a mapping of them or "
                        f"None, got {type(params).__name__}")
    data.update(overrides)
    p = as_params({"mechanism": _MECHANISM, **data}, caller)
    values = {f.name: getattr(p, f.name) for f in dataclasses.fields(p)}
    for name, v in values.items():
        if np.ndim(v) != 0:
            raise ParameterError(f"{name} = {v!r}: {caller} takes scalar parameters; loop over "
                                 "the points of a sweep", name)
    return values


def accuracy_from_loss(loss, threshold: float, d_out: int = 1):
    r"""Large-sample accuracy as a function of the loss, eq 9 (``d_out = 1``) and eq 12.

    :math:`\mathcal A = P(d/2, d\epsilon/(2\mathcal L))`, the probability that the mean
    squared error per output of a Gaussian residual of variance :math:`\mathcal L` per
    output is at most :math:`\epsilon`. A zero loss gives 1, an infinite loss 0.
    """
    with np.errstate(divide="ignore"):
        return accuracy_of_log_loss(np.log(np.asarray(loss, dtype=float)), threshold, d_out)


def first_passage(times, values, level, *, below: bool = True) -> float:
    """The first entry of ``times`` at which ``values <= level`` (``>=`` if not ``below``).

    ``inf`` if it never happens within the record.
    """
    values = np.asarray(values, dtype=float)
    hit = values <= level if below else values >= level
    idx = np.flatnonzero(hit)
    return float(np.asarray(times, dtype=float)[idx[0]]) if idx.size else math.inf


# --------------------------------------------------------------------------- gradient descent


@dataclasses.dataclass(frozen=True)
class GradientDescentRun:
    """One simulated gradient-descent run (see :func:`simulate_gradient_descent`).

    Attributes
    ----------
    steps : ndarray of int
        The recorded optimizer steps (every step up to 256, then geometrically spaced with
        ratio ~1 + 1/256, up to 1.5 times the later crossing or ``max_steps``; every step
        for ``method="direct"``).
    train_loss, gen_loss : ndarray
        The losses at ``steps`` (eq 1 with label noise; eq 2, the exact population loss).
    train_accuracy, gen_accuracy : ndarray
        The large-sample accuracies of eq 9 / eq 12 at those losses.
    t_mem, t_grok : float
        First optimizer step at which the training / generalization accuracy reaches the
        target (found exactly, step by step, not just on the record); ``inf`` if not
        within ``max_steps``.
    level : float
        The loss level equivalent to the accuracy target.
    d_in, n_train : int
        Input dimension and number of training samples (``round(d_in / aspect_ratio)``).
    eigenvalues : ndarray
        Spectrum of the sampled training covariance (eigenbasis method; empty otherwise).
    empirical : dict
        With ``empirical_at``: ``{"steps", "train_accuracy", "test_accuracy"}``, the
        fractions of training / fresh test points whose mean squared error per output is at
        most ``threshold`` (what an experiment measures).
    """

    steps: np.ndarray
    train_loss: np.ndarray
    gen_loss: np.ndarray
    train_accuracy: np.ndarray
    gen_accuracy: np.ndarray
    t_mem: float
    t_grok: float
    level: float
    d_in: int
    n_train: int
    eigenvalues: np.ndarray
    empirical: dict = dataclasses.field(default_factory=dict)

    @property
    def delay(self) -> float:
        """t_grok - t_mem (inf when the run never generalizes)."""
        return math.inf if math.isinf(self.t_grok) else self.t_grok - self.t_mem


def _record_grid(max_steps: int) -> np.ndarray:
    """Every step up to 256, then geometric with ratio ~1 + 1/256, ending at max_steps."""
    dense = np.arange(0, min(max_steps, 256) + 1)
    if max_steps <= 256:
        return dense
    n_geo = int(math.ceil(math.log(max_steps / 256) / math.log1p(1 / 256)))
    geo = np.unique(np.round(256 * np.exp(np.arange(1, n_geo + 1) * math.log1p(1 / 256))))
    geo = geo[(geo > 256) & (geo < max_steps)]
    return np.concatenate([dense, geo.astype(np.int64), [max_steps]])


def _powers(r: np.ndarray, k: np.ndarray) -> np.ndarray:
    """r[None, :] ** k[:, None] for integer k >= 0 (exp/log: ~4x faster than power)."""
    k = np.asarray(k, dtype=float)[:, None]
    with np.errstate(divide="ignore", under="ignore", over="ignore", invalid="ignore"):
        if np.all(r > 0):  # the usual case: eta * rate < 1 for every mode
            return np.exp(k * np.log(r)[None, :])
        logabs = np.log(np.abs(r))[None, :]
        p = np.exp(k * logabs)
        p = np.where(k == 0, 1.0, p)  # 0 * log(0) = nan
        odd = (np.mod(k, 2) == 1) & (r[None, :] < 0)
        return np.where(odd, -p, p)


class _AffineModes:
    """Exact discrete GD in the eigenbasis: per mode d_k = d* + r^k (d_0 - d*).

    Only per-mode sums over output columns are kept, so a loss at K steps costs
    O(K * d_in) whatever d_out is.
    """

    def __init__(self, nu, r, d_star, e, b, d_out, noise_sq_over_n):
        self.r = r
        self.d_out = d_out
        a_ = np.sum(d_star ** 2, axis=1)
        b_ = np.sum(d_star * e, axis=1)
        c_ = np.sum(e ** 2, axis=1)
        db = np.sum(d_star * b, axis=1)
        eb = np.sum(e * b, axis=1)
        # gen = sum_ij d^2 / d_out;  train = (sum_ij nu d^2 - 2 d b) / d_out + |delta|^2/(N d_out)
        self.gen = (a_.sum(), 2 * b_, c_)
        self.train = ((nu * a_).sum() - 2 * db.sum() + noise_sq_over_n,
                      2 * nu * b_ - 2 * eb, nu * c_)

    def losses(self, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = _powers(self.r, k)
        with np.errstate(under="ignore", over="ignore", invalid="ignore"):
            p2 = p * p
            out = []
            for c0, c1, c2 in (self.train, self.gen):
                out.append((c0 + p @ c1 + p2 @ c2) / self.d_out)
        return out[0], out[1]


def _first_step(k_grid, values, level, fn) -> float:
    """First integer step with value <= level: on the grid, then refined step by step."""
    idx = np.flatnonzero(values <= level)
    if not idx.size:
        return math.inf
    j = int(idx[0])
    if j == 0 or k_grid[j] - k_grid[j - 1] == 1:
        return float(k_grid[j])
    ks = np.arange(k_grid[j - 1] + 1, k_grid[j] + 1)
    inner = np.flatnonzero(fn(ks) <= level)
    return float(ks[inner[0]])


def _sample_problem(p, d_in, seed, hidden):
    rng = np.random.default_rng(seed)
    d_out = p["d_out"]
    n_train = max(1, int(round(d_in / p["aspect_ratio"])))
    x = rng.standard_normal((n_train, d_in))
    noise = p["label_noise"] * rng.standard_normal((n_train, d_out))
    if p["depth"] == 1:
        sd = math.sqrt(1.0 / (2 * d_in * d_out))
        teacher = sd * rng.standard_normal((d_in, d_out))
        student = p["init_scale"] * sd * rng.standard_normal((d_in, d_out))
        return x, noise, teacher, student, n_train
    h = hidden
    s0, s1 = math.sqrt(1.0 / (2 * d_in * h)), math.sqrt(1.0 / (2 * d_out * h))
    t0, t1 = s0 * rng.standard_normal((d_in, h)), s1 * rng.standard_normal((h, d_out))
    # init_scale multiplies the student's end-to-end map S0 S1 (each layer by its sqrt).
    a = math.sqrt(p["init_scale"])
    w0, w1 = a * s0 * rng.standard_normal((d_in, h)), a * s1 * rng.standard_normal((h, d_out))
    return x, noise, (t0, t1), (w0, w1), n_train


def _simulated_width(p) -> int:
    """The hidden width a two-layer simulation uses: ``hidden_width``, or a stand-in for inf."""
    dh = p["hidden_width"]
    if math.isinf(dh):
        return max(_DEFAULT_HIDDEN, 2 * p["d_out"])
    if dh != int(dh):
        raise ParameterError(f"hidden_width = {dh:g}: a simulated network needs an integer "
                             "width", "hidden_width")
    return int(dh)


def simulate_gradient_descent(params=None, *, d_in: int = 1000, seed: int = 0,
                              max_steps: int = 10 ** 7, method: str = "eigen",
                              hidden: int | None = None, empirical_at=None, n_test: int = 2000,
                              data: str = "gaussian", **overrides) -> GradientDescentRun:
    r"""Full-batch gradient descent on sampled Gaussian data at finite ``d_in`` (eq 3 / 13).

    Parameters
    ----------
    params : LinearTeacherStudent, mapping, or None
        The point to simulate; keyword ``overrides`` replace or supply any of its fields.
        Validated by the mechanism's declarations (:func:`scalar_inputs`); every field must
        be a scalar.
    d_in : int
        Input dimension; ``N_train = round(d_in / aspect_ratio)``.
    seed : int
        Seed of the data, teacher, student and label noise.
    max_steps : int
        Horizon; a target not reached by then gives ``inf``.
    method : {"eigen", "direct"}
        ``"eigen"``: the iteration solved exactly mode by mode in the eigenbasis of the
        sampled covariance (one SVD, then O(d_in) per evaluated step). ``"direct"``: the
        matrices iterated one step at a time for ``max_steps`` steps (required for
        ``depth = 2``; keep ``max_steps`` modest).
    hidden : int, optional
        Hidden width of the two-layer network (``depth = 2``), the same as the
        ``hidden_width`` field (give one of them). Default: ``hidden_width``, or
        ``max(200, 2 d_out)`` when that is ``inf`` (eq 18's infinite width).
    data : {"gaussian", "bidiagonal"}
        ``"gaussian"``: sample the N x d_in data matrix, teacher, student and noise, and
        diagonalize the Gram matrix (O(N d_in^2)). ``"bidiagonal"``: the same run in law at
        O(d_in^2) cost: the Gram spectrum from the Dumitriu-Edelman bidiagonal model of the
        real Wishart matrix (Dumitriu and Edelman 2002, J. Math. Phys. 43, 5830), and, since
        the eigenvectors are Haar-distributed and the initial student, teacher and noise are
        isotropic Gaussians, their projections on the eigenbasis as independent Gaussians.
        Use it for many-seed statistics at large ``d_in``.
    empirical_at : array_like of int, optional
        Steps at which to also measure the empirical accuracies on the training set and on
        ``n_test`` fresh points (eigenbasis method only).

    Returns
    -------
    GradientDescentRun

    Notes
    -----
    Conventions: the step is :math:`S \leftarrow S - \eta(\nabla\mathcal L_\mathrm{tr} +
    \gamma S)` with :math:`\nabla_S \mathcal L_\mathrm{tr} = (2/d_\mathrm{out})(\Sigma D -
    X^\top\delta/N)`. For ``d_out = 1`` this is Levi et al.'s eq 13 exactly; eq 3 writes the
    decay term as :math:`\eta\gamma/d_\mathrm{out}`, i.e. the paper's :math:`\gamma` is
    ``d_out * weight_decay``. Label noise is kept in the gradient (the real least-squares
    problem); Levi et al.'s App. C drops it, which is exact only on average over the noise:
    at finite noise the fit absorbs part of it, the training loss tends to
    :math:`\sigma^2(1-\lambda)` and the population loss to :math:`\sigma^2\lambda/(1-\lambda)`
    for lambda < 1 (the classical least-squares values), not to :math:`\sigma^2` and 0.
    ``label_noise`` is the noise standard deviation :math:`\sigma` per output (as in
    :class:`~grokdelay.LinearTeacherStudent`).

    For ``depth = 2`` both layers are trained (weight decay on both) and
    ``init_scale`` multiplies the initial end-to-end student map.

    Examples
    --------
    >>> run = simulate_gradient_descent(aspect_ratio=0.5, learning_rate=0.01, d_in=200)
    >>> 0 < run.t_mem < run.t_grok < 10_000
    True
    """
    if hidden is not None:
        if "hidden_width" in overrides or (params is not None and math.isfinite(
                (params.get("hidden_width", math.inf) if isinstance(params, Mapping)
                 else getattr(params, "hidden_width", math.inf)))):
            raise ParameterError(f"hidden = {hidden!r} and hidden_width both given: give the "
                                 "width once (hidden_width)", "hidden")
        overrides = {**overrides, "hidden_width": hidden}
    p = scalar_inputs(params, overrides)
    hidden = _simulated_width(p)
    if method not in ("eigen", "direct"):
        raise ParameterError(f"method = {method!r} is not 'eigen' or 'direct'", "method")
    if p["depth"] == 2 and method != "direct":
        method = "direct"
    if int(d_in) != d_in or d_in < 1:
        raise ParameterError(f"d_in = {d_in!r} must be an integer >= 1", "d_in")
    d_in = int(d_in)
    level = target_loss_level(p["threshold"], p["accuracy"], p["d_out"])
    if data not in ("gaussian", "bidiagonal"):
        raise ParameterError(f"data = {data!r} is not 'gaussian' or 'bidiagonal'", "data")
    if data == "bidiagonal" and method == "direct":
        raise ParameterError("data = 'bidiagonal' samples the spectrum only: use "
                             "method='eigen' (or data='gaussian')", "data")
    if data == "bidiagonal":
        n_train = max(1, int(round(d_in / p["aspect_ratio"])))
    else:
        x, noise, teacher, student, n_train = _sample_problem(p, d_in, seed, hidden)
    if method == "direct":
        return _direct(p, x, noise, teacher, student, n_train, d_in, max_steps, level)

    eta, wd, d_out = p["learning_rate"], p["weight_decay"], p["d_out"]
    if data == "bidiagonal":
        if empirical_at is not None:
            raise ParameterError("empirical_at needs the data matrix: use data='gaussian'",
                                 "empirical_at")
        nu, d0, tb, b, noise_sq = _bidiagonal_problem(p, d_in, n_train, seed)
        x = vt = None
    else:
        # Eigenbasis of the sampled covariance. eigh of the d_in x d_in Gram matrix is far
        # cheaper than an SVD of X when N >> d_in; the null space (lambda > 1) comes out as
        # eigenvalues ~ 1e-16 * nu_max, set to exactly 0 (no gradient moves those modes).
        nu, v = np.linalg.eigh(x.T @ x / n_train)
        null = nu <= 1e-10 * max(nu[-1], 1.0)
        nu = np.where(null, 0.0, nu)
        vt = v.T
        d0 = vt @ (student - teacher)
        tb = vt @ teacher
        b = vt @ (x.T @ noise) / n_train
        b[null] = 0.0
        noise_sq = float(np.sum(noise ** 2))
    rate = 2 * nu / d_out + wd
    r = 1.0 - eta * rate
    with np.errstate(divide="ignore", invalid="ignore"):
        d_star = np.where(rate[:, None] > 0, (2 * b / d_out - wd * tb) / rate[:, None], 0.0)
    modes = _AffineModes(nu, r, d_star, d0 - d_star, b, d_out, noise_sq / n_train)

    grid = _record_grid(int(max_steps))
    tr, ge = [], []
    done = 0
    # Evaluate the record chunk by chunk; stop at 1.5x the later crossing (+ 10 steps).
    stop = grid[-1]
    for lo in range(0, grid.size, 256):
        chunk = grid[lo:lo + 256]
        chunk = chunk[chunk <= stop]
        if not chunk.size:
            break
        a_, b_ = modes.losses(chunk)
        tr.append(a_)
        ge.append(b_)
        done += chunk.size
        if stop == grid[-1] and np.any(np.concatenate(tr) <= level) \
                and np.any(np.concatenate(ge) <= level):
            k_tr = grid[np.argmax(np.concatenate(tr) <= level)]
            k_ge = grid[np.argmax(np.concatenate(ge) <= level)]
            stop = min(grid[-1], int(1.5 * max(k_tr, k_ge)) + 10)
    grid = grid[:done]
    tr, ge = np.concatenate(tr), np.concatenate(ge)
    t_mem = _first_step(grid, tr, level, lambda k: modes.losses(k)[0])
    t_grok = _first_step(grid, ge, level, lambda k: modes.losses(k)[1])
    emp = {}
    if empirical_at is not None:
        emp = _empirical(np.asarray(empirical_at, dtype=int), p, x, noise, vt, r,
                         d_star, d0 - d_star, n_test, seed)
    return GradientDescentRun(
        steps=grid, train_loss=tr, gen_loss=ge,
        train_accuracy=accuracy_from_loss(tr, p["threshold"], d_out),
        gen_accuracy=accuracy_from_loss(ge, p["threshold"], d_out),
        t_mem=t_mem, t_grok=t_grok, level=level, d_in=d_in, n_train=n_train,
        eigenvalues=nu, empirical=emp)


def gradient_descent_ensemble(params=None, *, seeds=range(8), executor=None,
                              **kwargs) -> list[GradientDescentRun]:
    """:func:`simulate_gradient_descent` once per seed (in the order of ``seeds``), on
    ``executor`` (any :class:`concurrent.futures.Executor`, e.g. a process pool or a Dask
    cluster's ``get_executor()``; ``None``: here, one after the other). ``**kwargs`` are
    the other arguments of :func:`simulate_gradient_descent`. Each run equals the serial
    call with its seed exactly; a run that raises comes back as
    :class:`~grokdelay.ParameterError` naming its seed.

    >>> runs = gradient_descent_ensemble(aspect_ratio=0.5, learning_rate=0.01, d_in=100,
    ...                                  seeds=[0, 1], data="bidiagonal")
    >>> runs[1].t_grok == simulate_gradient_descent(aspect_ratio=0.5, learning_rate=0.01,
    ...     d_in=100, seed=1, data="bidiagonal").t_grok
    True
    """
    from ._parallel import seed_ensemble

    return seed_ensemble(simulate_gradient_descent, seeds, executor=executor, params=params,
                         **kwargs)


def _bidiagonal_problem(p, d_in, n_train, seed):
    """Spectrum and eigenbasis projections of one run, sampled in law (no data matrix).

    X^T X for X of shape (N, d) with iid N(0, 1) entries has the eigenvalues of B B^T, B the
    m x m lower-bidiagonal matrix with diagonal chi_{n}, chi_{n-1}, ..., chi_{n-m+1} and
    sub-diagonal chi_{m-1}, ..., chi_1, where m = min(N, d), n = max(N, d) (beta = 1
    Laguerre ensemble); the other |N - d| eigenvalues of X^T X are 0 when N < d.
    """
    from scipy.linalg import eigh_tridiagonal

    rng = np.random.default_rng(seed)
    d_out = p["d_out"]
    m, n = min(n_train, d_in), max(n_train, d_in)
    diag = np.sqrt(rng.chisquare(n - np.arange(m)))
    sub = np.sqrt(rng.chisquare(np.arange(m - 1, 0, -1))) if m > 1 else np.empty(0)
    tri_d = diag ** 2 + np.concatenate([[0.0], sub ** 2])
    tri_e = diag[:-1] * sub
    ev = eigh_tridiagonal(tri_d, tri_e, eigvals_only=True) if m > 1 else tri_d
    nu = np.zeros(d_in)
    nu[d_in - m:] = np.maximum(ev, 0.0) / n_train
    sd = math.sqrt(1.0 / (2 * d_in * d_out))
    tb = sd * rng.standard_normal((d_in, d_out))
    s0 = p["init_scale"] * sd * rng.standard_normal((d_in, d_out))
    # noise: X^T delta / N = V diag(sqrt(N nu)) U^T delta / N with U^T delta ~ N(0, sigma^2)
    sigma = p["label_noise"]
    u_delta = sigma * rng.standard_normal((d_in, d_out))
    b = np.sqrt(nu / n_train)[:, None] * u_delta
    b[nu == 0] = 0.0
    rank = int(np.count_nonzero(nu))
    noise_sq = float(np.sum(u_delta[nu > 0] ** 2))
    if n_train > rank and sigma > 0:
        noise_sq += sigma ** 2 * float(rng.chisquare((n_train - rank) * d_out))
    return nu, s0 - tb, tb, b, noise_sq


def _empirical(ks, p, x, noise, vt, r, d_star, e, n_test, seed):
    rng = np.random.default_rng(seed + 10 ** 6)
    x_test = rng.standard_normal((n_test, x.shape[1]))
    eps = p["threshold"]
    train_acc, test_acc = [], []
    for k in ks:
        dbar = d_star + _powers(r, np.array([k]))[0][:, None] * e
        d = vt.T @ dbar
        resid = x @ d - noise
        train_acc.append(np.mean(np.mean(resid ** 2, axis=1) <= eps))
        test_acc.append(np.mean(np.mean((x_test @ d) ** 2, axis=1) <= eps))
    return {"steps": ks, "train_accuracy": np.array(train_acc),
            "test_accuracy": np.array(test_acc)}


def _direct(p, x, noise, teacher, student, n_train, d_in, max_steps, level):
    eta, wd, d_out = p["learning_rate"], p["weight_decay"], p["d_out"]
    max_steps = int(max_steps)
    two_layer = p["depth"] == 2
    if two_layer:
        t_map = teacher[0] @ teacher[1]
        w0, w1 = (w.copy() for w in student)
    else:
        t_map = teacher
        s = student.copy()
    y = x @ t_map + noise
    tr = np.empty(max_steps + 1)
    ge = np.empty(max_steps + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(max_steps + 1):
            smap = w0 @ w1 if two_layer else s
            resid = x @ smap - y
            tr[k] = np.sum(resid ** 2) / (n_train * d_out)
            ge[k] = np.sum((smap - t_map) ** 2) / d_out
            if k == max_steps:
                break
            g = (2.0 / (n_train * d_out)) * (x.T @ resid)  # dL/d(map)
            if two_layer:
                w0, w1 = (w0 - eta * (g @ w1.T + wd * w0), w1 - eta * (w0.T @ g + wd * w1))
            else:
                s = s - eta * (g + wd * s)
    steps = np.arange(max_steps + 1)
    return GradientDescentRun(
        steps=steps, train_loss=tr, gen_loss=ge,
        train_accuracy=accuracy_from_loss(tr, p["threshold"], d_out),
        gen_accuracy=accuracy_from_loss(ge, p["threshold"], d_out),
        t_mem=first_passage(steps, tr, level), t_grok=first_passage(steps, ge, level),
        level=level, d_in=d_in, n_train=n_train, eigenvalues=np.empty(0))


# --------------------------------------------------------------------------- gradient flow


@dataclasses.dataclass(frozen=True)
class GradientFlowRun:
    """Gradient flow integrated by ``solve_ivp`` (see :func:`integrate_gradient_flow`).

    Attributes
    ----------
    t : ndarray
        The requested times (units of steps).
    train_loss, gen_loss : ndarray
        The mode-averaged losses at ``t``.
    t_mem, t_grok : float
        First times the training / generalization loss reach the level of the accuracy
        target (located by ``solve_ivp`` events, refined to ``rtol``); ``inf`` if not
        before ``t_max``.
    level : float
        That loss level.
    eigenvalues, weights : ndarray
        The spectrum the flow was integrated on.
    nfev : int
        Right-hand-side evaluations used.
    """

    t: np.ndarray
    train_loss: np.ndarray
    gen_loss: np.ndarray
    t_mem: float
    t_grok: float
    level: float
    eigenvalues: np.ndarray
    weights: np.ndarray
    nfev: int

    @property
    def delay(self) -> float:
        """t_grok - t_mem (inf when the flow never generalizes)."""
        return math.inf if math.isinf(self.t_grok) else self.t_grok - self.t_mem


def integrate_gradient_flow(params=None, t=None, *, spectrum: str | Any = "quadrature",
                            n_modes: int = 4000, seed: int = 0, t_max: float | None = None,
                            rtol: float = 1e-10, atol: float = 1e-13,
                            ode_method: str = "BDF", **overrides) -> GradientFlowRun:
    r"""Gradient flow of the mode amplitudes, integrated numerically on a sampled MP spectrum.

    In the eigenbasis of the training covariance (eigenvalue :math:`\nu`) each output
    column of :math:`D = S - T` splits, by linearity, into three uncorrelated parts that
    are integrated by :func:`scipy.integrate.solve_ivp` (DOP853):

    .. math::

        \dot x = -\eta\kappa x,\ x(0) = 1; \qquad
        \dot u = -\eta\kappa u - \eta\gamma,\ u(0) = -1; \qquad
        \dot c = -\eta\kappa c + 2\eta/d_\mathrm{out},\ c(0) = 0,

    :math:`\kappa = 2\nu/d_\mathrm{out} + \gamma`, for the initial student, the teacher
    (through the weight decay, eq 32) and the label noise. With the equal-projection
    approximation of eq 36 (student and teacher variance :math:`\alpha^2/(2d_\mathrm{out})`
    and :math:`1/(2d_\mathrm{out})` per mode, noise :math:`\sigma^2\lambda\nu c^2`):

    .. math::

        \mathcal L_\mathrm{gen} = \Big\langle \frac{\alpha^2 x^2 + u^2}{2 d_\mathrm{out}}
            + \sigma^2\lambda\nu c^2 \Big\rangle, \qquad
        \mathcal L_\mathrm{tr} = \Big\langle \nu\Big(\frac{\alpha^2 x^2 + u^2}{2 d_\mathrm{out}}
            + \sigma^2\lambda\nu c^2\Big) - 2\sigma^2\lambda\nu c\Big\rangle + \sigma^2,

    the average :math:`\langle\cdot\rangle` taken over the sampled spectrum with its
    weights. This uses neither the exponential solution of eq 33 nor an MP integral, so it
    checks both. ``depth = 2`` is not integrated here (use the direct simulation).

    Parameters
    ----------
    params : LinearTeacherStudent, mapping or None
        Scalar inputs (see :func:`simulate_gradient_descent`); keyword overrides allowed.
    t : array_like, optional
        Times (in steps) at which to report the losses; default 200 points up to the end.
    spectrum : {"quadrature", "quantile", "wishart"} or (nu, weights)
        How to sample the MP law (the ``kind`` of
        :func:`~grokdelay.linear_teacher_student.sample_mp_spectrum`), or a given spectrum.
    n_modes : int
        Number of modes. With ``"quadrature"`` the node spacing in the angle variable is
        ~pi / n_modes; it must resolve both :math:`\sqrt{\lambda_-}/2` (the width of the
        density's edge layer, tiny near lambda = 1) and
        :math:`1/\sqrt{\eta t \lambda_+}` at the times of interest. Measured at lambda = 0.999, weight decay 2.4e-6 (t_grok ~ 1.8e7): 2000
        nodes are 35% off, 8000 nodes 0.1%, 32000 nodes 4e-11. At lambda = 1 exactly
        (hard edge, density ~ nu^(-1/2)) convergence is slow: prefer the exact method.
    t_max : float, optional
        End of the integration; default: far enough for both targets (from the smallest
        positive rate) or 1e9.
    rtol, atol : float
        Tolerances of ``solve_ivp`` (on the amplitudes, which start at O(1)).
    ode_method : str
        The ``solve_ivp`` method; ``"BDF"`` (default, with the exact diagonal Jacobian),
        ``"Radau"``, or an explicit one such as ``"DOP853"`` for a cross-check.

    Examples
    --------
    >>> run = integrate_gradient_flow(aspect_ratio=0.5, learning_rate=0.01, n_modes=500)
    >>> 0 < run.t_mem < run.t_grok
    True
    """
    p = scalar_inputs(params, overrides)
    if p["depth"] != 1:
        raise ParameterError("depth = 2: integrate_gradient_flow treats the one-layer model; "
                             "use simulate_gradient_descent(method='direct') for a run, or "
                             "losses(params, t, kernel='coupled') for eq 17", "depth")
    lam, eta, wd, d_out = p["aspect_ratio"], p["learning_rate"], p["weight_decay"], p["d_out"]
    alpha2, sig2 = p["init_scale"] ** 2, p["label_noise"] ** 2
    if isinstance(spectrum, str):
        nu, w = sample_mp_spectrum(lam, n_modes, seed, kind=spectrum, weights=True)
    else:
        nu, w = (np.asarray(v, dtype=float) for v in spectrum)
    n = nu.size
    kappa = 2 * nu / d_out + wd
    level = target_loss_level(p["threshold"], p["accuracy"], d_out)
    if t_max is None:
        pos = kappa[kappa > 0]
        slow = pos.min() if pos.size else 1.0
        t_max = min(1e9, 40.0 / (eta * slow) + 10.0)

    def rhs(_, z):
        x, u, c = z[:n], z[n:2 * n], z[2 * n:]
        return np.concatenate([-eta * kappa * x, -eta * kappa * u - eta * wd,
                               -eta * kappa * c + 2 * eta / d_out])

    def jac(_, z):
        from scipy import sparse
        return sparse.diags(np.tile(-eta * kappa, 3))

    def split(z):
        x, u, c = z[:n], z[n:2 * n], z[2 * n:]
        nu_ = nu.reshape((n,) + (1,) * (z.ndim - 1))
        base = (alpha2 * x ** 2 + u ** 2) / (2 * d_out) + sig2 * lam * nu_ * c ** 2
        gen = w @ base
        train = w @ (nu_ * base - 2 * sig2 * lam * nu_ * c) + sig2
        return train, gen

    def ev_train(tt, z):
        return split(z)[0] - level

    def ev_gen(tt, z):
        return split(z)[1] - level

    ev_train.direction = ev_gen.direction = -1
    z0 = np.concatenate([np.ones(n), -np.ones(n), np.zeros(n)])
    # The rates span [2 eta lambda_-, 2 eta lambda_+] (a stiffness ratio up to ~1e5 near
    # lambda = 1): BDF with the exact, diagonal Jacobian takes ~40x fewer right-hand-side
    # evaluations than DOP853 at the same tolerance (measured at lambda = 0.9: 3.3e3 vs
    # 1.4e5, event times agreeing to 1e-10).
    from scipy import integrate

    sol = integrate.solve_ivp(rhs, (0.0, t_max), z0, method=ode_method, rtol=rtol, atol=atol,
                              dense_output=True, events=(ev_train, ev_gen),
                              **({"jac": jac} if ode_method in ("Radau", "BDF") else {}))
    if sol.status < 0:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    t_mem = float(sol.t_events[0][0]) if sol.t_events[0].size else math.inf
    t_grok = float(sol.t_events[1][0]) if sol.t_events[1].size else math.inf
    tr0, ge0 = split(z0)
    t_mem = 0.0 if tr0 <= level else t_mem
    t_grok = 0.0 if ge0 <= level else t_grok
    if t is None:
        t = np.linspace(0.0, sol.t[-1], 200)
    t = np.asarray(t, dtype=float)
    if np.any(t > sol.t[-1]) or np.any(t < 0):
        raise ParameterError(f"t must lie in [0, {sol.t[-1]:g}] (pass t_max)", "t")
    zs = sol.sol(t.ravel()) if t.size else np.empty((3 * n, 0))
    tr, ge = split(zs) if t.size else (np.empty(0), np.empty(0))
    return GradientFlowRun(t=t, train_loss=np.reshape(tr, t.shape),
                           gen_loss=np.reshape(ge, t.shape), t_mem=t_mem, t_grok=t_grok,
                           level=level, eigenvalues=nu, weights=w, nfev=int(sol.nfev))

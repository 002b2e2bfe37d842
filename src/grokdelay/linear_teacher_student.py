r"""Linear teacher-student grokking (Levi, Beck and Bar Sinai 2023, arXiv 2310.16441).

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
  those steps (Levi et al. 2023 eq 4 with its :math:`t` = steps), exact for the flow and accurate to
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
:math:`d_\mathrm{out}`, eq 12). The label-noise terms are exact for the linear model: Levi et
al. 2023's App. C keeps only the constant :math:`\sigma^2` (train floor) and drops the noise the
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

from . import _arguments as A
from ._core import (Broadcast, Interval, Outcome, ParameterError, Parameters, method,
                    note_where, overflow_note, param, register)
from ._lts_closed_forms import (accuracy_of_log_loss, describe_first, lambertw_exp, log_eq19,
                                target_loss_level, to_steps)
from ._lts_engine import (Model, check_coupled, check_kernel, coupled_kernel, effective_times,
                          exact_crossings, log_losses_flat, model_floors, model_initial)
from . import _lts_outcome as N
from ._lts_simulation import (GradientDescentRun, GradientFlowRun, gradient_descent_ensemble,
                              integrate_gradient_flow, simulate_gradient_descent)
from ._marchenko_pastur import (mp_atom, mp_density, mp_edges, mp_expectation, mp_nodes,
                                resolved_limits, sample_mp_spectrum)
from ._two_layer import mp_clocks, mp_kappa_limit

__all__ = ["LinearTeacherStudent", "losses", "accuracies", "two_layer_kernel", "target_loss",
           "loss_floors",
           "eq19_train_loss", "mp_density", "mp_expectation", "sample_mp_spectrum",
           "mp_edges", "mp_atom", "mp_nodes", "simulate_gradient_descent",
           "gradient_descent_ensemble", "integrate_gradient_flow", "GradientDescentRun",
           "GradientFlowRun"]

_DEFAULT_ACCURACY = math.erf(math.sqrt(2.0))
_MP_ALPHA_MIN = 1e-2  # below: node quadrature (tests/test_two_layer.py)
_COUPLED_BLOCK = 512   # depth-2 points per coupled-kernel block (bounds mp_clocks' arrays)


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


@A.arguments(params=A.params(), t=A.positive(allow_zero=True),
             kernel=A.choice("frozen", "coupled"))
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
    check_kernel(kernel, f)
    ltr, lgen = log_losses_flat(f, tt, kernel)
    with np.errstate(under="ignore"):
        return np.exp(ltr).reshape(shape), np.exp(lgen).reshape(shape)


@A.arguments(params=A.params(), t=A.positive(allow_zero=True),
             kernel=A.choice("frozen", "coupled"))
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
    check_kernel(kernel, f)
    ltr, lgen = log_losses_flat(f, tt, kernel)
    acc_tr = accuracy_of_log_loss(ltr, f["threshold"], f["d_out"])
    acc_gen = accuracy_of_log_loss(lgen, f["threshold"], f["d_out"])
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
    check_coupled(f["depth"], f["label_noise"])
    _, u = effective_times(f, tt, "coupled")
    kern = coupled_kernel(f, u).kappa(u)
    return kern.reshape(shape), u.reshape(shape)


@A.arguments(params=A.params())
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
    out = target_loss_level(a.threshold, a.accuracy, a.d_out)
    return float(out) if np.ndim(out) == 0 else out


@A.arguments(params=A.params())
def loss_floors(params):
    r"""The :math:`t\to\infty` limits (train, gen) of the losses (exact, by quadrature).

    With weight decay and no label noise, for small :math:`\gamma` and :math:`\lambda<1`
    they approach :math:`\gamma^2/(8(1-\lambda))` and :math:`\gamma^2/(8(1-\lambda)^3)`
    (times :math:`1/d_\mathrm{out}`): half of Levi et al.'s eq 15, which drops eq 14's prefactor
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
    tr, gen = model_floors(Model(np.ravel(a.aspect_ratio), np.ravel(a.learning_rate),
                             np.ravel(a.weight_decay), np.ravel(a.d_out), np.ravel(a.depth),
                             np.ravel(a.init_scale), np.ravel(a.label_noise)))
    tr, gen = tr.reshape(shape), gen.reshape(shape)
    if not shape:
        return float(tr), float(gen)
    return tr, gen


@A.arguments(aspect_ratio=A.positive(), tau=A.positive(allow_zero=True))
def eq19_train_loss(aspect_ratio, tau):
    r"""Levi et al. eq 19: :math:`\mathcal L_\mathrm{tr} = e^{-4\tau(1+\lambda)}\,{}_0\tilde F_1(2; 16\tau^2\lambda)`.

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
    with np.errstate(under="ignore"):
        out = np.exp(log_eq19(aspect_ratio, tau))
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------- mechanism


#: Finite domain ends (the fuzz suite, tests/test_fuzz.py): beyond 1e50 the aspect ratio's
#: training time (~1/lambda steps) leaves the exact solver's verified range, and beyond 1e150
#: the squares of weight decay, init scale and label noise overflow float64.
_LARGEST = 1e50
_LARGEST_SQUARED = 1e150


@register("linear_teacher_student")
class LinearTeacherStudent(Parameters):
    r"""Grokking of a linear student learning a linear teacher (Levi et al. 2023, arXiv 2310.16441).

    :math:`t_\mathrm{mem}` and :math:`t_\mathrm{grok}` are the first optimizer steps at which
    the train and the generalization accuracy (eq 9; eq 12 for :math:`d_\mathrm{out}>1`)
    reach ``accuracy``, i.e. at which the Marchenko-Pastur averaged losses (eq 8; eq 14/38
    with weight decay; eq 18 for two layers) fall to the level :math:`\mathcal L^*` of
    :func:`target_loss` (:math:`\epsilon/4` for ``d_out = 1`` at the default ``accuracy``).

    The default method solves for those crossings numerically and has no closed form. Method
    ``"lambert_w"`` is the paper's Lambert-W times (eqs 23-24) and method ``"asymptotic"``
    its leading-order delay, eq 11 without weight decay and eq 15 with it, for
    :math:`\lambda<1`: eq 11 is the :math:`\epsilon\to0` limit of eqs 23-24. Their closed
    forms are written once, in :mod:`grokdelay._symbolic`: the docs page renders them, and so
    does ``_repr_latex_()`` of a prediction of that method in a notebook (with its numbers).

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
        :math:`d_\mathrm{out}`, depth and :math:`\alpha`: eq 21's train constant
        :math:`C_\mathrm{tr}` scaled by the initial generalization loss
        :math:`(1+\alpha^2)/(2d_\mathrm{out})`, and :math:`C_\mathrm{gen} =
        C_\mathrm{tr}/\lambda_-` (eq 10). Requires
        :math:`\lambda<1`, no weight decay, no label noise. Measured error against
        ``"exact"`` on the delay (it always overestimates it): within 15% only for
        :math:`0.5\le\lambda\le0.95` and :math:`\epsilon\le10^{-3}` (10% for
        :math:`\epsilon\le10^{-4}`); poor at small :math:`\lambda` even for small
        :math:`\epsilon` (+57% at :math:`\lambda=0.05`, :math:`\epsilon=10^{-3}`; +26% at
        :math:`\epsilon=10^{-6}`) and at large :math:`\epsilon` (+31% at
        :math:`\lambda=0.9`, :math:`\epsilon=10^{-2}`). Its :math:`t_\mathrm{mem}` is within
        3% for :math:`\epsilon\le10^{-2}`. Full table: docs, linear_teacher_student_validity.
    ``"asymptotic"``
        :math:`t_\mathrm{mem}` from eq 23 and the delay from eq 11 (eq 15, its
        :math:`\log(1+\sqrt\lambda)` in place of :math:`-\log(1-\sqrt\lambda)`, with weight
        decay). Requires :math:`\lambda<1` and no label noise. Eq 11 is the :math:`\epsilon\to0`
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
    groks without understanding", arXiv 2310.16441 (Levi et al. 2023): eqs 6, 8-12, 14-15, 18-24,
    38.

    Examples
    --------
    >>> import grokdelay as gd
    >>> p = gd.predict_delay(gd.LinearTeacherStudent(aspect_ratio=0.5, learning_rate=0.01))
    >>> round(p.t_mem, 3), round(p.t_grok, 3)
    (725.071, 1156.405)
    """

    aspect_ratio: float = param(
        "lambda", Interval(0, _LARGEST, lo_closed=False, typical=(0.02, 5.0)),
        "d_in / N_train, the ratio of input dimension to training-set size (at most 1e50, "
        "the range the exact solver is verified on)")
    learning_rate: float = param(
        "eta", Interval(0, math.inf, lo_closed=False, typical=(1e-4, 0.1)),
        "learning rate of full-batch gradient descent (times are its steps)")
    threshold: float = param(
        "epsilon", Interval(1e-300, math.inf, typical=(1e-6, 0.1)),
        "a sample is correct when its squared error per output is below epsilon", 1e-3)
    weight_decay: float = param(
        "gamma", Interval(0, _LARGEST_SQUARED, typical=(1e-6, 0.1)),
        "weight decay lambda_wd in S <- S - eta (grad L + lambda_wd S) (Levi et al.'s gamma for "
        "d_out = 1)", 0.0)
    d_out: int = param("d_out", Interval(1, math.inf, integer=True, typical=(1, 40)),
                       "output dimension (eq 12)", 1, kind="integer")
    depth: int = param("L", Interval(1, 2, integer=True),
                       "1: linear perceptron; 2: two-layer linear network (eq 18)", 1,
                       kind="integer")
    init_scale: float = param(
        "alpha", Interval(0, _LARGEST_SQUARED, typical=(0.1, 3.0)),
        "student initialization scale relative to the teacher's (section 3.1)", 1.0)
    label_noise: float = param(
        "sigma", Interval(0, _LARGEST_SQUARED, typical=(1e-4, 0.1)),
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
        if self._plainly_valid():
            return
        depth2 = np.asarray(self.depth) == 2
        narrow = depth2 & (np.asarray(self.hidden_width) < 2 * np.asarray(self.d_out))
        if np.any(narrow):
            raise ParameterError(
                f"hidden_width = {describe_first(self.hidden_width, narrow)} with d_out = "
                f"{describe_first(self.d_out, narrow)} at depth = 2: must be >= 2 d_out "
                "(a narrower network cannot represent the teacher, or its kernel of eq 17 can "
                "vanish)", "hidden_width")
        if np.any(depth2 & (np.asarray(self.weight_decay) > 0)):
            raise ParameterError(
                f"weight_decay = {describe_first(self.weight_decay, depth2)} with depth = 2: "
                "Levi et al. 2023 derives weight decay only for the one-layer model (eq 14); use "
                "depth = 1 or weight_decay = 0", "weight_decay")
        with np.errstate(over="ignore"):   # eq 18's rate alpha eta / (2 d_out^2) (Model)
            rate = np.asarray(self.init_scale, dtype=float) * self.learning_rate / (
                2.0 * np.asarray(self.d_out, dtype=float) ** 2)
        if np.any(depth2 & np.isinf(rate)):
            raise ParameterError(
                f"learning_rate = {describe_first(self.learning_rate, depth2 & np.isinf(rate))}"
                " with depth = 2: init_scale * learning_rate / (2 d_out^2), the rate of eq 18, "
                "overflows float64", "learning_rate")
        # at the hard edge aspect_ratio = 1 the noise floor sigma^2 lambda E[nu / (nu + g)^2]
        # ~ g^-1/2 (g = d_out wd / 2) needs the capped panels to resolve its pole at -g
        # (without noise the terms with g are O(g^1/2) there, and crossings near them lie
        # beyond the time range the solver refuses)
        with np.errstate(over="ignore"):
            g = 0.5 * np.asarray(self.d_out, dtype=float) * np.asarray(self.weight_decay)
        edge = ((np.asarray(self.aspect_ratio) == 1.0) & (g > 0) & (g < resolved_limits(1.0)[1])
                & (np.asarray(self.label_noise) > 0))
        if np.any(edge):
            raise ParameterError(
                f"weight_decay = {describe_first(self.weight_decay, edge)} with aspect_ratio = 1"
                f" and label_noise > 0: d_out * weight_decay / 2 must be 0 or at least "
                f"{resolved_limits(1.0)[1]:.3g} (the noise floor ~ weight_decay^-1/2 at the hard "
                "edge of the Marchenko-Pastur law is beyond what the exact quadrature "
                "resolves)", "weight_decay")
        # the noise term of the losses is label_noise^2 * aspect_ratio (eqs 8, 14): past
        # 1e300 it overflows float64, beyond where the exact solver is verified
        with np.errstate(over="ignore"):
            noise = np.square(np.asarray(self.label_noise, dtype=float)) * np.maximum(
                np.asarray(self.aspect_ratio, dtype=float), 1.0)
        if np.any(noise > _LARGEST_SQUARED ** 2):
            raise ParameterError(
                f"label_noise = {describe_first(self.label_noise, noise > 1e300)} with "
                f"aspect_ratio = {describe_first(self.aspect_ratio, noise > 1e300)}: "
                "label_noise^2 * max(aspect_ratio, 1) must be at most 1e300 (the noise term of "
                "the losses overflows float64 beyond)", "label_noise")

    def _plainly_valid(self) -> bool:
        """One point of plain numbers passing every test of :meth:`_check` (evaluated on
        floats, the same order of operations); False sends it to the array tests, which
        also word the refusal."""
        v = vars(self)
        if not all(type(v[k]) in (float, int) for k in (
                "aspect_ratio", "learning_rate", "weight_decay", "d_out", "depth",
                "init_scale", "label_noise", "hidden_width")):
            return False
        lam, wd, dout, sigma = v["aspect_ratio"], v["weight_decay"], float(v["d_out"]), \
            v["label_noise"]
        if v["depth"] == 2 and (v["hidden_width"] < 2 * v["d_out"] or wd > 0 or math.isinf(
                v["init_scale"] * v["learning_rate"] / (2.0 * (dout * dout)))):
            return False
        g = 0.5 * dout * wd
        if lam == 1.0 and g > 0 and sigma > 0 and g < resolved_limits(1.0)[1]:
            return False
        return not sigma * sigma * max(lam, 1.0) > _LARGEST_SQUARED ** 2

    # ------------------------------------------------------------------ helpers
    def _setup(self, a):
        shape = a.shape
        if not shape:                        # one point: its constants on Python floats
            m = N.model_1(*(float(v) for v in (a.aspect_ratio, a.learning_rate,
                                               a.weight_decay, a.d_out, a.depth,
                                               a.init_scale, a.label_noise)))
            tgt = target_loss_level(a.threshold, a.accuracy, a.d_out)
            return m, np.array([tgt], dtype=float), shape

        def flat(v):
            return np.ravel(np.broadcast_to(v, shape))
        m = Model(*(flat(v) for v in (a.aspect_ratio, a.learning_rate, a.weight_decay,
                                      a.d_out, a.depth, a.init_scale, a.label_noise)))
        target = flat(target_loss_level(a.threshold, a.accuracy, a.d_out))
        return m, target, shape

    @staticmethod
    def _flow_note(m, eta_steps):
        return note_where(2.0 * m.eta0 * (1.0 + np.sqrt(m.lam)) ** 2 >= 1.0, N.FLOW_NOTE)

    def _approx_domain(self, name: str, a, allow_wd: bool) -> None:
        if np.any(np.asarray(a.aspect_ratio) >= 1):
            raise ParameterError(
                f"aspect_ratio = {describe_first(a.aspect_ratio, np.asarray(a.aspect_ratio) >= 1)}"
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

    def _exact_outcome(self, a, coupled: bool, lean: bool = True) -> Outcome:
        m, target, shape = self._setup(a)
        log_t = np.log(target)
        tau_tr, tau_gen, *floors = exact_crossings(m, log_t)
        if lean and not shape and not coupled:     # one point: the same decisions on floats
            return N.exact_outcome_1(a, m, target, tau_tr, tau_gen, floors)
        extra = {}
        if coupled:
            t_mem, t_grok, extra = self._coupled_steps(a, m, tau_tr, tau_gen)
        else:
            t_mem, t_grok = to_steps(tau_tr, m.eta0), to_steps(tau_gen, m.eta0)
        t_mem, t_grok = t_mem.reshape(shape), t_grok.reshape(shape)
        extra = {k: v.reshape(shape) for k, v in extra.items()}
        f_tr, f_gen = (v.reshape(shape) for v in floors)
        tgt = target.reshape(shape)
        lam = m.lam.reshape(shape)
        notes = self._flow_note(m, None) + self._depth_notes(a, coupled)
        saddle = _saddle(a)
        notes += note_where(saddle & np.isinf(t_grok), N.SADDLE_NOTE)
        # a crossing at a finite tau = eta0 t whose step count t exceeds float64 is an
        # overflow, not a floor above the target
        if coupled:
            big_mem = big_grok = np.zeros(shape, bool)
        else:
            big_mem = np.isinf(t_mem) & np.isfinite(tau_tr.reshape(shape)) & ~saddle
            big_grok = np.isinf(t_grok) & np.isfinite(tau_gen.reshape(shape)) & ~saddle
        notes += overflow_note(big_mem, "t_mem")
        notes += overflow_note(big_grok & ~np.isinf(t_mem), "t_grok")
        never_fit = np.isinf(t_mem) & ~saddle & ~big_mem
        notes += note_where(never_fit, N.floor_text("training", f_tr, tgt, shape,
                                                    N.NEVER_FIT_WHY))
        null = (lam > 1) & np.isinf(t_grok) & ~saddle & ~big_grok
        notes += note_where(null, N.floor_text("generalization", f_gen, tgt, shape,
                                               N.NULL_SPACE_WHY))
        other = ~null & ~saddle & np.isinf(t_grok) & ~big_grok
        notes += note_where(other, N.floor_text("generalization", f_gen, tgt, shape,
                                                N.FLOOR_WHY))
        notes += note_where((np.asarray(a.label_noise) > 0) & np.isfinite(t_grok)
                            & (f_gen > tgt), N.NOISE_RETURN_NOTE)
        notes += note_where((t_mem == 0) & (t_grok == 0), N.AT_ZERO_NOTE)
        with np.errstate(invalid="ignore"):
            # never fits => never groks (conventions): no "before" for an unfit point
            delay = np.where(np.isinf(t_grok) | np.isinf(t_mem), np.inf, t_grok - t_mem)
        early = delay < 0
        notes += note_where(early, N.EARLY_NOTE)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_delay = np.where(early, -np.inf, np.log(np.where(early, 1.0, delay)))
        return Outcome(t_mem=t_mem, t_grok=t_grok, units="steps", notes=notes, delay=delay,
                       log_delay=log_delay,
                       extra={"target_loss": tgt, "floor_train": f_tr, "floor_gen": f_gen,
                              **extra})

    @method("coupled", summary="depth 2: eq 17 with the kernel moving at finite hidden_width "
                               "(its h-dot corrected from eq 40); depth 1: as 'exact'")
    def _coupled(self, a) -> Outcome:
        check_coupled(a.depth, a.label_noise)
        return self._exact_outcome(a, coupled=True)

    @staticmethod
    def _coupled_steps(a, m, tau_tr, tau_gen):
        """Steps to reach the crossing points tau on the clock of the corrected eq 17."""
        shape = a.shape
        f = {k: np.ravel(np.broadcast_to(getattr(a, k), shape)) for k in
             ("aspect_ratio", "learning_rate", "d_out", "depth", "init_scale", "hidden_width")}
        t_mem, t_grok = to_steps(tau_tr, m.eta0), to_steps(tau_gen, m.eta0)
        k_mem = np.ones(tau_tr.shape)
        k_grok = np.ones(tau_tr.shape)
        all_deep = np.flatnonzero(f["depth"] == 2)
        # the kernel's spectral nodes are built per block of points: memory O(block)
        for lo in range(0, all_deep.size, _COUPLED_BLOCK):
            deep = all_deep[lo:lo + _COUPLED_BLOCK]
            sub = {k: v[deep] for k, v in f.items()}
            taus = np.stack([tau_tr[deep], tau_gen[deep]])
            finite = np.where(np.isfinite(taus), taus, 0.0)
            c = 16.0 * sub["d_out"] / sub["hidden_width"]
            steps, at = np.empty(taus.shape), np.empty(taus.shape)
            tiny = sub["init_scale"] < _MP_ALPHA_MIN
            big = np.flatnonzero(~tiny)
            if big.size:
                steps[:, big], at[:, big] = mp_clocks(
                    sub["aspect_ratio"][big], sub["init_scale"][big], c[big],
                    sub["learning_rate"][big] / (2.0 * sub["d_out"][big] ** 2), finite[:, big])
            small = np.flatnonzero(tiny)
            if small.size:
                # the node quadrature keeps eq 17's cancellation-free form at tiny alpha
                kern = coupled_kernel({k: v[small] for k, v in sub.items()},
                                      np.max(finite[:, small], axis=0))
                steps[:, small] = [kern.clock(finite[i, small]) for i in range(2)]
                at[:, small] = [kern.kappa(finite[i, small]) for i in range(2)]
            limit = mp_kappa_limit(sub["aspect_ratio"], sub["init_scale"], c)
            for i, (t_out, k_out) in enumerate(((t_mem, k_mem), (t_grok, k_grok))):
                ok = np.isfinite(taus[i])
                t_out[deep] = np.where(ok, steps[i], np.inf)
                k_out[deep] = np.where(sub["init_scale"] == 0, 0.0,
                                       np.where(ok, at[i], limit))
        return t_mem, t_grok, {"kernel_mem": k_mem, "kernel_grok": k_grok}

    @staticmethod
    def _depth_notes(a, coupled: bool) -> list[str]:
        depth = np.asarray(a.depth)
        width = np.asarray(a.hidden_width)
        notes = note_where((depth == 1) & np.isfinite(width), N.WIDTH_IGNORED_NOTE)
        notes += note_where((depth == 2) & np.isfinite(width),
                            N.COUPLED_NOTE if coupled else N.FROZEN_NOTE)
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
            tau = 3.0 * lambertw_exp(log_z) / (8.0 * lo)
            out.append(to_steps(tau, m.eta0))
        l0_tr, l0_gen = model_initial(m)
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
        notes += note_where(saddle, N.SADDLE_NOTE)
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
        delay = to_steps(np.where(wd, np.log1p(r), -np.log1p(-r)) / (2.0 * (1.0 - r) ** 2),
                       m.eta0)
        f_tr, f_gen = model_floors(m)
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
        notes += note_where(_saddle(a), N.SADDLE_NOTE)
        return Outcome(t_mem=t_mem.reshape(shape), t_grok=t_grok.reshape(shape), units="steps",
                       notes=notes, delay=delay.reshape(shape),
                       log_delay=log_delay.reshape(shape),
                       extra={"target_loss": target.reshape(shape)})

# --------------------------------------------------------------------------- helpers


def _saddle(a):
    return (np.asarray(a.depth) == 2) & (np.asarray(a.init_scale) == 0)


def _with(a, **changes):
    vals = dict(a._values)
    vals.update(changes)
    return Broadcast(a.shape, vals)

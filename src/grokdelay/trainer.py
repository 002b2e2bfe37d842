r"""A reference trainer that makes real grokking runs on a laptop, in numpy.

A two-layer network learns :math:`(a + b) \bmod p` from a fraction of the :math:`p^2` pairs,
full batch (one optimizer step per epoch). The input is the concatenation of the one-hot codes
of ``a`` and ``b``; the network is

.. math::

    f(a, b) = W_2\, \sigma(W_1 [e_a; e_b]), \qquad W_1 \in \mathbb R^{N \times 2p},\;
    W_2 \in \mathbb R^{p \times N},

with :math:`\sigma` a ReLU or the square (Gromov 2023's quadratic network), trained on the
cross-entropy (or mean-squared error on one-hot targets) by AdamW, SGD (with momentum) or
Adam with coupled L2 weight decay, in the library's weight-decay convention (see
:doc:`/conventions`):

* ``"adamw"``: :math:`\theta \leftarrow \theta - \eta\lambda\theta - \eta\,\hat m/(\sqrt{\hat v} +
  \epsilon)` (PyTorch ``AdamW``);
* ``"adam_l2"``: Adam on :math:`\nabla L + \lambda\theta` (PyTorch ``Adam(weight_decay=...)``);
* ``"sgd"``: :math:`b \leftarrow \mu b + \nabla L + \lambda\theta`, :math:`\theta \leftarrow
  \theta - \eta b` (PyTorch ``SGD``).

Every evaluation is written through a :class:`~grokdelay.RunRecorder` (accuracies, losses,
total and per-layer norms ``wn_W1``, ``wn_W2``). Runs are deterministic given the seed: the
split and the initialization come from ``numpy.random.default_rng(seed)`` and the arithmetic
is plain float64 numpy.

:func:`grid` trains a product grid of configurations, serially or on any
:class:`concurrent.futures.Executor`, with a progress bar when ``tqdm`` is installed; results
come back in grid order and equal the serial ones.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._core import ParameterError
from ._parallel import parallel_map
from .recorder import RunRecorder
from .runs import TrainingRun

__all__ = ["TrainerConfig", "train", "grid", "modular_addition_data", "QUICK"]


@dataclasses.dataclass(frozen=True)
class TrainerConfig:
    """Configuration of one reference run (all fields are logged as the run's ``hyper``).

    Attributes
    ----------
    modulus : int
        p, a prime or any integer >= 2.
    train_fraction : float
        Fraction of the p^2 pairs trained on, in (0, 1).
    width : int
        Hidden units N.
    activation : {"relu", "quadratic"}
    loss : {"cross_entropy", "mse"}
    optimizer : {"adamw", "adam_l2", "sgd"}
    learning_rate, weight_decay : float
        eta and lambda in the library's convention (see the module docstring).
    init_scale : float
        Multiplier of the initialization std 1/sqrt(fan_in).
    steps : int
        Optimizer steps (full batch: also epochs).
    eval_every : int
        Steps between evaluations (step 0 and the last step are always evaluated).
    seed : int
    beta1, beta2, eps : float
        Adam moments and epsilon.
    momentum : float
        SGD momentum mu.
    stop_after_grok : int or None
        Stop this many steps after the test accuracy first reaches ``grok_threshold``
        (None: run all ``steps``).
    grok_threshold : float
    """

    modulus: int = 23
    train_fraction: float = 0.5
    width: int = 128
    activation: str = "quadratic"
    loss: str = "cross_entropy"
    optimizer: str = "adamw"
    learning_rate: float = 3e-3
    weight_decay: float = 1.0
    init_scale: float = 1.0
    steps: int = 3000
    eval_every: int = 25
    seed: int = 0
    beta1: float = 0.9
    beta2: float = 0.98
    eps: float = 1e-8
    momentum: float = 0.9
    stop_after_grok: int | None = None
    grok_threshold: float = 0.95

    def __post_init__(self):
        def need(name, ok, allowed):
            if not ok:
                raise ParameterError(f"{name} = {getattr(self, name)!r} is outside its domain: "
                                     f"{allowed}", name)
        need("modulus", isinstance(self.modulus, int) and self.modulus >= 2, "integers >= 2")
        need("train_fraction", 0 < self.train_fraction < 1, "(0, 1)")
        need("width", isinstance(self.width, int) and self.width >= 1, "integers >= 1")
        need("activation", self.activation in ("relu", "quadratic"), "'relu' or 'quadratic'")
        need("loss", self.loss in ("cross_entropy", "mse"), "'cross_entropy' or 'mse'")
        need("optimizer", self.optimizer in ("adamw", "adam_l2", "sgd"),
             "'adamw', 'adam_l2' or 'sgd'")
        need("learning_rate", self.learning_rate > 0 and math.isfinite(self.learning_rate),
             "(0, inf)")
        need("weight_decay", self.weight_decay >= 0 and math.isfinite(self.weight_decay),
             "[0, inf)")
        need("init_scale", self.init_scale > 0 and math.isfinite(self.init_scale), "(0, inf)")
        need("steps", isinstance(self.steps, int) and self.steps >= 1, "integers >= 1")
        need("eval_every", isinstance(self.eval_every, int) and self.eval_every >= 1,
             "integers >= 1")
        need("momentum", 0 <= self.momentum < 1, "[0, 1)")
        need("stop_after_grok", self.stop_after_grok is None or (
            isinstance(self.stop_after_grok, int) and self.stop_after_grok >= 0),
            "None or integers >= 0")

    def hyper(self) -> dict[str, Any]:
        """The run's hyperparameters under the library's names."""
        h = dataclasses.asdict(self)
        h.update(task="modular_addition", architecture="two_layer_mlp", batch_size=self.n_train,
                 full_batch=True, steps_per_epoch=1, trainer="grokdelay.trainer",
                 step_budget=h.pop("steps"))
        if self.optimizer != "sgd":
            h.pop("momentum")
        return h

    @property
    def n_train(self) -> int:
        """Training pairs: round(train_fraction * p^2), at least 1 and at most p^2 - 1."""
        return min(max(1, round(self.train_fraction * self.modulus ** 2)), self.modulus ** 2 - 1)


#: A small configuration that groks in seconds on one core (p = 23, quadratic network,
#: AdamW, weight decay 1): train accuracy 0.99 at step 100, test accuracy 0.95 at step
#: 1,400; it stops 200 steps after that (timings in the docs).
QUICK = TrainerConfig(stop_after_grok=200)


def modular_addition_data(config: TrainerConfig) -> tuple[np.ndarray, ...]:
    """Indices ``(a_train, b_train, y_train, a_test, b_test, y_test)`` of the split (seeded)."""
    p = config.modulus
    rng = np.random.default_rng([config.seed, 0])
    order = rng.permutation(p * p)
    a, b = order // p, order % p
    y = (a + b) % p
    k = config.n_train
    return a[:k], b[:k], y[:k], a[k:], b[k:], y[k:]


class _Net:
    def __init__(self, config: TrainerConfig):
        p, n = config.modulus, config.width
        rng = np.random.default_rng([config.seed, 1])
        s = config.init_scale
        # W1 acts on [e_a; e_b]: fan-in 2 (two ones), W2 on N hidden units
        self.params = {"W1": rng.standard_normal((n, 2 * p)) * (s / math.sqrt(2.0)),
                       "W2": rng.standard_normal((p, n)) * (s / math.sqrt(n))}
        self.p, self.act, self.loss = p, config.activation, config.loss

    def onehot(self, a, b):
        """[e_a; e_b] for each pair, as rows: shape (n, 2p)."""
        x = np.zeros((a.size, 2 * self.p))
        x[np.arange(a.size), a] = 1.0
        x[np.arange(a.size), self.p + b] = 1.0
        return x

    def forward(self, x):
        W1, W2 = self.params["W1"], self.params["W2"]
        pre = W1 @ x.T                                   # (N, n)
        h = np.maximum(pre, 0.0) if self.act == "relu" else pre * pre
        return pre, h, W2 @ h                            # logits (p, n)

    def loss_grad(self, x, y):
        pre, h, z = self.forward(x)
        n = y.size
        if self.loss == "cross_entropy":
            z = z - z.max(axis=0)
            e = np.exp(z)
            dz = e / e.sum(axis=0)
            dz[y, np.arange(n)] -= 1.0
            dz /= n
        else:
            t = np.zeros_like(z)
            t[y, np.arange(n)] = 1.0
            dz = 2.0 * (z - t) / n
        W2 = self.params["W2"]
        gW2 = dz @ h.T
        dh = W2.T @ dz
        dpre = dh * (pre > 0) if self.act == "relu" else dh * 2.0 * pre
        return {"W1": dpre @ x, "W2": gW2}

    def evaluate(self, x, y):
        _, _, z = self.forward(x)
        acc = float(np.mean(np.argmax(z, axis=0) == y))
        n = y.size
        if self.loss == "cross_entropy":
            z = z - z.max(axis=0)
            logp = z - np.log(np.exp(z).sum(axis=0))
            loss = float(-np.mean(logp[y, np.arange(n)]))
        else:
            t = np.zeros_like(z)
            t[y, np.arange(n)] = 1.0
            loss = float(np.mean(np.sum((z - t) ** 2, axis=0)))
        return acc, loss


class _Optimizer:
    def __init__(self, config: TrainerConfig, params: Mapping[str, np.ndarray]):
        self.c = config
        self.t = 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params: dict[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        c = self.c
        self.t += 1
        eta, lam = c.learning_rate, c.weight_decay
        for k, th in params.items():
            g = grads[k]
            if c.optimizer == "sgd":
                g = g + lam * th
                self.m[k] = c.momentum * self.m[k] + g
                th -= eta * self.m[k]
                continue
            if c.optimizer == "adam_l2":
                g = g + lam * th
            else:                                # adamw: decoupled, as PyTorch applies it
                th *= 1.0 - eta * lam
            m, v = self.m[k], self.v[k]
            m *= c.beta1
            m += (1.0 - c.beta1) * g
            v *= c.beta2
            v += (1.0 - c.beta2) * g * g
            mhat = m / (1.0 - c.beta1 ** self.t)
            vhat = v / (1.0 - c.beta2 ** self.t)
            th -= eta * mhat / (np.sqrt(vhat) + c.eps)


def train(config: TrainerConfig | Mapping[str, Any] = QUICK, *, path: Any = None,
          recorder: RunRecorder | None = None, on_record: Any = None,
          **overrides: Any) -> TrainingRun:
    """Train one reference run and return it as a :class:`~grokdelay.TrainingRun`.

    Parameters
    ----------
    config : TrainerConfig or mapping
        The configuration (default :data:`QUICK`); ``overrides`` replace fields of it.
    path : path, optional
        Also write the log there (JSONL, through :class:`~grokdelay.RunRecorder`).
    recorder : RunRecorder, optional
        Record into this recorder instead; then ``path`` must be None.
    on_record : callable, optional
        Called as ``on_record(recorder)`` after every evaluation (ask
        ``recorder.milestones()`` or ``recorder.predict(calibration)`` while the run
        trains); a true return value stops training there.

    Examples
    --------
    >>> run = train(steps=200, eval_every=100)
    >>> run.steps.tolist(), run.hyper["optimizer"], sorted(run.norm_groups)
    ([0.0, 100.0, 200.0], 'adamw', ['w1', 'w2'])
    """
    if isinstance(config, Mapping):
        config = TrainerConfig(**config)
    if overrides:
        config = dataclasses.replace(config, **overrides)
    if recorder is not None and path is not None:
        raise ParameterError("give path or recorder, not both", "path")
    rec = recorder if recorder is not None else RunRecorder(path, hyper=config.hyper(),
                                                            groups="name")
    a, b, y, ta, tb, ty = modular_addition_data(config)
    net = _Net(config)
    x, tx = net.onehot(a, b), net.onehot(ta, tb)
    opt = _Optimizer(config, net.params)
    stop_at = None

    def record(step):
        nonlocal stop_at
        stop = False
        tr_acc, tr_loss = net.evaluate(x, y)
        te_acc, te_loss = net.evaluate(tx, ty)
        rec.log(step, train_acc=tr_acc, test_acc=te_acc, train_loss=tr_loss,
                test_loss=te_loss, params=net.params)
        if (stop_at is None and config.stop_after_grok is not None
                and te_acc >= config.grok_threshold):
            stop_at = step + config.stop_after_grok
        if on_record is not None:
            stop = bool(on_record(rec))
        return stop or (stop_at is not None and step >= stop_at)

    with _one_blas_thread():
        try:
            done = record(0)
            for step in range(1, config.steps + 1):
                if done:
                    break
                grads = net.loss_grad(x, y)
                opt.step(net.params, grads)
                if step % config.eval_every == 0 or step == config.steps:
                    done = record(step)
        finally:
            if recorder is None:
                rec.close()
    return rec.run


def _one_blas_thread():
    """BLAS limited to one thread when threadpoolctl is installed: these matrices are small,
    and threaded BLAS on them is slower (by 10x on a busy 2-core machine, measured)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _train_quietly(config: TrainerConfig) -> TrainingRun:
    return train(config)


def grid(base: TrainerConfig | Mapping[str, Any] = QUICK, *, executor: Any = None,
         progress: bool | None = None, **grids: Sequence[Any]) -> list[TrainingRun]:
    """Train the product grid of ``grids`` over ``base``; runs in grid order.

    Parameters
    ----------
    base : TrainerConfig or mapping
    executor : concurrent.futures.Executor or dask Client, optional
        Runs the trainings (a process pool, or a Dask cluster's ``Client.get_executor()``);
        results are identical to the serial ones (each run is seeded by its config), in grid
        order; a failing run comes back as a ParameterError naming it.
    progress : bool, optional
        A ``tqdm`` progress bar (default: when tqdm is installed and there is more than one
        run).
    **grids : sequence or scalar
        ``field=[values, ...]``: an axis of the grid (the first varies slowest);
        ``field=value``: fixed for every run.

    Examples
    --------
    >>> runs = grid(steps=20, eval_every=10, weight_decay=[0.1, 1.0], seed=[0, 1],
    ...             progress=False)
    >>> [(r.hyper["weight_decay"], r.hyper["seed"]) for r in runs]
    [(0.1, 0), (0.1, 1), (1.0, 0), (1.0, 1)]
    """
    if isinstance(base, Mapping):
        base = TrainerConfig(**base)
    fields = {f.name for f in dataclasses.fields(TrainerConfig)}
    axes: dict[str, list[Any]] = {}
    fixed: dict[str, Any] = {}
    for k, v in grids.items():
        if k not in fields:
            raise ParameterError(f"{k!r} is not a TrainerConfig field "
                                 f"({', '.join(sorted(fields))})", k)
        if isinstance(v, str) or not isinstance(v, Sequence | np.ndarray):
            fixed[k] = v
        elif len(v) == 0:
            raise ParameterError(f"{k} = {v!r}: a grid axis needs at least one value", k)
        else:
            axes[k] = [x.item() if isinstance(x, np.generic) else x for x in v]
    base = dataclasses.replace(base, **fixed)
    configs = [dataclasses.replace(base, **dict(zip(axes, combo)))
               for combo in itertools.product(*axes.values())]
    bar = None
    if progress is None:
        progress = len(configs) > 1
    if progress:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            bar = tqdm(total=len(configs), desc="grokdelay.trainer.grid", unit="run")
    try:
        return parallel_map(_train_quietly, configs, executor=executor,
                            describe=lambda c: f"the run {c}", field="grids",
                            on_result=None if bar is None else lambda i, r: bar.update(1))
    finally:
        if bar is not None:
            bar.close()

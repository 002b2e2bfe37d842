"""grokdelay.trainer: the reference network's gradients, optimizers, grokking and grids."""

from __future__ import annotations

import concurrent.futures as cf
import math

import numpy as np
import pytest

import grokdelay as gd
from grokdelay import trainer
from grokdelay.trainer import TrainerConfig, _Net, _Optimizer


@pytest.mark.parametrize("activation", ["relu", "quadratic"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_backprop_matches_finite_differences(activation, loss):
    cfg = TrainerConfig(modulus=5, width=7, activation=activation, loss=loss, seed=3)
    a, b, y, *_ = trainer.modular_addition_data(cfg)
    net = _Net(cfg)
    x = net.onehot(a, b)

    def loss_of(params):
        old = net.params
        net.params = params
        _, _, z = net.forward(x)
        net.params = old
        n = y.size
        if loss == "cross_entropy":
            z = z - z.max(axis=0)
            return -np.mean(z[y, np.arange(n)] - np.log(np.exp(z).sum(axis=0)))
        t = np.eye(cfg.modulus)[:, y]
        return np.mean(np.sum((z - t) ** 2, axis=0))

    grads = net.loss_grad(x, y)
    rng = np.random.default_rng(0)
    h = 1e-6
    for k in ("W1", "W2"):
        for _ in range(6):
            idx = tuple(rng.integers(0, s) for s in net.params[k].shape)
            if activation == "relu" and k == "W1":
                pre = net.params["W1"] @ x.T
                if np.min(np.abs(pre[idx[0]])) < 1e-4:   # a kink: no derivative to check
                    continue
            plus = {kk: v.copy() for kk, v in net.params.items()}
            minus = {kk: v.copy() for kk, v in net.params.items()}
            plus[k][idx] += h
            minus[k][idx] -= h
            fd = (loss_of(plus) - loss_of(minus)) / (2 * h)
            # central differences: truncation O(h^2 f''') and rounding O(eps f / h) ~ 1e-10
            assert grads[k][idx] == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_optimizer_steps_follow_the_library_convention():
    th0 = np.array([1.0, -2.0])
    g = np.array([0.5, 0.25])
    eta, lam = 0.1, 0.3

    def one_step(opt, **kw):
        cfg = TrainerConfig(optimizer=opt, learning_rate=eta, weight_decay=lam, **kw)
        params = {"w": th0.copy()}
        _Optimizer(cfg, params).step(params, {"w": g})
        return params["w"]

    # SGD: theta - eta (grad + lambda theta) on the first step (momentum buffer = gradient)
    np.testing.assert_allclose(one_step("sgd"), th0 - eta * (g + lam * th0), rtol=1e-15)
    # AdamW, first step: m_hat = g, v_hat = g^2, decay decoupled: (1 - eta lambda) theta
    eps = TrainerConfig().eps
    np.testing.assert_allclose(one_step("adamw"),
                               th0 * (1 - eta * lam) - eta * g / (np.abs(g) + eps), rtol=1e-14)
    # Adam + coupled L2: the decay goes through Adam's normalization
    gl = g + lam * th0
    np.testing.assert_allclose(one_step("adam_l2"), th0 - eta * gl / (np.abs(gl) + eps),
                               rtol=1e-14)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    path = tmp_path_factory.mktemp("quick") / "quick.jsonl"
    return path, trainer.train(trainer.QUICK, path=path)


def test_quick_run_groks_and_is_reproducible(quick):
    path, run = quick
    m = run.milestones(threshold=0.95, train_threshold=0.99)
    # memorization in the first hundred steps, grokking a thousand steps later
    assert m.t_mem <= 200 and m.t_grok >= 5 * m.t_mem and math.isfinite(m.t_grok)
    assert run.test_acc[-1] >= 0.95 and run.train_acc[-1] == 1.0
    assert run.last_step == min(m.t_grok + trainer.QUICK.stop_after_grok,
                                trainer.QUICK.steps)
    assert trainer.train(trainer.QUICK) == run          # seeded: the same run again
    assert gd.read_run(path) == run                     # and the log holds exactly it
    assert set(run.norm_groups) == {"w1", "w2"}
    np.testing.assert_allclose(run.norm, np.hypot(run.norm_groups["w1"],
                                                  run.norm_groups["w2"]), rtol=1e-15)
    assert run.hyper["optimizer"] == "adamw" and run.hyper["batch_size"] == 264


def test_weight_decay_shortens_the_delay():
    """The grokking delay of this network falls with weight decay (the norm-separation
    picture): a physical check, not a tuned number."""
    low, high = trainer.grid(trainer.QUICK, weight_decay=[1.0, 3.0], progress=False)
    d_low = low.milestones(0.95, 0.99).delay
    d_high = high.milestones(0.95, 0.99).delay
    assert math.isfinite(d_high) and d_high < d_low


def test_grid_on_executors_equals_serial():
    kw = dict(steps=60, eval_every=20, weight_decay=[0.5, 1.0], seed=[0, 1], progress=False)
    serial = trainer.grid(**kw)
    assert [(r.hyper["weight_decay"], r.hyper["seed"]) for r in serial] == [
        (0.5, 0), (0.5, 1), (1.0, 0), (1.0, 1)]
    with cf.ThreadPoolExecutor(2) as ex:
        threads = trainer.grid(executor=ex, **kw)
    with cf.ProcessPoolExecutor(2) as ex:
        procs = trainer.grid(executor=ex, **{**kw, "progress": True})
    assert threads == serial and procs == serial


def test_bad_configs_name_the_field():
    with pytest.raises(gd.ParameterError) as e:
        TrainerConfig(optimizer="lion")
    assert e.value.field == "optimizer"
    with pytest.raises(gd.ParameterError) as e:
        TrainerConfig(train_fraction=50)
    assert e.value.field == "train_fraction"
    with pytest.raises(gd.ParameterError) as e:
        trainer.grid(depth=[1, 2])
    assert e.value.field == "depth"
    with pytest.raises(gd.ParameterError) as e:
        trainer.grid(seed=[])
    assert e.value.field == "seed"

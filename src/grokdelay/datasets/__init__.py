r"""Real training runs shipped with grokdelay, for tests, examples and calibration.

:func:`fu2026` loads 70 logged runs of tiny transformers on modular addition (Fu 2026, CC BY
4.0; attribution and the license text are in the package folder ``grokdelay/datasets/data``
and in the docs).
"""

from __future__ import annotations

import functools
import io
import math
from typing import Any

from .._core import ParameterError
from .._log_formats import parse_jsonl
from ..logs import run_from_table
from ..runs import TrainingRun

__all__ = ["fu2026", "FU2026_ATTRIBUTION", "FU2026_STUDIES"]

FU2026_ATTRIBUTION = (
    "Zeyu Fu, 'Norm growth is a byproduct, not the cause, of Muon-accelerated grokking': code "
    "and data, version 1.0.0 (2026), doi:10.5281/zenodo.21020292, "
    "https://github.com/PeterPonyu/muon-norm-cap-grokking (experiments/results/). Result logs "
    "licensed CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); vendored unchanged.")

#: The two studies of the corpus.
FU2026_STUDIES = ("mech", "add_normctl")

# Muon (and the SGD of the "sgdm" arm) drive the hidden 2-D matrices with momentum 0.95,
# Nesterov, at muon_lr; every other parameter is trained by AdamW at lr. From the authors'
# optimizer builder (experiments/lmc_instability/train_fork.py, build_optimizer, and
# experiments/s5_normctl/run_s5_normctl.py, make_builder); the logs do not record it.
_MATRIX_MOMENTUM = 0.95


def _ceiling(name: str) -> float:
    tag = name.split("_")[0]          # k1, k1p5, k2, k3, kinf
    if not tag.startswith("k"):
        raise ValueError(f"add_normctl file {name!r} does not start with k<ceiling>")
    body = tag[1:]
    return math.inf if body == "inf" else float(body.replace("p", "."))


def fu2026_hyper(meta: dict[str, Any], study: str, name: str) -> dict[str, Any]:
    """The library's hyperparameters of one fu2026 run, from its ``_meta`` line.

    ``learning_rate`` is the rate of the parameters the optimizer is named after: ``lr`` for
    AdamW; ``muon_lr`` for Muon and for the SGD-with-momentum arm (``optimizer="sgd"``, the
    logs' ``"sgdm"``), which both drive the hidden matrices at ``muon_lr`` while AdamW trains
    the rest at ``lr`` (kept as ``adamw_learning_rate``). ``weight_decay`` is the logs' value
    in the library's convention: PyTorch's AdamW decay is decoupled (the library's AdamW
    form), PyTorch's SGD decay is coupled (the library's SGD form); Muon's is assumed
    decoupled, :math:`\\theta \\leftarrow (1 - \\eta\\lambda)\\theta`, as in the reference Muon
    implementation (its source is not in the archive).
    """
    opt = meta["optimizer"]
    h: dict[str, Any] = {
        "optimizer": {"adamw": "adamw", "muon": "muon", "sgdm": "sgd"}[opt],
        "learning_rate": meta["lr"] if opt == "adamw" else meta["muon_lr"],
        "weight_decay": meta["weight_decay"],
        "init_scale": meta["init_scale"],
        "train_fraction": meta["train_frac"],
        "seed": meta["seed"],
        "loss": "cross_entropy",
        "full_batch": True,
        "steps_per_epoch": 1,
        "beta1": meta["beta1"],
        "beta2": meta["beta2"],
        "task": {"add": "modular_addition"}.get(meta["op"], f"modular_{meta['op']}"),
        "modulus": meta["p"],
        "architecture": "transformer",
        "d_model": meta["d_model"],
        "n_heads": meta["n_heads"],
        "n_layers": meta["n_layers"],
        "mlp_ratio": meta["mlp_ratio"],
        "step_budget": meta["steps"],
        "eval_every": meta["eval_every"],
        "study": study,
    }
    if opt != "adamw":
        h.update(adamw_learning_rate=meta["lr"], momentum=_MATRIX_MOMENTUM, nesterov=True,
                 matrix_optimizer="muon" if opt == "muon" else "sgd")
    if study == "add_normctl":
        h["norm_ceiling"] = _ceiling(name)
    return h


@functools.lru_cache(maxsize=1)
def _load_all() -> tuple[TrainingRun, ...]:
    import tarfile  # both imported here, not with the package (start-up time)
    from importlib import resources

    runs = []
    data = resources.files(__name__).joinpath("data", "fu2026.tar.gz").read_bytes()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if not member.isfile() or not member.name.endswith(".jsonl"):
                continue
            study, _, fname = member.name.partition("/")
            stem = fname[: -len(".jsonl")]
            text = tar.extractfile(member).read().decode("utf-8")
            table = parse_jsonl(text, f"{study}/{stem}", member.name)
            runs.append(run_from_table(table, columns=None, hyper=fu2026_hyper(table.meta, study, stem),
                                nan="raise", percent=False, hyper_from_meta=False))
    return tuple(runs)


def fu2026(study: str | None = None) -> list[TrainingRun]:
    """The 70 runs of Fu (2026) as :class:`~grokdelay.TrainingRun` (CC BY 4.0).

    Tiny transformers (2 layers, d_model 128) on (a + b) mod 97, full batch, 40% of the pairs
    for training, evaluated every 25 or 50 steps; AdamW, Muon and SGD with momentum, weight
    decay 0 to 1, init scale 1 or 3, several seeds; in ``add_normctl`` Muon with the hidden
    matrices' norms capped at ``hyper["norm_ceiling"]`` times their initial norm. Runs stop
    a few hundred steps after grokking, or at their budget: those that never reach test
    accuracy 0.95 are right-censored at their last step.

    Parameters
    ----------
    study : {"mech", "add_normctl"}, optional
        One study (30 and 40 runs); default both, ``mech`` first.

    Returns
    -------
    list of TrainingRun
        Named ``"<study>/<file stem>"`` (e.g. ``"mech/adamw_sc1.0_wd1.0_s0"``); ``hyper`` as
        :func:`fu2026_hyper` builds it; ``meta`` and ``summary`` the logs' own ``_meta`` and
        ``_summary`` lines (the authors' ``memorize_step`` at train accuracy 0.99 and
        ``grok_step`` at test accuracy 0.95, which ``run.milestones(0.95, 0.99)``
        reproduces). Norms: ``wn_total`` is the total; ``hidden`` and ``embed`` groups.

    Notes
    -----
    Attribution: Zeyu Fu, *Norm growth is a byproduct, not the cause, of Muon-accelerated
    grokking*, code and data v1.0.0 (2026), doi:10.5281/zenodo.21020292; result logs under
    CC BY 4.0, vendored unchanged (``FU2026_ATTRIBUTION``).

    Examples
    --------
    >>> from grokdelay.datasets import fu2026
    >>> runs = fu2026()
    >>> len(runs), runs[0].name
    (70, 'mech/adamw_sc1.0_wd0.0_s0')
    >>> m = runs[0].milestones(threshold=0.95, train_threshold=0.99)
    >>> m.t_mem, m.t_grok, runs[0].summary["memorize_step"], runs[0].summary["grok_step"]
    (75.0, 2225.0, 75, 2225)
    """
    runs = _load_all()
    order = {s: i for i, s in enumerate(FU2026_STUDIES)}
    ordered = sorted(runs, key=lambda r: (order[r.hyper["study"]], r.name))
    if study is None:
        return ordered
    if study not in FU2026_STUDIES:
        raise ParameterError(f"study = {study!r} is not one of {', '.join(FU2026_STUDIES)}",
                             "study")
    return [r for r in ordered if r.hyper["study"] == study]

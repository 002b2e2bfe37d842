"""Train a reference grokking run, record it live, and read its milestones while it trains.

The numpy reference trainer (``grokdelay.trainer``) learns (a + b) mod 23 with a two-layer
quadratic network, AdamW and weight decay 1. Every evaluation goes through a
``gd.RunRecorder`` into ``reference_run.jsonl`` (one flushed line per record); a callback asks
the recorder for the milestones as the run goes: memorization is seen first, grokking is
right-censored ("censored at step S") until the test accuracy gets there. At the end the log
is read back with ``gd.read_run`` and plotted. Writes ``reference_run.jsonl``,
``reference_run.txt`` and ``reference_run.png``. Runs in about 5 s.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import grokdelay as gd  # noqa: E402
from grokdelay import trainer  # noqa: E402


def main(outdir="."):
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    log_path = outdir / "reference_run.jsonl"
    log_path.unlink(missing_ok=True)        # a new run (a RunRecorder appends to old logs)
    config = trainer.QUICK
    lines = [f"reference run: {config}", ""]
    seen = {"mem": False}

    def watch(rec):
        """Called after every evaluation: what the log says so far."""
        m = rec.milestones(threshold=0.95, train_threshold=0.99)
        if math.isfinite(m.t_mem) and not seen["mem"]:
            seen["mem"] = True
            lines.append(f"step {rec.run.last_step:g}: memorized at t_mem = {m.t_mem:g}; "
                         f"grokking so far: {m.notes[0]}")
        if math.isfinite(m.t_grok) and "grok" not in seen:
            seen["grok"] = m.t_grok
            lines.append(f"step {rec.run.last_step:g}: grokked at t_grok = {m.t_grok:g} "
                         f"(delay {m.delay:g} steps, ratio {m.ratio:.3g})")

    with gd.RunRecorder(log_path, hyper=config.hyper(), groups="name") as rec:
        trainer.train(config, recorder=rec, on_record=watch)

    run = gd.read_run(log_path)              # the log on disk is the same run
    assert run == rec.run
    m = run.milestones(threshold=0.95, train_threshold=0.99)
    lines += ["", repr(run), "", str(m)]
    (outdir / "reference_run.txt").write_text("\n".join(lines) + "\n")

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax.plot(run.steps, run.train_acc, label="train accuracy")
    ax.plot(run.steps, run.test_acc, label="test accuracy")
    for t, style in ((m.t_mem, ":"), (m.t_grok, "--")):
        ax.axvline(t, color="k", ls=style, lw=0.8)
    ax.set(xlabel="step", ylabel="accuracy", title="observed t_mem (:) and t_grok (--)")
    ax.legend()
    bx.plot(run.steps, run.norm, label="total")
    for g, v in run.norm_groups.items():
        bx.plot(run.steps, v, label=g)
    bx.set(xlabel="step", ylabel="parameter norm", title="norms recorded live")
    bx.legend()
    fig.tight_layout()
    fig.savefig(outdir / "reference_run.png", dpi=120)
    plt.close(fig)
    return run, m


if __name__ == "__main__":
    _, milestones = main(sys.argv[1] if len(sys.argv) > 1 else ".")
    print(milestones)

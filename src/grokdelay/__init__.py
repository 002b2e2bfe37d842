"""grokdelay: closed-form predictions of the grokking delay, side by side.

>>> import grokdelay as gd
>>> pred = gd.predict_delay(gd.SpectralConditioning([4.0, 0.04], learning_rate=0.1))
>>> round(pred.ratio)
100

Every mechanism is a parameter class registered under a name (see :func:`mechanisms`);
:func:`predict_delay` turns its parameters into a :class:`DelayPrediction`.
"""

from ._core import (DelayPrediction, GrokdelayWarning, NotApplicable, ParameterError, Parameters,
                    Scenario, mechanisms, predict_delay)

# Mechanisms register themselves on import; this order is the order of `grokdelay compare`:
# the six of the API contract, then the two extra rows of the Analytical Proof notes' table 5.1.
from . import linear_teacher_student
from .linear_teacher_student import LinearTeacherStudent
from . import norm_separation
from .norm_separation import NormSeparation
from . import kramers
from .kramers import KramersEscape
from . import timescale_separation
from .timescale_separation import TimescaleSeparation
from . import two_clocks
from .two_clocks import TwoClocks
from . import spectral
from .spectral import SpectralConditioning
from . import implicit_bias
from .implicit_bias import ImplicitBias
from . import ridge_null_space
from .ridge_null_space import RidgeNullSpace
# The laws a real training run can feed (issue 13).
from . import first_passage, power_law, two_phase
from .first_passage import FirstPassage
from .two_phase import TwoPhaseDecay
from .power_law import PowerLaw

# Toolkits that feed the mechanisms.
from . import clock_estimators, deep_linear, modular_kernel

# The worked scenarios (the Analytical Proof notes' run mapped onto every mechanism), registered
# with the core.
from . import scenarios

# The user-facing layer: sweeps, plots, milestones from training logs.
from . import milestones, plotting, sensitivity, sweep
from .milestones import Milestones, compare_with_log, milestones_from_log
from .sensitivity import Elasticity, elasticity
from .sweep import Table

# Real training runs: logs in, milestones out.
from . import datasets, logs, recorder, runs, trainer
from .logs import read_run, read_runs
from .recorder import RunRecorder
from .runs import TrainingRun

# Real runs: which theory applies, calibrated laws, cross-validation (issue 13).
from . import calibration, cross_validation, premises
from .calibration import Calibration, calibrate
from .cross_validation import CrossValidation, cross_validate, plot_predictions
from .premises import Diagnosis, diagnose

__version__ = "0.2.0.dev0"

__all__ = [
    # core
    "DelayPrediction",
    "GrokdelayWarning",
    "ParameterError",
    "NotApplicable",
    "Parameters",
    "Scenario",
    "mechanisms",
    "predict_delay",
    # mechanisms
    "LinearTeacherStudent",
    "NormSeparation",
    "KramersEscape",
    "TimescaleSeparation",
    "TwoClocks",
    "SpectralConditioning",
    "ImplicitBias",
    "RidgeNullSpace",
    "FirstPassage",
    "TwoPhaseDecay",
    "PowerLaw",
    "first_passage",
    "two_phase",
    "power_law",
    "linear_teacher_student",
    "norm_separation",
    "kramers",
    "timescale_separation",
    "two_clocks",
    "spectral",
    "implicit_bias",
    "ridge_null_space",
    # toolkits
    "clock_estimators",
    "deep_linear",
    "modular_kernel",
    "scenarios",
    # user-facing layer
    "milestones",
    "plotting",
    "sensitivity",
    "sweep",
    "Elasticity",
    "elasticity",
    "Milestones",
    "Table",
    "compare_with_log",
    "milestones_from_log",
    # real runs
    "TrainingRun",
    "RunRecorder",
    "read_run",
    "read_runs",
    "runs",
    "logs",
    "datasets",
    "recorder",
    "trainer",
    "calibration",
    "cross_validation",
    "premises",
    "Calibration",
    "CrossValidation",
    "Diagnosis",
    "calibrate",
    "cross_validate",
    "diagnose",
    "plot_predictions",
]

"""grokdelay: closed-form predictions of the grokking delay, side by side.

>>> import grokdelay as gd
>>> pred = gd.predict_delay(gd.SpectralConditioning([4.0, 0.04], learning_rate=0.1))
>>> round(pred.ratio)
100

Every mechanism is a parameter class registered under a name (see :func:`mechanisms`);
:func:`predict_delay` turns its parameters into a :class:`DelayPrediction`.
"""

from ._core import (DelayPrediction, GrokdelayWarning, ParameterError, Parameters, Scenario,
                    mechanisms, predict_delay)

# Mechanisms register themselves on import; this order is the order of `grokdelay compare`:
# the six of the API contract, then the two extra rows of seed 000's table 5.1.
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

# Toolkits that feed the mechanisms.
from . import clock_estimators, deep_linear, modular_kernel

# The worked scenarios (seed 000's run mapped onto every mechanism), registered with the core.
from . import scenarios

# The user-facing layer: sweeps, plots, milestones from training logs.
from . import milestones, plotting, sweep
from .milestones import Milestones, compare_with_log, milestones_from_log
from .sweep import Table

__version__ = "0.1.0"

__all__ = [
    # core
    "DelayPrediction",
    "GrokdelayWarning",
    "ParameterError",
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
    "sweep",
    "Milestones",
    "Table",
    "compare_with_log",
    "milestones_from_log",
]

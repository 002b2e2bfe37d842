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

# Mechanisms register themselves on import; the order here is the order of `compare`.
from . import spectral
from .spectral import SpectralConditioning

__version__ = "0.1.0"

__all__ = [
    "DelayPrediction",
    "GrokdelayWarning",
    "ParameterError",
    "Parameters",
    "Scenario",
    "mechanisms",
    "predict_delay",
    "SpectralConditioning",
    "spectral",
]

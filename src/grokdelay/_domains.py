"""Domains of parameter fields and close-name suggestions: the part of the core that needs
nothing else (``_core`` re-exports these names)."""

from __future__ import annotations

import dataclasses
import difflib
import math
from typing import Any

import numpy as np

__all__ = ["Interval", "Choice", "did_you_mean"]


def _fmt(x: float) -> str:
    if x == math.inf:
        return "inf"
    if x == -math.inf:
        return "-inf"
    return f"{x:g}"


@dataclasses.dataclass(frozen=True)
class Interval:
    """A real interval, optionally restricted to integers.

    ``typical`` is a (lo, hi) range that hypothesis draws valid values from; it should
    cover the values a user would plausibly pass.
    """

    lo: float = -math.inf
    hi: float = math.inf
    lo_closed: bool = True
    hi_closed: bool = True
    integer: bool = False
    typical: tuple[float, float] | None = None
    allow_inf: bool = False

    def contains(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        lo_ok = (x >= self.lo) if self.lo_closed else (x > self.lo)
        hi_ok = (x <= self.hi) if self.hi_closed else (x < self.hi)
        ok = lo_ok & hi_ok & ~np.isnan(x)
        if not self.allow_inf:          # an infinite endpoint is a limit, not a value
            ok &= ~np.isinf(x)
        if self.integer:
            ok &= np.isfinite(x) & (np.floor(x) == x)
        return ok

    def __str__(self) -> str:
        if self.integer:
            if self.hi == math.inf:
                lo = math.ceil(self.lo) if self.lo_closed else math.floor(self.lo) + 1
                return f"integers >= {lo}"
            return f"integers in [{_fmt(self.lo)}, {_fmt(self.hi)}]"
        left = "[" if self.lo_closed and self.lo != -math.inf else "("
        right = "]" if self.hi_closed and (self.hi != math.inf or self.allow_inf) else ")"
        return f"{left}{_fmt(self.lo)}, {_fmt(self.hi)}{right}"

    def edges(self) -> list[float]:
        """Closed, finite endpoints: valid values on the domain's edge."""
        out = []
        if self.lo_closed and math.isfinite(self.lo):
            out.append(float(self.lo))
        if self.hi_closed and math.isfinite(self.hi):
            out.append(float(self.hi))
        return out

    def outside(self) -> list[float]:
        """Values just outside the domain (open endpoints and beyond)."""
        out = []
        if math.isfinite(self.lo):
            if not self.lo_closed:
                out.append(float(self.lo))
            out.append(float(self.lo) - max(1.0, abs(self.lo)))
        if math.isfinite(self.hi):
            if not self.hi_closed:
                out.append(float(self.hi))
            out.append(float(self.hi) + max(1.0, abs(self.hi)))
        elif not self.allow_inf:
            out.append(math.inf)
        if self.integer:
            base = self.lo if math.isfinite(self.lo) else 0.0
            out.append(base + 1.5)
        return out


@dataclasses.dataclass(frozen=True)
class Choice:
    """One of a fixed set of strings."""

    values: tuple[str, ...]

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


def did_you_mean(name: Any, choices: Any) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices`` to ``name``, else ``""``."""
    if not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""

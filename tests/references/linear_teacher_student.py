"""Reference cases for the linear_teacher_student mechanism (seed 003, arXiv 2310.16441).

"exact" numbers: mpmath at 25-30 digits. The Marchenko-Pastur averages are mpmath.quad of
the loss integrands as written in the paper (eq 8; eq 38 with weight decay; 1/d_out and
eta/d_out of eq 12; the student scale on |S0|^2 of eq 37) against the density of eq 6 on
41 dyadic sub-intervals of phi in nu = lambda_- + (lambda_+ - lambda_-) sin^2(phi), plus
the atom; the target loss from mpmath's regularized gammainc (eq 12) solved with findroot;
the crossing time with mpmath.findroot on log L(t) - log L* to 1e-20. None of this uses
grokdelay's quadrature or root finder (script: tests/test_linear_teacher_student.py,
``mp_losses``). rtol 1e-9: the library converges to ~1e-14 in log t and its quadrature
agrees with mpmath to ~1e-14; 1e-9 leaves room for platform libm differences.

"lambert_w" / "asymptotic": the paper's own eqs 23-24 and 11 evaluated with mpmath in
their original, unsimplified form (cube roots of the seven-term sums), checking the
library's simplified arguments.
"""

import math

_A = {"mechanism": "linear_teacher_student", "learning_rate": 0.01}

CASES = [
    {"params": {**_A, "aspect_ratio": 0.5}, "method": None,
     "expect": {"t_mem": 725.0710561441355, "t_grok": 1156.4054151958408}, "rtol": 1e-9,
     "source": "mpmath 25 digits: quad of eq 8 over eq 6, findroot of L = epsilon/4"},
    {"params": {**_A, "aspect_ratio": 0.99, "threshold": 1e-6}, "method": None,
     "expect": {"t_mem": 232967.90789474748, "t_grok": 5774841.245825019}, "rtol": 1e-9,
     "source": "mpmath 25 digits, eq 8 near lambda = 1 and tiny epsilon (hard corner)"},
    {"params": {**_A, "aspect_ratio": 0.9, "weight_decay": 1e-4}, "method": None,
     "expect": {"t_mem": 2407.7724261423873, "t_grok": 23067.493045657837}, "rtol": 1e-9,
     "source": "mpmath 25 digits: quad of eq 38 (weight decay) over eq 6, findroot"},
    {"params": {**_A, "aspect_ratio": 0.3, "d_out": 4, "init_scale": 0.5}, "method": None,
     "expect": {"t_mem": 1011.7165590359748, "t_grok": 1386.853362420412}, "rtol": 1e-9,
     "source": "mpmath 25 digits: eq 12 (eta/d_out, 1/d_out, regularized gammainc target) "
               "with |S0|^2 scaled by alpha^2 (eq 37)"},
    {"params": {**_A, "aspect_ratio": 2.0, "weight_decay": 0.01, "threshold": 0.01},
     "method": None, "expect": {"t_mem": 179.94340762464256, "t_grok": math.inf}, "rtol": 1e-9,
     "source": "mpmath 25 digits for t_mem (eq 38 with the atom of eq 6); t_grok = inf because "
               "the null-space floor (1 - 1/lambda)/2 = 0.25 > epsilon/4"},
    {"params": {**_A, "aspect_ratio": 0.5}, "method": "lambert_w",
     "expect": {"t_mem": 726.754747280349634712967777605,
                "t_grok": 1217.06562461143185294335702638}, "rtol": 1e-12,
     "source": "eqs 23-24 verbatim (unsimplified cube-root arguments), mpmath 30 digits"},
    {"params": {**_A, "aspect_ratio": 0.5}, "method": "asymptotic",
     "expect": {"t_mem": 726.754747280349634712967777605,
                "t_grok": 1442.45481087315126322433359778}, "rtol": 1e-12,
     "source": "eq 23 verbatim plus eq 11, mpmath 30 digits"},
]

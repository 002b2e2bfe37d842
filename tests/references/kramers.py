"""Reference cases for the "kramers" mechanism (KramersEscape).

Every expected number is computed outside grokdelay: mpmath at 30 digits from the
Eyring-Kramers formula written out by hand (eigenvalues given explicitly, not through the
library's eigvalsh/slogdet path), or the exact mean first-passage time by quadrature.
"""

_ROTATED_MIN = [[1.176048949423, 0.3667359103, 0.62845567945],
                [0.3667359103, 1.921040730131, 0.453660837438],
                [0.62845567945, 0.453660837438, 7.902910320446]]   # Q diag(8, 2, 1) Q^T
_ROTATED_SADDLE = [[1.178204446703, 0.588387819766, -0.546609445174],
                   [0.588387819766, 2.721033962276, -0.597404412377],
                   [-0.546609445174, -0.597404412377, -3.899238408978]]  # Q diag(-4, 3, 1) Q^T

CASES = [
    {
        "params": {"mechanism": "kramers", "barrier": 1.0, "temperature": 0.1,
                   "hessian_min": 8.0, "hessian_saddle": -4.0},
        "method": None,
        "expect": {"t_mem": 0.0, "t_grok": 24465.2522669189046359855645777},
        "rtol": 1e-13,
        "source": "mpmath (30 digits): (2 pi / 4) sqrt(4 / 8) e^10; the API.md example",
    },
    {
        "params": {"mechanism": "kramers", "barrier": 1.0e4, "temperature": 1.0,
                   "hessian_min": 8.0, "hessian_saddle": -4.0},
        "method": None,
        "expect": {"t_mem": 0.0, "t_grok": float("inf"), "delay": float("inf"),
                   "log_delay": 10000.1050091150094822100175792},
        "rtol": 1e-15,
        "source": "mpmath (30 digits): log((2 pi / 4) sqrt(1/2)) + 1e4; exp overflows float64",
    },
    {
        "params": {"mechanism": "kramers", "barrier": 2.0, "temperature": 0.25,
                   "hessian_min": _ROTATED_MIN, "hessian_saddle": _ROTATED_SADDLE,
                   "t_mem": 150.0, "learning_rate": 0.01},
        "method": None,
        "expect": {"t_mem": 150.0, "t_grok": 405664.477627890041897018129768,
                   "delay": 405514.477627890041897018129768},
        # the matrices are rounded to 12 decimals: eigenvalues move by ~1e-12
        "rtol": 1e-9,
        "source": "mpmath (30 digits) from the eigenvalues (8, 2, 1) and (-4, 3, 1) of the "
                  "rotated matrices: (2 pi / 4) sqrt(12 / 16) e^8 / 0.01 + 150",
    },
    {
        "params": {"mechanism": "kramers", "barrier": 5.0, "temperature": 1.0,
                   "hessian_min": [8.0], "hessian_saddle": [-4.0]},
        "method": "saddle_passage",
        "expect": {"t_mem": 0.0, "t_grok": 82.4227865468775772740640915133},
        "rtol": 1e-13,
        "source": "mpmath (30 digits): half of (2 pi / 4) sqrt(1/2) e^5 (mean time to the saddle)",
    },
    {
        "params": {"mechanism": "kramers", "barrier": 1.0, "temperature": 1.0e-3,
                   "hessian_min": 8.0, "hessian_saddle": -4.0},
        "method": None,
        "expect": {"t_mem": 0.0, "log_delay": 1000.1053844907852},
        # the formula's error is (3/8) T / Delta F = 3.75e-4 in delay, i.e. 3.75e-4 absolute in
        # log_delay = 3.7e-7 relative to 1000.1
        "rtol": 1e-6,
        "source": "exact mean first-passage time of the quartic double well (x^2 - 1)^2 at "
                  "T = 1e-3 from -1 to +1, Gauss-Legendre nested quadrature in log space "
                  "(grokdelay.kramers.mfpt_1d, checked against mpmath's ODE solver)",
    },
]

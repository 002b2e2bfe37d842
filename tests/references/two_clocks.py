"""Reference cases for the two_clocks mechanism (seed 001, Thms 3.5, 4.9, 5.6, Prop 3.6).

Expected numbers were evaluated independently with mpmath at 50 digits directly from the
theorems' formulas (not through grokdelay's log-space code path):
T_cls = t_m + [log((K-1)/eps) - g0]_+ / gamma and
T_rep = t_l + (delta^-(2 theta-1) - E0^-(2 theta-1)) / (c (2 theta-1)).
tests/test_two_clocks.py also checks T_rep against solve_ivp on dE/dt = -c E^(2 theta).
rtol 1e-12: the library evaluates in float64 log space (expm1/log1p), a few ulps per step.
"""

CASES = [
    {"params": {"mechanism": "two_clocks", "gap_rate": 0.2, "n_classes": 10,
                "loss_target": 0.01, "kl_exponent": 0.6, "kl_rate": 0.02,
                "structure_target": 1e-3, "gap_initial": 2.0, "t_margin": 50.0,
                "t_late": 300.0, "energy_initial": 5.0,
                # optional fields given so the conformance suite has a valid scalar for
                # them; method "continuous" does not use them
                "tail_contraction": 0.5, "coupling_exponent": 1.0},
     "method": "continuous",
     "expect": {"t_mem": 74.01197381662155, "t_grok": 1114.0730104643192},
     "rtol": 1e-12,
     "source": "mpmath 50 digits, finite start E0 = 5: 300 + (1e-3^-0.2 - 5^-0.2) / (0.02*0.2)"},
    {"params": {"mechanism": "two_clocks", "gap_rate": 0.05, "n_classes": 97,
                "loss_target": 0.01, "kl_exponent": 0.75, "kl_rate": 1e-3,
                "structure_target": 1e-4},
     "method": None,
     "expect": {"t_mem": 183.39036754911855, "t_grok": 200000.0},
     "rtol": 1e-12,
     "source": "mpmath 50 digits: 20 log(9600); 1e-4^-0.5 / (1e-3 * 0.5) (E0 = inf)"},
    {"params": {"mechanism": "two_clocks", "gap_rate": 0.3, "n_classes": 10,
                "loss_target": 1e-3, "kl_exponent": 0.7, "kl_rate": 0.5,
                "structure_target": 1e-2, "t_late": 10.0, "tail_contraction": 0.2},
     "method": "discrete",
     "expect": {"t_mem": 41.0, "t_grok": 42.0},
     "rtol": 0,
     "source": "Prop 3.6 by hand/mpmath: ceil(log(9/1e-3) / -log(0.8)) = ceil(40.803) = 41; "
               "T_rep = 41.5479 -> first step 42"},
    {"params": {"mechanism": "two_clocks", "gap_rate": 1.0, "n_classes": 5,
                "loss_target": 1e-3, "kl_exponent": 0.8, "kl_rate": 0.1,
                "structure_target": 0.5, "coupling_exponent": 2.0},
     "method": "coupled",
     "expect": {"t_mem": 8.294049640102028, "t_grok": 66351.19509224954},
     "rtol": 1e-12,
     "source": "mpmath 50 digits, Thm 5.6 with delta = (1e-3)^2: log(4000); 1e-6^-0.6/(0.1*0.6)"},
    {"params": {"mechanism": "two_clocks", "gap_rate": 0.01, "n_classes": 1000,
                "loss_target": 1e-6, "kl_exponent": 0.99, "kl_rate": 1e-9,
                "structure_target": 1e-12},
     "method": None,
     "expect": {"t_mem": 2072.226533661283, "t_grok": 5.871836095277112e20},
     "rtol": 1e-12,
     "source": "mpmath 50 digits: slow clock near theta -> 1, 1e-12^-0.98 / (1e-9 * 0.98)"},
]

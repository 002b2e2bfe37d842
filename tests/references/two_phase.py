"""Reference cases for the two_phase mechanism (arXiv 2505.20172 in the Omnigrok form).

Every expected number is t_mem + c log(alpha w_0 / w_c) / (eta lambda) ("omnigrok") or with
eta lambda replaced by -log(1 - eta lambda) ("steps"), evaluated with mpmath at 50 digits from
the decimal inputs and printed to 20 digits; rtol 1e-12 for float64 logs.
"""

CASES = [
    {"params": {"mechanism": "two_phase", "learning_rate": 1e-3, "weight_decay": 2.0,
                "norm_init": 22.627416997969522, "norm_c": 1.0, "t_mem": 200.0},
     "method": None, "expect": {"t_mem": 200.0, "t_grok": 1759.5811562598769462}, "rtol": 1e-12,
     "source": "the scenario (seed 000 run); mpmath 50 digits of 200 + log(sqrt(512)) / 0.002"},
    {"params": {"mechanism": "two_phase", "learning_rate": 1e-3, "weight_decay": 1.0,
                "norm_init": 28.4, "norm_c": 22.5, "constant": 1.7},
     "method": "omnigrok", "expect": {"t_grok": 395.88552112653604389}, "rtol": 1e-12,
     "source": "mpmath 50 digits of 1.7 log(28.4 / 22.5) / 1e-3"},
    {"params": {"mechanism": "two_phase", "learning_rate": 1e-3, "weight_decay": 1.0,
                "norm_init": 28.4, "norm_c": 22.5, "init_scale": 3.0, "constant": 1.7,
                "t_mem": 75.0},
     "method": "steps", "expect": {"t_grok": 2337.3944599348169946}, "rtol": 1e-12,
     "source": "mpmath 50 digits of 75 + 1.7 log(3 * 28.4 / 22.5) / -log(1 - 1e-3)"},
    {"params": {"mechanism": "two_phase", "learning_rate": 1e-3, "weight_decay": 1.0,
                "norm_init": 20.0, "norm_c": 22.5, "t_mem": 75.0},
     "method": None, "expect": {"t_grok": 75.0}, "rtol": 0.0,
     "source": "Omnigrok section 2: starting below w_c there is no decay phase, delay 0"},
    {"params": {"mechanism": "two_phase", "learning_rate": 1e-3, "weight_decay": 0.0,
                "norm_init": 28.4, "norm_c": 22.5, "t_mem": 75.0},
     "method": None, "expect": {"t_grok": float("inf")}, "rtol": 0.0,
     "source": "arXiv 2505.20172: the slow phase starts at time Theta(1/lambda), never at 0"},
]

"""Reference cases for the power_law mechanism: t_mem + C eta^a lambda^b r^c evaluated with
mpmath at 50 digits from the decimal inputs (rtol 1e-12: float64 computes it through logs)."""

CASES = [
    {"params": {"mechanism": "power_law", "learning_rate": 1e-3, "weight_decay": 2.0,
                "train_fraction": 0.3, "t_mem": 200.0},
     "method": None, "expect": {"t_mem": 200.0, "t_grok": 700.0}, "rtol": 1e-12,
     "source": "the scenario: 200 + 1 / (1e-3 * 2), theory exponents, C = 1"},
    {"params": {"mechanism": "power_law", "learning_rate": 2e-3, "weight_decay": 0.1,
                "train_fraction": 0.3, "constant": 5.0, "exponent_lr": -0.9,
                "exponent_wd": -0.55, "exponent_fraction": -1.5, "t_mem": 120.0},
     "method": "power", "expect": {"t_grok": 29117.537995265610797}, "rtol": 1e-12,
     "source": "mpmath 50 digits of 120 + 5 * 0.002^-0.9 * 0.1^-0.55 * 0.3^-1.5"},
    {"params": {"mechanism": "power_law", "learning_rate": 1e-3, "weight_decay": 0.0},
     "method": None, "expect": {"t_grok": float("inf")}, "rtol": 0.0,
     "source": "definition: lambda = 0 with b = -1 never groks"},
]

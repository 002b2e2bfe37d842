# log(alpha)/(eta lambda) evaluated with mpmath at 30 digits; the gradient-descent count by
# iterating theta <- (1 - eta lambda) theta until the norm has shrunk by alpha
# (tests/test_implicit_bias.py does the same loop).
CASES = [
    {"params": {"mechanism": "implicit_bias", "init_scale": 1000.0, "weight_decay": 0.01,
                "learning_rate": 0.1},
     "method": None, "expect": {"t_mem": 0.0, "t_grok": 6907.75527898213705},
     "rtol": 1e-12, "source": "mpmath (30 digits): log(1000)/(0.1*0.01)"},
    {"params": {"mechanism": "implicit_bias", "init_scale": 20.0, "weight_decay": 0.05,
                "learning_rate": 0.1, "t_mem": 10.0},
     "method": "gradient_descent", "expect": {"t_mem": 10.0, "t_grok": 598.0}, "rtol": 0,
     "source": "iterating (1 - 0.005)^k <= 1/20: k = ceil(log 20 / -log 0.995) = 598"},
    {"params": {"mechanism": "implicit_bias", "init_scale": 50.0, "weight_decay": 0.2},
     "method": None, "expect": {"t_mem": 0.0, "t_grok": 19.5601150271407303}, "rtol": 1e-12,
     "source": "mpmath (30 digits): log(50)/0.2 in gradient-flow time units"},
]

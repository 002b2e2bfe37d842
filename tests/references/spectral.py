# t = log(1/tol) / (eta nu) evaluated with mpmath at 30 digits; gradient-descent counts from
# grokdelay.spectral.gradient_descent_on_quadratic (step-by-step iteration) and by hand:
# |1 - 0.3*2|^k <= 0.01 -> k = ceil(log 0.01 / log 0.4) = 6; |1 - 0.3*0.05|^k: k = 305.
CASES = [
    {"params": {"mechanism": "spectral", "eigenvalues": [10.0, 1.0, 0.1], "learning_rate": 0.01},
     "method": None, "expect": {"t_mem": 46.051701859880911123976842693, "t_grok": 4605.17018598809136803598290936},
     "rtol": 1e-12, "source": "mpmath (30 digits): log(100)/(0.01*10), log(100)/(0.01*0.1)"},
    {"params": {"mechanism": "spectral", "eigenvalues": [2.0, 0.5, 0.05], "learning_rate": 0.3,
                "tolerance": 0.01},
     "method": "gradient_descent", "expect": {"t_mem": 6.0, "t_grok": 305.0}, "rtol": 0,
     "source": "gradient_descent_on_quadratic: step-by-step GD on a rotated quadratic"},
    {"params": {"mechanism": "spectral", "eigenvalues": [4.0, 0.0, 1e-3], "learning_rate": 0.1,
                "tolerance": 1e-3},
     "method": None, "expect": {"t_mem": 17.2693881974553426, "t_grok": 69077.5527898214},
     "rtol": 1e-12, "source": "mpmath (30 digits): log(1000)/(0.1*4), log(1000)/(0.1*1e-3); zero mode dropped"},
]

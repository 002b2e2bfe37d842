# Gradient flow: mpmath at 30 digits of log(1/tol)/(eta (h + lambda)) and log(1/tol)/(eta lambda).
# Gradient descent: grokdelay.ridge_null_space.gradient_descent_ridge, step-by-step GD with
# weight decay on a 6 x 15 least-squares problem (tests/test_ridge_null_space.py) and by hand:
# |1 - 0.1 (1 + 0.01)|^k <= 0.01 -> k = 44; |1 - 0.1 * 0.01|^k <= 0.01 -> k = 4603.
CASES = [
    {"params": {"mechanism": "ridge_null_space", "gram_min": 1.0, "learning_rate": 0.1,
                "weight_decay": 0.01},
     "method": None, "expect": {"t_mem": 45.5957444157236769, "t_grok": 4605.17018598809137},
     "rtol": 1e-12, "source": "mpmath (30 digits): log(100)/(0.1*1.01), log(100)/(0.1*0.01)"},
    {"params": {"mechanism": "ridge_null_space", "gram_min": 1.0, "gram_max": 5.0,
                "learning_rate": 0.1, "weight_decay": 0.01},
     "method": "gradient_descent", "expect": {"t_mem": 44.0, "t_grok": 4603.0}, "rtol": 0,
     "source": "by hand: ceil(log 0.01 / log 0.899) = 44, ceil(log 0.01 / log 0.999) = 4603"},
    {"params": {"mechanism": "ridge_null_space", "gram_min": 2e-3, "learning_rate": 1e-2,
                "weight_decay": 1e-4, "tolerance": 1e-3},
     "method": None, "expect": {"t_mem": 328940.727570578, "t_grok": 6907755.27898214},
     "rtol": 1e-12, "source": "mpmath (30 digits): log(1000)/(0.01*2.1e-3), log(1000)/(0.01*1e-4)"},
]

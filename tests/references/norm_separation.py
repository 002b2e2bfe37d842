"""Reference cases for the norm_separation mechanism.

Every expected number is log(norm_mem^2 / norm_post^2) / (-2 log(1 - gamma_eff)) (or / (2
gamma_eff) for "law") evaluated with mpmath at 50 significant digits from the decimal inputs
(gamma_eff = learning_rate * weight_decay formed in mpmath), printed to 20 digits. The float64
implementation rounds a handful of logs and divides, hence rtol 1e-12.
"""

CASES = [
    {"params": {"mechanism": "norm_separation", "learning_rate": 1e-3, "weight_decay": 2.0,
                "norm_mem": 22.627416997969522, "norm_post": 1.0, "t_mem": 200.0},
     "method": None, "expect": {"t_mem": 200.0, "t_grok": 1758.0210547227118369}, "rtol": 1e-12,
     "source": "seed 000 section 4.1 run with ||theta||^2 ratio N = 512 (the scenario); "
               "mpmath 50 digits of 200 + log(512) / (-2 log(1 - 0.002))"},
    {"params": {"mechanism": "norm_separation", "learning_rate": 1e-3, "weight_decay": 1.0,
                "norm_mem": 10.0, "norm_post": 1.0, "t_mem": 100.0},
     "method": "contraction", "expect": {"t_mem": 100.0, "t_grok": 2401.4336084694557269},
     "rtol": 1e-12, "source": "mpmath 50 digits of 100 + log(100) / (-2 log(1 - 1e-3))"},
    {"params": {"mechanism": "norm_separation", "learning_rate": 1e-3, "weight_decay": 1.0,
                "norm_mem": 10.0, "norm_post": 1.0, "t_mem": 100.0},
     "method": "law", "expect": {"t_mem": 100.0, "t_grok": 2402.585092994045684},
     "rtol": 1e-12, "source": "mpmath 50 digits of 100 + log(100) / (2e-3) (seed 004's law)"},
    {"params": {"mechanism": "norm_separation", "learning_rate": 3e-4, "weight_decay": 0.1,
                "norm_mem": 50.0, "norm_post": 2.0, "optimizer": "adamw"},
     "method": None, "expect": {"t_mem": 0.0, "t_grok": 107294.2513829802806}, "rtol": 1e-12,
     "source": "mpmath 50 digits of log(625) / (-2 log(1 - 3e-5)) (AdamW: an upper bound)"},
    {"params": {"mechanism": "norm_separation", "learning_rate": 1.0, "weight_decay": 0.0,
                "norm_mem": 7.0, "norm_post": 3.0, "t_mem": 1000.0, "gamma_eff": 0.25},
     "method": None, "expect": {"t_mem": 1000.0, "t_grok": 1002.9452577742021836},
     "rtol": 1e-12, "source": "mpmath 50 digits of 1000 + log(49/9) / (-2 log(0.75))"},
    {"params": {"mechanism": "norm_separation", "learning_rate": 1e-3, "weight_decay": 1e-3,
                "norm_mem": 1e100, "norm_post": 1e-100},
     "method": None, "expect": {"t_mem": 0.0, "t_grok": 460516788.34026146096}, "rtol": 1e-12,
     "source": "mpmath 50 digits of log(1e400) / (-2 log(1 - 1e-6)); the ratio overflows "
               "float64, the implementation works with log norms"},
    {"params": {"mechanism": "norm_separation", "learning_rate": 1e-3, "weight_decay": 1.0,
                "norm_mem": 1.0, "norm_post": 2.0, "t_mem": 50.0},
     "method": None, "expect": {"t_mem": 50.0, "t_grok": 50.0}, "rtol": 0.0,
     "source": "definition: norm_post >= norm_mem needs no contraction, delay 0"},
    {"params": {"mechanism": "norm_separation", "learning_rate": 1e-3, "weight_decay": 0.0,
                "norm_mem": 10.0, "norm_post": 1.0, "t_mem": 50.0},
     "method": None, "expect": {"t_mem": 50.0, "t_grok": float("inf")}, "rtol": 0.0,
     "source": "definition: without weight decay nothing contracts the norm (t_grok = inf)"},
]

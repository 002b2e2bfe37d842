"""Reference cases for the first_passage mechanism (arXiv 2605.18845).

Every expected number is t_mem + log(norm_mem^2 / norm_star^2) / (2 kappa eta lambda) ("law")
or / (-2 log(1 - kappa eta lambda)) ("steps"), evaluated with mpmath at 50 digits from the
decimal inputs and printed to 20 digits. The float64 code forms a few logs and one exp, hence
rtol 1e-12.
"""

CASES = [
    {"params": {"mechanism": "first_passage", "learning_rate": 1e-3, "weight_decay": 2.0,
                "norm_mem": 22.627416997969522, "norm_star": 1.0, "kappa": 0.252,
                "t_mem": 200.0},
     "method": None, "expect": {"t_mem": 200.0, "t_grok": 6388.8141121423688341}, "rtol": 1e-12,
     "source": "the scenario (seed 000 run, V ratio 512, the paper's kappa = 0.252); mpmath 50 "
               "digits of 200 + log(512) / (2 * 0.252 * 0.002)"},
    {"params": {"mechanism": "first_passage", "learning_rate": 1e-3, "weight_decay": 1.0,
                "norm_mem": 30.0, "norm_star": 26.0, "kappa": 0.4, "t_mem": 100.0},
     "method": "law", "expect": {"t_grok": 457.75210910168332486}, "rtol": 1e-12,
     "source": "mpmath 50 digits of 100 + log(900/676) / (2 * 0.4 * 1e-3)"},
    {"params": {"mechanism": "first_passage", "learning_rate": 1e-3, "weight_decay": 1.0,
                "norm_mem": 30.0, "norm_star": 26.0, "kappa": 0.4, "t_mem": 100.0},
     "method": "steps", "expect": {"t_grok": 457.68055390888061946}, "rtol": 1e-12,
     "source": "mpmath 50 digits of 100 + log(900/676) / (-2 log(1 - 4e-4))"},
    {"params": {"mechanism": "first_passage", "learning_rate": 3e-4, "weight_decay": 0.05,
                "norm_mem": 1e150, "norm_star": 1e-150, "kappa": 0.3},
     "method": None, "expect": {"t_grok": 153505672.86626971227}, "rtol": 1e-12,
     "source": "mpmath 50 digits of log(1e600) / (2 * 0.3 * 1.5e-5); V ratio overflows float64"},
    {"params": {"mechanism": "first_passage", "learning_rate": 1e-3, "weight_decay": 1.0,
                "norm_mem": 25.0, "norm_star": 26.0, "t_mem": 75.0},
     "method": None, "expect": {"t_mem": 75.0, "t_grok": 75.0}, "rtol": 0.0,
     "source": "Corollary 1 of arXiv 2605.18845: V_mem <= V_star, no norm-driven delay"},
    {"params": {"mechanism": "first_passage", "learning_rate": 1e-3, "weight_decay": 0.0,
                "norm_mem": 30.0, "norm_star": 26.0, "t_mem": 75.0},
     "method": None, "expect": {"t_mem": 75.0, "t_grok": float("inf")}, "rtol": 0.0,
     "source": "definition: without weight decay V never contracts (t_grok = inf)"},
]

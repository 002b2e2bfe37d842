# Plain arithmetic of the abstract's law, checked with mpmath at 30 digits:
# t_mem = 1/(eta ||K_0||), t_grok = N^(2 alpha) / (eta ||grad_w K||).
CASES = [
    {"params": {"mechanism": "timescale_separation", "width": 1024, "alpha": 0.5,
                "learning_rate": 0.1},
     "method": None, "expect": {"t_mem": 10.0, "t_grok": 10240.0}, "rtol": 1e-12,
     "source": "mpmath (30 digits): 1/0.1, 1024/0.1"},
    {"params": {"mechanism": "timescale_separation", "width": 512, "alpha": 0.25,
                "learning_rate": 1e-3, "kernel_norm": 0.8628, "kernel_gradient_norm": 0.05},
     "method": None, "expect": {"t_mem": 1159.01715345387112, "t_grok": 452548.339959390},
     "rtol": 1e-12, "source": "mpmath (30 digits): 1/(1e-3*0.8628), sqrt(512)/(1e-3*0.05)"},
    {"params": {"mechanism": "timescale_separation", "width": 100, "alpha": 0.0,
                "learning_rate": 0.01, "kernel_norm": 2.0, "kernel_gradient_norm": 0.5},
     "method": None, "expect": {"t_mem": 50.0, "t_grok": 200.0}, "rtol": 1e-12,
     "source": "mpmath (30 digits): 1/(0.01*2), 1/(0.01*0.5)"},
]

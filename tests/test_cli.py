"""The shell: predict, mechanisms, compare; bad values exit 2 with one line, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import grokdelay as gd
from grokdelay.cli import _parse_value, main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grokdelay", *args], capture_output=True,
                          text=True, timeout=300)


def test_parse_value():
    assert _parse_value("0.5") == 0.5
    assert _parse_value("1,2,3") == [1.0, 2.0, 3.0]
    assert _parse_value("[[8,0],[0,3]]") == [[8, 0], [0, 3]]
    assert _parse_value("none") is None
    assert _parse_value("inf") == float("inf")
    assert _parse_value("adamw") == "adamw"


def test_predict_json_matches_the_library(capsys):
    assert main(["predict", "spectral", "--eigenvalues", "4,0.04", "--learning-rate", "0.1",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = gd.predict_delay(gd.SpectralConditioning([4.0, 0.04], learning_rate=0.1))
    for key in ("t_mem", "t_grok", "delay", "ratio", "log_delay"):
        assert out[key] == getattr(ref, key)
    assert out["mechanism"] == "spectral" and out["units"] == "steps"
    assert isinstance(out["notes"], list)


def test_predict_method_flag(capsys):
    assert main(["predict", "spectral", "--eigenvalues", "4,0.04", "--learning-rate", "0.1",
                 "--method", "gradient_descent", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["method"] == "gradient_descent"


def test_every_field_has_a_flag_and_every_mechanism_a_subcommand(capsys):
    for name, cls in gd.mechanisms().items():
        with pytest.raises(SystemExit):
            main(["predict", name, "--help"])
        text = capsys.readouterr().out
        for field in cls.field_specs():
            assert "--" + field.replace("_", "-") in text, (name, field)


def test_bad_value_exits_2_with_one_line():
    r = run("predict", "spectral", "--eigenvalues", "4,0.04", "--learning-rate", "-1")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert "learning_rate" in lines[0] and "-1" in lines[0] and "(0, inf)" in lines[0]


def test_bad_method_and_missing_field_exit_2():
    r = run("predict", "spectral", "--eigenvalues", "4", "--learning-rate", "0.1",
            "--method", "nope")
    assert r.returncode == 2 and "gradient_flow" in r.stderr and "Traceback" not in r.stderr
    r = run("predict", "spectral", "--eigenvalues", "4")
    assert r.returncode == 2 and "learning_rate" in r.stderr and "Traceback" not in r.stderr


def test_mechanisms_lists_fields_domains_defaults_methods(capsys):
    assert main(["mechanisms"]) == 0
    text = capsys.readouterr().out
    for name, cls in gd.mechanisms().items():
        assert name in text
        for m in cls.methods:
            assert m in text
    assert main(["mechanisms", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == set(gd.mechanisms())


def test_compare_table_and_plot(tmp_path):
    png = tmp_path / "compare.png"
    r = run("compare", "--plot", str(png))
    assert r.returncode == 0, r.stderr
    for name in gd.mechanisms():
        assert name in r.stdout
    assert "observed" in r.stdout
    assert png.stat().st_size > 1000


def test_compare_json(capsys):
    assert main(["compare", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["mechanism"] for r in rows] == list(gd.mechanisms())
    assert not any(isinstance(r["delay"], float) and np.isnan(r["delay"]) for r in rows)


def test_console_script_is_installed():
    import os
    import shutil

    # the environment's own scripts first: a venv used without activation is not on PATH
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    exe = shutil.which("grokdelay", path=path)
    assert exe is not None, "the grokdelay console script is not installed (pip install .)"
    r = subprocess.run([exe, "mechanisms"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "spectral" in r.stdout

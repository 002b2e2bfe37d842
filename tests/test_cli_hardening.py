"""The shell at its edges (issue 14 item 5, issue 17 item 5): values starting with '-',
one-line errors with status 2 and never a traceback, strict JSON, quiet broken pipes,
no prefix abbreviations, did-you-mean, --version, required fields marked."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys

import pytest

import grokdelay as gd
from grokdelay import cli
from grokdelay.cli import main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grokdelay", *args], capture_output=True,
                          text=True, timeout=300)


def strict_json(text: str):
    """json.loads that refuses NaN/Infinity (RFC 8259 has neither)."""
    def refuse(name):
        raise AssertionError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def one_line_error(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_regression_negative_comma_list_is_a_value(capsys):
    """Issue 14: '--hessian-saddle -4,2' (the documented form) was read as a flag."""
    assert main(["predict", "kramers", "--barrier", "1", "--temperature", "0.1",
                 "--hessian-min", "8,3", "--hessian-saddle", "-4,2", "--json"]) == 0
    out = strict_json(capsys.readouterr().out)
    ref = gd.predict_delay(gd.KramersEscape(1.0, 0.1, [8.0, 3.0], [-4.0, 2.0]))
    assert out["t_grok"] == ref.t_grok


@pytest.mark.parametrize("value", ["-4", "-4.5", "-1e3", "-inf", "-4,-2", "-0.0"])
def test_values_starting_with_a_dash(capsys, value):
    code = main(["predict", "two_clocks", "--gap-rate", "0.2", "--n-classes", "10",
                 "--loss-target", "0.01", "--kl-exponent", "0.6", "--kl-rate", "0.02",
                 "--structure-target", "1e-3", "--gap-initial", value, "--json"])
    captured = capsys.readouterr()
    if value == "-inf":     # a limit, not a value: a one-line domain error, not a usage block
        assert code == 2 and "gap_initial" in captured.err and "usage" not in captured.err
    else:
        assert code == 0, captured.err
        strict_json(captured.out)


def test_every_error_is_one_line_with_status_2(tmp_path):
    cases = [
        ("predict", "spectral", "--eigenvalues", "4", "--learning-rate", "1e999"),
        ("predict", "spectral", "--eigenvalues", "1e308,-1e308", "--learning-rate", "1"),
        ("predict", "kramers", "--barrier", "1", "--temperature", "0.1",
         "--hessian-min", "[[1e308,1e308],[1e308,1e308]]", "--hessian-saddle", "-4,2"),
        ("predict", "linear_teacher_student", "--aspect-ratio", "0.5", "--learning-rate",
         "0.1", "--d-out", "1e300"),
        ("predict", "spectral"),                                   # required fields missing
        ("predict", "spectral", "--eigenvalues"),                  # flag without a value
        ("predict", "nope"),
        ("frobnicate",),
        (),
        ("compare", "--plot", str(tmp_path / "no" / "such" / "dir" / "x.png")),
        ("compare", "--plot", str(tmp_path / "a_file" / "x.png")),  # under a regular file
    ]
    (tmp_path / "a_file").write_text("")
    for args in cases:
        line = one_line_error(run(*args))
        assert "error" in line, (args, line)


def test_internal_errors_are_one_line(monkeypatch, capsys):
    def boom(*a, **k):
        raise FloatingPointError("synthetic\nmulti-line failure")
    monkeypatch.setattr(cli, "predict_delay", boom)
    code = main(["predict", "spectral", "--eigenvalues", "4", "--learning-rate", "0.1"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "internal error" in err


def test_json_is_strict_everywhere(capsys):
    for argv in (["predict", "kramers", "--barrier", "1e4", "--temperature", "1",
                  "--hessian-min", "8", "--hessian-saddle", "-4", "--json"],
                 ["predict", "spectral", "--eigenvalues", "4,0", "--learning-rate", "0.1",
                  "--method", "gradient_descent", "--json"],
                 ["mechanisms", "--json"],
                 ["compare", "--json"]):
        assert main(argv) == 0
        strict_json(capsys.readouterr().out)
    assert main(["predict", "kramers", "--barrier", "1e4", "--temperature", "1",
                 "--hessian-min", "8", "--hessian-saddle", "-4", "--json"]) == 0
    out = strict_json(capsys.readouterr().out)
    assert out["t_grok"] == "inf" and math.isfinite(out["log_delay"])   # the documented form


def test_compare_json_has_the_observed_row(capsys):
    assert main(["compare", "--json"]) == 0
    data = strict_json(capsys.readouterr().out)
    obs = data["observed"]
    assert (obs["t_mem"], obs["t_grok"], obs["ratio"]) == (200.0, 14600.0, 73.0)
    assert obs["delay"] == obs["t_grok"] - obs["t_mem"] and obs["units"] == "steps"
    assert obs["source"]
    assert len(data["predictions"]) == len(gd.mechanisms())


def test_broken_pipe_is_quiet(monkeypatch, tmp_path):
    """`grokdelay compare | head -1`: the reader leaves, the shell ends without a traceback."""
    sink = open(tmp_path / "sink", "w")

    class Closed(io.TextIOWrapper):
        def write(self, s):
            raise BrokenPipeError(32, "Broken pipe")

    fake = Closed(io.BytesIO())
    monkeypatch.setattr(fake, "fileno", sink.fileno, raising=False)
    monkeypatch.setattr(sys, "stdout", fake)
    assert main(["mechanisms"]) == 0
    sink.close()


def test_broken_pipe_real_pipe():
    # ~1 MB of JSON, far beyond a pipe's buffer, so the writer meets the closed end
    rates = ",".join(["0.1"] * 15000)
    p = subprocess.Popen([sys.executable, "-m", "grokdelay", "predict", "spectral",
                          "--eigenvalues", "4,0.04", "--learning-rate", rates, "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.read(10)
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=300) in (0, 1)
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_no_prefix_abbreviations_and_a_suggestion():
    """Issue 17: '--asp 0.5' was silently taken for --aspect-ratio."""
    line = one_line_error(run("predict", "linear_teacher_student", "--asp", "0.5",
                              "--learning-rate", "0.1"))
    assert "--asp" in line and "did you mean --aspect-ratio?" in line
    line = one_line_error(run("predict", "linear_teacher_student", "--aspect-ratio", "0.5",
                              "--learning-rate", "0.1", "--treshold", "1e-3"))
    assert "did you mean --threshold?" in line


def test_did_you_mean_mechanism_method_and_command():
    assert "did you mean 'kramers'?" in one_line_error(run("predict", "kramer"))
    assert "did you mean 'compare'?" in one_line_error(run("compar"))
    line = one_line_error(run("predict", "spectral", "--eigenvalues", "4", "--learning-rate",
                              "0.1", "--method", "gradient_decent"))
    assert "did you mean 'gradient_descent'?" in line
    with pytest.raises(gd.ParameterError, match="did you mean 'kramers'"):
        gd.predict_delay({"mechanism": "kramer"})
    with pytest.raises(gd.ParameterError, match="did you mean 'barrier'"):
        gd.predict_delay({"mechanism": "kramers", "barier": 1.0})


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"grokdelay {gd.__version__}"


def test_required_fields_are_marked_required(capsys):
    for name, cls in gd.mechanisms().items():
        with pytest.raises(SystemExit):
            main(["predict", name, "--help"])
        text = capsys.readouterr().out
        assert "required fields:" in text
        usage = text.split("\n\n")[0]
        for field, (_, default) in cls.field_specs().items():
            flag = "--" + field.replace("_", "-")
            if default is gd._core.REQUIRED:
                assert f"[{flag}" not in usage and flag in usage, (name, field)
            else:
                assert f"[{flag}" in usage, (name, field)


def test_version_is_the_installed_distributions():
    # one version: the package's __version__ is what pip installed (pyproject.toml)
    from importlib.metadata import version

    assert gd.__version__ == version("grokdelay")

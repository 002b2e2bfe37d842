"""Sphinx configuration: builds offline; the test suite builds it with warnings as errors."""

import os
import sys

sys.path.insert(0, os.path.abspath("_ext"))
sys.path.insert(0, os.path.abspath(os.path.join("..", "src")))

import grokdelay  # noqa: E402

project = "grokdelay"
author = "grokdelay developers"
release = grokdelay.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "grokdelay_fields",
]
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"
# MathJax is loaded by the reader's browser; the build itself needs no network.
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = ["_static"]
nitpicky = False
suppress_warnings = ["ref.citation"]

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
    # MathJax 3 shipped with the pages (into _static/mathjax): equations render offline
    "sphinx-mathjax-offline",
    "grokdelay_fields",
    "grokdelay_gallery",
    # reads docs/*.ipynb and executes it on every build (a failing cell fails the build)
    "myst_nb",
]
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
# The tutorial notebook is committed without outputs and executed by every build, so the
# numbers and figures it shows are always the current code's.
myst_enable_extensions = ["dollarmath"]  # $...$ math in the notebook's markdown
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_timeout = 600
nb_execution_show_tb = True
nb_merge_streams = True
# no widget manager scripts from a CDN: the pages load nothing remote
nb_ipywidgets_js = {}
html_theme = "alabaster"
html_static_path = ["_static"]
nitpicky = False
suppress_warnings = ["ref.citation"]

"""Make the shared test helpers (tests/conformance.py) importable from every test file.

pytest runs with --import-mode=importlib, which does not put tests/ on sys.path.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

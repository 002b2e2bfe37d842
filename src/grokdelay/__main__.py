"""``python -m grokdelay`` is the ``grokdelay`` command."""

import sys

from .cli import main

sys.exit(main())

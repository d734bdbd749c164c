"""``python -m flow ARGS`` is the ``dietsnn`` command."""

import sys

from .cli import main

sys.exit(main())

"""``python -m s2sdiff.graph``: the same as ``s2sdiff graph``."""

import sys

from .command import cli_main

sys.exit(cli_main())

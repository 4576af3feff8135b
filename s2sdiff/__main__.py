"""``python -m s2sdiff``: the same as the ``s2sdiff`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

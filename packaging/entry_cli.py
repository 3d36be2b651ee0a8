"""Frozen entry point of ``paceline-cli``; the same as the ``core.cli:main`` console script."""

import sys

from core.cli import main

if __name__ == "__main__":
    sys.exit(main())

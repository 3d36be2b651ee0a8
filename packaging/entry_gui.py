"""Frozen entry point of ``paceline`` (the window); the same as the ``gui.app:main`` gui-script."""

import sys

from gui.app import main

if __name__ == "__main__":
    sys.exit(main())

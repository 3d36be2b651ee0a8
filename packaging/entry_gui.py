"""Frozen entry point of ``paceline`` (the window); the same as the ``gui.app:main`` gui-script."""

import sys

from core.documents.sandbox import READER_FLAG, serve

if __name__ == "__main__":
    # The document reader runs in a child process started from this same executable; it needs
    # none of the app's other modules (the window's would load Qt for nothing).
    if sys.argv[1:2] == [READER_FLAG]:
        sys.exit(serve(sys.argv[2:]))
    from gui.app import main

    sys.exit(main())

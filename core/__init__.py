"""Paceline's engine: durable jobs in SQLite, a paced worker, documents and analyzers.

This package must never import PySide6, qasync or ``gui``: the window and the command line
share it, and its tests run where no Qt is installed.
"""

__version__ = "0.1.0"

"""Where Paceline keeps its database, settings and logs."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DB_NAME = "paceline.sqlite3"
SETTINGS_NAME = "settings.json"
LOCK_NAME = "worker.lock"


def home() -> Path:
    """``PACELINE_HOME`` if set, otherwise the platform's per-user data folder."""
    explicit = os.environ.get("PACELINE_HOME")
    folder = Path(explicit) if explicit else Path(platformdirs.user_data_dir("Paceline", False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def db_path(folder: Path | None = None) -> Path:
    return (folder or home()) / DB_NAME


def log_dir(folder: Path | None = None) -> Path:
    path = (folder or home()) / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path

"""Shared fixtures. Nothing here may import Qt: the core tests run without PySide6."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own PACELINE_HOME and no provider settings from the machine."""
    home = tmp_path / "paceline-home"
    monkeypatch.setenv("PACELINE_HOME", str(home))
    for var in (
        "PACELINE_PROVIDER",
        "PACELINE_API_BASE",
        "PACELINE_API_KEY",
        "DASHSCOPE_API_KEY",
        "PACELINE_MODEL",
        "PACELINE_PACING",
        "PACELINE_PAUSE_S",
        "PACELINE_MAX_QUEUE",
    ):
        monkeypatch.delenv(var, raising=False)
    # keyring must never touch the real desktop keyring from tests
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    return home


@pytest.fixture
def home(_isolated_home: Path) -> Path:
    _isolated_home.mkdir(parents=True, exist_ok=True)
    return _isolated_home


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PACELINE_HOME"] = str(home)
    env.update(extra)
    return env

"""A settings.json with values of the wrong type: the window starts and says which fell back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.paths import SETTINGS_NAME
from gui.app import PacelineApp


def test_the_window_starts_and_shows_the_bad_settings(
    home: Path, start_app: Callable[..., PacelineApp]
) -> None:
    text = '{"pause_s": "fast", "max_queue": [], "notifications": null, "max_chars": NaN}'
    path = home / SETTINGS_NAME
    path.write_text(text, encoding="utf-8")
    app = start_app()
    window = app.window
    assert window is not None
    settings = app.engine.settings
    assert settings.pause_s == 10.0 and settings.max_queue == 10_000 and settings.notifications
    banner = window.settings_banner
    assert banner.isVisibleTo(window) and banner.level == "warning"
    for key in ("pause_s", "max_queue", "notifications", "max_chars"):
        assert key in banner.detail
    assert str(path) in banner.detail
    assert path.read_text(encoding="utf-8") == text


def test_no_banner_with_good_settings(start_app: Callable[..., PacelineApp]) -> None:
    window = start_app().window
    assert window is not None
    assert not window.settings_banner.isVisibleTo(window)

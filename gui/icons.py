"""Icons from resources/: coloured state icons, and line icons tinted with the palette.

Line icons use ``currentColor`` and are rendered in the palette's text colour (and its
disabled colour), so they stay visible on a light and on a dark palette.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from core.states import JobState

_SIZES = (16, 20, 24, 32, 48)


@functools.cache
def resource_dir() -> Path:
    """The resources folder: installed as ``gui.resources``, or next to ``gui`` in a checkout."""
    try:
        spec = importlib.util.find_spec("gui.resources")
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "icons").is_dir():
            return Path(location)
    return Path(__file__).resolve().parent.parent / "resources"


@functools.cache
def _svg(name: str) -> str:
    path = resource_dir() / "icons" / f"{name}.svg"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""  # a missing icon is drawn as nothing rather than stopping the window


def _render(svg: str, size: int, ratio: float) -> QPixmap:
    pixels = max(1, round(size * ratio))
    image = QImage(pixels, pixels, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, pixels, pixels))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def _ratio() -> float:
    app = QGuiApplication.instance()
    screen = QGuiApplication.primaryScreen() if app is not None else None
    return screen.devicePixelRatio() if screen is not None else 1.0


@functools.cache
def _tinted(name: str, normal: str, disabled: str, ratio: float) -> QIcon:
    icon = QIcon()
    source = _svg(name)
    if not source:
        return icon
    for size in _SIZES:
        icon.addPixmap(_render(source.replace("currentColor", normal), size, ratio),
                       QIcon.Mode.Normal)
        icon.addPixmap(_render(source.replace("currentColor", disabled), size, ratio),
                       QIcon.Mode.Disabled)
    return icon


def line_icon(name: str, palette: QPalette | None = None, colour: QColor | None = None) -> QIcon:
    """A line icon in the palette's text colour (or in ``colour``)."""
    palette = palette or QGuiApplication.palette()
    normal = colour or palette.color(QPalette.ColorRole.WindowText)
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    return _tinted(name, normal.name(), disabled.name(), _ratio())


@functools.cache
def _coloured(name: str, ratio: float) -> QIcon:
    icon = QIcon()
    source = _svg(name)
    if source:
        for size in _SIZES:
            icon.addPixmap(_render(source, size, ratio))
    return icon


def state_icon(state: JobState | str) -> QIcon:
    return _coloured(f"state-{JobState(state)}", _ratio())


def cut_off_icon() -> QIcon:
    """A done job whose answer stopped at the output limit: done's check with an amber "…"
    badge (the answer would have gone on), unlike stale's amber "!" (act on it)."""
    return _coloured("state-done-cut", _ratio())


@functools.cache
def app_icon() -> QIcon:
    icon = QIcon()
    folder = resource_dir()
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        png = folder / "icons" / f"paceline-{size}.png"
        if png.exists():
            icon.addFile(str(png))
    if icon.isNull():
        svg = folder / "paceline.svg"
        if svg.exists():
            icon.addFile(str(svg))
    return icon

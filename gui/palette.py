"""The Fusion style on the platform's light or dark palette, and colours derived from it.

Nothing in the window hard-codes a background or text colour: tints are blends of a semantic
accent (info, warning, error, success) into the palette's own base colour, so they read well
on both a light and a dark palette.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

# Hues only: they are always blended into the palette, never used as a background alone.
ACCENTS: dict[str, QColor] = {
    "info": QColor(47, 125, 225),
    "warning": QColor(217, 138, 28),
    "error": QColor(214, 69, 69),
    "success": QColor(46, 158, 91),
}

# For screenshots and for desktops that report no scheme: "light" or "dark".
SCHEME_ENV = "PACELINE_COLOR_SCHEME"


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def blend(a: QColor, b: QColor, amount: float) -> QColor:
    """``a`` moved ``amount`` (0..1) of the way towards ``b``."""
    t = max(0.0, min(1.0, amount))
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )


def tint(palette: QPalette, level: str, amount: float = 0.16) -> QColor:
    """A background for a message of this level that suits the palette."""
    base = palette.color(QPalette.ColorRole.Base)
    # A dark base needs a stronger tint to be seen at all.
    return blend(base, ACCENTS.get(level, ACCENTS["info"]), amount * (1.6 if is_dark(palette)
                                                                      else 1.0))


def accent(palette: QPalette, level: str) -> QColor:
    """The accent itself, lifted towards the text colour on dark palettes for contrast."""
    colour = ACCENTS.get(level, ACCENTS["info"])
    if is_dark(palette):
        return blend(colour, QColor(255, 255, 255), 0.25)
    return colour


def dark_palette() -> QPalette:
    """A dark Fusion palette, for platforms that report a dark scheme but give Fusion none."""
    p = QPalette()
    roles = QPalette.ColorRole
    window, base, text = QColor(45, 45, 48), QColor(30, 30, 32), QColor(230, 230, 230)
    p.setColor(roles.Window, window)
    p.setColor(roles.WindowText, text)
    p.setColor(roles.Base, base)
    p.setColor(roles.AlternateBase, QColor(38, 38, 41))
    p.setColor(roles.ToolTipBase, QColor(60, 60, 64))
    p.setColor(roles.ToolTipText, text)
    p.setColor(roles.PlaceholderText, QColor(150, 150, 150))
    p.setColor(roles.Text, text)
    p.setColor(roles.Button, QColor(53, 53, 57))
    p.setColor(roles.ButtonText, text)
    p.setColor(roles.BrightText, QColor(255, 90, 90))
    p.setColor(roles.Light, QColor(75, 75, 80))
    p.setColor(roles.Midlight, QColor(62, 62, 66))
    p.setColor(roles.Mid, QColor(40, 40, 43))
    p.setColor(roles.Dark, QColor(25, 25, 27))
    p.setColor(roles.Shadow, QColor(0, 0, 0))
    p.setColor(roles.Highlight, QColor(42, 110, 200))
    p.setColor(roles.HighlightedText, QColor(255, 255, 255))
    p.setColor(roles.Link, QColor(110, 170, 255))
    p.setColor(roles.LinkVisited, QColor(170, 140, 255))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        p.setColor(disabled, role, QColor(120, 120, 120))
    p.setColor(disabled, roles.Highlight, QColor(70, 70, 74))
    return p


def wanted_scheme(app: QGuiApplication) -> str:
    """"dark" or "light": the override if set, else what the platform reports."""
    override = os.environ.get(SCHEME_ENV, "").strip().lower()
    if override in ("dark", "light"):
        return override
    hints = app.styleHints()
    # QStyleHints.colorScheme() came with Qt 6.5; older Qt reports no scheme at all.
    if hasattr(hints, "colorScheme") and hints.colorScheme() == Qt.ColorScheme.Dark:
        return "dark"
    return "light"


def follow_color_scheme(app: QApplication) -> object:
    """Restyle whenever the desktop switches between light and dark (Qt 6.5+).

    Widgets get a PaletteChange event and re-tint their icons. Returns the connection, so
    it can be undone.
    """
    hints = app.styleHints()
    if not hasattr(hints, "colorSchemeChanged"):
        return None
    return hints.colorSchemeChanged.connect(lambda _scheme: apply_style(app))


def apply_style(app: QApplication) -> None:
    """Fusion, with the palette the platform gives it unless that contradicts the scheme."""
    app.setStyle("Fusion")
    scheme = wanted_scheme(app)
    platform = app.style().standardPalette()
    if scheme == "dark" and not is_dark(platform):
        app.setPalette(dark_palette())
    elif scheme == "light" and is_dark(platform):
        # A forced light scheme on a dark desktop: Fusion's own light palette.
        app.setPalette(_fusion_light())
    else:
        app.setPalette(platform)


def _fusion_light() -> QPalette:
    p = QPalette(QColor(239, 239, 239))
    p.setColor(QPalette.ColorRole.Base, QColor(255, 255, 255))
    p.setColor(QPalette.ColorRole.Highlight, QColor(48, 140, 198))
    return p

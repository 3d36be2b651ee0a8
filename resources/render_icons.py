"""Render the application icon's PNG sizes from resources/paceline.svg.

    QT_QPA_PLATFORM=offscreen python resources/render_icons.py

Desktop files, installers and window managers that cannot read SVG use these.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def main() -> int:
    app = QGuiApplication(sys.argv[:1])  # noqa: F841 - image rendering needs one
    renderer = QSvgRenderer(str(HERE / "paceline.svg"))
    if not renderer.isValid():
        print("paceline.svg could not be read", file=sys.stderr)
        return 1
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        out = HERE / "icons" / f"paceline-{size}.png"
        image.save(str(out), "PNG")
        print(out.relative_to(HERE.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())

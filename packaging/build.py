"""Build Paceline's bundle for this platform and its installer; everything goes to packaging/out/.

    python packaging/build.py [--clean] [--no-installer]

- every platform: PyInstaller (packaging/paceline.spec) -> out/dist/paceline/ holding
  ``paceline`` (the window) and ``paceline-cli`` (the command line)
- Linux: out/paceline_<version>_<arch>.deb (packaging/linux.py), checked before it is written
- Windows: out/Paceline-<version>-setup.exe with Inno Setup's ISCC, when it is installed
- macOS: out/Paceline-<version>.dmg from out/dist/Paceline.app (packaging/macos/make_dmg.sh)

Run it with the Python whose environment has Paceline and PyInstaller installed
(``pip install -e ".[packaging]"``); the bundle takes that environment's packages.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"


def version() -> str:
    text = (ROOT / "core" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'__version__ = "([^"]+)"', text)
    if found is None:
        raise SystemExit("core/__init__.py has no __version__")
    return found[1]


def run_pyinstaller(clean: bool) -> Path:
    report = OUT / "trimmed.json"
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
               "--distpath", str(OUT / "dist"), "--workpath", str(OUT / "build"),
               str(HERE / "paceline.spec")]
    if clean:
        command.insert(3, "--clean")
    env = {**os.environ, "PACELINE_TRIM_REPORT": str(report)}
    print("== PyInstaller", flush=True)
    subprocess.run(command, check=True, cwd=OUT, env=env)
    dropped = json.loads(report.read_text(encoding="utf-8")) if report.exists() else []
    for reason, count in Counter(why for _name, why in dropped).most_common():
        print(f"   trimmed {count:3d} x {reason}")
    return OUT / "dist" / "paceline"


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def windows_installer(bundle: Path, ver: str) -> Path | None:
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    default = Path(os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)"))
    if iscc is None and (default / "Inno Setup 6" / "ISCC.exe").exists():
        iscc = str(default / "Inno Setup 6" / "ISCC.exe")
    if iscc is None:
        print("Inno Setup (ISCC.exe) not found: only the bundle was built")
        return None
    subprocess.run([iscc, f"/DAppVersion={ver}", f"/DSourceDir={bundle}", f"/DOutputDir={OUT}",
                    str(HERE / "windows" / "paceline.iss")], check=True)
    return OUT / f"Paceline-{ver}-setup.exe"


def macos_dmg(ver: str) -> Path:
    app = OUT / "dist" / "Paceline.app"
    dmg = OUT / f"Paceline-{ver}.dmg"
    subprocess.run(["bash", str(HERE / "macos" / "make_dmg.sh"), str(app), str(dmg)], check=True)
    return dmg


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clean", action="store_true",
                        help="empty PyInstaller's cache and packaging/out/ first")
    parser.add_argument("--no-installer", action="store_true",
                        help="build the bundle only (no .deb / setup.exe / .dmg)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    ver = version()
    if args.clean and OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True, exist_ok=True)

    bundle = run_pyinstaller(args.clean)
    print(f"== bundle {bundle} ({megabytes(size_of(bundle))})", flush=True)
    installer: Path | None = None
    if not args.no_installer:
        if sys.platform.startswith("linux"):
            sys.path.insert(0, str(HERE))
            import linux  # packaging/linux.py

            installer = linux.build_deb(bundle, ver, ROOT, OUT)
        elif sys.platform == "win32":
            installer = windows_installer(bundle, ver)
        elif sys.platform == "darwin":
            installer = macos_dmg(ver)
    if installer is not None:
        print(f"== installer {installer} ({megabytes(size_of(installer))})")
    print(f"== done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

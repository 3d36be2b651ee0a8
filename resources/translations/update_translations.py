"""Refresh the translation sources from the code and compile them.

    python resources/translations/update_translations.py

- ``paceline_en.ts`` holds only the English plural forms (lupdate ``-pluralonly``): the source
  strings say "%n job(s)", and this file turns them into "1 job" and "2 jobs". Its forms are
  filled in here by rule, so it never needs hand editing.
- Every other ``paceline_<lang>.ts`` in this folder is updated with new and changed strings
  for its translator.
- All of them are compiled to ``.qm`` next to the sources; the application loads those.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ENGLISH = HERE / "paceline_en.ts"
# The translations that ship; a missing .ts is created for its translator.
LANGUAGES = {"de": "de_DE"}


def tool(name: str) -> str:
    found = shutil.which(f"pyside6-{name}") or str(Path(sys.executable).parent / f"pyside6-{name}")
    return found


def sources() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "gui").glob("*.py"))


def fill_english_plurals(ts: Path) -> int:
    tree = ET.parse(ts)
    filled = 0
    for message in tree.iter("message"):
        if message.get("numerus") != "yes":
            continue
        source = message.findtext("source") or ""
        translation = message.find("translation")
        if translation is None:
            translation = ET.SubElement(message, "translation")
        translation.attrib.pop("type", None)  # finished
        for form in list(translation):
            translation.remove(form)
        for text in (source.replace("(s)", ""), source.replace("(s)", "s")):
            ET.SubElement(translation, "numerusform").text = text
        filled += 1
    tree.write(ts, encoding="utf-8", xml_declaration=True)
    return filled


def main() -> int:
    files = sources()
    subprocess.run([tool("lupdate"), "-pluralonly", "-locations", "none", *files,
                    "-ts", str(ENGLISH)], cwd=ROOT, check=True)
    print(f"{fill_english_plurals(ENGLISH)} English plural forms")
    others = sorted({*(p for p in HERE.glob("paceline_*.ts") if p != ENGLISH),
                     *(HERE / f"paceline_{lang}.ts" for lang in LANGUAGES)})
    for ts in others:
        language = LANGUAGES.get(ts.stem.split("_", 1)[1], "")
        target = ["-target-language", language] if language else []
        # -no-obsolete: a string removed from the code leaves the translation file with it.
        subprocess.run([tool("lupdate"), "-locations", "relative", "-no-obsolete", *target,
                        *files, "-ts", str(ts)], cwd=ROOT, check=True)
    for ts in [ENGLISH, *others]:
        subprocess.run([tool("lrelease"), str(ts), "-qm", str(ts.with_suffix(".qm"))],
                       check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

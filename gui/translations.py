"""Translators: Qt's own strings and Paceline's, in the language the system asks for.

``resources/translations/paceline_en.qm`` holds the English plural forms ("1 job", "2 jobs")
and is always installed first, so it is the fallback; a ``paceline_<lang>.qm`` for the
person's language, when one ships, is installed after it and wins. ``language`` (a setting)
overrides the system's choice; "" follows the system.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from gui.icons import resource_dir

log = logging.getLogger(__name__)


def translations_dir() -> Path:
    return resource_dir() / "translations"


def _load(translator: QTranslator, locale: QLocale, name: str, folder: str) -> bool:
    return translator.load(locale, name, "_", folder)


def install_translators(app: QCoreApplication, language: str = "") -> list[QTranslator]:
    """Install the translators; keep the returned list alive as long as the application."""
    locale = QLocale(language) if language else QLocale.system()
    if language:
        QLocale.setDefault(locale)
    installed: list[QTranslator] = []
    ours = str(translations_dir())
    english = QTranslator(app)
    if english.load(str(translations_dir() / "paceline_en.qm")):
        app.installTranslator(english)
        installed.append(english)
    qt = QTranslator(app)
    if _load(qt, locale, "qtbase", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        installed.append(qt)
    if locale.language() != QLocale.Language.English:
        own = QTranslator(app)
        if _load(own, locale, "paceline", ours):
            app.installTranslator(own)
            installed.append(own)
        else:
            log.info("no Paceline translation for %s; using English", locale.name())
    return installed

"""German: the translation is complete, it loads (from the setting or the system locale), and
a window built in German shows no English string anywhere a person reads.

The walk collects what the window shows: labels, buttons, menu and toolbar actions (their
tooltips too), tab texts, table headers, the status bar, the banners, the tray, the settings
dialog. Each text is compared with every English source string of the catalogue (a source
whose German differs): a text that *is* such an English string, with any numbers or names in
its placeholders, is an English leftover. A second check looks for common English words in
the window's own wording (not in document names or a job's error text, which are data).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QCoreApplication, QLocale, QPoint, Qt, QTranslator
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMenu,
    QTabBar,
    QTabWidget,
    QWidget,
)

from core.engine import Engine
from core.events import QueueStateChanged
from gui.app import PacelineApp
from gui.translations import install_translators, translations_dir
from tests.gui.conftest import make_docs, run, until
from tests.helpers import ROOT

StartApp = Callable[..., PacelineApp]
GERMAN_TS = translations_dir() / "paceline_de.ts"
ENGLISH_TS = translations_dir() / "paceline_en.ts"

# Written the same in German: names, symbols and units.
SAME_IN_BOTH = frozenset({
    "Paceline", "Tokens", "Name:", "%1 s", "< %1 s", "%1 min %2 s", "%1 h %2 min",
    "%1 d %2 h", " s", " MB", "Markdown…", "JSON…", "CSV…", "Markdown (*.md)", "JSON (*.json)",
    "CSV (*.csv)", "Alibaba DashScope (international)",
    "adaptive",  # "adaptive Taktung": the German adjective is spelt the same
})
PLACEHOLDER = re.compile(r"%[1-9n]")
# Words that give English away in the window's own wording.
# (Whole words only: "Retry-After" is the name of an HTTP header, in any language.)
ENGLISH_WORDS = re.compile(
    r"(?<![-\w])(the|and|of|is|are|to|with|queue|queued|jobs?|added|failed|waiting|settings|"
    r"paused|done|retry|stale|cancel|cancelled|save|resume|running|documents?|error)(?![-\w])",
    re.IGNORECASE)


def _messages(ts: Path) -> Iterator[tuple[str, ET.Element]]:
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            yield name, message


def _only_placeholders(source: str) -> bool:
    return not re.search(r"[A-Za-z]", PLACEHOLDER.sub("", source))


def _patterns(texts: set[str]) -> list[tuple[str, re.Pattern[str]]]:
    """Each text as a pattern: its placeholders match any number or name."""
    patterns = []
    for text in sorted(texts):
        plain = text.replace("&", "").strip()
        pattern = "".join(".+?" if PLACEHOLDER.fullmatch(part) else re.escape(part)
                          for part in re.split(r"(%[1-9n])", plain))
        patterns.append((text, re.compile(pattern, re.DOTALL)))
    return patterns


def _english_templates() -> list[tuple[str, re.Pattern[str]]]:
    """Every English text that must not appear in a German window, as a pattern."""
    sources: set[str] = set()
    for _context, message in _messages(GERMAN_TS):
        source = message.findtext("source") or ""
        if source not in SAME_IN_BOTH and not _only_placeholders(source):
            sources.add(source)
    for _context, message in _messages(ENGLISH_TS):  # "1 job", "2 jobs"
        for form in message.iter("numerusform"):
            if form.text:
                sources.add(form.text)
    return _patterns(sources)


def _german_templates() -> list[tuple[str, re.Pattern[str]]]:
    """Every German translation: a text that is one is German, even if an English string
    elsewhere is spelt the same ("Profile" is the German plural of "Profil")."""
    forms: set[str] = set()
    for _context, message in _messages(GERMAN_TS):
        translation = message.find("translation")
        if translation is None:
            continue
        for text in [translation.text, *(f.text for f in translation.iter("numerusform"))]:
            if text and not _only_placeholders(text):
                forms.add(text)
    return _patterns(forms)


@pytest.fixture
def german(styled_app: QApplication) -> Iterator[QApplication]:
    """German for one test: its translators and locale are removed again afterwards."""
    before = QLocale()
    installed = install_translators(styled_app, "de")
    yield styled_app
    for translator in installed:
        styled_app.removeTranslator(translator)
    QLocale.setDefault(before)


# ---------------------------------------------------------------------- the catalogue


def test_every_string_has_a_finished_german_translation() -> None:
    problems = []
    count = 0
    for context, message in _messages(GERMAN_TS):
        count += 1
        source = message.findtext("source") or ""
        translation = message.find("translation")
        assert translation is not None
        if translation.get("type") in ("unfinished", "obsolete", "vanished"):
            problems.append(f"{context}: {source!r} is {translation.get('type')}")
            continue
        if message.get("numerus") == "yes":
            forms = [f.text or "" for f in translation.iter("numerusform")]
        else:
            forms = [translation.text or ""]
        if len(forms) != (2 if message.get("numerus") == "yes" else 1) or not all(forms):
            problems.append(f"{context}: {source!r} has empty forms")
        for form in forms:
            if set(PLACEHOLDER.findall(form)) != set(PLACEHOLDER.findall(source)):
                problems.append(f"{context}: {form!r} loses a placeholder of {source!r}")
            if form == source and source not in SAME_IN_BOTH and not _only_placeholders(source):
                problems.append(f"{context}: {source!r} is not translated")
    assert count > 300
    assert problems == []


def test_the_compiled_german_file_matches_its_source(styled_app: QApplication) -> None:
    """paceline_de.qm was compiled from the current paceline_de.ts (lrelease was run)."""
    compiled = QTranslator()
    assert compiled.load(str(GERMAN_TS.with_suffix(".qm")))
    stale = []
    for context, message in _messages(GERMAN_TS):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        assert translation is not None
        if message.get("numerus") == "yes":
            forms = [f.text for f in translation.iter("numerusform")]
            got = [compiled.translate(context, source, None, n) for n in (1, 2)]
        else:
            forms, got = [translation.text], [compiled.translate(context, source)]
        if got != forms:
            stale.append(f"{context}: {source!r}")
    assert stale == []


def test_the_german_translation_loads(german: QApplication) -> None:
    translate = QCoreApplication.translate
    assert translate("MainWindow", "&Settings…") == "&Einstellungen…"
    assert translate("DetailPane", "%n job(s) selected", "", 1) == "1 Auftrag ausgewählt"
    assert translate("DetailPane", "%n job(s) selected", "", 3) == "3 Aufträge ausgewählt"
    assert QLocale().language() == QLocale.Language.German
    assert QLocale().toString(12345) == "12.345"
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                           | QDialogButtonBox.StandardButton.Cancel)
    assert {b.text().replace("&", "") for b in box.buttons()} == {"Speichern", "Abbrechen"}


def test_the_system_locale_chooses_german() -> None:
    script = (
        "import sys\n"
        "from PySide6.QtCore import QCoreApplication, QLocale\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from gui.translations import install_translators\n"
        "app = QApplication(sys.argv[:1])\n"
        "install_translators(app, '')\n"
        "print(QLocale.system().name())\n"
        "print(QCoreApplication.translate('MainWindow', '&Quit'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env.update(LANG="de_DE.UTF-8", QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["de_DE", "&Beenden"]


# ---------------------------------------------------------------------- the walk


class Walk:
    """Texts a person reads, each with where it was found and whether it is the window's
    own wording (checked for English words) or may hold data (names, paths, errors)."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str, bool]] = []

    def add(self, where: str, text: str | None, own: bool = True) -> None:
        if text and text.strip():
            self.texts.append((where, text.replace("&&", "\0").replace("&", "")
                               .replace("\0", "&"), own))

    def menu(self, where: str, menu: QMenu) -> None:
        self.add(where, menu.title())
        for action in menu.actions():
            if action.isSeparator():
                continue
            self.add(f"{where} > action", action.text())
            self.add(f"{where} > tooltip", action.toolTip())
            self.add(f"{where} > status tip", action.statusTip())
            if action.menu() is not None:
                self.menu(f"{where} > {action.text()}", action.menu())

    def widget(self, root: QWidget, data: frozenset[QWidget] = frozenset()) -> None:
        for w in [root, *root.findChildren(QWidget)]:
            own = w not in data and not any(w is d or d.isAncestorOf(w) for d in data)
            name = f"{type(w).__name__}({w.objectName()})"
            if isinstance(w, QLabel) and w.isVisibleTo(root):
                self.add(name, w.text(), own)
            if isinstance(w, QAbstractButton) and w.isVisibleTo(root):
                self.add(name, w.text())
            if isinstance(w, QLineEdit):
                self.add(f"{name} placeholder", w.placeholderText())
            if isinstance(w, QComboBox):
                for n in range(w.count()):
                    self.add(f"{name} item", w.itemText(n))
            if isinstance(w, QTabBar):
                for n in range(w.count()):
                    self.add(f"{name} tab", w.tabText(n))
            if isinstance(w, QTabWidget):
                for n in range(w.count()):
                    self.add(f"{name} tab", w.tabText(n))
            if w.isVisibleTo(root):
                self.add(f"{name} tooltip", w.toolTip(), own)

    def english_leftovers(self) -> list[str]:
        english, german = _english_templates(), _german_templates()
        found = []
        for where, text, own in self.texts:
            pieces = [text, *re.split(r"; |\n+", text)]
            for piece in pieces:
                piece = piece.strip()
                hit = next((s for s, p in english if piece and p.fullmatch(piece)), None)
                if hit is not None and any(p.fullmatch(piece) for _s, p in german):
                    hit = None  # the German text happens to be spelt like an English one
                if hit is not None:
                    found.append(f"{where}: {piece!r} is the English {hit!r}")
                    break
            else:
                if own and ENGLISH_WORDS.search(text):
                    found.append(f"{where}: {text!r} has English words")
        return found


def test_the_german_window_has_no_english_left(
    german: QApplication, loop: qasync.QEventLoop, start_app: StartApp, home: Path,
    tmp_path: Path,
) -> None:
    docs = make_docs(tmp_path, 5)

    async def leave_a_stale_job() -> None:  # a job "running" when its process died
        crashed = await Engine.open(home)
        await crashed.add_paths([docs[4]])
        await crashed.store.claim_next()
        await crashed.store.close()

    run(loop, leave_a_stale_job())
    app = start_app()
    window = app.window
    run(loop, app.engine.pause())
    run(loop, window.add_paths(docs[:3]))
    docs[2].write_text("changed after it was queued " * 10)  # fails: "changed"
    run(loop, app.engine.resume())
    run(loop, until(lambda: window.last_summary.counts.get("failed") == 1, what="a failure"))
    run(loop, until(lambda: window.last_summary.counts.get("done") == 2, what="two done"))
    run(loop, app.engine.pause())
    run(loop, window.add_paths([docs[3]]))  # waits: the queue is paused
    run(loop, until(lambda: window.last_summary.counts.get("queued") == 1, what="one waiting"))
    failed = next(j for j in window.model.jobs() if j.state == "failed")
    window.select_job(failed.id)
    run(loop, until(lambda: window.detail.shown_job is not None, what="the job's details"))

    walk = Walk()
    detail = window.detail
    # Data: a document's name and path, the job's own error text, the result.
    data = frozenset({detail.title, detail.meta, detail.notice.findChild(QLabel, "bannerDetail")})
    walk.add("window title", window.windowTitle())
    walk.widget(window, data)
    for menu in window.menuBar().findChildren(QMenu):
        walk.menu("menu bar", menu)
    window._context_menu(QPoint(5, 5))
    walk.menu("context menu", window.context_menu)
    window.context_menu.close()
    window.job_actions._fill_retry_failed_menu()
    walk.menu("retry failed", window.job_actions.retry_failed_menu)
    walk.menu("tray", window.tray.menu)
    walk.add("tray tooltip", window.tray.tooltip)
    for action in window.toolbar.actions():
        walk.add("toolbar", action.text())
        walk.add("toolbar tooltip", action.toolTip())
    model = window.model
    for column in range(model.columnCount()):
        walk.add("header", model.headerData(column, Qt.Orientation.Horizontal))
        walk.add("header tooltip",
                 model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole))
    for row in range(window.proxy.rowCount()):  # the words in the cells, not the data
        for column in (2, 3, 5, 6):  # profile, state, ETA, attempts
            walk.add("cell", window.proxy.index(row, column).data())
        stale = window.proxy.index(row, 9).data()
        if window.proxy.index(row, 3).data().startswith("Unterbrochen"):
            walk.add("stale reason", stale)
    walk.add("status message", window.statusBar().currentMessage(), own=False)
    walk.add("drop target", window.drop_overlay.headline())
    walk.add("drop target hint", window.drop_overlay.hint())

    banner = window.queue_banner  # every state it can show
    for event in (
        QueueStateChanged(False, None, None, app.engine.clock.now() + 30, "x", "backoff", 2),
        QueueStateChanged(False, None, None, app.engine.clock.now() + 9, "x", "retry_after"),
        QueueStateChanged(False, None, None, app.engine.clock.now() + 9, "x", "throttle"),
        QueueStateChanged(False, None, None, app.engine.clock.now() + 9, "x", "pause"),
        QueueStateChanged(True, "The API key was refused", "bad_key", None, None, None),
        QueueStateChanged(True, "Arrearage", "quota", None, None, None),
    ):
        banner.set_last_error("server_error")
        banner.set_queue_state(event)
        walk.widget(banner)
    banner.set_queue_state(QueueStateChanged(False, None, None, None, None, None))
    banner.set_queue_full(7, 7)
    walk.widget(banner)
    window.worker_control.locked_message = "another worker"  # as if another one ran it
    window.update_worker_state()
    walk.widget(window.worker_banner)
    window.worker_control.locked_message = None
    window.update_worker_state()

    dialog = window.open_settings()
    walk.add("settings title", dialog.windowTitle())
    walk.widget(dialog)
    dialog.reject()

    assert len(walk.texts) > 150
    leftovers = walk.english_leftovers()
    assert leftovers == [], '\n'.join(leftovers)

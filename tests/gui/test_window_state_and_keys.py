"""Window state across a restart, keyboard shortcuts, the light/dark palette, the toolbar."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from core.states import JobState
from gui import palette
from gui.app import PacelineApp
from gui.jobs_model import Column
from tests.gui.conftest import run


def test_geometry_tab_splitter_and_columns_come_back(
    loop: qasync.QEventLoop, home: Path
) -> None:
    first = PacelineApp(home)
    run(loop, first.start())
    window = first.window
    window.resize(760, 560)  # inside the offscreen screen (800 x 600)
    window.move(QPoint(40, 30))
    window.tabs.setCurrentIndex(window.tabs.index_of(JobState.FAILED))
    window.splitter.setSizes([300, 250])
    sizes = window.splitter.sizes()
    header = window.table.horizontalHeader()
    header.moveSection(header.visualIndex(Column.ERROR), 2)  # the error column moved forward
    header.resizeSection(Column.PROFILE, 171)
    window.table.sortByColumn(Column.DOCUMENT, Qt.SortOrder.DescendingOrder)
    run(loop, first.shutdown())

    second = PacelineApp(home)
    run(loop, second.start())
    try:
        again = second.window
        assert again.size() == QSize(760, 560)
        assert again.tabs.currentIndex() == again.tabs.index_of(JobState.FAILED)
        assert again.proxy.states == frozenset({JobState.FAILED})
        assert again.splitter.sizes() == sizes
        restored = again.table.horizontalHeader()
        assert restored.visualIndex(Column.ERROR) == 2
        assert restored.sectionSize(Column.PROFILE) == 171
        assert restored.sortIndicatorSection() == Column.DOCUMENT
        assert again.proxy.sortColumn() == Column.DOCUMENT
        assert again.proxy.sortOrder() == Qt.SortOrder.DescendingOrder
    finally:
        run(loop, second.shutdown())
    assert (home / "window.ini").exists()  # kept in PACELINE_HOME, not the user's config


def test_common_actions_have_distinct_shortcuts(start_app: Callable[..., PacelineApp]) -> None:
    app = start_app()
    window = app.window
    a = window.job_actions
    expected = {
        window.add_files_action: QKeySequence.StandardKey.Open,
        window.find_action: QKeySequence.StandardKey.Find,
        window.quit_action: QKeySequence.StandardKey.Quit,
        window.close_window_action: QKeySequence.StandardKey.Close,
    }
    for action, key in expected.items():
        assert action.shortcut() == QKeySequence(key), action.text()
    named = {window.add_folder_action: "Ctrl+Shift+O", window.settings_action: "Ctrl+,",
             a.start_pause: "Ctrl+P", a.retry_now: "F5", a.retrigger: "Ctrl+R",
             a.cancel: "Ctrl+.", a.export: "Ctrl+E", a.move_top: "Alt+Home"}
    for action, key in named.items():
        assert action.shortcut().toString() == key, action.text()
    assert [t.shortcut().toString() for t in window.tab_actions] == [
        f"Ctrl+{n}" for n in range(1, 8)]
    everything = [*window.findChildren(type(window.quit_action))]
    keys = Counter(s.toString() for act in everything for s in act.shortcuts()
                   if not s.isEmpty())
    assert [k for k, n in keys.items() if n > 1] == []  # no ambiguous shortcut
    window.tab_actions[3].trigger()
    assert window.tabs.currentIndex() == 3


def test_the_palette_follows_the_systems_scheme(
    loop: qasync.QEventLoop, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    qt = QApplication.instance()
    assert isinstance(qt, QApplication)
    app = PacelineApp(home)
    run(loop, app.start())
    scheme = ["dark"]
    monkeypatch.setattr(palette, "wanted_scheme", lambda _app: scheme[0])
    connection = palette.follow_color_scheme(qt)
    try:
        icon_before = app.window.add_files_action.icon().cacheKey()
        qt.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # as the desktop does
        assert palette.is_dark(qt.palette())
        QApplication.processEvents()
        assert app.window.add_files_action.icon().cacheKey() != icon_before  # re-tinted
        scheme[0] = "light"
        qt.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert not palette.is_dark(qt.palette())
    finally:
        qt.styleHints().colorSchemeChanged.disconnect(connection)
        palette.apply_style(qt)
        run(loop, app.shutdown())


def test_a_narrow_window_drops_words_before_buttons(start_app: Callable[..., PacelineApp]) -> None:
    app = start_app()
    window = app.window
    toolbar = window.toolbar
    window.resize(1400, 700)
    QApplication.processEvents()
    assert toolbar.icon_only() == []
    window.resize(820, 700)
    QApplication.processEvents()
    dropped = [b.defaultAction().text() for b in toolbar.icon_only()]
    assert dropped and dropped[0] == window.job_actions.clear_finished.text()
    assert window.add_files_action.text() not in dropped  # the main action keeps words
    assert toolbar.layout().sizeHint().width() <= toolbar.contentsRect().width()
    window.resize(1400, 700)
    QApplication.processEvents()
    assert toolbar.icon_only() == []

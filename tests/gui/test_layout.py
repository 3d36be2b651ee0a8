"""Layout at 1280 px, in English and German: the stale reason beside its button, profile names
in their column, no stray box in the "#" column, and counts that match the rows from the first
paint."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QApplication, QStyle, QStyleOptionViewItem, QTabWidget

from core.engine import Engine
from core.states import JobState
from gui import core_texts
from gui.app import PacelineApp
from gui.jobs_model import Column, Role
from gui.main_window import CELL_PADDING, MainWindow
from gui.translations import install_translators
from tests.gui.conftest import make_docs, run, until

StartApp = Callable[..., PacelineApp]


@pytest.fixture
def german(styled_app: QApplication) -> Iterator[QApplication]:
    """German for one test (as in test_german.py): removed again afterwards."""
    before = QLocale()
    installed = install_translators(styled_app, "de")
    yield styled_app
    for translator in installed:
        styled_app.removeTranslator(translator)
    QLocale.setDefault(before)


def _leave_a_stale_job(loop: qasync.QEventLoop, home: Path, doc: Path) -> None:
    async def crash() -> None:  # a job "running" when its process died
        crashed = await Engine.open(home)
        await crashed.add_paths([doc], profile="Key points")
        await crashed.store.claim_next()
        await crashed.store.close()

    run(loop, crash())


def _option(window: MainWindow, row: int, column: Column) -> QStyleOptionViewItem:
    index = window.proxy.index(row, column)
    option = QStyleOptionViewItem()
    option.initFrom(window.table.viewport())
    option.rect = window.table.visualRect(index)
    option.fontMetrics = window.table.fontMetrics()
    return option


def _stale_row(window: MainWindow) -> int:
    return next(row for row in range(window.proxy.rowCount())
                if window.proxy.index(row, 0).data(Role.JOB).state == JobState.STALE)


def _reason_fits(loop: qasync.QEventLoop, start_app: StartApp, home: Path,
                 tmp_path: Path) -> None:  # fmt: skip
    _leave_a_stale_job(loop, home, make_docs(tmp_path, 1)[0])
    window = start_app().window
    window.resize(1280, 800)
    window.show()
    QApplication.processEvents()
    row = _stale_row(window)
    index = window.proxy.index(row, Column.ERROR)
    job = index.data(Role.JOB)
    delegate = window.reason_delegate
    found = delegate.layout(_option(window, row, Column.ERROR), job, index.data())
    assert found is not None
    words = delegate.short_reason(job, index.data())
    assert found.text == words, f"{found.text!r} is clipped; the cell says {words!r}"
    cell = window.table.visualRect(index)
    assert found.button.right() < found.text_rect.left() <= cell.right()
    window.grab().save(str(tmp_path / "layout.png"))  # for a person to look at when it fails


def test_the_stale_reason_fits_beside_its_button_at_1280_px(
    loop: qasync.QEventLoop, start_app: StartApp, home: Path, tmp_path: Path
) -> None:
    _reason_fits(loop, start_app, home, tmp_path)


def test_the_stale_reason_fits_at_1280_px_in_german(
    german: QApplication, loop: qasync.QEventLoop, start_app: StartApp, home: Path,
    tmp_path: Path,
) -> None:
    _reason_fits(loop, start_app, home, tmp_path)


def test_german_profile_names_fit_a_layout_saved_in_english(
    styled_app: QApplication, loop: qasync.QEventLoop, start_app: StartApp, home: Path,
    tmp_path: Path,
) -> None:
    first = start_app()
    run(loop, first.window.add_paths(make_docs(tmp_path, 1)))
    run(loop, first.shutdown())  # saves the header: the profile column as wide as "Summary"
    installed = install_translators(styled_app, "de")
    try:
        window = start_app().window
        name = core_texts.profile_name("Summary")
        assert name == "Zusammenfassung"
        needed = window.table.fontMetrics().horizontalAdvance(name) + CELL_PADDING
        assert window.table.columnWidth(Column.PROFILE) >= needed
        assert window.table.columnWidth(Column.STATE) >= window.fitted_widths[Column.STATE]
    finally:
        for translator in installed:
            styled_app.removeTranslator(translator)
        QLocale.setDefault(QLocale(QLocale.Language.English))


def test_no_stray_box_in_the_number_column(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    window = start_app().window
    run(loop, window.add_paths(make_docs(tmp_path, 2)))
    run(loop, until(lambda: window.model.rowCount() == 2, what="two rows"))
    view = window.table
    index = window.proxy.index(0, Column.POSITION)
    for column in Column:  # no check box anywhere
        assert window.proxy.index(0, column).data(Qt.ItemDataRole.CheckStateRole) is None
        assert not window.proxy.flags(window.proxy.index(0, column)) \
            & Qt.ItemFlag.ItemIsUserCheckable
    assert index.data(Qt.ItemDataRole.DecorationRole) is None
    # The current cell of a table that selects rows: its focus frame was the stray box.
    view.setCurrentIndex(index)
    view.setFocus()
    for column in Column:
        cell = window.proxy.index(0, column)
        option = QStyleOptionViewItem()
        option.state = QStyle.StateFlag.State_HasFocus | QStyle.StateFlag.State_Enabled
        view.itemDelegateForIndex(cell).initStyleOption(option, cell)
        assert not option.state & QStyle.StateFlag.State_HasFocus, column


def test_counts_match_the_rows_from_the_first_paint(
    loop: qasync.QEventLoop, start_app: StartApp, home: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    docs = make_docs(tmp_path, 3)

    async def finish_offline() -> None:
        engine = await Engine.open(home)
        try:
            await engine.add_paths(docs)
            await engine.run(until_empty=True, holder="test")
        finally:
            await engine.close()

    run(loop, finish_offline())
    seen: list[tuple[bool, int, int, str]] = []

    def at_rows(window: MainWindow) -> None:
        done_rows = sum(j.state == JobState.DONE for j in window.model.shown_jobs())
        seen.append((window.table.updatesEnabled() and window.tabs.updatesEnabled(),
                     done_rows, window.tabs.count_for(JobState.DONE),
                     window.status.totals_label.text()))

    original_load = MainWindow.load

    async def load(self: MainWindow) -> None:
        self.model.loaded.connect(lambda: at_rows(self))
        await original_load(self)
        at_rows(self)

    monkeypatch.setattr(MainWindow, "load", load)
    start_app()
    assert seen, "the rows were loaded"
    for can_paint, done_rows, done_tab, totals in seen:
        # Whenever the window could paint, the tab and the status bar say what the rows say.
        if can_paint:
            assert done_tab == done_rows == 3
            assert totals.startswith("3 done")
    assert seen[-1][0], "painting is allowed again once both are in"


def test_german_profile_names_fit_the_settings_list(
    german: QApplication, loop: qasync.QEventLoop, start_app: StartApp
) -> None:
    window = start_app().window
    dialog = window.open_settings()
    profiles = dialog.profile_list
    pages = dialog.findChild(QTabWidget)
    assert pages is not None
    pages.setCurrentIndex(next(n for n in range(pages.count())
                               if pages.widget(n).isAncestorOf(profiles)))
    QApplication.processEvents()
    names = [profiles.item(n).text() for n in range(profiles.count())]
    assert any(name.startswith("Zusammenfassung") for name in names), names
    assert profiles.viewport().width() >= profiles.sizeHintForColumn(0)
    assert profiles.horizontalScrollBar().maximum() == 0  # nothing hidden to the right
    dialog.close()

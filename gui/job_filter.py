"""The status tabs' filter and the search box, over the jobs model, with queue-order sorting."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from core.states import JobState
from gui.jobs_model import Column, JobsModel, Role


class JobFilter(QSortFilterProxyModel):
    """Shows the jobs in some states whose document, profile or error match every search word."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._states: frozenset[JobState] | None = None
        self._words: tuple[str, ...] = ()
        self.setSortRole(Role.SORT)
        self.setDynamicSortFilter(True)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.sort(Column.POSITION, Qt.SortOrder.AscendingOrder)

    @property
    def states(self) -> frozenset[JobState] | None:
        return self._states

    def set_states(self, states: Iterable[JobState] | None) -> None:
        wanted = None if states is None else frozenset(states)
        if wanted != self._states:
            self._change_filter(lambda: setattr(self, "_states", wanted))

    def set_search(self, text: str) -> None:
        words = tuple(text.casefold().split())
        if words != self._words:
            self._change_filter(lambda: setattr(self, "_words", words))

    def _change_filter(self, change: Callable[[], None]) -> None:
        # Qt 6.10 replaced invalidateRowsFilter() with begin/endFilterChange(); 6.7 lacks them.
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateRowsFilter()

    def source_jobs(self) -> JobsModel:
        model = self.sourceModel()
        assert isinstance(model, JobsModel)
        return model

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        # Read the job straight from the model: far cheaper than index().data() per row.
        job = self.source_jobs().job_at(source_row)
        if self._states is not None and job.state not in self._states:
            return False
        if not self._words:
            return True
        haystack = "\n".join(
            (job.path, job.profile, job.error or "", job.error_kind or "", job.stale_reason or "")
        ).casefold()
        return all(word in haystack for word in self._words)

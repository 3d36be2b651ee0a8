"""The status tabs' filter and the search box over the jobs model, sorted in queue order.

Why not QSortFilterProxyModel: it sorts by calling the model's ``data()`` for every
comparison. Inserting 10,000 dropped jobs into a sorted QSortFilterProxyModel costs about
170,000 calls from C++ into Python (0.3 s or more, all on the event loop). This proxy keeps the
visible jobs as a sorted list of Python keys (``(sort value, job id)``) and places new, changed
and removed jobs by binary search, so a drop of 10,000 is one sort of plain tuples and one
``beginInsertRows`` block, and a job changing state moves one row.

Rows are addressed by job id, not by the model's row numbers, so the model's renumbering after a
removal never has to be mirrored here.

A row that has to move (a finished job leaving the queue for the history) or to leave (a job
leaving the tab's state) first shows its new values where it is; the moves are then applied
together, a few times a second. Every structural change makes the view lay out and repaint
everything it shows (once per turn of the event loop, however many changes that turn had),
and the worker finishes dozens of jobs a second.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractProxyModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)

from core.jobs import Job
from core.states import JobState
from gui import core_texts
from gui.jobs_model import COLUMNS, Column, JobsModel

Index = QModelIndex | QPersistentModelIndex
SortKey = tuple[Any, int]  # (the column's sort value, job id): unique, so a total order
_ROOT = QModelIndex()
# Above this many changed rows in one dataChanged, re-sort once instead of moving row by row.
BULK_CHANGE = 200
ASCENDING = Qt.SortOrder.AscendingOrder
MOVE_BATCH_MS = 200  # moves and departures are gathered for at most this long
UNUSED_ROLES = frozenset(int(r) for r in (
    Qt.ItemDataRole.FontRole, Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.CheckStateRole, Qt.ItemDataRole.SizeHintRole,
))


class JobFilter(QAbstractProxyModel):
    """Shows the jobs in some states whose document, profile or error match every search word."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._states: frozenset[JobState] | None = None
        self._words: tuple[str, ...] = ()
        self._batch: int | None = None  # only the jobs of this provider batch
        self._column = Column.POSITION
        self._order = ASCENDING
        self._keys: list[SortKey] = []  # ascending; row r shows _keys[r] (or from the end)
        self._key_of: dict[int, SortKey] = {}  # job id -> its key in _keys
        self._model: JobsModel | None = None
        # Rows waiting to move (job id -> new key) or to leave (job id -> None).
        self._pending: dict[int, SortKey | None] = {}
        self._last_batch = 0.0  # time.monotonic() when pending moves were last applied
        self._batch_timer = QTimer(self)
        self._batch_timer.setSingleShot(True)
        self._batch_timer.timeout.connect(self.apply_pending)

    # ------------------------------------------------------------------ configuration

    @property
    def states(self) -> frozenset[JobState] | None:
        return self._states

    def set_states(self, states: Iterable[JobState] | None) -> None:
        wanted = None if states is None else frozenset(states)
        if wanted != self._states:
            self._states = wanted
            self._relayout()

    @property
    def batch(self) -> int | None:
        return self._batch

    def set_batch(self, batch_id: int | None) -> None:
        """Show only the jobs of one provider batch (the Batches pane asks), or all."""
        if batch_id != self._batch:
            self._batch = batch_id
            self._relayout()

    def set_search(self, text: str) -> None:
        words = tuple(text.casefold().split())
        if words != self._words:
            self._words = words
            self._relayout()

    def sortColumn(self) -> int:
        return int(self._column)

    def sortOrder(self) -> Qt.SortOrder:
        return self._order

    def sort(self, column: int, order: Qt.SortOrder = ASCENDING) -> None:
        if not 0 <= column < len(COLUMNS):
            column = Column.POSITION  # "unsorted" is queue order here
        if (COLUMNS[column], order) != (self._column, self._order):
            self._column, self._order = COLUMNS[column], order
            self._relayout()

    def setSourceModel(self, model: QAbstractItemModel | None) -> None:
        assert model is None or isinstance(model, JobsModel)
        self.beginResetModel()
        if self._model is not None:
            for signal, slot in self._connections():
                signal.disconnect(slot)
        super().setSourceModel(model)
        self._model = model
        if model is not None:
            for signal, slot in self._connections():
                signal.connect(slot)
        self._rebuild()
        self.endResetModel()

    def _connections(self) -> list[tuple[Any, Any]]:
        model = self._model
        assert model is not None
        return [
            (model.rowsInserted, self._source_inserted),
            (model.rowsAboutToBeRemoved, self._source_about_to_remove),
            (model.dataChanged, self._source_changed),
            (model.modelAboutToBeReset, self.beginResetModel),
            (model.modelReset, self._source_reset),
            (model.layoutChanged, self._relayout),
            (model.headerDataChanged, self.headerDataChanged),
            (model.etas_changed, self._etas_changed),
        ]

    def source_jobs(self) -> JobsModel:
        assert self._model is not None
        return self._model

    # ------------------------------------------------------------------ filter and keys

    def accepts(self, job: Job) -> bool:
        if self._states is not None and job.state not in self._states:
            return False
        if self._batch is not None and job.batch_id != self._batch:
            return False
        if not self._words:
            return True
        haystack = "\n".join((
            job.path, job.profile, core_texts.profile_name(job.profile), job.error or "",
            job.error_kind or "", core_texts.error_kind_label(job.error_kind)
            if job.error_kind else "", job.stale_reason or "",
        )).casefold()
        return all(word in haystack for word in self._words)

    def _key(self, job: Job) -> SortKey:
        return (self.source_jobs().sort_key(job, self._column), job.id)

    def _computed_keys(self, jobs: Iterable[Job]) -> list[SortKey]:
        value = self.source_jobs().sort_key_function(self._column)
        if self._states is None and not self._words and self._batch is None:
            return sorted([(value(job), job.id) for job in jobs])
        accepts = self.accepts
        return sorted([(value(job), job.id) for job in jobs if accepts(job)])

    def _rebuild(self) -> None:
        # shown_jobs(), not jobs(): applying buffered adds here would insert rows in the middle
        # of a layout change.
        self._keys = [] if self._model is None else self._computed_keys(self._model.shown_jobs())
        self._key_of = {key[1]: key for key in self._keys}
        self._pending.clear()

    # ------------------------------------------------------------------ rows

    def _at(self, position: int) -> int:
        """The row showing ``_keys[position]`` (the list is read backwards when descending)."""
        return position if self._order == ASCENDING else len(self._keys) - 1 - position

    def job_id_at(self, row: int) -> int | None:
        if not 0 <= row < len(self._keys):
            return None
        return self._keys[self._at(row)][1]

    def row_of_job(self, job_id: int) -> int | None:
        key = self._key_of.get(job_id)
        if key is None:
            return None
        return self._at(bisect.bisect_left(self._keys, key))

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def hasChildren(self, parent: Index = _ROOT) -> bool:
        return not parent.isValid() and bool(self._keys)

    def index(self, row: int, column: int, parent: Index = _ROOT) -> QModelIndex:
        if parent.isValid() or not 0 <= row < len(self._keys) or not 0 <= column < len(COLUMNS):
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, index: Index | None = None) -> Any:  # type: ignore[override]
        if index is None:
            return super().parent()  # QObject.parent()
        return QModelIndex()

    def sibling(self, row: int, column: int, index: Index) -> QModelIndex:
        return self.index(row, column)

    def mapToSource(self, proxy_index: Index) -> QModelIndex:
        if not proxy_index.isValid() or self._model is None:
            return QModelIndex()
        job_id = self.job_id_at(proxy_index.row())
        row = None if job_id is None else self._model.source_row(job_id)
        if row is None:
            return QModelIndex()
        return self._model.index(row, proxy_index.column())

    def mapFromSource(self, source_index: Index) -> QModelIndex:
        if not source_index.isValid() or self._model is None:
            return QModelIndex()
        row = self.row_of_job(self._model.job_at(source_index.row()).id)
        return QModelIndex() if row is None else self.index(row, source_index.column())

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Straight to the job: no mapToSource and no second data() call per painted cell.
        # A painted cell asks for seven roles; font, colours and check state are never set.
        if role in UNUSED_ROLES or not index.isValid() or self._model is None:
            return None
        job_id = self.job_id_at(index.row())
        job = None if job_id is None else self._model.job_for_id(job_id)
        if job is None:
            return None
        return self._model.cell(job, COLUMNS[index.column()], role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self._model is None or orientation != Qt.Orientation.Horizontal:
            return None
        return self._model.headerData(section, orientation, role)

    def canFetchMore(self, parent: Index = _ROOT) -> bool:
        return self._model is not None and not parent.isValid() and self._model.canFetchMore()

    def fetchMore(self, parent: Index = _ROOT) -> None:
        if self._model is not None and not parent.isValid():
            self._model.fetchMore()

    # ------------------------------------------------------------------ source changes

    def _source_inserted(self, parent: Index, first: int, last: int) -> None:
        model = self.source_jobs()
        self._insert_keys(self._computed_keys(model.job_at(r) for r in range(first, last + 1)))

    def _insert_keys(self, new: Sequence[SortKey]) -> None:
        """Insert sorted ``new`` keys as contiguous blocks (one block for a typical drop)."""
        if not new:
            return
        runs: list[tuple[int, list[SortKey]]] = []  # (index in the final list, keys)
        at = bisect.bisect_left(self._keys, new[0])
        if at == bisect.bisect_left(self._keys, new[-1]):
            runs.append((at, list(new)))  # all in one gap: the usual drop
        for n, key in enumerate(new if not runs else ()):
            at = bisect.bisect_left(self._keys, key) + n
            if runs and runs[-1][0] + len(runs[-1][1]) == at:
                runs[-1][1].append(key)
            else:
                runs.append((at, [key]))
        for at, keys in runs:  # top to bottom: what is above each run is already final
            size = len(self._keys)
            first = at if self._order == ASCENDING else size - at
            self.beginInsertRows(_ROOT, first, first + len(keys) - 1)
            self._keys[at:at] = keys
            for key in keys:
                self._key_of[key[1]] = key
            self.endInsertRows()

    def _source_about_to_remove(self, parent: Index, first: int, last: int) -> None:
        model = self.source_jobs()
        ids = [model.job_at(r).id for r in range(first, last + 1)]
        self._remove_ids(ids)

    def _remove_ids(self, ids: Iterable[int]) -> None:
        positions = sorted(bisect.bisect_left(self._keys, self._key_of[i])
                           for i in ids if i in self._key_of)
        runs: list[list[int]] = []
        for p in positions:
            if runs and runs[-1][1] + 1 == p:
                runs[-1][1] = p
            else:
                runs.append([p, p])
        for start, end in reversed(runs):  # bottom first: positions above stay valid
            size = len(self._keys)
            if self._order == ASCENDING:
                self.beginRemoveRows(_ROOT, start, end)
            else:
                self.beginRemoveRows(_ROOT, size - 1 - end, size - 1 - start)
            for key in self._keys[start : end + 1]:
                del self._key_of[key[1]]
                self._pending.pop(key[1], None)
            del self._keys[start : end + 1]
            self.endRemoveRows()

    def _source_changed(self, top_left: QModelIndex, bottom_right: QModelIndex,
                        roles: Sequence[int] = ()) -> None:
        model = self.source_jobs()
        first, last = top_left.row(), bottom_right.row()
        if last - first + 1 > BULK_CHANGE:
            self._relayout()
            return
        for row in range(first, last + 1):
            self._source_row_changed(model.job_at(row), top_left.column(), bottom_right.column())

    def _source_row_changed(self, job: Job, first_column: int, last_column: int) -> None:
        old = self._key_of.get(job.id)
        if not self.accepts(job):
            if old is not None:
                self._defer(job.id, None)
                self._emit_row_changed(job.id, first_column, last_column)
            return
        new = self._key(job)
        if old is None:
            self._insert_keys([new])
            return
        if new != old and not self._replace_in_place(old, new):
            self._defer(job.id, new)
        elif job.id in self._pending:
            del self._pending[job.id]  # back where it was: nothing left to move
        self._emit_row_changed(job.id, first_column, last_column)

    def _emit_row_changed(self, job_id: int, first_column: int, last_column: int) -> None:
        row = self.row_of_job(job_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, first_column), self.index(row, last_column))

    def _replace_in_place(self, old: SortKey, new: SortKey) -> bool:
        """Give a job its new key if that leaves it where it is (no move needed)."""
        at = bisect.bisect_left(self._keys, old)
        below_ok = at == 0 or self._keys[at - 1] < new
        above_ok = at + 1 >= len(self._keys) or new < self._keys[at + 1]
        if not (below_ok and above_ok):
            return False
        self._keys[at] = new
        self._key_of[new[1]] = new
        return True

    def _defer(self, job_id: int, new: SortKey | None) -> None:
        self._pending[job_id] = new
        if not self._batch_timer.isActive():
            # The first change after a quiet spell moves on the next turn of the loop.
            since_ms = (time.monotonic() - self._last_batch) * 1000
            self._batch_timer.start(max(0, round(MOVE_BATCH_MS - since_ms)))

    def apply_pending(self) -> None:
        """Apply the gathered moves and departures now, together.

        Each is a plain row move or removal (Qt keeps selections and other persistent
        indexes right by itself); the view lays itself out once for all of them, on its next
        turn, so a batch costs one repaint however many jobs it moves.
        """
        self._batch_timer.stop()
        self._last_batch = time.monotonic()
        pending, self._pending = self._pending, {}
        for job_id, new in pending.items():
            old = self._key_of.get(job_id)
            if old is None:
                continue
            if new is None:
                self._remove_ids([job_id])
            else:
                self._move(old, new)

    def _move(self, old: SortKey, new: SortKey) -> None:
        """Give a job its new key, moving its row if its place changed."""
        source = bisect.bisect_left(self._keys, old)
        target = bisect.bisect_left(self._keys, new)
        final = target - 1 if target > source else target  # its index once it has moved
        if final == source:
            self._keys[source] = new
            self._key_of[new[1]] = new
            return
        size = len(self._keys)
        row_from = source if self._order == ASCENDING else size - 1 - source
        row_to = final if self._order == ASCENDING else size - 1 - final
        # Qt counts the destination before the move: moving down lands above row_to + 1.
        destination = row_to + 1 if row_to > row_from else row_to
        self.beginMoveRows(_ROOT, row_from, row_from, _ROOT, destination)
        del self._keys[source]
        self._keys.insert(final, new)
        self._key_of[new[1]] = new
        self.endMoveRows()

    def _restore_persistent(self, persistent: list[QModelIndex],
                            remembered: list[tuple[int | None, int]]) -> None:
        moved = []
        for job_id, column in remembered:
            row = None if job_id is None else self.row_of_job(job_id)
            moved.append(QModelIndex() if row is None else self.index(row, column))
        self.changePersistentIndexList(persistent, moved)

    def _source_reset(self) -> None:
        self._rebuild()
        self.endResetModel()

    def _etas_changed(self) -> None:
        if self._column == Column.ETA:
            self._relayout()

    def _relayout(self, *_args: object) -> None:
        """Re-filter and re-sort everything, keeping the selection on the jobs still shown."""
        if self._model is None:
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        remembered = [(self.job_id_at(index.row()), index.column()) for index in persistent]
        self._rebuild()
        self._restore_persistent(persistent, remembered)
        self.layoutChanged.emit()

"""The jobs table: a QAbstractTableModel fed by core events with row-level updates.

- A change emits ``dataChanged`` for the changed cells of the changed row only; there is no
  model reset for a change. Adds and removals that arrive in a burst (a dropped folder, "clear
  finished") are applied as contiguous row blocks on the next turn of the event loop.
- Progress events are coalesced: at most one update per job every ``PROGRESS_INTERVAL_MS``.
- Active jobs (queued, running) are loaded at once; finished history is loaded a page at a time,
  newest first, through ``canFetchMore``/``fetchMore``, so a long history opens fast.
- The model keeps a light copy of each job (no result text, no prompt): the detail pane reads
  the full job from the store when it needs it. That keeps memory bounded for a long history.
- Values that change with time alone (ETA, elapsed time, the queue rank, a stale job's age) are
  computed when painted; the window repaints the view about once a second instead of signalling
  every row.
- The queue order is kept as a sorted list of keys, updated job by job, so a job's place in a
  queue of 10,000 is a binary search, not a sort, and finishing one job costs no full pass.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from enum import IntEnum
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from core.batches import Batch
from core.clock import Clock
from core.events import (
    Event,
    JobAdded,
    JobChanged,
    JobProgress,
    JobRemoved,
    OrderChanged,
)
from core.jobs import Job
from core.states import ACTIVE_STATES, OUTPUT_TRUNCATED, JobState
from gui import batch_texts, core_texts
from gui import formatting as fmt
from gui.icons import cut_off_icon, state_icon
from gui.tasks import TaskRunner

translate = QCoreApplication.translate

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # the invalid index: "no parent" (never modified, so one is enough)

PAGE_SIZE = 500
PROGRESS_INTERVAL_MS = 100  # at most ~10 progress repaints a second


class Column(IntEnum):
    POSITION = 0
    DOCUMENT = 1
    PROFILE = 2
    STATE = 3
    PROGRESS = 4
    ETA = 5
    ATTEMPTS = 6
    TOKENS = 7
    DURATION = 8
    ERROR = 9


class Role(IntEnum):
    JOB = Qt.ItemDataRole.UserRole + 1
    SORT = Qt.ItemDataRole.UserRole + 2
    JOB_ID = Qt.ItemDataRole.UserRole + 3
    PROGRESS = Qt.ItemDataRole.UserRole + 4


# Roles as plain ints: comparing against enum members costs an attribute lookup per cell.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_SORT, _JOB, _JOB_ID, _PROGRESS = int(Role.SORT), int(Role.JOB), int(Role.JOB_ID), int(
    Role.PROGRESS)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


# The job fields each column shows: a change to none of them leaves the cell alone.
COLUMN_FIELDS: dict[Column, tuple[str, ...]] = {
    Column.POSITION: ("state", "priority", "position"),
    Column.DOCUMENT: ("path",),
    Column.PROFILE: ("profile",),
    Column.STATE: ("state", "finished_at", "stale_reason", "error_kind", "doubt", "batch_id"),
    Column.PROGRESS: ("state", "parts_done", "parts_planned", "part_fraction", "batch_id"),
    Column.ETA: ("state",),
    Column.ATTEMPTS: ("state", "attempts", "max_attempts"),
    Column.TOKENS: ("prompt_tokens", "completion_tokens"),
    Column.DURATION: ("state", "duration_s", "started_at", "finished_at"),
    Column.ERROR: ("state", "error", "error_kind", "stale_reason"),
}

NUMERIC_COLUMNS = frozenset(
    {Column.POSITION, Column.ETA, Column.ATTEMPTS, Column.TOKENS, Column.DURATION}
)
STATE_ORDER = {s: n for n, s in enumerate(
    (JobState.RUNNING, JobState.QUEUED, JobState.STALE, JobState.FAILED, JobState.DONE,
     JobState.CANCELLED))}

# Sort keys of the position column: running first, then the queue in claim order, then the
# history, newest first. Plain floats, so the proxy sorts in C++.
_QUEUED_BASE = 1e13
_HISTORY_BASE = 3e13


COLUMNS: tuple[Column, ...] = tuple(Column)


def position_sort_key(job: Job) -> float:
    """Running first, then the queue in claim order, then the history, newest first."""
    state = job.state
    if state == JobState.RUNNING:
        return float(job.position)
    if state == JobState.QUEUED:
        priority = max(-999, min(999, job.priority))
        return _QUEUED_BASE + (1000 - priority) * 1e9 + job.position
    # Newest first, by id: the order history pages are loaded in, so a fetched page lands
    # below what is shown instead of reshuffling it.
    return _HISTORY_BASE - job.id


_SORT_KEYS: dict[Column, Callable[[Job], Any]] = {
    Column.POSITION: position_sort_key,
    Column.DOCUMENT: lambda job: job.name.casefold(),
    Column.PROFILE: lambda job: core_texts.profile_name(job.profile).casefold(),
    Column.STATE: lambda job: STATE_ORDER.get(job.state, 99),
    Column.PROGRESS: lambda job: job.progress,
    Column.ATTEMPTS: lambda job: job.attempts,
    Column.TOKENS: lambda job: job.tokens,
    Column.DURATION: lambda job: job.duration_s,
}


class JobSource(Protocol):
    """What the model reads from the store (the real Store, or a fake in tests)."""

    async def queued_in_order(self) -> list[Job]: ...

    async def history_page(self, limit: int, before_id: int | None = None) -> list[Job]: ...


_PROMPTS: dict[str, str] = {}  # one shared copy of each prompt snapshot text


def light(job: Job) -> Job:
    """The job as the table keeps it: no result text, and its prompt shared with its peers.

    A finished job's result can be long, so it is dropped (the detail pane reads it from the
    store). A queued job has no result; its prompt snapshot is an equal but separate string
    for every row read from SQLite, so it is replaced by one shared copy of the same text
    (invisible to any reader, as the value does not change). Copying the job instead would
    cost about 2 us per job, 20 ms of the event loop for a drop of 10,000 files.
    """
    prompt = _PROMPTS.get(job.prompt)
    if prompt is None:
        if len(_PROMPTS) > 256:  # profiles are few; a flood of prompts is not worth keeping
            _PROMPTS.clear()
        prompt = _PROMPTS[job.prompt] = job.prompt
    if job.result is None:
        if job.prompt is not prompt:
            object.__setattr__(job, "prompt", prompt)  # the same text: frozen in meaning
        return job
    # A shallow copy of the fields: exact for this frozen dataclass (no __post_init__, no
    # slots) and several times cheaper than dataclasses.replace(), which runs __init__.
    clone = object.__new__(Job)
    fields = dict(job.__dict__)
    fields["result"] = None
    fields["prompt"] = prompt
    object.__setattr__(clone, "__dict__", fields)
    return clone


QueueKey = tuple[int, int, int]  # (-priority, position, id): the order jobs are claimed in


def is_cut_off(job: Job) -> bool:
    """Done, but the answer (or a part's) stopped at the output limit."""
    return job.state == JobState.DONE and job.error_kind == OUTPUT_TRUNCATED


def queue_key(job: Job) -> QueueKey:
    return (-job.priority, job.position, job.id)


def changed_columns(old: Job, new: Job) -> list[Column]:
    return [
        column
        for column, fields in COLUMN_FIELDS.items()
        if any(getattr(old, f) != getattr(new, f) for f in fields)
    ]


def column_runs(columns: Iterable[int]) -> Iterator[tuple[int, int]]:
    """Contiguous runs (first, last) of sorted column numbers."""
    ordered = sorted(set(columns))
    start = prev = None
    for c in ordered:
        if start is None:
            start = prev = c
        elif c == prev + 1:
            prev = c
        else:
            yield start, prev
            start = prev = c
    if start is not None:
        yield start, prev


def row_runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Contiguous runs of rows, bottom first (so removing one keeps the others valid)."""
    return sorted(column_runs(rows), reverse=True)


class JobsModel(QAbstractTableModel):
    # Time-derived values (rank, ETA, elapsed) changed: repaint, nothing to re-sort.
    derived_changed = Signal()
    # A page of history arrived or the set of rows changed in bulk.
    loaded = Signal()
    # New per-job ETAs arrived (the ETA column's sort order may have changed).
    etas_changed = Signal()

    def __init__(
        self,
        clock: Clock,
        source: JobSource | None = None,
        runner: TaskRunner | None = None,
        parent: QObject | None = None,
        *,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        self.source = source
        self.runner = runner or TaskRunner()
        self.page_size = page_size
        self._jobs: list[Job] = []
        self._rows: dict[int, int] = {}  # job id -> row; see _row_index()
        self._rows_stale = False
        self._header: tuple[dict[Column, str], dict[Column, str]] | None = None
        self._due: dict[int, float] = {}  # job id -> clock.now() when it should be done
        # Queued jobs in claim order (sorted keys) and each one's key, for rank and ETA.
        self._queue: list[QueueKey] = []
        self._queue_key: dict[int, QueueKey] = {}
        self._running: dict[int, Job] = {}
        # Provider batches by id: a job in one shows the batch's stage and progress instead
        # of its own calls' (it makes none while the provider holds it).
        self._batches: dict[int, Batch] = {}
        self._history_before: int | None = None
        self._history_done = source is None
        self._loaded_once = False
        self._fetching = False
        self._removed_while_fetching: set[int] = set()
        self._pending_adds: dict[int, Job] = {}
        self._pending_removals: set[int] = set()
        self._pending_progress: dict[int, JobProgress] = {}
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(0)
        self._flush_timer.timeout.connect(self.flush)
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_INTERVAL_MS)
        self._progress_timer.timeout.connect(self._flush_progress)

    # ------------------------------------------------------------------ loading

    async def load(self) -> None:
        """Every active job and the newest page of history."""
        if self.source is None:
            return
        active = await self.source.queued_in_order()
        history = await self.source.history_page(self.page_size)
        self._accept_history_page(history)
        self._loaded_once = True
        self._insert([*active, *history])
        self.loaded.emit()

    def canFetchMore(self, parent: Index = _ROOT) -> bool:
        return not parent.isValid() and self._loaded_once and not self._history_done

    def fetchMore(self, parent: Index = _ROOT) -> None:
        if not self.canFetchMore(parent) or self._fetching:
            return
        self._fetching = True
        self._removed_while_fetching.clear()
        self.runner.start(self._fetch_history(), translate("JobsModel", "Loading older jobs"))

    async def _fetch_history(self) -> None:
        assert self.source is not None
        try:
            page = await self.source.history_page(self.page_size, self._history_before)
        finally:
            self._fetching = False
        self._accept_history_page(page)
        self._insert([j for j in page if j.id not in self._removed_while_fetching])
        self.loaded.emit()

    def _accept_history_page(self, page: Sequence[Job]) -> None:
        if page:
            self._history_before = min(j.id for j in page)
        if len(page) < self.page_size:
            self._history_done = True

    @property
    def history_complete(self) -> bool:
        return self._history_done

    # ------------------------------------------------------------------ reading

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(Column)

    def job_at(self, row: int) -> Job:
        return self._jobs[row]

    def job_for_id(self, job_id: int) -> Job | None:
        """The job shown for ``job_id``, without applying buffered events (safe while painting)."""
        row = self._row_index().get(job_id)
        return None if row is None else self._jobs[row]

    def source_row(self, job_id: int) -> int | None:
        """The row of ``job_id`` as the views know it (buffered events not applied)."""
        return self._row_index().get(job_id)

    def row_of(self, job_id: int) -> int | None:
        self.flush()
        return self._row_index().get(job_id)

    def job(self, job_id: int) -> Job | None:
        row = self.row_of(job_id)
        return None if row is None else self._jobs[row]

    def jobs(self) -> Sequence[Job]:
        self.flush()
        return self._jobs

    def shown_jobs(self) -> Sequence[Job]:
        """The rows as the views know them (buffered events not applied)."""
        return self._jobs

    def rank(self, job_id: int) -> int | None:
        """1 for the next queued job, 2 for the one after, ...; None if not queued."""
        key = self._queue_key.get(job_id)
        if key is None:
            return None
        return bisect.bisect_left(self._queue, key) + 1

    def active_in_order(self) -> list[Job]:
        """Running jobs, then queued ones in the order the worker claims them (as the store's
        ``queued_in_order``), from memory."""
        jobs, rows = self._jobs, self._row_index()
        running = [jobs[rows[key[2]]] for key in sorted(self._running.values())]
        return [*running, *(jobs[rows[key[2]]] for key in self._queue)]

    def eta_left(self, job_id: int) -> float | None:
        due = self._due.get(job_id)
        return None if due is None else max(0.0, due - self.clock.now())

    def set_etas(self, per_job: dict[int, float], now: float | None = None) -> None:
        """Per-job seconds until done (from ``engine.eta()``), measured at ``now``."""
        now = self.clock.now() if now is None else now
        self._due = {job_id: now + seconds for job_id, seconds in per_job.items()}
        self.derived_changed.emit()
        self.etas_changed.emit()

    def set_batch(self, batch: Batch) -> None:
        """A batch changed: its jobs' cells (computed when painted) show the new stage."""
        self._batches[batch.id] = batch
        self.derived_changed.emit()

    def batch_of(self, job: Job) -> Batch | None:
        """The batch a running job is in, when the window knows it."""
        if job.batch_id is None or job.state != JobState.RUNNING:
            return None
        return self._batches.get(job.batch_id)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        # Asked for often (each relayout measures every section): answered from a cache (the
        # language is chosen at start).
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if self._header is None:
            self._header = (self._titles(), self._header_tips())
        column = COLUMNS[section]
        if role == _DISPLAY:
            return self._header[0][column]
        if role == _TOOLTIP:
            return self._header[1].get(column)
        if role == _ALIGNMENT and column in NUMERIC_COLUMNS:
            return _RIGHT
        return None

    def _titles(self) -> dict[Column, str]:
        return {
            Column.POSITION: translate("JobsModel", "#"),
            Column.DOCUMENT: translate("JobsModel", "Document"),
            Column.PROFILE: translate("JobsModel", "Profile"),
            Column.STATE: translate("JobsModel", "State"),
            Column.PROGRESS: translate("JobsModel", "Progress"),
            Column.ETA: translate("JobsModel", "ETA"),
            Column.ATTEMPTS: translate("JobsModel", "Attempts"),
            Column.TOKENS: translate("JobsModel", "Tokens"),
            Column.DURATION: translate("JobsModel", "Duration"),
            Column.ERROR: translate("JobsModel", "Error / reason"),
        }

    def _header_tips(self) -> dict[Column, str]:
        return {
            Column.POSITION: translate("JobsModel", "Place in the queue: 1 runs next"),
            Column.ETA: translate("JobsModel", "Estimated time until the job is done"),
            Column.ATTEMPTS: translate("JobsModel", "Attempts used of those allowed"),
            Column.TOKENS: translate("JobsModel", "Prompt and completion tokens used"),
            Column.DURATION: translate(
                "JobsModel", "Time spent in calls (elapsed time while running)"),
        }

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._jobs):
            return None
        return self.cell(self._jobs[index.row()], COLUMNS[index.column()], role)

    def cell(self, job: Job, column: Column, role: int) -> Any:
        """What ``data()`` answers for ``job`` in ``column`` (the filter calls it directly).

        Called for every painted cell and role, so the roles are tested as plain ints.
        """
        if role == _DISPLAY:
            return self._display(job, column)
        if role == _DECORATION:
            if column != Column.STATE:
                return None
            return cut_off_icon() if is_cut_off(job) else state_icon(job.state)
        if role == _ALIGNMENT:
            return _RIGHT if column in NUMERIC_COLUMNS else None
        if role == _TOOLTIP:
            return self._tooltip(job, column)
        if role == _SORT:
            return self.sort_key(job, column)
        if role == _JOB:
            return job
        if role == _JOB_ID:
            return job.id
        if role == _PROGRESS:
            batch = self.batch_of(job)
            return job.progress if batch is None else batch_texts.fraction(batch)
        return None

    def _display(self, job: Job, column: Column) -> str:
        state = job.state
        if column == Column.POSITION:
            rank = self.rank(job.id) if state == JobState.QUEUED else None
            return "" if rank is None else fmt.integer(rank)
        if column == Column.DOCUMENT:
            return os.path.basename(job.path)  # job.name, without building a PurePath
        if column == Column.PROFILE:
            return core_texts.profile_name(job.profile)
        if column == Column.STATE:
            if job.batch_id is not None and state == JobState.RUNNING:
                batch = self._batches.get(job.batch_id)
                return fmt.fill(translate("JobsModel", "batch %1"), job.batch_id) \
                    if batch is None else batch_texts.job_state_text(batch)
            label = fmt.state_label(state)
            if state == JobState.STALE and job.finished_at:
                since = max(0.0, self.clock.wall() - job.finished_at)
                return fmt.fill(translate("JobsModel", "%1, %2"), label, fmt.ago(since))
            if state == JobState.QUEUED and job.error_kind:
                return translate("JobsModel", "Queued, will retry")
            if is_cut_off(job):
                return translate("JobsModel", "Done, cut off")
            if state == JobState.DONE and job.doubt:
                return translate("JobsModel", "Done, text doubtful")
            return label
        if column == Column.PROGRESS:
            batch = self.batch_of(job)
            if batch is not None:
                return fmt.percent(batch_texts.fraction(batch))
            return fmt.percent(job.progress) if job.progress > 0 else ""
        if column == Column.ETA:
            if state not in ACTIVE_STATES:
                return ""
            left = self.eta_left(job.id)
            return "" if left is None else fmt.fill(translate("JobsModel", "≈ %1"),
                                                    fmt.duration(left))
        if column == Column.ATTEMPTS:
            if not job.attempts:
                return ""
            if state in (JobState.DONE, JobState.CANCELLED):
                return fmt.integer(job.attempts)
            return fmt.fill(translate("JobsModel", "%1 of %2"), job.attempts, job.max_attempts)
        if column == Column.TOKENS:
            return fmt.integer(job.tokens) if job.tokens else ""
        if column == Column.DURATION:
            if state == JobState.RUNNING and job.started_at:
                return fmt.duration(max(0.0, self.clock.wall() - job.started_at))
            return fmt.duration(job.duration_s) if job.duration_s > 0 else ""
        if column == Column.ERROR:
            # The cell names the kind in the window's language; the core's full message (in
            # English) is in the tooltip and the detail pane.
            if job.error and job.error_kind and job.state != JobState.STALE:
                return core_texts.error_kind_label(job.error_kind)
            return self._error_text(job)
        return ""

    @staticmethod
    def _error_text(job: Job) -> str:
        if job.state == JobState.STALE:
            return core_texts.stale_reason(job.stale_reason)
        if is_cut_off(job):
            return core_texts.cut_off_detail(job.error)
        if job.error and job.state in (JobState.FAILED, JobState.QUEUED, JobState.RUNNING):
            return job.error
        return ""

    def _tooltip(self, job: Job, column: Column) -> str | None:
        if column == Column.DOCUMENT:
            return job.path
        if column == Column.ERROR:
            text = self._error_text(job)
            if text and job.error_kind:
                return fmt.fill(translate("JobsModel", "%1\n\nError kind: %2"), text,
                                core_texts.error_kind_label(job.error_kind))
            return text or None
        if column == Column.STATE and job.state == JobState.STALE:
            return core_texts.stale_reason(job.stale_reason)
        if column == Column.STATE and (batch := self.batch_of(job)) is not None:
            tip = translate("JobsModel", "Sent to the provider's Batch API (half price); its "
                            "answers come back when the whole batch is done.")
            return f"{tip}\n{batch.error}" if batch.error else tip
        if column == Column.STATE and is_cut_off(job):
            return core_texts.cut_off_detail(job.error)
        if column == Column.STATE and job.state == JobState.DONE and job.doubt:
            return fmt.fill(translate("JobsModel", "The text read from it looks garbled: %1"),
                            job.doubt)
        if column == Column.PROGRESS and job.parts_planned > 1:
            return fmt.fill(translate("JobsModel", "%1 of %2 parts done"),
                            job.parts_done, job.parts_planned)
        return None

    def sort_key(self, job: Job, column: Column) -> Any:
        return self.sort_key_function(column)(job)

    def sort_key_function(self, column: Column) -> Callable[[Job], Any]:
        """The sort value of a job in ``column``, as a plain function (the filter calls it
        for every job of a drop, so the column is chosen once, not per job)."""
        if column == Column.ETA:
            due = self._due

            def eta(job: Job) -> float:
                at = due.get(job.id)
                return at if at is not None and job.state in ACTIVE_STATES else math.inf

            return eta
        return _SORT_KEYS.get(column, self._error_sort_key)

    def _error_sort_key(self, job: Job) -> str:
        return self._error_text(job).casefold()

    # ------------------------------------------------------------------ events

    def on_event(self, event: Event) -> None:
        """The core event bus subscriber (called on the GUI thread, by the event loop)."""
        if isinstance(event, JobAdded):
            # Kept as it came (light() runs once, at insertion): a drop publishes 10,000 of
            # these in one go, and each must cost next to nothing.
            self._pending_removals.discard(event.job.id)
            self._pending_adds[event.job.id] = event.job
            if not self._flush_timer.isActive():
                self._flush_timer.start()
        elif isinstance(event, JobRemoved):
            if self._fetching:
                self._removed_while_fetching.add(event.job_id)
            if self._pending_adds.pop(event.job_id, None) is None:
                self._pending_removals.add(event.job_id)
                self._flush_timer.start()
            self._due.pop(event.job_id, None)
            self._pending_progress.pop(event.job_id, None)
        elif isinstance(event, JobChanged):
            if event.job.id in self._pending_adds:
                self._pending_adds[event.job.id] = event.job
                return
            self.flush()
            self._pending_progress.pop(event.job.id, None)
            self._apply_change(light(event.job))
        elif isinstance(event, JobProgress):
            self._pending_progress[event.job_id] = event
            if not self._progress_timer.isActive():
                self._progress_timer.start()
        elif isinstance(event, OrderChanged):
            self.flush()
            self._apply_order(event.positions)

    def flush(self) -> None:
        """Apply buffered removals and adds now (also done on the next loop turn)."""
        if self._pending_removals:
            removals, self._pending_removals = self._pending_removals, set()
            self._remove(removals)
        if self._pending_adds:
            adds, self._pending_adds = self._pending_adds, {}
            self._insert(adds.values())

    def _belongs(self, job: Job) -> bool:
        """Whether an unknown job should be shown now, rather than with a later page."""
        if job.state in ACTIVE_STATES or self._history_done or not self._loaded_once:
            return True
        return self._history_before is None or job.id >= self._history_before

    def _insert(self, jobs: Iterable[Job]) -> None:
        rows = self._row_index()
        fresh: list[Job] = []
        seen: set[int] = set()
        for job in jobs:
            if job.id in rows or job.id in seen:
                continue
            seen.add(job.id)
            fresh.append(light(job))
        if not fresh:
            return
        first = len(self._jobs)
        # One block, however many: a drop of 10,000 files is one beginInsertRows.
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        for n, job in enumerate(fresh):
            rows[job.id] = first + n
        self._jobs.extend(fresh)
        self._track(fresh)
        self.endInsertRows()
        self.derived_changed.emit()

    def _remove(self, ids: Iterable[int]) -> None:
        rows = self._row_index()
        found = [rows[i] for i in ids if i in rows]
        if not found:
            return
        for first, last in row_runs(found):  # bottom first: the rows above keep their numbers
            self.beginRemoveRows(QModelIndex(), first, last)
            for job in self._jobs[first : last + 1]:
                self._untrack(job.id)
                self._due.pop(job.id, None)
            del self._jobs[first : last + 1]
            # Renumbered lazily: scattered removals would otherwise renumber once per run.
            self._rows_stale = True
            self.endRemoveRows()
        self.derived_changed.emit()

    def _row_index(self) -> dict[int, int]:
        if self._rows_stale:
            self._rows = {job.id: n for n, job in enumerate(self._jobs)}
            self._rows_stale = False
        return self._rows

    # The queue order (rank, ETA) follows every insert, change and removal.

    def _track(self, jobs: Sequence[Job]) -> None:
        keys: list[QueueKey] = []
        for job in jobs:
            if job.state == JobState.QUEUED:
                key = queue_key(job)
                self._queue_key[job.id] = key
                keys.append(key)
            elif job.state == JobState.RUNNING:
                self._running[job.id] = queue_key(job)
        if len(keys) > 32:
            self._queue.extend(keys)
            self._queue.sort()
        else:
            for key in keys:
                bisect.insort(self._queue, key)

    def _untrack(self, job_id: int) -> None:
        self._running.pop(job_id, None)
        key = self._queue_key.pop(job_id, None)
        if key is not None:
            del self._queue[bisect.bisect_left(self._queue, key)]

    def _apply_change(self, job: Job) -> None:
        row = self._row_index().get(job.id)
        if row is None:
            if self._belongs(job):
                self._insert([job])
            return
        old = self._jobs[row]
        self._jobs[row] = job
        reordered = (old.state, old.position, old.priority) != (job.state, job.position,
                                                                job.priority)
        if reordered:
            self._untrack(job.id)
            self._track([job])
            if job.state not in ACTIVE_STATES:
                self._due.pop(job.id, None)
        self._emit_changed(row, changed_columns(old, job))
        if reordered:
            self.derived_changed.emit()

    def _apply_order(self, positions: dict[int, int]) -> None:
        rows = self._row_index()
        changed: list[int] = []
        for job_id, position in positions.items():
            row = rows.get(job_id)
            if row is None:
                continue
            old = self._jobs[row]
            if old.position != position:
                new = dataclasses.replace(old, position=position)
                self._jobs[row] = new
                self._untrack(job_id)
                self._track([new])
                changed.append(row)
        if len(changed) > 1:
            # One signal for a bulk move (the filter re-sorts once), not one per row.
            self.dataChanged.emit(self.index(min(changed), Column.POSITION),
                                  self.index(max(changed), Column.POSITION))
        elif changed:
            self._emit_changed(changed[0], [Column.POSITION])
        self.derived_changed.emit()

    def _flush_progress(self) -> None:
        pending, self._pending_progress = self._pending_progress, {}
        rows = self._row_index()
        for event in pending.values():
            row = rows.get(event.job_id)
            if row is None:
                continue
            old = self._jobs[row]
            if old.state != JobState.RUNNING:
                continue  # a late progress event must not undo a finished job's values
            new = dataclasses.replace(
                old,
                parts_done=max(old.parts_done, event.parts_done),
                parts_planned=event.parts_planned or old.parts_planned,
                part_fraction=event.part_fraction,
            )
            self._jobs[row] = new
            self._emit_changed(row, changed_columns(old, new))

    def _emit_changed(self, row: int, columns: Iterable[int]) -> None:
        for first, last in column_runs(columns):
            self.dataChanged.emit(self.index(row, first), self.index(row, last))

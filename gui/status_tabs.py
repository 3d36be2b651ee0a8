"""The status tabs above the table: All, Queued, Running, Done, Failed, Stale, Cancelled."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabBar, QWidget

from core.states import JobState
from gui import formatting as fmt

TAB_STATES: tuple[JobState | None, ...] = (
    None,
    JobState.QUEUED,
    JobState.RUNNING,
    JobState.DONE,
    JobState.FAILED,
    JobState.STALE,
    JobState.CANCELLED,
)


class StatusTabs(QTabBar):
    states_changed = Signal(object)  # frozenset[JobState] | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusTabs")
        self.setDocumentMode(True)
        self.setExpanding(False)
        self.setDrawBase(False)
        self._counts: dict[str, int] = {}
        for state in TAB_STATES:
            self.addTab("")
            self.setTabData(self.count() - 1, state)
        self.set_counts({})
        self.currentChanged.connect(self._changed)

    def label(self, state: JobState | None) -> str:
        return self.tr("All") if state is None else fmt.state_label(state)

    def set_counts(self, counts: dict[str, int]) -> None:
        self._counts = dict(counts)
        total = sum(counts.values())
        for index, state in enumerate(TAB_STATES):
            n = total if state is None else counts.get(str(state), 0)
            self.setTabText(index, fmt.fill(self.tr("%1 (%2)"), self.label(state),
                                            fmt.integer(n)))

    def count_for(self, state: JobState | None) -> int:
        if state is None:
            return sum(self._counts.values())
        return self._counts.get(str(state), 0)

    def index_of(self, state: JobState | None) -> int:
        return TAB_STATES.index(state)

    def states(self) -> frozenset[JobState] | None:
        state = TAB_STATES[max(0, self.currentIndex())]
        return None if state is None else frozenset({state})

    def _changed(self, _index: int) -> None:
        self.states_changed.emit(self.states())

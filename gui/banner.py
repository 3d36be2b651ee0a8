"""Banners: a tinted strip above the table with a message, a detail line and buttons.

:class:`Banner` is the plain strip (used for drop reports and the monitor notice).
:class:`QueueBanner` shows the queue's state, most important first: a stop-the-queue error
(bad key, quota) with a button to Settings, a queue paused by the person, the pacer's wait
counted down with its reason and "Retry now", and a full queue. Its countdown reads
``clock.now()`` (the engine's clock, a FakeClock in tests) on a ~4/s timer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QDateTime, QEvent, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.clock import Clock
from core.events import QueueStateChanged
from gui import core_texts
from gui import formatting as fmt
from gui.icons import line_icon
from gui.palette import accent, blend, tint

LEVEL_ICONS = {"info": "info", "warning": "warning", "error": "error", "success": "success"}
TICK_MS = 250
# Waits that are trouble (shown as warnings); "pause" is the routine gap between calls.
TROUBLE_WAITS = frozenset({"backoff", "retry_after", "throttle", "storage", "unreachable"})


class Banner(QFrame):
    """A message strip. ``set_message`` shows it; ``dismiss`` (or its close button) hides it."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._level = "info"
        self._buttons_key: object = None

        self._icon = QLabel(self)
        self._icon.setFixedSize(20, 20)
        self._text = QLabel(self)
        self._text.setObjectName("bannerText")
        self._text.setTextFormat(Qt.TextFormat.PlainText)  # server messages are not markup
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self._text.font()
        font.setBold(True)
        self._text.setFont(font)
        self._detail = QLabel(self)
        self._detail.setObjectName("bannerDetail")
        self._detail.setTextFormat(Qt.TextFormat.PlainText)
        self._detail.setWordWrap(True)
        self._detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._detail.hide()

        texts = QVBoxLayout()
        texts.setSpacing(2)
        texts.addWidget(self._text)
        texts.addWidget(self._detail)

        self._button_box = QHBoxLayout()
        self._button_box.setSpacing(6)

        self._close = QToolButton(self)
        self._close.setAutoRaise(True)
        self._close.setToolTip(self.tr("Dismiss"))
        self._close.setAccessibleName(self.tr("Dismiss"))
        self._close.clicked.connect(self.dismiss)
        self._close.hide()

        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 8, 8)
        row.setSpacing(10)
        row.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(texts, 1)
        row.addLayout(self._button_box)
        row.addWidget(self._close, 0, Qt.AlignmentFlag.AlignTop)
        self._refresh_icons()
        self.hide()

    # ------------------------------------------------------------------ content

    @property
    def level(self) -> str:
        return self._level

    @property
    def text(self) -> str:
        return self._text.text()

    @property
    def detail(self) -> str:
        return self._detail.text()

    def buttons(self) -> list[QPushButton]:
        found = []
        for n in range(self._button_box.count()):
            widget = self._button_box.itemAt(n).widget()
            if isinstance(widget, QPushButton):
                found.append(widget)
        return found

    def button(self, label: str) -> QPushButton | None:
        return next((b for b in self.buttons() if b.text() == label), None)

    def set_message(
        self,
        level: str,
        text: str,
        detail: str = "",
        buttons: Sequence[tuple[str, Callable[[], None]]] = (),
        *,
        closable: bool = False,
        buttons_key: object = None,
    ) -> None:
        """Show ``text``; buttons are rebuilt only when ``buttons_key`` (or their labels) change."""
        if level != self._level:
            self._level = level
            self._refresh_icons()
            self.update()
        self._text.setText(text)
        self._detail.setText(detail)
        self._detail.setVisible(bool(detail))
        key = buttons_key if buttons_key is not None else tuple(label for label, _ in buttons)
        if key != self._buttons_key:
            self._buttons_key = key
            self._clear_buttons()
            for label, callback in buttons:
                button = QPushButton(label, self)
                button.clicked.connect(lambda _checked=False, cb=callback: cb())
                self._button_box.addWidget(button)
        self._close.setVisible(closable)
        self.show()

    def _clear_buttons(self) -> None:
        while self._button_box.count():
            item = self._button_box.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()

    def dismiss(self) -> None:
        was_visible = self.isVisible()
        self.hide()
        if was_visible:
            self.dismissed.emit()

    # ------------------------------------------------------------------ look

    def _refresh_icons(self) -> None:
        palette = self.palette()
        colour = accent(palette, self._level)
        self._icon.setPixmap(
            line_icon(LEVEL_ICONS.get(self._level, "info"), palette, colour).pixmap(20, 20))
        self._close.setIcon(line_icon("close", palette))
        self._close.setIconSize(QSize(14, 14))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._refresh_icons()
        super().changeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        border = blend(palette.color(QPalette.ColorRole.Base), accent(palette, self._level), 0.55)
        painter.setPen(QPen(border, 1.0))
        painter.setBrush(tint(palette, self._level))
        painter.drawRoundedRect(rect, 6, 6)
        painter.end()


@dataclass(frozen=True)
class WaitInfo:
    until: float  # on the clock's scale
    kind: str | None
    reason: str | None
    failures: int = 0
    since: float | None = None  # wall time the server became unreachable


class QueueBanner(Banner):
    """The queue's state, with the pacer's wait counted down."""

    retry_now_requested = Signal()
    resume_requested = Signal()
    settings_requested = Signal()

    def __init__(self, clock: Clock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clock = clock
        self._paused = False
        self._pause_reason: str | None = None
        self._pause_kind: str | None = None
        self._wait: WaitInfo | None = None
        self._busy = False
        self._pacing_shown = False  # a routine pause was shown: stay up while calls go on
        self._full: tuple[int, int] | None = None  # (waiting, limit) when the queue is full
        self._last_error_kind: str | None = None  # of the last failed call, for a backoff
        self.mode: str | None = None
        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self.tick)

    # ------------------------------------------------------------------ inputs

    def set_queue_state(self, event: QueueStateChanged) -> None:
        self._paused = event.paused
        self._pause_reason = event.pause_reason
        self._pause_kind = event.pause_kind
        if event.wait_until is not None:
            self._wait = WaitInfo(event.wait_until, event.wait_kind, event.wait_reason,
                                  event.wait_failures, event.wait_since)
        else:
            self._wait = None
        self.refresh()

    def set_paused(self, paused: bool, reason: str | None, kind: str | None) -> None:
        self._paused, self._pause_reason, self._pause_kind = paused, reason, kind
        self.refresh()

    def set_wait(self, wait: WaitInfo | None) -> None:
        """For a window that only monitors: the other worker's wait, read from the store."""
        self._wait = wait
        self.refresh()

    def set_last_error(self, kind: str | None) -> None:
        """The kind of error the last failed call had (a backoff says what it waits out)."""
        if kind != self._last_error_kind:
            self._last_error_kind = kind
            if self.mode == "wait":
                self.refresh()

    def set_busy(self, busy: bool) -> None:
        """Whether this window's worker has a job running (keeps the pacing strip steady)."""
        if busy != self._busy:
            self._busy = busy
            if not busy:
                self._pacing_shown = False
            self.refresh()

    def set_queue_full(self, waiting: int, limit: int) -> None:
        full = (waiting, limit) if waiting >= limit > 0 else None
        if full != self._full:
            self._full = full
            self.refresh()

    # ------------------------------------------------------------------ output

    def seconds_left(self) -> float:
        if self._wait is None:
            return 0.0
        return max(0.0, self._wait.until - self.clock.now())

    def tick(self) -> None:
        """Redraw the countdown (the timer calls this about four times a second)."""
        if self._wait is not None and self.seconds_left() <= 0:
            self._wait = None  # the pacer clears it too; do not show "0 s" meanwhile
        self.refresh()

    def refresh(self) -> None:
        if self._paused and self._pause_kind not in (None, "", "user"):
            self._show_stopped()
        elif self._paused:
            # Paused by the person (here or with paceline-cli pause): the core's reason is
            # only "Paused by you", in English; the headline says it all.
            self._set("paused", "info", self.tr(
                "The queue is paused. Queued jobs wait until you resume it."), "",
                [(self.tr("Resume"), self.resume_requested.emit)])
        elif self._wait is not None and self.seconds_left() > 0:
            self._show_wait(self._wait)
        elif self._pacing_shown and self._busy:
            self._set("calling", "info", self.tr("Calling the provider…"),
                      self.tr("Calls are paced to stay within the provider's rate limits."),
                      [])
        elif self._full is not None:
            waiting, limit = self._full
            self._set("full", "warning", self.tr(
                "The queue is full: %n waiting job(s).", "", waiting),
                fmt.fill(self.tr(
                    "New files are not added until some finish, or until you raise the "
                    "limit (%1) in Settings."), fmt.integer(limit)),
                [(self.tr("Settings…"), self.settings_requested.emit)])
        else:
            self.mode = None
            self._ticker.stop()
            self.hide()
            return
        counting = self.mode == "wait"
        if counting and not self._ticker.isActive():
            self._ticker.start()
        elif not counting and self.mode != "calling":
            self._ticker.stop()

    def _show_stopped(self) -> None:
        # Worded from the pause kind: the core's reason is English (and the job that hit the
        # error shows the provider's own words in its row).
        kind = self._pause_kind
        self._set("stopped", "error", core_texts.stop_headline(kind),
                  core_texts.stop_advice(kind), [
                      (self.tr("Open Settings…"), self.settings_requested.emit),
                      (self.tr("Resume"), self.resume_requested.emit),
                  ])

    def _show_wait(self, wait: WaitInfo) -> None:
        left = fmt.countdown(self.seconds_left())
        kind = wait.kind or "pause"
        if kind == "storage":
            # An answer came back and the database would not take it: it is held in memory
            # and saved as soon as the database can be written (the core's reason says why).
            self._set("wait", "warning", fmt.fill(self.tr(
                "Paceline could not save an answer yet: trying again in %1."), left),
                fmt.fill(self.tr("The answer is kept meanwhile. %1"), wait.reason or ""), [])
            return
        if kind == "unreachable":
            if wait.since is not None:
                since = QDateTime.fromSecsSinceEpoch(int(wait.since)).toString("HH:mm")
                text = fmt.fill(self.tr(
                    "The server cannot be reached since %1: next try in %2."), since, left)
            else:
                text = fmt.fill(self.tr("The server cannot be reached: next try in %1."), left)
        elif kind == "backoff":
            text = fmt.fill(self.tr(
                "Backing off after %n failed call(s): next try in %1.", "", max(1, wait.failures)),
                left)
        elif kind == "retry_after":
            text = fmt.fill(self.tr("The server asked Paceline to wait: next call in %1."), left)
        elif kind == "throttle":
            text = fmt.fill(self.tr(
                "Throttled to stay within the rate limit: next call in %1."), left)
        else:
            text = fmt.fill(self.tr("Pausing between calls: next call in %1."), left)
            self._pacing_shown = True
        # Why, by the kind of wait (the core's reason is English and repeats the headline).
        detail = core_texts.wait_detail(kind)
        if kind == "backoff" and self._last_error_kind:
            detail = fmt.fill(self.tr("Last error: %1. %2"),
                              core_texts.error_kind_label(self._last_error_kind), detail)
        level = "warning" if kind in TROUBLE_WAITS else "info"
        self._set("wait", level, text, detail,
                  [(self.tr("Retry now"), self.retry_now_requested.emit)])

    def _set(
        self,
        mode: str,
        level: str,
        text: str,
        detail: str,
        buttons: Sequence[tuple[str, Callable[[], None]]],
    ) -> None:
        self.mode = mode
        self.set_message(level, text, detail, buttons, buttons_key=(mode, level))


"""The tray's tooltip and menu, closing to the tray, and the one summary notification."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
import qasync
from PySide6.QtGui import QCloseEvent

from core.settings import Settings
from gui.app import PacelineApp
from gui.main_window import MainWindow
from gui.queue_summary import QueueSummary
from gui.queue_watch import QueueWatch
from gui.tray import TrayIcon
from tests.gui.conftest import make_docs, run, until

StartApp = Callable[..., PacelineApp]


def summary(read: int, queued: int = 0, running: int = 0, done: int = 0, failed: int = 0,
            paused: bool = False, eta: float | None = 0.0) -> QueueSummary:
    counts = {"queued": queued, "running": running, "done": done, "failed": failed,
              "cancelled": 0, "stale": 0}
    return QueueSummary(counts=counts, paused=paused, eta_total=eta, read_number=read)


def test_one_notification_per_spell_with_its_totals(styled_app: object) -> None:
    sent: list[tuple[str, str]] = []
    watch = QueueWatch(lambda: True)
    watch.queue_emptied.connect(lambda title, text: sent.append((title, text)))
    watch.update(summary(1, done=40))  # history before the spell
    watch.note_activity(2)
    watch.update(summary(2, queued=44, running=1, done=40))
    assert watch.tooltip() == "Paceline — 0 of 45 done, ETA 0 s"
    watch.update(summary(3, queued=20, running=1, done=62, failed=2, eta=130))
    assert watch.tooltip() == "Paceline — 24 of 45 done, ETA 2 min 10 s"
    for read in (4, 5, 6):  # the queue stays empty: still one notification
        watch.update(summary(read, done=82, failed=3))
    assert sent == [("The queue is empty", "42 done, 3 failed")]
    assert watch.tooltip() == "Paceline — the queue is empty"

    watch.note_activity(7)  # a second spell, without failures this time
    watch.update(summary(7, done=83))
    assert sent[-1] == ("The queue is empty", "1 done")
    assert watch.notified == 2


def test_a_read_older_than_the_activity_does_not_end_the_spell(styled_app: object) -> None:
    sent: list[str] = []
    watch = QueueWatch(lambda: True)
    watch.queue_emptied.connect(lambda _title, text: sent.append(text))
    watch.update(summary(1))
    # A job is queued and done between two reads; read 2 had begun before it was queued.
    watch.note_activity(3)
    watch.update(summary(2))
    assert sent == []
    watch.update(summary(3, done=1))
    assert sent == ["1 done"]


def test_paused_and_disabled(styled_app: object) -> None:
    sent: list[str] = []
    on = [False]
    watch = QueueWatch(lambda: on[0])
    watch.queue_emptied.connect(lambda _title, text: sent.append(text))
    watch.update(summary(1))
    watch.update(summary(2, queued=3, paused=True))
    assert watch.tooltip() == "Paceline — paused, 3 jobs waiting"
    watch.update(summary(3, done=3))
    assert sent == [] and watch.notified == 0  # notifications are off


def test_the_window_notifies_once_when_its_queue_empties(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app()
    window = app.window
    sent: list[tuple[str, str]] = []
    window.watch.queue_emptied.connect(lambda title, text: sent.append((title, text)))
    run(loop, window.add_paths(make_docs(tmp_path, 5)))
    run(loop, until(lambda: sent, what="the summary notification"))
    assert window.last_summary.counts["done"] == 5
    run(loop, _settle(window))
    assert sent == [("The queue is empty", "5 done")]  # one for the spell, not one per job
    # No tray offscreen: the summary goes to the status bar instead.
    assert "5 done" in window.statusBar().currentMessage()


async def _settle(window: MainWindow) -> None:
    """Let another summary read happen after everything is done."""
    refresher = window.summary
    seen = refresher.reads_started
    refresher.mark_dirty()
    await until(lambda: refresher.reads_started > seen, what="another read")
    await asyncio.sleep(0.1)


def test_no_notification_when_turned_off(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app(settings=Settings(notifications=False))
    window = app.window
    sent: list[str] = []
    window.watch.queue_emptied.connect(lambda _title, text: sent.append(text))
    run(loop, window.add_paths(make_docs(tmp_path, 3)))
    run(loop, until(lambda: window.last_summary.counts.get("done") == 3, what="three done"))
    run(loop, _settle(window))
    assert sent == [] and window.watch.notified == 0


def test_the_tray_menu_and_tooltip(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app()
    window = app.window
    tray = window.tray
    labels = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert labels == ["&Show Paceline", "&Pause queue", "&Quit"]
    run(loop, app.engine.pause())
    run(loop, window.add_paths(make_docs(tmp_path, 2)))
    run(loop, until(lambda: "paused" in tray.tooltip, what="the paused tooltip"))
    assert tray.tooltip == "Paceline — paused, 2 jobs waiting"
    assert labels[1] != tray.menu.actions()[2].text()  # Start/Pause follows the queue
    assert tray.menu.actions()[2].text() == "Resume &queue"


def test_closing_keeps_running_in_the_tray_only_when_it_can(
    loop: qasync.QEventLoop, start_app: StartApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start_app()
    window = app.window
    quits: list[bool] = []
    window.close_requested.connect(lambda: quits.append(True))

    monkeypatch.setattr(TrayIcon, "available", property(lambda _self: True))
    event = QCloseEvent()
    window.closeEvent(event)
    assert not event.isAccepted() and not window.isVisible() and quits == []

    window.bring_to_front()
    app.engine.settings = Settings(close_to_tray=False)
    window.closeEvent(QCloseEvent())
    assert quits == [True]  # the setting is off: closing quits

    monkeypatch.setattr(TrayIcon, "available", property(lambda _self: False))
    app.engine.settings = Settings(close_to_tray=True)
    window.closeEvent(QCloseEvent())
    assert quits == [True, True]  # no tray to live in: closing quits
    window.quit_action.trigger()
    assert quits == [True, True, True]

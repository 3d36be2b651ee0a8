"""``paceline [PATH...]``: the window, the engine and its worker on one qasync event loop.

Start-up: open the engine on the Paceline home, build and fill the window, take the worker
lock ("Paceline window") and run the worker as an asyncio task. If another process holds the
lock, the window still opens as a monitor and names the holder. PATHs are enqueued.

Shutdown (window closed, Quit, SIGINT/SIGTERM): stop claiming jobs, let the worker task end
(a running offline job is handed back; a paid call in flight is left to become stale, never
resent silently), wait for the window's own tasks, then ``engine.close()`` checkpoints and
closes the database. No task or thread is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import qasync
from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from core import paths
from core.clock import Clock
from core.engine import Engine
from core.errors import SchemaTooNew, WorkerLocked
from core.logs import setup_logging
from core.settings import Settings, SettingsError, load_saved
from gui import formatting as fmt
from gui import platform_check, qt_workarounds
from gui.file_open_events import FileOpenForwarder
from gui.icons import app_icon
from gui.main_thread_gc import MainThreadGarbageCollector
from gui.main_window import MainWindow
from gui.palette import apply_style, follow_color_scheme
from gui.single_instance import INSTANCE_LOCK, SingleInstance, forward_to_primary
from gui.tasks import TaskRunner
from gui.translations import install_translators
from gui.worker_control import WorkerControl

log = logging.getLogger(__name__)

HOLDER = "Paceline window"
HAND_OVER_ATTEMPTS = 4  # a second launch tries this often to reach the running window
HAND_OVER_PAUSE_S = 0.5  # ... waiting 0.5 s, 1 s, 1.5 s in between
translate = QCoreApplication.translate


class PacelineApp:
    """Owns the engine, the window and the worker for one run of the application."""

    def __init__(
        self,
        home: Path,
        initial_paths: Sequence[str | Path] = (),
        *,
        clock: Clock | None = None,
        settings: Settings | None = None,
        holder: str = HOLDER,
        freeze_gc: bool = False,
    ) -> None:
        self.home = home
        self.freeze_gc = freeze_gc
        self.initial_paths = list(initial_paths)
        self.clock = clock
        self.settings = settings
        self.holder = holder
        self.engine: Engine | None = None
        self.window: MainWindow | None = None
        self.worker: WorkerControl | None = None
        self.runner = TaskRunner(on_error=self._report_error)
        self.fatal: str | None = None
        self._quit: asyncio.Future[None] | None = None
        self._shut_down = False
        self._ready = False  # the window takes paths itself from now on

    async def start(self) -> MainWindow:
        """Open everything and show the window; raises if the queue cannot be opened."""
        self._quit = asyncio.get_running_loop().create_future()
        self.engine = await Engine.open(self.home, settings=self.settings, clock=self.clock)
        # Take the queue before the first paint, so a job a crash left running shows as
        # stale at once; another worker holding it is handled when the worker starts.
        with contextlib.suppress(WorkerLocked):
            await self.engine.take_queue(self.holder)
        window = MainWindow(self.engine, self.runner, self.home)
        self.window = window
        window.close_requested.connect(self.request_quit)
        self.worker = WorkerControl(self.engine, self.holder, on_change=window.update_worker_state,
                                    on_crash=self._worker_crashed)
        window.worker_control = self.worker
        await window.load()
        window.restore_state()
        window.show()
        if self.freeze_gc:
            # Everything built so far lives as long as the application. Frozen, the garbage
            # collector stops re-scanning it: its full collections, set off by a drop of
            # 10,000 jobs, shrink from about 40 ms (a visible stall) to a few.
            gc.freeze()
        await self.worker.start()
        self._ready = True
        if self.initial_paths:
            window.add_paths(self.initial_paths)
        return window

    def receive_paths(self, forwarded: list[str]) -> None:
        """Paths sent by a second launch (``paceline FILE`` while this window is open)."""
        if not self._ready or self.window is None:
            self.initial_paths.extend(forwarded)  # still starting: queued with our own
            return
        if self.window.closing:
            return
        self.window.bring_to_front()
        if forwarded:
            self.window.add_paths(forwarded)

    def request_quit(self) -> None:
        if self._quit is not None and not self._quit.done():
            self._quit.set_result(None)

    async def run(self) -> int:
        """The whole life of the application; returns the exit code."""
        try:
            await self.start()
        except (SchemaTooNew, SettingsError, sqlite3.Error, OSError) as exc:
            log.exception("Paceline could not open its queue")
            self.fatal = str(exc)
            await self.shutdown()
            return 1
        except Exception as exc:  # a bug: say so and where the details are, do not vanish
            log.exception("Paceline could not start")
            self.fatal = fmt.fill(translate(
                "App", "%1\n\nThe details are in the log file in %2."), repr(exc),
                str(self.home / "logs"))
            await self.shutdown()
            return 1
        assert self._quit is not None
        await self._quit
        await self.shutdown()
        return 0

    async def shutdown(self) -> None:
        if self._shut_down:
            return
        self._shut_down = True
        window = self.window
        if window is not None:
            window.closing = True
            with contextlib.suppress(Exception):
                window.save_state()
            window.hide()
        if self.worker is not None:
            await self.worker.stop()
            self.worker.close()
        await self.runner.close()
        if window is not None:
            window.detach()
        if self.engine is not None:
            await self.engine.close()
        # Close what an interrupted HTTP stream left open, while the loop still runs.
        await asyncio.get_running_loop().shutdown_asyncgens()
        if window is not None:
            window.close()
            window.deleteLater()
        log.info("Paceline stopped cleanly")

    def _report_error(self, what: str, error: BaseException) -> None:
        if self.window is not None and not self.window.closing:
            self.window.show_error(what, error)

    def _worker_crashed(self, error: BaseException) -> None:
        if self.window is not None:
            self.window.show_error(translate("App", "The worker"), error)


def _paths_from(arguments: Sequence[str]) -> list[str]:
    """Documents and folders named on the command line (Qt's own options are removed)."""
    found: list[str] = []
    only_paths = False
    for arg in arguments:
        if arg == "--":
            only_paths = True
        elif only_paths or not arg.startswith("-"):
            found.append(arg)
    return found


def _language_setting() -> str:
    """The saved UI language ("" follows the system); a broken settings file means ""."""
    try:
        return load_saved(paths.home()).language
    except Exception:
        return ""


class HandOverTexts(QObject):
    """A QObject for its tr(): lupdate finds plural forms only in tr() calls."""

    def forwarded(self, count: int) -> str:
        if count:
            return self.tr("Paceline is already open: sent %n item(s) to its window.", "",
                           count)
        return self.tr("Paceline is already open: brought its window to the front.")


def _hand_over(instance: SingleInstance, home: Path, given: list[str]) -> int | None:
    """Another window runs on this home: send it our paths and return the exit code, or
    None if that window turned out to be gone and we are the primary now."""
    for attempt in range(HAND_OVER_ATTEMPTS):
        if forward_to_primary(home, given):
            log.info("forwarded %d path(s) to the running window", len(given))
            print(HandOverTexts().forwarded(len(given)))
            return 0
        # No answer: its lock may have just become stale (it was killed), or it is still
        # starting and not listening yet.
        if instance.try_become_primary():
            log.info("the previous window is gone; this one is the primary now")
            return None
        time.sleep(HAND_OVER_PAUSE_S * (attempt + 1))
    _tell(translate("App", "Paceline is already running but does not answer"), fmt.fill(
        translate("App", "Another Paceline window holds %1, but it did not take the files "
                  "within a few seconds. Nothing was added. Wait until that window responds "
                  "and try again, or close it (end the process if it hangs) and start "
                  "Paceline again."), str(home / INSTANCE_LOCK)))
    return 2


def _tell(title: str, text: str) -> None:
    """An error for the person: on stderr, and in a dialog where a screen can show one."""
    print(f"{title}\n{text}", file=sys.stderr)
    if QGuiApplication.platformName() not in ("offscreen", "minimal"):
        QMessageBox.critical(None, title, text)


def _install_signal_handlers(app: PacelineApp) -> QTimer:
    def handler(_signum: int, _frame: object) -> None:
        app.request_quit()

    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signum, handler)
    # Python runs signal handlers only between bytecodes; a light timer makes sure it gets
    # the chance while Qt sleeps in its event loop.
    timer = QTimer()
    timer.setInterval(300)
    timer.timeout.connect(lambda: None)
    timer.start()
    return timer


def main(argv: Sequence[str] | None = None) -> int:
    # --- packaging (issue 7): --version and --self-test answer before any window is built.
    from gui.self_test import early_exit

    if (early := early_exit(sys.argv if argv is None else argv)) is not None:
        return early
    # --- end of packaging flags
    # Before QApplication, which aborts the process when its platform plugin cannot load.
    if problem := platform_check.window_problem(os.environ):
        print(problem, file=sys.stderr)
        return platform_check.EXIT_CODE
    qt_workarounds.install()  # before any Qt call (see gui/qt_workarounds.py)
    args = list(sys.argv if argv is None else argv)
    QCoreApplication.setOrganizationName("Paceline")
    QCoreApplication.setApplicationName("Paceline")
    QApplication.setDesktopFileName("paceline")
    qt_app = QApplication.instance() or QApplication(args)
    assert isinstance(qt_app, QApplication)
    MainThreadGarbageCollector(qt_app)  # owned by qt_app (see gui/main_thread_gc.py)
    apply_style(qt_app)
    follow_color_scheme(qt_app)
    qt_app.setWindowIcon(app_icon())
    qt_app.setQuitOnLastWindowClosed(False)  # the application decides when to stop
    translators = install_translators(qt_app, _language_setting())  # owned by qt_app
    log.debug("%d translators installed", len(translators))

    try:
        home = paths.home()
        setup_logging(home, "paceline")
    except OSError as exc:
        QMessageBox.critical(None, translate("App", "Paceline"), fmt.fill(translate(
            "App", "Paceline cannot use its data folder: %1\n\nSet PACELINE_HOME to a "
            "writable folder and start it again."), str(exc)))
        return 1

    given = _paths_from(qt_app.arguments()[1:])
    instance = SingleInstance(home)
    if not instance.try_become_primary():
        handed_over = _hand_over(instance, home, given)
        if handed_over is not None:
            return handed_over
    application = PacelineApp(home, given, freeze_gc=True)
    instance.paths_received.connect(application.receive_paths)
    FileOpenForwarder(application.receive_paths, qt_app)  # macOS "Open With"
    loop = qasync.QEventLoop(qt_app)
    asyncio.set_event_loop(loop)
    keep = _install_signal_handlers(application)
    try:
        with loop, qt_workarounds.async_generator_hooks(loop):
            code = loop.run_until_complete(application.run())
    finally:
        keep.stop()
        instance.release()
    if application.fatal:
        QMessageBox.critical(None, translate("App", "Paceline"), fmt.fill(translate(
            "App", "Paceline could not open its queue.\n\n%1"), application.fatal))
    return code


if __name__ == "__main__":
    sys.exit(main())

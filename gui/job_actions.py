"""The actions on jobs and on the queue, shared by the menus, the toolbar and the context menu.

Each action works on the selected jobs it applies to (Re-trigger ignores a running job, Cancel
ignores a finished one), is enabled only when it applies to at least one of them, and reports
what it did in the status bar. Dialogs (confirmations, save paths) are injectable callables so
tests can trigger every action directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from core.engine import Engine
from core.export import export
from core.jobs import Job
from core.settings import SettingsError
from core.states import ACTIVE_STATES, REMOVABLE_STATES, RETRIGGERABLE_STATES, JobState
from gui import batch_texts, core_texts
from gui import formatting as fmt
from gui.action_factory import make_action
from gui.icons import line_icon
from gui.jobs_model import is_cut_off
from gui.tasks import TaskRunner

log = logging.getLogger(__name__)

Confirm = Callable[[str, str], bool]
AskSavePath = Callable[[str], tuple[str, str] | None]  # suggested format -> (path, format)
# Doubles the output limit setting and applies it: (old, new), or None if it could not be
# saved (the window has said why).
RaiseOutputLimit = Callable[[], Awaitable[tuple[int, int] | None]]

MAX_OPEN_AT_ONCE = 10  # opening 500 viewers by accident helps nobody


class JobActions(QObject):
    def __init__(
        self,
        engine: Engine,
        runner: TaskRunner,
        selection: Callable[[], list[Job]],
        notify: Callable[[str], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.runner = runner
        self.selection = selection
        self.notify = notify
        self.window = parent
        self.confirm: Confirm = self._confirm_dialog
        self.ask_save_path: AskSavePath = self._save_dialog
        self.open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl
        self.failed_kinds: dict[str, int] = {}
        self.paused = False
        # Set by the window, which owns the settings (the same saving path as its dialog).
        self.raise_output_limit: RaiseOutputLimit | None = None
        # A refusal the person must act on (headline, details); the window shows a banner.
        self.show_problem: Callable[[str, str], None] = (
            lambda headline, detail: self.notify(f"{headline} {detail}"))

        self.start_pause = self._action("pause", self.tr("&Pause queue"), "Ctrl+P",
                                        self.tr("Pause or resume the queue"), self.toggle_pause)
        self.retry_now = self._action("retry-now", self.tr("Retry &now"), "F5",
                                      self.tr("End the current wait and make the next call now"),
                                      self.do_retry_now)
        self.retrigger = self._action("retrigger", self.tr("&Re-trigger"), "Ctrl+R",
                                      self.tr("Queue the selected stale, failed or cancelled "
                                              "jobs again"), self.do_retrigger)
        self.rerun_larger = self._action(
            "retrigger", self.tr("Run a&gain with a larger output limit"), "",
            self.tr("Double the output limit in Settings and queue the selected jobs whose "
                    "answer was cut off again"), self.do_rerun_larger)
        self.retrigger_all_stale = self._action(
            "retrigger", self.tr("Re-trigger all &stale"), "Ctrl+Shift+R",
            self.tr("Queue every stale job again"), self.do_retrigger_all_stale)
        self.retry_failed = self._action(
            "retry-failed", self.tr("Retry all &failed"), "",
            self.tr("Queue every failed job again"), lambda: self.do_retry_failed(None))
        self.cancel = self._action("cancel", self.tr("&Cancel"), "Ctrl+.",
                                   self.tr("Cancel the selected queued or running jobs"),
                                   self.do_cancel)
        self.remove = self._action("remove", self.tr("Re&move"), QKeySequence.StandardKey.Delete,
                                   self.tr("Remove the selected finished jobs and their results"),
                                   self.do_remove)
        self.clear_finished = self._action(
            "clear-finished", self.tr("C&lear finished"), "Ctrl+Shift+Delete",
            self.tr("Remove all done and cancelled jobs from the list"), self.do_clear_finished)
        self.move_top = self._action("move-top", self.tr("Move to &top"), "Alt+Home",
                                     self.tr("Run the selected queued jobs first"),
                                     lambda: self.do_move("top"))
        self.move_up = self._action("move-up", self.tr("Move &up"), "Alt+Up",
                                    self.tr("Move the selected queued jobs up one place"),
                                    lambda: self.do_move("up"))
        self.move_down = self._action("move-down", self.tr("Move &down"), "Alt+Down",
                                      self.tr("Move the selected queued jobs down one place"),
                                      lambda: self.do_move("down"))
        self.move_bottom = self._action("move-bottom", self.tr("Move to &bottom"), "Alt+End",
                                        self.tr("Run the selected queued jobs last"),
                                        lambda: self.do_move("bottom"))
        self.open_document = self._action("open-document", self.tr("&Open document"),
                                          "Ctrl+Return",
                                          self.tr("Open the selected documents in their usual "
                                                  "application"), self.do_open_document)
        self.copy_error = self._action("copy", self.tr("Copy &error"), "Ctrl+Shift+C",
                                       self.tr("Copy the error or stale reason of the selected "
                                               "jobs"), self.do_copy_error)
        self.send_batch_tip = self.tr(
            "Send the selected queued jobs to the provider's Batch API: half the price, "
            "answers within 24 hours")
        self.send_batch = self._action("hourglass", self.tr("Send as &batch"), "Ctrl+B",
                                       self.send_batch_tip, self.do_send_batch)
        self.export = self._action("export", self.tr("&Export…"), "Ctrl+E",
                                   self.tr("Export the selected jobs as Markdown, JSON or CSV"),
                                   lambda: self.do_export(None))

        self.retry_failed_menu = QMenu(self.tr("Retry &failed"), parent)
        self.retry_failed_menu.setIcon(line_icon("retry-failed", parent.palette()))
        self.retry_failed_menu.aboutToShow.connect(self._fill_retry_failed_menu)
        self.move_menu = QMenu(self.tr("&Move"), parent)
        self.move_menu.addActions([self.move_top, self.move_up, self.move_down,
                                   self.move_bottom])
        self.selection_actions = [self.retrigger, self.rerun_larger, self.cancel, self.remove,
                                  self.send_batch, self.move_top,
                                  self.move_up, self.move_down, self.move_bottom,
                                  self.open_document, self.copy_error, self.export]
        self.update_enabled()

    def _action(
        self,
        icon: str,
        text: str,
        shortcut: str | QKeySequence.StandardKey,
        tip: str,
        slot: Callable[[], object],
    ) -> QAction:
        return make_action(
            self, line_icon(icon, self.window.palette()), icon, text, shortcut, tip, slot
        )

    def all_actions(self) -> list[QAction]:
        return [self.start_pause, self.retry_now, self.retrigger, self.rerun_larger,
                self.retrigger_all_stale,
                self.retry_failed, self.cancel, self.remove, self.clear_finished,
                self.send_batch, self.move_top, self.move_up, self.move_down, self.move_bottom,
                self.open_document, self.copy_error, self.export]

    def refresh_icons(self) -> None:
        """Re-tint the icons after a palette change (light <-> dark)."""
        palette = self.window.palette()
        for action in self.all_actions():
            name = action.property("iconName")
            if name:
                action.setIcon(line_icon(str(name), palette))
        self.retry_failed_menu.setIcon(line_icon("retry-failed", palette))
        self.set_paused(self.paused)

    # ------------------------------------------------------------------ state

    def update_enabled(self, counts: dict[str, int] | None = None) -> None:
        jobs = self.selection()
        states = {j.state for j in jobs}
        self.retrigger.setEnabled(bool(states & RETRIGGERABLE_STATES))
        self.rerun_larger.setEnabled(
            self.raise_output_limit is not None and any(is_cut_off(j) for j in jobs))
        self.cancel.setEnabled(bool(states & ACTIVE_STATES))
        self.remove.setEnabled(bool(states & REMOVABLE_STATES))
        movable = JobState.QUEUED in states
        # Without a Batch API in the settings the action says why instead of failing later.
        refusal = self.engine.batch_refusal()
        self.send_batch.setEnabled(movable and refusal is None)
        tip = (batch_texts.refusal_text(self.engine.settings, refusal) if refusal
               else self.send_batch_tip)
        if self.send_batch.toolTip() != tip:
            self.send_batch.setToolTip(tip)
            self.send_batch.setStatusTip(tip)
        for action in (self.move_top, self.move_up, self.move_down, self.move_bottom):
            action.setEnabled(movable)
        self.move_menu.setEnabled(movable)
        self.open_document.setEnabled(bool(jobs))
        self.copy_error.setEnabled(any(self._error_of(j) for j in jobs))
        self.export.setEnabled(bool(jobs))
        if counts is not None:
            self.retrigger_all_stale.setEnabled(counts.get("stale", 0) > 0)
            failed = counts.get("failed", 0) > 0
            self.retry_failed.setEnabled(failed)
            self.retry_failed_menu.setEnabled(failed)
            self.clear_finished.setEnabled(counts.get("done", 0) + counts.get("cancelled", 0) > 0)

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        palette = self.window.palette()
        if paused:
            self.start_pause.setText(self.tr("Resume &queue"))
            self.start_pause.setIcon(line_icon("start", palette))
            self.start_pause.setProperty("iconName", "start")
        else:
            self.start_pause.setText(self.tr("&Pause queue"))
            self.start_pause.setIcon(line_icon("pause", palette))
            self.start_pause.setProperty("iconName", "pause")

    async def refresh_failed_kinds(self) -> None:
        self.failed_kinds = await self.engine.error_kinds(JobState.FAILED)

    def _fill_retry_failed_menu(self) -> None:
        menu = self.retry_failed_menu
        menu.clear()
        total = sum(self.failed_kinds.values())
        all_failed = menu.addAction(fmt.fill(self.tr("All failed jobs (%1)"), fmt.integer(total)))
        all_failed.triggered.connect(lambda _c=False: self.do_retry_failed(None))
        if self.failed_kinds:
            menu.addSeparator()
        for kind, n in sorted(self.failed_kinds.items(), key=lambda kv: (-kv[1], kv[0])):
            label = core_texts.error_kind_label(kind) if kind else self.tr("no error kind")
            action = menu.addAction(fmt.fill(self.tr("Only “%1” (%2)"), label, fmt.integer(n)))
            action.triggered.connect(lambda _c=False, k=kind: self.do_retry_failed(k or None))
        self.runner.start(self.refresh_failed_kinds(), self.tr("Reading the failed jobs"))

    # ------------------------------------------------------------------ operations

    def _ids(self, states: frozenset[JobState] | set[JobState]) -> list[int]:
        return [j.id for j in self.selection() if j.state in states]

    def toggle_pause(self) -> asyncio.Task[None] | None:
        return self.runner.start(self._toggle_pause(), self.tr("Pausing or resuming the queue"))

    async def _toggle_pause(self) -> None:
        if self.paused:
            await self.engine.resume()  # batches held by the pause go out now too
            self.notify(self.tr("Queue resumed."))
        else:
            await self.engine.pause()
            self.notify(self.tr("Queue paused: the running call finishes, nothing new starts."))

    def do_retry_now(self) -> None:
        self.engine.retry_now()
        self.notify(self.tr("Retrying now."))

    def do_retrigger(self, ids: Sequence[int] | None = None) -> asyncio.Task[None] | None:
        chosen = list(ids) if ids is not None else self._ids(RETRIGGERABLE_STATES)
        if not chosen:
            return None
        return self.runner.start(self._retrigger(chosen), self.tr("Re-triggering jobs"))

    async def _retrigger(self, ids: list[int]) -> None:
        changed = await self.engine.retrigger(ids)
        self.notify(self.tr("%n job(s) queued again.", "", len(changed)))

    def do_rerun_larger(self, ids: Sequence[int] | None = None) -> asyncio.Task[None] | None:
        """Double the output limit, then queue the cut-off jobs again (they run with it)."""
        chosen = list(ids) if ids is not None else [
            j.id for j in self.selection() if is_cut_off(j)]
        if not chosen or self.raise_output_limit is None:
            return None
        return self.runner.start(self._rerun_larger(chosen),
                                 self.tr("Running jobs again with a larger output limit"))

    async def _rerun_larger(self, ids: list[int]) -> None:
        assert self.raise_output_limit is not None
        # The limit first: a job queued before the worker has the new one would run with the
        # old limit and be cut again.
        raised = await self.raise_output_limit()
        if raised is None:
            return
        old, new = raised
        changed = await self.engine.retrigger(ids)
        log.info("output limit raised from %d to %d tokens; job(s) %s re-queued", old, new,
                 ", ".join(str(j.id) for j in changed) or "none")
        self.notify(fmt.fill(
            self.tr("Output limit raised from %1 to %2 tokens; %n job(s) re-queued.", "",
                    len(changed)), str(old), str(new)))

    def do_retrigger_all_stale(self) -> asyncio.Task[None] | None:
        return self.runner.start(self._retrigger_all(JobState.STALE, None),
                                 self.tr("Re-triggering stale jobs"))

    def do_retry_failed(self, kind: str | None) -> asyncio.Task[None] | None:
        return self.runner.start(self._retrigger_all(JobState.FAILED, kind),
                                 self.tr("Retrying failed jobs"))

    async def _retrigger_all(self, state: JobState, kind: str | None) -> None:
        changed = await self.engine.retrigger_all(state, kind)
        self.notify(self.tr("%n job(s) queued again.", "", len(changed)))

    def do_cancel(self) -> asyncio.Task[None] | None:
        ids = self._ids(ACTIVE_STATES)
        if not ids:
            return None
        return self.runner.start(self._cancel(ids), self.tr("Cancelling jobs"))

    async def _cancel(self, ids: list[int]) -> None:
        changed = await self.engine.cancel(ids)
        self.notify(self.tr("%n job(s) cancelled.", "", len(changed)))

    def do_remove(self) -> asyncio.Task[None] | None:
        ids = self._ids(REMOVABLE_STATES)
        if not ids:
            return None
        if not self.confirm(self.tr("Remove jobs"), self.tr(
                "Remove %n job(s) and their results from the list? The documents themselves "
                "are not touched.", "", len(ids))):
            return None
        return self.runner.start(self._remove(ids), self.tr("Removing jobs"))

    async def _remove(self, ids: list[int]) -> None:
        removed = await self.engine.remove(ids)
        self.notify(self.tr("%n job(s) removed.", "", len(removed)))

    def do_clear_finished(self) -> asyncio.Task[None] | None:
        if not self.confirm(self.tr("Clear finished"), self.tr(
                "Remove every done and cancelled job and its result from the list? Failed and "
                "stale jobs stay. The documents themselves are not touched.")):
            return None
        return self.runner.start(self._clear_finished(), self.tr("Clearing finished jobs"))

    async def _clear_finished(self) -> None:
        removed = await self.engine.clear_finished()
        self.notify(self.tr("%n finished job(s) removed.", "", len(removed)))

    def do_send_batch(self, ids: Sequence[int] | None = None) -> asyncio.Task[None] | None:
        chosen = list(ids) if ids is not None else self._ids({JobState.QUEUED})
        if not chosen:
            return None
        return self.runner.start(self._send_batch(chosen), self.tr("Sending jobs as a batch"))

    async def _send_batch(self, ids: list[int]) -> None:
        refusal = self.engine.batch_refusal()
        if refusal:  # said in the window's language, as the disabled action's tooltip says it
            self.show_problem(self.tr("The jobs were not sent as a batch."),
                              batch_texts.refusal_text(self.engine.settings, refusal))
            return
        try:
            batch = await self.engine.submit_batch(ids)
        except ValueError:  # they were claimed, cancelled or removed meanwhile
            self.show_problem(self.tr("The jobs were not sent as a batch."), self.tr(
                "None of them is waiting in the queue any more: only queued jobs can be sent "
                "as a batch."))
            return
        except SettingsError as exc:  # said to the person, not a crash
            self.show_problem(self.tr("The jobs were not sent as a batch."), str(exc))
            return
        self.notify(fmt.fill(self.tr("%n job(s) sent as batch %1: answers come back within "
                                     "24 hours, at half the price.", "", len(ids)), batch.id))

    def do_move(self, where: str) -> asyncio.Task[None] | None:
        ids = self._ids({JobState.QUEUED})
        if not ids:
            return None
        return self.runner.start(self.engine.move(ids, where), self.tr("Reordering the queue"))

    def do_open_document(self) -> None:
        jobs = self.selection()[:MAX_OPEN_AT_ONCE]
        missing = [j.path for j in jobs if not Path(j.path).exists()]
        for job in jobs:
            if job.path not in missing:
                self.open_url(QUrl.fromLocalFile(job.path))
        if missing:
            self.notify(fmt.fill(self.tr(
                "%1 is no longer there: it was moved or deleted after it was added."),
                missing[0]))

    @staticmethod
    def _error_of(job: Job) -> str:
        if job.state == JobState.STALE:
            return job.stale_reason or ""
        return job.error or ""

    def do_copy_error(self) -> None:
        lines = [f"{j.name}: {self._error_of(j)}" for j in self.selection() if self._error_of(j)]
        if not lines:
            return
        text = lines[0].split(": ", 1)[1] if len(lines) == 1 else "\n".join(lines)
        QGuiApplication.clipboard().setText(text)
        self.notify(self.tr("Copied."))

    def do_export(self, fmt_key: str | None) -> asyncio.Task[None] | None:
        ids = [j.id for j in self.selection()]
        if not ids:
            self.notify(self.tr("Select the jobs to export first."))
            return None
        chosen = self.ask_save_path(fmt_key or "md")
        if chosen is None:
            return None
        path, fmt_key = chosen
        return self.runner.start(self.export_to(ids, fmt_key, Path(path)),
                                 self.tr("Exporting jobs"))

    async def export_to(self, ids: Sequence[int], fmt_key: str, path: Path) -> None:
        jobs = [job for job in [await self.engine.job(i) for i in ids] if job is not None]
        text = export(jobs, fmt_key)
        try:
            await asyncio.to_thread(path.write_text, text, encoding="utf-8")
        except OSError as exc:
            self.notify(fmt.fill(self.tr("Could not write %1: %2. Choose another folder."),
                                 str(path), exc.strerror or str(exc)))
            return
        self.notify(fmt.fill(self.tr("Exported %n job(s) to %1.", "", len(jobs)), str(path)))

    # ------------------------------------------------------------------ dialogs

    def _confirm_dialog(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(self.window, title, question,
                                      QMessageBox.StandardButton.Yes
                                      | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def _save_dialog(self, fmt_key: str) -> tuple[str, str] | None:
        filters = {
            "md": self.tr("Markdown (*.md)"),
            "json": self.tr("JSON (*.json)"),
            "csv": self.tr("CSV (*.csv)"),
        }
        suggested = str(Path.home() / f"paceline-export.{fmt_key}")
        path, chosen_filter = QFileDialog.getSaveFileName(
            self.window, self.tr("Export jobs"), suggested, ";;".join(filters.values()),
            filters.get(fmt_key, ""))
        if not path:
            return None
        key = next((k for k, label in filters.items() if label == chosen_filter), fmt_key)
        if not Path(path).suffix:
            path += f".{key}"
        return path, key

"""The hook that gives each finished job its result file, exactly once, in whichever process
runs the queue's worker (the window or ``paceline-cli run``).

It listens to the engine's events: a job that turns ``done`` or ``failed`` in this process's
worker reaches it through the change feed right after its commit. Each job (by id and
finish time, so a re-triggered job that finishes again gets a fresh file) is handled once:
``result_files`` records the intent before the file is renamed into place and the outcome
after. Only the worker lock's holder runs a writer, so two processes never race for a file.
A crash between a job's commit and its file is made good at the next start: every job finished
since the previous worker started that has no recorded outcome is handled then; writing the
same bytes again is harmless, and recognised as our own file.

When no result files are asked for, a finished job costs no database statement: the folders
are read at most once a second, and how far the writer got (``results_floor``: every job that
finished before it was looked at) is stored every few seconds and at a clean stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path

from core import result_files as rf
from core import watch_folders as wf
from core.clock import Clock
from core.db import Tx
from core.errors import StorageError
from core.events import Event, JobChanged
from core.jobs import Job
from core.settings import Settings
from core.states import JobState
from core.store import Store
from core.transitions import log_line
from core.waits import UPSERT_META

log = logging.getLogger(__name__)

FINISHED = (JobState.DONE, JobState.FAILED)
FINAL_OUTCOMES = ("written", "skipped", "failed", "moved")
FLOOR_KEY = "results_floor"
FLOOR_SAVE_S = 5.0  # how often the floor is stored while jobs finish
FOLDERS_TTL_S = 1.0  # the watch folders (with their result options) are read this often

NOT_OURS = (
    "The result file {path} was not written: a file of that name is there that Paceline did "
    "not write (or that was edited since). Rename or remove it and re-trigger the job, or "
    "allow overwriting in Settings → Folders."
)


class ResultWriter:
    def __init__(self, store: Store, settings: Callable[[], Settings], clock: Clock) -> None:
        self.store = store
        self.db = store.db
        self.settings = settings
        self.clock = clock
        self._queue: asyncio.Queue[Job | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._floor = 0.0  # every job that finished up to here has been looked at
        self._floor_stored: float | None = None  # as the database has it
        self._floor_saved = 0.0
        self._caught_up = asyncio.Event()
        self._folders: list[wf.WatchFolder] = []
        self._folders_read = float("-inf")
        self.written: list[Path] = []  # this session's files, for tests and the log

    async def start(self) -> None:
        if self._task is not None:
            return
        stored = await self.db.rows("SELECT value FROM meta WHERE key = ?", (FLOOR_KEY,))
        if stored:
            self._floor = self._floor_stored = float(stored[0][0])
        else:
            # The first start with this feature: nothing finished before it is written out.
            latest = await self.db.rows(
                "SELECT MAX(finished_at) FROM jobs WHERE state IN ('done', 'failed')")
            self._floor = float(latest[0][0] or 0.0)
        self._unsubscribe = self.store.bus.subscribe(self._on_event)
        self._task = asyncio.create_task(self._run(), name="paceline-results")

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        task, self._task = self._task, None
        if task is None:
            return
        self._queue.put_nowait(None)  # finish the files already asked for, then end
        try:
            await asyncio.wait_for(asyncio.shield(task), 10.0)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        except Exception:  # closing must go on: the next start catches up
            log.exception("the result-file writer stopped with an error")

    async def idle(self) -> None:
        """Wait until every finished job seen so far has been handled (for tests)."""
        await self._caught_up.wait()
        await self._queue.join()

    def folders_changed(self) -> None:
        """A watch folder was added, changed or removed in this process: read them again."""
        self._folders_read = float("-inf")

    def _on_event(self, event: Event) -> None:
        if not isinstance(event, JobChanged):
            return
        job = event.job
        if job.state in FINISHED and job.finished_at is not None and (
            job.finished_at > self._floor
        ):
            self._queue.put_nowait(job)

    async def _run(self) -> None:
        try:
            for job_id in await self._missed():
                job = await self.store.get(job_id)
                if job is not None and job.state in FINISHED:
                    await self._handle_quietly(job)
                    assert job.finished_at is not None
                    self._floor = max(self._floor, job.finished_at)
            await self._save_floor()
        except Exception:
            log.exception("catching up on result files failed")
        finally:
            self._caught_up.set()
        while True:
            job = await self._queue.get()
            try:
                if job is None:
                    await self._save_floor()
                    return
                await self._handle_quietly(job)
                assert job.finished_at is not None
                self._floor = max(self._floor, job.finished_at)
                if self.clock.wall() - self._floor_saved >= FLOOR_SAVE_S:
                    await self._save_floor()
            finally:
                self._queue.task_done()

    async def _save_floor(self) -> None:
        """Store the floor if it moved (a start that finds nothing new writes nothing). A
        database that refuses it loses nothing: the next start looks at a few jobs again."""
        floor = self._floor
        if floor == self._floor_stored:
            return
        try:
            await self.db.write(lambda t: t.all(UPSERT_META, (FLOOR_KEY, repr(floor))))
        except StorageError as exc:
            log.warning("the result files' floor was not stored: %s", exc)
            return
        self._floor_stored = floor
        self._floor_saved = self.clock.wall()

    async def _missed(self) -> list[int]:
        """Jobs that finished since the floor without a recorded outcome: a crash came
        between their commit and their file."""
        rows = await self.db.rows(
            "SELECT id FROM jobs WHERE state IN ('done', 'failed') "
            "AND finished_at > ? AND NOT EXISTS (SELECT 1 FROM result_files r "
            "WHERE r.job_id = jobs.id AND r.finished_at = jobs.finished_at "
            "AND r.outcome IN ('written', 'skipped', 'failed', 'moved')) ORDER BY finished_at",
            (self._floor,),
        )
        return [int(r[0]) for r in rows]

    async def _handle_quietly(self, job: Job) -> None:
        try:
            await self.handle(job)
        except Exception:  # one job's file must not stop the others'
            log.exception("writing the result file of job %s failed", job.id)

    async def _watch_folders(self) -> list[wf.WatchFolder]:
        now = time.monotonic()  # real time: another process may change them
        if now - self._folders_read >= FOLDERS_TTL_S:
            self._folders = await wf.list_folders(self.db)
            self._folders_read = now
        return self._folders

    # ------------------------------------------------------------------ one job

    async def handle(self, job: Job) -> None:
        """Write ``job``'s result file and move its document, as its options say (``job`` as
        it was when it finished: a re-trigger since does not undo that finish)."""
        folders = await self._watch_folders()
        options = rf.options_for(self.settings(), wf.owner_of(folders, job.path))
        if not options.anything:
            return
        if await self._outcome(job) in FINAL_OUTCOMES:
            return
        document = Path(job.path)
        move_to = rf.wants_source_moved(job, options)
        if move_to:
            document = await self._move(job, document, move_to, options.base)
        if job.state != JobState.DONE or options.mode == "off":
            if move_to:
                await self._record(job, "moved", None, None, None)
            return
        await self._write(job, document, options)

    async def _move(self, job: Job, document: Path, to: str, base: str | None) -> Path:
        try:
            moved = await asyncio.to_thread(rf.move_source, document, to, base)
        except OSError as exc:
            await self._log(job, f"the document could not be moved to {to}: {exc}")
            return document
        if moved is None:
            await self._log(job, f"the document {document} was gone; it was not moved to {to}")
            return document
        await self._log(job, f"the document was moved to {moved}")
        return moved

    async def _write(self, job: Job, document: Path, options: rf.ResultOptions) -> None:
        target = rf.target_path(document, job, options)
        data = rf.render(job, options.fmt)
        sha = rf.sha256_of(data)
        there = await asyncio.to_thread(rf.file_sha256, target)
        if there == sha:  # written before a crash, or the same answer again
            await self._record(job, "written", target, sha, None)
            return
        if there is not None and not options.overwrite and not await self._ours(target, there):
            message = NOT_OURS.format(path=target)
            # no hash: the file is someone else's, and must never count as ours later
            await self._record(job, "skipped", target, None, message)
            await self._log(job, message)
            return
        # The intent first: a watcher that sees the new file finds it listed as ours.
        await self._record(job, "writing", target, sha, None)
        try:
            await asyncio.to_thread(rf.write_atomically, target, data)
        except OSError as exc:
            message = (f"The result file {target} could not be written: "
                       f"{exc.strerror or exc}. Check that the folder exists and is writable, "
                       "then re-trigger the job.")
            await self._record(job, "failed", target, None, message)
            await self._log(job, message)
            return
        await self._record(job, "written", target, sha, None)
        await self._log(job, f"result file written: {target}")
        self.written.append(target)

    # ------------------------------------------------------------------ records

    async def _outcome(self, job: Job) -> str | None:
        rows = await self.db.rows(
            "SELECT outcome FROM result_files WHERE job_id = ? AND finished_at = ?",
            (job.id, job.finished_at),
        )
        return str(rows[0][0]) if rows else None

    async def _ours(self, path: Path, sha: str) -> bool:
        rows = await self.db.rows(
            "SELECT 1 FROM result_files WHERE path = ? AND sha256 = ? LIMIT 1", (str(path), sha)
        )
        return bool(rows)

    async def _record(self, job: Job, outcome: str, path: Path | None, sha: str | None,
                      message: str | None) -> None:  # fmt: skip
        now = self.clock.wall()
        args = (job.id, job.finished_at, outcome, None if path is None else str(path), sha,
                message, now)

        async def tx(t: Tx) -> None:
            await t.all(
                "INSERT INTO result_files (job_id, finished_at, outcome, path, sha256, "
                "message, at) VALUES (?,?,?,?,?,?,?) ON CONFLICT(job_id, finished_at) DO "
                "UPDATE SET outcome = excluded.outcome, path = excluded.path, "
                "sha256 = excluded.sha256, message = excluded.message, at = excluded.at",
                args,
            )

        await self.db.write(tx)

    async def _log(self, job: Job, message: str) -> None:
        now = self.clock.wall()
        await self.db.write(lambda t: log_line(t, job.id, now, message))

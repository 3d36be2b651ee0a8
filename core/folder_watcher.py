"""Watching folders: documents that arrive on their own are queued once they are complete.

One watchdog observer (inotify, FSEvents, ReadDirectoryChangesW: the platform's own
notifications, in a thread of its own) reports changes; a periodic listing of every folder is
the safety net for what notifications miss (network shares send none, a full event queue drops
some). Both feed :class:`core.file_stability.StabilityTracker`, which says when a file is
complete; complete files go through the engine's ``add_paths`` with their folder's profile, so
the queue's own duplicate check (same sha256 and profile) keeps a done file from running again
while a changed file becomes a new job.

What the watcher has handed over is remembered per folder with the size and mtime it saw
(``watch_seen``): a restart lists the folders again and queues what arrived meanwhile, without
hashing every unchanged file. A folder that cannot be reached (an unplugged disk, a network
share gone) is marked unavailable and resumed, with a full listing, when it is back.

Nothing here blocks the event loop: listing, stat calls and (un)scheduling watches run in
threads, and the observer's thread hands its events over in batches.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import logging
import os
import stat as stat_mod
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from core import watch_folders as wf
from core.db import Database
from core.documents import is_supported, supported_suffixes
from core.file_stability import StabilityTracker, Stat
from core.settings import Settings

log = logging.getLogger(__name__)

# Files that are never documents: partial downloads, editors' lock and swap files.
TEMP_SUFFIXES = frozenset({".part", ".partial", ".crdownload", ".download", ".tmp", ".temp",
                           ".swp", ".swx", ".lock", ".filepart"})
# Gather files that become complete within this long into one transaction.
BATCH_S = 0.05
# A folder whose stat does not answer in this long (a hung network share) counts as gone.
REACHABLE_TIMEOUT_S = 5.0
# Reject kinds that say nothing about the file itself: it is tried again at the next listing.
RETRY_KINDS = frozenset({"queue_full", "missing", "unreadable"})

EVENT_TYPES: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileMovedEvent, FileDeletedEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
]  # fmt: skip

UNAVAILABLE_DETAIL = (
    "The folder cannot be reached (an unplugged disk or a network share that is gone?). "
    "Watching resumes by itself when it is back."
)


class WatchHost(Protocol):
    """What the watcher needs of the engine."""

    settings: Settings

    @property
    def db(self) -> Database: ...

    async def add_paths(self, given: Sequence[str], *, profile: str | None = None) -> Any: ...


@dataclass
class _Watched:
    folder: wf.WatchFolder
    excluded: tuple[str, ...] = ()  # folders inside it that hold Paceline's own output
    watch: ObservedWatch | None = None
    identity: tuple[int, int] | None = None  # (st_dev, st_ino) when scheduled
    seen: dict[str, Stat] = field(default_factory=dict)
    loaded: bool = False


class _Handler(FileSystemEventHandler):
    def __init__(self, post: Callable[[int, FileSystemEvent], None], folder_id: int) -> None:
        self.post = post
        self.folder_id = folder_id

    def dispatch(self, event: FileSystemEvent) -> None:  # the observer's thread
        self.post(self.folder_id, event)


class FolderWatcher:
    def __init__(
        self,
        host: WatchHost,
        *,
        stable_s: float | None = None,
        settle_s: float = 0.3,
        rescan_s: float | None = None,
        reload_s: float = 2.0,
        observer_factory: Callable[[], BaseObserver] = Observer,
    ) -> None:
        self.host = host
        self.db = host.db
        self.stable_s = host.settings.watch_stable_s if stable_s is None else stable_s
        self.rescan_s = host.settings.watch_rescan_s if rescan_s is None else rescan_s
        self.reload_s = reload_s
        self.tracker = StabilityTracker(self.stable_s, settle_s)
        self._observer_factory = observer_factory
        self._observer: BaseObserver | None = None
        self._watched: dict[int, _Watched] = {}
        self._events: deque[tuple[int, FileSystemEvent]] = deque()
        self._posted = False
        self._wake = asyncio.Event()
        self._reload_now = False
        self._subtrees: set[tuple[int, str]] = set()  # folders created or moved in: list them
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[], None]] = []
        self.enqueued = 0  # files handed to the queue as new jobs, since start
        self.ready_batches = 0  # add_paths calls (one transaction each)
        self.looks = 0  # stat calls on files waiting to be complete

    # ------------------------------------------------------------------ life

    async def start(self) -> None:
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._observer = await asyncio.to_thread(self._start_observer)
        self._task = asyncio.create_task(self._run(), name="paceline-watch-folders")

    def _start_observer(self) -> BaseObserver:
        observer = self._observer_factory()
        observer.daemon = True
        observer.start()
        return observer

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        observer, self._observer = self._observer, None
        if observer is not None:
            await asyncio.to_thread(_stop_observer, observer)
        for watched in self._watched.values():
            if watched.folder.state != wf.IDLE and not self.db.closed:
                with contextlib.suppress(Exception):
                    await wf.set_state(self.db, watched.folder.id, wf.IDLE, "", _wall())
        self._watched.clear()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Called on the loop when a folder's state changes or files were queued."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def reload_soon(self) -> None:
        """Read the folders again now (one was added, removed or changed)."""
        self._reload_now = True
        self._wake.set()

    def states(self) -> dict[int, tuple[str, str]]:
        return {i: (w.folder.state, w.folder.state_detail) for i, w in self._watched.items()}

    # ------------------------------------------------------------------ events (thread)

    def _post(self, folder_id: int, event: FileSystemEvent) -> None:
        """The observer's thread: queue the event; wake the loop once per batch."""
        self._events.append((folder_id, event))
        if not self._posted and self._loop is not None:
            self._posted = True
            with contextlib.suppress(RuntimeError):  # the loop closed while stopping
                self._loop.call_soon_threadsafe(self._wake_up)

    def _wake_up(self) -> None:
        self._posted = False
        self._wake.set()

    # ------------------------------------------------------------------ the loop

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        await self._reload()
        next_reload = loop.time() + self.reload_s
        next_rescan = loop.time() + self.rescan_s
        while True:
            try:
                now = loop.time()
                due = self.tracker.next_due()
                wake_at = min(next_reload, next_rescan,
                              due + BATCH_S if due is not None else float("inf"))
                if wake_at > now and not self._events and not self._reload_now:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), wake_at - now)
                self._drain(loop.time())
                if self._reload_now or loop.time() >= next_reload:
                    self._reload_now = False
                    await self._reload()
                    next_reload = loop.time() + self.reload_s
                if loop.time() >= next_rescan:
                    await self._scan_all()
                    next_rescan = loop.time() + self.rescan_s
                if self._subtrees:
                    await self._scan_subtrees()
                await self._check_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bad folder or a busy database must not end watching
                log.exception("watching folders failed; trying again")
                await asyncio.sleep(min(self.reload_s, 1.0))

    def _drain(self, now: float) -> None:
        while self._events:
            folder_id, event = self._events.popleft()
            watched = self._watched.get(folder_id)
            if watched is None or watched.watch is None:
                continue
            src = os.fsdecode(event.src_path)
            if event.is_directory:
                if event.event_type == "deleted" and src == watched.folder.path:
                    self._reload_now = True  # the folder itself is gone
                elif event.event_type in ("created", "moved"):
                    dest = os.fsdecode(event.dest_path) if event.dest_path else src
                    if watched.folder.recursive:
                        self._subtrees.add((folder_id, dest))
                continue
            kind = event.event_type
            if kind == "moved":
                self.tracker.forget(src)
                dest = os.fsdecode(event.dest_path)
                if self._wanted(watched, dest):
                    self.tracker.finished(dest, now)  # renamed into place: complete
            elif kind == "deleted":
                self.tracker.forget(src)
            elif self._wanted(watched, src):
                if kind == "closed":
                    self.tracker.finished(src, now)
                else:
                    self.tracker.touched(src, now)

    def _wanted(self, watched: _Watched, path: str) -> bool:
        """Might ``path`` be a document for this folder (by name and place only, no I/O)?"""
        folder = watched.folder
        if not folder.contains(path):
            return False
        if any(path.startswith(prefix) for prefix in watched.excluded):
            return False
        relative = os.path.relpath(path, folder.path)
        if any(part.startswith(".") for part in relative.split(os.sep)):
            return False  # hidden files and folders (and our own temporary files)
        name = os.path.basename(path)
        if name.startswith("~$"):
            return False  # an Office lock file
        suffix = os.path.splitext(name)[1].lower()
        if suffix in TEMP_SUFFIXES:
            return False
        if suffix and suffix not in supported_suffixes():
            return False
        return _matches(folder.pattern, name)

    # ------------------------------------------------------------------ folders

    async def _reload(self) -> None:
        folders = {f.id: f for f in await wf.list_folders(self.db)}
        for folder_id in [i for i in self._watched if i not in folders]:
            watched = self._watched.pop(folder_id)
            await self._unschedule(watched)
            self.tracker.forget_under(wf._prefix(watched.folder.path))
            self._changed()
        for folder in folders.values():
            watched = self._watched.get(folder.id)
            if watched is None:
                watched = self._watched[folder.id] = _Watched(folder)
            elif _options(watched.folder) != _options(folder):
                # A new pattern or profile: drop what was pending and list the folder again.
                await self._unschedule(watched)
                self.tracker.forget_under(wf._prefix(folder.path))
            # keep the state this process wrote; take the options from the database
            watched.folder = replace(folder, state=watched.folder.state,
                                     state_detail=watched.folder.state_detail)
            watched.excluded = self._excluded(folder)
            await self._bring_up(watched)

    def _excluded(self, folder: wf.WatchFolder) -> tuple[str, ...]:
        """Folders of Paceline's own output inside a watch folder are not watched."""
        settings = self.host.settings
        mode = folder.results or settings.result_files
        out = folder.results_folder if folder.results else settings.result_folder
        candidates = [folder.done_folder, folder.failed_folder, out if mode == "folder" else ""]
        return tuple(wf._prefix(wf.normalise(c)) for c in candidates if c)

    async def _bring_up(self, watched: _Watched) -> None:
        folder = watched.folder
        if folder.paused:
            await self._unschedule(watched)
            await self._set_state(watched, wf.PAUSED, "")
            return
        identity = await _reachable(folder.path)
        if identity is None:
            await self._unschedule(watched)
            self.tracker.forget_under(wf._prefix(folder.path))
            await self._set_state(watched, wf.UNAVAILABLE, UNAVAILABLE_DETAIL)
            return
        if watched.watch is not None and watched.identity == identity:
            return  # watching already
        # New, back after being unavailable or paused, or replaced by another folder of the
        # same name: watch it, then list it for what arrived meanwhile.
        await self._unschedule(watched)
        observer = self._observer
        if observer is None:
            return
        try:
            watched.watch = await asyncio.to_thread(
                observer.schedule, _Handler(self._post, folder.id), folder.path,
                recursive=folder.recursive, event_filter=EVENT_TYPES,
            )  # fmt: skip
        except OSError as exc:  # e.g. the inotify watch limit
            await self._set_state(watched, wf.UNAVAILABLE, f"{folder.path} cannot be watched: "
                                  f"{exc.strerror or exc}. Paceline lists it every "
                                  f"{self.rescan_s:g} s instead.")
            watched.watch = None
        watched.identity = identity
        if not watched.loaded:
            watched.seen = await wf.load_seen(self.db, folder.id)
            watched.loaded = True
        if watched.watch is not None:
            await self._set_state(watched, wf.WATCHING, "")
        await self._scan(watched)

    async def _unschedule(self, watched: _Watched) -> None:
        watch, watched.watch = watched.watch, None
        watched.identity = None
        if watch is not None and self._observer is not None:
            await asyncio.to_thread(_unschedule, self._observer, watch)

    async def _set_state(self, watched: _Watched, state: str, detail: str) -> None:
        folder = watched.folder
        if (folder.state, folder.state_detail) == (state, detail):
            return
        watched.folder = replace(folder, state=state, state_detail=detail)
        if state == wf.UNAVAILABLE:
            log.warning("watch folder %s is unavailable", folder.path)
        elif folder.state == wf.UNAVAILABLE:
            log.info("watch folder %s is back", folder.path)
        await wf.set_state(self.db, folder.id, state, detail, _wall())
        self._changed()

    def _changed(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("a watch folder listener failed")

    # ------------------------------------------------------------------ listing

    async def _scan_all(self) -> None:
        for watched in list(self._watched.values()):
            if watched.folder.state == wf.WATCHING or (
                watched.watch is None and watched.identity is not None
            ):
                await self._scan(watched)

    async def _scan_subtrees(self) -> None:
        pending, self._subtrees = self._subtrees, set()
        for folder_id, top in pending:
            watched = self._watched.get(folder_id)
            if watched is not None and watched.watch is not None:
                await self._scan(watched, top)

    async def _scan(self, watched: _Watched, top: str | None = None) -> None:
        """List the folder (or one of its subfolders) and look at every file not seen as is."""
        folder = watched.folder
        found = await asyncio.to_thread(
            _list_files, top or folder.path, folder.recursive or top is not None,
            lambda p: self._wanted(watched, p),
        )  # fmt: skip
        now = asyncio.get_running_loop().time()
        for path, stat in found.items():
            if watched.seen.get(path) != stat:
                self.tracker.observe(path, stat, now)
        if top is None:
            gone = [p for p in watched.seen if p not in found]
            if gone:
                for path in gone:
                    del watched.seen[path]
                await _forget_seen(self.db, gone)

    # ------------------------------------------------------------------ complete files

    async def _check_due(self) -> None:
        loop = asyncio.get_running_loop()
        due = self.tracker.due(loop.time())
        if not due:
            return
        stats = await asyncio.to_thread(_stat_all, due)
        self.looks += len(stats)
        now = loop.time()
        ready: dict[int, list[tuple[str, Stat]]] = {}
        for path, stat in stats.items():
            if path not in self.tracker or not self.tracker.observe(path, stat, now):
                continue
            assert stat is not None
            watched = self._owner(path)
            if watched is None or watched.seen.get(path) == stat:
                continue  # its folder went away, or nothing changed since it was handed over
            ready.setdefault(watched.folder.id, []).append((path, stat))
        for folder_id, files in ready.items():
            await self._enqueue(self._watched[folder_id], files)

    def _owner(self, path: str) -> _Watched | None:
        inside = [w for w in self._watched.values()
                  if w.folder.contains(path) and w.identity is not None]
        return max(inside, key=lambda w: len(w.folder.path)) if inside else None

    async def _enqueue(self, watched: _Watched, files: list[tuple[str, Stat]]) -> None:
        folder = watched.folder
        paths = [p for p, _ in files]
        ours = await wf.written_results(self.db, paths)
        keep = await asyncio.to_thread(_documents, [p for p in paths if p not in ours])
        stats = dict(files)
        handled = [p for p in paths if p not in keep]  # our result files, not documents
        if keep:
            self.ready_batches += 1
            try:
                outcome = await self.host.add_paths(keep, profile=folder.profile)
            except ValueError as exc:  # the folder's profile was deleted from the settings
                await self._set_state(watched, wf.WATCHING, f"{exc} Choose another profile "
                                      "for this folder; its files wait until then.")
                return
            report = outcome.report
            self.enqueued += len(report.accepted)
            retry = {p for p, kind, _ in report.rejected if kind in RETRY_KINDS}
            for path, kind, message in report.rejected:
                log.info("watch folder %s: not queued: %s [%s] %s", folder.path, path, kind,
                         message)
            handled += [p for p in keep if p not in retry]
            if report.accepted:
                self._changed()
        seen = [(p, *stats[p]) for p in handled]
        for path, size, mtime_ns in seen:
            watched.seen[path] = (size, mtime_ns)
        await wf.remember_seen(self.db, folder.id, seen)


# ---------------------------------------------------------------------- helpers (threads)


def _wall() -> float:
    return time.time()


def _options(folder: wf.WatchFolder) -> tuple[Any, ...]:
    return (folder.path, folder.profile, folder.recursive, folder.pattern, folder.paused,
            folder.done_folder, folder.failed_folder, folder.results, folder.results_folder)


def _matches(pattern: str, name: str) -> bool:
    globs = [g.strip().lower() for g in pattern.replace(",", ";").split(";") if g.strip()]
    return not globs or any(fnmatch.fnmatchcase(name.lower(), g) for g in globs)


async def _reachable(path: str) -> tuple[int, int] | None:
    """The folder's (device, inode), or None if it is not there (or does not answer)."""

    def look() -> tuple[int, int] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino) if stat_mod.S_ISDIR(st.st_mode) else None

    try:
        return await asyncio.wait_for(asyncio.to_thread(look), REACHABLE_TIMEOUT_S)
    except TimeoutError:
        return None


def _stat(path: str) -> Stat | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns) if stat_mod.S_ISREG(st.st_mode) else None


def _stat_all(paths: Iterable[str]) -> dict[str, Stat | None]:
    return {p: _stat(p) for p in paths}


def _list_files(top: str, recursive: bool, wanted: Callable[[str], bool]) -> dict[str, Stat]:
    found: dict[str, Stat] = {}
    stack = [top]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if recursive and not entry.name.startswith("."):
                        stack.append(entry.path)
                elif entry.is_file() and wanted(entry.path):
                    st = entry.stat()
                    found[entry.path] = (st.st_size, st.st_mtime_ns)
            except OSError:
                continue
    return found


def _documents(paths: list[str]) -> list[str]:
    """Of files that are complete, those to queue: not a result file beside its document
    (``report.pdf.summary.md`` next to ``report.pdf``), and readable by Paceline."""
    keep = []
    for path in paths:
        stem, suffix = os.path.splitext(path)
        if suffix.lower() in (".md", ".json"):
            base = os.path.splitext(stem)[0]  # report.pdf.summary -> report.pdf
            if base != stem and os.path.isfile(base):
                continue
        if is_supported(path):  # a file without an extension: only if it looks like text
            keep.append(path)
    return keep


def _unschedule(observer: BaseObserver, watch: ObservedWatch) -> None:
    with contextlib.suppress(Exception):  # its emitter may have stopped with its folder
        observer.unschedule(watch)


def _stop_observer(observer: BaseObserver) -> None:
    observer.stop()
    with contextlib.suppress(RuntimeError):
        observer.join(timeout=5)


async def _forget_seen(db: Database, paths: Sequence[str]) -> None:
    async def tx(t: Any) -> None:
        await t.many("DELETE FROM watch_seen WHERE path = ?", [(p,) for p in paths])

    await db.write(tx)

"""Watch folders with real files and a real watchdog observer: a file is queued once, after it
is complete; restarts, renames, a folder that goes away and comes back, folders without
notifications. Stability windows and rescan intervals are injected (fractions of a second),
so no test waits real seconds for a pause; the writers really write while the watcher looks.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core import watch_folders as wf
from core.engine import Engine
from core.events import JobAdded
from core.file_stability import StabilityTracker
from core.folder_watcher import FolderWatcher
from core.settings import Settings
from core.watch_folders import WatchFolderError
from tests.helpers import write_doc

FAST = {"stable_s": 0.4, "settle_s": 0.1, "rescan_s": 0.5, "reload_s": 0.2}


async def until(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)


def _state(watcher: FolderWatcher, folder_id: int) -> str:
    return watcher.states().get(folder_id, ("",))[0]


class Added:
    """Every JobAdded event, with the real time it was published."""

    def __init__(self, engine: Engine) -> None:
        self.events: list[tuple[float, Any]] = []
        engine.bus.subscribe(self._on)

    def _on(self, event: object) -> None:
        if isinstance(event, JobAdded):
            self.events.append((time.monotonic(), event.job))

    @property
    def names(self) -> list[str]:
        return sorted(Path(job.path).name for _, job in self.events)


async def _engine(tmp_path: Path, **settings: Any) -> Engine:
    return await Engine.open(tmp_path / "home", settings=Settings(**settings))


# ---------------------------------------------------------------------- when a file is complete


def test_the_stability_rule_in_virtual_time() -> None:
    t = StabilityTracker(stable_s=3.0, settle_s=0.5)
    t.touched("a", 0.0)
    assert not t.observe("a", (10, 1), 0.0)  # first look: the wait starts
    assert not t.observe("a", (20, 2), 2.0)  # it grew: the wait starts again
    assert t.next_due() == 5.0
    assert not t.observe("a", (20, 2), 4.9)
    assert t.observe("a", (20, 2), 5.0)  # unchanged for 3 s: complete
    assert "a" not in t

    t.touched("b", 0.0)
    assert not t.observe("b", (5, 1), 0.0)
    t.finished("b", 0.2)  # its writer closed it
    assert not t.observe("b", (5, 1), 0.2)
    assert t.observe("b", (5, 1), 0.7)  # half a second later, unchanged: complete

    t.finished("c", 0.0)  # closed, then written again: the close no longer vouches for it
    t.touched("c", 0.1)
    assert not t.observe("c", (7, 1), 0.1)
    assert not t.observe("c", (7, 1), 0.7)
    assert t.observe("c", (7, 1), 3.1)

    t.touched("gone", 0.0)
    assert not t.observe("gone", None, 0.0)
    assert "gone" not in t


def test_a_20_mb_file_written_slowly_is_queued_once_after_the_write_ends(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    chunk = b"x" * (512 * 1024)
    written: dict[str, float] = {}

    def write_slowly() -> None:
        # One open file, 40 chunks of 512 KiB, 0.1 s apart: 4 s of writing, while the watcher
        # (stable after 0.4 s) looks again and again.
        with open(inbox / "scan.txt", "wb") as handle:
            for n in range(40):
                handle.write(chunk)
                handle.flush()
                if n == 0:
                    written["first"] = time.monotonic()
                time.sleep(0.1)
        written["end"] = time.monotonic()

    async def go() -> None:
        engine = await _engine(tmp_path)
        added = Added(engine)
        await engine.add_watch_folder(inbox)
        watcher = await engine.start_watching(**FAST)
        await until(lambda: _state(watcher, 1) == wf.WATCHING)
        writer = threading.Thread(target=write_slowly)
        writer.start()
        await until(lambda: "end" in written, what="the writer")
        await until(lambda: added.events, what="the job")
        await asyncio.sleep(1.5)  # anything queued twice would show by now
        writer.join()
        assert len(added.events) == 1
        at, job = added.events[0]
        assert at >= written["end"]  # never while it was being written
        assert job.size == 40 * len(chunk) == 20 * 1024 * 1024
        assert watcher.looks >= 5  # the watcher really looked while the file grew
        await engine.close()

    asyncio.run(go())


def test_files_renamed_into_place_are_queued_without_waiting_for_the_stable_window(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()

    async def go() -> None:
        engine = await _engine(tmp_path)
        added = Added(engine)
        await engine.add_watch_folder(inbox)
        # 60 s of stability would be needed without the rename
        watcher = await engine.start_watching(stable_s=60, settle_s=0.1, rescan_s=60,
                                              reload_s=0.2)
        await until(lambda: _state(watcher, 1) == wf.WATCHING)
        for n in range(3):
            tmp = write_doc(inbox / f".incoming-{n}.txt", seed=n)  # hidden while written
            os.replace(tmp, inbox / f"mail-{n}.txt")
        (inbox / "download.pdf.part").write_bytes(b"%PDF-1.4 half")  # never a document
        await until(lambda: len(added.events) == 3, timeout=5)
        assert added.names == ["mail-0.txt", "mail-1.txt", "mail-2.txt"]
        await engine.close()

    asyncio.run(go())


def test_a_burst_of_files_is_queued_once_each(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)

    async def go() -> None:
        engine = await _engine(tmp_path)
        added = Added(engine)
        await engine.add_watch_folder(inbox, pattern="*.txt")
        watcher = await engine.start_watching(**FAST)
        await until(lambda: _state(watcher, 1) == wf.WATCHING)
        for n in range(150):
            write_doc(inbox / ("sub" if n % 3 == 0 else "") / f"note-{n:03d}.txt", seed=n)
        (inbox / "ignored.md").write_text("not matched by the pattern", encoding="utf-8")
        await until(lambda: len(added.events) >= 150, what="150 jobs")
        await asyncio.sleep(1.0)  # a rescan in between must not queue any of them again
        assert len(added.events) == 150
        assert len({job.path for _, job in added.events}) == 150
        assert watcher.ready_batches < 150  # gathered into few transactions
        counts = await engine.watch_folder_counts()
        assert counts[1] == {"queued": 150}
        await engine.close()

    asyncio.run(go())


# ---------------------------------------------------------------------- restarts


def test_restart_picks_up_new_and_changed_files_but_not_done_ones(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_doc(inbox / "a.txt", seed=1)
    write_doc(inbox / "b.txt", seed=2)

    async def first() -> None:
        engine = await _engine(tmp_path)
        added = Added(engine)
        await engine.add_watch_folder(inbox)
        await engine.start_worker("test")
        run = asyncio.create_task(engine.run())
        await engine.start_watching(**FAST)  # files there before watching began are queued
        await until(lambda: len(added.events) == 2)
        await until_done(engine, 2)
        assert engine.worker is not None
        engine.worker.stop()
        await run
        await engine.close()

    async def second() -> None:
        engine = await _engine(tmp_path)
        added = Added(engine)
        await engine.start_watching(**FAST)
        await until(lambda: len(added.events) == 2, what="c and the changed b")
        await asyncio.sleep(1.0)
        assert added.names == ["b.txt", "c.txt"]  # a is done and unchanged
        await engine.close()

    asyncio.run(first())
    # While Paceline is closed: a new file arrives and b changes.
    write_doc(inbox / "c.txt", seed=3)
    write_doc(inbox / "b.txt", seed=22)
    asyncio.run(second())


async def until_done(engine: Engine, n: int) -> None:
    deadline = time.monotonic() + 30
    while (await engine.counts()).get("done", 0) < n:
        assert time.monotonic() < deadline, "jobs not done in time"
        await asyncio.sleep(0.05)


def test_a_done_file_is_not_queued_again_even_after_its_job_is_removed(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    doc = write_doc(inbox / "a.txt", seed=1)

    async def go() -> None:
        engine = await _engine(tmp_path)
        added = Added(engine)
        await engine.add_watch_folder(inbox)
        watcher = await engine.start_watching(**FAST)
        await until(lambda: len(added.events) == 1)
        job = added.events[0][1]
        await engine.cancel([job.id])
        await engine.remove([job.id])
        await asyncio.sleep(1.2)  # two rescans: the unchanged file stays handled
        assert len(added.events) == 1
        write_doc(doc, seed=5)  # changed: a new job
        await until(lambda: len(added.events) == 2)
        assert watcher.enqueued == 2
        await engine.close()

    asyncio.run(go())


# ---------------------------------------------------------------------- folders come and go


def test_a_folder_removed_and_restored_is_resumed(tmp_path: Path) -> None:
    inbox = tmp_path / "usb" / "inbox"
    inbox.mkdir(parents=True)

    async def go() -> None:
        engine = await _engine(tmp_path)
        added = Added(engine)
        folder = await engine.add_watch_folder(inbox)
        changes: list[str] = []
        watcher = await engine.start_watching(**FAST)
        watcher.subscribe(lambda: changes.append(_state(watcher, folder.id)))
        await until(lambda: _state(watcher, folder.id) == wf.WATCHING)
        shutil.rmtree(tmp_path / "usb")  # unplugged
        await until(lambda: _state(watcher, folder.id) == wf.UNAVAILABLE)
        stored = (await engine.watch_folders())[0]
        assert stored.state == wf.UNAVAILABLE and "cannot be reached" in stored.state_detail
        inbox.mkdir(parents=True)  # plugged in again, with a document on it
        write_doc(inbox / "back.txt", seed=9)
        await until(lambda: _state(watcher, folder.id) == wf.WATCHING)
        await until(lambda: added.names == ["back.txt"], what="the file on the returned disk")
        write_doc(inbox / "later.txt", seed=10)  # and notifications work again
        await until(lambda: added.names == ["back.txt", "later.txt"])
        steps = [s for n, s in enumerate(changes) if n == 0 or changes[n - 1] != s]
        assert steps == [wf.WATCHING, wf.UNAVAILABLE, wf.WATCHING]
        await engine.close()
        assert (await _stored_state(tmp_path)) == wf.IDLE  # nobody watches it now

    asyncio.run(go())


async def _stored_state(tmp_path: Path) -> str:
    engine = await _engine(tmp_path)
    try:
        return (await engine.watch_folders())[0].state
    finally:
        await engine.close()


class SilentObserver:
    """An observer that reports nothing, like a network share: only the listing finds files."""

    daemon = True

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def join(self, timeout: float | None = None) -> None: ...
    def schedule(self, *args: Any, **kwargs: Any) -> object:
        return object()

    def unschedule(self, watch: object) -> None: ...


def test_without_notifications_the_periodic_listing_finds_complete_files(tmp_path: Path) -> None:
    share = tmp_path / "share"
    share.mkdir()

    async def go() -> None:
        engine = await _engine(tmp_path)
        added = Added(engine)
        await engine.add_watch_folder(share)
        watcher = FolderWatcher(engine, stable_s=0.3, rescan_s=0.2, reload_s=0.2,
                                observer_factory=SilentObserver)  # type: ignore[arg-type]
        engine.watcher = watcher
        await watcher.start()
        await until(lambda: _state(watcher, 1) == wf.WATCHING)
        write_doc(share / "report.txt", seed=4)
        await until(lambda: added.names == ["report.txt"])
        await engine.close()

    asyncio.run(go())


def test_pause_resume_and_remove_take_effect_in_the_running_watcher(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()

    async def go() -> None:
        engine = await _engine(tmp_path)
        added = Added(engine)
        folder = await engine.add_watch_folder(inbox)
        watcher = await engine.start_watching(**FAST)
        await until(lambda: _state(watcher, folder.id) == wf.WATCHING)
        await engine.update_watch_folder(folder.id, paused=True)
        await until(lambda: _state(watcher, folder.id) == wf.PAUSED)
        write_doc(inbox / "while-paused.txt", seed=1)
        await asyncio.sleep(0.8)
        assert added.events == []
        await engine.update_watch_folder(folder.id, paused=False)
        await until(lambda: added.names == ["while-paused.txt"])  # listed when resumed
        assert await engine.remove_watch_folder(folder.id)
        await until(lambda: folder.id not in watcher.states())
        write_doc(inbox / "after-removal.txt", seed=2)
        await asyncio.sleep(0.8)
        assert added.names == ["while-paused.txt"]
        await engine.close()

    asyncio.run(go())


def test_bad_folders_and_options_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)

    async def go() -> None:
        engine = await _engine(tmp_path)
        with pytest.raises(WatchFolderError, match="does not exist or is not a folder"):
            await engine.add_watch_folder(tmp_path / "missing")
        with pytest.raises(ValueError, match="Unknown analysis profile"):
            await engine.add_watch_folder(inbox, profile="Nope")
        with pytest.raises(WatchFolderError, match="no folder was given"):
            await engine.add_watch_folder(inbox, results="folder")
        with pytest.raises(WatchFolderError, match="cannot be the watch folder itself"):
            await engine.add_watch_folder(inbox, done_folder=str(inbox))
        await engine.add_watch_folder(inbox)
        with pytest.raises(WatchFolderError, match="already a watch folder"):
            await engine.add_watch_folder(inbox)
        with pytest.raises(WatchFolderError, match="inside the watch folder"):
            await engine.add_watch_folder(inbox / "sub")
        with pytest.raises(WatchFolderError, match="There is no watch folder 7"):
            await engine.find_watch_folder(7)
        await engine.close()

    asyncio.run(go())

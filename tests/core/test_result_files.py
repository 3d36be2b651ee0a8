"""Result files: written once per finished job, atomically, beside the document or into an
output folder; never over a file Paceline did not write; documents moved to done or failed
folders; a crash between a job's commit and its file is made good at the next start."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from core.engine import Engine
from core.settings import Settings
from core.states import JobState
from tests.helpers import write_doc


async def _engine(tmp_path: Path, **settings: Any) -> Engine:
    return await Engine.open(tmp_path / "home", settings=Settings(**settings))


async def _run_until_empty(engine: Engine) -> None:
    """Run the worker over the queue; the result files of its jobs are written by then."""
    await engine.start_worker("test")
    await engine.run(until_empty=True)
    assert engine.results is not None
    await engine.results.idle()


async def _log(engine: Engine, job_id: int) -> str:
    return "\n".join(e.message for e in await engine.job_log(job_id))


def test_beside_the_document_in_markdown_once(tmp_path: Path) -> None:
    doc = write_doc(tmp_path / "docs" / "report.txt", seed=1)

    async def go() -> None:
        engine = await _engine(tmp_path, result_files="beside")
        (job,) = (await engine.add_paths([doc], profile="Key points")).report.accepted
        await _run_until_empty(engine)
        target = doc.parent / "report.txt.key-points.md"
        text = target.read_text(encoding="utf-8")
        assert text.startswith(f"<!-- Written by Paceline: job #{job.id}, Key points, from "
                               "report.txt")
        done = await engine.job(job.id)
        assert done is not None and done.result and done.result.strip() in text
        assert "result file written" in await _log(engine, job.id)
        assert sorted(p.name for p in doc.parent.iterdir()) == [
            "report.txt", "report.txt.key-points.md"]  # no temporary file left
        first = target.stat().st_mtime_ns
        await engine.close()

        # A restart does not write it again.
        engine = await _engine(tmp_path, result_files="beside")
        await _run_until_empty(engine)
        assert engine.results is not None and engine.results.written == []
        assert target.stat().st_mtime_ns == first
        await engine.close()

    asyncio.run(go())


def test_into_an_output_folder_mirroring_the_watch_folder_as_json(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    doc = write_doc(inbox / "2024" / "march" / "minutes.txt", seed=2)
    out = tmp_path / "answers"

    async def go() -> None:
        engine = await _engine(tmp_path)  # globally off: the folder's own choice counts
        await engine.add_watch_folder(inbox, results="folder", results_folder=str(out),
                                      results_format="json")
        (job,) = (await engine.add_paths([doc])).report.accepted
        await _run_until_empty(engine)
        target = out / "2024" / "march" / "minutes.txt.summary.json"
        data = json.loads(target.read_text(encoding="utf-8"))
        assert data["written_by"] == "Paceline" and data["job"] == job.id
        assert data["document"] == str(doc) and data["profile"] == "Summary"
        assert "Language:** English" in data["result"]
        assert not list(doc.parent.glob("*.json"))  # nothing beside the document
        await engine.close()

    asyncio.run(go())


def test_a_file_paceline_did_not_write_is_never_overwritten(tmp_path: Path) -> None:
    doc = write_doc(tmp_path / "docs" / "notes.txt", seed=3)
    mine = doc.parent / "notes.txt.summary.md"
    mine.write_text("My own summary, written by hand.\n", encoding="utf-8")

    async def go() -> None:
        engine = await _engine(tmp_path, result_files="beside")
        (job,) = (await engine.add_paths([doc])).report.accepted
        await _run_until_empty(engine)
        assert mine.read_text(encoding="utf-8") == "My own summary, written by hand.\n"
        log = await _log(engine, job.id)
        assert "was not written: a file of that name is there that Paceline did not write" in log

        # Analysed again, it still is not ours ...
        await engine.add_paths([doc], force=True)
        await _run_until_empty(engine)
        assert mine.read_text(encoding="utf-8") == "My own summary, written by hand.\n"

        # ... until overwriting is allowed.
        await engine.close()
        engine = await _engine(tmp_path, result_files="beside", result_overwrite=True)
        await engine.add_paths([doc], force=True)
        await _run_until_empty(engine)
        assert mine.read_text(encoding="utf-8").startswith("<!-- Written by Paceline")
        await engine.close()

    asyncio.run(go())


def test_our_own_file_is_replaced_when_the_job_runs_again_but_not_once_edited(
    tmp_path: Path,
) -> None:
    doc = write_doc(tmp_path / "docs" / "a.txt", seed=4)
    target = doc.parent / "a.txt.summary.md"

    async def go() -> None:
        engine = await _engine(tmp_path, result_files="beside")
        await engine.add_paths([doc])
        await _run_until_empty(engine)
        assert target.read_text(encoding="utf-8").startswith("<!-- Written by Paceline: job #1,")
        await engine.add_paths([doc], force=True)  # the same document analysed again
        await _run_until_empty(engine)
        second = target.read_text(encoding="utf-8")
        assert second.startswith("<!-- Written by Paceline: job #2,")  # ours: replaced
        target.write_text(second + "\nMy note.\n", encoding="utf-8")  # edited by a person
        (third,) = (await engine.add_paths([doc], force=True)).report.accepted
        await _run_until_empty(engine)
        assert target.read_text(encoding="utf-8").endswith("My note.\n")
        assert "did not write (or that was edited since)" in await _log(engine, third.id)
        await engine.close()

    asyncio.run(go())


class _Events(FileSystemEventHandler):
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()

    def dispatch(self, event: FileSystemEvent) -> None:
        with self.lock:
            self.seen.append((event.event_type, str(event.src_path), str(event.dest_path)))


def test_result_files_appear_atomically(tmp_path: Path) -> None:
    """Watched with inotify: the result file is never created and then filled in place; it
    appears by a rename of a complete temporary file."""
    docs = tmp_path / "docs"
    paths = [write_doc(docs / f"d{n}.txt", seed=n, paragraphs=40) for n in range(5)]
    handler = _Events()
    observer = Observer()
    observer.schedule(handler, str(docs))
    observer.start()

    async def go() -> None:
        engine = await _engine(tmp_path, result_files="beside")
        await engine.add_paths(paths)
        await _run_until_empty(engine)
        await engine.close()

    targets = [str(doc) + ".summary.md" for doc in paths]

    def all_arrived() -> bool:
        with handler.lock:
            return all(any(t in (e[1], e[2]) for e in handler.seen) for t in targets)

    try:
        asyncio.run(go())
        # inotify's events come through the observer's thread: on a loaded machine the last
        # ones can take longer than any fixed sleep, so wait for them (bounded)
        deadline = time.monotonic() + 15
        while not all_arrived() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.1)  # and for any event right after a file's own
    finally:
        observer.stop()
        observer.join()
    for doc in paths:
        target = str(doc) + ".summary.md"
        touched = [e for e in handler.seen if target in (e[1], e[2])]
        assert touched and all(e[0] == "moved" and e[2] == target for e in touched), touched
        assert Path(target).read_text(encoding="utf-8").startswith("<!-- Written by Paceline")


def test_documents_move_to_done_and_failed_folders(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    good = write_doc(inbox / "sub" / "good.txt", seed=5)
    bad = inbox / "broken.pdf"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_bytes(b"%PDF-1.4 this is not really a PDF at all")
    done, failed = tmp_path / "done", tmp_path / "failed"
    (done / "sub").mkdir(parents=True)
    (done / "sub" / "good.txt").write_text("an older file of that name", encoding="utf-8")

    async def go() -> None:
        engine = await _engine(tmp_path)
        await engine.add_watch_folder(inbox, results="beside", done_folder=str(done),
                                      failed_folder=str(failed))
        report = (await engine.add_paths([good, bad])).report
        await _run_until_empty(engine)
        states = {Path(j.path).name: j.state for j in await engine.jobs()}
        assert states == {"good.txt": JobState.DONE, "broken.pdf": JobState.FAILED}
        assert not good.exists() and not bad.exists()
        moved = done / "sub" / "good (2).txt"  # the older file is kept
        assert moved.read_text(encoding="utf-8") == write_doc(
            tmp_path / "copy.txt", seed=5).read_text(encoding="utf-8")
        assert (done / "sub" / "good.txt").read_text(encoding="utf-8") == (
            "an older file of that name")
        assert (done / "sub" / "good (2).txt.summary.md").exists()  # beside where it is now
        assert (failed / "broken.pdf").exists()
        assert not list(failed.glob("*.md"))  # a failed job has no result file
        good_job = next(j for j in report.accepted if j.path == str(good))
        assert f"the document was moved to {moved}" in await _log(engine, good_job.id)
        await engine.close()

    asyncio.run(go())


def test_a_crash_before_the_file_was_written_is_made_good_at_the_next_start(
    tmp_path: Path,
) -> None:
    doc = write_doc(tmp_path / "docs" / "late.txt", seed=6)
    target = doc.parent / "late.txt.summary.md"

    async def crash() -> None:
        engine = await _engine(tmp_path, result_files="beside")
        await engine.add_paths([doc])
        await engine.start_worker("test")
        await engine.stop_results()  # the process dies between the commit and the file
        await engine.run(until_empty=True)
        await engine.close()

    async def restart() -> list[Path]:
        engine = await _engine(tmp_path, result_files="beside")
        await engine.start_worker("test")
        assert engine.results is not None
        await engine.results.idle()
        written = list(engine.results.written)
        await engine.close()
        return written

    asyncio.run(crash())
    assert not target.exists()
    assert asyncio.run(restart()) == [target]
    assert asyncio.run(restart()) == []  # exactly once


def test_jobs_finished_before_result_files_existed_are_left_alone(tmp_path: Path) -> None:
    doc = write_doc(tmp_path / "docs" / "old.txt", seed=7)

    async def go() -> None:
        engine = await _engine(tmp_path)  # result files off
        await engine.add_paths([doc])
        await _run_until_empty(engine)
        await engine.close()
        engine = await _engine(tmp_path, result_files="beside")
        await _run_until_empty(engine)
        assert engine.results is not None and engine.results.written == []
        await engine.close()

    asyncio.run(go())
    assert not (doc.parent / "old.txt.summary.md").exists()

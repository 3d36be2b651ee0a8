"""Documents are read in a child process: a file that hangs, crashes or exhausts the reader
fails alone, with a message, and the next document is read by a fresh child."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.documents import extract_async, sandbox
from core.documents.extract import _EXTRACTORS
from core.engine import Engine
from core.errors import DocumentError
from core.settings import Settings
from tests import docgen
from tests.fake_clock import FakeClock


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[sandbox.Sandbox]:
    """A sandbox whose child knows the hostile readers, installed as the process's sandbox.

    The time limit is short so that the hang test is quick; filling 768 MB takes longer.
    """
    from tests import hostile_reader

    hostile_reader.install()
    timeout_s = getattr(request, "param", 0.5)
    box = sandbox.Sandbox(timeout_s=timeout_s, memory_mb=768, preload="tests.hostile_reader")
    previous = sandbox.use(box)
    try:
        yield box
    finally:
        sandbox.use(previous)
        box.close()
        for suffix in hostile_reader.HOSTILE_SUFFIXES:
            _EXTRACTORS.pop(suffix, None)


def _extract(path: Path) -> object:
    return asyncio.run(extract_async(path))


def _error(path: Path) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        _extract(path)
    assert path.name in caught.value.message
    return caught.value


def _good_pdf(tmp_path: Path) -> Path:
    return docgen.make_text_pdf(tmp_path / "fine.pdf", ["Read by a fresh child."])


def test_a_hanging_reader_is_stopped_and_the_next_file_read(
    hostile: sandbox.Sandbox, tmp_path: Path
) -> None:
    (tmp_path / "loop.hang").write_bytes(b"x")
    error = _error(tmp_path / "loop.hang")
    assert error.kind == "extract_timeout"
    assert "took longer than" in error.message
    assert _extract(_good_pdf(tmp_path)).text == "Read by a fresh child."  # type: ignore[attr-defined]
    assert hostile.started == 2


def test_a_crashing_reader_fails_that_file_alone(
    hostile: sandbox.Sandbox, tmp_path: Path
) -> None:
    (tmp_path / "segv.crash").write_bytes(b"x")
    error = _error(tmp_path / "segv.crash")
    assert error.kind == "extract_crashed"
    assert f"signal {signal.SIGSEGV}" in error.message
    assert _extract(_good_pdf(tmp_path)).text == "Read by a fresh child."  # type: ignore[attr-defined]


@pytest.mark.skipif(os.name != "posix", reason="the memory limit is an rlimit")
@pytest.mark.parametrize("hostile", [30.0], indirect=True)
def test_a_reader_eating_memory_is_stopped_at_the_limit(
    hostile: sandbox.Sandbox, tmp_path: Path
) -> None:
    (tmp_path / "greedy.hog").write_bytes(b"x")
    error = _error(tmp_path / "greedy.hog")
    assert error.kind == "too_large"
    assert "768 MB of memory" in error.message
    assert _extract(_good_pdf(tmp_path)).text == "Read by a fresh child."  # type: ignore[attr-defined]
    assert hostile.started == 1  # a MemoryError is caught: the child lives on


def test_a_child_killed_between_documents_is_replaced(
    hostile: sandbox.Sandbox, tmp_path: Path
) -> None:
    good = _good_pdf(tmp_path)
    _extract(good)
    assert hostile._process is not None
    os.kill(hostile._process.pid, signal.SIGKILL)
    hostile._process.wait()
    assert _extract(good).text == "Read by a fresh child."  # type: ignore[attr-defined]
    assert hostile.started == 2


def test_library_warnings_become_one_note(hostile: sandbox.Sandbox, tmp_path: Path) -> None:
    (tmp_path / "chatty.noisy").write_text("Plain words.")
    document = _extract(tmp_path / "chatty.noisy")
    assert document.text == "Plain words."  # type: ignore[attr-defined]
    assert document.notes == (  # type: ignore[attr-defined]
        "the reader warned: odd object on page 0 (and 50 more)",
    )


def test_the_worker_fails_a_hostile_file_alone_and_finishes_the_rest(
    hostile: sandbox.Sandbox, tmp_path: Path
) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    docgen.make_text_pdf(folder / "a.pdf", ["First good document."])
    (folder / "b.crash").write_bytes(b"x")
    (folder / "c.hang").write_bytes(b"y")  # other content: equal files are queued once
    docgen.make_docx(folder / "d.docx", ["Last good document."], [])
    docgen.make_pdf_with_broken_page(folder / "e.pdf")

    async def scenario() -> dict[str, object]:
        engine = await Engine.open(tmp_path / "home", settings=Settings(), clock=FakeClock())
        try:
            await engine.add_paths([folder / n for n in sorted(os.listdir(folder))])
            await engine.run(until_empty=True)
            jobs = {Path(j.path).name: j for j in await engine.store.list_jobs()}
            log = await engine.job_log(jobs["e.pdf"].id)  # type: ignore[attr-defined]
        finally:
            await engine.close()
        return {"jobs": jobs, "log": log}

    outcome = asyncio.run(scenario())
    jobs = outcome["jobs"]
    states = {name: (j.state, j.error_kind) for name, j in jobs.items()}  # type: ignore[attr-defined]
    assert states == {
        "a.pdf": ("done", None),
        "b.crash": ("failed", "extract_crashed"),
        "c.hang": ("failed", "extract_timeout"),
        "d.docx": ("done", None),
        "e.pdf": ("done", None),
    }
    lines = [e.message for e in outcome["log"]]  # type: ignore[union-attr]
    assert any(line.startswith("reading: 1 of 3 pages could not be read") for line in lines)


PARENT = """
import sys
from pathlib import Path
from tests import hostile_reader
from core.documents import sandbox
from core.documents.extract import read_source

box = sandbox.Sandbox(timeout_s=600, preload="tests.hostile_reader")
source, suffix = read_source(sys.argv[1])
box._ensure_child()
Path(sys.argv[2]).write_text(str(box._process.pid))
box.extract(source, sys.argv[1], suffix)
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL and reparenting are POSIX")
def test_a_reader_stuck_in_a_file_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    (tmp_path / "stuck.hang").write_bytes(b"x")
    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "stuck.hang"), str(pid_file)],
        cwd=Path(__file__).parents[2],
    )
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline and parent.poll() is None
        time.sleep(0.05)
    child = int(pid_file.read_text())
    time.sleep(0.3)  # the child is now inside the hanging reader
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child):
        assert time.monotonic() < deadline, "the reader outlived its parent"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped by init) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[1].startswith("Z"))


def test_closing_the_engine_ends_the_reader_and_the_next_document_starts_one(
    tmp_path: Path,
) -> None:
    box = sandbox.Sandbox()
    previous = sandbox.use(box)
    word = docgen.make_docx(tmp_path / "memo.docx", ["Read in the child."], [])

    async def scenario() -> int:
        engine = await Engine.open(tmp_path / "home", settings=Settings(), clock=FakeClock())
        try:
            await engine.add_paths([word])
            await engine.run(until_empty=True)
            assert box._process is not None and box._process.poll() is None
            return box._process.pid
        finally:
            await engine.close()

    try:
        child = asyncio.run(scenario())
        assert box._process is None and not _alive(child)
        box.close()  # again: nothing left to end
        assert _extract(word).text == "Read in the child."  # type: ignore[attr-defined]
        assert box.started == 2
    finally:
        sandbox.use(previous)
        box.close()


@pytest.mark.parametrize("hostile", [60.0], indirect=True)
def test_closing_does_not_wait_out_a_document_being_read(
    hostile: sandbox.Sandbox, tmp_path: Path
) -> None:
    import threading

    (tmp_path / "loop.hang").write_bytes(b"x")
    failures: list[DocumentError] = []

    def read() -> None:
        try:
            _extract(tmp_path / "loop.hang")
        except DocumentError as error:
            failures.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    # The reader holds the sandbox once its child runs; the document is on its way to it.
    while not (hostile._lock.locked() and hostile._process is not None):
        reader.join(0.01)
        assert reader.is_alive()
    hostile.close()
    reader.join()
    (error,) = failures
    assert "stopped because Paceline was closing" in error.message
    assert hostile._process is None

"""Adding: every path given gets a line in the report, and a file without a real extension is
read when it is text."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.analyzers.offline import OfflineAnalyzer
from core.documents import NO_DOCUMENTS, is_supported
from core.engine import Engine
from core.pacing import FixedPacer
from core.settings import Settings
from core.states import JobState
from core.store import Store
from core.worker import Worker
from tests.fake_clock import FakeClock
from tests.helpers import write_doc


def _given(tmp_path: Path) -> dict[str, Path]:
    empty = tmp_path / "empty folder"
    empty.mkdir()
    other = tmp_path / "holiday photos raw"
    other.mkdir()
    (other / "IMG_0001.CR2").write_bytes(b"\x00\x01raw sensor data\x00")
    (other / ".hidden.txt").write_text("hidden files are not documents")
    versioned = tmp_path / "Release notes 1.0"
    versioned.write_text("Version 1.0 brings a queue that paces its calls.\n" * 5)
    license_file = tmp_path / "LICENSE"
    license_file.write_text("Permission is hereby granted, free of charge.\n" * 5)
    binary = tmp_path / "firmware.0"
    binary.write_bytes(bytes(range(256)) * 4)
    return {
        "doc": write_doc(tmp_path / "report.txt", 1),
        "empty": empty,
        "other": other,
        "versioned": versioned,
        "license": license_file,
        "binary": binary,
        "unsupported": _write(tmp_path / "table.xlsx", b"PK\x03\x04"),
        "missing": tmp_path / "gone.pdf",
    }


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_every_given_path_gets_a_line(tmp_path: Path, home: Path) -> None:
    given = _given(tmp_path)

    async def go() -> None:
        engine = await Engine.open(home, settings=Settings(), clock=FakeClock())
        try:
            report = (await engine.add_paths(list(given.values()))).report
        finally:
            await engine.close()
        accepted = {j.path for j in report.accepted}
        rejected = {path: (kind, message) for path, kind, message in report.rejected}
        assert accepted == {str(given[k]) for k in ("doc", "versioned", "license")}
        for key in ("empty", "other"):
            kind, message = rejected[str(given[key])]
            assert kind == NO_DOCUMENTS
            assert message == (f"folder {given[key]}: no supported documents "
                               "(PDF, DOCX, HTML, text, images)")
        assert rejected[str(given["binary"])][0] == "unsupported"
        assert "does not look like text" in rejected[str(given["binary"])][1]
        assert rejected[str(given["unsupported"])][0] == "unsupported"
        assert rejected[str(given["missing"])][0] == "missing"
        # One line for each path given: none silently skipped.
        lines = accepted | set(rejected)
        assert lines == {str(p) for p in given.values()}

    asyncio.run(go())


def test_a_version_number_is_not_an_extension(tmp_path: Path) -> None:
    text = tmp_path / "Release notes 1.0"
    text.write_text("plain words\n")
    assert is_supported(text)  # it was refused as "'.0' files"
    dated = tmp_path / "minutes.2024"
    dated.write_text("minutes of the meeting\n")
    assert is_supported(dated)
    spreadsheet = tmp_path / "table.xlsx"
    spreadsheet.write_text("looks like text but is named as a spreadsheet")
    assert not is_supported(spreadsheet)  # a real extension Paceline does not read


def test_a_sniffed_file_is_analysed(tmp_path: Path) -> None:
    text = tmp_path / "Release notes 1.0"
    text.write_text("The queue sends documents to the model and waits between calls.\n" * 8)

    async def go() -> None:
        clock = FakeClock()
        engine = await Engine.open(tmp_path / "home", settings=Settings(), clock=clock)
        try:
            report = (await engine.add_paths([text])).report
            assert [j.path for j in report.accepted] == [str(text)]
            store: Store = engine.store
            worker = Worker(store, OfflineAnalyzer(), FixedPacer(clock), clock, engine.bus)
            await worker.run(until_empty=True)
            job = await store.get(report.accepted[0].id)
            assert job is not None and job.state == JobState.DONE, job
            assert "queue" in (job.result or "")
        finally:
            await engine.close()

    asyncio.run(go())

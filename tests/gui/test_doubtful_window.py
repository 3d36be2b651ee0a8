"""Garbled text in the window: the job is not sent, the detail pane says why, and "Send anyway"
sends it. The whole application runs against the fake OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from core.jobs import Job
from core.states import DOUBTFUL_TEXT, JobState
from gui.app import PacelineApp
from gui.jobs_model import Column
from tests.core.test_doubtful_text import JAPANESE
from tests.fake_provider import FakeProvider
from tests.gui.conftest import run, until, use_server

StartApp = Callable[..., PacelineApp]


@pytest.fixture
def openai_home(home: Path, server: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_server(home, server, monkeypatch)


def _job(app: PacelineApp) -> Job:
    (job,) = app.window.model.jobs()
    return job


def test_garbled_text_waits_for_send_anyway(
    loop: qasync.QEventLoop,
    start_app: StartApp,
    openai_home: Path,
    server: FakeProvider,
    tmp_path: Path,
) -> None:
    doc = tmp_path / "mojibake.txt"
    doc.write_text((JAPANESE * 3).encode("euc-jp").decode("latin-1"), encoding="utf-8")
    app = start_app()
    window = app.window
    run(loop, window.add_paths([doc]))
    run(loop, until(lambda: _job(app).state == JobState.FAILED, what="the job refused"))
    job = _job(app)
    assert job.error_kind == DOUBTFUL_TEXT and server.chat_requests == []
    model = window.model
    index = model.index(model.row_of(job.id), Column.ERROR)  # type: ignore[arg-type]
    assert model.data(index, Qt.ItemDataRole.DisplayRole) == "Text looks garbled"

    window.table.selectRow(model.row_of(job.id))  # type: ignore[arg-type]
    notice = window.detail.notice
    run(loop, until(lambda: notice.button("Send anyway") is not None, what="the button"))
    assert notice.text == "Not sent: the text read from it looks garbled."
    assert "nothing was spent" in notice.detail
    QTest.mouseClick(notice.button("Send anyway"), Qt.MouseButton.LeftButton)  # type: ignore[arg-type]
    run(loop, until(lambda: _job(app).state == JobState.DONE, what="the job sent and done"))
    assert len(server.chat_requests) == 1
    done = _job(app)
    index = model.index(model.row_of(done.id), Column.STATE)  # type: ignore[arg-type]
    assert model.data(index, Qt.ItemDataRole.DisplayRole) == "Done, text doubtful"
    run(
        loop,
        until(
            lambda: notice.text == "The text read from this document looks garbled.",
            what="the notice on the done job",
        ),
    )

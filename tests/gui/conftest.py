"""Fixtures for the window's tests: offscreen Qt, a qasync loop per test, a fresh home.

The platform is set before anything imports Qt. Without PySide6 (the core-only CI job) the
whole folder is skipped. Each test gets its own qasync loop and drives coroutines with
``run(loop, coro)``; the home folder (database, settings, window state) comes from
``tests/conftest.py`` and is new for every test.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import gc
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("qasync")

from gui import qt_workarounds

qt_workarounds.install()

import qasync  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from core.settings import Settings  # noqa: E402
from gui.app import PacelineApp  # noqa: E402
from gui.main_thread_gc import MainThreadGarbageCollector  # noqa: E402
from gui.palette import apply_style  # noqa: E402
from gui.translations import install_translators  # noqa: E402
from tests.fake_clock import FakeClock  # noqa: E402
from tests.fake_provider import FakeProvider  # noqa: E402
from tests.helpers import write_doc  # noqa: E402

T = TypeVar("T")


@pytest.fixture(scope="session")
def styled_app(qapp: QApplication) -> QApplication:
    MainThreadGarbageCollector(qapp)  # as the application does (see gui/main_thread_gc.py)
    apply_style(qapp)
    install_translators(qapp, "en")  # English plural forms, as the application has them
    return qapp


class TestLoop(qasync.QEventLoop):
    """A qasync loop that stays asyncio's running loop between ``run_until_complete`` calls.

    A test alternates between driving coroutines and plain Qt calls. Qt events handled in
    between (qasync's own final ``processEvents``, QTest clicks) may step the window's
    background tasks, and those need ``asyncio.get_running_loop()`` to work. The application
    itself runs one ``run_until_complete`` for its whole life, so it does not need this.
    """

    def run_forever(self) -> Any:
        try:
            return super().run_forever()
        finally:
            asyncio.events._set_running_loop(self)


@pytest.fixture
def loop(styled_app: QApplication) -> Iterator[qasync.QEventLoop]:
    event_loop = TestLoop(styled_app)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    asyncio.events._set_running_loop(None)
    event_loop.close()
    asyncio.set_event_loop(None)
    gc.collect()  # this test's Qt garbage goes here, in the main thread


def run(loop: asyncio.AbstractEventLoop, coro: Awaitable[T], timeout: float = 15.0) -> T:
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


async def until(predicate: Callable[[], Any], timeout: float = 8.0, what: str = "") -> None:
    """Let the loop (and Qt) run until ``predicate()`` is true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.01)


def make_docs(folder: Path, count: int, start: int = 0) -> list[Path]:
    return [write_doc(folder / f"doc{n:02d}.txt", seed=n) for n in range(start, start + count)]


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def start_app(loop: qasync.QEventLoop, home: Path) -> Iterator[Callable[..., PacelineApp]]:
    """Start the whole application (engine, window, worker) on this test's loop."""
    started: list[PacelineApp] = []

    def start(
        paths: tuple[str, ...] = (),
        *,
        clock: FakeClock | None = None,
        settings: Settings | None = None,
    ) -> PacelineApp:
        app = PacelineApp(home, paths, clock=clock, settings=settings)
        started.append(app)
        run(loop, app.start())
        return app

    yield start
    for app in started:
        run(loop, app.shutdown())


@pytest.fixture
def server() -> Iterator[FakeProvider]:
    """The fake OpenAI-compatible server on 127.0.0.1."""
    with FakeProvider() as fake:
        yield fake


def use_server(home: Path, server: FakeProvider, monkeypatch: pytest.MonkeyPatch,
               **settings: object) -> Path:  # fmt: skip
    """Settings (and a key) that send the window's jobs to ``server``."""
    (home / "settings.json").write_text(json.dumps({
        "provider": "openai", "preset": "custom", "api_base": server.url,
        "model": "fake-model", "pause_s": 0, **settings,
    }), encoding="utf-8")  # fmt: skip
    monkeypatch.setenv("PACELINE_API_KEY", "sk-test-window")
    return home

"""The settings dialog persists what it shows; the detail pane renders safely."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QUrl

from core import secrets
from core import settings as settings_mod
from core.engine import Engine
from gui.app import PacelineApp
from gui.detail_pane import SafeTextBrowser
from gui.settings_dialog import SettingsDialog
from gui.tasks import TaskRunner
from tests.gui.conftest import make_docs, run, until

StartApp = Callable[..., PacelineApp]


def test_settings_persist(styled_app: object, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    dialog = SettingsDialog(home, TaskRunner(), environ={})
    dialog.provider.setCurrentIndex(dialog.provider.findData("openai"))
    dialog.preset.setCurrentIndex(dialog.preset.findData("ollama"))
    dialog.model.setCurrentText("llama3.2")
    dialog.pacing.setCurrentIndex(dialog.pacing.findData("adaptive"))
    dialog.max_in_flight.setValue(3)
    dialog.backoff_base_s.setValue(7)
    dialog.max_queue.setValue(123)
    dialog.price.setValue(0.0021)
    name = dialog.add_profile()
    dialog.profile_prompt.setPlainText("List every date in the document.")
    dialog.default_profile.setCurrentIndex(dialog.default_profile.findData(name))
    dialog.api_key.setText("sk-test-123456")
    dialog._key_edited("sk-test-123456")
    assert dialog.save() is not None

    saved = settings_mod.load_saved(home)
    assert (saved.provider, saved.preset, saved.model) == ("openai", "ollama", "llama3.2")
    assert (saved.pacing, saved.max_in_flight, saved.backoff_base_s) == ("adaptive", 3, 7.0)
    assert saved.max_queue == 123 and saved.price_per_1k_tokens == pytest.approx(0.0021)
    assert saved.custom_profiles == {name: "List every date in the document."}
    assert saved.default_profile == name
    # the key belongs to the host the calls go to (Ollama's preset: localhost:11434), only
    assert secrets.stored_api_key(home, "localhost:11434") == "sk-test-123456"
    assert secrets.stored_api_key(home, "dashscope-intl.aliyuncs.com") is None
    assert "sk-test" not in (home / "settings.json").read_text()  # never in the settings file

    again = SettingsDialog(home, TaskRunner(), environ={})
    assert again.values() == saved
    assert again.max_queue.value() == 123


def test_invalid_values_are_refused_with_a_message(styled_app: object, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    dialog = SettingsDialog(home, TaskRunner(), environ={"PACELINE_PACING": "sometimes"})
    assert dialog.save() is None
    assert dialog.error.isVisible() or dialog.error.level == "error"
    assert "sometimes" in dialog.error.detail
    assert not (home / "settings.json").exists()


def test_environment_overrides_are_read_only(styled_app: object, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    dialog = SettingsDialog(home, TaskRunner(), environ={"PACELINE_MAX_QUEUE": "7"})
    assert not dialog.max_queue.isEnabled()
    assert "PACELINE_MAX_QUEUE" in dialog.max_queue.toolTip()


def test_saved_settings_reach_the_engine(
    loop: qasync.QEventLoop, start_app: StartApp, home: Path, tmp_path: Path
) -> None:
    app = start_app()
    dialog = app.window.open_settings()
    dialog.max_queue.setValue(77)
    dialog.price.setValue(0.5)
    dialog.accept()
    run(loop, until(lambda: app.engine.settings.max_queue == 77, what="settings applied"))
    # The engine takes the new settings before the worker has restarted with them: wait.
    run(loop, until(lambda: app.worker.running, what="worker restarted"))
    run(loop, app.window.add_paths(make_docs(tmp_path, 1)))
    run(loop, until(lambda: app.window.last_summary.counts.get("done") == 1, what="done"))
    assert json.loads((home / "settings.json").read_text())["max_queue"] == 77


def test_the_result_is_markdown_and_loads_nothing_remote(
    loop: qasync.QEventLoop, start_app: StartApp, home: Path, tmp_path: Path
) -> None:
    app = start_app()
    window = app.window
    run(loop, window.add_paths(make_docs(tmp_path, 1)))
    run(loop, until(lambda: window.last_summary.counts.get("done") == 1, what="done"))
    job = window.model.jobs()[0]

    async def plant_result() -> None:
        # A result with a remote image and a link, as a model might write it.
        async def write(tx: Any) -> None:
            await tx.all(
                "UPDATE jobs SET result = ? WHERE id = ?",
                ("# Findings\n\n![pixel](https://tracker.example/p.png)\n\n"
                 "* one [site](https://example.com)\n", job.id))

        await app.engine.store.db.write(write)

    run(loop, plant_result())
    assert window.select_job(job.id)
    run(loop, until(lambda: window.detail.shown_job is not None, what="details shown"))
    view = window.detail.result_view
    assert "Findings" in view.toPlainText()
    assert any(u.host() == "tracker.example" for u in view.blocked)
    assert not view.openExternalLinks() and not view.openLinks()
    assert window.detail.title.text() == Path(job.path).name


def test_safe_browser_refuses_every_resource(styled_app: object) -> None:
    browser = SafeTextBrowser()
    assert browser.loadResource(2, QUrl("https://example.com/x.png")) is None
    assert browser.loadResource(2, QUrl("file:///etc/passwd")) is None
    assert len(browser.blocked) == 2


def test_detail_pane_shows_a_failed_jobs_error_and_log(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app()
    window = app.window
    doc = make_docs(tmp_path, 1)[0]
    run(loop, app.engine.pause())
    run(loop, window.add_paths([doc]))
    doc.write_text("edited after queueing " * 20)
    run(loop, app.engine.resume())
    run(loop, until(lambda: window.last_summary.counts.get("failed") == 1, what="failed"))
    job = window.model.jobs()[0]
    window.select_job(job.id)
    run(loop, until(lambda: window.detail.shown_job is not None, what="details"))
    assert window.detail.notice.level == "error"
    assert "Changed since it was added" in window.detail.notice.text  # the kind, worded
    assert "changed since it was added" in window.detail.notice.detail
    assert "failed" in window.detail.log_view.toPlainText()


def test_export_of_one_job_from_the_detail_pane(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app()
    window = app.window
    run(loop, window.add_paths(make_docs(tmp_path, 1)))
    run(loop, until(lambda: window.last_summary.counts.get("done") == 1, what="done"))
    window.select_job(window.model.jobs()[0].id)
    out = tmp_path / "one.md"
    window.job_actions.ask_save_path = lambda fmt_key: (str(out), fmt_key)
    window.detail.export_requested.emit("md")
    run(loop, until(out.exists, what="the export file"))
    assert out.read_text(encoding="utf-8").startswith("# doc00.txt")


def test_engine_opened_elsewhere_sees_the_windows_jobs(
    loop: qasync.QEventLoop, start_app: StartApp, home: Path, tmp_path: Path
) -> None:
    """paceline-cli add while the window is open: the job appears and is processed."""
    app = start_app()

    async def add_elsewhere() -> None:
        other = await Engine.open(home)
        try:
            await other.add_paths(make_docs(tmp_path, 1))
        finally:
            await other.close()

    run(loop, add_elsewhere())
    run(loop, until(lambda: app.window.model.rowCount() == 1, what="polled in", timeout=5))
    run(loop, until(lambda: app.window.last_summary.counts.get("done") == 1, what="done"))

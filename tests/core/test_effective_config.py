"""One effective configuration: where calls go, the key that goes with them, and where each
setting came from; the same answer for status --json and for every job record (issue 14)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from core import effective_config, secrets
from core import settings as settings_mod
from core.analyzers.openai_compat import make_openai_analyzer
from core.effective_config import endpoint, host_of, origins
from core.engine import Engine
from core.paths import SETTINGS_NAME
from core.settings import Settings
from core.states import JobState
from tests.fake_clock import FakeClock
from tests.fake_provider import FakeProvider


def test_a_preset_with_its_own_url_names_its_service_and_model() -> None:
    target = endpoint(Settings(provider="openai"))
    assert (target.provider, target.host, target.model) == (
        "dashscope-intl", "dashscope-intl.aliyuncs.com", "qwen-plus")
    assert target.dashscope
    assert target.describe() == ("qwen-plus via Alibaba DashScope (international), "
                                 "dashscope-intl.aliyuncs.com")
    assert endpoint(Settings()).offline


def test_an_api_base_from_the_environment_is_a_custom_endpoint_not_dashscope() -> None:
    settings = settings_mod.apply_env(Settings(), {
        "PACELINE_PROVIDER": "openai", "PACELINE_API_BASE": "http://127.0.0.1:8080/v1"})
    target = endpoint(settings)
    # the saved preset is still DashScope, but the calls go to the local server
    assert settings.preset == "dashscope-intl"
    assert (target.provider, target.host, target.model) == ("custom", "127.0.0.1:8080", "")
    assert not target.dashscope  # DashScope's error rules do not apply to it
    analyzer = make_openai_analyzer(settings, api_key="")
    assert (analyzer.provider, analyzer.host, analyzer.model) == ("custom", "127.0.0.1:8080", "")
    assert not analyzer.dashscope


def test_an_api_base_that_is_another_presets_url_is_that_preset() -> None:
    target = endpoint(Settings(provider="openai", preset="custom",
                               api_base="https://api.openai.com/v1/"))
    assert (target.provider, target.model) == ("openai", "gpt-4o-mini")
    gateway = endpoint(Settings(provider="openai", preset="dashscope-intl",
                                api_base="https://dashscope-intl.aliyuncs.com/compatible-mode/v1"))
    assert gateway.provider == "dashscope-intl"


def test_hosts_keep_their_port_and_lose_case_and_default_paths() -> None:
    assert host_of("HTTPS://API.OpenAI.com/v1") == "api.openai.com"
    assert host_of("http://localhost:11434/v1") == "localhost:11434"
    assert host_of("http://[::1]:8000/v1") == "[::1]:8000"


def test_each_value_says_where_it_came_from(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / SETTINGS_NAME).write_text(json.dumps({"pause_s": 3.0, "pacing": "adaptive"}),
                                      encoding="utf-8")
    found = origins(home, {"PACELINE_PACING": "fixed"})
    assert found["pause_s"] == effective_config.Origin("settings file",
                                                       str(home / SETTINGS_NAME))
    assert found["pacing"] == effective_config.Origin("environment", "PACELINE_PACING")
    assert found["model"].source == "default"


def test_the_analyzer_takes_the_key_stored_for_its_own_host(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(secrets, "keyring_usable", lambda: False)
    home.mkdir(parents=True, exist_ok=True)
    secrets.set_api_key(home, "sk-dashscope-1234567", host="dashscope-intl.aliyuncs.com")
    hosted = make_openai_analyzer(Settings(provider="openai"), home=home)
    assert hosted._api_key == "sk-dashscope-1234567"
    elsewhere = make_openai_analyzer(
        Settings(provider="openai", api_base="https://proxy.example.net/v1"), home=home)
    assert elsewhere._api_key is None  # the DashScope key does not follow the URL


def test_status_and_the_job_record_say_where_the_calls_went(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PACELINE_API_KEY", raising=False)
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    doc = tmp_path / "note.txt"
    doc.write_text("MARK-1 a short note about nothing much.\n", encoding="utf-8")

    async def go(server: FakeProvider) -> None:
        # settings name DashScope; the environment sends the calls to the local server
        settings = settings_mod.apply_env(Settings(pause_s=0.0), {
            "PACELINE_PROVIDER": "openai", "PACELINE_API_BASE": server.url})
        engine = await Engine.open(home, settings=settings, clock=FakeClock())
        await engine.add_paths([doc])
        (queued,) = await engine.store.list_jobs()
        host = host_of(server.url)
        assert (queued.provider, queued.model, queued.host) == ("custom", "", host)
        status = await engine.status()
        assert status["endpoint"]["provider"] == "custom"
        assert status["endpoint"]["host"] == host
        await engine.run(until_empty=True)
        (job,) = await engine.store.list_jobs()
        assert job.state == JobState.DONE, job.error
        # the model the server named, written when the call started
        assert (job.provider, job.model, job.host) == ("custom", "fake-model", host)
        status = await engine.status()
        assert status["endpoint"]["model"] == "fake-model"
        assert "DashScope" not in json.dumps(status)
        await engine.close()

    with FakeProvider() as server:
        asyncio.run(go(server))

"""The window says where calls go, the same way everywhere, and the dialog shows what the
environment sets in the dialog itself (issue 14: one effective configuration)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import secrets
from core import settings as settings_mod
from core.paths import SETTINGS_NAME
from core.settings import Settings
from gui.settings_dialog import SettingsDialog
from gui.status_bar import StatusSummaryBar
from gui.tasks import TaskRunner

LOCAL = {"PACELINE_PROVIDER": "openai", "PACELINE_API_BASE": "http://127.0.0.1:8080/v1"}


@pytest.fixture
def file_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # keys go to the private file, whatever keyring this machine has
    monkeypatch.setattr(secrets, "keyring_usable", lambda: False)


def test_environment_values_are_shown_in_the_dialog_itself(
    styled_app: object, home: Path, file_keys: None
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    dialog = SettingsDialog(home, TaskRunner(), environ=LOCAL)
    # the fields show what Paceline uses, greyed out, not the saved offline analyzer
    assert dialog.provider.currentData() == "openai" and not dialog.provider.isEnabled()
    assert dialog.api_base.text() == LOCAL["PACELINE_API_BASE"]
    assert not dialog.api_base.isEnabled()
    note = dialog.env_note.text()
    assert not dialog.env_note.isHidden()
    assert "PACELINE_API_BASE=http://127.0.0.1:8080/v1" in note
    assert "PACELINE_PROVIDER=openai" in note and "unset" in note
    # the first line names the custom endpoint, not DashScope or its qwen-plus
    line = dialog.endpoint_note.text()
    assert "127.0.0.1:8080" in line and "custom endpoint" in line
    assert "DashScope" not in line and "qwen-plus" not in line
    # saving keeps the person's own values: the environment's are not written to the file
    assert dialog.save() is not None
    saved = json.loads((home / SETTINGS_NAME).read_text(encoding="utf-8"))
    assert saved["provider"] == "offline" and saved["api_base"] == ""


def test_without_environment_the_note_is_hidden_and_the_line_follows_the_fields(
    styled_app: object, home: Path, file_keys: None
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    dialog = SettingsDialog(home, TaskRunner(), environ={})
    assert dialog.env_note.isHidden()
    assert "offline analyzer" in dialog.endpoint_note.text()
    dialog.provider.setCurrentIndex(dialog.provider.findData("openai"))
    assert "qwen-plus via Alibaba DashScope (international) at dashscope-intl.aliyuncs.com" \
        in dialog.endpoint_note.text()
    dialog.api_base.setText("https://gateway.example.org/v1")
    assert "custom endpoint at gateway.example.org" in dialog.endpoint_note.text()
    # DashScope's default model does not follow its URL to another server
    assert "qwen-plus" not in dialog.endpoint_note.text()


def test_the_key_note_and_the_saved_key_follow_the_host(
    styled_app: object, home: Path, file_keys: None
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    secrets.set_api_key(home, "sk-dashscope-000111", host="dashscope-intl.aliyuncs.com")
    dialog = SettingsDialog(home, TaskRunner(), environ={})
    dialog.provider.setCurrentIndex(dialog.provider.findData("openai"))
    assert "dashscope-intl.aliyuncs.com" in dialog.key_note.text()
    assert "stored" in dialog.key_note.text()
    dialog.preset.setCurrentIndex(dialog.preset.findData("openai"))
    assert "No key stored for api.openai.com" in dialog.key_note.text()
    dialog.api_key.setText("sk-openai-222333")
    dialog._key_edited("sk-openai-222333")
    assert dialog.save() is not None
    assert secrets.stored_api_key(home, "api.openai.com") == "sk-openai-222333"
    assert secrets.stored_api_key(home, "dashscope-intl.aliyuncs.com") == "sk-dashscope-000111"


def test_a_key_for_a_public_http_address_is_refused_when_saving(
    styled_app: object, home: Path, file_keys: None
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    dialog = SettingsDialog(home, TaskRunner(), environ={})
    dialog.provider.setCurrentIndex(dialog.provider.findData("openai"))
    dialog.preset.setCurrentIndex(dialog.preset.findData("custom"))
    dialog.api_base.setText("http://llm.example.com/v1")
    dialog.api_key.setText("sk-would-leak-4444")
    dialog._key_edited("sk-would-leak-4444")
    assert dialog.save() is None
    assert "unencrypted" in dialog.error.detail and "https://" in dialog.error.detail
    assert not (home / SETTINGS_NAME).exists()
    assert secrets.stored_api_key(home, "llm.example.com") is None
    # without a key the same address is fine: nothing secret travels
    dialog.api_key.clear()
    dialog._key_changed = False
    assert dialog.save() is not None


def test_every_limit_a_message_names_is_in_the_dialog(styled_app: object, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    dialog = SettingsDialog(home, TaskRunner(), environ={})
    dialog.provider.setCurrentIndex(dialog.provider.findData("openai"))
    dialog.max_output_tokens.setValue(4096)
    dialog.request_timeout_s.setValue(120)
    dialog.max_file_mb.setValue(200)
    dialog.max_chars.setValue(5_000_000)
    assert dialog.save() is not None
    saved = settings_mod.load_saved(home)
    assert (saved.max_output_tokens, saved.request_timeout_s) == (4096, 120.0)
    assert (saved.max_file_mb, saved.max_chars) == (200.0, 5_000_000)


def test_the_status_bar_names_the_endpoint_calls_go_to(styled_app: object) -> None:
    bar = StatusSummaryBar()
    local = settings_mod.apply_env(Settings(), LOCAL)
    text = bar.engine_text(local)
    assert "127.0.0.1:8080" in text and "custom endpoint" in text and "DashScope" not in text
    assert bar.engine_text(Settings()) == "Offline analyzer"
    hosted = Settings(provider="openai", pacing="adaptive")
    assert bar.engine_text(hosted) == ("qwen-plus via Alibaba DashScope (international) at "
                                       "dashscope-intl.aliyuncs.com, adaptive pacing")


def test_each_setting_a_message_tells_people_to_change_is_in_the_dialog(
    styled_app: object, home: Path
) -> None:
    from PySide6.QtWidgets import QFormLayout, QLabel

    from core.errors import RAISE_SETTING

    home.mkdir(parents=True, exist_ok=True)
    dialog = SettingsDialog(home, TaskRunner(), environ={})
    tabs = {dialog.tabs.tabText(i).replace("&", ""): dialog.tabs.widget(i)
            for i in range(dialog.tabs.count())}
    for setting, advice in RAISE_SETTING.items():
        label, where = advice.split('"')[1], advice.rsplit("→ ", 1)[1]
        page = tabs[where]
        form = page.findChild(QFormLayout) or page.layout()
        rows = {}
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if item is not None and isinstance(item.widget(), QLabel):
                rows[item.widget().text().rstrip(":")] = form.itemAt(
                    row, QFormLayout.ItemRole.FieldRole)
        assert label in rows, f"{setting}: no {label!r} on the {where} tab"
        # ... and that field edits this very setting
        field = rows[label].widget() or rows[label].layout().itemAt(0).widget()
        assert field is getattr(dialog, setting), setting

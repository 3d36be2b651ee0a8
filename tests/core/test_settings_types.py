"""Saved settings of the wrong type (or nan/inf) fall back to their defaults with a clear word.

The file is the person's: loading it never rewrites it, and the CLI warns on stderr instead of
crashing with a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import settings as settings_mod
from core.paths import SETTINGS_NAME
from core.settings import Settings, SettingsError
from tests.helpers import run_cli

DEFAULTS = Settings()


def _write(folder: Path, text: str) -> Path:
    path = folder / SETTINGS_NAME
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("key", "raw"), [
    ("pause_s", '"fast"'), ("pause_s", "[]"), ("pause_s", "null"), ("pause_s", "NaN"),
    ("pause_s", "Infinity"), ("pause_s", "-Infinity"), ("pause_s", "true"),
    ("max_queue", "12.5"), ("max_queue", '"many"'), ("model", "42"), ("model", "null"),
    ("close_to_tray", '"yes"'), ("custom_profiles", '["a", "b"]'),
    ("context_chars_by_model", '{"qwen": "big"}'), ("custom_profiles", "null"),
])
def test_a_value_of_the_wrong_type_falls_back_to_its_default(
    tmp_path: Path, key: str, raw: str
) -> None:
    text = f'{{"{key}": {raw}, "pacing": "adaptive"}}'
    path = _write(tmp_path, text)
    warnings: list[str] = []
    loaded = settings_mod.load(tmp_path, environ={}, warnings=warnings)
    assert getattr(loaded, key) == getattr(DEFAULTS, key)
    assert loaded.pacing == "adaptive"  # the good values are kept
    assert len(warnings) == 1
    assert key in warnings[0] and str(path) in warnings[0] and "default" in warnings[0]
    assert path.read_text(encoding="utf-8") == text  # the person's file is untouched


def test_a_file_that_is_not_a_table_means_defaults(tmp_path: Path) -> None:
    for text in ("[]", "null", '"x"', "3"):
        path = _write(tmp_path, text)
        warnings: list[str] = []
        assert settings_mod.load_saved(tmp_path, warnings) == DEFAULTS
        assert len(warnings) == 1 and str(path) in warnings[0]
        assert path.read_text(encoding="utf-8") == text


def test_good_values_give_no_warning(tmp_path: Path) -> None:
    _write(tmp_path, json.dumps({"pause_s": 3, "max_queue": 7, "custom_profiles": {"A": "b"}}))
    warnings: list[str] = []
    loaded = settings_mod.load_saved(tmp_path, warnings)
    assert (loaded.pause_s, loaded.max_queue, loaded.custom_profiles) == (3, 7, {"A": "b"})
    assert warnings == []


def test_validate_names_the_key_of_a_bad_value() -> None:
    from dataclasses import replace

    for bad in (float("nan"), float("inf")):
        with pytest.raises(SettingsError, match="pause_s"):
            settings_mod.validate(replace(DEFAULTS, pause_s=bad))
    with pytest.raises(SettingsError, match="max_queue"):
        settings_mod.validate(replace(DEFAULTS, max_queue="10"))  # type: ignore[arg-type]
    for raw in ("nan", "inf", "-inf"):
        with pytest.raises(SettingsError, match="PACELINE_PAUSE_S"):
            settings_mod.apply_env(DEFAULTS, {"PACELINE_PAUSE_S": raw})


def test_the_cli_warns_once_per_value_and_carries_on(home: Path) -> None:
    text = '{"pause_s": "fast", "max_output_tokens": null}'
    path = _write(home, text)
    done = run_cli(home, "status", "--json")
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)  # stdout stays clean JSON
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2, done.stderr
    assert all(line.startswith("paceline-cli: warning: ") for line in lines)
    assert "pause_s" in lines[0] and "max_output_tokens" in lines[1]
    assert "Traceback" not in done.stderr
    assert path.read_text(encoding="utf-8") == text

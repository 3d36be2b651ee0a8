"""Settings: saved as JSON in the Paceline home; environment variables override them.

The API key is not stored here: see :mod:`core.secrets`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from core import providers
from core.paths import SETTINGS_NAME

# The original HTTP module capped its queue at 50 because each waiting request held a
# connection. A desktop queue holds rows in SQLite, and people drop whole folders; 10,000 is
# about a day of work at the default 10 s pace, so a larger drop is more likely the wrong
# folder than a plan, and it still keeps the window fast.
DEFAULT_MAX_QUEUE = 10_000
# The most calls at once when the pacer sizes the window itself: 600 calls a minute at 15 s
# each need 150; the rate limiter, not this number, decides when each call starts.
AUTO_IN_FLIGHT = 256
# ... and for a local server that queues calls instead of refusing them (providers.Preset.local)
LOCAL_IN_FLIGHT = 4
# Version 2: max_in_flight 0 means automatic. Version 1 saved its default of 4 in every file,
# which capped adaptive pacing at 4 / latency calls a second whatever the quota.
SETTINGS_VERSION = 2


@dataclass(frozen=True)
class Settings:
    provider: str = "offline"  # "offline" | "openai"
    preset: str = "dashscope-intl"
    api_base: str = ""
    model: str = ""
    pacing: str = "fixed"  # "fixed" | "adaptive"
    pause_s: float = 10.0
    backoff_base_s: float = 15.0
    backoff_cap_s: float = 300.0
    max_retry_after_s: float = 900.0
    # Calls in flight at once in adaptive mode; 0 lets the pacer size it (rate x latency,
    # cut when the server refuses calls at once). Fixed pacing is always one at a time.
    max_in_flight: int = 0
    max_queue: int = DEFAULT_MAX_QUEUE
    max_attempts: int = 5
    context_chars: int = 24_000  # part size for models not listed below
    # Part size per model: models differ in context length (qwen-long takes far more than
    # qwen-turbo), so each model keeps its own.
    context_chars_by_model: dict[str, int] = field(default_factory=dict)
    max_output_tokens: int = 1024
    # Whether the model reads images (scans, photos): "auto" goes by its name (core/vision.py),
    # "yes" or "no" for a model the name does not tell about.
    vision: str = "auto"
    request_timeout_s: float = 600.0
    # How long an answer that came back is held while the disk refuses to save it (full,
    # read-only, failing) before the worker stops and marks its job stale.
    save_patience_s: float = 600.0
    max_file_mb: float = 50.0
    max_chars: int = 2_000_000
    price_per_1k_tokens: float = 0.0
    default_profile: str = "Summary"
    custom_profiles: dict[str, str] = field(default_factory=dict)
    close_to_tray: bool = True
    notifications: bool = True
    language: str = ""  # "" follows the system
    # Result files for finished jobs (core/result_files.py); a watch folder may set its own.
    result_files: str = "off"  # "off" | "beside" (report.pdf.summary.md) | "folder"
    result_folder: str = ""  # for "folder": the output folder
    result_format: str = "md"  # "md" | "json"
    result_overwrite: bool = False  # replace files Paceline did not write
    # Watch folders (core/folder_watcher.py): how long a file's size and mtime must stay the
    # same before it counts as complete, and how often folders are listed as a safety net
    # under the platform's notifications (network shares send none).
    watch_stable_s: float = 3.0
    watch_rescan_s: float = 30.0
    # Batch mode (core/batch_runner.py): a drop of more than this many documents goes to the
    # provider's Batch API at half the price, answered within 24 hours (0: never by itself;
    # a selection can still be sent as a batch). How often a running batch is looked at.
    batch_threshold: int = 0
    batch_poll_s: float = 30.0
    # A long document's parts back from a batch: its combining call as a normal call now
    # ("call") or in a follow-up batch ("batch": half price, another wait of up to a day).
    batch_combine: str = "call"
    settings_version: int = SETTINGS_VERSION

    @property
    def calls_at_once(self) -> int:
        """The cap on calls in flight (adaptive pacing): the person's, or the automatic one."""
        if self.max_in_flight > 0:
            return self.max_in_flight
        preset = providers.PRESETS.get(self.preset)
        return LOCAL_IN_FLIGHT if preset is not None and preset.local else AUTO_IN_FLIGHT

    def context_for(self, model: str | None = None) -> int:
        """The part size for ``model`` (default: the configured model)."""
        return self.context_chars_by_model.get(model or self.model, self.context_chars)

    @property
    def engine_key(self) -> str:
        if self.provider == "offline":
            return "offline"
        return f"{self.provider}:{self.model or '?'}"


ENV_OVERRIDES: dict[str, tuple[str, type]] = {
    "PACELINE_PROVIDER": ("provider", str),
    "PACELINE_API_BASE": ("api_base", str),
    "PACELINE_MODEL": ("model", str),
    "PACELINE_PACING": ("pacing", str),
    "PACELINE_PAUSE_S": ("pause_s", float),
    "PACELINE_MAX_QUEUE": ("max_queue", int),
}


class SettingsError(ValueError):
    pass


log = logging.getLogger(__name__)

_DEFAULTS = Settings()
_KINDS: dict[str, str] = {
    "float": "a number",
    "int": "a whole number",
    "str": "text",
    "bool": "true or false",
    "dict[str, int]": "a table of names and whole numbers",
    "dict[str, str]": "a table of names and texts",
}


def _field_problem(name: str, value: object) -> str | None:
    """Why ``value`` cannot be the setting ``name`` (its type, or nan/inf); None when it can.

    JSON happily holds "fast", null or [] where a number belongs: caught here, such a value
    would otherwise reach arithmetic deep in the pacer as a TypeError, and nan or inf would
    turn pacing off or overflow the ETA.
    """
    kind = next(f.type for f in fields(Settings) if f.name == name)
    kind = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    ok: bool
    if kind == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and not math.isfinite(value):  # type: ignore[arg-type]
            return f"{name} is {value!r}: it must be a finite number"
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "str":
        ok = isinstance(value, str)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind in ("dict[str, int]", "dict[str, str]"):
        inner: type = int if kind.endswith("int]") else str
        ok = isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, inner) and not isinstance(v, bool)
            for k, v in value.items()
        )
    else:
        ok = True
    if ok:
        return None
    return f"{name} is {_shown(value)}, not {_KINDS.get(kind, kind)}"


def _shown(value: object) -> str:
    # As it reads in the JSON file (null, true, "fast"); repr for what JSON cannot hold.
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def load_saved(folder: Path, warnings: list[str] | None = None) -> Settings:
    """The saved settings; a value of the wrong type falls back to its default.

    Each such value adds a line to ``warnings`` (for the CLI's stderr and the window's banner)
    and to the log. The file itself is left as it is: the person may want to fix it by hand,
    and nothing here writes it.
    """
    path = folder / SETTINGS_NAME
    data: Any = {}
    notes: list[str] = []
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            # A broken settings file must not stop the app; keep a copy for the person.
            with contextlib.suppress(OSError):
                path.replace(path.with_suffix(".json.broken"))
            data = {}
    if not isinstance(data, dict):
        notes.append(f"Settings file {path} holds {type(data).__name__}, not a table of "
                     "settings: Paceline uses its defaults. Fix or delete the file.")
        data = {}
    version = data.get("settings_version", 1)
    if isinstance(version, int) and version < 2 and data.get("max_in_flight") == 4:
        data["max_in_flight"] = 0  # the old default, not a choice: let the pacer size it
    data["settings_version"] = SETTINGS_VERSION
    known = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            continue
        problem = _field_problem(key, value)
        if problem is None:
            values[key] = value
        else:
            notes.append(f"Settings file {path}: {problem}; using the default "
                         f"{_shown(getattr(_DEFAULTS, key))}. Fix it in Settings or in "
                         "the file.")
    for note in notes:
        log.warning("%s", note)
    if warnings is not None:
        warnings.extend(notes)
    return Settings(**values)


def apply_env(settings: Settings, environ: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ if environ is None else environ)
    changes: dict[str, Any] = {}
    for var, (name, kind) in ENV_OVERRIDES.items():
        raw = environ.get(var)
        if raw is None or raw == "":
            continue
        try:
            changes[name] = kind(raw)
        except ValueError as exc:
            raise SettingsError(f"{var}={raw!r} is not a valid {kind.__name__}.") from exc
        if _field_problem(name, changes[name]) is not None:
            # float() takes "nan" and "inf": name the variable, not only the setting it sets.
            raise SettingsError(f"{var}={raw!r} is not a finite number: set it to a number "
                                "of seconds, or unset it.")
    result = replace(settings, **changes)
    validate(result)
    return result


def validate(settings: Settings) -> None:
    for item in fields(Settings):
        problem = _field_problem(item.name, getattr(settings, item.name))
        if problem is not None:
            raise SettingsError(f"The setting {problem}.")
    if settings.provider not in {"offline", "openai"}:
        raise SettingsError(f"Unknown provider {settings.provider!r}: use 'offline' or 'openai'.")
    if settings.pacing not in {"fixed", "adaptive"}:
        raise SettingsError(f"Unknown pacing {settings.pacing!r}: use 'fixed' or 'adaptive'.")
    if settings.pause_s < 0:
        raise SettingsError("The pause between calls cannot be negative.")
    if settings.max_in_flight < 0:
        raise SettingsError("Calls at once cannot be negative (0 means automatic).")
    if settings.max_queue < 1:
        raise SettingsError("The queue limit must be at least 1.")
    if settings.result_files not in {"off", "beside", "folder"}:
        raise SettingsError(
            f"Unknown result_files {settings.result_files!r}: use 'off', 'beside' or 'folder'."
        )
    if settings.result_files == "folder" and not settings.result_folder.strip():
        raise SettingsError(
            "Result files go to an output folder, but no folder is set: choose one, or write "
            "them beside each document."
        )
    if settings.result_format not in {"md", "json"}:
        raise SettingsError(
            f"Unknown result_format {settings.result_format!r}: use 'md' or 'json'."
        )
    if settings.watch_stable_s < 0 or settings.watch_rescan_s <= 0:
        raise SettingsError("The watch folders' waiting times must be positive numbers of seconds.")
    if settings.batch_threshold < 0 or settings.batch_poll_s <= 0:
        raise SettingsError("The batch threshold cannot be negative (0 means never by itself), "
                            "and batches must be looked at every few seconds or more.")
    if settings.batch_combine not in {"call", "batch"}:
        raise SettingsError(f"Unknown batch_combine {settings.batch_combine!r}: use 'call' "
                            "(a normal call once the parts are back) or 'batch'.")
    if settings.vision not in {"auto", "yes", "no"}:
        raise SettingsError(
            f"Unknown vision setting {settings.vision!r}: use 'auto', 'yes' or 'no'."
        )


def load(
    folder: Path, environ: dict[str, str] | None = None, warnings: list[str] | None = None
) -> Settings:
    return apply_env(load_saved(folder, warnings), environ)


def save(folder: Path, settings: Settings) -> None:
    validate(settings)
    path = folder / SETTINGS_NAME
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(settings), indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)

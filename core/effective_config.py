"""What Paceline really uses: the endpoint calls go to, and where each setting's value came from.

The status bar, the settings dialog, ``paceline-cli status --json`` and every job record read
the endpoint from :func:`endpoint`, so none of them can tell a different story from the calls.
A preset only names a service while its own URL is used: with ``PACELINE_API_BASE`` (or the
API base in Settings) pointing elsewhere, the calls go to a custom endpoint, shown as such, with
the generic error rules, not the preset's service and its default model.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from core import providers
from core.paths import SETTINGS_NAME
from core.settings import ENV_OVERRIDES, Settings

OFFLINE = "offline"
CUSTOM = "custom"

# Where a value came from, as shown to people and in status --json.
DEFAULT = "default"
SETTINGS_FILE = "settings file"
ENVIRONMENT = "environment"


@dataclass(frozen=True)
class Endpoint:
    """Where the calls go. ``provider`` is "offline" or a preset's key ("custom" for any URL
    that is not a preset's own)."""

    provider: str
    label: str  # the service as people know it, in English (the window translates it)
    base_url: str  # "" offline
    host: str  # host[:port] the calls and the key go to; "" offline
    model: str  # the model asked for; "" means the first one the server lists
    dashscope: bool  # DashScope's own error rules apply

    @property
    def offline(self) -> bool:
        return self.provider == OFFLINE

    def describe(self) -> str:
        """One line for a terminal or a log: "qwen-plus via Alibaba DashScope (international),
        dashscope-intl.aliyuncs.com"."""
        if self.offline:
            return "offline analyzer (nothing leaves this machine)"
        model = self.model or "the first model the server lists"
        return f"{model} via {self.label}, {self.host}"

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "label": self.label,
            "base_url": self.base_url,
            "host": self.host,
            "model": self.model,
        }


def host_of(url: str) -> str:
    """host[:port] of ``url``, lower case; the port only when the URL names one."""
    parts = urllib.parse.urlsplit(url.strip())
    host = (parts.hostname or "").rstrip(".").lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port else host


def _same_url(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


def endpoint(settings: Settings) -> Endpoint:
    """The endpoint these settings send calls to.

    Raises :class:`core.providers.UnknownPreset` for a preset name Paceline does not know.
    """
    if settings.provider == OFFLINE:
        return Endpoint(OFFLINE, "Offline analyzer", "", "", "", False)
    preset = providers.get(settings.preset)
    base_url = (settings.api_base or preset.base_url).strip().rstrip("/")
    if settings.api_base.strip() and not _same_url(base_url, preset.base_url):
        # Another URL than the preset's: the preset whose URL it is, if any, else custom.
        preset = next(
            (p for p in providers.PRESETS.values() if p.base_url and _same_url(p.base_url,
                                                                                base_url)),
            providers.get(CUSTOM),
        )
    return Endpoint(
        provider=preset.name,
        label=preset.label if preset.name != CUSTOM else "custom endpoint",
        base_url=base_url,
        host=host_of(base_url),
        model=settings.model or preset.default_model,
        # DashScope's error codes come from DashScope only, whatever the preset is called
        dashscope=providers.is_dashscope_url(base_url),
    )


@dataclass(frozen=True)
class Origin:
    source: str  # DEFAULT, SETTINGS_FILE or ENVIRONMENT
    where: str = ""  # the file or the environment variable

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "where": self.where}


ENV_FOR_FIELD = {name: var for var, (name, _) in ENV_OVERRIDES.items()}


def origins(home: Path, environ: Mapping[str, str] | None = None) -> dict[str, Origin]:
    """Where each setting's value comes from: an environment variable wins over the settings
    file, which wins over the default (the order :func:`core.settings.load` applies)."""
    env = os.environ if environ is None else environ
    path = home / SETTINGS_NAME
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = {}
    if not isinstance(saved, dict):
        saved = {}
    result: dict[str, Origin] = {}
    for item in fields(Settings):
        var = ENV_FOR_FIELD.get(item.name)
        if var and env.get(var):
            result[item.name] = Origin(ENVIRONMENT, var)
        elif item.name in saved:
            result[item.name] = Origin(SETTINGS_FILE, str(path))
        else:
            result[item.name] = Origin(DEFAULT)
    return result


def environment_overrides(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """{setting: environment variable} for each setting an environment variable sets now."""
    env = os.environ if environ is None else environ
    return {name: var for name, var in ENV_FOR_FIELD.items() if env.get(var)}


def describe_job_endpoint(provider: str, model: str, host: str) -> str:
    """A job record's endpoint as one line ("qwen-plus · Alibaba DashScope (international) ·
    dashscope-intl.aliyuncs.com"); jobs from before hosts were recorded say "openai"."""
    if provider in ("", OFFLINE):
        return "offline analyzer"
    preset = providers.PRESETS.get(provider)
    service = "custom endpoint" if provider == CUSTOM else (
        preset.label if preset else "OpenAI-compatible endpoint")
    bits = [model or "the server's first model", service]
    if host:
        bits.append(host)
    return " · ".join(bits)

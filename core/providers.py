"""Presets for OpenAI-compatible endpoints.

A preset only fills in defaults: ``Settings.api_base`` overrides its URL, ``Settings.model`` its
model, and ``Settings.context_chars`` (not the preset) decides how documents are split. The
preset's ``context_chars`` is what the settings dialog proposes when a person picks it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    name: str  # stable key, saved in settings
    label: str  # shown to people
    base_url: str  # "" for custom: the person gives one
    default_model: str  # "" means: ask the server's /models for the first one
    context_chars: int  # a safe part size for the usual model of this endpoint
    has_models: bool  # the endpoint answers GET /models
    dashscope: bool = False  # DashScope's own error codes apply
    needs_key: bool = True  # local servers take any key or none
    # A server on this machine that queues calls rather than refusing them (one GPU): with no
    # 429 to say "too many", more calls at once only make each one slower, until they time
    # out. Automatic pacing keeps a few at once for it (see Settings.calls_at_once).
    local: bool = False
    # The endpoint runs OpenAI's Batch API (/files, /batches) at half the price. DashScope runs
    # it in both regions (fewer models in the international one: qwen-max, -plus, -flash,
    # -turbo; the provider refuses others with its own message). A custom URL may (Together,
    # DeepInfra, a gateway): the person knows; a server without it answers 404, said plainly.
    batch: bool = False


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "dashscope-intl",
            "Alibaba DashScope (international)",
            "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
            "qwen-plus",
            60_000,
            True,
            dashscope=True,
            batch=True,
        ),
        Preset(
            "dashscope",
            "Alibaba DashScope (mainland China)",
            "https://dashscope.aliyuncs.com/compatible-mode/v1",
            "qwen-plus",
            60_000,
            True,
            dashscope=True,
            batch=True,
        ),
        Preset("openai", "OpenAI", "https://api.openai.com/v1", "gpt-4o-mini", 60_000, True,
               batch=True),
        # Local servers often run with a small context window (Ollama's default is a few
        # thousand tokens), so their parts are kept small.
        Preset(
            "ollama", "Ollama", "http://localhost:11434/v1", "llama3.2", 6_000, True,
            needs_key=False, local=True,
        ),
        Preset(
            "lmstudio", "LM Studio", "http://localhost:1234/v1", "", 8_000, True,
            needs_key=False, local=True,
        ),
        Preset("vllm", "vLLM", "http://localhost:8000/v1", "", 12_000, True, needs_key=False,
               local=True),
        Preset("custom", "Custom URL", "", "", 24_000, True, needs_key=False, batch=True),
    )
}

DEFAULT_PRESET = "dashscope-intl"


class UnknownPreset(ValueError):
    pass


def get(name: str) -> Preset:
    try:
        return PRESETS[name or DEFAULT_PRESET]
    except KeyError:
        known = ", ".join(PRESETS)
        raise UnknownPreset(f"Unknown provider preset {name!r}. Known presets: {known}.") from None


def is_dashscope_url(url: str) -> bool:
    """A custom URL that points at DashScope still speaks DashScope's error codes."""
    return "dashscope" in url.lower()

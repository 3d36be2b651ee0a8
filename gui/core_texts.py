"""Words for what the core reports as kinds and numbers, in the person's language.

The core is Qt-free and writes its messages in English for logs, scripts and the command line.
The window shows the *kind* of a thing (an error kind, a pause kind, a wait kind, a stale
reason) with a translated sentence from here instead, so a German window never shows core's
English. A job's own error message (the provider's words about that document) is data and is
shown as it is, in the table and the detail pane.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication

from core import jobs, providers
from core.effective_config import Endpoint
from core.profiles import BUILTIN_PROFILES
from gui.formatting import fill

# Called by this name so lupdate finds every string.
translate = QCoreApplication.translate

# Pause kinds of a stop-the-queue error, grouped by what the person has to fix.
KEY_KINDS = frozenset({"bad_key", "auth", "unauthorized", "forbidden"})
QUOTA_KINDS = frozenset({"quota", "arrearage", "billing", "insufficient_quota"})
MODEL_KINDS = frozenset({"bad_model", "bad_endpoint"})
BUILTIN_NAMES = frozenset(p.name for p in BUILTIN_PROFILES)


def error_kind_label(kind: str | None) -> str:
    """A short name for an error kind ("timeout" -> "Timeout"); unknown kinds as they are."""
    labels = {
        "unsupported": translate("CoreTexts", "Unsupported document type"),
        "empty": translate("CoreTexts", "Empty document"),
        "encrypted": translate("CoreTexts", "Encrypted document"),
        "no_text_layer": translate("CoreTexts", "No text layer"),
        "needs_vision": translate("CoreTexts", "Needs a model that reads images"),
        "corrupt": translate("CoreTexts", "Damaged document"),
        "too_large": translate("CoreTexts", "Too large"),
        "missing": translate("CoreTexts", "File missing"),
        "unreadable": translate("CoreTexts", "File unreadable"),
        "changed": translate("CoreTexts", "Changed since it was added"),
        "doubtful_text": translate("CoreTexts", "Text looks garbled"),
        "extract_timeout": translate("CoreTexts", "Took too long to read"),
        "extract_crashed": translate("CoreTexts", "Made the reader crash"),
        "unknown_encoding": translate("CoreTexts", "Unknown text encoding"),
        "bad_key": translate("CoreTexts", "API key refused"),
        "quota": translate("CoreTexts", "Quota or balance used up"),
        "bad_model": translate("CoreTexts", "Unknown model"),
        "bad_endpoint": translate("CoreTexts", "Unusable API address"),
        "rate_limited": translate("CoreTexts", "Rate limited"),
        "timeout": translate("CoreTexts", "Timeout"),
        "conflict": translate("CoreTexts", "Conflict"),
        "server_error": translate("CoreTexts", "Server error"),
        "context_too_long": translate("CoreTexts", "Too long for the model"),
        "content_filter": translate("CoreTexts", "Refused by the content filter"),
        "bad_request": translate("CoreTexts", "Request refused"),
        "bad_response": translate("CoreTexts", "Unreadable answer"),
        "connection": translate("CoreTexts", "Connection failed"),
        "truncated": translate("CoreTexts", "Answer cut off"),
        "output_truncated": translate("CoreTexts", "Cut off at the output limit"),
        "queue_full": translate("CoreTexts", "Queue full"),
        "internal": translate("CoreTexts", "Internal error"),
    }
    if not kind:
        return translate("CoreTexts", "Unknown error")
    return labels.get(kind, kind)


def cut_off_detail(message: str | None) -> str:
    """A done job whose answer stopped at the output limit, in the UI language.

    The core's message (English, written by ``core.analyzers.base.cut_off_message``) names
    the limit and the cut calls; its figures are kept, the sentence around them is said here.
    """
    found = re.search(r"output limit of (\d+) tokens(?: \(([^)]*)\))?", message or "")
    if found is None:
        return translate("CoreTexts", "The answer was cut off at the output limit. Run it "
                         "again with a larger output limit.")
    limit, where = found.group(1), found.group(2)
    if not where:
        return fill(translate("CoreTexts", "The answer was cut off at the output limit of %1 "
                              "tokens. Run it again with a larger output limit."), limit)
    return fill(translate("CoreTexts", "The answer was cut off at the output limit of %1 "
                          "tokens (%2). Run it again with a larger output limit."),
                limit, _where(where))


def _where(where: str) -> str:
    """"part 2 of 3", "the combining call" (from the core's message) in the UI language."""
    calls = []
    for item in where.split(", "):
        part = re.fullmatch(r"part (\d+) of (\d+)", item)
        if part:
            calls.append(fill(translate("CoreTexts", "part %1 of %2"), part.group(1),
                              part.group(2)))
        elif item == "the combining call":
            calls.append(translate("CoreTexts", "the combining call"))
        else:
            calls.append(item)
    return ", ".join(calls)


def stale_reason(reason: str | None) -> str:
    """Why a job is stale: the core writes one of two sentences; say it in the UI language."""
    if reason == jobs.STALE_IN_FLIGHT:
        return translate(
            "CoreTexts", "Paceline stopped while a paid call for this job was in flight; it may "
            "have been charged. Re-trigger it to send it again.")
    if reason == jobs.STALE_RUNNING or not reason:
        return translate(
            "CoreTexts", "Paceline stopped while this job was running. Re-trigger it to run it "
            "again.")
    return reason  # written by a newer core: better in English than not at all


def stop_headline(kind: str | None) -> str:
    """The banner's headline for a queue paused by a provider error."""
    if kind in KEY_KINDS:
        return translate("CoreTexts", "The provider refused the API key. The queue is paused.")
    if kind in QUOTA_KINDS:
        return translate(
            "CoreTexts", "The provider's quota or balance is used up. The queue is paused.")
    if kind in MODEL_KINDS:
        return translate(
            "CoreTexts", "The server does not know the model or the address. The queue is "
            "paused.")
    return translate("CoreTexts", "A provider error paused the queue.")


def stop_advice(kind: str | None) -> str:
    """What to do about a queue paused by a provider error."""
    if kind in KEY_KINDS:
        return translate(
            "CoreTexts", "Enter a valid API key in Settings (or set PACELINE_API_KEY), then "
            "resume the queue.")
    if kind in QUOTA_KINDS:
        return translate(
            "CoreTexts", "Top up or settle the account with the provider, then resume the "
            "queue.")
    if kind in MODEL_KINDS:
        return translate(
            "CoreTexts", "Check the model and the API base URL in Settings, then resume the "
            "queue.")
    return translate("CoreTexts", "Fix it in Settings, then resume the queue.")


def wait_detail(kind: str | None) -> str:
    """Why the pacer holds the next call, by the kind of wait."""
    if kind == "backoff":
        return translate(
            "CoreTexts", "Each failed call in a row doubles the wait, up to the longest wait "
            "set in Settings. The failed job keeps its place in the queue.")
    if kind == "retry_after":
        return translate(
            "CoreTexts", "The provider said how long to wait (Retry-After); Paceline waits "
            "that long before the next call.")
    if kind == "unreachable":
        return translate(
            "CoreTexts", "No connection to the server (refused, reset or timed out). Jobs keep "
            "their attempts meanwhile; Paceline tries again every 15 s at most and goes on by "
            "itself when the server answers.")
    if kind == "throttle":
        return translate(
            "CoreTexts", "Calls are spread out so they stay within the rate limit the "
            "provider reports.")
    return translate(
        "CoreTexts", "Calls are spaced out to stay within the provider's rate limit. Change "
        "the pause in Settings, under Pacing.")


def profile_name(name: str) -> str:
    """A built-in profile's name in the UI language; the person's own profiles as named."""
    if name not in BUILTIN_NAMES:  # most calls (one per painted cell) end here
        return name
    labels = {
        "Summary": translate("CoreTexts", "Summary"),
        "Key points": translate("CoreTexts", "Key points"),
        "Custom": translate("CoreTexts", "Custom"),
    }
    return labels.get(name, name)


def preset_label(name: str, fallback: str) -> str:
    """A provider preset's name: product names stay, the descriptive ones are translated."""
    labels = {
        "dashscope-intl": translate("CoreTexts", "Alibaba DashScope (international)"),
        "dashscope": translate("CoreTexts", "Alibaba DashScope (mainland China)"),
        "custom": translate("CoreTexts", "Custom URL"),
    }
    return labels.get(name, fallback)


def endpoint_text(target: Endpoint) -> str:
    """Where calls go, in the same words everywhere (status bar, Settings, a job's details):
    "qwen-plus via Alibaba DashScope (international) at dashscope-intl.aliyuncs.com"."""
    return job_endpoint_text(target.provider, target.model, target.host)


def job_endpoint_text(provider: str, model: str, host: str) -> str:
    """Where a job's calls went (or will go), from its record."""
    if provider in ("", "offline"):
        return translate("CoreTexts", "Offline analyzer")
    if provider == "openai":  # recorded before hosts were: the service is not known
        service = translate("CoreTexts", "an OpenAI-compatible endpoint")
    elif provider == "custom":
        service = translate("CoreTexts", "a custom endpoint")
    else:
        known = providers.PRESETS.get(provider)
        service = preset_label(provider, known.label if known else provider)
    model = model or translate("CoreTexts", "the server's first model")
    if not host:
        return translate("CoreTexts", "%1 via %2").replace("%1", model).replace("%2", service)
    return (translate("CoreTexts", "%1 via %2 at %3")
            .replace("%1", model).replace("%2", service).replace("%3", host))


def holder_text(info: dict[str, object] | None) -> str:
    """Who runs the queue when this window cannot (from the worker lock's note)."""
    info = info or {}
    who = str(info.get("holder") or "")
    if who == "Paceline window":
        who = translate("CoreTexts", "another Paceline window")
    elif who.startswith("paceline-cli"):
        who = fill(translate("CoreTexts", "“%1” in a terminal"), who)
    elif not who:
        who = translate("CoreTexts", "another Paceline worker")
    pid = str(info.get("pid") or "?")
    host = str(info.get("host") or "?")
    return fill(translate("CoreTexts", "%1 (process %2 on %3) runs this queue."), who, pid, host)

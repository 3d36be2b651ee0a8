"""Numbers, durations and state names for people: translated, in the current locale."""

from __future__ import annotations

import math
import re

from PySide6.QtCore import QCoreApplication, QLocale

from core.states import JobState

# Called by this name so lupdate finds every string: translate("Context", "text").
translate = QCoreApplication.translate

_PLACEHOLDER = re.compile(r"%([1-9])")


def fill(template: str, *values: object) -> str:
    """QString.arg for Python: replace %1, %2, ... in one pass (a value may contain "%2")."""

    def value_for(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        return str(values[index]) if index < len(values) else match.group(0)

    return _PLACEHOLDER.sub(value_for, template)


def state_label(state: JobState | str) -> str:
    labels = {
        JobState.QUEUED: translate("Format", "Queued"),
        JobState.RUNNING: translate("Format", "Running"),
        JobState.DONE: translate("Format", "Done"),
        JobState.FAILED: translate("Format", "Failed"),
        JobState.CANCELLED: translate("Format", "Cancelled"),
        JobState.STALE: translate("Format", "Stale"),
    }
    try:
        return labels[JobState(state)]
    except ValueError:
        return str(state)


def duration(seconds: float | None) -> str:
    """A span of time: "0.4 s", "42 s", "3 min 05 s", "2 h 10 min"."""
    if seconds is None or math.isnan(seconds):
        return ""
    seconds = max(0.0, seconds)
    if 0 < seconds < 0.05:
        return fill(translate("Format", "< %1 s"), QLocale().toString(0.1, "f", 1))
    if seconds < 10 and seconds != int(seconds):
        return fill(translate("Format", "%1 s"), QLocale().toString(seconds, "f", 1))
    whole = round(seconds)
    if whole < 60:
        return fill(translate("Format", "%1 s"), whole)
    if whole < 3600:
        minutes, secs = divmod(whole, 60)
        return fill(translate("Format", "%1 min %2 s"), minutes, f"{secs:02d}")
    hours, rest = divmod(whole, 3600)
    if hours < 48:
        return fill(translate("Format", "%1 h %2 min"), hours, f"{rest // 60:02d}")
    days, hours = divmod(hours, 24)
    return fill(translate("Format", "%1 d %2 h"), days, hours)


def countdown(seconds: float) -> str:
    """Time left on a wait, rounded up so it never shows 0 while still waiting."""
    return duration(float(math.ceil(max(0.0, seconds))))


def ago(seconds: float) -> str:
    """How long ago: "just now", "5 min 02 s ago", "3 h 02 min ago"."""
    if seconds < 60:
        return translate("Format", "just now")
    return fill(translate("Format", "%1 ago"), duration(seconds))


def integer(value: int) -> str:
    return QLocale().toString(int(value))


def money(value: float) -> str:
    # Prices per token are tiny: four decimals below 1, two above.
    return QLocale().toString(float(value), "f", 4 if abs(value) < 1 else 2)


def percent(fraction: float) -> str:
    return fill(translate("Format", "%1 %"), int(max(0.0, min(1.0, fraction)) * 100))

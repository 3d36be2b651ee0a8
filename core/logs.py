"""Rotating log files in the Paceline home, with secrets scrubbed from every record."""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

from core.paths import log_dir

_SECRETS: set[str] = set()
_KEY_PATTERN = re.compile(r"(Bearer\s+|sk-)[A-Za-z0-9._\-]{6,}")


def register_secret(value: str | None) -> None:
    """Never let this value reach a log line."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def scrub(text: str) -> str:
    for secret in _SECRETS:
        text = text.replace(secret, "***")
    return _KEY_PATTERN.sub(lambda m: m.group(1) + "***", text)


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def setup_logging(home: Path, name: str = "paceline", level: int = logging.INFO) -> Path:
    path = log_dir(home) / f"{name}.log"
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_paceline", False):
            root.removeHandler(handler)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2 * 1024 * 1024, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScrubFilter())
    handler._paceline = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return path

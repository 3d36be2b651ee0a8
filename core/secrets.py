"""The API key: from the environment, the system keyring, or a file only the user can read.

Order when reading: ``PACELINE_API_KEY``, then ``DASHSCOPE_API_KEY``, then the stored key. A key
is stored in the system keyring when a real backend exists (Secret Service, macOS Keychain,
Windows Credential Locker); on a machine without one (a headless Linux box, CI) it goes to
``<home>/secrets.json`` with mode 0600. Every key read or stored is registered with
:func:`core.logs.register_secret`, so no log line can carry it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from core.logs import register_secret

log = logging.getLogger(__name__)

ENV_VARS = ("PACELINE_API_KEY", "DASHSCOPE_API_KEY")
SERVICE = "Paceline"
ACCOUNT = "api_key"
SECRETS_NAME = "secrets.json"


def keyring_usable() -> bool:
    """True when keyring has a backend that really stores secrets."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except Exception:  # keyring missing or broken: the file is the fallback
        return False
    try:
        backend = keyring.get_keyring()
    except Exception:
        return False
    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return False
    return getattr(backend, "priority", 1) > 0


def _env_key(environ: Mapping[str, str] | None) -> tuple[str, str] | None:
    env = os.environ if environ is None else environ
    for var in ENV_VARS:
        value = (env.get(var) or "").strip()
        if value:
            return var, value
    return None


def _file(home: Path) -> Path:
    return home / SECRETS_NAME


def _read_file(home: Path) -> str | None:
    try:
        data = json.loads(_file(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get(ACCOUNT) if isinstance(data, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _write_file(home: Path, key: str | None) -> None:
    path = _file(home)
    if key is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    home.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    # Created 0600 from the start, so the key is never readable by others, even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({ACCOUNT: key}, handle)
    os.replace(tmp, path)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)


def _read_keyring() -> str | None:
    if not keyring_usable():
        return None
    try:
        import keyring

        value = keyring.get_password(SERVICE, ACCOUNT)
    except Exception:  # a locked or absent Secret Service must not stop the app
        log.warning("the system keyring could not be read; using the key file if any")
        return None
    return value.strip() if value and value.strip() else None


def stored_api_key(home: Path) -> str | None:
    key = _read_keyring() or _read_file(home)
    register_secret(key)
    return key


def get_api_key(home: Path, environ: Mapping[str, str] | None = None) -> str | None:
    """The key to use: an environment variable wins over the stored key."""
    found = _env_key(environ)
    if found is not None:
        register_secret(found[1])
        return found[1]
    return stored_api_key(home)


def key_source(home: Path, environ: Mapping[str, str] | None = None) -> str | None:
    """Where the key in use comes from, for the settings dialog: an env var name,
    "keyring", "file", or None when there is none."""
    found = _env_key(environ)
    if found is not None:
        return found[0]
    if _read_keyring():
        return "keyring"
    if _read_file(home):
        return "file"
    return None


def set_api_key(home: Path, key: str | None) -> str | None:
    """Store the key (None or "" deletes it); return where it went: "keyring" or "file"."""
    key = (key or "").strip() or None
    register_secret(key)
    if keyring_usable():
        try:
            import keyring

            if key is None:
                with contextlib.suppress(Exception):
                    keyring.delete_password(SERVICE, ACCOUNT)
            else:
                keyring.set_password(SERVICE, ACCOUNT, key)
            # A key left in the file from an earlier machine state must not linger.
            _write_file(home, None)
            return "keyring" if key else None
        except Exception:
            log.warning("the system keyring could not store the key; using a private file")
    _write_file(home, key)
    return "file" if key else None

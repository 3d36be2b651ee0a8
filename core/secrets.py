"""API keys, one per host: from the environment, the system keyring, or a file only the user
can read.

A key belongs to the host it was entered for (``dashscope-intl.aliyuncs.com``,
``127.0.0.1:4000``) and is sent only there: pointing Paceline at another server, by Settings or
``PACELINE_API_BASE``, never hands it a key that was meant for someone else.

Order when reading: ``PACELINE_API_KEY`` (for whatever endpoint the person configured; it is
their explicit choice for this run), then ``DASHSCOPE_API_KEY`` (DashScope hosts only: its name
says where it belongs), then the key stored for the host. A key is stored in the system keyring
when a real backend exists (Secret Service, macOS Keychain, Windows Credential Locker); on a
machine without one (a headless Linux box, CI) it goes to ``<home>/secrets.json`` with mode 0600.
Every key read or stored is registered with :func:`core.logs.register_secret`, so no log line
can carry it.

Releases before keys were kept per host stored one key (account ``api_key``, or ``"api_key"``
in the file); it is given to the host the saved settings pointed at, the one it was being sent
to, the first time a key is looked up.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from core.logs import register_secret

log = logging.getLogger(__name__)

ENV_VARS = ("PACELINE_API_KEY", "DASHSCOPE_API_KEY")
SERVICE = "Paceline"
ACCOUNT = "api_key"  # the single key of releases before per-host keys
SECRETS_NAME = "secrets.json"


def account(host: str) -> str:
    """The keyring account (and file entry) of the key for ``host``."""
    return f"{ACCOUNT}@{host}"


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


def _env_key(environ: Mapping[str, str] | None, dashscope: bool) -> tuple[str, str] | None:
    env = os.environ if environ is None else environ
    for var in ENV_VARS:
        if var == "DASHSCOPE_API_KEY" and not dashscope:
            continue
        value = (env.get(var) or "").strip()
        if value:
            return var, value
    return None


def _file(home: Path) -> Path:
    return home / SECRETS_NAME


def _load_file(home: Path) -> dict[str, Any]:
    try:
        data = json.loads(_file(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _clean(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _read_file(home: Path, name: str) -> str | None:
    return _clean(_load_file(home).get(name))


def _write_file(home: Path, name: str, key: str | None) -> None:
    data = _load_file(home)
    if key is None:
        data.pop(name, None)
    else:
        data[name] = key
    path = _file(home)
    if not data:
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
        json.dump(data, handle)
    os.replace(tmp, path)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)


def _read_keyring(name: str) -> str | None:
    if not keyring_usable():
        return None
    try:
        import keyring

        value = keyring.get_password(SERVICE, name)
    except Exception:  # a locked or absent Secret Service must not stop the app
        log.warning("the system keyring could not be read; using the key file if any")
        return None
    return _clean(value)


def _read_stored(home: Path, name: str) -> tuple[str, str] | None:
    """(where, key) of the stored entry ``name``: "keyring" or "file"."""
    value = _read_keyring(name)
    if value:
        return "keyring", value
    value = _read_file(home, name)
    return ("file", value) if value else None


def _adopt_single_key(home: Path) -> None:
    """Give the key of a release before per-host keys to the host it was being sent to."""
    found = _read_stored(home, ACCOUNT)
    if found is None:
        return
    # Imported here: settings and the endpoint rules need nothing from this module.
    from core import effective_config, providers, settings

    saved = settings.load_saved(home)
    try:
        # The person may have switched to the offline analyzer since: the key still belongs
        # to the service their settings name.
        host = effective_config.endpoint(replace(saved, provider="openai")).host
    except providers.UnknownPreset:
        host = ""
    if not host:
        return
    if _read_stored(home, account(host)) is None:
        _store(home, account(host), found[1])
    _store(home, ACCOUNT, None)
    log.info("the stored API key now belongs to %s, the host the settings name", host)


def stored_api_key(home: Path, host: str) -> str | None:
    """The key stored for ``host``, or None."""
    _adopt_single_key(home)
    found = _read_stored(home, account(host)) if host else None
    key = found[1] if found else None
    register_secret(key)
    return key


def get_api_key(
    home: Path, environ: Mapping[str, str] | None = None, *, host: str, dashscope: bool = False
) -> str | None:
    """The key to send to ``host``: an environment variable wins over the stored key."""
    found = _env_key(environ, dashscope)
    if found is not None:
        register_secret(found[1])
        return found[1]
    return stored_api_key(home, host)


def key_source(
    home: Path, environ: Mapping[str, str] | None = None, *, host: str, dashscope: bool = False
) -> str | None:
    """Where the key for ``host`` comes from, for the settings dialog: an environment variable's
    name, "keyring", "file", or None when there is none."""
    found = _env_key(environ, dashscope)
    if found is not None:
        return found[0]
    _adopt_single_key(home)
    stored = _read_stored(home, account(host)) if host else None
    return stored[0] if stored else None


def _store(home: Path, name: str, key: str | None) -> str | None:
    if keyring_usable():
        try:
            import keyring

            if key is None:
                with contextlib.suppress(Exception):
                    keyring.delete_password(SERVICE, name)
            else:
                keyring.set_password(SERVICE, name, key)
            # A key left in the file from an earlier machine state must not linger.
            _write_file(home, name, None)
            return "keyring" if key else None
        except Exception:
            log.warning("the system keyring could not store the key; using a private file")
    _write_file(home, name, key)
    return "file" if key else None


def set_api_key(home: Path, key: str | None, *, host: str) -> str | None:
    """Store the key for ``host`` (None or "" deletes it); return where it went: "keyring" or
    "file"."""
    if not host:
        raise ValueError("a key is stored for a host")
    key = (key or "").strip() or None
    register_secret(key)
    _adopt_single_key(home)
    return _store(home, account(host), key)

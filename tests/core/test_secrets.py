"""The API key: environment first, then the keyring when a real one exists, else a 0600 file."""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail

from core import secrets
from core.logs import scrub, setup_logging
from core.paths import SETTINGS_NAME

KEY = "sk-live-0123456789abcdef"


class MemoryKeyring(KeyringBackend):
    """A keyring backend that really stores, in memory: the shape of Secret Service."""

    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(before)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(before)


def test_unusable_backends_are_recognised(no_keyring: None) -> None:
    assert not secrets.keyring_usable()
    keyring.set_keyring(chainer.ChainerBackend())  # nothing behind it on this machine
    if not chainer.ChainerBackend().backends:
        assert not secrets.keyring_usable()


HOST = "dashscope-intl.aliyuncs.com"


def test_without_a_keyring_the_key_goes_to_a_private_file(home: Path, no_keyring: None) -> None:
    assert secrets.get_api_key(home, environ={}, host=HOST) is None
    assert secrets.set_api_key(home, KEY, host=HOST) == "file"
    path = home / secrets.SECRETS_NAME
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert secrets.get_api_key(home, environ={}, host=HOST) == KEY
    assert secrets.key_source(home, environ={}, host=HOST) == "file"
    assert secrets.set_api_key(home, "", host=HOST) is None
    assert not path.exists() and secrets.get_api_key(home, environ={}, host=HOST) is None


def test_with_a_keyring_the_key_goes_there(home: Path,
                                           memory_keyring: MemoryKeyring) -> None:
    assert secrets.keyring_usable()
    assert secrets.set_api_key(home, KEY, host=HOST) == "keyring"
    assert memory_keyring.store == {(secrets.SERVICE, secrets.account(HOST)): KEY}
    assert not (home / secrets.SECRETS_NAME).exists()
    assert secrets.get_api_key(home, environ={}, host=HOST) == KEY
    assert secrets.key_source(home, environ={}, host=HOST) == "keyring"
    secrets.set_api_key(home, None, host=HOST)
    assert memory_keyring.store == {}


def test_a_key_is_sent_only_to_the_host_it_was_stored_for(home: Path, no_keyring: None) -> None:
    secrets.set_api_key(home, KEY, host=HOST)
    secrets.set_api_key(home, "sk-local-proxy-999", host="127.0.0.1:4000")
    assert secrets.get_api_key(home, environ={}, host=HOST) == KEY
    assert secrets.get_api_key(home, environ={}, host="127.0.0.1:4000") == "sk-local-proxy-999"
    # a server the person pointed Paceline at later gets no key meant for another
    assert secrets.get_api_key(home, environ={}, host="evil.example.com") is None
    assert secrets.key_source(home, environ={}, host="evil.example.com") is None


def test_environment_overrides_the_stored_key(home: Path, no_keyring: None) -> None:
    secrets.set_api_key(home, KEY, host=HOST)
    env = {"DASHSCOPE_API_KEY": "sk-dash-aaaaaaaa", "PACELINE_API_KEY": "sk-pace-bbbbbbbb"}
    assert secrets.get_api_key(home, environ=env, host=HOST, dashscope=True) == "sk-pace-bbbbbbbb"
    assert secrets.key_source(home, environ=env, host=HOST) == "PACELINE_API_KEY"
    del env["PACELINE_API_KEY"]
    assert secrets.get_api_key(home, environ=env, host=HOST, dashscope=True) == "sk-dash-aaaaaaaa"
    # DASHSCOPE_API_KEY says where it belongs: never to another service
    assert secrets.get_api_key(home, environ=env, host="api.openai.com") is None
    assert secrets.get_api_key(home, environ={"PACELINE_API_KEY": "  "}, host=HOST) == KEY


def test_the_single_key_of_an_older_release_goes_to_the_saved_host(
    home: Path, no_keyring: None
) -> None:
    # An older release kept one key, sent to whatever URL was set: here a LiteLLM proxy.
    (home / secrets.SECRETS_NAME).write_text(json.dumps({"api_key": KEY}), encoding="utf-8")
    (home / SETTINGS_NAME).write_text(json.dumps(
        {"provider": "offline", "preset": "custom", "api_base": "http://127.0.0.1:4000/v1"}),
        encoding="utf-8")
    assert secrets.get_api_key(home, environ={}, host=HOST) is None
    assert secrets.get_api_key(home, environ={}, host="127.0.0.1:4000") == KEY
    stored = json.loads((home / secrets.SECRETS_NAME).read_text(encoding="utf-8"))
    assert stored == {secrets.account("127.0.0.1:4000"): KEY}


def test_a_key_that_was_read_is_scrubbed_from_logs(home: Path, no_keyring: None) -> None:
    odd = "not-prefixed-secret-42xyz"  # no "sk-" shape: only registration catches it
    secrets.get_api_key(home, environ={"PACELINE_API_KEY": odd}, host=HOST)
    assert odd not in scrub(f"calling with {odd}")
    log_path = setup_logging(home, "secrets-test")
    root = logging.getLogger()
    try:
        logging.getLogger("paceline.test").warning("key is %s", odd)
    finally:
        for handler in [h for h in root.handlers if getattr(h, "_paceline", False)]:
            handler.close()
            root.removeHandler(handler)
    assert odd not in log_path.read_text(encoding="utf-8")
    assert "key is ***" in log_path.read_text(encoding="utf-8")

"""An API key never goes over plain http:// to a host outside this machine and its LAN."""

from __future__ import annotations

import pytest

from core.analyzers.openai_compat import key_safe_over_http, make_openai_analyzer
from core.settings import Settings, SettingsError

KEY = "sk-test-4f7a9c2e1b8d6035"


def _custom(base: str) -> Settings:
    return Settings(provider="openai", preset="custom", api_base=base, model="m")


@pytest.mark.parametrize("base", [
    "http://localhost:8000/v1", "http://127.0.0.1:9/v1", "http://127.8.9.10/v1",
    "http://[::1]:8000/v1", "http://192.168.1.20:8000/v1", "http://10.0.0.5/v1",
    "http://172.16.3.4/v1", "http://169.254.1.1/v1", "http://[fd00::5]/v1",
    "http://gpu-box.local:8000/v1", "http://LOCALHOST./v1",
])
def test_key_goes_to_local_and_lan_hosts_over_http(base: str) -> None:
    assert key_safe_over_http(base)
    assert make_openai_analyzer(_custom(base), api_key=KEY).base_url == base.rstrip("/")


@pytest.mark.parametrize("base", [
    "http://api.example.com/v1", "http://8.8.8.8/v1", "http://[2001:4860::8888]/v1",
    "http://gpu-box:8000/v1", "http://localhost.example.com/v1",
])
def test_key_is_refused_over_http_to_other_hosts(base: str) -> None:
    assert not key_safe_over_http(base)
    with pytest.raises(SettingsError) as caught:
        make_openai_analyzer(_custom(base), api_key=KEY)
    message = str(caught.value)
    assert "https://" in message and "remove the API key" in message
    assert KEY not in message


def test_without_a_key_http_is_fine_and_https_always() -> None:
    assert make_openai_analyzer(_custom("http://api.example.com/v1"), api_key="").base_url
    assert make_openai_analyzer(_custom("https://api.example.com/v1"), api_key=KEY).base_url

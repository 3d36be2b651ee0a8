"""A real LiteLLM proxy on 127.0.0.1 for tests and benchmarks (no database, no network).

Paceline talks to OpenAI-compatible gateways, and LiteLLM is the one most users put in front
of their keys. Its answers (per-key 429s, ``x-ratelimit-*`` headers, "No connected db.",
"Invalid model name", SSE chunking) are hard to fake faithfully, so tests start the real
thing: every deployment answers from ``mock_response`` and never leaves the machine.

Usage::

    from tests.litellm_proxy import KeyLimits, LiteLLMProxy, MockModel, litellm_available

    pytestmark = pytest.mark.skipif(not litellm_available(), reason="no LiteLLM proxy")

    with LiteLLMProxy(keys={"sk-rpm30": KeyLimits(rpm_limit=30)}) as proxy:
        httpx.post(f"{proxy.api_base}/chat/completions",
                   headers={"Authorization": "Bearer sk-rpm30"},
                   json={"model": "mock", "messages": [{"role": "user", "content": "hi"}]})

Keys and limits. ``keys`` maps an API key to its :class:`KeyLimits`; a generated custom auth
hook (``general_settings.custom_auth``) returns ``UserAPIKeyAuth(rpm_limit=..., tpm_limit=...,
max_parallel_requests=...)`` for it, and LiteLLM's own parallel request limiter (v3, in
memory, no redis) enforces them. Any other key gets a 401 from the hook; the master key is
always let in as proxy admin. ``keys=None`` starts the proxy with no custom auth and only a
master key: then a wrong key gets LiteLLM's real 400 "No connected db." answer (it would look
the key up in a database, and there is none). An unknown model name gets LiteLLM's 400
"Invalid model name passed in model=...". ``DEFAULT_KEYS`` and ``DEFAULT_MODELS`` hold the
keys and models most tests need.

Limits count in a fixed window per key that opens with the key's first request and lasts
``window_seconds`` (LiteLLM's ``LITELLM_RATE_LIMIT_WINDOW_SIZE``, 60 by default; whole
seconds); requests refused inside it do not move it. The 429 always says ``retry-after:
<window_seconds>`` whatever is left of the window. A shorter window lets a test see a limit
reset without waiting a minute, at the price of headers that differ from a production
proxy's. TPM is charged an estimate before the call (prompt characters / 4, plus
``max_tokens`` or, without it, max(that estimate, min(1024, tpm_limit / 4))) and corrected to
the answer's reported usage just after it, so a request whose estimate alone is above the
limit gets a 429 every time. Non-streamed 200s carry ``x-ratelimit-api_key-{remaining,limit}-
{requests,tokens,max_parallel_requests}``; streams and 429s carry none of them.

Outage. ``stop()`` kills the server (its whole process group, SIGTERM then SIGKILL) and
``start()`` starts it again on the same port, so a client configured with ``base_url`` sees
connection refused between the two and the same address afterwards::

    with LiteLLMProxy() as proxy:
        ...              # server up
        proxy.stop()     # server down: connections are refused
        ...
        proxy.start()    # up again on the same port; blocks until it answers (~10 s)

A restart forgets every rate-limit counter (they live in the process's memory).

Which LiteLLM runs: ``$PACELINE_LITELLM`` (path to a ``litellm`` executable), else
``<repo>/.litellm-venv/bin/litellm``, else ``/tmp/llm/bin/litellm``. It needs
``pip install 'litellm[proxy]==1.108.7' prisma``: without the ``prisma`` package LiteLLM's
auth-error path raises ModuleNotFoundError and answers a bare 500 instead of its JSON error.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

ROOT = Path(__file__).resolve().parent.parent

MASTER_KEY = "sk-master-paceline"
# The text of the U+2028 deployment: LINE SEPARATOR, PARAGRAPH SEPARATOR and NEXT LINE are
# line breaks for str.splitlines() but not for SSE, so a client that splits the stream with
# splitlines() cuts a JSON chunk in two.
SEPARATORS_TEXT = "one\u2028two\u2029three\u0085four"


@dataclass(frozen=True)
class KeyLimits:
    """The per-key limits LiteLLM enforces for one API key (None: no such limit)."""

    rpm_limit: int | None = None
    tpm_limit: int | None = None
    max_parallel_requests: int | None = None

    def as_auth_fields(self) -> dict[str, int]:
        return {name: value for name, value in vars(self).items() if value is not None}


@dataclass(frozen=True)
class MockModel:
    """One model name the proxy serves; it answers ``response`` without calling anything.

    ``delay`` is LiteLLM's ``mock_delay``: seconds slept before the status line, streamed or
    not, which is what makes ``max_parallel_requests`` and timeouts observable.
    ``usage=(prompt_tokens, completion_tokens)`` makes the answer report that usage (what a
    TPM limit is charged after the call); such a model answers non-streamed requests only,
    because LiteLLM builds it from a whole-response dict. Without it a non-streamed answer
    reports 10 + 20 tokens (see ``LiteLLMProxy(mock_*_tokens=...)``) and a streamed one
    counts the actual text. ``litellm_params`` adds raw LiteLLM parameters.
    """

    name: str
    response: str = "ok"
    delay: float | None = None
    usage: tuple[int, int] | None = None
    litellm_params: Mapping[str, object] = field(default_factory=dict)

    def mock_response(self) -> str | dict[str, object]:
        if self.usage is None:
            return self.response
        prompt, completion = self.usage
        return {
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": self.response},
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }

    def deployment(self) -> dict[str, object]:
        params: dict[str, object] = {
            # The openai/ provider prefix only decides the answer's shape; mock_response
            # short-circuits before any request leaves the proxy.
            "model": f"openai/{self.name}",
            "api_key": "sk-unused",
            "mock_response": self.mock_response(),
        }
        if self.delay is not None:
            params["mock_delay"] = self.delay
        params.update(self.litellm_params)
        return {"model_name": self.name, "litellm_params": params}


DEFAULT_MODELS: tuple[MockModel, ...] = (
    MockModel("mock", "The mock answer."),
    MockModel("slow", "The slow answer.", delay=1.0),
    MockModel("separators", SEPARATORS_TEXT),
    # 4000 tokens an answer: a key with tpm_limit=6000 gets a 429 on its second or third call.
    MockModel("heavy", "The heavy answer.", usage=(3000, 1000)),
)

DEFAULT_KEYS: Mapping[str, KeyLimits] = {
    "sk-free": KeyLimits(),
    "sk-rpm30": KeyLimits(rpm_limit=30),
    "sk-one": KeyLimits(max_parallel_requests=1),
    "sk-tpm6000": KeyLimits(tpm_limit=6000),
}

_AUTH_MODULE = "paceline_test_auth"
_AUTH_SOURCE = '''"""Written by tests/litellm_proxy.py: a test proxy's API keys and their limits."""

import json

from fastapi import HTTPException, Request
from litellm.proxy._types import LitellmUserRoles, UserAPIKeyAuth

_KEYS = json.loads({keys!r})
_MASTER_KEY = {master_key!r}


async def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:
    if api_key == _MASTER_KEY:
        return UserAPIKeyAuth(api_key=api_key, user_role=LitellmUserRoles.PROXY_ADMIN)
    limits = _KEYS.get(api_key)
    if limits is None:
        # An HTTPException becomes LiteLLM's JSON auth error; any other exception would send
        # LiteLLM down its database-error check first.
        raise HTTPException(status_code=401, detail="Authentication Error, unknown test key")
    return UserAPIKeyAuth(api_key=api_key, **limits)
'''

# Variables that would make the proxy look for a database, redis or a different master key.
_SCRUBBED_ENV = (
    "DATABASE_URL",
    "DIRECT_URL",
    "STORE_MODEL_IN_DB",
    "LITELLM_MASTER_KEY",
    "LITELLM_CONFIG_PATH",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_PASSWORD",
    "REDIS_URL",
    "LEGACY_MULTI_INSTANCE_RATE_LIMITING",
)


def litellm_executable() -> Path | None:
    """The ``litellm`` executable the harness would run, or None when there is none."""
    configured = os.environ.get("PACELINE_LITELLM")
    candidates = (
        [Path(configured)]
        if configured
        else [ROOT / ".litellm-venv" / "bin" / "litellm", Path("/tmp/llm/bin/litellm")]
    )
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def litellm_available() -> bool:
    """True when a LiteLLM proxy can be started (for ``pytest.mark.skipif``)."""
    return litellm_executable() is not None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiteLLMProxyError(RuntimeError):
    """The proxy did not come up; the message ends with the tail of its log."""


class LiteLLMProxy:
    """A LiteLLM proxy subprocess with mock deployments; see the module docstring."""

    def __init__(
        self,
        models: Sequence[MockModel] = DEFAULT_MODELS,
        keys: Mapping[str, KeyLimits] | None = DEFAULT_KEYS,
        *,
        master_key: str = MASTER_KEY,
        port: int | None = None,
        window_seconds: int | None = None,
        mock_prompt_tokens: int | None = None,
        mock_completion_tokens: int | None = None,
        extra_env: Mapping[str, str] | None = None,
        executable: Path | None = None,
        startup_timeout: float = 120.0,
    ) -> None:
        """``keys=None``: no custom auth, only ``master_key`` (wrong keys get "No connected db.").

        ``window_seconds`` shortens LiteLLM's rate-limit window (default 60).
        ``mock_prompt_tokens``/``mock_completion_tokens`` set the usage a non-streamed mock
        answer reports (LiteLLM's defaults: 10 and 20); TPM limits count that usage.
        """
        self.models = tuple(models)
        self.keys = dict(keys) if keys is not None else None
        self.master_key = master_key
        self.port = port if port is not None else free_port()
        self.window_seconds = window_seconds
        self.mock_prompt_tokens = mock_prompt_tokens
        self.mock_completion_tokens = mock_completion_tokens
        self.extra_env = dict(extra_env or {})
        self.executable = executable
        self.startup_timeout = startup_timeout
        self.startup_seconds: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None
        self._log: Path | None = None

    # -- addresses -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """What an OpenAI client takes as its base URL."""
        return f"{self.base_url}/v1"

    @property
    def config_dir(self) -> Path:
        if self._dir is None:
            raise RuntimeError("the proxy was never started")
        return self._dir

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_text(self) -> str:
        """Everything the proxy printed so far (for failure messages)."""
        if self._log is None or not self._log.exists():
            return ""
        return self._log.read_text(encoding="utf-8", errors="replace")

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> LiteLLMProxy:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Start the server (again) on ``self.port``; blocks until it answers."""
        if self.running:
            return
        executable = self.executable or litellm_executable()
        if executable is None:
            raise LiteLLMProxyError("no litellm executable (set PACELINE_LITELLM)")
        config = self._write_files()
        assert self._log is not None
        env = self._environment()
        started = time.monotonic()
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    str(executable),
                    "--config",
                    str(config),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--num_workers",
                    "1",
                ],
                cwd=self.config_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so stop() also ends whatever litellm spawns.
                start_new_session=True,
            )
        try:
            self._wait_until_up(started)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started

    def stop(self, term_timeout: float = 5.0) -> None:
        """Take the server down (port stays reserved for ``start()``); idempotent."""
        process = self._process
        if process is None:
            return
        self._process = None
        if process.poll() is None:
            # The whole group: whatever litellm spawned must not keep the port either.
            self._signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=term_timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(process, signal.SIGKILL)
                process.wait(timeout=10)

    def close(self) -> None:
        """Stop the server and delete its temporary directory."""
        self.stop()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
            self._log = None

    # -- internals -------------------------------------------------------------------------

    @staticmethod
    def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)

    def config(self) -> dict[str, object]:
        """The config.yaml content (written as JSON, which YAML reads as it is)."""
        general: dict[str, object] = {"master_key": self.master_key}
        if self.keys is not None:
            general["custom_auth"] = f"{_AUTH_MODULE}.user_api_key_auth"
        return {
            "model_list": [model.deployment() for model in self.models],
            "general_settings": general,
        }

    def _write_files(self) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="paceline-litellm-"))
            self._log = self._dir / "proxy.log"
        config = self._dir / "config.yaml"
        # ensure_ascii keeps U+2028/U+2029/U+0085 as \u escapes: raw, YAML would read U+0085
        # and U+2028 as line breaks inside the quoted scalar.
        config.write_text(json.dumps(self.config(), indent=2, ensure_ascii=True), encoding="ascii")
        if self.keys is not None:
            keys = json.dumps({key: limits.as_auth_fields() for key, limits in self.keys.items()})
            (self._dir / f"{_AUTH_MODULE}.py").write_text(
                _AUTH_SOURCE.format(keys=keys, master_key=self.master_key), encoding="utf-8"
            )
        return config

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        # Without this LiteLLM spends ~6 s at start-up retrying a download of its model price
        # list, which fails offline anyway and falls back to the copy it ships.
        env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
        env["NO_DOCS"] = "True"
        env["PYTHONUNBUFFERED"] = "1"
        if self.window_seconds is not None:
            env["LITELLM_RATE_LIMIT_WINDOW_SIZE"] = str(self.window_seconds)
        if self.mock_prompt_tokens is not None:
            env["DEFAULT_MOCK_RESPONSE_PROMPT_TOKEN_COUNT"] = str(self.mock_prompt_tokens)
        if self.mock_completion_tokens is not None:
            env["DEFAULT_MOCK_RESPONSE_COMPLETION_TOKEN_COUNT"] = str(self.mock_completion_tokens)
        env.update(self.extra_env)
        return env

    def _wait_until_up(self, started: float) -> None:
        deadline = started + self.startup_timeout
        with httpx.Client(timeout=2.0) as client:
            while True:
                process = self._process
                if process is None or process.poll() is not None:
                    raise LiteLLMProxyError(
                        f"litellm exited with {process.returncode if process else None}:\n"
                        + self.log_text()[-4000:]
                    )
                try:
                    if client.get(f"{self.base_url}/health/liveliness").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise LiteLLMProxyError(
                        f"litellm did not answer within {self.startup_timeout:.0f} s:\n"
                        + self.log_text()[-4000:]
                    )
                # Polling a server that is starting up: this is real time the server needs.
                time.sleep(0.1)

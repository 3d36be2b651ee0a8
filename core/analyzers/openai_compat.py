"""The OpenAI-compatible analyzer: DashScope, OpenAI, Ollama, LM Studio, vLLM, llama.cpp.

One shared ``httpx.AsyncClient`` per analyzer, with no retries of its own: the worker owns
retries, backoff and pacing, so a failed call must surface at once as a classified
:class:`~core.errors.ProviderError`. Answers are streamed (SSE, with
``stream_options.include_usage`` for token counts), and streamed tokens feed the progress bar;
a server that answers with plain JSON instead is read as such.

Events are parsed as the SSE spec says (httpx-sse): lines end at CR, LF or CRLF only, so a line
separator, NEL or form feed inside an answer stays in the answer. Every answer, error bodies
included, is read to its end so its connection goes back to the pool for the next call.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import json
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import EventSource, ServerSentEvent

from core import effective_config, paths, providers, secrets
from core.analyzers.base import CallResult, Progress, split_text
from core.analyzers.provider_errors import (
    classify_http,
    classify_transport,
    malformed,
    truncated,
)
from core.documents.source import PageImage
from core.errors import ErrorClass, ProviderError
from core.jobs import Profile
from core.logs import register_secret
from core.settings import Settings, SettingsError
from core.vision import VisionSpec, vision_spec

CONNECT_TIMEOUT_S = 10.0
WRITE_TIMEOUT_S = 60.0
# How long to wait for the end of a stream after [DONE]: reading it lets the connection be
# reused, but a server that keeps the stream open must not hold the job.
DRAIN_AFTER_DONE_S = 2.0

PART_NOTE = (
    "\n\nThe text below is part {index} of {count} of a longer document. Analyse this part "
    "on its own; a later step combines the analyses of all parts."
)
COMBINE_PROMPT = (
    "A document was too long for one request, so it was analysed in {count} consecutive "
    "parts. You are given the analyses of the parts, in order. Merge them into one answer for "
    "the whole document that follows these instructions, without mentioning the parts:\n\n"
    "{prompt}"
)


def proxy_for(url: str) -> str | None:
    """The HTTP(S) proxy from the environment for this URL; never one for a loopback host."""
    host = httpx.URL(url).host
    if not host or host == "localhost" or host.startswith("127.") or host == "::1":
        return None
    try:
        if urllib.request.proxy_bypass(host):
            return None
    except OSError:
        return None
    proxies = urllib.request.getproxies()
    proxy = proxies.get(httpx.URL(url).scheme) or proxies.get("all")
    # SOCKS would need an extra package: go direct rather than fail to start.
    return proxy if proxy and proxy.startswith(("http://", "https://")) else None


def http_client(
    base_url: str, timeout: httpx.Timeout, *, max_connections: int | None = None
) -> httpx.AsyncClient:
    """A connection pool for an OpenAI-compatible server, as calls and batches both use it:
    no retries below Paceline's own (a paid call is never repeated unseen), the environment's
    proxy for this URL, and no redirects (the key must not follow one to another host)."""
    limits = (
        httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        if max_connections else httpx.Limits()
    )
    transport = httpx.AsyncHTTPTransport(retries=0, limits=limits, proxy=proxy_for(base_url))
    return httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False,
                             headers={"User-Agent": "Paceline"})


def bearer_headers(api_key: str | None, accept: str = "application/json") -> dict[str, str]:
    """The key as a Bearer header, as every OpenAI-compatible server takes it."""
    headers = {"Accept": accept}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


@dataclass
class _Stream:
    """What has arrived of one streamed answer."""

    pieces: list[str] = field(default_factory=list)
    usage: Mapping[str, Any] | None = None
    finish_reason: str | None = None
    done: bool = False
    tokens: int = 0  # streamed chunks, each about one token
    received: bool = False
    reported: int = 0  # output tokens last passed to progress


def image_content(text: str, images: Sequence[PageImage]) -> list[dict[str, Any]]:
    """A user message of page images, as OpenAI-compatible ``image_url`` parts (DashScope,
    OpenAI, vLLM, Ollama and LM Studio all take base64 data URLs)."""
    labels = ", ".join(image.label for image in images)
    intro = (
        text
        or f"The document's {'pages are' if len(images) > 1 else 'page is'} "
        f"attached as {'images' if len(images) > 1 else 'an image'} ({labels})."
    )
    content: list[dict[str, Any]] = [{"type": "text", "text": intro}]
    for image in images:
        url = f"data:{image.mime};base64,{base64.b64encode(image.data).decode('ascii')}"
        content.append({"type": "image_url", "image_url": {"url": url}})
    return content


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, marked when cut."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 2)
    return text[: cut if cut > limit // 2 else limit - 2].rstrip() + " …"


class OpenAICompatAnalyzer:
    paced = True

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        *,
        context_chars: int = 24_000,
        max_output_tokens: int = 1024,
        timeout_s: float = 600.0,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        max_connections: int = 4,
        dashscope: bool = False,
        preset: str = "custom",
        stream: bool = True,
        vision: str = "auto",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key or None
        self.model = model
        # A tiny part size would turn one document into hundreds of paid calls.
        self.context_chars = max(500, context_chars)
        self.max_output_tokens = max(1, max_output_tokens)
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.max_connections = max(1, max_connections)
        self.dashscope = dashscope
        self.preset = preset
        # A job record names the preset (or "custom") and the host its calls went to.
        self.provider = preset
        self.host = effective_config.host_of(self.base_url)
        self.stream = stream
        self.vision_setting = vision
        # The ETA learns durations per engine; an unnamed model is keyed by its preset.
        self.engine = f"openai:{model or preset}"
        self._client: httpx.AsyncClient | None = None
        register_secret(api_key)

    def __repr__(self) -> str:  # never show the key, even in a debugger or a traceback
        return f"OpenAICompatAnalyzer({self.base_url!r}, model={self.model!r})"

    # ------------------------------------------------------------------ the protocol

    @property
    def part_chars(self) -> int:
        return self.context_chars

    @property
    def vision(self) -> VisionSpec | None:
        # A property: a model left blank is only known once the server has named it.
        return vision_spec(self.model, self.vision_setting)

    def split(self, text: str) -> list[str]:
        return split_text(text, self.context_chars)

    async def analyze_part(
        self,
        text: str,
        profile: Profile,
        *,
        index: int,
        count: int,
        progress: Progress,
        images: Sequence[PageImage] = (),
    ) -> CallResult:
        messages = self.part_messages(text, profile, index=index, count=count, images=images)
        return await self.chat(messages, progress)

    async def combine(
        self, partials: list[str], profile: Profile, *, progress: Progress
    ) -> CallResult:
        return await self.chat(self.combine_messages(partials, profile), progress)

    # A batch (core/batch_runner.py) sends the very requests a call would: one builder each.

    def part_messages(
        self,
        text: str,
        profile: Profile,
        *,
        index: int,
        count: int,
        images: Sequence[PageImage] = (),
    ) -> list[dict[str, Any]]:
        """The chat messages that ask for one part's analysis."""
        system = profile.prompt
        if count > 1:
            system += PART_NOTE.format(index=index + 1, count=count)
        user: str | list[dict[str, Any]] = text
        if images:
            user = image_content(text, images)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def combine_messages(self, partials: list[str], profile: Profile) -> list[dict[str, Any]]:
        """The chat messages that merge the parts' answers into one."""
        count = len(partials)
        # Every part result is already paid for: if together they exceed the model's part
        # size, each is shortened to its fair share rather than failing the whole job with
        # "context too long" at the last call.
        share = max(200, self.context_chars // max(1, count) - 40)
        joined = "\n\n".join(
            f"### Part {n} of {count}\n\n{shorten(text.strip(), share)}"
            for n, text in enumerate(partials, 1)
        )
        return [
            {
                "role": "system",
                "content": COMBINE_PROMPT.format(count=count, prompt=profile.prompt),
            },
            {"role": "user", "content": joined},
        ]

    def request_body(
        self, model: str, messages: list[dict[str, Any]], *, stream: bool
    ) -> dict[str, Any]:
        """A chat completion request's body, as a call or a batch line sends it."""
        body: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "max_tokens": self.max_output_tokens,
        }
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ------------------------------------------------------------------ calls

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            # Generations can take minutes: the read timeout is the person's setting, the
            # connect timeout stays short so an unreachable server is reported quickly.
            timeout = httpx.Timeout(
                connect=self.connect_timeout_s,
                read=self.timeout_s,
                write=WRITE_TIMEOUT_S,
                pool=self.timeout_s,
            )
            self._client = http_client(self.base_url, timeout,
                                       max_connections=self.max_connections)
        return self._client

    def _headers(self, accept: str = "application/json") -> dict[str, str]:
        return bearer_headers(self._api_key, accept)

    def _secrets(self) -> tuple[str, ...]:
        return (self._api_key,) if self._api_key else ()

    def _http_error(self, status: int, body: Any, headers: Mapping[str, str]) -> ProviderError:
        return classify_http(
            status,
            body,
            headers,
            dashscope=self.dashscope,
            secrets=self._secrets(),
            model=self.model,
            has_key=self._api_key is not None,
        )

    async def list_models(self) -> list[str]:
        """Model ids from GET /models (not a paid call)."""
        url = f"{self.base_url}/models"
        try:
            response = await self.client.get(url, headers=self._headers())
            raw = await response.aread()
        except httpx.HTTPError as exc:
            raise classify_transport(
                exc, url=url, timeout_s=self.timeout_s, secrets=self._secrets()
            ) from None
        if response.status_code >= 300:
            raise self._http_error(response.status_code, raw, response.headers)
        try:
            data = json.loads(raw)
            items = data["data"] if isinstance(data, dict) else data
            return sorted({str(item["id"]) for item in items})
        except (ValueError, KeyError, TypeError):
            raise malformed("the model list is not in the OpenAI format") from None

    async def resolve_model(self) -> str:
        # Local servers (LM Studio, vLLM) serve whatever is loaded: take the first one.
        if not self.model:
            models = await self.list_models()
            if not models:
                raise ProviderError(
                    "bad_model",
                    "The server lists no model. Load a model or name one in "
                    "Settings, then resume the queue.",
                    error_class=ErrorClass.STOP_QUEUE,
                )
            self.model = models[0]
        return self.model

    async def chat(self, messages: list[dict[str, Any]], progress: Progress) -> CallResult:
        """One chat completion; streamed when the server streams."""
        body = self.request_body(await self.resolve_model(), messages, stream=self.stream)
        url = f"{self.base_url}/chat/completions"
        state = _Stream()
        accept = "text/event-stream" if self.stream else "application/json"
        try:
            async with self.client.stream(
                "POST", url, json=body, headers=self._headers(accept)
            ) as response:
                if response.status_code >= 300:
                    raw = await response.aread()
                    raise self._http_error(response.status_code, raw, response.headers)
                kind = response.headers.get("content-type", "")
                if "text/event-stream" in kind:
                    await self._read_events(response, state, progress)
                else:
                    await self._read_json(response, state)
                headers = dict(response.headers)
        except httpx.HTTPError as exc:
            raise classify_transport(
                exc,
                url=url,
                received_any=state.received,
                timeout_s=self.timeout_s,
                secrets=self._secrets(),
            ) from None
        if not state.done and state.finish_reason is None:
            raise truncated("the stream ended before the server said it was finished")
        if state.finish_reason == "content_filter" and not state.pieces:
            raise ProviderError(
                "content_filter",
                "The provider's content filter refused this document.",
                error_class=ErrorClass.PERMANENT,
            )
        usage = state.usage or {}
        return CallResult(
            "".join(state.pieces),
            prompt_tokens=_int(usage.get("prompt_tokens")),
            completion_tokens=_int(usage.get("completion_tokens")) or state.tokens,
            headers=headers,
            finish_reason=state.finish_reason,
            output_limit=self.max_output_tokens,
        )

    async def _read_events(
        self, response: httpx.Response, state: _Stream, progress: Progress
    ) -> None:
        events = EventSource(response).aiter_sse()
        async with contextlib.aclosing(events):
            async for event in events:
                state.received = True
                if self._take_event(event, response, state):
                    break
                if state.tokens > state.reported:
                    state.reported = state.tokens
                    progress(state.tokens)
            if state.done:
                await _drain(events, response)

    def _take_event(self, event: ServerSentEvent, response: httpx.Response, state: _Stream) -> bool:
        """Take one event into ``state``; True at ``[DONE]``."""
        # Comments (": keep-alive") never reach here; an event without data (only "id:" or
        # "retry:") carries nothing to read.
        data = event.data.strip()
        if not data:
            return False
        if data == "[DONE]":
            state.done = True
            return True
        try:
            # strict=False: a few servers leave control characters (a form feed) unescaped
            # inside the answer's strings; they are text, not a reason to fail the job.
            chunk = json.loads(data, strict=False)
        except ValueError:
            raise malformed("a streamed event is not valid JSON") from None
        if not isinstance(chunk, dict):
            raise malformed("a streamed event is not a JSON object")
        self._take_chunk(chunk, state, response.headers)
        return False

    def _take_chunk(
        self, chunk: Mapping[str, Any], state: _Stream, headers: Mapping[str, str]
    ) -> None:
        if "error" in chunk or chunk.get("object") == "error":
            # An error after a 200 (vLLM, OpenAI mid-stream): classify it by its own code.
            code = chunk.get("code") if "error" not in chunk else None
            status = code if isinstance(code, int) and 100 <= code < 600 else 0
            raise self._http_error(status, dict(chunk), headers)
        usage = chunk.get("usage")
        if isinstance(usage, Mapping):
            state.usage = usage
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            piece = delta.get("content")
            if piece:
                state.pieces.append(piece)
                state.tokens += 1
            elif delta.get("reasoning_content"):
                state.tokens += 1  # thinking models spend output tokens before answering
            if choice.get("finish_reason"):
                state.finish_reason = choice["finish_reason"]

    async def _read_json(self, response: httpx.Response, state: _Stream) -> None:
        raw = await response.aread()
        state.received = True
        try:
            data = json.loads(raw)
            if "error" in data or data.get("object") == "error":
                raise self._http_error(response.status_code, data, response.headers)
            choice = data["choices"][0]
            content = choice["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise malformed("the answer is not an OpenAI chat completion") from None
        state.pieces.append(content)
        # A reason, when given, is kept as said: "length" marks an answer cut at the limit.
        state.finish_reason = choice.get("finish_reason") or "stop"
        state.usage = data.get("usage") if isinstance(data.get("usage"), Mapping) else None
        state.done = True


async def _drain(events: AsyncIterator[ServerSentEvent], response: httpx.Response) -> None:
    """Read the stream after ``[DONE]`` to its end, so the connection can be reused.

    Only the same iterator can go on (httpx reads a body once); whatever still comes is
    ignored. A server that keeps the stream open past ``DRAIN_AFTER_DONE_S`` gets its
    connection closed instead: a new one costs less than a job waiting on it.
    """
    try:
        async with asyncio.timeout(DRAIN_AFTER_DONE_S):
            async for _ in events:
                pass
    except (TimeoutError, httpx.HTTPError):
        # The answer is complete: a stream that will not end, or breaks after [DONE], only
        # costs its connection.
        await response.aclose()


def _int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def key_safe_over_http(base_url: str) -> bool:
    """Whether a key may go to this http:// URL: only a host that is not on the internet.

    Loopback is this machine. Private (RFC 1918, IPv6 ULA) and link-local addresses are allowed
    too: a vLLM or Ollama server on the LAN with a key over http is a common setup, and such an
    address is never routed over the internet, so the key stays on the person's own network.
    A host name other than localhost (or an mDNS .local name) is refused: we do not resolve it
    here, and a public name would send the key in clear text across the internet.
    """
    host = (urllib.parse.urlsplit(base_url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith((".localhost", ".local")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def endpoint_and_key(
    settings: Settings, *, api_key: str | None = None, home: Path | None = None
) -> tuple[effective_config.Endpoint, str | None]:
    """Where calls for these settings go, and the key to send there: the one kept for that
    host (core/secrets.py), never over plain http to a host outside this machine's network.

    One check for the analyzer and the batch client, so both refuse the same things.
    """
    try:
        target = effective_config.endpoint(settings)
    except providers.UnknownPreset as exc:
        raise SettingsError(str(exc)) from None
    base_url = target.base_url
    if not base_url:
        raise SettingsError(
            "The custom provider needs an API base URL: set it in Settings or PACELINE_API_BASE."
        )
    if not base_url.startswith(("http://", "https://")):
        raise SettingsError(f"The API base {base_url!r} must start with http:// or https://.")
    if api_key is None:
        api_key = secrets.get_api_key(home or paths.home(), host=target.host,
                                      dashscope=target.dashscope)
    if api_key and base_url.lower().startswith("http://") and not key_safe_over_http(base_url):
        # The key is a Bearer header: over plain http anyone on the way could read and reuse it.
        raise SettingsError(
            f"Paceline did not send your API key to {base_url}: it is plain http:// to a host "
            "outside this machine and its local network, so the key would travel unencrypted. "
            "Use an https:// address, or remove the API key if this server needs none."
        )
    return target, api_key


def make_openai_analyzer(
    settings: Settings, *, api_key: str | None = None, home: Path | None = None
) -> OpenAICompatAnalyzer:
    """The analyzer for these settings (:func:`endpoint_and_key` says where and with which
    key)."""
    target, key = endpoint_and_key(settings, api_key=api_key, home=home)
    return OpenAICompatAnalyzer(
        target.base_url,
        key,
        target.model,
        context_chars=settings.context_for(target.model),
        max_output_tokens=settings.max_output_tokens,
        timeout_s=settings.request_timeout_s,
        max_connections=settings.calls_at_once,
        dashscope=target.dashscope,
        preset=target.provider,
        vision=settings.vision,
    )

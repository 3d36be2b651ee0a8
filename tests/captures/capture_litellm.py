"""Capture real LiteLLM proxy answers into tests/captures/litellm/*.json (re-runnable).

    .venv/bin/python tests/captures/capture_litellm.py [--out DIR]

Starts two proxies with tests/litellm_proxy.py (one with per-key limits from a custom auth
hook, one with only a master key and no database) and saves, for each case, what went over
the wire: {"request", "status", "headers" (every response header), "body" (raw text; for a
stream the whole SSE text)} plus a "note". Ids, dates and call ids differ between runs; the
shapes, statuses, header names and messages are what tests should rely on.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.litellm_proxy import (  # noqa: E402  (needs the repository on sys.path first)
    DEFAULT_MODELS,
    KeyLimits,
    LiteLLMProxy,
    litellm_executable,
)

OUT = Path(__file__).resolve().parent / "litellm"
HI = [{"role": "user", "content": "Summarise this document."}]

KEYS: Mapping[str, KeyLimits] = {
    "sk-rpm30": KeyLimits(rpm_limit=30),
    "sk-one": KeyLimits(max_parallel_requests=1),
    "sk-tpm6000": KeyLimits(tpm_limit=6000),
    "sk-all": KeyLimits(rpm_limit=30, tpm_limit=6000, max_parallel_requests=2),
}


def litellm_version() -> str:
    executable = litellm_executable()
    if executable is None:
        raise SystemExit("no litellm executable (set PACELINE_LITELLM)")
    python = executable.parent / "python"
    return subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def headers_of(response: httpx.Response) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name, value in response.headers.multi_items():
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    return merged


class Recorder:
    def __init__(self, proxy: LiteLLMProxy, out: Path) -> None:
        self.proxy = proxy
        self.out = out
        self.client = httpx.Client(base_url=proxy.base_url, timeout=60)

    def send(
        self, key: str | None, body: Mapping[str, object], path: str = "/v1/chat/completions"
    ) -> tuple[dict[str, object], httpx.Response]:
        headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
        request: dict[str, object] = {
            "method": "POST",
            "path": path,
            "headers": headers,
            "json": dict(body),
        }
        with self.client.stream("POST", path, headers=headers, json=dict(body)) as response:
            response.read()
        return request, response

    def save(
        self, name: str, request: Mapping[str, object], response: httpx.Response, note: str
    ) -> None:
        record = {
            "note": note,
            "request": request,
            "status": response.status_code,
            "headers": headers_of(response),
            "body": response.content.decode("utf-8"),
        }
        path = self.out / f"{name}.json"
        # ensure_ascii keeps U+2028/U+2029/U+0085 visible as escapes in the file.
        path.write_text(json.dumps(record, indent=2, ensure_ascii=True) + "\n", encoding="ascii")
        print(f"{path.name}: {response.status_code}")

    def until(
        self, key: str, body: Mapping[str, object], status: int, limit: int
    ) -> tuple[dict[str, object], httpx.Response, int]:
        for sent in range(1, limit + 1):
            request, response = self.send(key, body)
            if response.status_code == status:
                return request, response, sent
        raise SystemExit(f"{key}: no {status} within {limit} requests")


def capture_limited(out: Path) -> None:
    with LiteLLMProxy(models=DEFAULT_MODELS, keys=KEYS) as proxy:
        rec = Recorder(proxy, out)

        body: dict[str, object] = {"model": "mock", "messages": HI}
        request, response = rec.send("sk-rpm30", body)
        rec.save("ok_non_streamed", request, response, "first call of key sk-rpm30 (rpm_limit=30)")

        request, response = rec.send("sk-all", body)
        rec.save(
            "ok_non_streamed_all_limits",
            request,
            response,
            "key sk-all: rpm_limit=30, tpm_limit=6000, max_parallel_requests=2; first call",
        )

        stream_body: dict[str, object] = {"model": "mock", "messages": HI, "stream": True}
        request, response = rec.send("sk-rpm30", stream_body)
        rec.save(
            "ok_streamed",
            request,
            response,
            "stream=true, key sk-rpm30: mock_response streams 3 characters a chunk; "
            "no x-ratelimit-* headers on a stream",
        )

        usage_body: dict[str, object] = {
            **stream_body,
            "stream_options": {"include_usage": True},
        }
        request, response = rec.send("sk-rpm30", usage_body)
        rec.save(
            "ok_streamed_usage",
            request,
            response,
            "stream=true with stream_options.include_usage: a last chunk with usage",
        )

        separators_body: dict[str, object] = {
            "model": "separators",
            "messages": HI,
            "stream": True,
        }
        request, response = rec.send("sk-rpm30", separators_body)
        rec.save(
            "ok_streamed_separators",
            request,
            response,
            "answer 'one\\u2028two\\u2029three\\u0085four' streamed: the three characters go "
            "raw (UTF-8, not \\u-escaped) inside the JSON of the data lines",
        )

        request, response = rec.send("sk-rpm30", {"model": "separators", "messages": HI})
        rec.save(
            "ok_non_streamed_separators",
            request,
            response,
            "the same answer non-streamed: raw U+2028/U+2029/U+0085 in the JSON body",
        )

        request, response, sent = rec.until("sk-rpm30", body, 429, 40)
        rec.save(
            "rpm_exceeded",
            request,
            response,
            f"key sk-rpm30 (rpm_limit=30): 429 on request {sent} after the 5 above "
            "(streams count too) within the same 60 s window",
        )

        heavy_body: dict[str, object] = {"model": "heavy", "messages": HI}
        request, response, sent = rec.until("sk-tpm6000", heavy_body, 429, 10)
        rec.save(
            "tpm_exceeded",
            request,
            response,
            f"key sk-tpm6000 (tpm_limit=6000), model 'heavy' reports 4000 tokens an answer: "
            f"429 on request {sent}",
        )

        big_body: dict[str, object] = {"model": "mock", "messages": HI, "max_tokens": 7000}
        request, response = rec.send("sk-all", big_body)
        rec.save(
            "tpm_exceeded_single_request",
            request,
            response,
            "key sk-all (tpm_limit=6000), one request whose estimate (prompt chars/4 + "
            "max_tokens) is above the limit: 429 at once, whatever was used before",
        )

        slow_body: dict[str, object] = {"model": "slow", "messages": HI}
        first: list[httpx.Response] = []
        holder = threading.Thread(
            target=lambda: first.append(rec.send("sk-one", slow_body)[1]), daemon=True
        )
        holder.start()
        # The first request must be inside the proxy (mock_delay=1 s) before the second.
        time.sleep(0.3)
        request, response = rec.send("sk-one", slow_body)
        holder.join()
        rec.save(
            "parallel_exceeded",
            request,
            response,
            "key sk-one (max_parallel_requests=1): second request while the first is in flight; "
            f"the first got {first[0].status_code if first else None}",
        )


def capture_without_db(out: Path) -> None:
    with LiteLLMProxy(models=DEFAULT_MODELS, keys=None) as proxy:
        rec = Recorder(proxy, out)
        body: dict[str, object] = {"model": "mock", "messages": HI}

        request, response = rec.send("sk-not-the-master-key", body)
        rec.save(
            "wrong_key_no_db",
            request,
            response,
            "proxy with master_key and no database, any other key",
        )

        request, response = rec.send(None, body)
        rec.save("missing_key", request, response, "no Authorization header")

        request, response = rec.send(proxy.master_key, {"model": "no-such-model", "messages": HI})
        rec.save("unknown_model", request, response, "master key, model name not in config")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    version = litellm_version()
    capture_limited(out)
    capture_without_db(out)
    (out / "VERSION").write_text(f"litellm {version}\n", encoding="ascii")
    print(f"LiteLLM {version}: captures in {out}")


if __name__ == "__main__":
    main()

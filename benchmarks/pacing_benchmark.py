"""Benchmark: how much of a server's quota does adaptive pacing use, at real LLM latencies?

The servers' limiters are not Paceline's: a per-minute fixed window from the ``limits`` package
(a window per key that opens with its first request, as LiteLLM counts) and a token bucket from
the ``token-bucket`` package holding a minute of quota (as OpenAI describes its limits), for
requests and for tokens. Each call takes 0.4 to 1.6 times its case's latency (1, 5 or 15 s).
With headers on, answers carry OpenAI's ``x-ratelimit-*`` headers; with them off, nothing (as
DashScope). The real ``paceline-cli run`` with adaptive pacing and otherwise default settings
works through a queue of small documents against each server; all cases run at once.

``--litellm`` adds cases against a real LiteLLM proxy (tests/litellm_proxy.py): per-key limits
of 30 requests/min and of 6,000 tokens/min, and a key allowed one call at a time, with
LiteLLM's ``mock_delay`` as latency. There the figures come from Paceline's own records
(calls that came back, 429s in the job logs), since the proxy keeps no log we can read.

After the warm-up, the share of the binding limit used (accepted per minute / limit) and the
share of requests answered 429 are printed per case. Goal: share >= 0.95 and 429s < 1%
(LiteLLM's per-minute windows: >= 0.90 and at most one 429 per five minutes).

    python benchmarks/pacing_benchmark.py                      # ~17 min, every case at once
    python benchmarks/pacing_benchmark.py --cases window-120-5s-h --warmup 60 --measure 120
    python benchmarks/pacing_benchmark.py --litellm --cases none
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import token_bucket
from limits import RateLimitItemPerMinute, storage, strategies

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MODEL = "bench-model"
COMPLETION_TOKENS = 150
WORDS = (
    "queue worker document model provider limit minute pacing backoff durable window "
    "progress analysis summary result request token burst second steady state"
).split()


class Limiter:
    """One limit of the server: a fixed window or a token bucket, per minute."""

    def __init__(self, kind: str, per_minute: float) -> None:
        self.kind = kind
        self.per_minute = per_minute
        if kind == "window":
            self._store = storage.MemoryStorage()
            self._window = strategies.FixedWindowRateLimiter(self._store)
            self._item = RateLimitItemPerMinute(int(per_minute))
        else:
            self._bucket_store = token_bucket.MemoryStorage()
            self._bucket = token_bucket.Limiter(
                per_minute / 60.0, int(per_minute), self._bucket_store
            )

    def test(self, cost: int) -> bool:
        """Would ``cost`` be let through now (windows only: they are the ones combined)?"""
        return self._window.test(self._item, "key", cost=cost)

    def take(self, cost: int) -> bool:
        if self.kind == "window":
            return self._window.hit(self._item, "key", cost=cost)
        return self._bucket.consume(b"key", cost)

    def remaining(self) -> int:
        if self.kind == "window":
            return int(self._window.get_window_stats(self._item, "key").remaining)
        self._bucket_store.replenish(b"key", self.per_minute / 60.0, int(self.per_minute))
        return int(self._bucket_store.get_token_count(b"key"))


@dataclass
class Case:
    name: str
    limiter: str  # "window" | "bucket"
    rpm: float
    latency: float
    headers: bool
    tpm: float | None = None  # a tokens limit too (the binding one)

    @property
    def binding(self) -> str:
        return "tokens" if self.tpm else "requests"


def _cases() -> dict[str, Case]:
    out = {}
    for limiter, rpm, latency in (
        ("window", 30, 15), ("window", 120, 5), ("window", 600, 1),
        ("bucket", 120, 5), ("bucket", 240, 15), ("bucket", 600, 1),
    ):  # fmt: skip
        for headers in (True, False):
            name = f"{limiter}-{rpm}-{latency}s-{'h' if headers else 'n'}"
            out[name] = Case(name, limiter, rpm, latency, headers)
    for headers in (True, False):
        name = f"tokens-6000-5s-{'h' if headers else 'n'}"
        out[name] = Case(name, "window", 1000, 5, headers, tpm=6000)
    return out


CASES = _cases()


@dataclass
class StrictServer:
    case: Case
    log: list[tuple[float, int, int]] = field(default_factory=list)  # (arrival, status, tokens)

    def __post_init__(self) -> None:
        self.requests = Limiter(self.case.limiter, self.case.rpm)
        self.tokens = Limiter("window", self.case.tpm) if self.case.tpm else None
        self.lock = threading.Lock()
        self.rng = random.Random(1)

    def admit(self, tokens: int) -> tuple[int, dict[str, str], str]:
        with self.lock:
            now = time.monotonic()
            status, what = 200, ""
            # a refused call costs nothing: test both limits before taking from either
            if self.tokens is not None and not self.requests.test(1):
                status, what = 429, "requests"
            elif self.tokens is not None and not self.tokens.test(tokens):
                status, what = 429, "tokens"
            elif not self.requests.take(1):
                status, what = 429, "requests"
            elif self.tokens is not None:
                self.tokens.take(tokens)
            self.log.append((now, status, tokens if status == 200 else 0))
            headers: dict[str, str] = {}
            if self.case.headers:
                headers = {
                    "x-ratelimit-limit-requests": f"{self.case.rpm:g}",
                    "x-ratelimit-remaining-requests": str(self.requests.remaining()),
                }
                if self.tokens is not None:
                    headers["x-ratelimit-limit-tokens"] = f"{self.case.tpm:g}"
                    headers["x-ratelimit-remaining-tokens"] = str(self.tokens.remaining())
            return status, headers, what

    def call_latency(self) -> float:
        with self.lock:
            return self.case.latency * (0.4 + 1.2 * self.rng.random())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def provider(self) -> StrictServer:
        return self.server.provider  # type: ignore[attr-defined,no-any-return]

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._send(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        prompt = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
        prompt_tokens = max(1, len(prompt) // 4)
        status, headers, what = self.provider.admit(prompt_tokens + COMPLETION_TOKENS)
        if status == 429:
            error = {
                "message": f"Rate limit reached for {what} per minute. Please try again.",
                "type": what,
                "code": "rate_limit_exceeded",
            }
            self._send(429, {"error": error}, headers)
            return
        time.sleep(self.provider.call_latency())
        self._send(
            200,
            {
                "id": "chatcmpl-bench",
                "object": "chat.completion",
                "model": MODEL,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": "A summary."}}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": COMPLETION_TOKENS,
                          "total_tokens": prompt_tokens + COMPLETION_TOKENS},
            },
            headers,
        )  # fmt: skip


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client stopped mid-call: a broken pipe is expected


def start_server(provider: StrictServer) -> tuple[ThreadingHTTPServer, str]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.provider = provider  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


def write_documents(folder: Path, count: int) -> None:
    rng = random.Random(42)
    folder.mkdir(parents=True)
    for i in range(count):
        words = " ".join(rng.choice(WORDS) for _ in range(60))
        (folder / f"doc{i:05d}.txt").write_text(
            f"Document {i}. The {words}.\n\nIt ends here ({i}).\n", encoding="utf-8"
        )


def cli() -> list[str]:
    script = Path(sys.executable).with_name("paceline-cli")
    return [str(script)] if script.exists() else [sys.executable, "-m", "core.cli"]


def run_paceline(
    url: str, key: str, model: str, pacing: str, docs_count: int, seconds: float, tmp: Path
) -> tuple[Path, str]:
    """Add ``docs_count`` documents and run ``paceline-cli run`` for ``seconds``."""
    home = tmp / "home"
    home.mkdir()
    docs = tmp / "docs"
    write_documents(docs, docs_count)
    env = dict(os.environ)
    env.update(
        PACELINE_HOME=str(home), PACELINE_PROVIDER="openai", PACELINE_API_BASE=url,
        PACELINE_API_KEY=key, PACELINE_MODEL=model, PACELINE_PACING=pacing,
        PACELINE_MAX_QUEUE=str(docs_count + 100),
    )  # fmt: skip
    added = subprocess.run([*cli(), "add", str(docs)], env=env, capture_output=True, text=True,
                           cwd=ROOT)  # fmt: skip
    if added.returncode != 0:
        return home, f"add failed: {added.stderr.strip()}"
    note = ""
    with open(tmp / "run.log", "w") as log:
        runner = subprocess.Popen([*cli(), "run"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                  cwd=ROOT)  # fmt: skip
        started = time.monotonic()
        try:
            while time.monotonic() - started < seconds:
                if runner.poll() is not None:
                    note = "the worker stopped early: " + (tmp / "run.log").read_text()[-300:]
                    break
                time.sleep(1.0)
        finally:
            if runner.poll() is None:
                runner.send_signal(signal.SIGINT)  # Ctrl-C: stops cleanly
                try:
                    runner.wait(60)
                except subprocess.TimeoutExpired:
                    runner.kill()
                    runner.wait()
    return home, note


@dataclass
class Outcome:
    name: str
    limit: str = ""
    accepted_per_min: float = 0.0
    share: float = 0.0
    throttled: int = 0
    requests: int = 0
    minutes: float = 0.0
    note: str = ""  # what went wrong: the goal is not met
    info: str = ""  # a figure to read beside the share
    goal: tuple[float, float] = (0.95, 0.01)  # least share, most 429 share

    @property
    def throttled_share(self) -> float:
        return self.throttled / max(1, self.requests)

    @property
    def met(self) -> bool:
        if self.note:
            return False
        if self.goal[1] < 0:  # LiteLLM's windows: at most one 429 per five minutes
            return self.share >= self.goal[0] and self.throttled <= self.minutes / 5 + 1e-9
        return self.share >= self.goal[0] and self.throttled_share < self.goal[1]


def run_case(case: Case, args: argparse.Namespace, outcomes: dict[str, Outcome]) -> None:
    provider = StrictServer(case)
    server, url = start_server(provider)
    outcome = Outcome(case.name)
    total = args.warmup + args.measure
    per_min = case.rpm if not case.tpm else case.tpm / (100 + COMPLETION_TOKENS)
    needed = int(per_min / 60 * total * 1.3) + 50
    with tempfile.TemporaryDirectory(prefix=f"paceline-bench-{case.name}-") as tmp:
        _, outcome.note = run_paceline(url, "test", MODEL, "adaptive", needed, total + 2,
                                       Path(tmp))  # fmt: skip
    server.shutdown()
    log = list(provider.log)
    if not log:
        outcome.note = outcome.note or "the server saw no calls"
        outcomes[case.name] = outcome
        return
    start = log[0][0] + args.warmup
    end = min(log[0][0] + total, log[-1][0])
    window = [(t, s, k) for t, s, k in log if start <= t <= end]
    outcome.minutes = max(1e-9, (end - start) / 60.0)
    outcome.requests = len(window)
    outcome.throttled = sum(1 for _, s, _ in window if s == 429)
    if case.tpm:
        used = sum(k for _, s, k in window if s == 200) / outcome.minutes
        outcome.limit = f"{case.tpm:g} tokens/min"
        outcome.accepted_per_min = used
        outcome.share = used / case.tpm
    else:
        accepted = sum(1 for _, s, _ in window if s == 200) / outcome.minutes
        outcome.limit = f"{case.rpm:g} req/min"
        outcome.accepted_per_min = accepted
        outcome.share = accepted / case.rpm
    outcomes[case.name] = outcome


# ---------------------------------------------------------------------------- LiteLLM


def _job_records(home: Path) -> tuple[list[float], int, list[float]]:
    """(finish times of done jobs, 429s in the job logs, times of those 429s), wall clock."""
    db = sqlite3.connect(home / "paceline.sqlite3")
    try:
        done = [r[0] for r in db.execute("SELECT finished_at FROM jobs WHERE state = 'done'")]
        throttles = [r[0] for r in db.execute(
            "SELECT at FROM job_log WHERE message LIKE '%(rate_limited)%'")]  # fmt: skip
    finally:
        db.close()
    return sorted(done), len(throttles), sorted(throttles)


def run_litellm(args: argparse.Namespace, outcomes: dict[str, Outcome]) -> None:
    from tests.litellm_proxy import KeyLimits, LiteLLMProxy, MockModel, litellm_available

    if not litellm_available():
        outcomes["litellm"] = Outcome("litellm", note="no LiteLLM proxy installed")
        return
    delay = args.litellm_delay
    keys = {
        "sk-rpm30": KeyLimits(rpm_limit=30),
        "sk-tpm6000": KeyLimits(tpm_limit=6000),
        "sk-one": KeyLimits(max_parallel_requests=1),
        "sk-one-b": KeyLimits(max_parallel_requests=1),  # its own key: runs go side by side
    }
    # An answer of about 300 tokens, as a summary is: what a tokens limit is spent on.
    summary = " ".join(
        f"Point {n}: the document says something about pacing." for n in range(1, 31)
    )
    models = [MockModel("mock", response="A short summary of the document.", delay=delay),
              MockModel("long", response=summary, delay=delay)]
    total = args.litellm_warmup + args.litellm_measure
    runs = [
        ("litellm rpm 30", "sk-rpm30", "adaptive", ("requests", 30.0), (0.90, -1.0)),
        ("litellm tpm 6000", "sk-tpm6000", "adaptive", ("tokens", 6000.0), (0.90, -1.0)),
        ("litellm one at a time", "sk-one", "adaptive", ("calls at once", 1.0), (0.90, 0.01)),
        ("  such a key, fixed 10 s", "sk-one-b", "fixed", ("calls at once", 1.0), (0.0, 1.0)),
    ]
    with LiteLLMProxy(models=models, keys=keys) as proxy:

        def one(name: str, key: str, pacing: str, limit: tuple[str, float],
                goal: tuple[float, float]) -> None:  # fmt: skip
            outcome = Outcome(name, goal=goal)
            model = "long" if limit[0] == "tokens" else "mock"
            with tempfile.TemporaryDirectory(prefix="paceline-bench-litellm-") as tmp:
                home, outcome.note = run_paceline(
                    proxy.api_base, key, model, pacing, 400, total + 2, Path(tmp)
                )
                if (home / "paceline.sqlite3").exists():
                    done, _, throttles = _job_records(home)
                    start = (done[0] if done else time.time()) + args.litellm_warmup
                    end = start + args.litellm_measure
                    in_window = [t for t in done if start <= t <= end]
                    outcome.minutes = args.litellm_measure / 60.0
                    outcome.throttled = sum(1 for t in throttles if start <= t <= end)
                    outcome.requests = len(in_window) + outcome.throttled
                    per_min = len(in_window) / outcome.minutes
                    what, amount = limit
                    if what == "tokens":
                        # LiteLLM books each call at prompt/4 + max_tokens (1024) while it
                        # runs and at its usage once answered: with calls of `used` tokens
                        # taking `delay` s, its window holds at most `most` calls a minute.
                        prompt, used = _tokens_per_job(home)
                        booked = prompt + 1024
                        most = amount / (used + delay / 60.0 * (booked - used))
                        outcome.accepted_per_min = per_min * used
                        outcome.share = per_min / most
                        outcome.limit = f"{most * used:.0f} of {amount:g} tok"
                        outcome.info = (
                            f"{per_min * used / amount:.0%} of {amount:g} tokens/min by usage")
                    elif what == "requests":
                        outcome.accepted_per_min = per_min
                        outcome.share = per_min / amount
                    else:  # one at a time: the most is one call per call's duration
                        outcome.accepted_per_min = per_min
                        outcome.share = per_min / (60.0 / (delay + 0.3))
                    if what != "tokens":
                        outcome.limit = f"{amount:g} {what}" + (
                            "/min" if what != "calls at once" else "")
            outcomes[name] = outcome

        threads = [threading.Thread(target=one, args=run) for run in runs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def _tokens_per_job(home: Path) -> tuple[float, float]:
    """(prompt tokens, all tokens) per done job, as the server reported them."""
    db = sqlite3.connect(home / "paceline.sqlite3")
    try:
        row = db.execute(
            "SELECT AVG(prompt_tokens), AVG(prompt_tokens + completion_tokens) FROM jobs "
            "WHERE state = 'done'"
        ).fetchone()
    finally:
        db.close()
    return float(row[0] or 0.0), float(row[1] or 0.0)


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="all", help="comma-separated names, all, or none")
    parser.add_argument("--warmup", type=float, default=360.0, help="seconds not measured")
    parser.add_argument("--measure", type=float, default=600.0, help="seconds measured")
    parser.add_argument("--litellm", action="store_true", help="add the LiteLLM proxy cases")
    parser.add_argument("--litellm-delay", type=float, default=5.0, help="mock_delay, seconds")
    parser.add_argument("--litellm-warmup", type=float, default=240.0)
    parser.add_argument("--litellm-measure", type=float, default=600.0)
    args = parser.parse_args(argv)
    if args.cases == "all":
        chosen = list(CASES.values())
    elif args.cases == "none":
        chosen = []
    else:
        chosen = [CASES[name.strip()] for name in args.cases.split(",") if name.strip()]

    print(f"{len(chosen)} cases at once{' and LiteLLM' if args.litellm else ''}; warm-up "
          f"{args.warmup:g} s, measured {args.measure:g} s. Machine: {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}.", flush=True)  # fmt: skip
    outcomes: dict[str, Outcome] = {}
    threads = [threading.Thread(target=run_case, args=(case, args, outcomes)) for case in chosen]
    if args.litellm:
        threads.append(threading.Thread(target=run_litellm, args=(args, outcomes)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    print()
    header = (f"{'case':<24} {'binding limit':>16} {'used/min':>9} {'share':>6} {'429s':>5} "
              f"{'of reqs':>8}  goal")  # fmt: skip
    print(header)
    print("-" * len(header))
    ok = True
    for name in [c.name for c in chosen] + [n for n in outcomes if n not in CASES]:
        o = outcomes.get(name, Outcome(name, note="no result"))
        goal = ("none" if o.goal[0] == 0 else f">= {o.goal[0]:.2f}, " + (
            "<= 1 429 per 5 min" if o.goal[1] < 0 else f"429s < {o.goal[1]:.0%}"))
        mark = "" if o.goal[0] == 0 else ("met" if o.met else "NOT met")
        print(f"{name:<24} {o.limit:>16} {o.accepted_per_min:>9.1f} {o.share:>6.3f} "
              f"{o.throttled:>5} {o.throttled_share:>8.2%}  {goal} {mark}"
              + "".join(f"  ({text})" for text in (o.note, o.info) if text))  # fmt: skip
        if o.goal[0] > 0:
            ok = ok and o.met
    print(f"\nLoad after the run: {os.getloadavg()[0]:.1f}. 429s during the warm-up are not "
          f"counted. All goals {'met' if ok else 'NOT met'}.")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

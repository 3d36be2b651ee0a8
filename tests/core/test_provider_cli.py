"""End to end: paceline-cli in subprocesses against the fake provider on 127.0.0.1.

The server holds chosen calls until the test lets them go, so the test can look at the queue
at an exact moment (or kill the worker there) without sleeping. PACELINE_PAUSE_S=0 keeps the
fixed pacing from waiting real seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.docgen import make_text_pdf
from tests.fake_provider import FakeProvider
from tests.helpers import ROOT, run_cli

KEY = "sk-test-e2e-7c1d9a4b2f60"


@pytest.fixture
def server() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def env(home: Path, server: FakeProvider) -> dict[str, str]:
    # A small context so a few pages need several parts; everything else from the environment.
    (home / "settings.json").write_text(json.dumps({"context_chars": 2000}), encoding="utf-8")
    return {
        "PACELINE_PROVIDER": "openai",
        "PACELINE_API_BASE": server.url,
        "PACELINE_API_KEY": KEY,
        "PACELINE_PAUSE_S": "0",
    }


def _cli(home: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = run_cli(home, *args, env=env, timeout=60)
    assert KEY not in done.stdout + done.stderr
    return done


def _jobs(home: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    done = _cli(home, env, "list", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _start_worker(home: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    full = {**os.environ, "PACELINE_HOME": str(home), **env}
    return subprocess.Popen(
        [sys.executable, "-m", "core.cli", "run", "--until-empty"],
        env=full, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _sections(parts: int, tag: str) -> list[str]:
    """Texts of about 1,500 characters, the k-th one marked MARK-k, for a 2,000-char context."""
    return [
        "\n".join([f"MARK-{n} section {n} of the {tag} report."] + [
            f"line {i} of section {n}: the queue worker paces every call to the provider."
            for i in range(22)
        ])
        for n in range(1, parts + 1)
    ]


def _document(folder: Path, kind: str, parts: int) -> Path:
    if kind == "pdf":
        return make_text_pdf(folder / "report.pdf", _sections(parts, "pdf"))
    path = folder / "report.txt"
    path.write_text("\n\n".join(_sections(parts, "text")) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["txt", "pdf"])
def test_a_document_in_three_parts_shows_progress_through_four_calls(
    home: Path, env: dict[str, str], server: FakeProvider, tmp_path: Path, kind: str
) -> None:
    doc = _document(tmp_path, kind, 3)
    assert _cli(home, env, "add", str(doc)).returncode == 0
    server.script(["hold"] * 4)
    worker = _start_worker(home, env)
    seen = []
    try:
        for call in range(1, 5):
            server.wait_for_chat(call)
            (job,) = _jobs(home, env)
            seen.append((job["state"], job["parts_done"], job["parts_planned"], job["progress"]))
            server.release()
        _, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert seen == [("running", n, 4, n / 4) for n in range(4)]
    (job,) = _jobs(home, env)
    assert (job["state"], job["progress"], job["parts_done"]) == ("done", 1.0, 4)
    assert job["tokens"] > 0 and job["attempts"] == 1
    assert [r.markers for r in server.chat_requests] == [
        ["MARK-1"], ["MARK-2"], ["MARK-3"], ["MARK-1", "MARK-2", "MARK-3"]]
    shown = json.loads(_cli(home, env, "show", str(job["id"]), "--json").stdout)
    assert shown["result"] == "Analysis of MARK-1, MARK-2, MARK-3."
    assert shown["prompt_tokens"] > 0 and shown["completion_tokens"] > 0


def test_sigkill_in_part_three_of_five_then_retrigger_resends_only_what_is_missing(
    home: Path, env: dict[str, str], server: FakeProvider, tmp_path: Path
) -> None:
    doc = _document(tmp_path, "txt", 5)
    assert _cli(home, env, "add", str(doc)).returncode == 0
    server.script(["ok", "ok", "hold"])
    worker = _start_worker(home, env)
    try:
        chats = server.wait_for_chat(3)
        assert chats[2].markers == ["MARK-3"]
        os.kill(worker.pid, signal.SIGKILL)  # in the middle of the paid call for part 3
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
        server.release()
    # A read-only command changes nothing: the job still reads 'running' ...
    (job,) = _jobs(home, env)
    assert (job["state"], job["parts_done"], job["parts_planned"]) == ("running", 2, 6)
    # ... until a worker takes the lock: only it marks the orphan stale, and never resends it.
    assert _cli(home, env, "run", "--until-empty").returncode == 0
    assert len(server.chat_requests) == 3
    (job,) = _jobs(home, env)
    assert (job["state"], job["parts_done"], job["parts_planned"]) == ("stale", 2, 6)
    assert "paid call" in job["stale_reason"]

    server.reset_log()
    retriggered = _cli(home, env, "retrigger", "--all-stale")
    assert retriggered.returncode == 0 and "1 job(s) queued again" in retriggered.stdout
    finished = _cli(home, env, "run", "--until-empty")
    assert finished.returncode == 0, finished.stderr
    assert [r.markers for r in server.chat_requests] == [
        ["MARK-3"], ["MARK-4"], ["MARK-5"], [f"MARK-{n}" for n in range(1, 6)]]
    (job,) = _jobs(home, env)
    assert (job["state"], job["parts_done"], job["parts_planned"]) == ("done", 6, 6)


def test_a_401_pauses_the_queue_as_a_bad_key_and_burns_no_job(
    home: Path, env: dict[str, str], server: FakeProvider, tmp_path: Path
) -> None:
    server.default = "401-echo"  # the server even repeats the key in its message
    docs = []
    for n in range(2):
        path = tmp_path / f"note{n}.txt"
        path.write_text(f"MARK-{n} A short note number {n} about pacing.\n", encoding="utf-8")
        docs.append(str(path))
    assert _cli(home, env, "add", *docs).returncode == 0
    ran = _cli(home, env, "run", "--until-empty")
    assert ran.returncode == 1
    assert "queue paused" in ran.stderr and "bad API key" in ran.stderr
    status = json.loads(_cli(home, env, "status", "--json").stdout)
    assert status["paused"] and status["pause_kind"] == "bad_key"
    assert "bad API key" in status["pause_reason"]
    assert status["counts"]["failed"] == 0 and status["counts"]["queued"] == 2
    jobs = _jobs(home, env)
    assert [(j["state"], j["attempts"]) for j in jobs] == [("queued", 0), ("queued", 0)]
    assert len(server.chat_requests) == 1
    assert server.chat_requests[0].authorization == f"Bearer {KEY}"
    # Nothing Paceline wrote holds the key: database, logs, an export.
    assert _cli(home, env, "export", "--format", "json", "-o", str(home / "out.json")
                ).returncode == 0
    files = [p for p in home.rglob("*") if p.is_file()]
    assert {"paceline.sqlite3", "paceline-cli.log", "out.json"} <= {p.name for p in files}
    for path in files:
        assert KEY.encode() not in path.read_bytes(), f"the API key leaked into {path.name}"


def test_sigkill_mid_job_leaves_it_stale_and_the_others_finish(
    home: Path, env: dict[str, str], server: FakeProvider, tmp_path: Path
) -> None:
    """Issue 2's crash check: one of four jobs is in flight when the worker is killed."""
    docs = []
    for n in range(1, 5):
        path = tmp_path / f"doc{n}.txt"
        path.write_text(f"MARK-{n} a short document number {n} about paced queues.\n",
                        encoding="utf-8")
        docs.append(str(path))
    assert _cli(home, env, "add", *docs).returncode == 0
    server.script(["ok", "hold"])
    worker = _start_worker(home, env)
    try:
        chats = server.wait_for_chat(2)
        assert chats[1].markers == ["MARK-2"]
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
        server.release()
    finished = _cli(home, env, "run", "--until-empty")
    assert finished.returncode == 0, finished.stderr
    states = {Path(j["path"]).name: j["state"] for j in _jobs(home, env)}
    assert states == {"doc1.txt": "done", "doc2.txt": "stale", "doc3.txt": "done",
                      "doc4.txt": "done"}
    stale = next(j for j in _jobs(home, env) if j["state"] == "stale")
    assert "paid call" in stale["stale_reason"]
    # nothing re-sent automatically: the restart sent only MARK-3 and MARK-4
    assert [r.markers for r in server.chat_requests] == [
        ["MARK-1"], ["MARK-2"], ["MARK-3"], ["MARK-4"]]

    assert _cli(home, env, "retrigger", "--all-stale").returncode == 0
    assert _cli(home, env, "run", "--until-empty").returncode == 0
    jobs = _jobs(home, env)
    assert [j["state"] for j in jobs] == ["done"] * 4
    assert [j["attempts"] for j in jobs] == [1, 1, 1, 1]
    status = json.loads(_cli(home, env, "status", "--json").stdout)
    assert status["counts"]["done"] == 4 and status["total"] == 4  # nothing lost or doubled
    # the stale job's call was sent once more, on request, and nothing else was repeated
    assert [r.markers for r in server.chat_requests][-1] == ["MARK-2"]
    assert len(server.chat_requests) == 5


def test_status_in_another_process_shows_the_workers_backoff(
    home: Path, env: dict[str, str], server: FakeProvider, tmp_path: Path
) -> None:
    doc = tmp_path / "one.txt"
    doc.write_text("MARK-1 one short document about a throttled provider.\n", encoding="utf-8")
    assert _cli(home, env, "add", str(doc)).returncode == 0
    server.script(["429-retry-after:120"])
    worker = _start_worker(home, env)
    try:
        server.wait_for_chat(1)
        deadline = 200
        status: dict[str, Any] = {}
        for _ in range(deadline):
            status = json.loads(_cli(home, env, "status", "--json").stdout)
            if status["backoff_seconds_left"]:
                break
        assert 100 < status["backoff_seconds_left"] <= 120
        assert status["wait_kind"] == "retry_after"
        assert "asked to wait" in status["backoff_reason"]
        assert status["counts"]["queued"] == 1  # waiting its turn, not failed
        assert status["eta_seconds"] >= 100  # the wait is part of the ETA
    finally:
        worker.send_signal(signal.SIGINT)
        worker.communicate(timeout=30)
    # The server's Retry-After outlives the worker: it is stored, so the next worker (and
    # status in any terminal) still counts it down.
    status = json.loads(_cli(home, env, "status", "--json").stdout)
    assert 90 < status["backoff_seconds_left"] <= 120 and status["counts"]["queued"] == 1
    assert status["wait_kind"] == "retry_after"

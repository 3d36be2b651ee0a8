"""2,000 documents through batch mode with real SIGKILLs of ``paceline-cli run`` at each step.

The Batch API server (tests/batch_server.py) runs in this process on the real clock; the worker
is a real ``paceline-cli run --until-empty`` process. The server holds a request of the step
under test (the upload, the batch's creation, a poll, the download), the test kills the worker
with SIGKILL while it waits for the answer, lets the server finish the work, and starts a new
worker. Upload and creation are held *after* the server did the work, so the answer is lost
with the process: the next worker must find them, not make them again. The server counts
what it really made.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.batch_server import BatchServer
from tests.helpers import ROOT

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX SIGKILL")

DOCS = 2_000


def _cli(home: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "PACELINE_HOME": str(home)}, timeout=timeout, check=False,
    )  # fmt: skip


def _worker(home: Path, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "core.cli", "run", "--until-empty"], cwd=ROOT,
            env={**os.environ, "PACELINE_HOME": str(home)}, stdout=subprocess.DEVNULL,
            stderr=out,
        )  # fmt: skip


def _stage(home: Path) -> str:
    conn = sqlite3.connect(home / "paceline.sqlite3", timeout=30)
    try:
        row = conn.execute("SELECT stage FROM batches ORDER BY id LIMIT 1").fetchone()
        return str(row[0]) if row else ""
    finally:
        conn.close()


def _kill(proc: subprocess.Popen[bytes]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def test_two_thousand_documents_through_a_batch_with_sigkills_at_every_step(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(1, DOCS + 1):
        (docs / f"memo-{n:04d}.txt").write_text(
            f"Memo {n} MARK-{n}. The supplier confirmed delivery for week {n % 52 + 1}.\n",
            encoding="utf-8",
        )
    log = tmp_path / "workers.log"
    with BatchServer(now=time.time, validating_s=0.5, request_s=0.0005,
                     finalizing_s=0.5) as server:
        (home / "settings.json").write_text(json.dumps({
            "provider": "openai", "preset": "custom", "api_base": server.url,
            "model": "qwen-plus", "batch_poll_s": 0.2, "max_queue": DOCS,
        }))  # fmt: skip
        added = _cli(home, "add", str(docs))
        assert added.returncode == 0, added.stderr
        assert f"{DOCS} added" in added.stdout
        submitted = _cli(home, "batch", "submit", "--all-queued")
        assert submitted.returncode == 0, submitted.stderr

        kills: list[str] = []
        # Killed while it reads the documents and writes the request file, if it is slow
        # enough to catch there (nothing was sent: it starts over).
        proc = _worker(home, log)
        time.sleep(0.3)
        if _stage(home) == "preparing" and proc.poll() is None:
            _kill(proc)
            kills.append("preparing")
        else:
            proc.kill()
            proc.wait()
        # Each step in turn: held at the server, the worker killed, the server let go.
        for route, action, stage in (("upload", "done-hold", "uploading"),
                                     ("create", "done-hold", "creating"),
                                     ("retrieve", "hold", "submitted"),
                                     ("content", "hold", "downloading")):
            server.fault(route, action)
            proc = _worker(home, log)
            try:
                assert server.wait_held(route, timeout=120), (route, log.read_text()[-2000:])
                assert _stage(home) == stage
                _kill(proc)
                kills.append(stage)
            finally:
                if proc.poll() is None:
                    proc.kill()
                server.release()
            server.rearm()
        last = _worker(home, log)
        assert last.wait(timeout=300) == 0, log.read_text()[-3000:]

        uploads, creations = server.uploads, server.creations
        (stored,) = [f for f in server.files.values() if f.purpose == "batch"]
        lines = [json.loads(line) for line in stored.content.splitlines()]

    assert kills[-4:] == ["uploading", "creating", "submitted", "downloading"]
    assert (uploads, creations) == (1, 1)  # no duplicate upload, no duplicate batch
    assert len(lines) == len({line["custom_id"] for line in lines}) == DOCS

    conn = sqlite3.connect(home / "paceline.sqlite3")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        states = dict(conn.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state"))
        assert states == {"done": DOCS}  # nothing lost, nothing left running or stale
        done_lines = dict(conn.execute(
            "SELECT job_id, COUNT(*) FROM job_log WHERE event = 'done' GROUP BY job_id"))
        assert len(done_lines) == DOCS and set(done_lines.values()) == {1}  # once each
        for path, result in conn.execute("SELECT path, result FROM jobs"):
            n = int(Path(path).stem.split("-")[1])
            assert f"MARK-{n}" in result
        assert conn.execute("SELECT stage, status, completed FROM batches").fetchall() == [
            ("finished", "completed", DOCS)]
    finally:
        conn.close()
    print(f"kills: {kills}; uploads {uploads}, batches {creations}, jobs done {DOCS}")


def test_ctrl_c_while_the_provider_works_on_a_batch_stops_at_once_and_keeps_the_batch(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    doc = tmp_path / "memo.txt"
    doc.write_text("Memo MARK-1. Delivery confirmed.\n", encoding="utf-8")
    log = tmp_path / "worker.log"
    with BatchServer(now=time.time, validating_s=3600) as server:  # an hour of validating
        (home / "settings.json").write_text(json.dumps({
            "provider": "openai", "preset": "custom", "api_base": server.url,
            "model": "qwen-plus", "batch_poll_s": 0.2}))  # fmt: skip
        assert _cli(home, "add", str(doc)).returncode == 0
        assert _cli(home, "batch", "submit", "--all-queued").returncode == 0
        proc = _worker(home, log)
        try:
            deadline = time.time() + 60
            while _stage(home) != "submitted":
                assert time.time() < deadline, log.read_text()
                time.sleep(0.05)
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 130, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
    assert _stage(home) == "submitted"  # with the provider still; the next run polls it
    listed = _cli(home, "list", "--json")
    assert [(j["state"], j["batch_id"]) for j in json.loads(listed.stdout)] == [("running", 1)]


def test_another_process_cancels_and_retriggers_a_job_while_its_batch_runs(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(1, 4):
        (docs / f"memo-{n}.txt").write_text(f"Memo {n} MARK-{n}. Delivery confirmed.\n",
                                            encoding="utf-8")
    log = tmp_path / "worker.log"
    with BatchServer(now=time.time, validating_s=3.0, request_s=0.01,
                     finalizing_s=0.2) as server:
        (home / "settings.json").write_text(json.dumps({
            "provider": "openai", "preset": "custom", "api_base": server.url,
            "model": "qwen-plus", "batch_poll_s": 0.2, "pause_s": 0}))  # fmt: skip
        assert _cli(home, "add", str(docs)).returncode == 0
        assert _cli(home, "batch", "submit", "--all-queued").returncode == 0
        proc = _worker(home, log)
        try:
            deadline = time.time() + 60
            while _stage(home) != "submitted":
                assert time.time() < deadline, log.read_text()
                time.sleep(0.05)
            # the provider validates for 3 s: meanwhile a second process takes job 1 away
            # and queues it again, as a normal call
            assert _cli(home, "cancel", "1").returncode == 0
            assert _cli(home, "retrigger", "1").returncode == 0
            assert proc.wait(timeout=120) == 0, log.read_text()[-3000:]
        finally:
            if proc.poll() is None:
                proc.kill()
        chats = len(server.chats)
    jobs = {j["id"]: j for j in json.loads(_cli(home, "list", "--json").stdout)}
    assert {j["state"] for j in jobs.values()} == {"done"}
    shown = json.loads(_cli(home, "show", "1", "--json").stdout)
    events = [e["event"] for e in shown["log"]]
    # job 1: its batch answer discarded, done once by its normal call
    assert events.count("done") == 1 and "discarded" in events
    assert "job-1-part" not in shown["result"]
    assert chats == 1
    for job_id in (2, 3):
        assert f"job-{job_id}-part-0" in json.loads(
            _cli(home, "show", str(job_id), "--json").stdout)["result"]

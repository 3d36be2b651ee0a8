"""Issue 11's findings 1 and 2 with real processes: a worker (``paceline-cli run``) and a person
in another terminal (``paceline-cli cancel``/``retrigger``, or a program holding the database).

Both failed on the queue before leases: the cancelled call ran to its end and its document was
paid for twice; a database locked past the busy timeout made the worker throw the paid answer
away and send the request again.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import ROOT, run_cli
from tests.reliability.meddle_provider import FaultPlan, MeddleProvider
from tests.reliability.tagged_provider import TaggedProvider

KEY = "pk-two-processes-9c1e"
CALM = dict(rate_429=0.0, rate_500=0.0, rate_reset=0.0, rate_truncated=0.0, long_share=0.0)


def _env(server: MeddleProvider, home: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PACELINE_HOME": str(home),
        "PACELINE_PROVIDER": "openai",
        "PACELINE_API_BASE": server.url,
        "PACELINE_API_KEY": KEY,
        "PACELINE_MODEL": "fake-model",
        "PACELINE_PAUSE_S": "0",
        **extra,
    }


def _worker(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "core.cli", "run", *args], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _log(home: Path, job_id: int) -> list[str]:
    db = sqlite3.connect(home / "paceline.sqlite3")
    try:
        return [m for (m,) in db.execute(
            "SELECT message FROM job_log WHERE job_id = ? ORDER BY id", (job_id,))]
    finally:
        db.close()


def test_cancel_and_retrigger_from_a_terminal_hang_up_the_windows_call(
    home: Path, tmp_path: Path
) -> None:
    doc = tmp_path / "a.txt"
    doc.write_text("A report about pacing. MARK-1\n", encoding="utf-8")
    # Every call takes 30 s, like a slow real model: only a hang-up ends one sooner.
    with MeddleProvider(FaultPlan(think_s=(30.0, 30.0), **CALM)) as server:
        env = _env(server, home)
        assert run_cli(home, "add", str(doc), env=env).returncode == 0
        worker = _worker(env)
        try:
            server.wait_for_chat(1)
            asked = time.monotonic()
            assert run_cli(home, "cancel", "1", env=env).returncode == 0
            assert run_cli(home, "retrigger", "1", env=env).returncode == 0
            first = server.call(1)
            assert first is not None
            _wait(lambda: first.hung_up is not None, 10, "the first call to be hung up")
            hung_up = first.hung_up
            assert hung_up is not None and hung_up - asked < 5
            # The re-trigger asked for a new call; it starts only after the old one ended.
            _wait(lambda: server.call(2) is not None, 10, "the re-triggered call")
            second = server.call(2)
            assert second is not None and second.arrived >= hung_up
            assert first.written is None  # no answer was produced, so none was thrown away
        finally:
            worker.terminate()
            worker.communicate(timeout=30)
        log = _log(home, 1)
        assert "cancelled" in log and "re-triggered" in log
        # One poll may see the cancel alone or the cancel and the re-trigger together.
        assert ("call hung up: the job was cancelled" in log
                or "call hung up: the job was re-triggered" in log), log


def test_a_database_locked_past_the_busy_timeout_never_costs_the_paid_answer(
    home: Path, tmp_path: Path
) -> None:
    doc = tmp_path / "a.txt"
    doc.write_text("A report about pacing. MARK-1\n", encoding="utf-8")
    with MeddleProvider(FaultPlan(think_s=(1.0, 1.0), **CALM)) as server:
        env = _env(server, home, PACELINE_BUSY_TIMEOUT_S="0.5")
        assert run_cli(home, "add", str(doc), env=env).returncode == 0
        worker = _worker(env, "--until-empty")
        try:
            server.wait_for_chat(1)
            # Another program takes the database while the call is in flight and keeps it
            # four times the busy timeout after the answer arrives.
            holder = sqlite3.connect(home / "paceline.sqlite3", timeout=10, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
            first = server.call(1)
            assert first is not None
            _wait(lambda: first.written is not None, 10, "the answer")
            time.sleep(2.0)
            holder.execute("ROLLBACK")
            holder.close()
            _, err = worker.communicate(timeout=60)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
        assert worker.returncode == 0, err
        assert len(server.snapshot()) == 1  # the request was sent once
        db = sqlite3.connect(home / "paceline.sqlite3")
        state, result = db.execute("SELECT state, result FROM jobs WHERE id = 1").fetchone()
        db.close()
        assert state == "done" and "[r1]" in result  # the answer of that one call, kept


def test_a_worker_starting_while_the_database_is_locked_waits_for_it(
    home: Path, tmp_path: Path
) -> None:
    import asyncio

    from core.store import Store

    doc = tmp_path / "a.txt"
    doc.write_text("A report about pacing. MARK-1\n", encoding="utf-8")
    with MeddleProvider(FaultPlan(think_s=(0.1, 0.1), **CALM)) as server:
        env = _env(server, home, PACELINE_BUSY_TIMEOUT_S="0.5")
        assert run_cli(home, "add", str(doc), str(tmp_path), "--force", env=env).returncode == 0

        async def orphan() -> None:  # a worker that died mid-job: start-up must mark it stale
            store = await Store.open(home / "paceline.sqlite3")
            assert await store.claim_next() is not None
            await store.close()

        asyncio.run(orphan())
        holder = sqlite3.connect(home / "paceline.sqlite3", timeout=10, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        worker = _worker(env, "--until-empty")
        time.sleep(2.0)  # four busy timeouts: the start-up recovery must wait, not give up
        holder.execute("ROLLBACK")
        holder.close()
        _, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
    db = sqlite3.connect(home / "paceline.sqlite3")
    states = [s for (s,) in db.execute("SELECT state FROM jobs ORDER BY id")]
    db.close()
    assert states == ["stale", "done"]


def test_a_bug_in_the_error_handler_ends_the_job_and_run_until_empty_exits_non_zero(
    home: Path, tmp_path: Path
) -> None:
    """Finding 6 through the command line: before, the job stayed 'running' and exit was 0."""
    docs = [tmp_path / "a.txt", tmp_path / "b.txt"]
    for n, doc in enumerate(docs, 1):
        doc.write_text(f"A report about pacing. MARK-{n}\n", encoding="utf-8")
    with TaggedProvider() as server:
        env = _env(server, home)  # type: ignore[arg-type]
        assert run_cli(home, "add", *map(str, docs), env=env).returncode == 0
        server.script(["500"])  # the first call fails: a retryable error, then the bug
        # No real seconds of backoff after that 500.
        (home / "settings.json").write_text(
            '{"backoff_base_s": 0.01, "backoff_cap_s": 0.05}', encoding="utf-8")
        broken = (
            "import runpy, sys\n"
            "import core.queue\n"
            "async def requeue(*args, **kw):\n"
            "    raise KeyError('a bug in the error handler')\n"
            "core.queue.Leases.requeue = requeue\n"
            "sys.argv = ['paceline-cli', 'run', '--until-empty']\n"
            "runpy.run_module('core.cli', run_name='__main__')\n"
        )
        ran = subprocess.run([sys.executable, "-c", broken], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert ran.returncode == 1, ran.stderr
    assert "internal error" in ran.stderr.splitlines()[-1]
    db = sqlite3.connect(home / "paceline.sqlite3")
    rows = db.execute("SELECT state, error_kind FROM jobs ORDER BY id").fetchall()
    db.close()
    assert rows == [("failed", "internal"), ("done", None)]

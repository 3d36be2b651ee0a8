"""Real SIGKILLs of ``paceline-cli run`` in CI: a mini soak, and start-up recovery after a kill.

The mini soak is the long benchmark (benchmarks/soak.py) at a size CI can afford, with the same
checks: integrity ok after every kill and at the end, jobs enqueued = the sum over states, none
lost, none done twice (the server's request log against the stored results), and no call sent
again without a re-trigger in between. It asserts no timings.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, run_cli
from tests.reliability.killsoak import SoakConfig, run_soak, section
from tests.reliability.tagged_provider import TaggedProvider

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX SIGKILL")

KEY = "pk-kill-test-3f7a"


def test_mini_soak_with_real_sigkills(tmp_path: Path) -> None:
    config = SoakConfig(jobs=20, kills=8, seed=7, retrigger_every=3, add_batches=1)
    report = run_soak(config, tmp_path)
    print(report.table())  # shown by pytest -s, or when the test fails
    assert report.ok, report.problems()
    assert len(report.kills) >= 5, report.table()  # at least a few real SIGKILLs
    assert report.enqueued == report.states_sum == config.jobs
    assert report.counts["done"] == config.jobs


def _dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_recovery_after_a_real_sigkill_twice_changes_nothing_the_second_time(
    home: Path, tmp_path: Path
) -> None:
    # Documents covered elsewhere: tests/core/test_store.py runs recovery twice in-process;
    # here the process really dies in the middle of a paid call.
    import random

    rng = random.Random(5)
    docs = []
    for n in (1, 2):
        path = tmp_path / f"doc{n}.txt"
        path.write_text(section(n, 1, rng, 600) + "\n", encoding="utf-8")
        docs.append(str(path))
    with TaggedProvider() as server:
        env = {"PACELINE_PROVIDER": "openai", "PACELINE_API_BASE": server.url,
               "PACELINE_API_KEY": KEY, "PACELINE_MODEL": "fake-model",
               "PACELINE_PAUSE_S": "0"}  # fmt: skip
        assert run_cli(home, "add", *docs, env=env).returncode == 0
        server.script(["hold"])
        worker = subprocess.Popen(
            [sys.executable, "-m", "core.cli", "run", "--until-empty"], cwd=ROOT,
            env={**os.environ, "PACELINE_HOME": str(home), **env},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            server.wait_for_chat(1)
            os.kill(worker.pid, signal.SIGKILL)  # while the call is held by the server
            assert worker.wait(timeout=30) == -signal.SIGKILL
        finally:
            if worker.poll() is None:
                worker.kill()
            server.release()
        db = home / "paceline.sqlite3"
        lock = home / "worker.lock"
        before, lock_before = _dump(db), lock.stat()
        # Finding 7: read-only commands are read-only: no recovery, no lock taken.
        for command in (("status", "--json"), ("list", "--json"), ("show", "1", "--json"),
                        ("export", "--format", "json")):
            assert run_cli(home, *command, env=env).returncode == 0
            assert _dump(db) == before
        assert lock.stat().st_mtime_ns == lock_before.st_mtime_ns
        # ... but status says plainly what it sees.
        status = run_cli(home, "status", env=env)
        assert "show as running, but no worker runs the queue" in status.stdout
        assert '"orphaned_running": 1' in run_cli(home, "status", "--json", env=env).stdout
        # Only a worker (holding the lock) marks the orphan stale, and it sends nothing again.
        first = run_cli(home, "run", "--until-empty", env=env)
        assert first.returncode == 0, first.stderr
        after_first = _dump(db)
        assert any("'stale'" in line and "paid call" in line for line in after_first)
        second = run_cli(home, "run", "--until-empty", env=env)
        assert second.returncode == 0, second.stderr
        assert [line for line in _dump(db) if "INSERT INTO job_log" not in line] == [
            line for line in after_first if "INSERT INTO job_log" not in line]
        # The killed call's document was never sent again (the others ran normally).
        killed = server.chat_requests[0].markers
        assert [r.markers for r in server.chat_requests].count(killed) == 1


def test_status_in_a_loop_never_stops_a_worker_from_starting(home: Path, tmp_path: Path) -> None:
    # Finding 7: 'status' used to take the worker lock for a moment to look for orphans, so a
    # worker starting just then was refused. Now status only reads the holder's note.
    from core.worker_lock import WorkerLock

    (tmp_path / "a.txt").write_text("A note about pacing.\n", encoding="utf-8")
    assert run_cli(home, "add", str(tmp_path / "a.txt")).returncode == 0
    statuses = [
        subprocess.Popen(
            [sys.executable, "-m", "core.cli", "status", "--json"], cwd=ROOT,
            env={**os.environ, "PACELINE_HOME": str(home)}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(6)
    ]  # fmt: skip
    worker = run_cli(home, "run", "--until-empty")
    for proc in statuses:
        proc.wait(timeout=60)
    assert worker.returncode == 0, worker.stderr
    assert "1 done" in worker.stderr
    # A real worker is still refused at once, by name, and status names it without the lock.
    lock_path = home / "worker.lock"
    with WorkerLock(lock_path, "Paceline window"):
        status = run_cli(home, "status", "--json")
        assert '"holder": "Paceline window"' in status.stdout
        refused = run_cli(home, "run", "--until-empty")
    assert refused.returncode == 3 and "Paceline window" in refused.stderr

"""Real SIGKILLs of ``paceline-cli run`` in CI: a mini soak, and start-up recovery after a kill.

The mini soak is the long benchmark (benchmarks/soak.py) at a size CI can afford, with the same
checks: integrity ok after every kill and at the end, jobs enqueued = the sum over states, none
lost, none done twice (the server's request log against the stored results), and no call sent
again without a re-trigger in between. It asserts no timings.
"""

from __future__ import annotations

import contextlib
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
        before = _dump(db)
        first = run_cli(home, "status", "--json", env=env)  # start-up recovery runs here
        assert first.returncode == 0, first.stderr
        after_first = _dump(db)
        assert after_first != before  # the running job became stale
        assert any("'stale'" in line and "paid call" in line for line in after_first)
        for command in (("status", "--json"), ("list", "--json")):
            assert run_cli(home, *command, env=env).returncode == 0
            assert _dump(db) == after_first  # recovery again: nothing changes
        assert len(server.chat_requests) == 1  # and nothing was sent again


def test_a_worker_starting_during_another_commands_recovery_waits_instead_of_refusing(
    home: Path, tmp_path: Path
) -> None:
    # Every paceline-cli command holds the worker lock for a moment while it looks for
    # orphaned jobs. Found by a probe: 1 worker start in 40 was refused, naming "start-up
    # recovery" as the other worker. Here the test holds the lock exactly as that step does.
    from core.engine import RECOVERY_HOLDER
    from core.worker_lock import WorkerLock

    (tmp_path / "a.txt").write_text("A note about pacing.\n", encoding="utf-8")
    assert run_cli(home, "add", str(tmp_path / "a.txt")).returncode == 0
    lock_path = home / "worker.lock"
    with WorkerLock(lock_path, RECOVERY_HOLDER):
        worker = subprocess.Popen(
            [sys.executable, "-m", "core.cli", "run", "--until-empty"], cwd=ROOT,
            env={**os.environ, "PACELINE_HOME": str(home)}, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        # The worker starts within this second, finds the lock taken, and must wait.
        with contextlib.suppress(subprocess.TimeoutExpired):
            code = worker.wait(timeout=1.0)
            pytest.fail(f"the worker gave up at once (exit {code}): {worker.stderr.read()}")
    _, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "1 done" in err
    # A real worker is still refused at once, by name.
    with WorkerLock(lock_path, "Paceline window"):
        refused = run_cli(home, "run", "--until-empty")
    assert refused.returncode == 3 and "Paceline window" in refused.stderr

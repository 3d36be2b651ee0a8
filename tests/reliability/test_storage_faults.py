"""A database that cannot be written: read-only file or folder, a full disk, refused writes.

Each gives one clear line for a person (no traceback), changes nothing it should not, and never
leaves a job marked done without its stored result. Real files and real SQLite throughout:
- read-only: mode bits for an ordinary user; for root (who ignores mode bits) the immutable
  attribute (``chattr +i``), or the test is skipped where that is not allowed;
- disk full: ``PRAGMA max_page_count`` on the worker's own connection, so SQLite answers
  SQLITE_FULL exactly as on a full disk, with no mount and no root;
- refused writes in a subprocess: ``RLIMIT_FSIZE``, so the operating system itself refuses to
  grow the database's files (EFBIG, which SQLite reports as a disk I/O error).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.engine import Engine
from core.errors import StorageError
from core.settings import Settings
from core.states import JobState
from tests.fake_clock import FakeClock
from tests.fake_provider import Recorded
from tests.helpers import ROOT, run_cli
from tests.reliability.tagged_provider import TaggedProvider, tag_of

KEY = "pk-storage-test-5d2c"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# ---------------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make files and folders unwritable for this user, root included, then undo it."""
    done: list[Path] = []
    try:
        for path in paths:
            if IS_ROOT:
                chattr = shutil.which("chattr")
                if chattr is None:
                    pytest.skip("running as root without chattr: cannot make a file read-only")
                if subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode:
                    pytest.skip("running as root where chattr +i is not allowed")
            else:
                path.chmod(0o555 if path.is_dir() else 0o444)
            done.append(path)
        yield
    finally:
        for path in reversed(done):  # always undone, or pytest could not clean tmp_path
            if IS_ROOT:
                subprocess.run(["chattr", "-i", str(path)], check=True)
            else:
                path.chmod(0o755 if path.is_dir() else 0o644)


def write_note(folder: Path, n: int) -> Path:
    path = folder / f"note{n:02d}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"MARK-{n} Note number {n} about pacing the queue.\n", encoding="utf-8")
    return path


def one_clear_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("paceline-cli: ")]
    assert len(lines) == 1, stderr
    return lines[0]


def db_rows(home: Path) -> list[tuple[int, str, str | None]]:
    conn = sqlite3.connect(home / "paceline.sqlite3")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute("SELECT id, state, result FROM jobs ORDER BY id").fetchall()
    finally:
        conn.close()


def assert_no_done_without_result(rows: list[tuple[int, str, str | None]]) -> None:
    for job_id, state, result in rows:
        if state == "done":
            assert result and tag_of(result), f"job {job_id} is done without its result"


# ---------------------------------------------------------------------------------- read-only


def test_a_read_only_database_file_gives_a_clear_error_and_changes_nothing(
    home: Path, tmp_path: Path
) -> None:
    doc = write_note(tmp_path / "docs", 1)
    assert run_cli(home, "add", str(doc)).returncode == 0
    db = home / "paceline.sqlite3"
    with read_only(db):
        ran = run_cli(home, "run", "--until-empty")
        assert ran.returncode == 1
        line = one_clear_line(ran.stderr)
        assert "cannot write to its database" in line and "read-only" in line, line
        added = run_cli(home, "add", "--force", str(doc))
        assert added.returncode == 1
        assert "read-only" in one_clear_line(added.stderr)
        # A person can still look at the queue.
        listed = run_cli(home, "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert [j["state"] for j in json.loads(listed.stdout)] == ["queued"]
    assert db_rows(home) == [(1, "queued", None)]
    # Writable again: the job runs as if nothing happened.
    assert run_cli(home, "run", "--until-empty").returncode == 0
    assert [r[1] for r in db_rows(home)] == ["done"]


def test_a_read_only_home_folder_gives_a_clear_error(home: Path, tmp_path: Path) -> None:
    doc = write_note(tmp_path / "docs", 1)
    fresh = tmp_path / "fresh-home"
    fresh.mkdir()
    with read_only(fresh):
        added = run_cli(fresh, "add", str(doc))
        assert added.returncode == 1
        line = one_clear_line(added.stderr)
        assert "cannot write to its folder" in line and "PACELINE_HOME" in line, line
    # A home that holds a queue but became read-only: SQLite cannot create its WAL files.
    assert run_cli(home, "add", str(doc)).returncode == 0
    with read_only(home):
        ran = run_cli(home, "run", "--until-empty")
        assert ran.returncode == 1
        line = one_clear_line(ran.stderr)
        assert "database" in line and "PACELINE_HOME" in line, line
    assert db_rows(home) == [(1, "queued", None)]


# ---------------------------------------------------------------------------------- full disk


class BigAnswers(TaggedProvider):
    """Answers of ~30 KB: storing one needs new database pages (overflow pages)."""

    def reply_for(self, record: Recorded) -> str:
        return super().reply_for(record) + " " + "x" * 30_000


def test_a_full_disk_stops_the_worker_before_another_paid_call_and_marks_nothing_done(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACELINE_API_KEY", KEY)
    docs = [write_note(tmp_path / "docs", n) for n in range(1, 4)]
    with BigAnswers() as server:
        settings = Settings(provider="openai", preset="custom", api_base=server.url,
                            model="fake-model", pause_s=0.0)  # fmt: skip

        async def fill_the_disk() -> str:
            engine = await Engine.open(home, settings=settings, clock=FakeClock())
            try:
                await engine.add_paths(docs)
                # The worker's own connection may not grow the file any more: SQLITE_FULL,
                # exactly what a full disk gives (max_page_count is per connection).
                db = engine.store.db
                pages = (await db.rows("PRAGMA page_count"))[0][0]
                await db.rows(f"PRAGMA max_page_count = {pages}")
                with pytest.raises(StorageError) as caught:
                    await engine.run(until_empty=True)
                return str(caught.value)
            finally:
                await engine.close()

        message = asyncio.run(fill_the_disk())
        assert message.startswith("Paceline could not save to its database because the disk "
                                  "is full"), message  # fmt: skip
        assert "Free some space" in message and "stale" in message
        # One paid call was answered but could not be saved; no other call was spent.
        assert len(server.chat_requests) == 1
        rows = db_rows(home)
        # The answer was held and its commit retried (on the injected clock) until the
        # worker's patience ran out; then the job went stale, or stays running for the
        # start-up check if even that could not be written. Never queued again by itself.
        assert [r[1] for r in rows][1:] == ["queued", "queued"]
        assert rows[0][1] in ("running", "stale")
        assert_no_done_without_result(rows)

        async def start_again() -> list[tuple[str, str | None]]:
            engine = await Engine.open(home, settings=settings, clock=FakeClock())
            try:
                (first, *_rest) = await engine.store.list_jobs()
                assert first.state == JobState.STALE and "paid call" in (first.stale_reason or "")
                await engine.retrigger([first.id])
                await engine.run(until_empty=True)
                return [(j.state, j.result) for j in await engine.store.list_jobs()]
            finally:
                await engine.close()

        final = asyncio.run(start_again())
    assert [state for state, _ in final] == ["done"] * 3
    # Job 1 (re-triggered, so now last in the queue) holds the answer to its second call,
    # request 4: the first answer, paid for but never saved, counted nowhere.
    assert [tag_of(result) for _, result in final] == [4, 2, 3]
    assert len(server.chat_requests) == 4


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_refused_writes_in_a_worker_process_give_a_clear_error_and_lose_nothing(
    home: Path, tmp_path: Path
) -> None:
    docs = [write_note(tmp_path / "docs", n) for n in range(1, 41)]
    with TaggedProvider() as server:
        env = {
            "PACELINE_PROVIDER": "openai",
            "PACELINE_API_BASE": server.url,
            "PACELINE_API_KEY": KEY,
            "PACELINE_MODEL": "fake-model",
            "PACELINE_PAUSE_S": "0",
        }
        assert run_cli(home, "add", *map(str, docs), env=env).returncode == 0
        # Hold an unsaveable answer for 2 s (not the default 10 min) before stopping.
        (home / "settings.json").write_text('{"save_patience_s": 2}', encoding="utf-8")
        # The OS refuses to grow any file of this process past 150 kB: the WAL soon hits it.
        limited = (
            "import resource, runpy, sys; "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000)); "
            "sys.argv = ['paceline-cli', 'run', '--until-empty']; "
            "runpy.run_module('core.cli', run_name='__main__')"
        )
        ran = subprocess.run(
            [sys.executable, "-c", limited], capture_output=True, text=True, cwd=ROOT,
            env={**os.environ, "PACELINE_HOME": str(home), **env}, timeout=60,
        )  # fmt: skip
        assert ran.returncode == 1, ran.stderr
        line = one_clear_line(ran.stderr)
        assert "its database" in line and "free space" in line, line
        rows = db_rows(home)
        assert_no_done_without_result(rows)
        states = [r[1] for r in rows]
        unsaved = states.count("running") + states.count("stale")
        assert 0 < states.count("done") < len(docs) and unsaved <= 1
        # No paid call after the failure: one call per job that was done, and at most one for
        # the job left unsaved (none when the refused write was the commit of its call's start,
        # which is made before the call is sent).
        done = states.count("done")
        assert done <= len(server.chat_requests) <= done + unsaved

        # Without the limit: the rest runs, the left-over job is (or becomes) stale, and
        # re-triggering it finishes everything.
        assert run_cli(home, "run", "--until-empty", env=env).returncode == 0
        assert run_cli(home, "retrigger", "--all-stale", env=env).returncode == 0
        finished = run_cli(home, "run", "--until-empty", env=env)
        assert finished.returncode == 0, finished.stderr
        rows = db_rows(home)
        assert [r[1] for r in rows] == ["done"] * len(docs)
        last_call = {}
        for record in server.chat_requests:
            last_call[record.markers[0]] = record.n
        for job_id, _, result in rows:
            assert tag_of(result) == last_call[f"MARK-{job_id}"], f"job {job_id}"

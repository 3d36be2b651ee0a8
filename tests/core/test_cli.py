"""paceline-cli end to end, in real subprocesses with PACELINE_HOME in a temporary folder."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import ROOT, run_cli, write_doc


def _folder(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / "docs"
    for i in range(n):
        write_doc(folder / f"doc{i:02d}.txt", i)
    (folder / "notes.bin").write_bytes(b"\x00\x01")  # not a document: skipped in folders
    return folder


def test_add_run_status_list_show_export(tmp_path: Path, home: Path) -> None:
    folder = _folder(tmp_path, 20)
    added = run_cli(home, "add", str(folder), "--json")
    assert added.returncode == 0, added.stderr
    report = json.loads(added.stdout)
    assert len(report["accepted"]) == 20 and report["rejected"] == []

    again = run_cli(home, "add", str(folder / "doc00.txt"))
    assert again.returncode == 0
    assert "duplicate" in again.stdout and "0 added" in again.stdout

    status = json.loads(run_cli(home, "status", "--json").stdout)
    assert status["counts"]["queued"] == 20 and status["eta_seconds"] > 0

    ran = run_cli(home, "run", "--until-empty")
    assert ran.returncode == 0, ran.stderr

    status = json.loads(run_cli(home, "status", "--json").stdout)
    assert status["counts"] == {
        "queued": 0,
        "running": 0,
        "done": 20,
        "failed": 0,
        "cancelled": 0,
        "stale": 0,
    }
    for key in ("eta_seconds", "paused", "backoff_seconds_left", "backoff_reason"):
        assert key in status

    listed = json.loads(run_cli(home, "list", "--state", "done", "--json").stdout)
    assert len(listed) == 20
    for item in listed:
        assert {"id", "path", "state", "attempts", "progress", "error_kind", "error"} <= set(item)
        assert item["progress"] == 1.0 and item["attempts"] == 1

    shown = json.loads(run_cli(home, "show", "1", "--json").stdout)
    assert shown["state"] == "done" and "Keywords" in shown["result"]

    out = tmp_path / "export.csv"
    exported = run_cli(home, "export", "1", "2", "--format", "csv", "-o", str(out))
    assert exported.returncode == 0
    assert out.read_text(encoding="utf-8").count("\n") >= 3


def test_errors_are_one_line_on_stderr_with_nonzero_exit(tmp_path: Path, home: Path) -> None:
    missing = run_cli(home, "show", "999")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "paceline-cli: There is no job #999."

    bad = run_cli(home, "add", str(tmp_path / "nope.pdf"))
    assert bad.returncode == 1
    assert "does not exist" in bad.stdout and bad.stderr.count("\n") == 1

    env_bad = run_cli(home, "status", env={"PACELINE_PACING": "warp"})
    assert env_bad.returncode == 1 and "Unknown pacing" in env_bad.stderr

    usage = run_cli(home, "retrigger")
    assert usage.returncode == 2 and "--all-stale" in usage.stderr


def test_queue_cap_from_the_environment(tmp_path: Path, home: Path) -> None:
    folder = _folder(tmp_path, 5)
    added = run_cli(home, "add", str(folder), "--json", env={"PACELINE_MAX_QUEUE": "3"})
    report = json.loads(added.stdout)
    assert len(report["accepted"]) == 3
    assert [r["kind"] for r in report["rejected"]] == ["queue_full", "queue_full"]


def test_pause_resume_cancel_remove_retrigger(tmp_path: Path, home: Path) -> None:
    folder = _folder(tmp_path, 3)
    run_cli(home, "add", str(folder))
    assert run_cli(home, "pause").returncode == 0
    status = json.loads(run_cli(home, "status", "--json").stdout)
    assert status["paused"] is True
    ran = run_cli(home, "run", "--until-empty")
    assert ran.returncode == 0
    assert json.loads(run_cli(home, "status", "--json").stdout)["counts"]["queued"] == 3
    assert run_cli(home, "cancel", "1").returncode == 0
    assert run_cli(home, "remove", "2").returncode == 1  # queued: must cancel first
    assert run_cli(home, "resume").returncode == 0
    assert run_cli(home, "run", "--until-empty").returncode == 0
    status = json.loads(run_cli(home, "status", "--json").stdout)
    assert status["counts"]["done"] == 2 and status["counts"]["cancelled"] == 1
    assert run_cli(home, "retrigger", "1").returncode == 0
    assert run_cli(home, "run", "--until-empty").returncode == 0
    assert run_cli(home, "remove", "1").returncode == 0
    status = json.loads(run_cli(home, "status", "--json").stdout)
    assert status["counts"]["done"] == 2 and status["total"] == 2


def _start_run(home: Path, *extra: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PACELINE_HOME=str(home))
    return subprocess.Popen(
        [sys.executable, "-m", "core.cli", "run", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_a_second_worker_is_refused_naming_the_holder(tmp_path: Path, home: Path) -> None:
    first = _start_run(home)
    try:
        _wait_for(
            lambda: (
                (home / "worker.lock").exists()
                and "paceline-cli run" in (home / "worker.lock").read_text()
            )
        )
        second = run_cli(home, "run", "--until-empty")
        assert second.returncode == 3
        assert "Another worker is already processing this queue" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        # jobs added meanwhile are processed by the running worker
        write_doc(tmp_path / "late.txt", 7)
        run_cli(home, "add", str(tmp_path / "late.txt"))
        _wait_for(
            lambda: json.loads(run_cli(home, "status", "--json").stdout)["counts"]["done"] == 1
        )
    finally:
        first.send_signal(signal.SIGINT)
        _, err = first.communicate(timeout=20)
    assert first.returncode == 130, err
    # after it stopped, the lock is free again
    assert run_cli(home, "run", "--until-empty").returncode == 0


def test_run_reports_this_run_and_exits_4_when_its_jobs_failed(
    tmp_path: Path, home: Path
) -> None:
    good = write_doc(tmp_path / "good.txt", 1)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not really a PDF" * 4)
    assert run_cli(home, "add", str(good), str(broken)).returncode == 0
    ran = run_cli(home, "run", "--until-empty")
    assert ran.returncode == 4, ran.stderr
    assert "this run 1 done, 1 failed" in ran.stderr
    assert ran.stderr.strip().splitlines()[-1].startswith("paceline-cli: 1 job(s) of this run")
    # A later run that finishes nothing says so, whatever the database holds from before.
    again = run_cli(home, "run", "--until-empty")
    assert again.returncode == 0, again.stderr
    assert "this run 0 done, 0 failed" in again.stderr

    listed = run_cli(home, "list").stdout.splitlines()
    assert listed[0].split() == ["ID", "STATE", "DONE", "DOCUMENT"]
    assert len(listed) == 3
    rows = list(csv.DictReader(io.StringIO(run_cli(home, "export", "--format", "csv").stdout)))
    assert len(rows) == 2
    for row in rows:
        digits = row["duration_s"].partition(".")[2]
        assert len(digits) <= 3, row["duration_s"]  # milliseconds, not 17 digits

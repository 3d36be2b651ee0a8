"""paceline-cli watch add|list|pause|resume|remove, and run --watch in a real process: a document
dropped into a watched folder is queued, analysed and answered with a result file beside it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import ROOT, run_cli, write_doc


def test_watch_add_list_pause_resume_remove(tmp_path: Path, home: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    added = run_cli(home, "watch", "add", str(inbox), "--profile", "Key points", "--pattern",
                    "*.pdf;*.txt", "--results", "beside", "--format", "json", "--json")
    assert added.returncode == 0, added.stderr
    folder = json.loads(added.stdout)
    assert folder["path"] == str(inbox) and folder["profile"] == "Key points"
    assert folder["results"] == "beside" and folder["results_format"] == "json"

    listed = run_cli(home, "watch", "list")
    assert "idle" in listed.stdout and str(inbox) in listed.stdout
    assert "queued 0, done 0, failed 0" in listed.stdout

    assert run_cli(home, "watch", "pause", str(inbox)).returncode == 0
    (item,) = json.loads(run_cli(home, "watch", "list", "--json").stdout)
    assert item["paused"] is True and item["counts"]["queued"] == 0
    assert run_cli(home, "watch", "resume", "1").returncode == 0

    twice = run_cli(home, "watch", "add", str(inbox))
    assert twice.returncode == 2 and "already a watch folder" in twice.stderr
    missing = run_cli(home, "watch", "add", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "does not exist or is not a folder" in missing.stderr
    unknown = run_cli(home, "watch", "remove", "9")
    assert unknown.returncode == 2 and "There is no watch folder 9" in unknown.stderr

    removed = run_cli(home, "watch", "remove", str(inbox))
    assert removed.returncode == 0 and "its jobs stay" in removed.stdout
    assert "No watch folders" in run_cli(home, "watch", "list").stdout


def test_run_watch_queues_analyses_and_writes_the_result_file(tmp_path: Path, home: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # short waiting times for the test (the defaults are 3 s and 30 s)
    (home / "settings.json").write_text(json.dumps(
        {"watch_stable_s": 0.3, "watch_rescan_s": 0.5}), encoding="utf-8")
    assert run_cli(home, "watch", "add", str(inbox), "--results", "beside").returncode == 0
    write_doc(inbox / "before.txt", seed=1)  # arrived while nothing ran
    env = {**os.environ, "PACELINE_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "run", "--watch"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        write_doc(inbox / "later.txt", seed=2)
        deadline = time.monotonic() + 60
        wanted = [inbox / "before.txt.summary.md", inbox / "later.txt.summary.md"]
        while not all(p.exists() for p in wanted):
            assert time.monotonic() < deadline, "no result files"
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        (item,) = json.loads(run_cli(home, "watch", "list", "--json").stdout)
        assert item["state"] == "watching" and item["counts"]["done"] == 2
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "watching 1 folder(s)" in err
    jobs = json.loads(run_cli(home, "list", "--json").stdout)
    assert sorted(Path(j["path"]).name for j in jobs) == ["before.txt", "later.txt"]
    (item,) = json.loads(run_cli(home, "watch", "list", "--json").stdout)
    assert item["state"] == "idle"  # nobody watches once it stopped


def test_run_watch_refuses_until_empty(home: Path) -> None:
    both = run_cli(home, "run", "--watch", "--until-empty")
    assert both.returncode == 2 and "leave out --until-empty" in both.stderr

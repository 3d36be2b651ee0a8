"""What ``paceline-cli run`` shows while it works: a live line on a terminal (a real pty), one
plain line per finished job in a pipe, and the live line's parts from a real engine."""

from __future__ import annotations

import asyncio
import io
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from core.cli_help import RUN_LINES
from core.cli_progress import LiveLine, finished_line, wait_text
from core.engine import Engine
from core.jobs import Job
from core.settings import Settings
from core.states import JobState
from tests.fake_analyzers import ScriptedAnalyzer
from tests.fake_clock import FakeClock
from tests.helpers import ROOT, run_cli, write_doc

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _screen_lines(written: str) -> str:
    """The text without control codes, a line per redraw (a carriage return starts one)."""
    return ANSI.sub("", written).replace("\r\n", "\n").replace("\r", "\n")


def _good_and_broken(tmp_path: Path, home: Path) -> None:
    good = write_doc(tmp_path / "good.txt", 1)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not really a PDF" * 4)
    assert run_cli(home, "add", str(good), str(broken)).returncode == 0


def _run_in_pty(home: Path, *args: str, timeout: float = 60) -> tuple[str, int]:
    """paceline-cli in a pseudo-terminal, as a person's terminal runs it: all it wrote, and
    its exit code."""
    import pty

    leader, follower = pty.openpty()
    env = dict(os.environ, PACELINE_HOME=str(home), TERM="xterm-256color", COLUMNS="160")
    for var in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        env.pop(var, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli", *args],
        stdin=follower, stdout=follower, stderr=follower, cwd=ROOT, env=env,
    )  # fmt: skip
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(leader, 65536)
            except OSError:  # Linux: the terminal closed with the program
                break
            if not data:
                break
            chunks.append(data)
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(leader)
        if proc.poll() is None:
            proc.kill()
    return b"".join(chunks).decode("utf-8", "replace"), code


pty_only = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


@pty_only
def test_on_a_terminal_run_draws_a_live_line_with_this_runs_jobs(
    tmp_path: Path, home: Path
) -> None:
    _good_and_broken(tmp_path, home)
    written, code = _run_in_pty(home, "run", "--until-empty")
    assert code == 4, written
    assert "\x1b[" in written  # drawn in place by rich: cursor and colour codes
    shown = _screen_lines(written)
    # the live line's last state stays on the screen: both jobs of this run, one failed
    assert "2/2 finished, 1 failed" in shown
    assert re.search(r"^done   #1 good\.txt  1 part  [\d,]+ tokens  \d+\.\d s", shown, re.M)
    assert re.search(r"^failed #2 broken\.pdf  corrupt: ", shown, re.M)
    assert "worker stopped: this run 1 done, 1 failed" in shown


@pty_only
def test_on_a_terminal_a_paused_queue_says_so_in_the_live_line(
    tmp_path: Path, home: Path
) -> None:
    write_doc(tmp_path / "waiting.txt", 3)
    assert run_cli(home, "add", str(tmp_path / "waiting.txt")).returncode == 0
    assert run_cli(home, "pause").returncode == 0
    written, code = _run_in_pty(home, "run", "--until-empty")
    assert code == 0, written
    shown = _screen_lines(written)
    assert "0/1 finished" in shown and "paused: Paused by you" in shown


def test_in_a_pipe_run_prints_one_plain_line_per_finished_job(
    tmp_path: Path, home: Path
) -> None:
    _good_and_broken(tmp_path, home)
    # CI systems set FORCE_COLOR; a pipe still gets no control codes.
    ran = run_cli(home, "run", "--until-empty", env={"FORCE_COLOR": "1", "TERM": "xterm"})
    assert ran.returncode == 4, ran.stderr
    assert "\x1b" not in ran.stdout and "\x1b" not in ran.stderr and "\r" not in ran.stdout
    lines = ran.stdout.splitlines()
    assert len(lines) == 2, ran.stdout
    assert re.fullmatch(r"done   #1 good\.txt  1 part  [\d,]+ tokens  \d+\.\d s", lines[0])
    assert re.fullmatch(r"failed #2 broken\.pdf  corrupt: \S.*", lines[1])
    # a later run finishes nothing and prints no job line
    again = run_cli(home, "run", "--until-empty")
    assert again.returncode == 0 and again.stdout == ""


def _job(**kw: object) -> Job:
    fields: dict[str, object] = dict(
        id=7, path="/docs/a.txt", size=1, mtime=0.0, sha256="0" * 64, profile="Summary",
        prompt="Summarise.", provider="offline", model="builtin", state=JobState.DONE,
        position=1,
    )  # fmt: skip
    fields.update(kw)
    return Job(**fields)  # type: ignore[arg-type]


def test_a_finished_line_is_one_line_without_control_characters() -> None:
    line = finished_line(_job(
        path="/docs/evil\x1b[2Jname\n.txt", state=JobState.FAILED, error_kind="bad_request",
        error="The provider rejected the request (HTTP 400):\n\x1b[31mno\x1b[0m.",
    ))  # fmt: skip
    assert "\x1b" not in line and "\n" not in line
    assert line.startswith("failed #7 evil [2Jname .txt  bad_request: The provider rejected")
    done = finished_line(_job(
        parts_planned=3, parts_done=3, prompt_tokens=1200, completion_tokens=34, duration_s=14.2,
        error_kind="output_truncated", error="Cut off at the output limit of 800 tokens.",
    ))  # fmt: skip
    assert done == ("done   #7 a.txt  3 parts  1,234 tokens  14.2 s  output_truncated: Cut off "
                    "at the output limit of 800 tokens.")


def test_run_help_shows_the_lines_run_prints() -> None:
    done = _job(id=12, path="/docs/report.pdf", parts_planned=3, parts_done=3,
                prompt_tokens=1200, completion_tokens=34, duration_s=14.2)  # fmt: skip
    failed = _job(id=13, path="/x.pdf", state=JobState.FAILED, error_kind="context_too_long",
                  error="The document part is too long for the model's context.")
    assert f"  {finished_line(done)}\n" in RUN_LINES
    assert f"  {finished_line(failed)[:60]}" in RUN_LINES


def test_the_wait_text_counts_down_and_names_the_reason() -> None:
    status = {"paused": False, "wait_kind": "backoff",
              "wait_reason": "Backing off after 2 failed calls: HTTP 503"}
    assert wait_text(status, 74.4) == (
        "backoff: 1 min 15 s left (Backing off after 2 failed calls: HTTP 503)"
    )
    pause = {"paused": False, "wait_kind": "pause", "wait_reason": "Pausing 10 s between calls"}
    assert wait_text(pause, 3.0) == "pause between calls: 3 s left"
    assert wait_text(pause, 0.4) == "pause between calls: 1 s left"  # as a countdown shows it
    assert wait_text(pause, 0.0) == ""  # the wait is over
    paused = {"paused": True, "pause_reason": "The provider refused the API key.",
              "wait_kind": None}
    assert wait_text(paused, 0.0) == "paused: The provider refused the API key."


async def _until(predicate: Callable[[], bool], what: str) -> None:
    for _ in range(2000):
        if predicate():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never reached: {what}")


def _shown(line: LiveLine) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=300, color_system=None).print(line.progress.get_renderable())
    return buffer.getvalue()


def test_the_live_line_shows_the_running_job_its_part_the_eta_and_the_pause(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(auto_advance=False)  # the pause lasts until the test moves time
    analyzer = ScriptedAnalyzer(clock, latency=0.0, part_chars=600)
    monkeypatch.setattr("core.engine.make_analyzer", lambda *_a, **_k: analyzer)
    gate = asyncio.Event()
    analyzer.gate = gate  # the first call stays in flight until the test lets it go
    docs = [write_doc(tmp_path / "long.txt", 1, paragraphs=12), write_doc(tmp_path / "b.txt", 2)]

    async def go() -> None:
        engine = await Engine.open(home, settings=Settings(pause_s=30.0), clock=clock)
        await engine.add_paths(docs)
        worker = await engine.start_worker("test")
        line = LiveLine(engine, worker, clock.wall(), io.StringIO())
        running = asyncio.create_task(engine.run(until_empty=True))
        await _until(lambda: len(analyzer.calls) == 1, "the first call in flight")
        await line.read_status()
        shown = _shown(line)
        assert "0/2 finished" in shown
        assert re.search(r"#1 long\.txt \d+% \(part 1 of [3-9]\)", shown), shown
        assert "ETA " in shown

        gate.set()  # part 1 answers; the next call waits out the 30 s pause
        await _until(lambda: any(s > 0 for s in clock.sleeps), "the pause")
        await line.read_status()
        shown = _shown(line)
        assert "pause between calls: 30 s left" in shown, shown

        while not running.done():
            clock.advance(30.0)
            await asyncio.sleep(0.01)
        await running
        await line.read_status()
        shown = _shown(line)
        assert "2/2 finished" in shown and "#1" not in shown and "queue empty" in shown
        assert [j.name for j in line.tally.finished] == ["long.txt", "b.txt"]
        line.tally.close()
        await engine.close()

    asyncio.run(go())

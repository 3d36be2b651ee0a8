"""An answer cut at the output limit (``finish_reason: "length"``) ends the job as done, flagged.

End to end: paceline-cli in subprocesses against the fake provider on 127.0.0.1. The job is done
(the answer was paid for and is kept) with the error kind ``output_truncated`` and a message
that names the limit and the cut call; ``list --json`` shows it, and ``retrigger --kind
output_truncated`` queues it again so every call is made anew.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fake_provider import FakeProvider
from tests.helpers import run_cli

KEY = "sk-test-cut-3b9e"


@pytest.fixture
def server() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def env(home: Path, server: FakeProvider) -> dict[str, str]:
    # A small part size so a few sections need several calls, and a small output limit.
    (home / "settings.json").write_text(
        json.dumps({"context_chars": 2000, "max_output_tokens": 300}), encoding="utf-8")
    return {
        "PACELINE_PROVIDER": "openai",
        "PACELINE_API_BASE": server.url,
        "PACELINE_API_KEY": KEY,
        "PACELINE_PAUSE_S": "0",
    }


def _cli(home: Path, env: dict[str, str], *args: str) -> str:
    done = run_cli(home, *args, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _jobs(home: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    return json.loads(_cli(home, env, "list", "--json"))


def _document(folder: Path, parts: int) -> Path:
    """About 1,500 characters per section, the k-th marked MARK-k: one call per section."""
    sections = [
        "\n".join([f"MARK-{n} section {n}."] + [
            f"line {i} of section {n}: the worker paces every call to the provider."
            for i in range(22)
        ])
        for n in range(1, parts + 1)
    ]
    path = folder / f"report-{parts}.txt"
    path.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    return path


def test_a_streamed_answer_cut_at_the_limit_is_done_but_flagged(
    home: Path, env: dict[str, str], server: FakeProvider, tmp_path: Path
) -> None:
    note = tmp_path / "note.txt"
    note.write_text("MARK-1 A short note about pacing.\n", encoding="utf-8")
    _cli(home, env, "add", str(note))
    server.script(["length"])
    _cli(home, env, "run", "--until-empty")

    (job,) = _jobs(home, env)
    assert job["state"] == "done" and job["progress"] == 1.0
    assert job["error_kind"] == "output_truncated"
    assert job["error"] == ("The answer was cut off at the output limit of 300 tokens. Run it "
                            'again with a larger output limit: raise "Output limit" in '
                            "Settings → Provider.")
    assert server.chat_requests[0].stream and server.chat_requests[0].body["max_tokens"] == 300
    shown = json.loads(_cli(home, env, "show", str(job["id"]), "--json"))
    assert shown["result"] == "Analysis of MARK-1."  # the cut answer is kept
    assert any("cut off" in line["message"] for line in shown["log"])
    assert "output_truncated" in _cli(home, env, "list")  # the plain listing names it too
    exported = _cli(home, env, "export", "--format", "md")
    assert "> **Note (output_truncated):** The answer was cut off" in exported
    assert "Analysis of MARK-1." in exported


def test_a_cut_part_is_named_and_retrigger_by_kind_runs_every_call_again(
    home: Path, env: dict[str, str], server: FakeProvider, tmp_path: Path
) -> None:
    whole = tmp_path / "whole.txt"
    whole.write_text("MARK-9 A note whose answer is complete.\n", encoding="utf-8")
    _cli(home, env, "add", str(_document(tmp_path, 3)), str(whole))
    server.script(["ok", "length", "ok", "ok", "ok"])  # part 2 of 3 is cut
    _cli(home, env, "run", "--until-empty")

    cut, complete = _jobs(home, env)
    assert (cut["state"], cut["error_kind"]) == ("done", "output_truncated")
    assert "(part 2 of 3)" in cut["error"] and "300 tokens" in cut["error"]
    assert (complete["state"], complete["error_kind"], complete["error"]) == ("done", None, None)

    # Only the cut job is queued again; a done job with its whole answer stays done.
    assert "0 job(s) queued again" in _cli(home, env, "retrigger", str(complete["id"]))
    retriggered = _cli(home, env, "retrigger", "--kind", "output_truncated")
    assert "1 job(s) queued again" in retriggered
    by_id = {j["id"]: j for j in _jobs(home, env)}
    assert by_id[cut["id"]]["state"] == "queued" and by_id[cut["id"]]["error_kind"] is None
    assert by_id[complete["id"]]["state"] == "done"

    server.reset_log()
    _cli(home, env, "run", "--until-empty")
    # Every part is sent again (which one was cut is not kept), then the combining call.
    assert [r.markers for r in server.chat_requests] == [
        ["MARK-1"], ["MARK-2"], ["MARK-3"], ["MARK-1", "MARK-2", "MARK-3"]]
    again = {j["id"]: j for j in _jobs(home, env)}[cut["id"]]
    assert (again["state"], again["error_kind"], again["error"]) == ("done", None, None)


def test_a_cut_combining_call_is_named(
    home: Path, env: dict[str, str], server: FakeProvider, tmp_path: Path
) -> None:
    _cli(home, env, "add", str(_document(tmp_path, 2)))
    server.script(["ok", "ok", "length"])
    _cli(home, env, "run", "--until-empty")
    (job,) = _jobs(home, env)
    assert job["state"] == "done" and job["error_kind"] == "output_truncated"
    assert "(the combining call)" in job["error"]
    # --all-failed --kind looks at failed jobs only: the done one is not among them.
    assert "0 job(s) queued again" in _cli(
        home, env, "retrigger", "--all-failed", "--kind", "output_truncated")

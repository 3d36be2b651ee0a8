"""paceline-cli's parser and everything its help says: what each command does, the JSON its
``--json`` prints, the exit codes, the analysis profiles and the error kinds.

The lists are made from the code's own tables (exit codes below, ``core.profiles``,
``core.error_kinds``, the Job record's fields), so the help cannot drift from what runs;
tests/core/test_cli_help.py checks the JSON descriptions against real output.
"""

from __future__ import annotations

import argparse
import textwrap
from dataclasses import fields
from pathlib import Path
from typing import Any

from core import __version__
from core.batch_cli import add_batch_parser
from core.error_kinds import BATCH_KINDS, DOCUMENT_KINDS, OTHER_KINDS, PROVIDER_KINDS
from core.job_log import LogEvent
from core.jobs import Job
from core.profiles import BUILTIN_PROFILES, DEFAULT_PROFILE
from core.states import ALL_STATES, OUTPUT_TRUNCATED
from core.watch_cli import add_watch_parser

# ------------------------------------------------------------------ exit codes

OK = 0
ERROR = 1
USAGE = 2
LOCKED = 3
JOBS_FAILED = 4
INTERRUPTED = 130

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (OK, "success"),
    (ERROR, "an error, said in one line on stderr"),
    (USAGE, "bad usage (an unknown option, a missing argument)"),
    (LOCKED, "another worker already runs this queue (the message names it)"),
    (JOBS_FAILED, "'run' ended and jobs of this run failed ('list --state failed' says why)"),
    (INTERRUPTED, "stopped by Ctrl-C"),
)

# ------------------------------------------------------------------ JSON shapes

STATUS_FIELDS: dict[str, str] = {
    "counts": "jobs per state: {queued, running, done, failed, cancelled, stale}",
    "total": "all jobs in the queue's list",
    "eta_seconds": "seconds until the queued and running jobs are done (0 when none)",
    "paused": "true when the queue is paused",
    "pause_reason": "why it is paused, for a person, or null",
    "pause_kind": "'user' when you paused it, else the error kind that paused it, or null",
    "backoff_seconds_left": "seconds left of a wait after failed or refused calls, else 0",
    "backoff_reason": "why it waits after failures, or null",
    "wait_kind": "the current wait: pause, backoff, retry_after, throttle, unreachable or null",
    "wait_seconds_left": "seconds left of the current wait (any kind), else 0",
    "wait_reason": "the current wait's reason, or null",
    "unreachable_since": "Unix time since when the server cannot be reached, or null",
    "provider": "offline or openai (any OpenAI-compatible server)",
    "model": "the model calls go to",
    "endpoint": "where calls go: {provider, label, base_url, host, model}; provider "
    "'offline' sends nothing anywhere",
    "settings_sources": "settings not at their default, each with where it was set: "
    "{name: {source, where}} (the settings file or an environment variable)",
    "pacing": "fixed or adaptive",
    "tokens": "tokens used by all jobs: {prompt, completion, total}",
    "cost": "tokens x the price per 1,000 tokens set in Settings (tokens answered through a "
    "batch at half that price)",
    "batches": "provider batches, open ones first, then the last 10 finished: {id, "
    "remote_id, stage, counts: {total, completed, failed}, jobs, created, expires, finished, "
    "eta_seconds, cancel_requested, error}",
    "worker": "who runs the queue now: {holder, pid}, or null when nobody does",
    "orphaned_running": "jobs shown running that no live worker runs",
}

LIST_FIELDS: dict[str, str] = {
    "eta_seconds": "seconds until this job is done, or null when it is not queued or running",
    "id": "the job's number",
    "path": "the document's absolute path",
    "state": "one of " + ", ".join(ALL_STATES),
    "attempts": "times the job was started (a retry is one more)",
    "progress": "0 to 1: parts done plus the streamed share of the current part",
    "parts_done": "parts of the document analysed",
    "parts_planned": "parts planned (several for a long document, plus one combining call)",
    "profile": "the analysis profile",
    "tokens": "prompt plus completion tokens used",
    "error_kind": "the error kind (see 'retrigger --help'), or null",
    "error": "what went wrong, for a person, or null",
    "stale_reason": "why a stale job stopped, or null",
    "batch_id": "the provider batch it runs in (see 'paceline-cli batch list'), or null",
}

# What `show --json` adds to, or says differently from, the fields of `list --json`.
SHOW_FIELDS: dict[str, str] = {
    "result": "the analysis (Markdown), or null",
    "started_at": "Unix time of the first claim, or null",
    "finished_at": "Unix time it ended, or null",
    "duration_s": "seconds spent in calls, summed over attempts",
    "prompt_tokens": "tokens sent",
    "completion_tokens": "tokens answered",
    "log": "the job's events, oldest first: [{at: Unix time, event, message}, ...]; event is "
    f"one of {', '.join(LogEvent)}",
}

# ------------------------------------------------------------------ the texts


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(
        " ".join(text.split()), width=88, initial_indent=indent, subsequent_indent=indent
    )


def _table(rows: dict[str, str] | tuple[tuple[int, str], ...], title: str) -> str:
    items = [(str(k), v) for k, v in (rows.items() if isinstance(rows, dict) else rows)]
    width = max(len(k) for k, _ in items) + 2
    lines = [title]
    for key, text in items:
        wrapped = textwrap.wrap(text, width=86 - width, break_on_hyphens=False) or [""]
        lines.append(f"  {key:<{width}}{wrapped[0]}")
        lines += [f"  {'':<{width}}{more}" for more in wrapped[1:]]
    return "\n".join(lines)


def exit_codes_text() -> str:
    return _table(EXIT_CODES, "exit codes:")


def profiles_text() -> str:
    rows = {
        p.name + (" (default)" if p.name == DEFAULT_PROFILE else ""): p.prompt
        for p in BUILTIN_PROFILES
    }
    return (
        _table(rows, "analysis profiles (--profile), with the prompt each sends:")
        + "\n  and the profiles of your own, made in the window's Settings."
    )


def kinds_text() -> str:
    return "\n\n".join(
        (
            _table(DOCUMENT_KINDS, "error kinds of the document (the job fails; nothing sent):"),
            _table(PROVIDER_KINDS, "error kinds of the provider or the way to it:"),
            _table(BATCH_KINDS, "error kinds of a provider batch (paceline-cli batch):"),
            _table(OTHER_KINDS, "other kinds:"),
        )
    )


# Job fields ``show --json`` leaves out (core.jobs.Job.to_dict): internal bookkeeping.
HIDDEN = frozenset({"extra", "lease"})


def show_described() -> dict[str, str]:
    """The fields of ``show --json`` that the help describes one by one."""
    return {k: v for k, v in LIST_FIELDS.items() if k != "eta_seconds"} | SHOW_FIELDS


def show_text() -> str:
    described = show_described()
    rest = [f.name for f in fields(Job) if f.name not in described and f.name not in HIDDEN]
    return (
        _json_text("one object, the job's whole record", described)
        + "\n"
        + _wrap("and the record's other fields: " + ", ".join(rest) + ".", "  ")
    )


def _json_text(shape: str, rows: dict[str, str]) -> str:
    return _table(rows, f"--json prints {shape}:")


# What ``run`` prints per finished job (core/cli_progress.py's finished_line).
RUN_LINES = """a line per finished job, e.g.:
  done   #12 report.pdf  3 parts  1,234 tokens  14.2 s
  failed #13 x.pdf  context_too_long: The document part is too long for the model's ...
  stale  #14 y.pdf  Paceline stopped while a paid call for this job was in flight; ..."""

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (one line for `paceline-cli --help`, the fuller text of `paceline-cli NAME --help`)
    "add": (
        "enqueue files and folders (recursive)",
        "Queue documents for analysis. Folders are searched recursively for supported files. "
        "A file already queued or done with the same content and profile is reported as a "
        "duplicate and not added again unless --force is given. Each file gets a line: "
        "added, duplicate or rejected (with its kind and why).",
    ),
    "run": (
        "run the worker in this terminal; Ctrl-C stops cleanly",
        "Run the queue's worker in this process until Ctrl-C (or, with --until-empty, until "
        "no job is left to run). On a terminal a live line shows this run's jobs finished of "
        "its total, the current job and its progress, the queue's ETA and any wait (pause, "
        "backoff, throttling), with a line above it for each job that finishes. Anywhere "
        "else (a pipe, a file, CI) only those lines are printed, without control codes "
        "(examples below). The start line and the summary, which counts this run's jobs "
        "only, go to stderr. One worker runs a queue at a time: the window's or one 'run'.",
    ),
    "status": (
        "counts per state, ETA, waits, totals",
        "What the queue is doing: jobs per state, the ETA, a pause or wait and its reason, "
        "and the tokens used. Reads only; works while a worker runs elsewhere.",
    ),
    "list": (
        "list jobs, in the order they were added",
        "One line per job: its number, state, progress and document, with the error of a "
        "failed job.",
    ),
    "show": (
        "one job with its result or error",
        "A job's line, why it is stale if it is, and its result.",
    ),
    "retrigger": (
        "queue stale, failed or cancelled jobs again",
        "Queue jobs again: by number, every stale one, every failed one (of one error kind "
        f"with --kind), or with --kind alone every job of that kind, including done jobs "
        f"whose answer was cut off at the output limit ({OUTPUT_TRUNCATED}).",
    ),
    "cancel": (
        "cancel queued or running jobs",
        "Cancel jobs that are queued or running. A running call is hung up; a paid call "
        "already sent may still be charged.",
    ),
    "remove": (
        "remove finished jobs from the list",
        "Remove done, failed, cancelled or stale jobs from the list (the documents stay where "
        "they are). Cancel queued or running jobs first.",
    ),
    "pause": (
        "pause the queue (the running call finishes)",
        "Pause the queue for every worker on it (the window's too): no new call starts; the "
        "running call finishes.",
    ),
    "resume": (
        "resume the queue",
        "Resume a paused queue, also one paused by an error such as a refused key once it "
        "is fixed.",
    ),
    "export": (
        "export jobs as Markdown, JSON or CSV",
        "Write the given jobs (all without IDs) with their results as Markdown, JSON or CSV, "
        "to stdout or to a file. CSV cells that a spreadsheet would run as a formula "
        "(starting with = + - @) get a ' in front.",
    ),
}


def _sub(sub: Any, name: str, epilog: str = "") -> argparse.ArgumentParser:
    short, long = COMMANDS[name]
    return sub.add_parser(
        name,
        help=short,
        description=_wrap(long),
        epilog=epilog or None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paceline-cli",
        description="Queue documents for analysis and run them through a paced worker.",
        epilog=exit_codes_text() + "\n\n'paceline-cli COMMAND --help' says more about each.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"paceline {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = _sub(sub, "add", profiles_text())
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--profile", help=f"analysis profile (default: {DEFAULT_PROFILE})")
    p.add_argument("--force", action="store_true", help="add even if already queued or done")
    p.add_argument("--priority", type=int, default=0, help="higher runs first")
    p.add_argument("--json", action="store_true",
                   help="print {accepted: [{id, path}], duplicates: [{path, existing_id}], "
                   "rejected: [{path, kind, reason}]}")

    p = _sub(sub, "run", RUN_LINES + "\n\n" + exit_codes_text())
    p.add_argument("--until-empty", action="store_true", help="exit when the queue is empty")
    p.add_argument("--watch", action="store_true",
                   help="also watch the watch folders (see 'paceline-cli watch')")

    p = _sub(sub, "status", _json_text("one object", STATUS_FIELDS))
    p.add_argument("--json", action="store_true", help="print an object (fields below)")

    p = _sub(sub, "list", _json_text("an array of objects", LIST_FIELDS))
    p.add_argument("--state", choices=[str(s) for s in ALL_STATES])
    p.add_argument("--json", action="store_true", help="print an array (fields below)")

    p = _sub(sub, "show", show_text())
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true", help="print an object (fields below)")

    p = _sub(sub, "retrigger", kinds_text())
    p.add_argument("ids", nargs="*", type=int, metavar="ID")
    p.add_argument("--all-stale", action="store_true")
    p.add_argument("--all-failed", action="store_true")
    p.add_argument("--kind", help="only this error kind (listed below): with --all-failed, "
                   "failed jobs; alone, every job of the kind")

    for name in ("cancel", "remove"):
        p = _sub(sub, name)
        p.add_argument("ids", nargs="+", type=int, metavar="ID")

    _sub(sub, "pause")
    _sub(sub, "resume")

    p = _sub(sub, "export")
    p.add_argument("ids", nargs="*", type=int, metavar="ID")
    p.add_argument("--format", choices=["md", "json", "csv"], default="md")
    p.add_argument("-o", "--output", type=Path)
    add_watch_parser(sub)
    add_batch_parser(sub)
    return parser

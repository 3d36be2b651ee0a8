"""paceline-cli: the stable command-line interface of DESIGN.md.

Exit codes: 0 success, 1 an error (one line on stderr), 2 bad usage, 3 another worker holds
the queue, 4 ``run`` ended with jobs of this run failed, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core import __version__, paths
from core.engine import Engine
from core.errors import SchemaTooNew, StorageError, WorkerLocked
from core.export import export
from core.logs import setup_logging
from core.settings import SettingsError
from core.states import ALL_STATES, OUTPUT_TRUNCATED, JobState
from core.watch_cli import add_watch_parser, watch_command


class CliError(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paceline-cli",
        description="Queue documents for analysis and run them through a paced worker.",
    )
    parser.add_argument("--version", action="version", version=f"paceline {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("add", help="enqueue files and folders (recursive)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--profile", help="analysis profile (default: Summary)")
    p.add_argument("--force", action="store_true", help="add even if already queued or done")
    p.add_argument("--priority", type=int, default=0, help="higher runs first")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("run", help="run the worker in this terminal; Ctrl-C stops cleanly")
    p.add_argument("--until-empty", action="store_true", help="exit when the queue is empty")
    p.add_argument("--watch", action="store_true",
                   help="also watch the watch folders (see 'paceline-cli watch')")

    p = sub.add_parser("status", help="counts per state, ETA, backoff, totals")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("list", help="list jobs")
    p.add_argument("--state", choices=[str(s) for s in ALL_STATES])
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("show", help="one job with its result or error")
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("retrigger", help="queue stale, failed or cancelled jobs again (and "
                       "done ones whose answer was cut at the output limit)")
    p.add_argument("ids", nargs="*", type=int, metavar="ID")
    p.add_argument("--all-stale", action="store_true")
    p.add_argument("--all-failed", action="store_true")
    p.add_argument("--kind", help="only this error kind: with --all-failed, failed jobs; alone, "
                   f"every job of the kind (e.g. {OUTPUT_TRUNCATED}, done but cut off)")

    for name, text in (
        ("cancel", "cancel queued or running jobs"),
        ("remove", "remove finished jobs from the list"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("ids", nargs="+", type=int, metavar="ID")

    sub.add_parser("pause", help="pause the queue (the running call finishes)")
    sub.add_parser("resume", help="resume the queue")

    p = sub.add_parser("export", help="export jobs as Markdown, JSON or CSV")
    p.add_argument("ids", nargs="*", type=int, metavar="ID")
    p.add_argument("--format", choices=["md", "json", "csv"], default="md")
    p.add_argument("-o", "--output", type=Path)
    add_watch_parser(sub)
    return parser


LIST_HEADER = f"{'ID':>6}  {'STATE':<9}  {'DONE':>6}  DOCUMENT"
# ``run`` finished and some of the jobs it ran failed (their kinds are in ``list``).
JOBS_FAILED = 4


def _job_line(job: Any) -> str:
    progress = f"{job.progress * 100:5.1f}%"
    error = f"  {job.error_kind}: {job.error}" if job.error else ""
    return f"{job.id:6d}  {job.state:<9}  {progress}  {job.path}{error}"


def _fmt_seconds(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def _list_item(job: Any, eta: float | None = None) -> dict[str, Any]:
    return {
        "eta_seconds": None if eta is None else round(eta, 1),
        "id": job.id,
        "path": job.path,
        "state": str(job.state),
        "attempts": job.attempts,
        "progress": round(job.progress, 4),
        "parts_done": job.parts_done,
        "parts_planned": job.parts_planned,
        "profile": job.profile,
        "tokens": job.tokens,
        "error_kind": job.error_kind,
        "error": job.error,
        "stale_reason": job.stale_reason,
    }


async def _run_command(args: argparse.Namespace) -> int:
    try:
        home = paths.home()
        setup_logging(home, "paceline-cli")
    except OSError as exc:
        raise CliError(
            f"Paceline cannot write to its folder ({exc.filename or exc}: "
            f"{exc.strerror or 'not writable'}). Make the folder writable, or set PACELINE_HOME "
            "to a folder you can write to."
        ) from exc
    engine = await Engine.open(home)
    for warning in engine.settings_warnings:
        # On stderr, so `status --json` and exports on stdout stay parseable.
        sys.stderr.write(f"paceline-cli: warning: {warning}\n")
    try:
        return await _dispatch(engine, args)
    finally:
        await engine.close()


async def _dispatch(engine: Engine, args: argparse.Namespace) -> int:
    out = sys.stdout
    cmd = args.command
    if cmd == "add":
        try:
            outcome = await engine.add_paths(
                args.paths, profile=args.profile, force=args.force, priority=args.priority
            )
        except ValueError as exc:
            raise CliError(str(exc), 2) from exc
        report = outcome.report
        if args.json:
            out.write(json.dumps(report.to_dict(), indent=2) + "\n")
        else:
            for job in report.accepted:
                out.write(f"added      #{job.id}  {job.path}\n")
            for path, existing in report.duplicates:
                out.write(f"duplicate  {path}  (same content and profile as job #{existing})\n")
            for path, kind, reason in report.rejected:
                out.write(f"rejected   {path}  [{kind}] {reason}\n")
            out.write(outcome.summary + "\n")
        if not report.accepted and report.rejected:
            raise CliError(f"nothing added: {len(report.rejected)} rejected")
        return 0
    if cmd == "run":
        return await _run_worker(engine, args.until_empty, watch=args.watch)
    if cmd == "watch":
        try:
            return await watch_command(engine, args, out)
        except ValueError as exc:  # no such folder, an unknown profile, a bad option
            raise CliError(str(exc), 2) from exc
    if cmd == "status":
        status = await engine.status()
        if args.json:
            out.write(json.dumps(status, indent=2) + "\n")
        else:
            counts = status["counts"]
            out.write("  ".join(f"{k}: {v}" for k, v in counts.items()) + "\n")
            out.write(f"ETA: {_fmt_seconds(status['eta_seconds'])}\n")
            if status["paused"]:
                out.write(f"Paused: {status['pause_reason']}\n")
            if status["backoff_seconds_left"]:
                out.write(
                    f"Waiting {_fmt_seconds(status['backoff_seconds_left'])}: "
                    f"{status['backoff_reason']}\n"
                )
            out.write(f"Tokens: {status['tokens']['total']:,}\n")
            if status["orphaned_running"]:
                out.write(
                    f"{status['orphaned_running']} job(s) show as running, but no worker runs "
                    "the queue: they were left by one that stopped, and are marked stale when "
                    "the window or 'paceline-cli run' starts.\n"
                )
        return 0
    if cmd == "list":
        state = JobState(args.state) if args.state else None
        jobs = await engine.jobs(state)
        if args.json:
            etas, _ = await engine.eta()
            items = [_list_item(j, etas.get(j.id)) for j in jobs]
            out.write(json.dumps(items, indent=2) + "\n")
        else:
            if jobs:
                out.write(LIST_HEADER + "\n")
            for job in jobs:
                out.write(_job_line(job) + "\n")
        return 0
    if cmd == "show":
        job = await engine.job(args.id)
        if job is None:
            raise CliError(f"There is no job #{args.id}.")
        if args.json:
            data = job.to_dict()
            data["log"] = [{"at": at, "message": m} for at, m in await engine.job_log(job.id)]
            out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        else:
            out.write(_job_line(job) + "\n")
            if job.stale_reason:
                out.write(f"stale: {job.stale_reason}\n")
            out.write("\n" + (job.result or "") + "\n")
        return 0
    if cmd == "retrigger":
        if args.all_stale:
            changed = await engine.retrigger_all(JobState.STALE)
        elif args.all_failed:
            changed = await engine.retrigger_all(JobState.FAILED, args.kind)
        elif args.kind and not args.ids:
            # The kind alone: failed jobs of that kind, and done ones for output_truncated
            # (the store re-triggers no other done job).
            changed = [
                *await engine.retrigger_all(JobState.FAILED, args.kind),
                *await engine.retrigger_all(JobState.DONE, args.kind),
            ]
        elif args.ids:
            changed = await engine.retrigger(args.ids)
        else:
            raise CliError("Give job IDs, --all-stale, --all-failed or --kind.", 2)
        out.write(f"{len(changed)} job(s) queued again\n")
        return 0
    if cmd == "cancel":
        changed = await engine.cancel(args.ids)
        out.write(f"{len(changed)} job(s) cancelled\n")
        if not changed:
            raise CliError("No job was cancelled: only queued or running jobs can be.")
        return 0
    if cmd == "remove":
        removed = await engine.remove(args.ids)
        out.write(f"{len(removed)} job(s) removed\n")
        if len(removed) < len(args.ids):
            raise CliError("Some jobs were not removed: cancel queued or running jobs first.")
        return 0
    if cmd == "pause":
        await engine.pause()
        out.write("queue paused\n")
        return 0
    if cmd == "resume":
        await engine.resume()
        out.write("queue resumed\n")
        return 0
    if cmd == "export":
        if args.ids:
            jobs = [j for j in [await engine.job(i) for i in args.ids] if j is not None]
            if len(jobs) < len(args.ids):
                raise CliError("Some of those job IDs do not exist.")
        else:
            jobs = await engine.jobs()
        text = export(jobs, args.format)
        if args.output:
            args.output.write_text(text, encoding="utf-8")
            out.write(f"exported {len(jobs)} job(s) to {args.output}\n")
        else:
            out.write(text)
        return 0
    raise CliError(f"unknown command {cmd}", 2)


async def _run_worker(engine: Engine, until_empty: bool, watch: bool = False) -> int:
    if watch and until_empty:
        raise CliError("--watch keeps running to queue new documents: leave out --until-empty.",
                       2)
    try:
        worker = await engine.start_worker("paceline-cli run")
    except WorkerLocked as exc:
        raise CliError(str(exc), 3) from exc
    if watch:
        await engine.start_watching()
        folders = await engine.watch_folders()
        sys.stderr.write(f"watching {len(folders)} folder(s)\n" if folders else
                         "no watch folders yet: add one with 'paceline-cli watch add FOLDER' "
                         "(picked up within a few seconds)\n")
    loop = asyncio.get_running_loop()
    interrupted = False

    def on_signal() -> None:
        nonlocal interrupted
        interrupted = True
        sys.stderr.write("stopping: the running call is abandoned; queued jobs stay queued\n")
        worker.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        # Windows event loops have no signal handlers; Ctrl-C then raises KeyboardInterrupt.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal)
    sys.stderr.write(
        f"worker running: {engine.settings.provider} analyzer, {engine.settings.pacing} pacing\n"
    )
    started = time.time()
    await engine.run(until_empty=until_empty)
    status = await engine.status()
    counts = status["counts"]
    # This run's work: only the lock's holder finishes jobs, so what finished since it started
    # is what it did (the database's totals include earlier runs).
    ended = [j for j in await engine.jobs() if j.finished_at and j.finished_at >= started]
    done = sum(1 for j in ended if j.state == JobState.DONE)
    failed = sum(1 for j in ended if j.state == JobState.FAILED)
    sys.stderr.write(
        f"worker stopped: this run {done} done, {failed} failed; the queue holds "
        f"{counts['queued']} queued, {counts['stale']} stale\n"
    )
    if worker.internal_errors:
        raise CliError(
            f"{len(worker.internal_errors)} job(s) stopped on an internal error (kind "
            "'internal'); see 'paceline-cli list --state failed' and the log file.",
            1,
        )
    if status["paused"] and status["pause_kind"] != "user":
        raise CliError(f"queue paused: {status['pause_reason']}", 1)
    if interrupted:
        return 130
    if failed:
        raise CliError(
            f"{failed} job(s) of this run failed; 'paceline-cli list --state failed' shows why.",
            JOBS_FAILED,
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return asyncio.run(_run_command(args))
    except CliError as exc:
        sys.stderr.write(f"paceline-cli: {exc}\n")
        return exc.code
    except (SchemaTooNew, SettingsError, StorageError) as exc:
        sys.stderr.write(f"paceline-cli: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

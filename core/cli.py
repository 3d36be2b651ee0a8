"""paceline-cli: the stable command-line interface of DESIGN.md.

The parser, its help and the exit codes are in core/cli_help.py; what ``run`` shows while it
works is in core/cli_progress.py.
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
from typing import Any

from core import effective_config, paths, providers
from core.batch_cli import batch_command
from core.cli_help import ERROR, INTERRUPTED, JOBS_FAILED, LOCKED, OK, USAGE, build_parser
from core.cli_progress import fmt_seconds, run_report
from core.engine import Engine
from core.errors import SchemaTooNew, StorageError, WorkerLocked
from core.export import export
from core.logs import setup_logging
from core.settings import SettingsError
from core.states import JobState
from core.watch_cli import watch_command


class CliError(Exception):
    def __init__(self, message: str, code: int = ERROR) -> None:
        super().__init__(message)
        self.code = code


LIST_HEADER = f"{'ID':>6}  {'STATE':<9}  {'DONE':>6}  DOCUMENT"


def _job_line(job: Any) -> str:
    progress = f"{job.progress * 100:5.1f}%"
    error = f"  {job.error_kind}: {job.error}" if job.error else ""
    return f"{job.id:6d}  {job.state:<9}  {progress}  {job.path}{error}"


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
        "batch_id": job.batch_id if job.state == JobState.RUNNING else None,
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
            raise CliError(str(exc), USAGE) from exc
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
        return OK
    if cmd == "run":
        return await _run_worker(engine, args.until_empty, watch=args.watch)
    if cmd == "watch":
        try:
            return await watch_command(engine, args, out)
        except ValueError as exc:  # no such folder, an unknown profile, a bad option
            raise CliError(str(exc), USAGE) from exc
    if cmd == "batch":
        try:
            return await batch_command(engine, args, out)
        except (ValueError, SettingsError) as exc:  # nothing queued, no Batch API, no such batch
            raise CliError(str(exc), USAGE) from exc
    if cmd == "status":
        status = await engine.status()
        if args.json:
            out.write(json.dumps(status, indent=2) + "\n")
        else:
            counts = status["counts"]
            out.write("  ".join(f"{k}: {v}" for k, v in counts.items()) + "\n")
            out.write(f"ETA: {fmt_seconds(status['eta_seconds'])}\n")
            if status["paused"]:
                out.write(f"Paused: {status['pause_reason']}\n")
            if status["backoff_seconds_left"]:
                out.write(
                    f"Waiting {fmt_seconds(status['backoff_seconds_left'])}: "
                    f"{status['backoff_reason']}\n"
                )
            out.write(f"Tokens: {status['tokens']['total']:,}\n")
            for batch in status["batches"]:
                if batch["finished"] is None:
                    out.write(f"Batch {batch['id']}: {batch['stage']}, "
                              f"{batch['counts']['completed'] + batch['counts']['failed']:,} of "
                              f"{batch['counts']['total']:,} answered, ETA "
                              f"{fmt_seconds(batch['eta_seconds'])}\n")
            if status["orphaned_running"]:
                out.write(
                    f"{status['orphaned_running']} job(s) show as running, but no worker runs "
                    "the queue: they were left by one that stopped, and are marked stale when "
                    "the window or 'paceline-cli run' starts.\n"
                )
        return OK
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
        return OK
    if cmd == "show":
        job = await engine.job(args.id)
        if job is None:
            raise CliError(f"There is no job #{args.id}.")
        if args.json:
            data = job.to_dict()
            data["log"] = [entry.to_dict() for entry in await engine.job_log(job.id)]
            out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        else:
            out.write(_job_line(job) + "\n")
            if job.stale_reason:
                out.write(f"stale: {job.stale_reason}\n")
            out.write("\n" + (job.result or "") + "\n")
        return OK
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
            raise CliError("Give job IDs, --all-stale, --all-failed or --kind.", USAGE)
        out.write(f"{len(changed)} job(s) queued again\n")
        return OK
    if cmd == "cancel":
        changed = await engine.cancel(args.ids)
        out.write(f"{len(changed)} job(s) cancelled\n")
        if not changed:
            raise CliError("No job was cancelled: only queued or running jobs can be.")
        return OK
    if cmd == "remove":
        removed = await engine.remove(args.ids)
        out.write(f"{len(removed)} job(s) removed\n")
        if len(removed) < len(args.ids):
            raise CliError("Some jobs were not removed: cancel queued or running jobs first.")
        return OK
    if cmd == "pause":
        await engine.pause()
        out.write("queue paused\n")
        return OK
    if cmd == "resume":
        await engine.resume()
        out.write("queue resumed\n")
        return OK
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
        return OK
    raise CliError(f"unknown command {cmd}", USAGE)


async def _run_worker(engine: Engine, until_empty: bool, watch: bool = False) -> int:
    if watch and until_empty:
        raise CliError("--watch keeps running to queue new documents: leave out --until-empty.",
                       USAGE)
    try:
        worker = await engine.start_worker("paceline-cli run")
    except WorkerLocked as exc:
        raise CliError(str(exc), LOCKED) from exc
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
        if engine.batch_runner is not None:  # batches stay with the provider; polled next run
            engine.batch_runner.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        # Windows event loops have no signal handlers; Ctrl-C then raises KeyboardInterrupt.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal)
    try:
        target = effective_config.endpoint(engine.settings).describe()
    except providers.UnknownPreset as exc:
        target = str(exc)
    sys.stderr.write(f"worker running: {target}, {engine.settings.pacing} pacing\n")
    started = time.time()
    # Per finished job, a line on stdout (a live line above them on a terminal); the summary
    # below goes to stderr with the start line.
    async with run_report(engine, worker, started, sys.stdout):
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
            ERROR,
        )
    if status["paused"] and status["pause_kind"] != "user":
        raise CliError(f"queue paused: {status['pause_reason']}", ERROR)
    if interrupted:
        return INTERRUPTED
    if failed:
        raise CliError(
            f"{failed} job(s) of this run failed; 'paceline-cli list --state failed' shows why.",
            JOBS_FAILED,
        )
    return OK


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
        return ERROR
    except KeyboardInterrupt:
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())

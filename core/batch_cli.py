"""``paceline-cli batch submit|list|cancel``: provider batches from a terminal.

A batch is a row in the queue's database: submitted here, it is run by whichever worker holds
the queue (the window's, or ``paceline-cli run``), and a window open on the queue shows it.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, TextIO

from core.batches import Batch, batch_eta
from core.cli_progress import fmt_seconds
from core.engine import Engine

HEADER = f"{'BATCH':>5}  {'STAGE':<12}  {'DONE':>13}  {'JOBS':>5}  ETA"


def add_batch_parser(sub: Any) -> None:
    p = sub.add_parser(
        "batch", help="send queued jobs through the provider's Batch API at half the price",
        description="Batch mode: queued jobs go to the provider's Batch API (DashScope's "
        "mainland region, OpenAI, or a custom URL that has one) at half the price, answered "
        "within 24 hours. The worker that runs the queue (the window's or 'paceline-cli run') "
        "uploads the requests, polls the batch and stores the answers; a restart resumes it. "
        "'paceline-cli batch ACTION --help' says more.",
    )  # fmt: skip
    actions = p.add_subparsers(dest="batch_command", required=True, metavar="ACTION")
    a = actions.add_parser("submit", help="send queued jobs as a batch",
                           description="Send the given queued jobs (or every queued job with "
                           "--all-queued) as one batch; over 50,000 requests or 200 MB it is "
                           "split into several.")
    a.add_argument("ids", nargs="*", type=int, metavar="ID")
    a.add_argument("--all-queued", action="store_true", help="every queued job")
    a.add_argument("--json", action="store_true", help="print the batch as an object")
    a = actions.add_parser("list", help="batches, newest first",
                           description="Each batch: its number, stage, requests done of its "
                           "total, jobs still in it, and its ETA.")
    a.add_argument("--json", action="store_true", help="print an array of batch objects")
    a = actions.add_parser("cancel", help="cancel a batch",
                           description="Cancel a batch: answers the provider already gave are "
                           "kept; its other jobs fail with kind batch_cancelled, ready to be "
                           "re-triggered. Before the provider has it, its jobs go back to the "
                           "queue and nothing is spent.")
    a.add_argument("id", type=int)


def _line(batch: Batch, now: float) -> str:
    done = f"{batch.completed + batch.failed:,}/{batch.total:,}"
    left = batch_eta(batch, now)
    eta = fmt_seconds(left) if left is not None else "-"
    extra = f"  {batch.error}" if batch.error else ""
    if batch.cancel_requested and batch.open:
        extra = "  (cancelling)" + extra
    return f"{batch.id:5d}  {batch.label:<12}  {done:>13}  {batch.jobs:5d}  {eta}{extra}"


async def batch_command(engine: Engine, args: argparse.Namespace, out: TextIO) -> int:
    """Raises ValueError (said to the person, exit code 2) for a request that cannot be met."""
    action = args.batch_command
    now = time.time()
    if action == "submit":
        if bool(args.ids) == bool(args.all_queued):
            raise ValueError("Give job IDs or --all-queued (not both).")
        batch = await engine.submit_batch(None if args.all_queued else args.ids)
        if args.json:
            out.write(json.dumps(batch.to_dict(), indent=2) + "\n")
        else:
            out.write(f"batch {batch.id}: {batch.jobs} job(s) sent; the worker that runs the "
                      "queue uploads them (see 'paceline-cli batch list')\n")
        return 0
    if action == "list":
        batches = await engine.batches()
        if args.json:
            items = [dict(b.to_dict(), eta_seconds=batch_eta(b, now)) for b in batches]
            out.write(json.dumps(items, indent=2) + "\n")
        else:
            if batches:
                out.write(HEADER + "\n")
            for batch in batches:
                out.write(_line(batch, now) + "\n")
        return 0
    batch = await engine.cancel_batch(args.id)
    if not batch.open:
        out.write(f"batch {batch.id} has already ended ({batch.label})\n")
    else:
        out.write(f"batch {batch.id}: cancel asked; the worker that runs the queue sends it\n")
    return 0

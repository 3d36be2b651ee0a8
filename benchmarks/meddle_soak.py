"""The long meddling trial: a worker SIGKILLed at random, a meddler in a second process, a
provider that throttles and fails; then the figures, judged from logs and the database.

    python benchmarks/meddle_soak.py [--jobs 300] [--kills 100] [--seed 1] [--keep]

A fake OpenAI-compatible server runs in a thread of this script (tests/reliability/
meddle_provider.py): each call thinks 0.15-0.45 s (8 % of them 1-3 s) and answers OK, or 429 with
Retry-After 1-2 s (8 %), 500 (5 %), a connection reset (4 %) or a stream that stops without
finishing (4 %). Each worker is a real ``paceline-cli run`` subprocess; the harness SIGKILLs it
right after an answer was written, in the middle of a call, 0.35-0.9 s after a 429, or at a
random moment, and starts it again. Meanwhile the meddler, another process, cancels,
re-triggers, removes, moves, pauses and resumes jobs through paceline-cli and holds the database
locked (BEGIN EXCLUSIVE) past the busy timeout. After the kills, one last worker runs
``run --until-empty`` without kills, and the run is judged. Exit status 0 when every figure is 0
and integrity_check is ok, 1 otherwise. POSIX only (SIGKILL).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.reliability.meddle import MeddleConfig, run_trial

HOW = """\
How the figures were taken: the provider logged every chat request (arrival, the (job, part) its
MARK markers name, what it answered, when the answer was completely written or when the client
hung up) on the monotonic clock; the meddler logged each action with its start and end on the
same clock; the harness logged each worker life and the moment of each SIGKILL. The database was
read (read-only) after the last clean life and before anything re-triggered a job. Then:
- thrown away: an OK answer stored nowhere (job result or part) and not explained by a cancel,
  re-trigger or remove of its job that took effect while the call was going and was issued
  before the worker could have committed the answer (1.5 s, plus any lock held meanwhile), nor
  by a SIGKILL within 0.5 s (plus locks) of the answer;
- in flight twice: two calls for one (job, part) whose [arrival, answer or hang-up] overlap;
- sent again without a re-trigger: a call for a (job, part) after one that was answered OK or
  was in flight at a SIGKILL, with no re-trigger of that job in between (after a 429, 500, reset
  or truncated answer a retry is allowed);
- before Retry-After: a call that arrived less than Retry-After - 0.05 s after a 429 was
  written, unless the worker was killed within 0.3 s of it (or before a lock held meanwhile
  ended), before it could have stored the wait;
- unexplained: done without an OK answer of its final call as its result (or combined from other
  than its stored parts), cancelled without the meddler's cancel as the last word, stale without
  a worker death (or held lock) after its last claim, failed without a matching fault as its last
  call, queued or running at the end, or gone without the meddler's remove;
- lost: after re-triggering stale and failed jobs and draining, a job neither done, nor
  cancelled or removed by the meddler.
Times are wall-clock seconds of the whole run, including start-up of every process."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=300, help="documents to enqueue (>= 300)")
    parser.add_argument("--kills", type=int, default=100, help="SIGKILLs to deliver")
    parser.add_argument("--seed", type=int, default=1, help="seed for documents, moments, faults")
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the work folder and the provider's call log"
    )
    args = parser.parse_args(argv)
    if sys.platform == "win32":
        parser.error("the trial needs POSIX signals (SIGKILL)")
    config = MeddleConfig(jobs=args.jobs, kills=args.kills, seed=args.seed, keep_logs=args.keep)
    workdir = Path(tempfile.mkdtemp(prefix="paceline-meddle-", dir=args.dir))
    print(f"meddling trial: jobs={config.jobs} kills={config.kills} seed={config.seed}", flush=True)
    print(f"work folder: {workdir}", flush=True)
    started = time.monotonic()
    try:
        report = run_trial(config, workdir, say=lambda line: print(line, flush=True))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(report.table())
    print(f"(wall time including set-up: {time.monotonic() - started:.1f} s)")
    print()
    print(HOW)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

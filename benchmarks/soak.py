"""The long kill -9 soak: SIGKILL ``paceline-cli run`` at 100+ random moments and check that
nothing was lost, nothing was done twice and no paid call was re-sent on its own.

    python benchmarks/soak.py [--jobs 200] [--kills 120] [--seed 1] [--keep]

A fake OpenAI-compatible server runs in a thread of this script (tests/fake_provider.py); each
worker is a real ``paceline-cli run --until-empty`` subprocess, killed with SIGKILL right after
an answer was written (often before its commit), in the middle of a call, or at a random moment,
then started again. Stale jobs are re-triggered only by the script, every few kills, so every
call sent twice can be told apart: after a re-trigger (allowed) or on its own (a failure).
At the end everything left is re-triggered and finished, and the script prints the figures.
Exit status 0 when every check passed, 1 otherwise. POSIX only (SIGKILL).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.reliability.killsoak import SoakConfig, run_soak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200, help="documents to enqueue")
    parser.add_argument("--kills", type=int, default=120, help="SIGKILLs to deliver")
    parser.add_argument("--seed", type=int, default=1, help="seed for documents and moments")
    parser.add_argument("--latency", type=float, default=0.02, help="server seconds per call")
    parser.add_argument("--retrigger-every", type=int, default=10, metavar="N",
                        help="re-trigger stale jobs after every N kills")  # fmt: skip
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    if sys.platform == "win32":
        parser.error("the soak needs POSIX signals (SIGKILL)")

    config = SoakConfig(
        jobs=args.jobs,
        kills=args.kills,
        seed=args.seed,
        latency=args.latency,
        retrigger_every=args.retrigger_every,
    )
    workdir = Path(tempfile.mkdtemp(prefix="paceline-soak-", dir=args.dir))
    print(f"kill -9 soak: {config}", flush=True)
    print(f"work folder: {workdir}", flush=True)
    started = time.monotonic()
    try:
        report = run_soak(config, workdir, say=lambda line: print(line, flush=True))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(report.table())
    print(f"(wall time including set-up: {time.monotonic() - started:.1f} s)")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

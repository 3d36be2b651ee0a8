"""Benchmark: how close is the queue's ETA, read after 3 calls, to the time the queue takes?

How the figures are taken (tests/eta_queue.py does the run):

- A queue of ``--jobs`` (30) text documents of mixed sizes: half short (1-5k characters), a
  third medium (5-24k, one part), the rest long (30-110k characters: two to five parts of the
  24,000-character part size and a combining call). Real files, the real worker, store
  (SQLite) and fixed pacer (``--pause`` 10 s between call starts, the default setting).
- Only the model is simulated: a call takes 3 s plus 27 s per 24,000 characters sent (3-30 s),
  times a jitter drawn uniformly within +/-``--jitter`` (25%), and answers 150-700 output
  tokens. Time is virtual (an auto-advancing fake clock: one call at a time, as a fixed pause
  runs them), so an hour of queue runs in about a second.
- ``--pdf-every N`` makes every N-th document a PDF of the same text (tests/docgen.py, about
  5 characters a byte where the corpus's PDFs median 0.0036): the ETA has to learn their
  characters per byte from the first ones read.
- When 3 calls have finished, the queue's ETA is read as the window and ``paceline-cli
  status`` read it (``QueueStatus.eta``), at the moment the 4th call starts. The queue then
  runs to its end; "real" is the virtual time from that reading to the end. The error is
  ``|eta - real| / real``, per seed, and its median and worst over the seeds. Goal: < 15%.

``--ratios`` instead prints the characters-per-byte figures of core/eta.py, measured on the
benchmark corpus (``benchmarks/corpus.py`` builds it): per format, the median of extracted
characters / file bytes over the files that extract.

    python benchmarks/eta_benchmark.py [--seeds 20] [--jobs 30] [--pause 10] [--jitter 0.25]
                                       [--pdf-every 3]
    python benchmarks/eta_benchmark.py --ratios [--corpus ~/.cache/paceline-bench/corpus]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.eta import CHARS_PER_BYTE, TEXT_CHARS_PER_BYTE  # noqa: E402
from tests.eta_queue import QueueRun, TimedAnalyzer, document_sizes, run_queue  # noqa: E402
from tests.fake_clock import FakeClock  # noqa: E402

PART_CHARS = 24_000


def analyzer_for(seed: int, jitter: float) -> object:
    def make(clock: FakeClock) -> TimedAnalyzer:
        rng = random.Random(seed * 7919 + 1)

        def latency(units: int, _call: int) -> float:
            base = 3.0 + 27.0 * min(1.0, units / PART_CHARS)
            return base * (1.0 + jitter * (2.0 * rng.random() - 1.0))

        return TimedAnalyzer(clock, latency, lambda _n: rng.randint(150, 700), PART_CHARS)

    return make


async def one_seed(
    seed: int, jobs: int, pause_s: float, jitter: float, pdf_every: int = 0
) -> QueueRun:
    sizes = document_sizes(random.Random(seed), jobs)
    with tempfile.TemporaryDirectory(prefix="paceline-eta-") as folder:
        return await run_queue(
            Path(folder), analyzer_for(seed, jitter), sizes,  # type: ignore[arg-type]
            pause_s=pause_s, pdf_every=pdf_every,
        )  # fmt: skip


def queue_table(args: argparse.Namespace) -> None:
    pdfs = f", one in {args.pdf_every} a PDF" if args.pdf_every else ""
    print(f"{args.jobs} jobs{pdfs}, pause {args.pause:g} s, latency 3-30 s "
          f"+/-{args.jitter:.0%}; ETA read after 3 calls")  # fmt: skip
    print(f"{'seed':>4} {'calls':>5} {'long docs':>9} {'ETA s':>8} {'real s':>8} {'error':>7}")
    errors = []
    for seed in range(1, args.seeds + 1):
        run = asyncio.run(one_seed(seed, args.jobs, args.pause, args.jitter, args.pdf_every))
        errors.append(run.error)
        long_docs = sum(1 for s in run.sizes if s > PART_CHARS)
        print(f"{seed:>4} {run.calls:>5} {long_docs:>9} {run.eta:>8.0f} {run.real:>8.0f} "
              f"{run.error:>7.1%}")  # fmt: skip
    print(f"median error {statistics.median(errors):.1%}, worst {max(errors):.1%} "
          f"(goal: under 15%)")  # fmt: skip


def ratio_table(corpus: Path) -> None:
    from core.documents.extract import extract
    from core.documents.source import Limits

    formats = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html",
               ".xhtml": "html", ".txt": "text"}  # fmt: skip
    ratios: dict[str, list[float]] = {}
    failed: dict[str, int] = {}
    for path in sorted((corpus / "files").rglob("*")):
        fmt = formats.get(path.suffix.lower())
        if fmt is None or not path.is_file() or path.stat().st_size == 0:
            continue
        try:
            text = extract(path, Limits()).text
        except Exception:  # a file that does not extract is left out, and counted
            failed[fmt] = failed.get(fmt, 0) + 1
            continue
        ratios.setdefault(fmt, []).append(len(text) / path.stat().st_size)
    used = {"pdf": CHARS_PER_BYTE[".pdf"], "docx": CHARS_PER_BYTE[".docx"],
            "html": CHARS_PER_BYTE[".html"], "text": TEXT_CHARS_PER_BYTE}  # fmt: skip
    print(f"{'format':<6} {'files':>5} {'failed':>6} {'median':>8} {'q25':>8} {'q75':>8} "
          f"{'in eta.py':>9}")  # fmt: skip
    for fmt, values in sorted(ratios.items()):
        q = statistics.quantiles(values, n=4) if len(values) > 3 else [values[0]] * 3
        print(f"{fmt:<6} {len(values):>5} {failed.get(fmt, 0):>6} "
              f"{statistics.median(values):>8.4f} {q[0]:>8.4f} {q[2]:>8.4f} {used[fmt]:>9.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=30)
    parser.add_argument("--pause", type=float, default=10.0)
    parser.add_argument("--jitter", type=float, default=0.25)
    parser.add_argument("--pdf-every", type=int, default=0,
                        help="make every N-th document a PDF (generated: ~5 characters a byte)")
    parser.add_argument("--ratios", action="store_true", help="print the characters per byte")
    parser.add_argument("--corpus", type=Path,
                        default=Path("~/.cache/paceline-bench/corpus").expanduser())
    args = parser.parse_args()
    if args.ratios:
        ratio_table(args.corpus)
    else:
        queue_table(args)


if __name__ == "__main__":
    main()

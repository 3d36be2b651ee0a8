"""PDF text extraction speed: Paceline against pdftotext, in CPU seconds per page.

Both read the corpus PDFs (``benchmarks/corpus.py``) that both can read, and a generated
2,000-page PDF. Each file is extracted N times and its best (least) CPU time kept, which is
the least disturbed by whatever else the machine does; the load average is printed with the
figures so a busy run can be recognised.

- Paceline: ``extract()`` in a worker process, CPU time of that process (and of any child it
  waits for) around each call, so Python's start-up and imports are not counted; a per-file
  timeout skips a hanging file.
- pdftotext: ``getrusage(RUSAGE_CHILDREN)`` around each run, so its process start-up (a few
  ms, printed on its own) is counted.

It also times how long Paceline takes to refuse the 2,000-page PDF as too large: with the
default limits, and with a 1,000-character limit (the cost of opening the file at all).

    python benchmarks/extract_speed.py [--repeats 3] [--no-large] [--src CHECKOUT]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from corpus import DEFAULT_DIR

REPO = Path(__file__).resolve().parents[1]
LARGE_PAGES = 2_000


# ---------------------------------------------------------------- the generated PDF


def large_pdf(root: Path) -> Path:
    """A 2,000-page text PDF (about 3,500 characters a page), made once and cached."""
    path = root / "generated" / f"text-{LARGE_PAGES}-pages.pdf"
    if path.exists():
        return path
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    pdf = canvas.Canvas(str(partial), pagesize=A4, invariant=True)  # same bytes every time
    words = "pace line queue document limit extract benchmark token window retry".split()
    for page in range(LARGE_PAGES):
        for line in range(48):
            text = " ".join(words[(page * 7 + line * 3 + i) % len(words)] for i in range(11))
            pdf.drawString(40, 800 - line * 16, f"{page + 1}.{line + 1} {text}")
        pdf.showPage()
    pdf.save()
    partial.rename(path)
    return path


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_and_children_cpu() -> float:
    # extract() reads in this process today; should it ever hand work to a child process that
    # ends with the call, that child's CPU counts too (a child that lives on is not seen).
    return time.process_time() + children_cpu()


# ---------------------------------------------------------------- Paceline in a worker


def _paceline_worker(conn: Connection, src: str) -> None:
    """Run each (path, max_chars, repeats, timeout) sent; answer the best CPU and wall times."""
    import logging
    import signal
    import warnings

    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    sys.path.insert(0, src)
    import core

    # The editable install of /work/main must not win over the checkout asked for.
    assert Path(core.__file__).is_relative_to(src), f"core came from {core.__file__}"
    from core.documents import Limits, extract
    from core.errors import DocumentError

    class OverTime(BaseException):
        """Not an OSError (extract() may turn those into "unreadable") nor an Exception (which
        PDF libraries catch here and there): nothing on the way up can swallow it."""

    def over_time(signum: int, frame: object) -> None:
        raise OverTime

    signal.signal(signal.SIGALRM, over_time)
    while (job := conn.recv()) is not None:
        path, max_chars, repeats, timeout = job
        limits = Limits() if max_chars is None else Limits(max_chars=max_chars)
        cpu, wall, outcome = [], [], "ok"
        for _ in range(repeats):
            start_cpu, start_wall = own_and_children_cpu(), time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                extract(path, limits)
            except DocumentError as exc:
                outcome = exc.kind
            except OverTime:
                outcome = "timeout"
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            cpu.append(own_and_children_cpu() - start_cpu)
            wall.append(time.perf_counter() - start_wall)
            if outcome == "timeout":
                break
        conn.send((outcome, min(cpu), min(wall)))


class Paceline:
    def __init__(self, src: Path) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.proc = context.Process(target=_paceline_worker, args=(child, str(src)), daemon=True)
        self.proc.start()
        child.close()

    def time(
        self, path: Path, repeats: int, timeout: float, max_chars: int | None = None
    ) -> tuple[str, float, float]:
        self.conn.send((str(path), max_chars, repeats, timeout))
        return self.conn.recv()

    def close(self) -> None:
        self.conn.send(None)
        self.proc.join(5)


# ---------------------------------------------------------------- pdftotext


def pdftotext_time(path: Path, repeats: int, timeout: float) -> tuple[bool, float]:
    """(read it, best CPU seconds) over ``repeats`` runs."""
    best = float("inf")
    for _ in range(repeats):
        before = children_cpu()
        try:
            done = subprocess.run(
                ["pdftotext", "-enc", "UTF-8", str(path), "-"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return False, timeout  # a killed child is not in RUSAGE_CHILDREN: count the limit
        best = min(best, children_cpu() - before)
        if done.returncode != 0:
            return False, best
    return True, best


def pages(path: Path) -> int | None:
    done = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True)
    for line in done.stdout.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return None


# ---------------------------------------------------------------- report


@dataclass
class Timing:
    path: str
    pages: int
    paceline_cpu: float
    pdftotext_cpu: float


def rate(page_count: int, seconds: float) -> str:
    return f"{page_count / seconds:,.0f}" if seconds > 0 else "-"


def report(title: str, rows: list[Timing], start_up: float) -> dict[str, Any]:
    """Totals and ratios; pdftotext also less its start-up, which in-process Paceline skips."""
    page_count = sum(r.pages for r in rows)
    ours = sum(r.paceline_cpu for r in rows)
    theirs = sum(r.pdftotext_cpu for r in rows)
    reading = max(sum(max(r.pdftotext_cpu - start_up, 0.0) for r in rows), 1e-9)
    # Per file against pdftotext's whole run: less start-up, a small file's time is within the
    # noise of zero and the ratio meaningless.
    per_file = [r.paceline_cpu / r.pdftotext_cpu for r in rows if r.pdftotext_cpu > 0]
    ratio = statistics.median(per_file) if per_file else 0.0
    print(f"\n{title}: {len(rows)} PDFs, {page_count:,} pages")
    print(f"  {'':28} {'CPU s':>7} {'pages/CPU s':>12}")
    print(f"  {'Paceline (in process)':28} {ours:7.2f} {rate(page_count, ours):>12}")
    print(f"  {'pdftotext (whole process)':28} {theirs:7.2f} {rate(page_count, theirs):>12}")
    print(f"  {'pdftotext less start-up':28} {reading:7.2f} {rate(page_count, reading):>12}")
    print(
        f"  Paceline / pdftotext CPU: {ours / theirs:.2f}x in total, {ours / reading:.2f}x "
        f"against pdftotext less start-up; median per file {ratio:.2f}x"
    )
    return {
        "files": len(rows),
        "pages": page_count,
        "paceline_cpu": ours,
        "pdftotext_cpu": theirs,
        "pdftotext_cpu_less_start_up": reading,
        "median_ratio": ratio,
        "rows": [asdict(r) for r in rows],
    }


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="corpus folder")
    parser.add_argument("--src", type=Path, default=REPO, help="Paceline checkout to measure")
    parser.add_argument("--repeats", type=int, default=3, help="best of N")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per file and run")
    parser.add_argument("--no-large", action="store_true", help="skip the 2,000-page PDF")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    root = args.dir.expanduser().resolve()
    entries = json.loads((root / "manifest.json").read_text())["files"]
    pdfs = [root / e["path"] for e in entries if e["format"] == "pdf"]
    print(f"{os.cpu_count()} CPUs, {load()}, Paceline from {args.src}, best of {args.repeats}")

    paceline = Paceline(args.src)
    rows: list[Timing] = []
    skipped = 0
    for path in sorted(pdfs):
        count = pages(path)
        ok, theirs = pdftotext_time(path, args.repeats, args.timeout)
        outcome, ours, _ = paceline.time(path, args.repeats, args.timeout)
        # Only files both read: a quick refusal (no text layer, encrypted) is not speed.
        if not ok or outcome != "ok" or not count:
            skipped += 1
            continue
        rows.append(Timing(str(path.relative_to(root)), count, ours, theirs))
    # A run that stops at once (no such file): what pdftotext pays per file before reading.
    start_up = pdftotext_time(Path("/nonexistent.pdf"), args.repeats, args.timeout)[1]
    print(f"pdftotext start-up: {start_up * 1000:.1f} ms CPU per file")
    out: dict[str, Any] = {"pdftotext_start_up": start_up}
    out["corpus"] = report(f"Corpus ({skipped} PDFs not read by both left out)", rows, start_up)
    slowest = sorted(rows, key=lambda r: -r.paceline_cpu)[:5]
    print(
        "  Paceline's slowest: "
        + ", ".join(
            f"{Path(r.path).name} {r.paceline_cpu:.2f} s/{r.pages} p "
            f"(pdftotext {r.pdftotext_cpu:.2f} s)"
            for r in slowest
        )
    )

    if not args.no_large:
        big = large_pdf(root)
        _, theirs = pdftotext_time(big, args.repeats, 600)
        outcome, ours, _ = paceline.time(big, args.repeats, 600, max_chars=10**9)
        out["large"] = report(
            f"Generated {LARGE_PAGES:,}-page PDF (Paceline: {outcome})",
            [Timing(big.name, LARGE_PAGES, ours, theirs)],
            start_up,
        )
        print(f"\nRefusing the {LARGE_PAGES:,}-page PDF as too large (best of {args.repeats}):")
        for label, max_chars in (("default limits", None), ("max_chars=1,000", 1_000)):
            outcome, cpu, wall = paceline.time(big, args.repeats, 600, max_chars=max_chars)
            print(f"  {label:16} {outcome:10} {wall:7.3f} s wall {cpu:7.3f} s CPU")
            out[f"refuse {label}"] = {"outcome": outcome, "wall": wall, "cpu": cpu}
    paceline.close()
    print(f"\n{load()}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

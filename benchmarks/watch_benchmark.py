"""A burst of files into a watch folder, with the real window open (offscreen). Prints a table.

    python benchmarks/watch_benchmark.py [--files 1000] [--rounds 3]

Each round adds a new watch folder to the running window (its watcher on the real
notifications, default settings: 3 s stability, 0.3 s after a writer closes a file, a listing
every 30 s) and waits until it is watched. A thread then writes ``--files`` small text
documents into it as fast as it can (each opened, written, closed). Timed: from the moment the
last file is closed to the moment the last of them is in the queue (its JobAdded event, which
comes after the commit). Meanwhile a 5 ms QTimer on the window's qasync loop records the gaps
between its ticks: the longest gap minus 5 ms is the longest stall of the event loop.

Two cases: the queue paused (only watching and enqueuing), and the window's worker running
(the offline analyzer works through the jobs while they arrive). Best of ``--rounds`` per case
(the lowest latency; the stall of that round and the worst stall of all rounds are shown).
Machine load: os.getloadavg() before and after.

Goal (issue 16): queued within 2 s of the last file, no stall over 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gui import qt_workarounds  # noqa: E402

qt_workarounds.install()

import qasync  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.desktop_benchmark import GapProbe  # noqa: E402
from core.events import JobAdded  # noqa: E402
from core.watch_folders import WATCHING  # noqa: E402
from gui.app import PacelineApp  # noqa: E402
from gui.main_thread_gc import MainThreadGarbageCollector  # noqa: E402
from gui.palette import apply_style  # noqa: E402
from gui.translations import install_translators  # noqa: E402


def write_burst(folder: Path, count: int, done: dict[str, float]) -> None:
    for n in range(count):
        with open(folder / f"scan-{n:05d}.txt", "w", encoding="utf-8") as handle:
            handle.write(f"Scanned letter {n} from {folder.name}. The queue worker reads this "
                         "short document; pacing and backoff keep the provider happy.\n")
    done["last_closed"] = time.perf_counter()


async def one_round(app: PacelineApp, scratch: Path, name: str, files: int) -> dict[str, float]:
    engine = app.engine
    assert engine is not None and engine.watcher is not None
    folder = scratch / name
    folder.mkdir()
    added = await engine.add_watch_folder(folder)
    while engine.watcher.states().get(added.id, ("",))[0] != WATCHING:
        await asyncio.sleep(0.01)
    prefix = str(folder) + os.sep
    seen: list[float] = []

    def on_event(event: object) -> None:
        if isinstance(event, JobAdded) and event.job.path.startswith(prefix):
            seen.append(time.perf_counter())

    unsubscribe = engine.bus.subscribe(on_event)
    batches_before = engine.watcher.ready_batches
    done: dict[str, float] = {}
    probe = GapProbe()
    probe.start()
    started = time.perf_counter()
    writer = threading.Thread(target=write_burst, args=(folder, files, done))
    writer.start()
    deadline = time.perf_counter() + 60
    while len(seen) < files and time.perf_counter() < deadline:
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.5)  # the probe keeps watching what follows
    stall = probe.stop()
    writer.join()
    unsubscribe()
    await engine.remove_watch_folder(added.id)
    return {
        "write_s": done["last_closed"] - started,
        "latency_s": (seen[-1] - done["last_closed"]) if len(seen) >= files else float("nan"),
        "queued": float(len(seen)),
        "stall_ms": stall * 1000,
        "batches": float(engine.watcher.ready_batches - batches_before),
    }


async def run_all(home: Path, scratch: Path, files: int, rounds: int) -> list[tuple[str, list]]:
    app = PacelineApp(home, freeze_gc=True)
    window = await app.start()
    window.resize(1280, 800)
    window.folders_pane.show()
    results = []
    for case, paused in (("queue paused (watching only)", True),
                         ("worker running (offline analyzer)", False)):
        if paused:
            await app.engine.pause()
        else:
            await app.engine.resume()
        figures = []
        for n in range(rounds):
            figures.append(await one_round(app, scratch, f"{'p' if paused else 'r'}{n}", files))
            await asyncio.sleep(1.0)
        results.append((case, figures))
    await app.shutdown()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="paceline-watch-bench-"))
    load_before = os.getloadavg()
    began = time.perf_counter()
    try:
        home = scratch / "home"
        os.environ["PACELINE_HOME"] = str(home)
        qt = QApplication(sys.argv[:1])
        MainThreadGarbageCollector(qt)
        apply_style(qt)
        install_translators(qt, "en")
        loop = qasync.QEventLoop(qt)
        asyncio.set_event_loop(loop)
        with loop, qt_workarounds.async_generator_hooks(loop):
            results = loop.run_until_complete(run_all(home, scratch, args.files, args.rounds))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    load_after = os.getloadavg()

    header = ("case", "latency after last file", "stall (that round)", "worst stall",
              "writing took", "queued", "transactions")
    rows = []
    for case, figures in results:
        best = min(figures, key=lambda f: f["latency_s"])
        rows.append((
            case, f"{best['latency_s']:.2f} s", f"{best['stall_ms']:.0f} ms",
            f"{max(f['stall_ms'] for f in figures):.0f} ms", f"{best['write_s']:.2f} s",
            f"{best['queued']:.0f} of {args.files}", f"{best['batches']:.0f}",
        ))
        all_latencies = ", ".join(f"{f['latency_s']:.2f}" for f in figures)
        print(f"{case}: latencies of {len(figures)} rounds: {all_latencies} s")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print()
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    print(f"\nbest of {args.rounds} rounds, {args.files} files each; load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after; {os.cpu_count()} CPUs; "
          f"{time.perf_counter() - began:.0f} s in all; goal: ≤ 2 s, no stall over 100 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Make the README screenshots: the real window during processing, light, dark and German.

    Xvfb :99 -screen 0 1400x900x24 &
    DISPLAY=:99 python docs/screenshots/make_screenshots.py            # light
    DISPLAY=:99 PACELINE_COLOR_SCHEME=dark python docs/screenshots/make_screenshots.py
    DISPLAY=:99 PACELINE_LANGUAGE=de python docs/screenshots/make_screenshots.py   # main-de
    DISPLAY=:99 PACELINE_SCENE=batch python docs/screenshots/make_screenshots.py   # batch-light

The scene is built through the application itself in a temporary PACELINE_HOME: a job left
running by a "crashed" process (stale), five documents analysed offline (done, with results),
then a paced OpenAI-compatible provider (the local fake server from the tests): its first
call fails for good (failed), the next documents run in several parts with pauses between the
calls (running, queued, the countdown banner). Nothing leaves the machine.

The batch scene (PACELINE_SCENE=batch) sends a selection of 40 queued documents to the test
Batch API server (tests/batch_server.py) with "Send as batch" and is taken while the provider
works through them: the Batches pane with its counts, the jobs showing their batch's stage.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gui import qt_workarounds  # noqa: E402

qt_workarounds.install()

import qasync  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from core.engine import Engine  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.states import JobState  # noqa: E402
from gui.app import PacelineApp  # noqa: E402
from gui.main_thread_gc import MainThreadGarbageCollector  # noqa: E402
from gui.palette import apply_style, wanted_scheme  # noqa: E402
from gui.translations import install_translators  # noqa: E402
from tests.batch_server import BatchServer  # noqa: E402
from tests.fake_provider import FakeProvider  # noqa: E402

TOPICS = {
    "q3-board-minutes.txt": "board revenue quarter forecast hiring budget approval margin",
    "customer-interviews.md": "customers onboarding pricing feedback churn support workflow",
    "incident-report-2024-11.md": "outage database failover latency alert rollback postmortem",
    "release-plan.md": "release milestone testing migration rollout beta schedule risk",
    "vendor-comparison.md": "vendor contract pricing support uptime integration security",
    "research-summary.md": "study participants results method sample analysis findings",
    "support-tickets.csv": "ticket priority customer refund login error escalation",
    "roadmap-2025.md": "roadmap quarter features platform mobile api partners goals",
    "onboarding-guide.md": "new hires accounts laptop security training mentor checklist",
    "pricing-notes.txt": "plans discount annual seats enterprise trial conversion",
    "meeting-notes-standup.txt": "team blockers deploy review sprint tasks yesterday today",
}
COMMON = "the and of to in for with on is was are that this we our team next".split()


def write_docs(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    docs = {}
    for n, (name, topic) in enumerate(TOPICS.items()):
        rng = random.Random(n)
        words = topic.split()
        paragraphs = []
        for _ in range(6 + n % 5):
            sentences = []
            for _ in range(5):
                picked = [rng.choice(words if rng.random() < 0.45 else COMMON)
                          for _ in range(rng.randint(9, 16))]
                sentences.append(" ".join(picked).capitalize() + ".")
            paragraphs.append(" ".join(sentences))
        path = folder / name
        path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
        docs[name] = path
    return docs


async def until(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the scene did not come together in time")
        await asyncio.sleep(0.05)


async def scene(home: Path, docs: dict[str, Path], out: Path) -> None:
    # 1. A job left running by a process that died: stale at the next start.
    crashed = await Engine.open(home)
    await crashed.add_paths([docs["vendor-comparison.md"]])
    await crashed.store.claim_next()
    await crashed.store.close()

    # 2. Five documents analysed offline.
    app = PacelineApp(home)
    window = await app.start()
    window.resize(1360, 860)
    offline = ["q3-board-minutes.txt", "customer-interviews.md", "incident-report-2024-11.md",
               "release-plan.md", "research-summary.md"]
    await window.add_paths([docs[n] for n in offline])
    await until(lambda: window.last_summary.counts.get("done") == 5)

    # 3. A paced remote provider: the first call fails for good, the rest run in parts.
    server = FakeProvider(latency=0.4, token_delay=0.12).start()
    server.script(["context"])
    remote = replace(Settings(), provider="openai", preset="custom", api_base=server.url,
                     model="fake-model", pause_s=6.0, context_chars=1500,
                     price_per_1k_tokens=0.002)
    await window.apply_settings(remote)
    rest = [n for n in TOPICS if n not in offline and n != "vendor-comparison.md"]
    await window.add_paths([docs[n] for n in rest])

    def ready() -> bool:
        jobs = window.model.jobs()
        running = [j for j in jobs if j.state == JobState.RUNNING]
        return (window.last_summary.counts.get("failed") == 1
                and any(j.parts_done >= 2 for j in running)
                and window.queue_banner.mode == "wait"
                and window.queue_banner.seconds_left() < 4.6)

    await until(ready, timeout=120)
    window.add_banner.hide()
    board = next(j for j in window.model.jobs() if j.name == "q3-board-minutes.txt")
    window.select_job(board.id)
    await until(lambda: window.detail.shown_job is not None)
    await asyncio.sleep(0.6)  # let a progress update and the countdown repaint
    window.grab().save(str(out), "PNG", 9)
    print(f"saved {out} ({out.stat().st_size // 1024} KB)")
    await app.shutdown()
    server.stop()


async def batch_scene(home: Path, docs: dict[str, Path], out: Path) -> None:
    # The provider answers a request every 0.3 s after 1 s of validating; looked at every 1 s.
    server = BatchServer(validating_s=1.0, request_s=0.3, finalizing_s=30.0).__enter__()
    os.environ["PACELINE_API_KEY"] = "sk-screenshot"
    settings = replace(Settings(), provider="openai", preset="custom", api_base=server.url,
                       model="qwen-plus", pause_s=0.5, batch_poll_s=1.0,
                       price_per_1k_tokens=0.002)
    app = PacelineApp(home, settings=settings)
    window = await app.start()
    window.resize(1280, 800)
    # A few documents the usual way first, then 40 scans sent as a batch.
    first = ["q3-board-minutes.txt", "customer-interviews.md", "release-plan.md"]
    await window.add_paths([docs[n] for n in first])
    await until(lambda: window.last_summary.counts.get("done") == 3)
    await window.engine.pause()
    scans = Path(next(iter(docs.values()))).parent / "scans"
    scans.mkdir(exist_ok=True)
    for n in range(1, 41):
        (scans / f"invoice-2024-{n:03d}.txt").write_text(
            f"Invoice {n}. " + "Services rendered, net 30 days, VAT included. " * 20,
            encoding="utf-8")
    await window.add_paths([scans])
    await until(lambda: window.last_summary.counts.get("queued") == 40)
    window.table.selectAll()
    window._selection_changed()
    await window.job_actions.do_send_batch()
    await until(lambda: window.job_actions.paused)
    await window.job_actions.toggle_pause()
    rest = [n for n in TOPICS if n not in first][:2]
    await window.add_paths([docs[n] for n in rest])  # queued behind, as normal calls

    def working() -> bool:
        batch = window.batches_pane.batches.get(1)
        return batch is not None and batch.status == "in_progress" and batch.completed >= 12

    await until(working, timeout=120)
    window.add_banner.hide()
    window.statusBar().clearMessage()  # the "queue is empty" note of the first three
    window.table.clearSelection()
    window.batches_pane.select_batch(1)
    invoice = next(j for j in window.model.jobs() if j.name == "invoice-2024-003.txt")
    window.select_job(invoice.id)
    await asyncio.sleep(0.6)
    window.grab().save(str(out), "PNG", 9)
    print(f"saved {out} ({out.stat().st_size // 1024} KB)")
    await app.shutdown()
    server.__exit__(None, None, None)


def main() -> int:
    scheme = os.environ.get("PACELINE_COLOR_SCHEME", "light")
    language = os.environ.get("PACELINE_LANGUAGE", "en")
    batch = os.environ.get("PACELINE_SCENE") == "batch"
    name = f"main-{scheme}.png" if language == "en" else f"main-{language}.png"
    if batch:
        name = f"batch-{scheme}.png" if language == "en" else f"batch-{language}.png"
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / name
    with tempfile.TemporaryDirectory(prefix="paceline-shots-") as tmp:
        home = Path(tmp) / "home"
        os.environ["PACELINE_HOME"] = str(home)
        docs = write_docs(Path(tmp) / "Documents")
        app = QApplication(sys.argv[:1])
        MainThreadGarbageCollector(app)  # as the application does
        apply_style(app)
        install_translators(app, language)
        print(f"palette: {wanted_scheme(app)}")
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop, qt_workarounds.async_generator_hooks(loop):
            loop.run_until_complete((batch_scene if batch else scene)(home, docs, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

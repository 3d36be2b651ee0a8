"""``paceline --version`` and ``paceline --self-test``: answered before any window is built.

The self-test proves an installed copy really works, including a frozen bundle where a missing
plugin, library or hidden import only shows at run time: it starts the real application
(engine, main window, worker) offscreen on a temporary Paceline home, adds one sample
document, waits for the offline analyzer to finish it, checks that the window shows the job
as done and renders its result, and closes everything. It prints one line per check and exits
0, or prints what failed (and the tail of the run's log) and exits 1.

With a display (``DISPLAY`` or ``WAYLAND_DISPLAY`` set) the window opens on the real platform,
so the self-test also proves that the system has the libraries Qt's window needs; without one it
runs ``offscreen``. ``QT_QPA_PLATFORM``, when set, chooses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from core import __version__

TIMEOUT_S = 60.0
SAMPLE = """# Paceline self-test

Paceline turns every dropped document into a durable job. One paced worker sends the jobs to a
language model, or to the built-in offline analyzer, and the window shows their progress.

The offline analyzer needs no key and no network. It counts the words, guesses the language,
picks keywords and writes a short extractive summary of the document.
"""
# Formats whose readers core.documents imports lazily: a frozen bundle must contain them.
REQUIRED_SUFFIXES = (".txt", ".md", ".html", ".pdf", ".docx", ".png")


class SelfTestFailure(Exception):
    """A check that did not hold; the message says what was expected."""


def early_exit(argv: Sequence[str]) -> int | None:
    """Handle ``--version`` / ``--self-test`` (the exit code), or None to start the window."""
    args = list(argv[1:])
    if "--" in args:
        args = args[: args.index("--")]  # what follows "--" are document paths
    if "--version" in args:
        print(f"paceline {__version__}", file=_console())
        return 0
    if "--self-test" in args:
        return run_self_test(_console())
    return None


def _console() -> TextIO:
    """Where to print: stdout, or on Windows (a windowed program has none) the parent console."""
    if sys.stdout is not None:
        return sys.stdout
    if sys.platform == "win32":
        import ctypes

        attach_parent_process = -1
        if ctypes.windll.kernel32.AttachConsole(attach_parent_process):  # type: ignore[attr-defined]
            with contextlib.suppress(OSError):
                return open("CONOUT$", "w", encoding="utf-8", errors="replace")
    return open(os.devnull, "w", encoding="utf-8")


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_self_test(out: TextIO | None = None) -> int:
    out = out or sys.stdout
    started = time.monotonic()
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # ignore_cleanup_errors: on Windows a file a library still holds must not turn a pass
    # into a crash at the very end
    with tempfile.TemporaryDirectory(prefix="paceline-self-test-",
                                     ignore_cleanup_errors=True) as scratch:
        home = Path(scratch) / "home"
        home.mkdir()
        # The environment overrides saved settings: make sure the offline analyzer runs even if
        # the person's shell selects a remote provider.
        with _environment(PACELINE_HOME=str(home), PACELINE_PROVIDER="offline"):
            checks = _Checks(out)
            try:
                _run(Path(scratch), home, checks)
            except Exception as exc:
                _close_log_files()
                out.write(f"\nPaceline self-test FAILED at: {checks.current}\n  {exc}\n")
                if not isinstance(exc, SelfTestFailure):
                    out.write("".join(traceback.format_exception(exc)))
                out.write(_log_tail(home))
                out.flush()
                return 1
            _close_log_files()
    out.write(f"Paceline {__version__} self-test passed: {checks.count} checks in "
              f"{time.monotonic() - started:.1f} s\n")
    out.flush()
    return 0


class _Checks:
    """Prints one line per check; remembers which one is running for the failure message."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.current = "start-up"
        self.count = 0

    def step(self, what: str) -> None:
        self.current = what

    def ok(self, detail: str = "") -> None:
        self.count += 1
        suffix = f" ({detail})" if detail else ""
        self.out.write(f"  ok  {self.current}{suffix}\n")
        self.out.flush()


def _require(condition: object, message: str) -> None:
    if not condition:
        raise SelfTestFailure(message)


def _run(scratch: Path, home: Path, checks: _Checks) -> None:
    checks.step("Qt and the application's modules load")
    from gui import platform_check, qt_workarounds

    qt_workarounds.install()  # before any other Qt call, as gui.app.main does
    import qasync
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion
    from PySide6.QtWidgets import QApplication

    from core.documents import supported_suffixes
    from core.logs import setup_logging
    from core.settings import Settings
    from gui.app import PacelineApp
    from gui.icons import app_icon, resource_dir
    from gui.palette import apply_style
    from gui.translations import install_translators

    checks.ok(f"PySide6 {pyside_version}, Qt {qVersion()}, Python {sys.version.split()[0]}")

    checks.step("document readers are available")
    missing = [s for s in REQUIRED_SUFFIXES if s not in supported_suffixes()]
    _require(not missing, f"no reader for {', '.join(missing)} (a module missing from the build?)")
    checks.ok(", ".join(REQUIRED_SUFFIXES))

    checks.step("the document reader process reads a PDF and a picture")
    checks.ok(_check_reader())

    checks.step("the Qt platform starts")
    if problem := platform_check.window_problem(os.environ):
        raise SelfTestFailure(problem)  # before QApplication aborts the process
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "paceline"])
    assert isinstance(app, QApplication)
    checks.ok(app.platformName())

    checks.step("resources, icon and translations load")
    _require((resource_dir() / "icons").is_dir(), f"no icons folder in {resource_dir()}")
    _require(not app_icon().isNull(), "the application icon is empty")
    apply_style(app)
    translators = install_translators(app, "en")
    _require(translators, "no translation could be loaded (paceline_en.qm is missing)")
    checks.ok(str(resource_dir()))

    setup_logging(home, "paceline")
    document = scratch / "self-test.md"
    document.write_text(SAMPLE, encoding="utf-8")
    application = PacelineApp(home, [document], settings=Settings(provider="offline"),
                              holder="Paceline self-test")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            try:
                loop.run_until_complete(
                    asyncio.wait_for(_exercise(application, checks), TIMEOUT_S))
            except TimeoutError:
                raise SelfTestFailure(f"no answer within {TIMEOUT_S:.0f} s") from None
    finally:
        asyncio.set_event_loop(None)
    del translators


def _tiny_pdf(text: str) -> bytes:
    """A one-page PDF in the standard Helvetica font, its cross-reference table computed."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def _check_reader() -> str:
    """PDFium and Pillow, in the reader process this build starts (``--paceline-reader``)."""
    import io

    from PIL import Image

    from core.documents import sandbox
    from core.documents.source import Limits, Source

    reader = sandbox.default()
    pdf = reader.extract(Source("self-test.pdf", _tiny_pdf("Paceline reads PDFs")),
                         "self-test.pdf", ".pdf")
    _require(pdf.text == "Paceline reads PDFs", f"the PDF read as {pdf.text!r}")
    png = io.BytesIO()
    Image.new("L", (400, 300), 255).save(png, "PNG")
    source = Source("self-test.png", png.getvalue(), Limits(render_images=True))
    picture = reader.extract(source, "self-test.png", ".png")
    _require(len(picture.images) == 1 and picture.images[0].mime == "image/jpeg",
             "the picture was not prepared for a model that reads images")
    return "PDFium and Pillow in a separate process"


async def _until(predicate: Callable[[], Any], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SelfTestFailure(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.02)


async def _exercise(application: Any, checks: _Checks) -> None:
    try:
        await _check_window(application, checks)
    except BaseException:
        with contextlib.suppress(Exception):
            await application.shutdown()  # close the database before its folder is removed
        raise
    checks.step("the application shuts down cleanly")
    await application.shutdown()
    checks.ok()


async def _check_window(application: Any, checks: _Checks) -> None:
    from core.states import JobState

    checks.step("the engine opens and the main window shows")
    window = await application.start()
    _require(window.isVisible(), "the window is not visible")
    _require(application.worker is not None and application.worker.running,
             "the worker did not start: "
             f"{getattr(application.worker, 'start_error', None) or 'unknown reason'}")
    checks.ok(type(window).__name__)

    checks.step("the sample document is queued")
    await _until(lambda: window.model.rowCount() == 1, "the job to appear in the table")
    job_id = window.model.job_at(0).id
    checks.ok(f"job {job_id}")

    checks.step("the offline analyzer finishes the job")
    finished = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)
    await _until(lambda: window.model.job_at(0).state in finished, "the job to finish")
    job = await application.engine.job(job_id)  # the table's rows omit the result
    _require(job is not None, f"job {job_id} is no longer in the database")
    _require(job.state == JobState.DONE,
             f"the job ended {job.state}: {job.error_kind}: {job.error}")
    _require(job.result, "the job is done but its result is empty")
    checks.ok(f"{len(job.result)} characters of Markdown")

    checks.step("the window renders the result")
    _require(window.select_job(job_id), "the job cannot be selected in the table")
    view = window.detail.result_view
    await _until(lambda: view.toPlainText().strip(), "the result to be shown")
    first_line = next(line for line in job.result.splitlines() if line.strip())
    expected = first_line.lstrip("#*-> ").strip()[:20]
    _require(expected in view.toPlainText(),
             f"the result pane does not show the result (expected {expected!r})")
    image = window.grab().toImage()
    _require(not image.isNull() and image.width() > 0, "the window cannot be painted")
    checks.ok(f"{image.width()}x{image.height()} window painted")


def _close_log_files() -> None:
    """Detach the log handlers core.logs.setup_logging added (their files are in the home)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_paceline", False):
            root.removeHandler(handler)
            handler.close()


def _log_tail(home: Path, lines: int = 20) -> str:
    logs = sorted((home / "logs").glob("*.log*")) if (home / "logs").is_dir() else []
    if not logs:
        return ""
    text = logs[0].read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return f"Last lines of {logs[0].name}:\n" + "".join(f"  {t}\n" for t in text)

"""``paceline --version`` and ``paceline --self-test`` (gui/self_test.py), run as the app runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from core import __version__
from gui.self_test import early_exit

ROOT = Path(__file__).resolve().parents[2]


def _paceline(*args: str, setup: str = "") -> subprocess.CompletedProcess[str]:
    """``paceline ARGS`` through gui.app.main in a fresh interpreter (a QApplication per run)."""
    code = f"import sys\n{setup}\nfrom gui.app import main\nsys.exit(main(['paceline', *{args!r}]))"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=90)


def test_version_is_printed_without_starting_qt(capsys: pytest.CaptureFixture[str]) -> None:
    assert early_exit(["paceline", "--version"]) == 0
    assert capsys.readouterr().out == f"paceline {__version__}\n"


def test_other_arguments_start_the_window() -> None:
    assert early_exit(["paceline"]) is None
    assert early_exit(["paceline", "report.pdf"]) is None
    assert early_exit(["paceline", "--", "--version"]) is None  # a document named --version


def test_the_self_test_passes_and_leaves_no_trace() -> None:
    result = _paceline("--self-test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the offline analyzer finishes the job" in result.stdout
    assert "the window renders the result" in result.stdout
    assert f"Paceline {__version__} self-test passed" in result.stdout
    assert not (Path(os.environ["PACELINE_HOME"]) / "paceline.sqlite3").exists()


def test_a_missing_document_reader_fails_readably() -> None:
    result = _paceline("--self-test", setup=(
        "import core.documents\ncore.documents.supported_suffixes = lambda: frozenset({'.txt'})"))
    assert result.returncode == 1
    assert "FAILED at: document readers are available" in result.stdout
    assert "no reader for .md, .html, .pdf, .docx" in result.stdout
    assert "Traceback" not in result.stdout


def test_a_failed_job_fails_the_self_test_and_still_shuts_down() -> None:
    result = _paceline("--self-test", setup="import gui.self_test\ngui.self_test.SAMPLE = ' \\n'")
    assert result.returncode == 1
    assert "FAILED at: the offline analyzer finishes the job" in result.stdout
    assert "the job ended failed: empty" in result.stdout
    assert "Paceline stopped cleanly" in result.stdout  # the log's tail: a clean shutdown

"""Document paths with odd characters work through add, run, list, show and export.

Spaces, non-Latin scripts, quotes, shell characters, a leading dash (given after ``--``, the
usual way to end options), in file and folder names, and in the export's output path. Real CLI
subprocesses on the offline analyzer (the path handling is the same for every provider).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import run_cli

NAMES = [
    "my report (final) v2.txt",
    "Überblick – März 2024 ✓.md",
    "报告 テスト Отчёт.txt",
    "📄 notes.txt",
    "100% {0} [x] & $HOME `id`; echo.txt",
    "-leading-dash.txt",
]
if sys.platform != "win32":  # names Windows does not allow
    NAMES += ['it\'s "quoted".txt', "back\\slash.txt"]


def _cli_in(folder: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI started in ``folder``, so relative paths (like ``-leading-dash.txt``) work."""
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args], capture_output=True, text=True,
        cwd=folder, env={**os.environ, "PACELINE_HOME": str(home)}, timeout=60,
    )  # fmt: skip


def test_odd_characters_in_paths_work_everywhere(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "Dokumente mit Leerzeichen ü"
    nested = folder / "sub 'folder' ✓"
    nested.mkdir(parents=True)
    expected: list[str] = []
    for n, name in enumerate(NAMES):
        path = folder / name
        path.write_text(f"Document {n} named {name!r}. It talks about pacing.\n", "utf-8")
        expected.append(str(path))
    inner = nested / "inner – ü.txt"
    inner.write_text("A document inside a folder with quotes in its name.\n", "utf-8")

    dash = "-leading-dash.txt"
    given = [str(folder / name) for name in NAMES if name != dash]
    added = run_cli(home, "add", "--json", *given)
    assert added.returncode == 0, added.stderr
    relative = _cli_in(folder, home, "add", "--json", "--", dash)  # relative, after "--"
    assert relative.returncode == 0, relative.stderr
    folder_add = run_cli(home, "add", "--json", str(nested))  # a folder, recursively
    assert folder_add.returncode == 0, folder_add.stderr
    reports = [json.loads(r.stdout) for r in (added, relative, folder_add)]
    assert not any(r["rejected"] or r["duplicates"] for r in reports), reports
    accepted = {item["path"]: item["id"] for r in reports for item in r["accepted"]}
    assert set(accepted) == set(expected) | {str(inner)}

    ran = run_cli(home, "run", "--until-empty")
    assert ran.returncode == 0, ran.stderr

    listed = json.loads(run_cli(home, "list", "--json").stdout)
    assert {j["path"]: j["state"] for j in listed} == dict.fromkeys(accepted, "done")

    for path, job_id in accepted.items():
        shown = run_cli(home, "show", str(job_id))
        assert shown.returncode == 0 and path in shown.stdout, shown.stderr
        data = json.loads(run_cli(home, "show", str(job_id), "--json").stdout)
        assert data["path"] == path and data["result"], data

    out = tmp_path / "export – “all” 'jobs' ✓"
    for fmt in ("json", "csv", "md"):
        target = out.with_suffix(f".{fmt}")
        done = run_cli(home, "export", "--format", fmt, "-o", str(target))
        assert done.returncode == 0, done.stderr
        text = target.read_text(encoding="utf-8")
        if fmt == "json":
            paths = [row["path"] for row in json.loads(text)]
        elif fmt == "csv":
            paths = [row["path"] for row in csv.DictReader(io.StringIO(text))]
        else:
            paths = [p for p in accepted if f"`{p}`" in text]
        assert sorted(paths) == sorted(accepted), fmt

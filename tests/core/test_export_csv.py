"""CSV export never hands a spreadsheet a formula from a model's answer or a file name."""

from __future__ import annotations

import csv
import io

from core.export import to_csv
from core.jobs import Job
from core.states import JobState


def _job(**kw: object) -> Job:
    base: dict[str, object] = dict(
        id=1,
        path="/docs/report.pdf",
        size=10,
        mtime=0.0,
        sha256="x",
        profile="summary",
        prompt="p",
        provider="offline",
        model="m",
        state=JobState.DONE,
        position=1,
    )
    base.update(kw)
    return Job(**base)  # type: ignore[arg-type]


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_formula_cells_are_prefixed_with_a_quote() -> None:
    answer = '=HYPERLINK("http://x","y")'
    jobs = [
        _job(result=answer, path="/docs/@SUM(A1).txt", error="-2+3", error_kind="+cmd"),
        _job(id=2, result="\tTAB", error="\rCR"),
    ]
    first, second = _rows(to_csv(jobs))
    assert first["result"] == "'" + answer
    assert first["path"] == "/docs/@SUM(A1).txt"
    assert first["error"] == "'-2+3"
    assert first["error_kind"] == "'+cmd"
    assert second["result"] == "'\tTAB"
    assert second["error"] == "'\rCR"


def test_ordinary_cells_and_numbers_are_left_alone() -> None:
    (row,) = _rows(to_csv([_job(result="A summary = short", path="=evil.pdf", prompt_tokens=5)]))
    assert row["result"] == "A summary = short"
    assert row["path"] == "'=evil.pdf"
    assert row["prompt_tokens"] == "5"
    assert row["state"] == "done"


def test_a_carriage_return_inside_a_cell_does_not_split_the_row() -> None:
    rows = _rows(to_csv([_job(result="line one\rline two"), _job(id=2, result="x")]))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["result"] == "line one\rline two"

"""Export finished work as Markdown, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from core.jobs import Job

EXPORT_FIELDS = (
    "id",
    "path",
    "state",
    "profile",
    "provider",
    "model",
    "host",
    "attempts",
    "progress",
    "prompt_tokens",
    "completion_tokens",
    "duration_s",
    "error_kind",
    "error",
    "result",
)


# Seconds to the millisecond: the clock's 17 digits say nothing a person or a sheet can use.
_ROUNDED = {"duration_s": 3, "progress": 4}


def _row(job: Job) -> dict[str, object]:
    data = job.to_dict()
    for key, digits in _ROUNDED.items():
        if isinstance(data.get(key), float):
            data[key] = round(data[key], digits)
    return {k: data.get(k) for k in EXPORT_FIELDS}


def to_json(jobs: Sequence[Job]) -> str:
    return json.dumps([_row(j) for j in jobs], indent=2, ensure_ascii=False) + "\n"


# A spreadsheet runs a cell that starts with one of these as a formula; the model's answer, an
# error message and a file name are text from outside and must never become one (OWASP's CSV
# injection advice: prefix such a cell with a quote, which the spreadsheet shows as text).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _neutralise(value: object) -> object:
    # Only text: numbers we wrote ourselves (tokens, durations) are never formulas.
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(jobs: Sequence[Job]) -> str:
    out = io.StringIO()
    # RFC 4180's CRLF rows: the writer then quotes a cell holding a lone "\r" too, which with
    # "\n" rows it left bare and a spreadsheet split the row there.
    writer = csv.DictWriter(out, fieldnames=list(EXPORT_FIELDS), lineterminator="\r\n")
    writer.writeheader()
    for job in jobs:
        writer.writerow({k: _neutralise(v) for k, v in _row(job).items()})
    return out.getvalue()


def to_markdown(jobs: Sequence[Job]) -> str:
    chunks = []
    for job in jobs:
        head = f"# {job.name}\n\n`{job.path}` · {job.profile} · {job.state}"
        if job.tokens:
            head += f" · {job.tokens:,} tokens"
        body = job.result or (
            f"**Error ({job.error_kind}):** {job.error}" if job.error else "_No result yet._"
        )
        if job.result and job.error:
            # A done job with a note (its answer was cut at the output limit): the reader of
            # the export must not take the answer for whole.
            body = f"> **Note ({job.error_kind}):** {job.error}\n\n{job.result.strip()}"
        chunks.append(f"{head}\n\n{body.strip()}\n")
    return "\n---\n\n".join(chunks)


FORMATS = {"md": to_markdown, "json": to_json, "csv": to_csv}


def export(jobs: Sequence[Job], fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}: use md, json or csv.")
    return FORMATS[fmt](jobs)

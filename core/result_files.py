"""Result files: a finished job's answer as a file, beside its document or in an output folder.

``report.pdf`` → ``report.pdf.summary.md`` (the profile's name in lower case, spaces as
hyphens), Markdown or JSON. Each file is written atomically: a hidden temporary file in the
same folder, flushed to disk, then ``os.replace`` (a reader sees the old file or the new one,
never half of one). A file already there is replaced only if it is one Paceline wrote, byte
for byte (``result_files`` holds the sha256 of every file written), or if the settings allow
overwriting; anything else is left alone and the job's log says why.

File operations only; :mod:`core.result_writer` decides when, and records what was done.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from core.jobs import Job
from core.settings import Settings
from core.states import JobState
from core.watch_folders import WatchFolder


@dataclass(frozen=True)
class ResultOptions:
    mode: str  # "off" | "beside" | "folder"
    folder: str  # the output folder (mode "folder")
    fmt: str  # "md" | "json"
    overwrite: bool
    done_folder: str = ""
    failed_folder: str = ""
    base: str | None = None  # the watch folder the document lies in: the structure mirrored

    @property
    def anything(self) -> bool:
        return self.mode != "off" or bool(self.done_folder or self.failed_folder)


def options_for(settings: Settings, folder: WatchFolder | None) -> ResultOptions:
    """A watch folder's own choices where it has them, the global settings otherwise."""
    if folder is None:
        return ResultOptions(settings.result_files, settings.result_folder,
                             settings.result_format, settings.result_overwrite)
    return ResultOptions(
        folder.results or settings.result_files,
        folder.results_folder if folder.results else settings.result_folder,
        folder.results_format or settings.result_format,
        settings.result_overwrite if folder.overwrite is None else folder.overwrite,
        folder.done_folder,
        folder.failed_folder,
        folder.path,
    )


def profile_slug(profile: str) -> str:
    """'Key points' -> 'key-points': a profile's name as part of a file name."""
    slug = re.sub(r"[^\w.-]+", "-", profile.strip().lower()).strip("-.")
    return slug or "result"


def target_path(document: Path, job: Job, options: ResultOptions) -> Path:
    name = f"{document.name}.{profile_slug(job.profile)}.{options.fmt}"
    if options.mode == "beside":
        return document.parent / name
    out = Path(options.folder).expanduser()
    if options.base:
        # Mirror the document's place inside its watch folder: in/2024/a.pdf -> out/2024/...
        with contextlib.suppress(ValueError):
            return out / Path(job.path).parent.relative_to(options.base) / name
    return out / name


def render(job: Job, fmt: str) -> bytes:
    """The file's content: the same bytes for the same finished job, so writing it again after
    a crash is recognised as our own file."""
    finished = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(job.finished_at or 0))
    if fmt == "json":
        data = {
            "written_by": "Paceline",
            "job": job.id,
            "document": job.path,
            "sha256": job.sha256,
            "profile": job.profile,
            "provider": job.provider,
            "model": job.model,
            "host": job.host,
            "finished_at": finished,
            "tokens": {"prompt": job.prompt_tokens, "completion": job.completion_tokens},
            "cut_off": job.error if job.error_kind else None,
            "result": job.result or "",
        }
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    header = (
        f"<!-- Written by Paceline: job #{job.id}, {job.profile}, from "
        f"{os.path.basename(job.path)}, finished {finished}. Paceline replaces this file "
        "when the job runs again; edit a copy. -->\n\n"
    )
    note = f"> Cut off: {job.error}\n\n" if job.error_kind and job.error else ""
    return (header + note + (job.result or "").rstrip("\n") + "\n").encode("utf-8")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str | None:
    try:
        return sha256_of(path.read_bytes())
    except FileNotFoundError:
        return None


def write_atomically(target: Path, data: bytes) -> None:
    """A temporary file in the same folder (same file system: the rename is atomic), synced,
    then renamed over the target; the folder is synced too so the rename survives a crash."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.paceline-tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError, AttributeError):  # Windows cannot open a folder
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def move_source(document: Path, to_folder: str, base: str | None) -> Path | None:
    """Move the document into ``to_folder`` (mirroring its place under ``base``), never over
    another file: a name taken gets " (2)", " (3)" ...; None if the document is gone."""
    root = Path(to_folder).expanduser()
    where = root
    if base:
        with contextlib.suppress(ValueError):
            where = root / document.parent.relative_to(base)
    where.mkdir(parents=True, exist_ok=True)
    target = where / document.name
    n = 2
    while target.exists():
        target = where / f"{document.stem} ({n}){document.suffix}"
        n += 1
    try:
        os.rename(document, target)  # the same file system: atomic
    except FileNotFoundError:
        return None
    except OSError:
        import shutil

        shutil.move(str(document), str(target))  # another disk: copy, then delete
    return target


def wants_source_moved(job: Job, options: ResultOptions) -> str:
    if job.state == JobState.DONE:
        return options.done_folder
    if job.state == JobState.FAILED:
        return options.failed_folder
    return ""

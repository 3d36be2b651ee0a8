"""Watch folders as stored in the queue's database: what each folder is, and what it has seen.

They live in SQLite, not in settings.json, because the window and ``paceline-cli watch`` edit
them at the same time, and the process that watches writes each folder's state (watching,
unavailable, paused) where every other process reads it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.db import Database, Tx

# What a folder's state column says. "idle": no process watches it right now.
WATCHING, UNAVAILABLE, PAUSED, IDLE = "watching", "unavailable", "paused", "idle"
RESULT_MODES = ("off", "beside", "folder")
RESULT_FORMATS = ("md", "json")

COLUMNS = (
    "id, path, profile, recursive, pattern, paused, results, results_folder, results_format, "
    "overwrite, done_folder, failed_folder, state, state_detail, state_at"
)


class WatchFolderError(ValueError):
    """A watch folder that cannot be added or changed; the message says what to do."""


@dataclass(frozen=True)
class WatchFolder:
    id: int
    path: str
    profile: str
    recursive: bool = True
    pattern: str = ""  # file-name globs separated by ";" (e.g. "*.pdf;*.docx"); "" takes all
    paused: bool = False
    results: str | None = None  # None: as the global setting; else one of RESULT_MODES
    results_folder: str = ""
    results_format: str | None = None  # None: as the global setting
    overwrite: bool | None = None  # None: as the global setting
    done_folder: str = ""  # move a document here once its job is done ("" leaves it)
    failed_folder: str = ""  # ... or here once it failed
    state: str = IDLE
    state_detail: str = ""
    state_at: float = 0.0

    def contains(self, path: str) -> bool:
        """True if ``path`` lies in this folder (in a subfolder only if it is searched)."""
        parent = os.path.dirname(path)
        if parent == self.path:
            return True
        return self.recursive and parent.startswith(_prefix(self.path))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _row(row: Sequence[Any]) -> WatchFolder:
    (id_, path, profile, recursive, pattern, paused, results, results_folder, results_format,
     overwrite, done_folder, failed_folder, state, detail, state_at) = row
    return WatchFolder(
        int(id_), str(path), str(profile), bool(recursive), str(pattern), bool(paused),
        results, str(results_folder), results_format,
        None if overwrite is None else bool(overwrite),
        str(done_folder), str(failed_folder), str(state), str(detail), float(state_at),
    )  # fmt: skip


def _prefix(folder: str) -> str:
    return folder if folder.endswith(os.sep) else folder + os.sep


def normalise(path: str | Path) -> str:
    """The absolute form a folder is stored and compared in (symlinks kept as given)."""
    return os.path.normpath(os.path.abspath(os.path.expanduser(str(path))))


def owner_of(folders: Iterable[WatchFolder], path: str) -> WatchFolder | None:
    """The innermost watch folder ``path`` lies in, or None."""
    found = [f for f in folders if f.contains(path)]
    return max(found, key=lambda f: len(f.path)) if found else None


def check_new_folder(path: str, recursive: bool, existing: Iterable[WatchFolder]) -> None:
    """Refuse a folder that is already watched, inside or around one that is: each document
    must belong to one folder, or two profiles would fight over it."""
    for other in existing:
        if other.path == path:
            raise WatchFolderError(f"{path} is already a watch folder.")
        if other.recursive and path.startswith(_prefix(other.path)):
            raise WatchFolderError(
                f"{path} lies inside the watch folder {other.path}, which searches its "
                "subfolders already. Remove that one first, or turn off its subfolders."
            )
        if recursive and other.path.startswith(_prefix(path)):
            raise WatchFolderError(
                f"The watch folder {other.path} lies inside {path}. Remove it first, or add "
                f"{path} without its subfolders."
            )


def check_options(results: str | None, results_folder: str, results_format: str | None) -> None:
    if results is not None and results not in RESULT_MODES:
        raise WatchFolderError(
            f"Unknown result mode {results!r}: use {', '.join(RESULT_MODES)}."
        )
    if results == "folder" and not results_folder:
        raise WatchFolderError(
            "Result files go to an output folder, but no folder was given: name one, or write "
            "them beside each document."
        )
    if results_format is not None and results_format not in RESULT_FORMATS:
        raise WatchFolderError(f"Unknown result format {results_format!r}: use md or json.")


# ---------------------------------------------------------------------- database


async def list_folders(db: Database) -> list[WatchFolder]:
    return [_row(r) for r in await db.rows(f"SELECT {COLUMNS} FROM watch_folders ORDER BY id")]


async def insert_folder(db: Database, folder: WatchFolder, now: float) -> WatchFolder:
    async def tx(t: Tx) -> WatchFolder:
        existing = [_row(r) for r in await t.all(f"SELECT {COLUMNS} FROM watch_folders")]
        check_new_folder(folder.path, folder.recursive, existing)
        row = await t.one(
            "INSERT INTO watch_folders (path, profile, recursive, pattern, paused, results, "
            "results_folder, results_format, overwrite, done_folder, failed_folder, state, "
            "state_detail, state_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            f"RETURNING {COLUMNS}",
            (folder.path, folder.profile, int(folder.recursive), folder.pattern,
             int(folder.paused), folder.results, folder.results_folder, folder.results_format,
             None if folder.overwrite is None else int(folder.overwrite), folder.done_folder,
             folder.failed_folder, IDLE, "", now, now),
        )  # fmt: skip
        assert row is not None
        return _row(row)

    return await db.write(tx)


async def update_folder(db: Database, folder_id: int, **values: Any) -> WatchFolder | None:
    """Change some of a folder's options (profile, pattern, paused, results, ...)."""
    allowed = {"profile", "pattern", "paused", "results", "results_folder", "results_format",
               "overwrite", "done_folder", "failed_folder"}
    unknown = set(values) - allowed
    if unknown:
        raise WatchFolderError(f"Unknown watch folder option(s): {', '.join(sorted(unknown))}.")

    async def tx(t: Tx) -> WatchFolder | None:
        if values:
            sets = ", ".join(f"{k} = ?" for k in values)
            args = [int(v) if isinstance(v, bool) else v for v in values.values()]
            await t.all(f"UPDATE watch_folders SET {sets} WHERE id = ?", (*args, folder_id))
        row = await t.one(f"SELECT {COLUMNS} FROM watch_folders WHERE id = ?", (folder_id,))
        return None if row is None else _row(row)

    return await db.write(tx)


async def delete_folder(db: Database, folder_id: int) -> bool:
    async def tx(t: Tx) -> bool:
        gone = await t.all("DELETE FROM watch_folders WHERE id = ? RETURNING id", (folder_id,))
        await t.all("DELETE FROM watch_seen WHERE watch_id = ?", (folder_id,))
        return bool(gone)

    return await db.write(tx)


async def set_state(db: Database, folder_id: int, state: str, detail: str, now: float) -> None:
    await db.write(lambda t: t.all(
        "UPDATE watch_folders SET state = ?, state_detail = ?, state_at = ? WHERE id = ?",
        (state, detail, now, folder_id)))  # fmt: skip


async def load_seen(db: Database, folder_id: int) -> dict[str, tuple[int, int]]:
    rows = await db.rows(
        "SELECT path, size, mtime_ns FROM watch_seen WHERE watch_id = ?", (folder_id,)
    )
    return {str(p): (int(s), int(m)) for p, s, m in rows}


async def remember_seen(
    db: Database, folder_id: int, seen: Sequence[tuple[str, int, int]]
) -> None:
    if not seen:
        return

    async def tx(t: Tx) -> None:
        await t.many(
            "INSERT INTO watch_seen (path, watch_id, size, mtime_ns) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(path) DO UPDATE SET watch_id = excluded.watch_id, "
            "size = excluded.size, mtime_ns = excluded.mtime_ns",
            [(p, folder_id, s, m) for p, s, m in seen],
        )

    await db.write(tx)


async def written_results(db: Database, paths: Sequence[str]) -> set[str]:
    """Those of ``paths`` that are result files Paceline wrote (or is writing)."""
    found: set[str] = set()
    for start in range(0, len(paths), 500):
        chunk = list(paths[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = await db.rows(f"SELECT path FROM result_files WHERE path IN ({marks})", chunk)
        found.update(str(r[0]) for r in rows)
    return found


async def folder_counts(db: Database, folders: Sequence[WatchFolder]) -> dict[int, dict[str, int]]:
    """Jobs per state whose document lies in each folder (its subfolders included)."""

    async def read(t: Tx) -> dict[int, dict[str, int]]:
        counts: dict[int, dict[str, int]] = {}
        for folder in folders:
            low = _prefix(folder.path)
            high = low[:-1] + chr(ord(os.sep) + 1)  # just past every path under the folder
            rows = await t.all(
                "SELECT state, COUNT(*) FROM jobs WHERE path > ? AND path < ? GROUP BY state",
                (low, high),
            )
            counts[folder.id] = {str(s): int(n) for s, n in rows}
        return counts

    return await db.read(read)

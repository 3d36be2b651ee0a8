"""SQLite access: one aiosqlite connection per process, transactions and consistent reads.

Only aiosqlite's public API is used (``execute_fetchall``, ``executemany``), so an aiosqlite
upgrade inside the range pinned in pyproject.toml cannot break a private hook. A transaction is
a sequence of awaited statements; an ``asyncio.Lock`` makes sure no other coroutine's statement
slips into it, and a transaction once begun always runs to its end (commit or rollback) even if
the coroutine that asked for it is cancelled, so a half-written transaction never stays open.

Rules: WAL, ``synchronous=FULL``, ``busy_timeout``; every write inside ``BEGIN IMMEDIATE`` (two
processes never deadlock on a lock upgrade); every multi-statement read inside ``BEGIN`` so it
sees one snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from core.errors import StorageError

T = TypeVar("T")
Row = tuple[Any, ...]

DEFAULT_BUSY_TIMEOUT_S = 30.0


def busy_timeout_s() -> float:
    """How long a statement waits for another process's lock; ``PACELINE_BUSY_TIMEOUT_S``
    shortens it for trials that hold the database locked on purpose."""
    raw = os.environ.get("PACELINE_BUSY_TIMEOUT_S", "")
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT_S
    return value if 0 < value < 3600 else DEFAULT_BUSY_TIMEOUT_S


class Tx:
    """The statements of one transaction (or one consistent read)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        # Set when the transaction took a ``seq`` (it changed something the change feed
        # reports): a commit that only logged or stored a wait needs no feed read after it.
        self.took_seq = False

    async def all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return [tuple(r) for r in await self._conn.execute_fetchall(sql, args)]

    async def one(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        rows = await self.all(sql, args)
        return rows[0] if rows else None

    async def value(self, sql: str, args: Sequence[Any] = (), default: Any = None) -> Any:
        row = await self.one(sql, args)
        return row[0] if row is not None and row[0] is not None else default

    async def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)


class Database:
    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self._tx = Tx(conn)
        self._lock = asyncio.Lock()
        self.path = path
        self.closed = False

    @classmethod
    async def open(cls, path: Path) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        timeout = busy_timeout_s()
        with storage_errors(path):
            conn = await aiosqlite.connect(str(path), isolation_level=None, timeout=timeout)
        try:
            with storage_errors(path):
                await conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
                await conn.execute("PRAGMA journal_mode = WAL")
                await conn.execute("PRAGMA synchronous = FULL")
                await conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            await conn.close()
            raise
        return cls(conn, path)

    async def close(self) -> None:
        if self.closed:
            return
        async with self._lock:
            with contextlib.suppress(sqlite3.Error, ValueError):
                await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.closed = True
            await self._conn.close()

    async def read(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """Run ``fn``'s statements in one read transaction: they all see the same snapshot."""
        return (await self._run("BEGIN", fn))[0]

    async def write(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """Run ``fn`` inside BEGIN IMMEDIATE ... COMMIT; any exception rolls it back."""
        return (await self._run("BEGIN IMMEDIATE", fn))[0]

    async def write_seq(self, fn: Callable[[Tx], Awaitable[T]]) -> tuple[T, bool]:
        """Like :meth:`write`; also says whether the transaction took a ``seq``."""
        return await self._run("BEGIN IMMEDIATE", fn)

    async def rows(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        """One statement on its own (it is its own consistent read)."""

        async def one_statement() -> list[Row]:
            async with self._lock:
                with storage_errors(self.path):
                    return await self._tx.all(sql, args)

        return await _finish_even_if_cancelled(one_statement())

    async def _run(self, begin: str, fn: Callable[[Tx], Awaitable[T]]) -> tuple[T, bool]:
        async def transaction() -> tuple[T, bool]:
            async with self._lock:
                with storage_errors(self.path):
                    self._tx.took_seq = False
                    await self._tx.all(begin)
                    try:
                        result = await fn(self._tx)
                    except BaseException:
                        with contextlib.suppress(sqlite3.Error):
                            await self._tx.all("ROLLBACK")
                        raise
                    try:
                        await self._tx.all("COMMIT")
                    except BaseException:
                        with contextlib.suppress(sqlite3.Error):
                            await self._tx.all("ROLLBACK")
                        raise
                    return result, self._tx.took_seq

        return await _finish_even_if_cancelled(transaction())


async def _finish_even_if_cancelled(work: Awaitable[T]) -> T:
    """Await ``work`` in its own task; if the caller is cancelled, let it end first.

    A transaction that has begun must reach COMMIT or ROLLBACK before the connection is used
    again, and a commit that happened must not be reported as "not done" while still running.
    """
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():
            with contextlib.suppress(BaseException):
                await asyncio.wait({task})
        raise


# SQLite's primary result codes for a database that is busy, cannot be opened or written.
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 3, 5, 6, 8
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 10, 11, 13, 14, 26


def storage_error(exc: sqlite3.Error, path: Path) -> StorageError | None:
    """A person's message for a database that cannot be used right now; None for a bug."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    detail = str(exc)
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StorageError(
            "busy",
            f"Another program has kept Paceline's database {path} locked for longer than "
            f"{busy_timeout_s():g} s. Paceline keeps trying; close the program that holds it "
            "(a database browser, a backup tool) if this does not clear.",
        )
    if code == _SQLITE_FULL:
        return StorageError(
            "disk_full",
            f"Paceline could not save to its database because the disk is full ({path}). Free "
            "some space: finished work is kept; an answer that could not be saved is held while "
            "Paceline keeps trying, and its job is marked stale for you to re-trigger if "
            "Paceline has to stop first.",
        )
    if code in (_SQLITE_READONLY, _SQLITE_PERM):
        return StorageError(
            "read_only",
            f"Paceline cannot write to its database {path}: the file or its folder is "
            "read-only. Make it writable, or set PACELINE_HOME to a folder you can write to.",
        )
    if code == _SQLITE_IOERR:
        return StorageError(
            "disk_error",
            f"Paceline could not read or write its database {path}: the disk reported an error "
            f"({detail}). Check that the disk has free space and works: finished work is kept.",
        )
    if code == _SQLITE_CANTOPEN:
        return StorageError(
            "cannot_open",
            f"Paceline cannot open its database {path}. Check that the folder exists and that "
            "you can write to it, or set PACELINE_HOME to another folder.",
        )
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StorageError(
            "corrupt",
            f"The queue database {path} is damaged or is not a Paceline database ({detail}). "
            "Move it aside to start with an empty queue, or put back a backup.",
        )
    return None


@contextlib.contextmanager
def storage_errors(path: Path) -> Iterator[None]:
    """Turn a disk-level SQLite failure into a StorageError; other errors pass unchanged."""
    try:
        yield
    except sqlite3.Error as exc:
        error = storage_error(exc, path)
        if error is None:
            raise
        raise error from exc

"""The database schema, its migrations, and the step that applies them at open.

``MIGRATIONS[n]`` takes a database from version ``n`` to ``n + 1``. The file is backed up before
any migration runs, and a file written by a newer Paceline is refused with a clear message.
"""

from __future__ import annotations

import shutil

from core.db import Database, Tx
from core.errors import SchemaTooNew

SCHEMA_VERSION = 7

MIGRATIONS: dict[int, list[str]] = {
    0: [
        """
        CREATE TABLE IF NOT EXISTS meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE jobs (
            id                INTEGER PRIMARY KEY AUTOINCREMENT,
            path              TEXT    NOT NULL,
            size              INTEGER NOT NULL,
            mtime             REAL    NOT NULL,
            sha256            TEXT    NOT NULL,
            profile           TEXT    NOT NULL,
            prompt            TEXT    NOT NULL,
            provider          TEXT    NOT NULL,
            model             TEXT    NOT NULL,
            state             TEXT    NOT NULL,
            position          INTEGER NOT NULL,
            priority          INTEGER NOT NULL DEFAULT 0,
            attempts          INTEGER NOT NULL DEFAULT 0,
            max_attempts      INTEGER NOT NULL DEFAULT 5,
            created_at        REAL    NOT NULL,
            updated_at        REAL    NOT NULL,
            started_at        REAL,
            finished_at       REAL,
            parts_done        INTEGER NOT NULL DEFAULT 0,
            parts_planned     INTEGER NOT NULL DEFAULT 0,
            units             INTEGER NOT NULL DEFAULT 0,
            prompt_tokens     INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            duration_s        REAL    NOT NULL DEFAULT 0,
            result            TEXT,
            error_kind        TEXT,
            error             TEXT,
            stale_reason      TEXT,
            seq               INTEGER NOT NULL DEFAULT 0,
            added_seq         INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX jobs_claim ON jobs(state, priority DESC, position)",
        "CREATE INDEX jobs_content ON jobs(sha256, profile)",
        "CREATE INDEX jobs_seq ON jobs(seq)",
        "CREATE INDEX jobs_position ON jobs(position)",
        """
        CREATE TABLE parts (
            job_id            INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            idx               INTEGER NOT NULL,
            state             TEXT    NOT NULL,  -- 'started' (paid call sent) | 'done'
            result            TEXT,
            prompt_tokens     INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            started_at        REAL    NOT NULL,
            finished_at       REAL,
            duration_s        REAL,
            PRIMARY KEY (job_id, idx)
        )
        """,
        """
        CREATE TABLE job_log (
            id      INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id  INTEGER NOT NULL,
            at      REAL    NOT NULL,
            message TEXT    NOT NULL
        )
        """,
        "CREATE INDEX job_log_job ON job_log(job_id)",
        """
        CREATE TABLE calls (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            engine     TEXT    NOT NULL,   -- provider/model, the key for learned durations
            units      INTEGER NOT NULL,   -- characters sent in the call
            duration_s REAL    NOT NULL,
            at         REAL    NOT NULL
        )
        """,
        """
        CREATE TABLE removed (
            seq    INTEGER NOT NULL,
            job_id INTEGER NOT NULL
        )
        """,
        "CREATE INDEX removed_seq ON removed(seq)",
        "INSERT OR IGNORE INTO meta(key, value) VALUES ('seq', '0')",
        "INSERT OR IGNORE INTO meta(key, value) VALUES ('paused', '0')",
    ],
    1: [
        # A claim is a lease: the token changes on every claim and every worker write names it.
        "ALTER TABLE jobs ADD COLUMN lease TEXT",
        # A job's own "not before" (its retry's backoff or Retry-After), on the wall clock.
        "ALTER TABLE jobs ADD COLUMN not_before REAL",
        # The plan a part was cut with: a changed split never reuses a part of another split.
        "ALTER TABLE parts ADD COLUMN text_sha TEXT",
        "ALTER TABLE parts ADD COLUMN part_size INTEGER",
    ],
    2: [
        # Why the text read from the document looks garbled (core/documents/quality.py), and
        # whether the person chose to send it anyway.
        "ALTER TABLE jobs ADD COLUMN doubt TEXT",
        "ALTER TABLE jobs ADD COLUMN doubt_accepted INTEGER NOT NULL DEFAULT 0",
    ],
    3: [
        # Watch folders live here, not in settings.json: the window and paceline-cli edit them
        # at the same time, and the process that watches writes each folder's state for both.
        """
        CREATE TABLE watch_folders (
            id             INTEGER PRIMARY KEY AUTOINCREMENT,
            path           TEXT    NOT NULL UNIQUE,
            profile        TEXT    NOT NULL,
            recursive      INTEGER NOT NULL DEFAULT 1,
            pattern        TEXT    NOT NULL DEFAULT '',
            paused         INTEGER NOT NULL DEFAULT 0,
            results        TEXT,     -- NULL: as the global setting; 'off' | 'beside' | 'folder'
            results_folder TEXT    NOT NULL DEFAULT '',
            results_format TEXT,     -- NULL: as the global setting; 'md' | 'json'
            overwrite      INTEGER,  -- NULL: as the global setting
            done_folder    TEXT    NOT NULL DEFAULT '',
            failed_folder  TEXT    NOT NULL DEFAULT '',
            state          TEXT    NOT NULL DEFAULT 'idle',
            state_detail   TEXT    NOT NULL DEFAULT '',
            state_at       REAL    NOT NULL DEFAULT 0,
            created_at     REAL    NOT NULL
        )
        """,
        # Files a watcher has handed to the queue (or refused), with the size and mtime it saw:
        # a restart does not hash an unchanged folder again, and a changed file is seen as new.
        """
        CREATE TABLE watch_seen (
            path     TEXT    PRIMARY KEY,
            watch_id INTEGER NOT NULL,
            size     INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL
        )
        """,
        "CREATE INDEX watch_seen_watch ON watch_seen(watch_id)",
        # Every result file Paceline wrote (or decided not to write) per finished job: a job
        # gets its file once, and a file is only replaced if its content is what we wrote.
        """
        CREATE TABLE result_files (
            job_id      INTEGER NOT NULL,
            finished_at REAL    NOT NULL,
            outcome     TEXT    NOT NULL,  -- 'writing' | 'written' | 'skipped' | 'failed'
            path        TEXT,
            sha256      TEXT,
            message     TEXT,
            at          REAL    NOT NULL,
            PRIMARY KEY (job_id, finished_at)
        )
        """,
        "CREATE INDEX result_files_path ON result_files(path)",
        # A folder's counts are a range of paths: an index keeps that off a full scan.
        "CREATE INDEX jobs_path ON jobs(path)",
    ],
    4: [
        # The host a job's calls went to (with provider = the preset's key and model = the
        # model really asked for), written when a call starts: the record says where the
        # document went, not what the settings said when it was added.
        "ALTER TABLE jobs ADD COLUMN host TEXT NOT NULL DEFAULT ''",
    ],
    5: [
        # Each log line names its event (core/job_log.py), so scripts need not parse messages.
        "ALTER TABLE job_log ADD COLUMN event TEXT NOT NULL DEFAULT 'note'",
        # Lines written before had only their message: its wording tells which event it was.
        """
        UPDATE job_log SET event = CASE
            WHEN message LIKE 'claimed%' THEN 'claimed'
            WHEN message LIKE 'sending %' THEN 'call_started'
            WHEN message LIKE 'answer discarded%' THEN 'discarded'
            WHEN message LIKE 'marked stale%' THEN 'stale'
            WHEN message LIKE 're-triggered%' THEN 'retriggered'
            WHEN message = 'cancelled' THEN 'cancelled'
            WHEN message LIKE 'done%' THEN 'done'
            WHEN message LIKE 'failed (%' OR message LIKE 'internal error%' THEN 'failed'
            WHEN message LIKE 'attempt % failed%' OR message LIKE 'server unreachable%'
                THEN 'retried'
            WHEN message LIKE 'queue paused%' THEN 'paused'
            ELSE 'note'
        END
        """,
    ],
    6: [
        # Batch mode (core/batch_queue.py, core/batch_runner.py): a batch is a row whose stage
        # is the step that comes next; each step's intent is committed before it and its
        # outcome after, so a restart resumes it and a lost answer is looked for, not repeated.
        """
        CREATE TABLE batches (
            id             INTEGER PRIMARY KEY AUTOINCREMENT,
            stage          TEXT    NOT NULL,  -- core/batch_queue.py: BatchStage
            status         TEXT    NOT NULL DEFAULT '',  -- the provider's word for it
            step           TEXT    NOT NULL,  -- names it in the batch's metadata
            provider       TEXT    NOT NULL,
            model          TEXT    NOT NULL,
            host           TEXT    NOT NULL DEFAULT '',
            file_sha       TEXT,
            file_bytes     INTEGER NOT NULL DEFAULT 0,
            remote_file    TEXT,
            remote_batch   TEXT,
            total          INTEGER NOT NULL DEFAULT 0,
            completed      INTEGER NOT NULL DEFAULT 0,
            failed         INTEGER NOT NULL DEFAULT 0,
            created_at     REAL    NOT NULL,
            updated_at     REAL    NOT NULL,
            remote_created REAL,
            expires_at     REAL,
            finished_at    REAL,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            error          TEXT,
            seq            INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX batches_seq ON batches(seq)",
        # One row per request in a batch's file: which job and part it answers, and the plan
        # it was cut with, so the answers are stored as the worker would store them.
        """
        CREATE TABLE batch_requests (
            batch_id  INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
            custom_id TEXT    NOT NULL,
            job_id    INTEGER NOT NULL,
            idx       INTEGER NOT NULL,
            parts     INTEGER NOT NULL,  -- the job's parts (1: its answer is the result)
            text_sha  TEXT    NOT NULL,
            part_size INTEGER NOT NULL,
            units     INTEGER NOT NULL,
            PRIMARY KEY (batch_id, custom_id)
        )
        """,
        "ALTER TABLE jobs ADD COLUMN batch_id INTEGER",
        # Tokens answered through a batch, at the batch price (half): the cost counts them so.
        "ALTER TABLE jobs ADD COLUMN batch_tokens INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX jobs_batch ON jobs(batch_id)",
    ],
}


async def migrate(db: Database) -> None:
    version = int((await db.rows("PRAGMA user_version"))[0][0])
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"The queue database {db.path} was written by a newer Paceline (schema {version}; "
            f"this one knows {SCHEMA_VERSION}). Update Paceline, or point PACELINE_HOME at "
            "another folder."
        )
    if version == SCHEMA_VERSION:
        return
    if version > 0:
        # Back up before touching a database that already holds jobs.
        await db.rows("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy2(db.path, db.path.with_name(f"{db.path.name}.v{version}.bak"))

    async def steps(tx: Tx) -> None:
        for step in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[step]:
                await tx.all(statement)
        await tx.all(f"PRAGMA user_version = {SCHEMA_VERSION}")

    await db.write(steps)

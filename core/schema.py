"""The database schema and its migrations.

``MIGRATIONS[n]`` takes a database from version ``n`` to ``n + 1``. The store backs the file up
before it runs any migration and refuses a file written by a newer Paceline.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

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
}

"""From dropped paths to new jobs: size, mtime and hash of each file, and the checks that
refuse a file before it becomes a job (missing, unreadable, empty, too large)."""

from __future__ import annotations

from pathlib import Path

from core import effective_config, providers
from core.documents import fingerprint
from core.errors import RAISE_SETTING
from core.jobs import NewJob, Profile
from core.settings import Settings


def fingerprint_all(
    files: list[Path], settings: Settings, profile: Profile, priority: int
) -> tuple[list[NewJob], list[tuple[Path, str, str]]]:
    new_jobs: list[NewJob] = []
    rejected: list[tuple[Path, str, str]] = []
    limit = int(settings.max_file_mb * 1024 * 1024)
    # Where the job will go as the settings stand now; the worker writes what it really used
    # when a call starts (settings can change while a job waits).
    try:
        target = effective_config.endpoint(settings)
    except providers.UnknownPreset:
        target = effective_config.Endpoint("?", "?", "", "", settings.model, False)
    analyzer_provider = target.provider
    model = target.model if not target.offline else "builtin"
    for path in files:
        try:
            size, mtime, sha = fingerprint(path)
        except FileNotFoundError:
            rejected.append((path, "missing", f"{path} does not exist."))
            continue
        except OSError as exc:
            rejected.append((path, "unreadable", f"{path.name} cannot be read: {exc}."))
            continue
        if size == 0:
            rejected.append((path, "empty", f"{path.name} is empty (0 bytes)."))
            continue
        if size > limit:
            rejected.append(
                (
                    path,
                    "too_large",
                    f"{path.name} is {size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB: "
                    f"{RAISE_SETTING['max_file_mb']} to add it.",
                )
            )
            continue
        new_jobs.append(
            NewJob(
                path=str(path),
                size=size,
                mtime=mtime,
                sha256=sha,
                profile=profile.name,
                prompt=profile.prompt,
                provider=analyzer_provider,
                model=model,
                host=target.host,
                priority=priority,
                max_attempts=settings.max_attempts,
            )
        )
    return new_jobs, rejected

"""From dropped paths to new jobs: size, mtime and hash of each file, and the checks that
refuse a file before it becomes a job (missing, unreadable, empty, too large)."""

from __future__ import annotations

from pathlib import Path

from core.documents import fingerprint
from core.jobs import NewJob, Profile
from core.settings import Settings


def fingerprint_all(
    files: list[Path], settings: Settings, profile: Profile, priority: int
) -> tuple[list[NewJob], list[tuple[Path, str, str]]]:
    new_jobs: list[NewJob] = []
    rejected: list[tuple[Path, str, str]] = []
    limit = int(settings.max_file_mb * 1024 * 1024)
    analyzer_provider = settings.provider
    model = settings.model if analyzer_provider != "offline" else "builtin"
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
                    f"{path.name} is {size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB.",
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
                priority=priority,
                max_attempts=settings.max_attempts,
            )
        )
    return new_jobs, rejected

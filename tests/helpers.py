"""Small helpers shared by the core tests (no Qt)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.documents import fingerprint
from core.jobs import NewJob

ROOT = Path(__file__).resolve().parent.parent

WORDS = (
    "queue worker sends documents model waits between calls providers limit requests minute "
    "pacing backoff durable sqlite window progress analysis summary result"
).split()


def write_doc(path: Path, seed: int, paragraphs: int = 4) -> Path:
    """A deterministic English text document, different for every seed."""
    import random

    rng = random.Random(seed)
    paras = []
    for _ in range(paragraphs):
        words = [rng.choice(WORDS) for _ in range(30)]
        paras.append("The " + " ".join(words) + f" number {seed}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(paras) + "\n", encoding="utf-8")
    return path


def new_job(path: Path, profile: str = "Summary", **kw: object) -> NewJob:
    size, mtime, sha = fingerprint(path)
    fields: dict[str, object] = dict(
        path=str(path),
        size=size,
        mtime=mtime,
        sha256=sha,
        profile=profile,
        prompt="Summarise.",
        provider="offline",
        model="builtin",
    )
    fields.update(kw)
    return NewJob(**fields)  # type: ignore[arg-type]


def run_cli(
    home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env["PACELINE_HOME"] = str(home)
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=timeout,
    )

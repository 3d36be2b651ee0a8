"""Analysis profiles: named prompt templates. A job keeps a snapshot of the prompt."""

from __future__ import annotations

from core.jobs import Profile

BUILTIN_PROFILES: tuple[Profile, ...] = (
    Profile(
        "Summary",
        "Summarise the following document in a few short paragraphs. Keep names, numbers and "
        "dates exact. Answer in the document's language, in Markdown.",
    ),
    Profile(
        "Key points",
        "List the key points of the following document as a Markdown bullet list: one line "
        "each, most important first, with any figures kept exact.",
    ),
    Profile(
        "Custom",
        "Analyse the following document.",
    ),
)

DEFAULT_PROFILE = "Summary"


def all_profiles(custom: dict[str, str] | None = None) -> dict[str, Profile]:
    profiles = {p.name: p for p in BUILTIN_PROFILES}
    for name, prompt in (custom or {}).items():
        profiles[name] = Profile(name, prompt)
    return profiles


def resolve(name: str | None, custom: dict[str, str] | None = None) -> Profile:
    profiles = all_profiles(custom)
    name = name or DEFAULT_PROFILE
    if name not in profiles:
        known = ", ".join(sorted(profiles))
        raise ValueError(f"Unknown analysis profile {name!r}. Known profiles: {known}.")
    return profiles[name]

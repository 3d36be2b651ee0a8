"""Document intake: which files Paceline takes, their fingerprint, and their text."""

from core.documents.extract import (
    NO_DOCUMENTS,
    Document,
    Limits,
    extract,
    extract_async,
    fingerprint,
    is_supported,
    iter_supported,
    supported_suffixes,
)

__all__ = [
    "NO_DOCUMENTS",
    "Document",
    "Limits",
    "extract",
    "extract_async",
    "fingerprint",
    "is_supported",
    "iter_supported",
    "supported_suffixes",
]

"""Every error kind a job, a rejected file or a refused call can carry, with what it means.

A kind is the short stable word scripts read (``list --json``'s ``error_kind``,
``retrigger --kind``, an ``add`` report's ``kind``); the line beside it tells a person what
happened and what Paceline does about it. ``paceline-cli retrigger --help`` prints this table;
tests/core/test_cli_help.py checks that every kind the core writes is in it.
"""

from __future__ import annotations

from core.states import DOUBTFUL_TEXT, OUTPUT_TRUNCATED

# The document itself: the job fails, and nothing was sent to a provider.
DOCUMENT_KINDS: dict[str, str] = {
    "unsupported": "a file type Paceline does not read",
    "empty": "no text to analyse: 0 bytes, blank pages, or pictures without text",
    "encrypted": "protected by a password: save a copy without one and add that",
    "no_text_layer": "a scanned PDF without text, and the model cannot read images",
    "needs_vision": "pages or photos as pictures: only a model that reads images can do it",
    "corrupt": "the file is damaged, or not the format its name says",
    "too_large": "over a size limit (file size, pages, text, or size once unpacked)",
    "missing": "the file is no longer where it was added from",
    "unreadable": "the file cannot be read (permissions or a disk error)",
    "changed": "the file changed after it was added: add it again",
    DOUBTFUL_TEXT: "the text read from it looks garbled; nothing was sent: re-trigger to "
    "send it anyway",
    "extract_timeout": "reading the document took too long",
    "extract_crashed": "the document made the reader process crash",
    "unknown_encoding": "a text file in a character encoding Paceline cannot tell",
}

# The provider or the way to it (core/analyzers/provider_errors.py decides which).
PROVIDER_KINDS: dict[str, str] = {
    "bad_key": "the provider refused the API key: the queue pauses until you fix it",
    "quota": "the account's quota or balance is used up: the queue pauses",
    "bad_model": "the server has no such model or endpoint: the queue pauses",
    "bad_endpoint": "the API base URL cannot be used: the queue pauses",
    "rate_limited": "the provider limits the request rate: Paceline waits and tries again",
    "timeout": "the server did not answer in time: Paceline tries again",
    "conflict": "the server reported a conflict (HTTP 409): Paceline tries again",
    "server_error": "the provider had a server error (HTTP 5xx): Paceline tries again",
    "connection": "the server cannot be reached: the queue waits and tries again",
    "bad_response": "an answer Paceline cannot read: Paceline tries again",
    "truncated": "the answer was cut off on the way: Paceline tries again",
    "context_too_long": "a part is too long for the model's context: lower the part size "
    "in Settings and re-trigger",
    "content_filter": "the provider's content filter refused the document",
    "bad_request": "the provider rejected the request (another HTTP 4xx)",
    OUTPUT_TRUNCATED: "done, but the answer stopped at the output limit: re-trigger it "
    "with a larger limit",
}

# Neither the document nor the provider.
OTHER_KINDS: dict[str, str] = {
    "queue_full": "not added: the queue holds as many waiting jobs as its limit allows",
    "internal": "an error inside Paceline (a bug): the log file has the details",
}

# A provider batch (core/batch_runner.py) ended before this job's request was answered.
BATCH_KINDS: dict[str, str] = {
    "batch_expired": "the batch's 24-hour window ran out before this request was done: "
    "re-trigger it as a normal call or in a new batch",
    "batch_cancelled": "the batch was cancelled before this request was done: re-trigger it",
    "batch_failed": "the provider refused the whole batch (its file did not validate)",
}

ERROR_KINDS: dict[str, str] = {
    **DOCUMENT_KINDS, **PROVIDER_KINDS, **BATCH_KINDS, **OTHER_KINDS
}

"""How much of a document's text Paceline extracts, judged against tools nobody here wrote.

For each file in the corpus manifest (``benchmarks/corpus.py`` builds it) Paceline's
``extract()`` runs in a worker process with a per-file timeout, and a reference reads the same
file: ``pdftotext`` for PDF, ``pandoc -t plain`` for DOCX, ``w3m -dump`` for HTML, and for
chardet's text files the bytes decoded with their true encoding.

Word recall = the share of the reference's word multiset found in Paceline's text. Words are
taken after NFKC and casefolding, split on anything that is not a letter, digit, mark or
underscore. Chinese, Japanese, Thai, Lao, Khmer and Burmese put no spaces between words, so
there each character is a token of its own: character bigrams would also count where the two
tools break lines differently, which says nothing about the text being right. Hangul is
written with spaces and keeps word tokens. Romanian ş/ţ (cedilla, ISO-8859-2) and ș/ț (comma
below, ISO-8859-16) count as the same letters, as NFKC counts other variants: Romanian writes
one letter both ways, the two legacy encodings give the same bytes for it, so no decoder can
know which one a file's author meant (``--strict-romanian`` counts them apart).

    python benchmarks/corpus.py
    python benchmarks/document_quality.py [--worst 15] [--json out.json] [--src CHECKOUT]

A refusal (DocumentError, timeout or crash) scores recall 0. It is a *wrong* refusal when the
reference read at least 20 words; files the reference cannot read either are left out, and
PDFs that need a user password (pdftotext says so) are counted on their own.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import re
import statistics
import subprocess
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from corpus import DEFAULT_DIR

REPO = Path(__file__).resolve().parents[1]
MIN_WORDS = 20  # a reference with fewer words is too little to call a refusal wrong
LOW_RECALL = 0.7
GOOD_RECALL = 0.95
DOUBT_FINE_RECALL = 0.9  # a text judged garbled that matches the reference this well was fine
FORMATS = ("pdf", "docx", "html", "text")


# ---------------------------------------------------------------- words


def _char_class(ranges: Iterable[tuple[int, int]]) -> str:
    return "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


def _mark_ranges() -> list[tuple[int, int]]:
    # Python's \w leaves out combining marks (Devanagari vowel signs, Arabic harakat...), which
    # would cut words in two. Build their ranges once from the Unicode database.
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return ranges


NO_SPACE_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # half-width Katakana (NFKC folds them, but to be safe)
    (0x20000, 0x3134F),  # CJK extensions B-G
)
# What counts as CJK text for the "CJK PDFs" figure: the above less Thai & co., plus Hangul.
CJK_RANGES = (*NO_SPACE_RANGES[3:], (0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF))

WORD = re.compile(rf"[\w{_char_class(_mark_ranges())}]+")
NO_SPACE = _char_class(NO_SPACE_RANGES)
HAS_NO_SPACE = re.compile(f"[{NO_SPACE}]")
PIECES = re.compile(f"[{NO_SPACE}]|[^{NO_SPACE}]+")
CJK = re.compile(f"[{_char_class(CJK_RANGES)}]")


# Cedilla -> comma below (see the docstring); off with --strict-romanian.
ROMANIAN_FOLD = str.maketrans("şţ", "șț")
FOLD_ROMANIAN = True


def words(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    folded = unicodedata.normalize("NFKC", text.casefold())
    if FOLD_ROMANIAN:
        folded = folded.translate(ROMANIAN_FOLD)
    for word in WORD.findall(folded):
        if HAS_NO_SPACE.search(word):
            counts.update(PIECES.findall(word))
        else:
            counts[word] += 1
    return counts


def recall(reference: Counter[str], found: Counter[str]) -> float:
    total = sum(reference.values())
    hit = sum(min(count, found[word]) for word, count in reference.items())
    return hit / total if total else 0.0


def is_cjk(text: str) -> bool:
    return len(CJK.findall(text)) >= MIN_WORDS


# ---------------------------------------------------------------- references


@dataclass
class Reference:
    status: str  # ok, failed, password, timeout
    text: str = ""
    detail: str = ""


def _run(cmd: list[str], timeout: float, data: bytes | None = None) -> Reference:
    try:
        done = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Reference("timeout", detail=f"{cmd[0]} ran over {timeout:.0f} s")
    err = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        status = "password" if "password" in err.lower() else "failed"
        return Reference(status, detail=err[-300:])
    return Reference("ok", done.stdout.decode("utf-8", "replace"), err[-300:])


def reference(entry: dict[str, Any], path: Path, timeout: float) -> Reference:
    fmt = entry["format"]
    # chardet's label is the truth only where the bytes are valid in it (one file is not).
    codec = entry.get("true_encoding") if entry.get("decodable") else None
    if fmt == "pdf":
        # Plain mode, pdftotext's own reading order. Recall counts words, not their order, and
        # on this corpus -raw and -layout find the same words within 0.2% (and rank the same
        # files below 0.7), so the mode matters little; plain is what people use.
        return _run(["pdftotext", "-enc", "UTF-8", str(path), "-"], timeout)
    if fmt == "docx":
        return _run(["pandoc", "-f", "docx", "-t", "plain", "--wrap=none", str(path)], timeout)
    if fmt == "html":
        raw = path.read_bytes()
        w3m = ["w3m", "-dump", "-T", "text/html", "-O", "UTF-8", "-cols", "1000"]
        if codec:
            # The true encoding is known (chardet's pages): hand w3m the decoded text as UTF-8,
            # since w3m has no UTF-16/32 and -I outranks the page's own <meta charset>.
            text = raw.decode(codec, "replace").encode("utf-8")
            return _run([*w3m, "-I", "UTF-8"], timeout, text)
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return _run([*w3m, str(path)], timeout)  # w3m follows the page's declaration
        return _run([*w3m, "-I", "UTF-8", str(path)], timeout)
    if entry.get("true_encoding") is None:
        return Reference("failed", detail=f"Python has no codec for {entry['encoding_label']}")
    return Reference("ok", path.read_bytes().decode(entry["true_encoding"], "replace"))


def tool_versions() -> dict[str, str]:
    found: dict[str, str] = {}
    for name, cmd in (
        ("pdftotext", ["pdftotext", "-v"]),
        ("pandoc", ["pandoc", "--version"]),
        ("w3m", ["w3m", "-version"]),
    ):
        try:
            done = subprocess.run(cmd, capture_output=True, text=True)
        except OSError:  # not installed: only its format's references are missing
            found[name] = "not installed"
            continue
        found[name] = (done.stdout or done.stderr).splitlines()[0].split(",")[0]
    return found


# ---------------------------------------------------------------- Paceline in a worker


def _worker(conn: Connection, src: str, memory_bytes: int) -> None:
    """Extract each path sent; answer (kind or None, message, text, cpu seconds)."""
    import logging
    import resource
    import warnings

    # A file that makes the parser balloon fails this file, not the machine.
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    logging.disable(logging.CRITICAL)  # pypdf logs every oddity it meets
    warnings.simplefilter("ignore")
    sys.path.insert(0, src)
    import core

    # The editable install of /work/main must not win over the checkout asked for.
    assert Path(core.__file__).is_relative_to(src), f"core came from {core.__file__}"
    from core.documents import extract
    from core.errors import DocumentError

    while (path := conn.recv()) is not None:
        start = time.process_time()
        try:
            document = extract(path)
            # The garbled-text check (core/documents/quality.py); older checkouts have none.
            answer = (None, getattr(document, "doubt", None) or "", document.text)
        except DocumentError as exc:
            answer = (exc.kind, exc.message, "")
        except Exception as exc:  # a bug in Paceline, not a refusal: the report says crash
            answer = (f"crash:{type(exc).__name__}", str(exc)[:300], "")
        conn.send((*answer, time.process_time() - start))


class Slot:
    """One worker process; replaced when a file runs over its time or kills it."""

    def __init__(self, src: Path, memory_bytes: int) -> None:
        self._args = (str(src), memory_bytes)
        self._context = multiprocessing.get_context("spawn")
        self._start()

    def _start(self) -> None:
        self.conn, child = self._context.Pipe()
        self.proc = self._context.Process(target=_worker, args=(child, *self._args), daemon=True)
        self.proc.start()
        child.close()

    def extract(self, path: Path, timeout: float) -> tuple[str | None, str, str, float]:
        self.conn.send(str(path))
        if not self.conn.poll(timeout):
            self._restart()
            return "timeout", f"no answer within {timeout:.0f} s", "", timeout
        try:
            return self.conn.recv()
        except EOFError:
            code = self._restart()
            return "crash:died", f"worker exited with {code}", "", 0.0

    def _restart(self) -> int | None:
        self.proc.kill()
        self.proc.join()
        code = self.proc.exitcode
        self._start()
        return code

    def close(self) -> None:
        self.conn.send(None)
        self.proc.join(5)


# ---------------------------------------------------------------- one file


@dataclass
class Result:
    path: str
    source: str
    format: str
    encoding: str | None
    known_encoding: bool  # chardet's label, and the bytes are valid in it
    ref_status: str
    ref_words: int
    kind: str | None  # None: Paceline read it; else the DocumentError kind, timeout, crash:...
    message: str  # the refusal's message, or for a file read, why its text looks garbled
    words: int
    recall: float | None  # None when the reference has no words to compare with
    cjk: bool
    seconds: float


def judge(
    entry: dict[str, Any], root: Path, slot: Slot, timeout: float, dump: Path | None
) -> Result:
    path = root / entry["path"]
    ref = reference(entry, path, timeout)
    kind, message, text, seconds = slot.extract(path, timeout)
    ref_words, got = words(ref.text), words(text)
    score = recall(ref_words, got) if ref.status == "ok" and ref_words else None
    if dump is not None:
        stem = entry["path"].replace("/", "__")
        (dump / f"{stem}.reference.txt").write_text(ref.text or ref.detail)
        (dump / f"{stem}.paceline.txt").write_text(text or f"[{kind}] {message}")
    return Result(
        path=entry["path"],
        source=entry["source"],
        format=entry["format"],
        encoding=entry.get("true_encoding"),
        known_encoding=bool(entry.get("decodable")),
        ref_status=ref.status,
        ref_words=sum(ref_words.values()),
        kind=kind,
        message=message,
        words=sum(got.values()),
        recall=score,
        cjk=is_cjk(ref.text),
        seconds=seconds,
    )


def run_all(entries: list[dict[str, Any]], root: Path, args: argparse.Namespace) -> list[Result]:
    slots: queue.Queue[Slot] = queue.Queue()
    for _ in range(args.jobs):
        slots.put(Slot(args.src, args.memory_gb << 30))

    def one(entry: dict[str, Any]) -> Result:
        slot = slots.get()
        try:
            return judge(entry, root, slot, args.timeout, args.dump)
        finally:
            slots.put(slot)

    # Biggest first, so one slow file does not start last and stretch the run.
    ordered = sorted(entries, key=lambda e: -e["size"])
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(one, ordered))
    while not slots.empty():
        slots.get().close()
    return sorted(results, key=lambda r: r.path)


# ---------------------------------------------------------------- report


def wrong_refusal(r: Result) -> bool:
    return r.kind is not None and r.ref_status == "ok" and r.ref_words >= MIN_WORDS


def doubted(r: Result) -> bool:
    return r.kind is None and bool(r.message)


def false_doubt(r: Result) -> bool:
    return doubted(r) and r.recall is not None and r.recall >= DOUBT_FINE_RECALL


def missed_garble(r: Result) -> bool:
    """Read, not doubted, yet hardly any of the reference's words are in it."""
    return (
        r.kind is None and not r.message and r.recall is not None and r.recall < LOW_RECALL
        and r.ref_words >= MIN_WORDS
    )  # fmt: skip


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(results: list[Result]) -> dict[str, Any]:
    per_format: dict[str, dict[str, Any]] = {}
    for fmt in FORMATS:
        rows = [r for r in results if r.format == fmt]
        scored = [r.recall for r in rows if r.recall is not None]
        per_format[fmt] = {
            "files": len(rows),
            "scored": len(scored),
            "median_recall": median(scored),
            "under_0.7": sum(1 for s in scored if s < LOW_RECALL),
            "refused": sum(1 for r in rows if r.kind is not None),
            "wrong_refusals": sum(1 for r in rows if wrong_refusal(r)),
            "password": sum(1 for r in rows if r.ref_status == "password"),
            "both_unreadable": sum(
                1 for r in rows if r.kind is not None and r.ref_status in ("failed", "timeout")
            ),
            "timeouts": sum(1 for r in rows if r.kind == "timeout"),
            "crashes": sum(1 for r in rows if (r.kind or "").startswith("crash")),
            "refusal_kinds": dict(Counter(r.kind for r in rows if r.kind is not None)),
            # Read, but its text judged garbled; a false alarm when it matches the reference.
            "doubted": sum(1 for r in rows if doubted(r)),
            "false_doubts": sum(1 for r in rows if false_doubt(r)),
            "garbled_missed": sum(1 for r in rows if missed_garble(r)),
        }
    cjk = [r.recall for r in results if r.format == "pdf" and r.cjk and r.recall is not None]
    known = [r for r in results if r.format == "text" and r.known_encoding and r.recall is not None]
    by_encoding: dict[str, list[float]] = defaultdict(list)
    for r in known:
        by_encoding[r.encoding or "?"].append(r.recall or 0.0)
    return {
        "formats": per_format,
        "cjk_pdfs": {"files": len(cjk), "median_recall": median(cjk)},
        "text_known_encoding": {
            "files": len(known),
            "at_least_0.95": sum(1 for r in known if (r.recall or 0.0) >= GOOD_RECALL),
        },
        "text_by_encoding": {
            enc: {
                "files": len(v),
                "at_least_0.95": sum(1 for s in v if s >= GOOD_RECALL),
                "median_recall": median(v),
            }
            for enc, v in sorted(by_encoding.items())
        },
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        cells = [header, *[[_fmt(v) for v in row] for row in rows]]
        widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
        print(f"\n{title}")
        for row in cells:
            print(
                "  ".join(
                    c.ljust(w) if i == 0 else c.rjust(w)
                    for i, (c, w) in enumerate(zip(row, widths, strict=True))
                )
            )
        return
    grid = Table(title=title)
    for name in header:
        grid.add_column(name, justify="left" if name == header[0] else "right")
    for row in rows:
        grid.add_row(*[_fmt(v) for v in row])
    Console().print(grid)


def print_report(summary: dict[str, Any], results: list[Result], worst: int) -> None:
    columns = {
        "files": "files",
        "scored": "scored",
        "median recall": "median_recall",
        f"< {LOW_RECALL}": "under_0.7",
        "refused": "refused",
        "wrong refusals": "wrong_refusals",
        "password": "password",
        "both unreadable": "both_unreadable",
        "timeouts": "timeouts",
        "crashes": "crashes",
        "doubted": "doubted",
        "false doubts": "false_doubts",
        "garbled, missed": "garbled_missed",
    }
    header = ["format", *columns]
    rows = [
        [fmt, *(s[key] for key in columns.values())]
        for fmt, s in summary["formats"].items()
        if s["files"]
    ]
    table("Word recall against the reference tools", header, rows)
    cjk, known = summary["cjk_pdfs"], summary["text_known_encoding"]
    print(f"CJK PDFs: {cjk['files']} files, median recall {_fmt(cjk['median_recall'])}")
    print(
        f"Text in a known encoding: {known['at_least_0.95']} of {known['files']} "
        f"at recall >= {GOOD_RECALL}"
    )
    kinds = {f: s["refusal_kinds"] for f, s in summary["formats"].items() if s["refusal_kinds"]}
    print(f"Refusals by kind: {kinds}")
    weak = [
        [enc, e["files"], e["files"] - e["at_least_0.95"], e["median_recall"]]
        for enc, e in summary["text_by_encoding"].items()
        if e["at_least_0.95"] < e["files"]
    ]
    if weak:
        table(
            f"Text encodings with files under {GOOD_RECALL}",
            ["encoding", "files", "under", "median recall"],
            weak,
        )
    doubts = [r for r in results if doubted(r)]
    if doubts:
        table(
            "Texts judged garbled (a false alarm when recall >= "
            f"{DOUBT_FINE_RECALL} against the reference)",
            ["file", "recall", "why"],
            [[r.path.removeprefix("files/"), r.recall, r.message[:70]] for r in doubts],
        )
    if worst:
        for fmt in FORMATS:
            rows = sorted(
                (r for r in results if r.format == fmt and r.recall is not None),
                key=lambda r: (r.recall, -r.ref_words),
            )[:worst]
            if not rows:
                continue
            table(
                f"Worst {len(rows)} {fmt} files",
                ["file", "kind", "recall", "ref words", "paceline words", "encoding"],
                [
                    [
                        r.path.removeprefix("files/"),
                        r.kind or "ok",
                        r.recall,
                        r.ref_words,
                        r.words,
                        r.encoding or "",
                    ]
                    for r in rows
                ],
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="corpus folder")
    parser.add_argument("--src", type=Path, default=REPO, help="Paceline checkout to measure")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per file and tool")
    parser.add_argument("--memory-gb", type=int, default=4, help="address space per worker")
    parser.add_argument("--format", choices=FORMATS, action="append", help="only these formats")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst files per format")
    parser.add_argument("--json", type=Path, help="write the summary and every file's result")
    parser.add_argument("--dump", type=Path, help="write both texts of every file here")
    parser.add_argument("--strict-romanian", action="store_true",
                        help="count Romanian ş/ţ and ș/ț as different letters")
    args = parser.parse_args()
    global FOLD_ROMANIAN
    FOLD_ROMANIAN = not args.strict_romanian
    root = args.dir.expanduser().resolve()
    entries = json.loads((root / "manifest.json").read_text())["files"]
    if args.format:
        entries = [e for e in entries if e["format"] in args.format]
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results = run_all(entries, root, args)
    elapsed = time.monotonic() - started
    summary = summarise(results)
    versions = tool_versions()
    print(
        f"{len(results)} files in {elapsed:.0f} s with {args.jobs} workers; Paceline from "
        f"{args.src}; {'; '.join(versions.values())}"
    )
    print_report(summary, results, args.worst)
    if args.json:
        out = {
            "tools": versions,
            "src": str(args.src),
            "seconds": elapsed,
            **summary,
            "results": [asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()

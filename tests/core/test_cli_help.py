"""paceline-cli's help: a description for every command, and lists and JSON shapes that match
the code (the error kinds the core writes, the profiles, the fields ``--json`` prints)."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from core.analyzers.provider_errors import FALLBACK, MESSAGES, ROWS
from core.cli_help import (
    EXIT_CODES,
    HIDDEN,
    LIST_FIELDS,
    STATUS_FIELDS,
    build_parser,
    show_described,
)
from core.error_kinds import ERROR_KINDS
from core.jobs import Job
from core.profiles import BUILTIN_PROFILES, DEFAULT_PROFILE
from core.states import DOUBTFUL_TEXT, OUTPUT_TRUNCATED
from tests.helpers import ROOT, run_cli, write_doc

CORE = ROOT / "core"


def _flat(text: str) -> str:
    """Help text with its wrapping undone, so a wrapped sentence can be looked for whole."""
    return " ".join(text.split())


Commands = dict[str, tuple[str, argparse.ArgumentParser]]


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> Commands:
    """Every command and sub-command: name -> (its line in the list, its own parser)."""
    found: Commands = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            lines = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                found[prefix + name] = (lines.get(name, ""), sub)
                found.update(_commands(sub, f"{prefix}{name} "))
    return found


def test_every_command_has_a_line_in_the_list_and_a_fuller_description(home: Path) -> None:
    commands = _commands(build_parser())
    assert {"add", "run", "status", "list", "show", "retrigger", "cancel", "remove", "pause",
            "resume", "export", "watch", "watch add", "watch list", "watch remove",
            "watch pause", "watch resume"} <= set(commands)  # fmt: skip
    for name, (line, sub) in commands.items():
        assert line, f"{name} has no line in its list"
        assert sub.description and len(sub.description) > len(line), f"{name}: no description"

    top = run_cli(home, "--help")
    assert top.returncode == 0
    for name, (line, _) in commands.items():
        if " " not in name:
            assert re.search(rf"^\s+{name}\s+{re.escape(line[:30])}", top.stdout, re.M), name
    for code, meaning in EXIT_CODES:
        assert re.search(rf"^\s+{code}\s+{re.escape(meaning[:30])}", top.stdout, re.M)

    run_help = run_cli(home, "run", "--help").stdout
    assert "live line" in run_help and "4    'run' ended and jobs of this run failed" in run_help


def test_retrigger_help_lists_every_error_kind_with_its_meaning(home: Path) -> None:
    shown = run_cli(home, "retrigger", "--help")
    assert shown.returncode == 0
    flat = _flat(shown.stdout)
    for kind, meaning in ERROR_KINDS.items():
        assert f" {kind} {_flat(meaning)}" in flat, kind


def _kinds_written_by_the_core() -> set[str]:
    """Every error kind core's code writes: raised errors, rejections when adding, the
    error table's rows and the kinds named by constants."""
    patterns = (
        r'(?:DocumentError|ProviderError|JobError)\(\s*"([a-z_]+)"',  # raised
        r'rejected\.append\(\s*\(\s*[\w.]+,\s*"([a-z_]+)"',  # a file refused when adding
        r'\(\s*nj\.path,\s*"([a-z_]+)"',  # the queue's own refusal (enqueue.py)
        r'lease,\s*"([a-z_]+)",\s*INTERNAL_MESSAGE',  # a bug ends its job (job_steps.py)
    )
    kinds: set[str] = set()
    for path in CORE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            kinds.update(re.findall(pattern, text))
    kinds.update(row.kind for row in ROWS)
    kinds.update(MESSAGES)
    kinds.update({FALLBACK.kind, OUTPUT_TRUNCATED, DOUBTFUL_TEXT})
    return kinds


def test_the_kinds_table_holds_every_kind_the_core_writes_and_no_other() -> None:
    written = _kinds_written_by_the_core()
    assert {"corrupt", "quota", "queue_full", "internal", "bad_endpoint"} <= written  # found
    missing = written - set(ERROR_KINDS)
    assert not missing, f"kinds without a line in core/error_kinds.py: {sorted(missing)}"
    sources = "".join(
        p.read_text(encoding="utf-8") for p in CORE.rglob("*.py") if p.name != "error_kinds.py"
    )
    unused = {k for k in ERROR_KINDS if f'"{k}"' not in sources}
    assert not unused, f"kinds the core never writes: {sorted(unused)}"


def test_add_help_lists_the_profiles_with_their_prompts(home: Path) -> None:
    flat = _flat(run_cli(home, "add", "--help").stdout)
    for profile in BUILTIN_PROFILES:
        default = " (default)" if profile.name == DEFAULT_PROFILE else ""
        assert f" {profile.name}{default} {_flat(profile.prompt)}" in flat, profile.name


def test_the_json_shapes_in_the_help_are_the_fields_printed(tmp_path: Path, home: Path) -> None:
    doc = write_doc(tmp_path / "a.txt", 1)
    assert run_cli(home, "add", str(doc)).returncode == 0
    assert run_cli(home, "run", "--until-empty").returncode == 0

    status = json.loads(run_cli(home, "status", "--json").stdout)
    assert set(status) == set(STATUS_FIELDS)
    (item,) = json.loads(run_cli(home, "list", "--json").stdout)
    assert set(item) == set(LIST_FIELDS)
    shown = json.loads(run_cli(home, "show", "1", "--json").stdout)
    record = {f.name for f in Job.__dataclass_fields__.values()} - HIDDEN
    described = set(show_described())
    assert described <= set(shown)
    assert set(shown) <= described | record  # every other field is named in the help
    show_help = _flat(run_cli(home, "show", "--help").stdout)
    for name in set(shown) - described:
        assert re.search(rf"\b{name}\b", show_help), name
    for name, meaning in STATUS_FIELDS.items():
        assert f" {name} {_flat(meaning)}" in _flat(run_cli(home, "status", "--help").stdout)

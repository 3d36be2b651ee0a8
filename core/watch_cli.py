"""``paceline-cli watch add|list|remove|pause|resume``: watch folders from a terminal.

The folders live in the queue's database, so a window open on the same queue shows a folder
added here within a couple of seconds, and its watcher starts on it.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from typing import Any, TextIO

from core.engine import Engine
from core.watch_folders import IDLE, RESULT_FORMATS, RESULT_MODES, WatchFolder

COUNTED = ("queued", "running", "done", "failed")


def _json_shape() -> str:
    names = ", ".join(f.name for f in fields(WatchFolder))
    return (f"--json prints each folder as an object: {names}; 'watch list --json' adds "
            f"counts: {{{', '.join(COUNTED)}}} of its jobs.")


def _action(actions: Any, name: str, short: str, long: str, epilog: str = "") -> Any:
    return actions.add_parser(name, help=short, description=long, epilog=epilog or None)


def add_watch_parser(sub: Any) -> None:
    p = sub.add_parser(
        "watch", help="watch folders: documents put there are queued by themselves",
        description="Watch folders: a document saved or copied into one is queued once it is "
        "complete, with the folder's profile. The worker watches them while the window or "
        "'paceline-cli run --watch' runs; result files can be written beside each document "
        "or into a folder of their own. 'paceline-cli watch ACTION --help' says more.",
    )  # fmt: skip
    actions = p.add_subparsers(dest="watch_command", required=True, metavar="ACTION")

    a = _action(actions, "add", "watch a folder",
                "Watch a folder (and its subfolders unless --no-subfolders). Options left "
                "out follow the settings.", _json_shape())
    a.add_argument("folder", metavar="FOLDER")
    a.add_argument("--profile", help="analysis profile for its documents (default: Summary)")
    a.add_argument("--no-subfolders", action="store_true", help="only the folder itself")
    a.add_argument("--pattern", default="", help="file names to take, e.g. '*.pdf;*.docx'")
    a.add_argument("--results", choices=RESULT_MODES,
                   help="result files: beside each document, in --results-folder, or none "
                   "(default: as in the settings)")
    a.add_argument("--results-folder", default="", metavar="DIR",
                   help="output folder for --results folder (mirrors the subfolders)")
    a.add_argument("--format", choices=RESULT_FORMATS, dest="results_format",
                   help="result file format (default: as in the settings)")
    a.add_argument("--overwrite", action="store_true", default=None,
                   help="replace result files Paceline did not write")
    a.add_argument("--done-folder", default="", metavar="DIR",
                   help="move each document here once its job is done")
    a.add_argument("--failed-folder", default="", metavar="DIR",
                   help="move each document here if its job failed")
    a.add_argument("--json", action="store_true")

    p_list = _action(actions, "list", "watch folders with their state and counts",
                     "Every watch folder: its number, state, path, pattern and profile, and "
                     "how many of its jobs are queued, done and failed.", _json_shape())
    p_list.add_argument("--json", action="store_true")
    for name, text, long in (
        ("remove", "stop watching a folder (its jobs stay)",
         "Stop watching folders, given by path or number. Their jobs stay in the queue."),
        ("pause", "stop watching a folder for now",
         "Stop watching folders for now; documents arriving meanwhile are queued on resume."),
        ("resume", "watch a paused folder again",
         "Watch paused folders again, queueing what arrived while they were paused."),
    ):
        r = _action(actions, name, text, long)
        r.add_argument("folders", nargs="+", metavar="FOLDER|ID")


def _item(folder: WatchFolder, counts: dict[str, int]) -> dict[str, Any]:
    data = folder.to_dict()
    data["counts"] = {s: counts.get(s, 0) for s in COUNTED}
    return data


def _line(folder: WatchFolder, counts: dict[str, int], watched: bool) -> str:
    state = folder.state if watched or folder.state != IDLE else "idle"
    where = "" if folder.recursive else " (no subfolders)"
    pattern = f" [{folder.pattern}]" if folder.pattern else ""
    text = (f"{folder.id:4d}  {state:<11}  {folder.path}{where}{pattern}  -> {folder.profile};  "
            f"queued {counts.get('queued', 0)}, done {counts.get('done', 0)}, "
            f"failed {counts.get('failed', 0)}")
    if folder.state_detail:
        text += f"\n      {folder.state_detail}"
    return text


async def watch_command(engine: Engine, args: argparse.Namespace, out: TextIO) -> int:
    action = args.watch_command
    if action == "add":
        folder = await engine.add_watch_folder(
            args.folder, profile=args.profile, recursive=not args.no_subfolders,
            pattern=args.pattern, results=args.results, results_folder=args.results_folder,
            results_format=args.results_format, overwrite=args.overwrite,
            done_folder=args.done_folder, failed_folder=args.failed_folder,
        )  # fmt: skip
        if args.json:
            out.write(json.dumps(folder.to_dict(), indent=2) + "\n")
        else:
            out.write(f"watching #{folder.id}  {folder.path}  -> {folder.profile}\n")
            if engine.worker_holder() is None:
                out.write("No worker runs this queue now: documents arriving there are queued "
                          "once the window or 'paceline-cli run --watch' starts.\n")
        return 0
    if action == "list":
        folders = await engine.watch_folders()
        counts = await engine.watch_folder_counts(folders) if folders else {}
        if args.json:
            items = [_item(f, counts.get(f.id, {})) for f in folders]
            out.write(json.dumps(items, indent=2) + "\n")
            return 0
        watched = engine.worker_holder() is not None
        for folder in folders:
            out.write(_line(folder, counts.get(folder.id, {}), watched) + "\n")
        if not folders:
            out.write("No watch folders. Add one with 'paceline-cli watch add FOLDER'.\n")
        return 0
    targets = [await engine.find_watch_folder(key) for key in args.folders]
    for folder in targets:
        if action == "remove":
            await engine.remove_watch_folder(folder.id)
            out.write(f"stopped watching #{folder.id}  {folder.path} (its jobs stay)\n")
        else:
            await engine.update_watch_folder(folder.id, paused=action == "pause")
            out.write(f"{'paused' if action == 'pause' else 'resumed'} #{folder.id}  "
                      f"{folder.path}\n")
    return 0

"""The engine's door to watch folders and result files (a mixin of :class:`core.engine.Engine`).

The window and ``paceline-cli watch`` add, change and remove watch folders here; the process
that runs the worker starts the result-file hook with it, and watches the folders when asked
(the window always, ``paceline-cli run`` with ``--watch``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import watch_folders as wf
from core.clock import Clock
from core.db import Database
from core.profiles import resolve as resolve_profile
from core.settings import Settings
from core.store import Store
from core.watch_folders import WatchFolder, WatchFolderError

if TYPE_CHECKING:
    from core.folder_watcher import FolderWatcher
    from core.result_writer import ResultWriter


class FolderDoor:
    store: Store
    settings: Settings
    clock: Clock
    watcher: FolderWatcher | None = None
    results: ResultWriter | None = None

    @property
    def db(self) -> Database:
        return self.store.db

    # ------------------------------------------------------------------ watch folders

    async def watch_folders(self) -> list[WatchFolder]:
        return await wf.list_folders(self.db)

    async def watch_folder_counts(
        self, folders: Sequence[WatchFolder] | None = None
    ) -> dict[int, dict[str, int]]:
        """Jobs per state from each folder (queued, done, failed, ...)."""
        return await wf.folder_counts(self.db, folders or await self.watch_folders())

    async def add_watch_folder(
        self,
        path: str | Path,
        *,
        profile: str | None = None,
        recursive: bool = True,
        pattern: str = "",
        results: str | None = None,
        results_folder: str = "",
        results_format: str | None = None,
        overwrite: bool | None = None,
        done_folder: str = "",
        failed_folder: str = "",
    ) -> WatchFolder:
        folder_path = wf.normalise(path)
        if not os.path.isdir(folder_path):
            raise WatchFolderError(
                f"{folder_path} does not exist or is not a folder. Check the path; a folder "
                "on a disk or share that is not there now can be added once it is back."
            )
        chosen = resolve_profile(profile or self.settings.default_profile,
                                 self.settings.custom_profiles)
        outputs = {k: wf.normalise(v) if v else "" for k, v in (
            ("results_folder", results_folder), ("done_folder", done_folder),
            ("failed_folder", failed_folder))}  # fmt: skip
        wf.check_options(results, outputs["results_folder"], results_format)
        for name, value in outputs.items():
            if value == folder_path:
                label = name.replace("_", " ")
                raise WatchFolderError(
                    f"The {label} cannot be the watch folder itself: choose a subfolder "
                    "(it is not watched) or a folder elsewhere."
                )
        folder = WatchFolder(
            0, folder_path, chosen.name, recursive, pattern.strip(), False, results,
            outputs["results_folder"], results_format, overwrite, outputs["done_folder"],
            outputs["failed_folder"],
        )  # fmt: skip
        added = await wf.insert_folder(self.db, folder, self.clock.wall())
        self._folders_changed()
        return added

    async def find_watch_folder(self, key: str | int) -> WatchFolder:
        """A folder by its id or its path; raises with a clear message if there is none."""
        folders = await self.watch_folders()
        text = str(key)
        if text.isdigit():
            found = [f for f in folders if f.id == int(text)]
        else:
            found = [f for f in folders if f.path == wf.normalise(text)]
        if not found:
            raise WatchFolderError(
                f"There is no watch folder {text}. 'paceline-cli watch list' shows them."
            )
        return found[0]

    async def update_watch_folder(self, folder_id: int, **values: Any) -> WatchFolder | None:
        if "profile" in values:
            values["profile"] = resolve_profile(values["profile"],
                                                self.settings.custom_profiles).name
        changed = await wf.update_folder(self.db, folder_id, **values)
        self._folders_changed()
        return changed

    async def remove_watch_folder(self, folder_id: int) -> bool:
        removed = await wf.delete_folder(self.db, folder_id)
        self._folders_changed()
        return removed

    def _folders_changed(self) -> None:
        if self.watcher is not None:
            self.watcher.reload_soon()
        if self.results is not None:
            self.results.folders_changed()

    # ------------------------------------------------------------------ running them

    async def start_watching(self, **options: Any) -> FolderWatcher:
        """Watch every folder from now on (in the process that runs the worker)."""
        if self.watcher is None:
            from core.folder_watcher import FolderWatcher

            self.watcher = FolderWatcher(self, **options)  # type: ignore[arg-type]
            await self.watcher.start()
        return self.watcher

    async def stop_watching(self) -> None:
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            await watcher.stop()

    async def start_results(self) -> ResultWriter:
        """The hook that writes result files for jobs this process's worker finishes."""
        if self.results is None:
            from core.result_writer import ResultWriter

            self.results = ResultWriter(self.store, lambda: self.settings, self.clock)
            await self.results.start()
        return self.results

    async def stop_results(self) -> None:
        results, self.results = self.results, None
        if results is not None:
            await results.stop()

"""The settings dialog: provider and key, pacing, queue, and analysis profiles.

It edits the *saved* settings (``settings.json``); a value set by an environment variable wins
over the saved one, so its field shows the environment's value, read-only, and a note at the top
names the variables and how to change them. The first line says where calls really go
(:func:`core.effective_config.endpoint`), the same words as the status bar. API keys are kept
per host by :mod:`core.secrets` (system keyring, or a file only the user can read), never in
the settings file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSystemTrayIcon,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core import effective_config, providers, secrets
from core import settings as settings_mod
from core.analyzers.openai_compat import key_safe_over_http
from core.profiles import BUILTIN_PROFILES
from core.settings import ENV_OVERRIDES, Settings, SettingsError
from gui import core_texts
from gui import formatting as fmt
from gui.banner import Banner
from gui.icons import line_icon
from gui.tasks import TaskRunner

OFFLINE, OPENAI = "offline", "openai"


class SettingsDialog(QDialog):
    saved = Signal(object)  # the effective Settings (saved values + environment overrides)

    def __init__(
        self,
        home: Path,
        runner: TaskRunner,
        parent: QWidget | None = None,
        environ: dict[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Paceline Settings"))
        self.setObjectName("settingsDialog")
        self.home = home
        self.runner = runner
        self.environ = dict(os.environ if environ is None else environ)
        self.original = settings_mod.load_saved(home)
        self.overridden = {name: var for var, (name, _kind) in ENV_OVERRIDES.items()
                           if self.environ.get(var)}
        self._custom_profiles = dict(self.original.custom_profiles)
        self._key_changed = False
        self._forget_key = False

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._provider_tab(), self.tr("Provider"))
        self.tabs.addTab(self._pacing_tab(), self.tr("Pacing"))
        self.tabs.addTab(self._queue_tab(), self.tr("Queue"))
        self.tabs.addTab(self._profiles_tab(), self.tr("Profiles"))
        self.tabs.addTab(self._folders_tab(), self.tr("Folders"))
        self.tabs.addTab(self._desktop_tab(), self.tr("Desktop"))

        self.error = Banner(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._load(self.original)
        self.resize(620, 520)

    # ------------------------------------------------------------------ building

    def _provider_tab(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        # Where calls go with these values and the environment applied: the status bar's words.
        self.endpoint_note = QLabel(page)
        self.endpoint_note.setObjectName("endpointNote")
        self.endpoint_note.setWordWrap(True)
        self.endpoint_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.endpoint_note)
        self.env_note = QLabel(page)
        self.env_note.setObjectName("environmentNote")
        self.env_note.setWordWrap(True)
        self.env_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.env_note)
        self.provider = QComboBox(page)
        self.provider.addItem(self.tr("Offline analyzer (no key, no network)"), OFFLINE)
        self.provider.addItem(self.tr("OpenAI-compatible API"), OPENAI)
        self.provider.currentIndexChanged.connect(self._provider_changed)
        form.addRow(self.tr("Analyzer:"), self.provider)

        self.preset = QComboBox(page)
        for preset in providers.PRESETS.values():
            self.preset.addItem(core_texts.preset_label(preset.name, preset.label), preset.name)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        form.addRow(self.tr("Service:"), self.preset)

        self.api_base = QLineEdit(page)
        self.api_base.textChanged.connect(self._update_endpoint)
        form.addRow(self.tr("API base URL:"), self.api_base)

        model_row = QHBoxLayout()
        self.model = QComboBox(page)
        self.model.setEditable(True)
        self.model.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.model.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model.setMinimumContentsLength(18)
        self.fetch_models_button = QPushButton(self.tr("Fetch list"), page)
        self.fetch_models_button.setToolTip(self.tr("Ask the server which models it offers"))
        self.fetch_models_button.clicked.connect(self.fetch_models)
        self.model.currentTextChanged.connect(self._update_endpoint)
        model_row.addWidget(self.model, 1)
        model_row.addWidget(self.fetch_models_button)
        form.addRow(self.tr("Model:"), model_row)

        self.api_key = QLineEdit(page)
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setObjectName("apiKey")
        self.api_key.textEdited.connect(self._key_edited)
        self._show_key = QAction(line_icon("eye", self.palette()), self.tr("Show key"), self)
        self._show_key.setCheckable(True)
        self._show_key.toggled.connect(self._toggle_key_echo)
        self.api_key.addAction(self._show_key, QLineEdit.ActionPosition.TrailingPosition)
        self.forget_key_button = QPushButton(self.tr("Forget stored key"), page)
        self.forget_key_button.clicked.connect(self._forget_stored_key)
        key_row = QHBoxLayout()
        key_row.addWidget(self.api_key, 1)
        key_row.addWidget(self.forget_key_button)
        form.addRow(self.tr("API key:"), key_row)
        self.key_note = QLabel(page)
        self.key_note.setWordWrap(True)
        # a wrapped label in a form row gets more height than its lines: keep them at the top
        self.key_note.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        form.addRow("", self.key_note)

        self.context_chars = QSpinBox(page)
        self.context_chars.setRange(500, 2_000_000)
        self.context_chars.setSingleStep(1000)
        self.context_chars.setSuffix(self.tr(" characters"))
        self.context_chars.setGroupSeparatorShown(True)
        self.context_chars.setToolTip(self.tr(
            "Longer documents are split into parts of this size; each part is one call."))
        form.addRow(self.tr("Part size:"), self.context_chars)

        self.vision = QComboBox(page)
        self.vision.addItem(self.tr("Automatic (from the model's name)"), "auto")
        self.vision.addItem(self.tr("Yes"), "yes")
        self.vision.addItem(self.tr("No"), "no")
        self.vision.setToolTip(self.tr(
            "Scanned PDFs and pictures of pages are sent as images to a model that reads "
            "them, such as Qwen-VL, Qwen-OCR or GPT-4o. Say Yes for such a model whose name "
            "Paceline does not know."))
        form.addRow(self.tr("Model reads images:"), self.vision)

        self.max_output_tokens = QSpinBox(page)
        self.max_output_tokens.setRange(16, 1_000_000)
        self.max_output_tokens.setSingleStep(256)
        self.max_output_tokens.setSuffix(self.tr(" tokens"))
        self.max_output_tokens.setGroupSeparatorShown(True)
        self.max_output_tokens.setToolTip(self.tr(
            "The longest answer a call may return (max_tokens). An answer cut at this limit is "
            "marked \"Done, cut off\"."))
        form.addRow(self.tr("Output limit:"), self.max_output_tokens)
        self.request_timeout_s = self._seconds(page, 10, 7200)
        self.request_timeout_s.setToolTip(self.tr(
            "How long one call may take before it is given up and retried."))
        form.addRow(self.tr("Call timeout:"), self.request_timeout_s)
        return page

    def _pacing_tab(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.pacing = QComboBox(page)
        self.pacing.addItem(self.tr("Fixed pause between calls"), "fixed")
        self.pacing.addItem(self.tr("Adaptive (follow the provider's rate-limit headers)"),
                            "adaptive")
        self.pacing.currentIndexChanged.connect(self._pacing_changed)
        form.addRow(self.tr("Pacing:"), self.pacing)
        self.pause_s = self._seconds(page, 0, 3600)
        form.addRow(self.tr("Pause between calls:"), self.pause_s)
        self.max_in_flight = QSpinBox(page)
        self.max_in_flight.setRange(0, 256)
        # 0: the pacer sizes the window from the rate and the calls' latency.
        self.max_in_flight.setSpecialValueText(self.tr("Automatic"))
        form.addRow(self.tr("Calls at once (adaptive):"), self.max_in_flight)
        self.backoff_base_s = self._seconds(page, 1, 3600)
        form.addRow(self.tr("Backoff after a failure, first wait:"), self.backoff_base_s)
        self.backoff_cap_s = self._seconds(page, 1, 86_400)
        form.addRow(self.tr("Backoff, longest wait:"), self.backoff_cap_s)
        self.max_attempts = QSpinBox(page)
        self.max_attempts.setRange(1, 100)
        form.addRow(self.tr("Attempts per job:"), self.max_attempts)
        note = QLabel(self.tr(
            "A server's Retry-After always wins over the backoff. The offline analyzer is never "
            "paced."), page)
        note.setWordWrap(True)
        form.addRow("", note)
        return page

    def _queue_tab(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.max_queue = QSpinBox(page)
        self.max_queue.setRange(1, 10_000_000)
        self.max_queue.setSingleStep(100)
        self.max_queue.setSuffix(self.tr(" waiting jobs"))
        self.max_queue.setGroupSeparatorShown(True)
        form.addRow(self.tr("Queue limit:"), self.max_queue)
        self.batch_threshold = QSpinBox(page)
        self.batch_threshold.setObjectName("batchThreshold")
        self.batch_threshold.setRange(0, 1_000_000)
        self.batch_threshold.setSingleStep(50)
        self.batch_threshold.setGroupSeparatorShown(True)
        self.batch_threshold.setPrefix(self.tr("drops of more than "))
        self.batch_threshold.setSuffix(self.tr(" documents"))
        self.batch_threshold.setSpecialValueText(self.tr("never by itself"))  # 0
        self.batch_threshold.setToolTip(self.tr(
            "Send drops of more than this many documents to the provider's Batch API: half "
            "the price, answers within 24 hours. 0 means never by itself; selected queued "
            "jobs can still be sent with Job → Send as batch."))
        form.addRow(self.tr("Send as a batch:"), self.batch_threshold)
        self.max_file_mb = QDoubleSpinBox(page)
        self.max_file_mb.setDecimals(0)
        self.max_file_mb.setRange(1, 100_000)
        self.max_file_mb.setSuffix(self.tr(" MB"))
        self.max_file_mb.setGroupSeparatorShown(True)
        form.addRow(self.tr("Largest document:"), self.max_file_mb)
        self.max_chars = QSpinBox(page)
        self.max_chars.setRange(10_000, 1_000_000_000)
        self.max_chars.setSingleStep(100_000)
        self.max_chars.setSuffix(self.tr(" characters"))
        self.max_chars.setGroupSeparatorShown(True)
        self.max_chars.setToolTip(self.tr(
            "A document with more text is refused before any call: each part of it is paid."))
        form.addRow(self.tr("Most text per document:"), self.max_chars)
        self.price = QDoubleSpinBox(page)
        self.price.setDecimals(6)
        self.price.setRange(0, 1000)
        self.price.setSingleStep(0.0005)
        self.price.setToolTip(self.tr("Used for the cost shown in the status bar"))
        form.addRow(self.tr("Price per 1,000 tokens:"), self.price)
        self.default_profile = QComboBox(page)
        form.addRow(self.tr("Profile for new documents:"), self.default_profile)
        return page

    def _profiles_tab(self) -> QWidget:
        page = QWidget(self)
        self.profile_list = QListWidget(page)
        self.profile_list.currentItemChanged.connect(self._profile_selected)
        self.profile_name = QLineEdit(page)
        self.profile_name.textEdited.connect(self._profile_renamed)
        self.profile_prompt = QPlainTextEdit(page)
        self.profile_prompt.textChanged.connect(self._profile_prompt_changed)
        self.add_profile_button = QPushButton(self.tr("Add"), page)
        self.add_profile_button.clicked.connect(self.add_profile)
        self.remove_profile_button = QPushButton(self.tr("Remove"), page)
        self.remove_profile_button.clicked.connect(self.remove_profile)
        self.profile_note = QLabel(page)
        self.profile_note.setWordWrap(True)

        left = QVBoxLayout()
        left.addWidget(self.profile_list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_profile_button)
        buttons.addWidget(self.remove_profile_button)
        left.addLayout(buttons)
        right = QFormLayout()
        right.addRow(self.tr("Name:"), self.profile_name)
        right.addRow(self.tr("Prompt:"), self.profile_prompt)
        right.addRow("", self.profile_note)
        row = QHBoxLayout(page)
        row.addLayout(left, 2)
        row.addLayout(right, 5)
        return page

    def _desktop_tab(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.close_to_tray = QCheckBox(
            self.tr("Keep running in the tray when the window is closed"), page)
        self.close_to_tray.setObjectName("closeToTray")
        form.addRow(self.tr("Closing:"), self.close_to_tray)
        if not QSystemTrayIcon.isSystemTrayAvailable():
            self.close_to_tray.setEnabled(False)
            self.close_to_tray.setToolTip(self.tr(
                "This desktop has no system tray: closing the window quits Paceline."))
        self.notifications = QCheckBox(
            self.tr("Show a notification when the queue is empty"), page)
        self.notifications.setObjectName("notifications")
        form.addRow(self.tr("Notifications:"), self.notifications)
        self.language = QComboBox(page)
        self.language.setObjectName("language")
        system = QLocale.system()
        self.language.addItem(fmt.fill(self.tr("As the system (%1)"),
                                       system.nativeLanguageName() or system.name()), "")
        # Each language in its own words, so a person can find theirs in any language.
        self.language.addItem("English", "en")
        self.language.addItem("Deutsch", "de")
        form.addRow(self.tr("Language:"), self.language)
        note = QLabel(self.tr("A new language is used from the next start of Paceline."), page)
        note.setWordWrap(True)
        form.addRow("", note)
        return page

    def _folders_tab(self) -> QWidget:
        """Result files for every finished job; a watch folder may choose its own (the
        Folders pane of the window lists the watch folders)."""
        page = QWidget(self)
        form = QFormLayout(page)
        self.result_files = QComboBox(page)
        self.result_files.setObjectName("resultFiles")
        self.result_files.addItem(self.tr("None"), "off")
        self.result_files.addItem(self.tr("Beside each document (report.pdf.summary.md)"),
                                  "beside")
        self.result_files.addItem(self.tr("In an output folder"), "folder")
        self.result_files.currentIndexChanged.connect(self._result_files_changed)
        form.addRow(self.tr("Result files:"), self.result_files)
        folder_row = QHBoxLayout()
        self.result_folder = QLineEdit(page)
        self.result_folder.setPlaceholderText(self.tr("Where result files go"))
        self.result_folder_button = QPushButton(self.tr("Browse…"), page)
        self.result_folder_button.clicked.connect(self._browse_result_folder)
        folder_row.addWidget(self.result_folder, 1)
        folder_row.addWidget(self.result_folder_button)
        form.addRow(self.tr("Output folder:"), folder_row)
        self.result_format = QComboBox(page)
        self.result_format.addItem(self.tr("Markdown (.md)"), "md")
        self.result_format.addItem(self.tr("JSON (.json)"), "json")
        form.addRow(self.tr("Format:"), self.result_format)
        self.result_overwrite = QCheckBox(
            self.tr("Replace files of that name that Paceline did not write"), page)
        form.addRow(self.tr("Existing files:"), self.result_overwrite)
        note = QLabel(self.tr(
            "Each file is written whole or not at all. Without the box above, a file "
            "Paceline did not write (or that was edited since) is left as it is, and the "
            "job's log says so. Watch folders are listed in the window's Folders pane "
            "(View → Folders); each can choose its own result files."), page)
        note.setWordWrap(True)
        form.addRow("", note)
        return page

    def _result_files_changed(self) -> None:
        in_folder = self.result_files.currentData() == "folder"
        self.result_folder.setEnabled(in_folder)
        self.result_folder_button.setEnabled(in_folder)

    def _browse_result_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, self.tr("Output folder"),
                                                  self.result_folder.text())
        if chosen:
            self.result_folder.setText(chosen)

    def _seconds(self, parent: QWidget, low: float, high: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox(parent)
        box.setRange(low, high)
        box.setDecimals(1)
        box.setSuffix(self.tr(" s"))
        return box

    # ------------------------------------------------------------------ values

    def _load(self, s: Settings) -> None:
        self.provider.setCurrentIndex(max(0, self.provider.findData(s.provider)))
        self.preset.setCurrentIndex(max(0, self.preset.findData(s.preset)))
        self.api_base.setText(s.api_base)
        self.model.setCurrentText(s.model)
        self.context_chars.setValue(s.context_chars)
        self.vision.setCurrentIndex(max(0, self.vision.findData(s.vision)))
        self.max_output_tokens.setValue(s.max_output_tokens)
        self.request_timeout_s.setValue(s.request_timeout_s)
        self.max_file_mb.setValue(s.max_file_mb)
        self.max_chars.setValue(s.max_chars)
        self.pacing.setCurrentIndex(max(0, self.pacing.findData(s.pacing)))
        self.pause_s.setValue(s.pause_s)
        self.max_in_flight.setValue(s.max_in_flight)
        self.backoff_base_s.setValue(s.backoff_base_s)
        self.backoff_cap_s.setValue(s.backoff_cap_s)
        self.max_attempts.setValue(s.max_attempts)
        self.max_queue.setValue(s.max_queue)
        self.batch_threshold.setValue(s.batch_threshold)
        self.price.setValue(s.price_per_1k_tokens)
        self._fill_profiles(select=s.default_profile)
        self.close_to_tray.setChecked(s.close_to_tray)
        self.notifications.setChecked(s.notifications)
        self.language.setCurrentIndex(max(0, self.language.findData(s.language)))
        self.result_files.setCurrentIndex(max(0, self.result_files.findData(s.result_files)))
        self.result_folder.setText(s.result_folder)
        self.result_format.setCurrentIndex(max(0, self.result_format.findData(s.result_format)))
        self.result_overwrite.setChecked(s.result_overwrite)
        self._result_files_changed()
        self._show_environment(s)
        self._mark_overrides()
        self._provider_changed()
        self._preset_changed()
        self._pacing_changed()
        self._update_endpoint()

    def _show_environment(self, saved: Settings) -> None:
        """Fields an environment variable sets show its value: that is what Paceline uses."""
        try:
            effective = settings_mod.apply_env(saved, self.environ)
        except SettingsError:
            return  # the variable is refused; the window's banner says why
        if "provider" in self.overridden:
            self.provider.setCurrentIndex(max(0, self.provider.findData(effective.provider)))
        if "api_base" in self.overridden:
            self.api_base.setText(effective.api_base)
            # The service is the one whose URL the variable gives (often a custom one): showing
            # the saved preset's name would say the calls go there.
            with contextlib.suppress(providers.UnknownPreset):
                shown = effective_config.endpoint(replace(effective, provider=OPENAI)).provider
                self.preset.setCurrentIndex(max(0, self.preset.findData(shown)))
        if "model" in self.overridden:
            self.model.setCurrentText(effective.model)
        if "pacing" in self.overridden:
            self.pacing.setCurrentIndex(max(0, self.pacing.findData(effective.pacing)))
        if "pause_s" in self.overridden:
            self.pause_s.setValue(effective.pause_s)
        if "max_queue" in self.overridden:
            self.max_queue.setValue(effective.max_queue)

    def values(self) -> Settings:
        """The settings to save: the dialog's fields, and the saved value of each field an
        environment variable sets (the dialog shows the variable's value, which is not saved)."""
        shown = self._shown_values()
        kept = {name: getattr(self.original, name) for name in self.overridden}
        if "api_base" in self.overridden:
            kept["preset"] = self.original.preset  # shown as the variable's, not saved
        return replace(shown, **kept)

    def effective(self) -> Settings | None:
        """The settings Paceline would use: the fields with the environment applied."""
        try:
            return settings_mod.apply_env(self.values(), self.environ)
        except SettingsError:
            return None

    def _endpoint(self) -> effective_config.Endpoint | None:
        settings = self.effective()
        if settings is None:
            return None
        try:
            return effective_config.endpoint(settings)
        except providers.UnknownPreset:
            return None

    def _shown_values(self) -> Settings:
        return replace(
            self.original,
            provider=str(self.provider.currentData()),
            preset=str(self.preset.currentData()),
            api_base=self.api_base.text().strip(),
            model=self.model.currentText().strip(),
            context_chars=self.context_chars.value(),
            vision=str(self.vision.currentData()),
            max_output_tokens=self.max_output_tokens.value(),
            request_timeout_s=self.request_timeout_s.value(),
            max_file_mb=self.max_file_mb.value(),
            max_chars=self.max_chars.value(),
            pacing=str(self.pacing.currentData()),
            pause_s=self.pause_s.value(),
            max_in_flight=self.max_in_flight.value(),
            backoff_base_s=self.backoff_base_s.value(),
            backoff_cap_s=max(self.backoff_cap_s.value(), self.backoff_base_s.value()),
            max_attempts=self.max_attempts.value(),
            max_queue=self.max_queue.value(),
            batch_threshold=self.batch_threshold.value(),
            price_per_1k_tokens=self.price.value(),
            default_profile=str(self.default_profile.currentData() or "Summary"),
            custom_profiles=dict(self._custom_profiles),
            close_to_tray=self.close_to_tray.isChecked(),
            notifications=self.notifications.isChecked(),
            language=str(self.language.currentData() or ""),
            result_files=str(self.result_files.currentData()),
            result_folder=self.result_folder.text().strip(),
            result_format=str(self.result_format.currentData()),
            result_overwrite=self.result_overwrite.isChecked(),
        )

    def save(self) -> Settings | None:
        """Validate and save; return the effective settings, or None (the error is shown)."""
        values = self.values()
        try:
            settings_mod.validate(values)
            effective = settings_mod.apply_env(values, self.environ)
        except SettingsError as exc:
            self.error.set_message("error", self.tr("These settings cannot be saved."), str(exc))
            return None
        target = effective_config.endpoint(effective)
        typed = self.api_key.text().strip() if self._key_changed else ""
        if (not target.offline and target.base_url.lower().startswith("http://")
                and not key_safe_over_http(target.base_url)
                and (typed or (not self._forget_key and secrets.key_source(
                    self.home, self.environ, host=target.host, dashscope=target.dashscope)))):
            # Refused here, not only when the worker starts: saving would look like success.
            self.error.set_message("error", self.tr("These settings cannot be saved."), fmt.fill(
                self.tr("%1 is plain http:// to a host outside this computer and its local "
                        "network: the API key would travel unencrypted. Use an https:// "
                        "address, or forget the key if this server needs none."),
                target.base_url))
            return None
        try:
            settings_mod.save(self.home, values)
            if target.host and self._forget_key:
                secrets.set_api_key(self.home, None, host=target.host)
            if target.host and typed:
                secrets.set_api_key(self.home, typed, host=target.host)
        except OSError as exc:
            self.error.set_message(
                "error", self.tr("The settings could not be written."),
                fmt.fill(self.tr("%1. Check that %2 is writable."), exc.strerror or str(exc),
                         str(self.home)))
            return None
        self.error.hide()
        self.saved.emit(effective)
        return effective

    def accept(self) -> None:
        if self.save() is not None:
            super().accept()

    # ------------------------------------------------------------------ reactions

    def _mark_overrides(self) -> None:
        fields = {"provider": self.provider, "api_base": self.api_base, "model": self.model,
                  "pacing": self.pacing, "pause_s": self.pause_s, "max_queue": self.max_queue}
        for name, widget in [*fields.items(), ("api_base", self.preset)]:
            var = self.overridden.get(name)
            if var:
                widget.setEnabled(False)
                widget.setToolTip(fmt.fill(self.tr(
                    "Set by the environment variable %1, which wins over this setting."), var))
        if not self.overridden:
            self.env_note.hide()
            return
        names = ", ".join(f"{var}={self.environ.get(var, '')}"
                          for var in sorted(self.overridden.values()))
        self.env_note.setText(fmt.fill(self.tr(
            "Set by the environment: %1. These values win over the saved ones and are shown "
            "greyed out below. To change them here, unset the variables and start Paceline "
            "again."), names))
        self.env_note.show()

    def _update_endpoint(self) -> None:
        target = self._endpoint()
        if target is None:
            self.endpoint_note.setText(self.tr("Calls go to: not set up yet (see below)."))
        elif target.offline:
            self.endpoint_note.setText(self.tr(
                "Documents are analysed on this computer by the offline analyzer; nothing is "
                "sent anywhere."))
        elif not target.host:
            self.endpoint_note.setText(self.tr("Calls go to: no API base URL yet."))
        else:
            self.endpoint_note.setText(fmt.fill(
                self.tr("Calls go to: %1"), core_texts.endpoint_text(target)))
            if "model" not in self.overridden:
                # the model the calls will name: the service's default, or the server's first
                self.model.lineEdit().setPlaceholderText(
                    target.model or self.tr("first model the server lists"))
        self._update_key_note()

    def _is_openai(self) -> bool:
        return self.provider.currentData() == OPENAI

    def _provider_changed(self) -> None:
        remote = self._is_openai()
        for widget in (self.preset, self.api_base, self.model, self.fetch_models_button,
                       self.api_key, self.forget_key_button, self.context_chars, self.vision,
                       self.max_output_tokens, self.request_timeout_s):
            widget.setEnabled(remote)
        self._mark_overrides()  # a value set by the environment stays read-only
        self._update_endpoint()

    def _preset(self) -> providers.Preset:
        try:
            return providers.get(str(self.preset.currentData()))
        except providers.UnknownPreset:
            return providers.get(providers.DEFAULT_PRESET)

    def _preset_changed(self) -> None:
        preset = self._preset()
        self.api_base.setPlaceholderText(preset.base_url or self.tr("https://…/v1 (required)"))
        self.model.lineEdit().setPlaceholderText(
            preset.default_model or self.tr("first model the server lists"))
        self._update_endpoint()

    def _pacing_changed(self) -> None:
        adaptive = self.pacing.currentData() == "adaptive"
        self.max_in_flight.setEnabled(adaptive)
        if "pause_s" not in self.overridden:
            self.pause_s.setEnabled(not adaptive)

    def _key_edited(self, _text: str) -> None:
        self._key_changed = True
        self._forget_key = False

    def _toggle_key_echo(self, shown: bool) -> None:
        self.api_key.setEchoMode(QLineEdit.EchoMode.Normal if shown
                                 else QLineEdit.EchoMode.Password)

    def _forget_stored_key(self) -> None:
        self._forget_key = True
        self._key_changed = False
        self.api_key.clear()
        self.key_note.setText(self.tr("The stored key will be removed when you save."))

    def _update_key_note(self) -> None:
        if not hasattr(self, "key_note"):
            return  # called while the tab is still being built
        target = self._endpoint()
        host = target.host if target is not None else ""
        source = (secrets.key_source(self.home, self.environ, host=host,
                                     dashscope=target.dashscope) if target and host else None)
        preset = self._preset()
        if not host:
            text = self.tr("A key is kept for the host it was entered for and sent only there.")
        elif source in secrets.ENV_VARS:
            text = fmt.fill(self.tr(
                "The key comes from the environment variable %1, which wins over a stored "
                "key."), source)
        elif source == "keyring":
            text = fmt.fill(self.tr("A key for %1 is stored in the system keyring. Type a new "
                                    "one to replace it."), host)
        elif source == "file":
            text = fmt.fill(self.tr("A key for %1 is stored in a file only you can read. Type "
                                    "a new one to replace it."), host)
        elif preset.needs_key:
            text = fmt.fill(self.tr("No key stored for %1 yet. It is kept in the system keyring "
                                    "(or a private file), never in the settings file, and "
                                    "sent only to %1."), host)
        else:
            text = self.tr("Local servers usually need no key.")
        self.api_key.setPlaceholderText(self.tr("stored") if source else self.tr("none"))
        self.key_note.setText(text)

    # ------------------------------------------------------------------ models

    def fetch_models(self) -> asyncio.Task[None] | None:
        self.fetch_models_button.setEnabled(False)
        return self.runner.start(self._fetch_models(), self.tr("Fetching the model list"))

    async def _fetch_models(self) -> None:
        from core.analyzers.openai_compat import make_openai_analyzer

        try:
            settings = replace(self.effective() or self.values(), provider=OPENAI)
            key = self.api_key.text().strip() or None
            analyzer = make_openai_analyzer(settings, api_key=key, home=self.home) if key \
                else make_openai_analyzer(settings, home=self.home)
            try:
                models = await analyzer.list_models()
            finally:
                await analyzer.aclose()
        except Exception as exc:  # any failure is shown in the dialog, with the server's words
            self.error.set_message("error", self.tr("The model list could not be fetched."),
                                   str(exc))
            return
        finally:
            self.fetch_models_button.setEnabled(self._is_openai())
        current = self.model.currentText()
        self.model.clear()
        self.model.addItems(models)
        self.model.setCurrentText(current or (models[0] if models else ""))
        self.error.set_message("success", self.tr("%n model(s) available.", "", len(models)))

    # ------------------------------------------------------------------ profiles

    def _fill_profiles(self, select: str | None = None) -> None:
        current = select or (self.profile_list.currentItem().data(Qt.ItemDataRole.UserRole)
                             if self.profile_list.currentItem() else None)
        self.profile_list.blockSignals(True)
        self.profile_list.clear()
        builtin_names = {p.name for p in BUILTIN_PROFILES}
        for profile in BUILTIN_PROFILES:
            if profile.name in self._custom_profiles:
                continue
            item = QListWidgetItem(fmt.fill(self.tr("%1 (built-in)"),
                                            core_texts.profile_name(profile.name)))
            item.setData(Qt.ItemDataRole.UserRole, profile.name)
            self.profile_list.addItem(item)
        for name in self._custom_profiles:
            label = name if name not in builtin_names else fmt.fill(
                self.tr("%1 (edited)"), core_texts.profile_name(name))
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.profile_list.addItem(item)
        self.profile_list.blockSignals(False)
        # The longest name shows in full ("Zusammenfassung (eingebaut)"), never scrolled,
        # with room for a scroll bar once there are many.
        profiles = self.profile_list
        profiles.setMinimumWidth(profiles.sizeHintForColumn(0) + 2 * profiles.frameWidth()
                                 + profiles.verticalScrollBar().sizeHint().width() + 8)
        names = [self.profile_list.item(n).data(Qt.ItemDataRole.UserRole)
                 for n in range(self.profile_list.count())]
        chosen_default = self.default_profile.currentData() or self.original.default_profile
        self.default_profile.clear()
        for name in names:
            self.default_profile.addItem(core_texts.profile_name(name), name)
        self.default_profile.setCurrentIndex(max(0, self.default_profile.findData(chosen_default)))
        row = names.index(current) if current in names else 0
        self.profile_list.setCurrentRow(row)
        self._profile_selected(self.profile_list.currentItem(), None)

    def _selected_profile(self) -> str | None:
        item = self.profile_list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def _profile_selected(self, current: QListWidgetItem | None,
                          _previous: QListWidgetItem | None) -> None:
        name = None if current is None else str(current.data(Qt.ItemDataRole.UserRole))
        custom = name in self._custom_profiles
        prompt = self._custom_profiles.get(name or "") if custom else next(
            (p.prompt for p in BUILTIN_PROFILES if p.name == name), "")
        self.profile_name.blockSignals(True)
        self.profile_prompt.blockSignals(True)
        # A built-in profile cannot be renamed, so its name is shown in the UI language.
        self.profile_name.setText((name if custom else core_texts.profile_name(name or ""))
                                  or "")
        self.profile_prompt.setPlainText(prompt or "")
        self.profile_name.blockSignals(False)
        self.profile_prompt.blockSignals(False)
        self.profile_name.setReadOnly(not custom)
        self.profile_prompt.setReadOnly(not custom)
        self.remove_profile_button.setEnabled(custom)
        self.profile_note.setText(
            self.tr("Jobs keep the prompt they were queued with; changes apply to new jobs.")
            if custom else self.tr("Built-in profiles cannot be changed. Add your own to "
                                   "use another prompt."))

    def add_profile(self) -> str:
        n = 1
        while (name := fmt.fill(self.tr("My profile %1"), n)) in self._custom_profiles:
            n += 1
        self._custom_profiles[name] = self.tr("Analyse the following document.")
        self._fill_profiles(select=name)
        self.profile_name.setFocus()
        self.profile_name.selectAll()
        return name

    def remove_profile(self) -> None:
        name = self._selected_profile()
        if name in self._custom_profiles:
            del self._custom_profiles[name]
            self._fill_profiles()

    def _profile_renamed(self, text: str) -> None:
        old = self._selected_profile()
        new = text.strip()
        if old not in self._custom_profiles or not new or new == old:
            return
        if new in self._custom_profiles or new in {p.name for p in BUILTIN_PROFILES}:
            self.profile_note.setText(self.tr("A profile with that name exists already."))
            return
        # keep the order: rebuild the dict with the new key in the old place
        self._custom_profiles = {(new if k == old else k): v
                                 for k, v in self._custom_profiles.items()}
        item = self.profile_list.currentItem()
        item.setData(Qt.ItemDataRole.UserRole, new)
        item.setText(new)
        index = self.default_profile.findData(old)
        if index >= 0:
            self.default_profile.setItemData(index, new)
            self.default_profile.setItemText(index, new)

    def _profile_prompt_changed(self) -> None:
        name = self._selected_profile()
        if name in self._custom_profiles:
            self._custom_profiles[name] = self.profile_prompt.toPlainText()

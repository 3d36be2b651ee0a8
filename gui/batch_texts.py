"""Words for a provider batch (core/batches.py) in the person's language.

The core names a batch's stage in English (``Batch.label``: "in progress", "preparing"); the
window says the same in its own language, from the stage and the provider's status word.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from core import providers
from core.batches import Batch, BatchStage
from core.settings import Settings
from gui import core_texts
from gui import formatting as fmt

translate = QCoreApplication.translate  # by this name so lupdate finds every string


def stage_text(batch: Batch) -> str:
    """The batch's stage as a person reads it: "in progress", "uploading", "expired"."""
    stages = {
        BatchStage.PREPARING: translate("BatchTexts", "preparing"),
        BatchStage.UPLOADING: translate("BatchTexts", "uploading"),
        BatchStage.CREATING: translate("BatchTexts", "creating"),
        BatchStage.DOWNLOADING: translate("BatchTexts", "downloading"),
        BatchStage.CANCELLED: translate("BatchTexts", "cancelled"),
    }
    # The provider's own words once it has the batch, and for how a finished one ended.
    statuses = {
        "validating": translate("BatchTexts", "validating"),
        "in_progress": translate("BatchTexts", "in progress"),
        "finalizing": translate("BatchTexts", "finalizing"),
        "cancelling": translate("BatchTexts", "cancelling"),
        "cancelled": translate("BatchTexts", "cancelled"),
        "expired": translate("BatchTexts", "expired"),
        "failed": translate("BatchTexts", "failed"),
    }
    if batch.stage in stages:
        return stages[batch.stage]
    if batch.stage == BatchStage.SUBMITTED:
        return statuses.get(batch.status, batch.label)
    return statuses.get(batch.status, translate("BatchTexts", "finished"))


def counts_text(batch: Batch) -> str:
    """The stage with the provider's counts: "in progress 120 / 500" (settled of all)."""
    stage = stage_text(batch)
    if batch.total <= 0:
        return stage
    return fmt.fill(translate("BatchTexts", "%1 %2 / %3"), stage,
                    fmt.integer(batch.completed + batch.failed), fmt.integer(batch.total))


def job_state_text(batch: Batch) -> str:
    """A job's state cell while it is in the batch: "batch 3 · in progress 120/500"."""
    if batch.total <= 0:
        return fmt.fill(translate("BatchTexts", "batch %1 · %2"), batch.id, stage_text(batch))
    return fmt.fill(translate("BatchTexts", "batch %1 · %2 %3/%4"), batch.id, stage_text(batch),
                    fmt.integer(batch.completed + batch.failed), fmt.integer(batch.total))


def fraction(batch: Batch) -> float:
    """How far the provider is with it, 0..1 (a finished batch is whole)."""
    if not batch.open:
        return 1.0
    if batch.total <= 0:
        return 0.0
    return min(1.0, (batch.completed + batch.failed) / batch.total)


def waiting_text(jobs: int, batches: int) -> str:
    """Jobs the provider still holds: "40 waiting in 1 batch"."""
    # Two sentences, not a "%n batch(es)" plural: the English plural forms are made by
    # dropping or keeping "(s)" (resources/translations/update_translations.py).
    if batches == 1:
        return fmt.fill(translate("BatchTexts", "%1 waiting in 1 batch"), fmt.integer(jobs))
    return fmt.fill(translate("BatchTexts", "%1 waiting in %2 batches"), fmt.integer(jobs),
                    fmt.integer(batches))


def refusal_text(settings: Settings, reason: str) -> str:
    """Why these settings cannot send a batch (core's ``batch_refusal``), in the window's
    language; a reason the window does not know is shown as the core words it."""
    if settings.provider == "offline":
        return translate("BatchTexts", "Batch mode sends documents to a provider's Batch API; "
                         "the offline analyzer has none. Choose DashScope, OpenAI or a custom "
                         "URL in Settings.")
    preset = providers.PRESETS.get(settings.preset)
    if preset is not None and not preset.batch:
        return fmt.fill(translate(
            "BatchTexts", "%1 has no Batch API: a server on this machine answers at once "
            "anyway. Batch mode is for DashScope, OpenAI or a custom URL whose server has "
            "one."), core_texts.preset_label(settings.preset, preset.label))
    return reason

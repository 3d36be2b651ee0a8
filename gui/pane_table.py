"""The read-only table the docked panes (Folders, Batches) list their rows in, set up once."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QWidget


def pane_table(parent: QWidget, name: str, labels: Sequence[str]) -> QTableWidget:
    """Whole rows, one at a time, not editable, no grid or wrapping, rows sized to the font,
    left-aligned headers: the panes look alike and the job list's style carries over."""
    table = QTableWidget(0, len(labels), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(labels))
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(parent.fontMetrics().height() + 12)
    header = table.horizontalHeader()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setHighlightSections(False)
    return table

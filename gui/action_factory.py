"""One way to build the window's actions, so menus, toolbar and context menu agree."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QIcon, QKeySequence


def make_action(
    parent: QObject,
    icon: QIcon,
    icon_name: str,
    text: str,
    shortcut: str | QKeySequence.StandardKey,
    tip: str,
    slot: Callable[[], object],
) -> QAction:
    action = QAction(icon, text, parent)
    # The icon's name lets a palette change re-tint every action's icon later.
    action.setProperty("iconName", icon_name)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.setToolTip(tip)
    action.setStatusTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    return action

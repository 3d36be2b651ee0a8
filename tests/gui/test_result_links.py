"""The result pane: Markdown without raw HTML, and a link's target shown before it opens."""

from __future__ import annotations

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.detail_pane import SafeTextBrowser


def test_raw_html_in_an_answer_is_shown_as_text(styled_app: object) -> None:
    browser = SafeTextBrowser()
    browser.set_markdown(
        'Plain <b>bold?</b> <a href="https://evil.example/">click</a> '
        '<img src="https://tracker.example/p.png">\n\n**real bold** [site](https://example.com)\n'
    )
    text = browser.toPlainText()
    assert '<a href="https://evil.example/">click</a>' in text  # as written, not a link
    assert "<b>bold?</b>" in text
    html = browser.toHtml()
    assert 'href="https://evil.example/"' not in html
    assert 'href="https://example.com"' in html  # Markdown links still work
    assert browser.blocked == []  # the <img> was never asked for


def test_a_link_opens_only_after_the_person_saw_and_confirmed_it(styled_app: object) -> None:
    browser = SafeTextBrowser()
    asked: list[str] = []
    opened: list[str] = []
    answers = [False, True]
    browser.confirm_link = lambda url: asked.append(url.toString()) or answers.pop(0)
    browser.open_url = lambda url: opened.append(url.toString()) or True
    url = QUrl("https://example.com/a?b=c")
    browser.anchorClicked.emit(url)
    assert asked == ["https://example.com/a?b=c"] and opened == []  # declined
    browser.anchorClicked.emit(url)
    assert opened == ["https://example.com/a?b=c"]
    browser.anchorClicked.emit(QUrl("file:///etc/passwd"))
    assert len(asked) == 2 and len(opened) == 1  # other schemes are never even offered
    browser.highlighted.emit(url)
    assert browser.toolTip() == "https://example.com/a?b=c"
    browser.highlighted.emit(QUrl())
    assert browser.toolTip() == ""


def test_the_default_confirmation_names_the_url(styled_app: object) -> None:
    browser = SafeTextBrowser()
    seen: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        box.button(QMessageBox.StandardButton.Cancel).click()

    QTimer.singleShot(0, answer)
    assert browser.confirm_link(QUrl("https://example.com/x")) is False
    assert seen and "https://example.com/x" in seen[0]

"""Garbled text is caught before it costs a paid call (core/documents/quality.py).

The garbled samples are what real extraction failures look like: Japanese in EUC-JP read as
Latin-1 (mojibake), a PDF font without a Unicode map (private-use characters), undecodable
bytes (U+FFFD), glyphs mapped to the wrong alphabet.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from core.documents.quality import doubt
from core.engine import Engine
from core.settings import Settings
from core.states import DOUBTFUL_TEXT, JobState
from tests.fake_clock import FakeClock
from tests.fake_provider import FakeProvider

JAPANESE = (
    "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。何でも薄暗いじめじめした"
    "所でニャーニャー泣いていた事だけは記憶している。吾輩はここで始めて人間というものを見た。"
)
PROSE = {
    "english": "The committee met on Tuesday to review the budget for the coming year. " * 6,
    "german": "Die Straße führt über die Brücke zum Rathaus, wo die Bürger täglich warten. " * 6,
    "czech": "Příliš žluťoučký kůň úpěl ďábelské ódy, řekl starý muž u řeky. " * 8,
    "russian": "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 8,
    "greek": "Η γρήγορη καφέ αλεπού πηδάει πάνω από το τεμπέλικο σκυλί στην αυλή. " * 6,
    "japanese": JAPANESE * 4,
    "chinese": "我们的会议讨论了明年的预算，并决定增加对教育和医疗的投入。" * 8,
    "korean": "다람쥐 헌 쳇바퀴에 타고파. 우리는 내일 아침에 회의를 합니다. " * 8,
    "arabic": "اجتمعت اللجنة يوم الثلاثاء لمراجعة الميزانية للعام المقبل. " * 8,
    "code": "def main(argv):\n    for i, name in enumerate(argv):\n        print(i, name)\n" * 8,
    "table": "Name | Qty | Price\nApple | 3 | 0.50 €\nPear | 12 | 1.20 €\n" * 10,
}


@pytest.mark.parametrize("language", sorted(PROSE))
def test_real_text_is_not_doubted(language: str) -> None:
    assert doubt(PROSE[language]) is None


def test_mojibake_is_doubted() -> None:
    garbled = (JAPANESE * 3).encode("euc-jp").decode("latin-1")
    assert "noise" in (doubt(garbled) or "") or "alphabets" in (doubt(garbled) or "")


def test_private_use_glyphs_are_doubted() -> None:
    glyphs = "".join(chr(0xE000 + (i * 7) % 300) for i in range(400))
    reason = doubt(" ".join(glyphs[i : i + 6] for i in range(0, 400, 6)))
    assert reason is not None and "private symbols" in reason


def test_undecodable_bytes_are_doubted() -> None:
    text = "Report on the harvest \ufffd\ufffd\ufffd of the year. " * 10
    assert "could not be decoded" in (doubt(text) or "")


def test_wrong_alphabet_glyphs_are_doubted() -> None:
    # A font whose glyphs were mapped to look-alike letters of other alphabets.
    text = "Тhе соmmіttее mеt оn Тuеsdау tо rеvіеw thе budgеt fоr thе соmіng уеаr. " * 6
    assert "alphabets" in (doubt(text) or "")


def test_short_text_is_not_judged() -> None:
    assert doubt("ÊÜ·¤¤Î¤Ç") is None


def _write_garbled(path: Path) -> Path:
    # A file that was decoded wrongly once and saved again: the mojibake is now its content.
    path.write_text((JAPANESE * 3).encode("euc-jp").decode("latin-1"), encoding="utf-8")
    return path


def test_a_paid_call_waits_for_the_person_and_retrigger_sends_it(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACELINE_API_KEY", "pk-test")
    doc = _write_garbled(tmp_path / "scan-notes.txt")

    async def go(server: FakeProvider) -> None:
        settings = Settings(provider="openai", preset="custom", api_base=server.url,
                            model="fake-model", pause_s=1.0)  # fmt: skip
        engine = await Engine.open(home, settings=settings, clock=FakeClock())
        try:
            await engine.add_paths([doc])
            await engine.run(until_empty=True)
            (job,) = await engine.store.list_jobs()
            assert (job.state, job.error_kind) == (JobState.FAILED, DOUBTFUL_TEXT)
            assert job.doubt and "scan-notes.txt" in (job.error or "")
            assert "nothing was spent" in (job.error or "")
            assert server.chat_requests == []  # no paid call was made
            await engine.retrigger([job.id])
            await engine.run(until_empty=True)
            (job,) = await engine.store.list_jobs()
            assert job.state == JobState.DONE, job.error
            assert job.doubt and job.doubt_accepted
            assert len(server.chat_requests) == 1
            log = [e.message for e in await engine.job_log(job.id)]
            assert any(m.startswith("the text looks garbled") for m in log)
            assert "re-triggered: the doubtful text will be sent" in log
        finally:
            await engine.close()

    with FakeProvider() as server:
        asyncio.run(go(server))


def test_offline_analysis_goes_on_and_marks_the_doubt(home: Path, tmp_path: Path) -> None:
    doc = _write_garbled(tmp_path / "notes.txt")

    async def go() -> None:
        engine = await Engine.open(home, settings=replace(Settings(), provider="offline"),
                                   clock=FakeClock())  # fmt: skip
        try:
            await engine.add_paths([doc])
            await engine.run(until_empty=True)
            (job,) = await engine.store.list_jobs()
            assert job.state == JobState.DONE and job.doubt
            assert job.to_dict()["doubt"] == job.doubt  # `list --json` carries it
        finally:
            await engine.close()

    asyncio.run(go())

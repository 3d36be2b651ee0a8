"""A Word file whose pages are pictures (a scan pasted into Word) goes to a model that reads
images, as a scanned PDF does: its pictures in reading order, sized and encoded alike. With a
text-only model the job says which models can read it."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.shared import Inches
from PIL import Image

from core.documents import Limits, extract
from core.engine import Engine
from core.errors import DocumentError
from core.settings import Settings
from core.vision import MAX_IMAGE_PIXELS
from tests import docgen
from tests.docx_gen import make_package, p
from tests.fake_clock import FakeClock
from tests.fake_provider import FakeProvider

VISION = Limits(render_images=True)


def _png(path: Path, text: str, size: tuple[int, int] = (1240, 1754)) -> Path:
    docgen.page_picture(text, size).save(path)
    return path


def _word_scan(path: Path, pictures: list[Path], paragraphs: tuple[str, ...] = ()) -> Path:
    """What Word saves when scans are pasted into it: one picture per page, no text."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    for picture in pictures:
        document.add_picture(str(picture), width=Inches(6))
    document.save(str(path))
    return path


def _shape(image: bytes) -> tuple[str, bool]:
    picture = Image.open(io.BytesIO(image))
    return str(picture.format), picture.width > picture.height


def test_a_scan_pasted_into_word_becomes_page_images_in_reading_order(tmp_path: Path) -> None:
    portrait = _png(tmp_path / "first.png", "Invoice 42\nTotal 118.00 EUR")
    landscape = tmp_path / "second.jpg"
    docgen.page_picture("Terms", (1754, 1240)).convert("RGB").save(landscape)
    word = _word_scan(tmp_path / "scan.docx", [portrait, landscape])
    document = extract(word, VISION)
    assert document.text == ""
    assert [i.label for i in document.images] == ["picture 1", "picture 2"]
    assert [_shape(i.data) for i in document.images] == [("JPEG", False), ("JPEG", True)]
    for image in document.images:
        assert image.width * image.height <= MAX_IMAGE_PIXELS
    assert "It has no text: its 2 pictures go to the model as images." in document.notes


def test_a_word_file_with_text_keeps_its_text_and_sends_no_picture(tmp_path: Path) -> None:
    logo = _png(tmp_path / "logo.png", "ACME", (400, 200))
    word = _word_scan(tmp_path / "letter.docx", [logo], ("Dear Ms Berg, thank you.",))
    document = extract(word, VISION)
    assert document.text.startswith("Dear Ms Berg, thank you.")
    assert document.images == ()


# Written by hand, as python-docx writes neither VML nor Word's DrawingML-or-VML alternative.
_PIC = "http://schemas.openxmlformats.org/drawingml/2006/picture"
_O = "urn:schemas-microsoft-com:office:office"


def _blip(rel_id: str, hidden: bool = False) -> str:
    flag = ' hidden="1"' if hidden else ""
    return (
        f'<w:drawing><wp:inline><wp:docPr id="7" name="Picture"{flag}/><a:graphic>'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/'
        f'picture"><pic:pic xmlns:pic="{_PIC}"><pic:blipFill><a:blip r:embed="{rel_id}"/>'
        "</pic:blipFill></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing>"
    )


def _vml(rel_id: str) -> str:
    return (
        f'<w:pict><v:shape xmlns:o="{_O}"><v:imagedata r:id="{rel_id}" o:title=""/>'
        "</v:shape></w:pict>"
    )


def _rels(*rels: tuple[str, str]) -> bytes:
    rows = "".join(
        f'<Relationship Id="{rel_id}" Target="{target}" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/image"/>'
        for rel_id, target in rels
    )
    return (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{rows}</Relationships>"
    ).encode()


def _media(text: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    docgen.page_picture(text, size).save(out, "PNG")
    return out.getvalue()


# An Enhanced Metafile's header: record type 1, and the signature " EMF" at byte 40.
EMF = b"\x01\x00\x00\x00" + b"\x00" * 36 + b" EMF" + b"\x00" * 60


def _hand_made(
    tmp_path: Path, body: str, media: dict[str, bytes], rels: bytes, *, strict: bool = False
) -> Path:
    parts = {"word/_rels/document.xml.rels": rels, **media}
    return make_package(tmp_path / "hand.docx", body, replace=parts, strict=strict)


@pytest.mark.parametrize("strict", [False, True])
def test_vml_pictures_alternatives_and_metafiles(tmp_path: Path, strict: bool) -> None:
    # Word writes a picture in a text box twice (DrawingML, then VML for old readers): sent
    # once. A hidden picture and a deleted one are not on the page; a metafile is noted.
    alternative = (
        "<w:r><mc:AlternateContent><mc:Choice>" + _blip("rTall") + "</mc:Choice>"
        "<mc:Fallback>" + _vml("rTall") + "</mc:Fallback></mc:AlternateContent></w:r>"
    )
    body = (
        p("<w:r>" + _vml("rWide") + "</w:r>")
        + p(alternative)
        + p("<w:r>" + _blip("rHidden", hidden=True) + "</w:r>")
        + p("<w:del><w:r>" + _blip("rDeleted") + "</w:r></w:del>")
        + p("<w:r>" + _blip("rChart") + "</w:r>")
        + p("<w:r>" + _blip("rWide") + "</w:r>")  # the same picture again
    )
    media = {
        "word/media/wide.png": _media("Wide", (900, 500)),
        "word/media/tall.png": _media("Tall", (500, 900)),
        "word/media/hidden.png": _media("Hidden", (300, 300)),
        "word/media/deleted.png": _media("Deleted", (300, 300)),
        "word/media/chart.emf": EMF,
    }
    rels = _rels(("rWide", "media/wide.png"), ("rTall", "media/tall.png"),
                 ("rHidden", "media/hidden.png"), ("rDeleted", "media/deleted.png"),
                 ("rChart", "media/chart.emf"))  # fmt: skip
    document = extract(_hand_made(tmp_path, body, media, rels, strict=strict), VISION)
    assert [_shape(i.data)[1] for i in document.images] == [True, False]
    assert document.notes == (
        "Left out: 1 picture in Windows metafile format (EMF/WMF), which Paceline cannot draw.",
        "It has no text: its 2 pictures go to the model as images.",
    )


def test_only_metafiles_are_refused_as_no_text(tmp_path: Path) -> None:
    body = p("<w:r>" + _blip("rChart") + "</w:r>")
    word = _hand_made(tmp_path, body, {"word/media/c.emf": EMF}, _rels(("rChart", "media/c.emf")))
    with pytest.raises(DocumentError) as caught:
        extract(word, VISION)
    assert caught.value.kind == "empty" and "OCR" in caught.value.message


def test_a_damaged_picture_is_noted_and_the_others_are_sent(tmp_path: Path) -> None:
    body = p("<w:r>" + _blip("rBad") + "</w:r>") + p("<w:r>" + _blip("rGood") + "</w:r>")
    media = {"word/media/bad.png": b"\x89PNG\r\n\x1a\n cut short",
             "word/media/good.png": _media("Good", (500, 700))}  # fmt: skip
    rels = _rels(("rBad", "media/bad.png"), ("rGood", "media/good.png"))
    document = extract(_hand_made(tmp_path, body, media, rels), VISION)
    assert [i.label for i in document.images] == ["picture 2"]
    assert document.notes[0].startswith("A picture (word/media/bad.png) cannot be read")
    only_bad = _hand_made(tmp_path, body, media, _rels(("rBad", "media/bad.png")))
    with pytest.raises(DocumentError) as caught:
        extract(only_bad, VISION)
    assert caught.value.kind == "corrupt" and "none of its pictures can be read" in (
        caught.value.message
    )


def test_more_pictures_than_the_limit_are_refused(tmp_path: Path) -> None:
    pictures = [_png(tmp_path / f"p{n}.png", f"Page {n}", (600, 800)) for n in range(3)]
    word = _word_scan(tmp_path / "many.docx", pictures)
    with pytest.raises(DocumentError) as caught:
        extract(word, Limits(render_images=True, max_images=2))
    assert caught.value.kind == "too_large" and "2 page images" in caught.value.message


# ------------------------------------------------------------------------ through the worker


def _settings(server: FakeProvider, model: str) -> Settings:
    return Settings(provider="openai", preset="custom", api_base=server.url, model=model,
                    pause_s=1.0)  # fmt: skip


def _run(home: Path, settings: Settings, paths: list[Path]) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        engine = await Engine.open(home, settings=settings, clock=FakeClock())
        try:
            await engine.add_paths(paths)
            await engine.run(until_empty=True)
            return {Path(j.path).name: j for j in await engine.store.list_jobs()}
        finally:
            await engine.close()

    return asyncio.run(go())


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACELINE_API_KEY", "pk-vision")


def test_a_word_scan_goes_to_a_vision_model_and_the_answer_is_stored(
    home: Path, tmp_path: Path
) -> None:
    word = _word_scan(tmp_path / "scan.docx", [_png(tmp_path / "page.png", "Invoice 42")])
    with FakeProvider() as server:
        jobs = _run(home, _settings(server, "qwen-vl-plus"), [word])
        (request,) = server.chat_requests
    job = jobs["scan.docx"]
    assert job.state == "done", job.error
    (image,) = request.images
    assert Image.open(io.BytesIO(image)).format == "JPEG"
    content = request.body["messages"][-1]["content"]
    assert content[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert "attached as an image (picture 1)" in request.user_text
    assert job.result == f"Analysis of {len(request.user_text)} characters."


def test_a_text_only_model_says_which_models_can_read_a_word_scan(
    home: Path, tmp_path: Path
) -> None:
    word = _word_scan(tmp_path / "scan.docx", [_png(tmp_path / "page.png", "Invoice 42")])
    with FakeProvider() as server:
        jobs = _run(home, _settings(server, "qwen-plus"), [word])
        assert server.chat_requests == []
    job = jobs["scan.docx"]
    assert (job.state, job.error_kind) == ("failed", "needs_vision")
    assert job.error.startswith("scan.docx holds pictures but no text (probably a scan): ")
    assert "Qwen-VL" in job.error and "Settings" in job.error

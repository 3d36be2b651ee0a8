"""Scans and pictures go to a model that reads images, end to end against the fake server on
127.0.0.1; with a text-only model, or offline, the job says which models can read them."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from core.documents import Limits, extract
from core.engine import Engine
from core.settings import Settings
from core.states import JobState
from core.vision import MAX_IMAGE_PIXELS, image_tokens, vision_spec
from tests import docgen
from tests.fake_clock import FakeClock
from tests.fake_provider import FakeProvider


@pytest.mark.parametrize(
    ("model", "setting", "per_call"),
    [
        ("qwen-vl-max", "auto", 4), ("qwen2.5-vl-72b-instruct", "auto", 4),
        ("qwen-vl-ocr-latest", "auto", 1), ("gpt-4o-mini", "auto", 4),
        ("llava:13b", "auto", 1), ("llama3.2-vision", "auto", 1),
        ("qwen-plus", "auto", None), ("gpt-3.5-turbo", "auto", None),
        ("my-own-model", "yes", 1), ("qwen-vl-max", "no", None),
    ],
)  # fmt: skip
def test_which_models_read_images(model: str, setting: str, per_call: int | None) -> None:
    spec = vision_spec(model, setting)
    assert (spec.images_per_call if spec else None) == per_call


def test_image_tokens_follow_the_providers_rules() -> None:
    # The larger of Qwen-VL's count (one per 28 x 28 pixels, at most 1280, +2 markers) and
    # OpenAI's (85 + 170 per 512-pixel tile).
    assert image_tokens(842, 1191) == 1282
    assert image_tokens(512, 512) == 19 * 19 + 2
    assert image_tokens(2048, 200) == 85 + 170 * 4  # a strip: four of OpenAI's tiles


def test_scanned_pages_are_rendered_within_the_pixel_budget(tmp_path: Path) -> None:
    pdf = docgen.make_scanned_pdf(tmp_path / "scan.pdf", ["Invoice 42", "Terms"])
    document = extract(pdf, Limits(render_images=True))
    assert document.text == "" and [i.label for i in document.images] == ["page 1", "page 2"]
    for image in document.images:
        picture = Image.open(io.BytesIO(image.data))
        assert picture.format == "JPEG" and picture.size == (image.width, image.height)
        assert image.width * image.height <= MAX_IMAGE_PIXELS


def test_a_mixed_pdf_keeps_its_text_and_renders_only_the_scanned_page(tmp_path: Path) -> None:
    text_part = docgen.make_text_pdf(tmp_path / "text.pdf", ["Typed cover letter."])
    scan = docgen.make_scanned_pdf(tmp_path / "scan.pdf", ["Signed contract"])
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.append(str(text_part))
    writer.append(str(scan))
    mixed = tmp_path / "mixed.pdf"
    with open(mixed, "wb") as handle:
        writer.write(handle)
    document = extract(mixed, Limits(render_images=True))
    assert document.text == "Typed cover letter."
    assert [i.label for i in document.images] == ["page 2"]


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


def test_a_scan_and_a_photo_go_to_a_vision_model(home: Path, tmp_path: Path) -> None:
    scan = docgen.make_scanned_pdf(tmp_path / "scan.pdf", ["Invoice 42"])
    photo = docgen.make_photo(tmp_path / "receipt.png", "Receipt")
    with FakeProvider() as server:
        jobs = _run(home, _settings(server, "qwen-vl-plus"), [scan, photo])
        requests = server.chat_requests
    assert {n: j.state for n, j in jobs.items()} == {"scan.pdf": "done", "receipt.png": "done"}
    assert len(requests) == 2
    for request in requests:
        (image,) = request.images
        assert Image.open(io.BytesIO(image)).format == "JPEG"
        assert request.body["messages"][-1]["content"][1]["image_url"]["url"].startswith(
            "data:image/jpeg;base64,"
        )
    assert "page is attached as an image (page 1)" in requests[0].user_text
    # The answer is stored (the fake server counts the text it was sent).
    assert jobs["scan.pdf"].result == f"Analysis of {len(requests[0].user_text)} characters."
    assert jobs["scan.pdf"].prompt_tokens > 0


def test_many_scanned_pages_go_four_to_a_call_then_combine(home: Path, tmp_path: Path) -> None:
    scan = docgen.make_scanned_pdf(tmp_path / "long-scan.pdf", [f"Page {n}" for n in range(6)])
    with FakeProvider() as server:
        jobs = _run(home, _settings(server, "qwen-vl-max"), [scan])
        requests = server.chat_requests
    job = jobs["long-scan.pdf"]
    assert job.state == JobState.DONE and (job.parts_done, job.parts_planned) == (3, 3)
    assert [len(r.images) for r in requests] == [4, 2, 0]  # the combining call reads text


def test_a_text_only_model_says_which_models_can_read_scans(
    home: Path, tmp_path: Path
) -> None:
    scan = docgen.make_scanned_pdf(tmp_path / "scan.pdf", ["Invoice 42"])
    photo = docgen.make_photo(tmp_path / "receipt.jpg", "Receipt")
    with FakeProvider() as server:
        jobs = _run(home, _settings(server, "qwen-plus"), [scan, photo])
        assert server.chat_requests == []
    scan_job, photo_job = jobs["scan.pdf"], jobs["receipt.jpg"]
    assert (scan_job.state, scan_job.error_kind) == ("failed", "no_text_layer")
    assert (photo_job.state, photo_job.error_kind) == ("failed", "needs_vision")
    for job in (scan_job, photo_job):
        assert "Qwen-VL" in job.error and "Settings" in job.error


def test_offline_a_photo_is_refused_with_what_to_do(home: Path, tmp_path: Path) -> None:
    photo = docgen.make_photo(tmp_path / "receipt.webp", "Receipt")
    jobs = _run(home, Settings(), [photo])
    job = jobs["receipt.webp"]
    assert (job.state, job.error_kind) == ("failed", "needs_vision")
    assert "receipt.webp is a picture" in job.error

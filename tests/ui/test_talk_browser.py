"""End to end: the Talk tab in headless Chromium makes a playable mp4 with sound.

Needs the shipped rhythmic checkpoint (the tab is replaced by its training command without it)."""

from pathlib import Path

import pytest

from studio.media.ffmpeg import probe
from tests.ui.conftest import needs_checkpoint
from tests.ui.entry import fill_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "runs" / "screenshots"


@pytest.fixture(autouse=True)
def _needs_rhythmic():
    needs_checkpoint("rhythmic")


def test_typed_text_becomes_an_mp4_with_h264_video_and_aac_sound(page, tmp_path):
    page.get_by_role("tab", name="Talk").click()
    fill_text(page, "#talk-text textarea", "Hello from the Talk tab.")
    page.locator("label", has_text="128").click()
    page.locator("#talk-button").click()
    page.wait_for_function(
        "() => { const v = document.querySelector('#talk-video video');"
        " return v && v.src && v.src.includes('.mp4'); }"
    )
    page.wait_for_selector("#talk-info >> text=of video per second")
    page.wait_for_function(  # pose curves, jawOpen and the audio's beats
        "() => { const p = document.querySelector('#talk-plot .js-plotly-plot');"
        " return p && p.data && p.data.length === 4; }"
    )
    src = page.evaluate("() => document.querySelector('#talk-video video').src")
    response = page.request.get(src)
    assert response.ok
    clip = tmp_path / "talk.mp4"
    clip.write_bytes(response.body())
    info = probe(clip)
    assert info.video_codec == "h264" and (info.width, info.height) == (128, 128)
    assert info.has_audio and info.audio_rate == 16000 and info.duration > 1.0
    page.wait_for_function(  # the browser can play it: it knows its length
        "() => { const v = document.querySelector('#talk-video video');"
        " return v && v.readyState >= 1 && v.duration > 1; }"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "talk.png"), full_page=True)


def test_empty_text_gets_a_message_not_an_error_badge(page):
    page.get_by_role("tab", name="Talk").click()
    fill_text(page, "#talk-text textarea", "   ")
    page.locator("#talk-button").click()
    page.wait_for_selector("#talk-info >> text=Type something to say")


def test_speak_draws_an_irfd_person_saying_typed_text(page, tmp_path):
    needs_checkpoint("speak")
    page.get_by_role("tab", name="Talk").click()
    fill_text(page, "#talk-text textarea", "Speak to me.")
    box = page.locator("#talk-renderer input")
    box.click()
    box.fill("speak")
    box.press("Enter")
    # the choices follow the renderer: IRFD's people in, the rig's people and Size out
    page.wait_for_selector("text=Person (SPEAK: IRFD's)")
    page.locator("#talk-size").wait_for(state="hidden")
    page.locator("#talk-button").click()
    page.wait_for_selector("#talk-info >> text=person 1000")
    page.wait_for_selector("#talk-info >> text=SPEAK draws at 128²")
    page.wait_for_function(  # pose curves and beats; no jawOpen: SPEAK's mouth is inside it
        "() => { const p = document.querySelector('#talk-plot .js-plotly-plot');"
        " return p && p.data && p.data.length === 3; }"
    )
    src = page.evaluate("() => document.querySelector('#talk-video video').src")
    clip = tmp_path / "speak.mp4"
    clip.write_bytes(page.request.get(src).body())
    info = probe(clip)
    assert info.video_codec == "h264" and (info.width, info.height) == (128, 128)
    assert info.has_audio and info.duration > 0.5


def test_the_code_choices_appear_only_when_the_emotion_comes_from_a_code(page):
    page.get_by_role("tab", name="Talk").click()
    clip_box = page.get_by_label("SynthTalk clip id", exact=True)
    assert clip_box.count() == 0 or not clip_box.first.is_visible()
    page.get_by_label("JEAN expression code").check()
    page.get_by_label("SynthTalk clip id", exact=True).wait_for(state="visible")
    page.get_by_label("SynthTalk recipe").check()
    page.get_by_label("SynthTalk clip id", exact=True).wait_for(state="hidden")

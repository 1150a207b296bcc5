"""End to end: the Novel-view tab in headless Chromium draws the shipped NeRF when it opens,
re-renders when the yaw moves, and films an orbit video with sound.

Needs the shipped nerf checkpoint (the tab is replaced by its training command without it)."""

from pathlib import Path

import pytest

from studio.media.ffmpeg import probe
from tests.ui.conftest import needs_checkpoint

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "runs" / "screenshots"


@pytest.fixture(autouse=True)
def _needs_nerf():
    needs_checkpoint("nerf")


def _image_src(page) -> str:
    return page.evaluate("() => (document.querySelector('#nerf-view img') || {}).src || ''")


def test_opening_the_tab_draws_a_view_and_the_yaw_slider_turns_it(page):
    page.get_by_role("tab", name="Novel view (NeRF)").click()
    page.wait_for_selector("#nerf-info >> text=yaw +0°")
    first = _image_src(page)
    assert first
    box = page.locator("#nerf-yaw input[type=number]")
    box.fill("30")
    box.press("Enter")
    page.wait_for_selector("#nerf-info >> text=yaw +30°")
    page.wait_for_function(
        "(before) => { const i = document.querySelector('#nerf-view img');"
        " return i && i.src && i.src !== before; }",
        arg=first,
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "novel_view.png"), full_page=True)


def test_orbit_video_is_an_mp4_with_sound(page, tmp_path):
    page.get_by_role("tab", name="Novel view (NeRF)").click()
    page.get_by_text("Orbit video with sound").click()
    page.locator("#nerf-text textarea").fill("Turn around.")
    page.get_by_label("draft (128², faster)").check()
    page.locator("#nerf-orbit-button").click()
    page.wait_for_function(
        "() => { const v = document.querySelector('#nerf-orbit-video video');"
        " return v && v.src && v.src.includes('.mp4'); }"
    )
    page.wait_for_selector("#nerf-orbit-info >> text=frames/s")
    src = page.evaluate("() => document.querySelector('#nerf-orbit-video video').src")
    response = page.request.get(src)
    assert response.ok
    clip = tmp_path / "orbit.mp4"
    clip.write_bytes(response.body())
    info = probe(clip)
    assert info.video_codec == "h264" and (info.width, info.height) == (128, 128)
    assert info.has_audio and info.duration > 0.5


def test_empty_text_gets_a_message(page):
    page.get_by_role("tab", name="Novel view (NeRF)").click()
    page.get_by_text("Orbit video with sound").click()
    page.locator("#nerf-text textarea").fill("  ")
    page.locator("#nerf-orbit-button").click()
    # in the orbit's status line, which stays (the pop-up fades after 10 s)
    page.wait_for_selector("#nerf-orbit-info >> text=Type something to say")

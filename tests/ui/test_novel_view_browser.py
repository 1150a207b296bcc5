"""End to end: the Novel-view tab in headless Chromium draws the shipped NeRF when it opens,
re-renders when the yaw moves, and films an orbit video with sound.

Needs the shipped nerf checkpoint (the tab is replaced by its training command without it)."""

from pathlib import Path

import pytest

from studio.media.ffmpeg import probe
from tests.ui.conftest import needs_checkpoint
from tests.ui.entry import check_box, fill_text, set_slider

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "runs" / "screenshots"
FIT_TIMEOUT_MS = 900_000


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
    set_slider(page, "nerf-yaw", 30)
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
    fill_text(page, "#nerf-text textarea", "Turn around.")
    check_box(page, "#nerf-draft input")
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
    fill_text(page, "#nerf-text textarea", "  ")
    page.locator("#nerf-orbit-button").click()
    # in the orbit's status line, which stays (the pop-up fades after 10 s)
    page.wait_for_selector("#nerf-orbit-info >> text=Type something to say")


@pytest.fixture(scope="module")
def talking_clip(tmp_path_factory) -> Path:
    """A 10.5-s SynthTalk performance with head turns, as an mp4 with sound: a "user's clip"."""
    from studio.media import audio_from_array, write_video
    from studio.papers.nerf.preset import PresetConfig, build_preset, load_preset

    folder = tmp_path_factory.mktemp("talking")
    config = PresetConfig(train_seconds=9.0, held_out_seconds=1.5, ring_every=30, seed=5)
    preset = load_preset(build_preset(config, folder / "preset"))
    path = folder / "my talk.mp4"
    write_video(path, preset["frames"], 25.0, audio_from_array(preset["audio"], 16000))
    return path


def test_fit_to_my_clip_needs_a_video_first(page):
    page.get_by_role("tab", name="Novel view (NeRF)").click()
    page.get_by_text("Fit to my clip").first.click()
    page.locator("#nerf-fit-button").click()
    page.wait_for_selector("#nerf-fit-status >> text=Load your video as the identity source")


def test_fit_to_my_clip_previews_and_adds_the_person(page, talking_clip):
    page.locator("#identity-video input[type=file]").set_input_files(str(talking_clip))
    page.wait_for_selector("#sources-status >> text=my talk.mp4")
    page.get_by_role("tab", name="Novel view (NeRF)").click()
    page.wait_for_selector("#nerf-info >> text=yaw +0°")
    page.get_by_text("Fit to my clip").first.click()
    set_slider(page, "nerf-fit-steps", 10)
    fill_text(page, "#nerf-fit-name textarea", "browser fit")
    page.locator("#nerf-fit-button").click()
    # a real fit (tracking, plates, codes, 10 steps, the occupancy grid): about a minute alone,
    # several while other jobs load the CPU — the ceiling is generous, the wait is for the text
    page.wait_for_selector("#nerf-fit-status >> text=Fitted (10 steps)", timeout=FIT_TIMEOUT_MS)
    page.wait_for_selector("#nerf-fit-preview img")
    page.wait_for_selector("#nerf-about >> text=Your clip")
    page.wait_for_function(
        "() => (document.querySelector('#nerf-person input') || {}).value === 'browser-fit'"
    )
    page.wait_for_selector("#nerf-info >> text=as recorded")  # the view of the new fit
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "novel_view_fit.png"), full_page=True)

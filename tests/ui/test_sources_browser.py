"""End to end: the Sources tab in headless Chromium, driven as a person would."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.ui.entry import fill_text, set_slider

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "runs" / "screenshots"


def _upload(page, elem_id: str, path: Path) -> None:
    page.locator(f"#{elem_id} input[type=file]").set_input_files(str(path))


def _plot_has_data(page, elem_id: str) -> None:
    page.wait_for_function(
        f"() => {{ const p = document.querySelector('#{elem_id} .js-plotly-plot');"
        " return p && p.data && p.data.length > 0; }"
    )


def test_portrait_and_audio_show_overlay_and_plots(page):
    _upload(page, "identity-image", ROOT / "assets" / "portrait.jpg")
    page.wait_for_selector("#overlay img")
    _plot_has_data(page, "blend-plot")
    _plot_has_data(page, "pose-plot")
    page.wait_for_selector("#sources-status >> text=portrait.jpg")
    _upload(page, "driving-audio", ROOT / "assets" / "example_speech.wav")
    _plot_has_data(page, "audio-plot")
    page.wait_for_selector("#sources-status >> text=16 kHz mono")
    bars = page.evaluate(
        "() => Array.from(document.querySelector('#blend-plot .js-plotly-plot')._fullData[0].x)"
    )
    assert len(bars) == 51 and max(bars) > 0.3  # real blendshapes: she smiles
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "sources.png"), full_page=True)


def test_typed_text_is_spoken_and_plotted(page):
    fill_text(page, "#speak-text textarea", "Hello from the studio.")
    page.locator("#speak-button").click()
    _plot_has_data(page, "audio-plot")
    page.wait_for_selector("#sources-status >> text=Hello from the studio")


def test_a_cat_gets_a_clear_message_and_keeps_the_loaded_face(page, tmp_path):
    _upload(page, "identity-image", ROOT / "assets" / "portrait.jpg")
    page.wait_for_selector("#sources-status >> text=portrait.jpg")
    import skimage.data

    cat = tmp_path / "cat.png"
    cv2.imwrite(
        str(cat), cv2.cvtColor(np.ascontiguousarray(skimage.data.chelsea()), cv2.COLOR_RGB2BGR)
    )
    _upload(page, "identity-image", cat)
    page.wait_for_selector("#identity-image img")  # the box shows the cat while it is tracked
    page.wait_for_selector("text=No face found")
    assert page.locator("#sources-status >> text=portrait.jpg").count() == 1
    # the rejected cat leaves the upload box (the session still holds the portrait)
    page.wait_for_function("() => !document.querySelector('#identity-image img')")
    # one message, and every earlier view stays visible and usable: no red "Error" badges
    _no_error_badges(page)
    assert page.locator("#overlay img").count() == 1
    _plot_has_data(page, "blend-plot")
    _plot_has_data(page, "pose-plot")
    assert page.locator("text=No face found").count() == 1


def _no_error_badges(page) -> None:
    """Gradio marks each output of a failed event with a red "Error" badge (status tracker)."""
    page.wait_for_function(  # the event's loading state has ended everywhere
        "() => !document.querySelector('[data-testid=status-tracker] .eta-bar, "
        "[data-testid=status-tracker] .progress-text')"
    )
    assert page.locator("[data-testid=status-tracker] span.error").count() == 0


def test_a_failed_speak_keeps_the_audio_it_had(page):
    fill_text(page, "#speak-text textarea", "Hello from the studio.")
    page.locator("#speak-button").click()
    page.wait_for_selector("#sources-status >> text=Hello from the studio")
    fill_text(page, "#speak-text textarea", "   ")
    page.locator("#speak-button").click()
    page.wait_for_selector("text=The text is empty")
    _no_error_badges(page)
    assert (
        page.locator("#driving-audio audio, #driving-audio [data-testid=waveform-controls]").count()
        >= 1
    )
    _plot_has_data(page, "audio-plot")


def test_a_corrupt_image_gets_a_clear_message(page, tmp_path):
    """Random bytes named .png: the studio's own reader says what is wrong (Gradio's image
    decoding, which would fail with a bare "Error" badge, is skipped)."""
    _upload(page, "identity-image", ROOT / "assets" / "portrait.jpg")
    page.wait_for_selector("#sources-status >> text=portrait.jpg")
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(np.random.default_rng(0).bytes(4096))
    _upload(page, "identity-image", corrupt)
    page.wait_for_selector("text=not a PNG, JPEG")
    assert page.locator("#sources-status >> text=portrait.jpg").count() == 1


def test_an_opencv_mp4v_video_is_shown_playable(page, mp4v_clip):
    """OpenCV's default codec: tracked, and then the box plays an H.264 copy of it."""
    _upload(page, "emotion-video", mp4v_clip)
    page.wait_for_selector("#sources-status >> text=10 frame(s), face in 10")
    page.wait_for_function(
        "() => { const v = document.querySelector('#emotion-video video');"
        " return v && v.readyState >= 1 && v.duration > 0; }",
    )
    # (Gradio's own player still flashes "Video not playable" at the upload itself, before the
    # copy arrives: that check runs in the browser, not in the studio)


def test_a_pose_video_is_tracked_with_a_frame_slider(page, portrait_clip):
    _upload(page, "pose-video", portrait_clip)
    page.wait_for_selector("#sources-status >> text=25 frame(s), face in 25")
    slider = page.locator("#frame-slider input[type=range]")
    slider.wait_for(state="visible")
    assert slider.get_attribute("max") == "24"
    _plot_has_data(page, "pose-plot")
    traces = page.evaluate(
        "() => document.querySelector('#pose-plot .js-plotly-plot')._fullData.map(d => d.x.length)"
    )
    assert traces[:3] == [25, 25, 25]  # yaw, pitch, roll over the clip
    # a typed frame number (and an arrow key) shows that frame, not only a mouse drag
    before = page.evaluate("() => document.querySelector('#overlay img').src")
    set_slider(page, "frame-slider", 20)
    page.wait_for_function(f"() => document.querySelector('#overlay img').src !== {before!r}")
    after_typed = page.evaluate("() => document.querySelector('#overlay img').src")
    slider.focus()
    slider.press("ArrowLeft")
    page.wait_for_function(f"() => document.querySelector('#overlay img').src !== {after_typed!r}")


def test_benchmarks_tab_shows_measured_tables(page):
    page.get_by_role("tab", name="Benchmarks").click()
    page.wait_for_selector("#bench-table >> text=measured")
    # the bars first, then the remaining metrics grouped (each group its own table)
    assert page.locator("#bench-table table").count() >= 1
    assert "met" in page.locator("#bench-table table").first.inner_text()


def test_a_photo_is_a_pose_and_an_emotion_source(page):
    _upload(page, "emotion-image", ROOT / "assets" / "portrait.jpg")
    page.wait_for_selector("#sources-status >> text=portrait.jpg: 1 frame(s), face in 1")
    _plot_has_data(page, "blend-plot")
    _upload(page, "pose-image", ROOT / "assets" / "portrait.jpg")
    page.wait_for_function(
        "() => document.querySelector('#sources-status').textContent"
        ".split('portrait.jpg: 1 frame(s), face in 1').length === 3"
    )


def test_stereo_48k_audio_says_it_was_converted(page, tmp_path):
    import soundfile as sf

    rate = 48000
    t = np.arange(rate) / rate
    tone = 0.3 * np.stack([np.sin(2 * np.pi * 220 * t), np.sin(2 * np.pi * 330 * t)], 1)
    sf.write(tmp_path / "stereo48k.wav", tone.astype(np.float32), rate)
    _upload(page, "driving-audio", tmp_path / "stereo48k.wav")
    page.wait_for_selector("text=converted from 48 kHz stereo to 16 kHz mono")
    page.wait_for_selector("#sources-status >> text=converted from 48 kHz, 2 ch")

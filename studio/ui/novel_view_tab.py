"""The Novel-view tab: the shipped Talking NeRF of one SynthTalk person, rendered live from any
camera. Sliders draw a 128² draft while they move and the full 256² frame when they stop (as the
nerfstudio viewer does); the time scrubber walks the fitted clip; an emotion replaces the clip's
expression code; an orbit video with sound films the head saying other words."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import cv2
import gradio as gr
import numpy as np

from studio.errors import StudioError
from studio.papers.nerf.drive import (
    clip_drive,
    drive,
    render_orbit,
    speech_for,
    write_orbit,
)
from studio.papers.nerf.render import Quality, View, shipped_renderer
from studio.sources import Sources
from studio.ui.errors import user_errors

OWN = "the clip's own"
SAID = ("typed text", "the Sources tab's driving audio", "the fitted clip's own audio")
EXAMPLE_TEXT = "Look at me from the side while I talk about the weather."


def render_view(
    frame: int,
    yaw: float,
    pitch: float,
    distance: float,
    follow: bool,
    emotion: str,
    draft: bool,
) -> tuple[np.ndarray, str]:
    """One frame of the fitted clip from the sliders' camera, and what it cost."""
    renderer = shipped_renderer()
    fitted = renderer.fitted
    t = int(np.clip(frame, 0, fitted.n_frames - 1))
    view = View(float(yaw), float(pitch), float(distance), fitted.pose6[t] if follow else None)
    expression = fitted.expression_codes[t] if emotion == OWN else fitted.emotion_code(emotion)
    quality = Quality.DRAFT if draft else Quality.FULL
    start = time.perf_counter()
    image = renderer.render(view, fitted.audio_codes[t], expression, quality)
    ms = (time.perf_counter() - start) * 1000
    side = quality.value[1]
    if side < 256:  # shown at the full frame's size, so the view does not jump while dragging
        image = cv2.resize(image, (256, 256), interpolation=cv2.INTER_LINEAR)
    said = fitted.emotions[t]
    note = (
        f"frame {t} ({t / 25:.2f} s, the clip shows *{said}*) · yaw {yaw:+.0f}°, pitch "
        f"{pitch:+.0f}°, {distance:.0f} cm · {side}² {'draft' if draft else 'full'} in {ms:.0f} ms"
    )
    return image, note


def _about(fitted) -> str:
    card = fitted.card
    train = card["training"]
    data = card["data"]
    m = card.get("metrics", {})
    measured = ""
    if "held_out_psnr_256" in m:
        measured = (
            f" Held-out frames: {m['held_out_psnr_256']:.1f} dB PSNR (head region "
            f"{m['held_out_psnr_head_256']:.1f}); novel views at ±20° yaw "
            f"{m['ring_psnr_yaw20']:.1f} dB, at ±40° {m['ring_psnr_yaw40']:.1f} dB "
            "(`python -m studio.bench nerf`)."
        )
    return (
        f"A Talking NeRF fitted to one SynthTalk person ({data['train_frames']} training frames, "
        f"{train['minutes']:.0f} CPU-minutes): a tri-plane dual field (AE-NeRF) conditioned on "
        "JEAN's audio and expression codes renders a 64² feature map that a conv upsampler "
        "turns into the image (Disentangling Head NeRF). The camera orbits the head; "
        "*head moves as in the clip* adds the frame's own head pose." + measured + " Fitting a "
        "NeRF to your own clip is not built yet: `python -m studio.nerf fit` fits the SynthTalk "
        "preset."
    )


def build_novel_view_tab(state: gr.State) -> dict:
    fitted = shipped_renderer().fitted
    emotions = [OWN] + sorted(set(fitted.emotions))
    gr.Markdown(_about(fitted))
    with gr.Row():
        with gr.Column():
            image = gr.Image(label="Novel view", elem_id="nerf-view", height=320, format="png")
            info = gr.Markdown(elem_id="nerf-info")
        with gr.Column():
            yaw = gr.Slider(-45, 45, value=0, step=1, label="yaw (°)", elem_id="nerf-yaw")
            pitch = gr.Slider(-25, 25, value=0, step=1, label="pitch (°)", elem_id="nerf-pitch")
            distance = gr.Slider(50, 110, value=72, step=1, label="distance (cm)")
            frame = gr.Slider(
                0, fitted.n_frames - 1, value=0, step=1, label="time (frame of the fitted clip)",
                elem_id="nerf-time",
            )  # fmt: skip
            with gr.Row():
                follow = gr.Checkbox(True, label="head moves as in the clip")
                emotion = gr.Dropdown(emotions, value=OWN, label="expression")
    with gr.Accordion("Orbit video with sound", open=False):
        with gr.Row():
            with gr.Column():
                said = gr.Radio(list(SAID), value=SAID[0], label="What is said")
                text = gr.Textbox(EXAMPLE_TEXT, label="Text", lines=2, elem_id="nerf-text")
                orbit_emotion = gr.Dropdown(
                    emotions[1:], value="happy" if "happy" in emotions else emotions[1],
                    label="expression",
                )  # fmt: skip
                max_yaw = gr.Slider(5, 45, value=35, step=1, label="orbit ±yaw (°)")
                draft_video = gr.Checkbox(False, label="draft (128², faster)")
                orbit_btn = gr.Button("Render orbit video", elem_id="nerf-orbit-button")
            with gr.Column():
                video = gr.Video(label="Orbit (mp4 with sound)", elem_id="nerf-orbit-video")
                orbit_info = gr.Markdown(elem_id="nerf-orbit-info")

    view_inputs = [frame, yaw, pitch, distance, follow, emotion]

    @user_errors
    def draft_view(*args):
        return render_view(*args, draft=True)

    @user_errors
    def full_view(*args):
        return render_view(*args, draft=False)

    for slider in (yaw, pitch, distance, frame):
        slider.input(draft_view, view_inputs, [image, info], trigger_mode="always_last")
        slider.release(full_view, view_inputs, [image, info], trigger_mode="always_last")
    for control in (follow, emotion):
        control.change(full_view, view_inputs, [image, info])

    def orbit_not_made(error, *_args, **_kwargs):
        return gr.skip(), f"**Not made:** {error}"

    @user_errors(on_error=orbit_not_made)
    def orbit(said_, text_, emotion_, max_yaw_, draft_, sources: Sources | None,
              progress=gr.Progress()):  # fmt: skip
        renderer = shipped_renderer()
        f = renderer.fitted
        if said_ == SAID[2]:
            driven = clip_drive(f, 0, 100)
        else:
            if said_ == SAID[1]:
                if sources is None or sources.audio is None:
                    raise StudioError("No driving audio in the Sources tab — upload one there")
                audio = sources.audio.audio
            else:
                audio = speech_for(f, text_, emotion_)
            driven = drive(f, audio, emotion_)
        start = time.perf_counter()
        frames = render_orbit(
            renderer, driven, max_yaw=float(max_yaw_),
            quality=Quality.DRAFT if draft_ else Quality.FULL,
            done=lambda i, n: progress(i / n, desc=f"frame {i}/{n}"),
        )  # fmt: skip
        path = write_orbit(
            Path(tempfile.mkdtemp(prefix="orbit_")) / "orbit.mp4", frames, driven.audio
        )
        seconds = time.perf_counter() - start
        return str(path), (
            f"{len(frames) / 25:.1f} s of {frames.shape[1]}² video with sound in {seconds:.1f} s "
            f"({len(frames) / seconds:.1f} frames/s)."
        )

    orbit_btn.click(
        orbit, [said, text, orbit_emotion, max_yaw, draft_video, state], [video, orbit_info]
    )
    # the first frame when the tab opens
    return {
        "view": image,
        "on_select": dict(fn=full_view, inputs=view_inputs, outputs=[image, info]),
    }

"""The Novel-view tab: a fitted Talking NeRF — the shipped SynthTalk person or a fit of the
user's own clip — rendered live from any camera. Sliders draw a 128² draft while they move and
the full 256² frame when they stop (as the nerfstudio viewer does); the time scrubber walks the
fitted clip; an emotion replaces the clip's expression code; an orbit video with sound films the
head saying other words; "Fit to my clip" fits the Sources tab's video with a live preview."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import cv2
import gradio as gr
import numpy as np

from studio.errors import StudioError
from studio.media.video import Video
from studio.papers.nerf.clip import MIN_SECONDS
from studio.papers.nerf.drive import (
    clip_drive,
    drive,
    render_orbit,
    speech_for,
    write_orbit,
)
from studio.papers.nerf.render import NerfRenderer, Quality, View, shipped_renderer
from studio.papers.nerf.user_fits import (
    FITS,
    MINUTES_PER_STEP,
    fit_name,
    fit_user_clip,
    fitted_folders,
    renderer_of,
)
from studio.sources import Sources
from studio.ui.components import AtomicImage
from studio.ui.errors import user_errors

OWN = "the clip's own"
SAID = ("typed text", "the Sources tab's driving audio", "the fitted clip's own audio")
EXAMPLE_TEXT = "Look at me from the side while I talk about the weather."
SHIPPED = "SynthTalk person 32 (shipped)"
POLL_S = 1.0  # how often a running fit's preview is looked at


def people() -> list[str]:
    """The shipped person, then the user's fits (newest first)."""
    return [SHIPPED] + [folder.name for folder in fitted_folders()]


def renderer_for(person: str | None) -> NerfRenderer:
    return shipped_renderer() if person in (None, "", SHIPPED) else renderer_of(FITS / person)


def expressions(fitted) -> list[str]:
    return [OWN] + sorted(set(fitted.emotions) - {OWN})


def render_view(
    person: str,
    frame: int,
    yaw: float,
    pitch: float,
    distance: float,
    follow: bool,
    emotion: str,
    draft: bool,
) -> tuple[np.ndarray, str]:
    """One frame of the fitted clip from the sliders' camera, and what it cost."""
    renderer = renderer_for(person)
    fitted = renderer.fitted
    t = int(np.clip(frame, 0, fitted.n_frames - 1))
    view = View(float(yaw), float(pitch), float(distance), fitted.pose6[t] if follow else None)
    expression = fitted.expression_codes[t] if emotion == OWN else fitted.emotion_code(emotion)
    quality = Quality.DRAFT if draft else Quality.FULL
    start = time.perf_counter()
    image = renderer.render(view, fitted.audio_codes[t], expression, quality, fitted.plate(t))
    ms = (time.perf_counter() - start) * 1000
    side = quality.value[1]
    if side < 256:  # shown at the full frame's size, so the view does not jump while dragging
        image = cv2.resize(image, (256, 256), interpolation=cv2.INTER_LINEAR)
    said = fitted.emotions[t]
    note = (
        f"frame {t} ({t / 25:.2f} s, the clip shows *{said}*) · yaw {yaw:+.0f}°, pitch "
        f"{pitch:+.0f}°, {distance:.0f} cm · {side}² {'draft' if draft else 'full'} in {ms:.0f} ms"
    )
    if draft:  # Gradio fires `release` when the thumb is let go or a typed box loses focus
        note += " (256² when the slider is let go, or when a typed value's box is left)"
    return image, note


def _about(fitted) -> str:
    if fitted.is_user_clip:
        return _about_user_fit(fitted)
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
        "*head moves as in the clip* adds the frame's own head pose." + measured + " Fit your "
        "own clip below, or with `python -m studio.nerf fit my_clip.mp4`."
    )


def _about_user_fit(fitted) -> str:
    card = fitted.card
    curve = card["training"]["curve"]
    psnr = f", held-out face {curve[-1]['psnr256']:.1f} dB PSNR" if curve else ""
    return (
        f"Your clip *{card['data']['preset_config']['source']}*: {card['data']['train_frames']} "
        f"training frames, {card['training']['steps']} steps in {card['training']['minutes']:.1f} "
        f"CPU-minutes{psnr}. The field draws the **face** (the tracked face oval); hair, neck, "
        "torso and background are the clip's own frame with the face inpainted, so nothing "
        "tears at the neck while the head moves as in the clip. Turned far from the clip's "
        "pose, the face turns but the frame's hair and ears stay where they were."
    )


def build_novel_view_tab(state: gr.State) -> dict:
    fitted = shipped_renderer().fitted
    emotions = expressions(fitted)
    with gr.Row():
        person = gr.Dropdown(
            people(), value=SHIPPED, label="Fitted person", elem_id="nerf-person", scale=1
        )
        about = gr.Markdown(_about(fitted), elem_id="nerf-about")
    with gr.Row():
        with gr.Column():
            image = AtomicImage(label="Novel view", elem_id="nerf-view", height=320, format="png")
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
                draft_video = gr.Checkbox(False, label="draft (128², faster)", elem_id="nerf-draft")
                orbit_btn = gr.Button("Render orbit video", elem_id="nerf-orbit-button")
            with gr.Column():
                video = gr.Video(label="Orbit (mp4 with sound)", elem_id="nerf-orbit-video")
                orbit_info = gr.Markdown(elem_id="nerf-orbit-info")

    with gr.Accordion("Fit to my clip", open=False):
        gr.Markdown(
            f"Fits a field to the **identity video loaded in the Sources tab** ({MIN_SECONDS:.0f}"
            "–60 s, one face talking, with sound): the face is tracked, posed and cropped, and "
            f"the field learns it (about {MINUTES_PER_STEP * 1000:.0f} CPU-minutes per 1,000 "
            "steps here). A held-out frame (truth | render) shows how far it has got; a stopped "
            "fit resumes when you fit the same name again."
        )
        with gr.Row():
            fit_steps = gr.Slider(10, 8000, value=2000, step=10, label="steps",
                                  elem_id="nerf-fit-steps")  # fmt: skip
            fit_label = gr.Textbox(label="name of the fit (default: the video's name)",
                                   elem_id="nerf-fit-name")  # fmt: skip
        with gr.Row():
            fit_btn = gr.Button("Fit to my clip", variant="primary", elem_id="nerf-fit-button")
            stop_btn = gr.Button("Stop", elem_id="nerf-fit-stop")
        with gr.Row():
            fit_preview = AtomicImage(label="held-out frame: truth | render", height=256,
                                   elem_id="nerf-fit-preview")  # fmt: skip
            fit_status = gr.Markdown(elem_id="nerf-fit-status")

    view_inputs = [person, frame, yaw, pitch, distance, follow, emotion]

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

    @user_errors
    def switch_person(person_):
        f = renderer_for(person_).fitted
        emotions_ = expressions(f)
        return (
            _about(f),
            gr.update(maximum=f.n_frames - 1, value=0),
            gr.update(choices=emotions_, value=OWN),
            gr.update(choices=emotions_[1:] or [OWN], value=(emotions_[1:] or [OWN])[0]),
        )

    person.change(switch_person, [person], [about, frame, emotion, orbit_emotion]).then(
        full_view, view_inputs, [image, info]
    )

    def orbit_not_made(error, *_args, **_kwargs):
        return gr.skip(), f"**Not made:** {error}"

    @user_errors(on_error=orbit_not_made)
    def orbit(person_, said_, text_, emotion_, max_yaw_, draft_, sources: Sources | None,
              progress=gr.Progress()):  # fmt: skip
        renderer = renderer_for(person_)
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
        orbit, [person, said, text, orbit_emotion, max_yaw, draft_video, state],
        [video, orbit_info],
    )  # fmt: skip

    def fit_not_made(error, *_args, **_kwargs):
        return gr.skip(), f"**Not fitted:** {error}", gr.skip()

    @user_errors(on_error=fit_not_made)
    def fit_clip(steps, label, sources: Sources | None):
        src = None if sources is None else sources.identity
        if src is None or src.is_image:
            raise StudioError(
                "Load your video as the identity source in the Sources tab first "
                f"({MIN_SECONDS:.0f}–60 s, one face talking, with sound)"
            )
        folder = FITS / fit_name(label or src.name)
        video = Video(src.frames, src.fps, src.audio, src.name)
        job = _FitJob(video, folder, int(steps))
        try:
            seen = None
            while job.running(POLL_S):
                preview = folder / "run" / "preview.png"
                stamp = preview.stat().st_mtime_ns if preview.exists() else None
                shown = str(preview) if stamp != seen and stamp is not None else gr.skip()
                seen = stamp
                yield shown, job.status, gr.skip()
            job.result()  # raises the fit's StudioError (a bad clip, Stop) here
            preview = folder / "run" / "preview.png"
            yield (
                str(preview) if preview.exists() else gr.skip(),
                f"**Fitted** ({int(steps)} steps) in {job.minutes:.1f} min: *{folder.name}* is "
                "now in the Fitted-person list.",
                gr.update(choices=people(), value=folder.name),
            )
        finally:
            job.stop.set()  # Stop, or the page closed: the fit ends at its next log row

    fitting = fit_btn.click(
        fit_clip, [fit_steps, fit_label, state], [fit_preview, fit_status, person]
    )
    stop_btn.click(
        lambda: "**Stopped.** The run is kept: fit the same name again to resume it.",
        None, fit_status, cancels=[fitting],
    )  # fmt: skip
    # the first frame when the tab opens
    return {
        "view": image,
        "on_select": dict(fn=full_view, inputs=view_inputs, outputs=[image, info]),
    }


class _FitJob:
    """A fit running in a thread, so that the tab can stream its preview while it learns."""

    def __init__(self, video: Video, folder: Path, steps: int):
        self.stop = threading.Event()
        self.status = "starting: tracking the clip"
        self.minutes = 0.0
        self._error: BaseException | None = None
        self._start = time.perf_counter()
        self._thread = threading.Thread(
            target=self._run, args=(video, folder, steps), daemon=True, name="nerf-fit"
        )
        self._thread.start()

    def _run(self, video: Video, folder: Path, steps: int) -> None:
        try:
            fit_user_clip(video, folder, steps, self._say, self.stop.is_set)
        except BaseException as error:  # handed to the UI thread by result()
            self._error = error
        self.minutes = (time.perf_counter() - self._start) / 60

    def _say(self, message: str) -> None:
        self.status = message

    def running(self, wait_s: float) -> bool:
        self._thread.join(wait_s)
        return self._thread.is_alive()

    def result(self) -> None:
        if self._error is not None:
            raise self._error

"""The Sources tab: upload or synthesise the inputs, and see what the tracker reads from them.

Event handlers here only call `studio.sources` and `studio.ui.figures`; they keep no logic.
"""

from __future__ import annotations

import dataclasses
import functools

import gradio as gr
import numpy as np
from gradio.components.plot import PlotData

from studio.paths import ASSETS
from studio.sources import (
    AudioSource,
    FaceSource,
    Sources,
    load_audio_source,
    load_face_source,
    playable_preview,
    speak_source,
)
from studio.speech import list_voices
from studio.ui.components import AtomicAudio, AtomicImage
from studio.ui.errors import user_errors
from studio.ui.figures import audio_figure, blendshape_bars, frozen_plot, pose_over_time

EXAMPLE_PORTRAIT = ASSETS / "portrait.jpg"
EXAMPLE_SPEECH = ASSETS / "example_speech.wav"
ROLES = {"identity": "identity", "pose source": "pose", "emotion source": "emotion"}


VOICE_VARIANTS = ("", "+f2", "+f4", "+m3", "+m7", "+klatt")


def _voice_choices() -> list[tuple[str, str]]:
    """(label, value) pairs: each English voice by language code, with a few variants."""
    try:
        voices = [(v.name, v.languages[0]) for v in list_voices("en") if v.languages]
    except Exception:  # the dropdown must never stop the app from starting
        voices = [("English (America)", "en-us")]
    return [
        (f"{name}{' ' + variant[1:] if variant else ''}", code + variant)
        for name, code in voices
        if code != "en-shaw"
        for variant in VOICE_VARIANTS
    ]


@dataclasses.dataclass(frozen=True)
class _Examples:
    """The shipped examples with what "Load examples" shows of them, built once per process
    and shared by every session (arrays read-only; figures as serialised plot data)."""

    face: FaceSource
    speech: AudioSource
    overlay: np.ndarray
    blendshapes: PlotData
    pose: PlotData
    audio: PlotData


@functools.lru_cache(maxsize=1)
def _examples() -> _Examples:
    """Why once: each session's "Load examples" tracked the portrait again and built three
    plotly figures, ≈ 0.3 s of CPU; at 8 sessions, building plotly figures (these and the
    uploads') held the server's GIL a quarter of the time (plotly validates in Python)."""
    face = load_face_source(EXAMPLE_PORTRAIT, role="identity")
    speech = load_audio_source(EXAMPLE_SPEECH)
    overlay, _, blend, pose = _view(face, 0)
    audio = audio_figure(speech.audio.samples, speech.mel, speech.speech, _audio_title(speech))
    for array in (face.frames, speech.audio.samples, speech.mel, overlay):
        array.flags.writeable = False
    return _Examples(face, speech, overlay, *(frozen_plot(f) for f in (blend, pose, audio)))


def _audio_title(item: AudioSource) -> str:
    return f"Driving audio — {item.name}"


def _view(source: FaceSource | None, t: int = 0):
    """Overlay, slider, blendshape bars and pose plot for one face source at frame t."""
    if source is None:
        return None, gr.update(value=0, maximum=1, visible=False), None, None
    t = int(min(max(t, 0), len(source.frames) - 1))
    track = source.track
    blend_title = f"Blendshapes — {source.name}, frame {t}"
    blend = blendshape_bars(track.blendshapes[t], blend_title) if track.found[t] else None
    return (
        source.overlay(t),
        _frame_slider(source, t),
        blend,
        pose_over_time(track, current=t, title=f"Head pose — {source.name}"),
    )


def _frame_slider(source: FaceSource, t: int):
    return gr.update(value=t, maximum=max(len(source.frames) - 1, 1), visible=not source.is_image)


def _status(sources: Sources) -> str:
    rows = ["| source | loaded |", "|---|---|"]
    for label, attr in (
        ("identity", "identity"),
        ("driving audio", "audio"),
        ("pose source", "pose"),
        ("emotion source", "emotion"),
    ):
        item = getattr(sources, attr)
        if item is None:
            rows.append(f"| {label} | — |")
        elif attr == "audio":
            a = item.audio
            converted = (
                f" (converted from {a.source_rate / 1000:g} kHz, {a.source_channels} ch)"
                if (a.source_rate, a.source_channels) != (a.sample_rate, 1)
                else ""
            )
            rows.append(f"| {label} | {item.name}: {a.duration:.1f} s, 16 kHz mono{converted} |")
        else:
            found = int(item.track.found.sum())
            rows.append(f"| {label} | {item.name}: {len(item.frames)} frame(s), face in {found} |")
    return "\n".join(rows)


def _playable_preview(path: str, source: FaceSource) -> str | dict:
    """The upload box's new value: a copy the browser can play, or no change."""
    copy = playable_preview(path, source)
    return str(copy) if copy is not None else gr.update()


def _upload_path(upload) -> str | None:
    """The file path of an upload, given raw (`preprocess=False`: a FileData dict) or as a path."""
    if isinstance(upload, dict):
        return upload.get("path")
    return getattr(upload, "path", upload)


def _photo_box(label: str, elem_id: str) -> AtomicImage:
    return AtomicImage(
        label=label,
        type="filepath",
        image_mode=None,
        sources=["upload"],
        height=160,
        elem_id=elem_id,
    )


def _reject_upload(_error, *_args, **_kwargs):
    """A rejected file leaves its box (the box never shows what is not loaded); the session's
    sources and every view stay as they were."""
    return (*[gr.skip()] * 7, None)


def build_sources_tab(state: gr.State) -> None:
    """Lay out the tab inside an open `gr.Blocks` and wire its events to `state` (a `Sources`)."""
    gr.Markdown(
        "Upload the inputs of a talking head, or use the examples. Every face is "
        "tracked (478 landmarks, 52 blendshapes, head pose); audio is shown as a "
        "waveform and a log-mel spectrogram."
    )
    with gr.Row():
        with gr.Column():
            identity_image = AtomicImage(
                label="Identity image",
                type="filepath",
                image_mode=None,
                sources=["upload"],
                height=220,
                elem_id="identity-image",
            )
            identity_video = gr.Video(
                label="…or identity video", sources=["upload"], height=220, elem_id="identity-video"
            )
        with gr.Column():
            audio_in = AtomicAudio(
                label="Driving audio", type="filepath", sources=["upload"], elem_id="driving-audio"
            )
            text_in = gr.Textbox(
                label="…or type text to speak",
                elem_id="speak-text",
                placeholder="The quick brown fox jumps over the lazy dog.",
            )
            with gr.Row():
                voice = gr.Dropdown(_voice_choices(), value="en-us", label="Voice", scale=2)
                speak_btn = gr.Button("Speak", scale=1, elem_id="speak-button")
        with gr.Column():
            with gr.Row():  # a video, or one photo (a pose or an expression held still)
                pose_video = gr.Video(
                    label="Pose-source video", sources=["upload"], height=160, elem_id="pose-video"
                )
                pose_image = _photo_box("…or photo", "pose-image")
            with gr.Row():
                emotion_video = gr.Video(
                    label="Emotion-source video",
                    sources=["upload"],
                    height=160,
                    elem_id="emotion-video",
                )
                emotion_image = _photo_box("…or photo", "emotion-image")
    example_btn = gr.Button(
        "Load the example sources (portrait + synthesised speech)", elem_id="examples-button"
    )
    status = gr.Markdown(_status(Sources()), elem_id="sources-status")
    with gr.Row():
        with gr.Column(scale=2):
            show = gr.Radio(list(ROLES), value="identity", label="Show")
            overlay = AtomicImage(
                label="Tracked landmarks", interactive=False, elem_id="overlay", height=420
            )
            frame = gr.Slider(
                0, 1, value=0, step=1, label="Frame", visible=False, elem_id="frame-slider"
            )
            pose_plot = gr.Plot(label="Head pose (over time for a video)", elem_id="pose-plot")
        with gr.Column(scale=1):
            blend_plot = gr.Plot(label="Blendshapes", elem_id="blend-plot")
    audio_plot = gr.Plot(label="Audio", elem_id="audio-plot")
    view_outputs = [overlay, frame, blend_plot, pose_plot]

    def load_face(upload, sources: Sources, label: str, progress=gr.Progress()):
        path = _upload_path(upload)
        if not path:
            return (sources, _status(sources), gr.update(), *[gr.update()] * 5)
        role = ROLES[label]

        def tick(i: int) -> None:
            progress((i + 1, None), desc=f"tracking the {label}", unit="frames")

        source = load_face_source(path, role=label, progress=tick)
        for note in source.notes:
            gr.Warning(note)
        sources = dataclasses.replace(sources, **{role: source})
        preview = _playable_preview(path, source)
        return (sources, _status(sources), gr.update(value=label), *_view(source, 0), preview)

    face_outputs = [state, status, show, *view_outputs]
    for component, label in (
        (identity_image, "identity"),
        (identity_video, "identity"),
        (pose_video, "pose source"),
        (pose_image, "pose source"),
        (emotion_video, "emotion source"),
        (emotion_image, "emotion source"),
    ):
        component.upload(
            user_errors(
                lambda p, s, _label=label, progress=gr.Progress(): load_face(
                    p, s, _label, progress
                ),
                on_error=_reject_upload,
            ),
            [component, state],
            [*face_outputs, component],
            concurrency_limit=2,
            api_name=f"upload_{component.elem_id.replace('-', '_')}",
            # the raw upload: Gradio's own image decoding would fail on a corrupt file with
            # no message; `load_face_source` reads it and says what is wrong
            preprocess=False,
        )

    @user_errors
    def show_source(label: str, t: int, sources: Sources):
        return _view(getattr(sources, ROLES[label]), t)

    show.change(show_source, [show, frame, state], view_outputs, show_progress="hidden")
    # every user move (drag, arrow keys, a typed number); only the latest is rendered
    frame.input(
        show_source,
        [show, frame, state],
        view_outputs,
        show_progress="hidden",
        trigger_mode="always_last",
    )

    def audio_result(sources: Sources):
        item = sources.audio
        fig = audio_figure(item.audio.samples, item.mel, item.speech, _audio_title(item))
        return sources, _status(sources), fig

    @user_errors
    def load_audio(path, sources: Sources):
        if not path:
            return sources, _status(sources), gr.update()
        source = load_audio_source(path)
        for note in source.notes:
            gr.Warning(note)
        return audio_result(dataclasses.replace(sources, audio=source))

    @user_errors
    def speak(text: str, voice_name: str, sources: Sources):
        source = speak_source(text, voice=voice_name)
        sources = dataclasses.replace(sources, audio=source)
        return (*audio_result(sources), (source.audio.sample_rate, source.audio.samples))

    audio_in.upload(load_audio, [audio_in, state], [state, status, audio_plot])
    speak_btn.click(
        speak, [text_in, voice, state], [state, status, audio_plot, audio_in], api_name="speak"
    )
    text_in.submit(speak, [text_in, voice, state], [state, status, audio_plot, audio_in])

    @user_errors
    def load_examples(sources: Sources, progress=gr.Progress()):
        progress(0.1, desc="tracking the example portrait, reading the example speech")
        ex = _examples()
        sources = dataclasses.replace(sources, identity=ex.face, audio=ex.speech)
        return (
            sources,
            _status(sources),
            gr.update(value="identity"),
            ex.overlay,
            _frame_slider(ex.face, 0),
            ex.blendshapes,
            ex.pose,
            ex.audio,
            str(EXAMPLE_PORTRAIT),
            str(EXAMPLE_SPEECH),
        )

    example_btn.click(
        load_examples,
        [state],
        [state, status, show, *view_outputs, audio_plot, identity_image, audio_in],
        api_name="load_examples",
    )

"""The Talk tab: a SynthTalk person says typed text or the Sources tab's audio, with head motion
predicted from the audio (Rhythmic Head Motion), copied from the pose source, or still, and an
emotion from SynthTalk's recipe or a JEAN expression code. Output: an mp4 with sound, and a
debug view (render beside its landmarks, pose curves with the audio's beats)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import gradio as gr
import numpy as np
import plotly.graph_objects as go

from studio.errors import StudioError
from studio.eval.motion import audio_beats
from studio.irfd.talk import RENDERER as SPEAK
from studio.irfd.talk import talk_speak
from studio.media import write_video
from studio.nerf.talk import RENDERER as NERF
from studio.nerf.talk import talk_nerf
from studio.nn.checkpoints import checkpoint_exists
from studio.papers.irfd.sources import HELD_OUT_IDS as SPEAK_PEOPLE
from studio.papers.irfd.speak.drive import load_speak
from studio.papers.jean.interpolation import SOURCE_KINDS, code_from_choice
from studio.papers.nerf.render import shipped_renderer
from studio.papers.rhythmic.renderers import RENDERERS
from studio.papers.rhythmic.talk import MOTIONS, TalkRequest, TalkResult, talk
from studio.render.camera import Camera
from studio.sources import Sources
from studio.synth.corpus import PRESETS
from studio.synth.emotions import EMOTIONS
from studio.synth.identity import sample_identity
from studio.synth.renderer import HeadRenderer
from studio.ui.errors import user_errors

PEOPLE = list(range(PRESETS["default"].train_identities + PRESETS["default"].held_out_identities))
SAID = ("typed text", "the Sources tab's driving audio")
EMOTION_FROM = ("SynthTalk recipe", "JEAN expression code")
EXAMPLE_TEXT = "Hello! I am a synthetic person, and today I will tell you about my day."


def renderer_names() -> list[str]:
    """The renderers that exist here: the SynthTalk rig, the NeRF once it is fitted, SPEAK
    once it is trained."""
    fitted = [name for name in (NERF, SPEAK) if checkpoint_exists(name)]
    return list(RENDERERS) + fitted


def request_from(
    person,
    speak_person,
    said,
    text,
    motion,
    emotion_from,
    emotion,
    intensity,
    kind,
    label,
    clip,
    renderer,
    size,
    sources: Sources | None,
) -> TalkRequest:
    """The tab's choices as a TalkRequest (raises StudioError for missing sources)."""
    request = TalkRequest(
        identity=int(speak_person if renderer == SPEAK else person),
        text=text if said == SAID[0] else None,
        motion=motion,
        emotion=emotion,
        intensity=int(intensity),
        renderer=renderer,
        size=int(size),
    )
    if said == SAID[1]:
        if sources is None or sources.audio is None:
            raise StudioError("No driving audio in the Sources tab — upload or speak one there")
        request.audio = sources.audio.audio
    pose = sources.pose if sources is not None else None
    if pose is not None:
        request.pose6 = pose.track.pose6
        if motion == "predicted" and pose.audio is not None:  # its style, not SynthTalk's
            request.reference_pose6, request.reference_audio = pose.track.pose6, pose.audio.samples
    if emotion_from == EMOTION_FROM[1]:
        request.expression_code = code_from_choice(kind, label, clip, sources)
    return request


def debug_frames(result: TalkResult) -> np.ndarray:
    """Each frame beside a copy with the rig's landmarks drawn (what drove the render)."""
    size = result.frames.shape[1]
    head = HeadRenderer(sample_identity(result.identity).look, size)
    camera = Camera(size=size)
    out = np.empty((len(result.frames), size, 2 * size, 3), np.uint8)
    for i, (frame, bs, pose) in enumerate(
        zip(result.frames, result.blendshapes, result.pose6, strict=True)
    ):
        points = camera.project(head.landmarks_3d(bs, pose))[:, :2]
        marked = (frame * 0.5).astype(np.uint8)
        for x, y in points[::2].round().astype(int):
            cv2.circle(marked, (int(x), int(y)), 1, (90, 230, 120), -1)
        out[i] = np.concatenate([frame, marked], axis=1)
    return out


def motion_figure(result: TalkResult, with_mouth: bool = True) -> go.Figure:
    """Yaw, pitch, roll and (where the renderer is driven by it) jawOpen over time, with the
    audio's beats."""
    t = np.arange(len(result.pose6)) / result.fps
    fig = go.Figure()
    for k, name in enumerate(("yaw", "pitch", "roll")):
        fig.add_scatter(x=t, y=result.pose6[:, k], name=f"{name} (°)")
    if with_mouth:
        fig.add_scatter(x=t, y=20 * result.mouth[:, 0], name="jawOpen × 20", line=dict(dash="dot"))
    beats = [  # one batch: add_vline per beat took ≈ 27 ms each (2.7 s for 100 beats)
        dict(type="line", x0=b / result.fps, x1=b / result.fps, xref="x", y0=0, y1=1,
             yref="y domain", line=dict(color="#bbb", width=1))
        for b in audio_beats(result.audio.samples, len(t))
    ]  # fmt: skip
    fig.update_layout(
        shapes=beats,
        title=f"Head motion{' and mouth' if with_mouth else ''} (grey lines: audio beats)",
        xaxis_title="seconds",
        template="plotly_white",
        height=320,
        margin=dict(l=40, r=10, t=40, b=40),
    )
    return fig


def build_talk_tab(state: gr.State) -> dict:
    gr.Markdown(
        "Make a SynthTalk person talk. The mouth follows the audio and the head moves with it "
        "in the person's own style (or the pose source's, when the Sources tab has one with "
        "sound); the emotion is SynthTalk's recipe or a JEAN expression code. Renderers: "
        + ", ".join(renderer_names())
        + " (others appear when their models exist; the NeRF draws the one person it was "
        "fitted to, whoever is chosen above; SPEAK draws a held-out person of IRFD's image set "
        "at 128² from the audio, with the head motion and emotion above made into its pose and "
        "emotion sources by the rig)."
    )
    with gr.Row():
        with gr.Column():
            with gr.Row():
                person = gr.Dropdown(
                    PEOPLE, value=PRESETS["default"].held_out_ids[0], label="Person"
                )
                speak_person = gr.Dropdown(
                    list(SPEAK_PEOPLE),
                    value=SPEAK_PEOPLE[0],
                    label="Person (SPEAK: IRFD's)",
                    visible=False,
                )
            said = gr.Radio(list(SAID), value=SAID[0], label="What is said")
            text = gr.Textbox(EXAMPLE_TEXT, label="Text", lines=2, elem_id="talk-text")
            motion = gr.Radio(list(MOTIONS), value="predicted", label="Head motion")
            with gr.Row():
                emotion_from = gr.Radio(list(EMOTION_FROM), value=EMOTION_FROM[0], label="Emotion")
                emotion = gr.Dropdown(list(EMOTIONS), value="happy", label="emotion (recipe)")
                intensity = gr.Slider(1, 3, value=2, step=1, label="intensity")
            with gr.Row():
                kind = gr.Dropdown(
                    list(SOURCE_KINDS), value=SOURCE_KINDS[0], label="code from", visible=False
                )
                label = gr.Dropdown(
                    list(EMOTIONS), value="surprised", label="code's emotion", visible=False
                )
                clip = gr.Textbox(
                    label="SynthTalk clip id", placeholder="id033_s06_happy3", visible=False
                )
            with gr.Row():
                renderer = gr.Dropdown(
                    renderer_names(), value="synthtalk", label="Renderer", elem_id="talk-renderer"
                )
                size = gr.Radio([128, 256], value=256, label="Size", elem_id="talk-size")
            go_btn = gr.Button("Talk", variant="primary", elem_id="talk-button")
        with gr.Column():
            video = gr.Video(label="Talking clip (mp4 with sound)", elem_id="talk-video")
            info = gr.Markdown(elem_id="talk-info")
            debug = gr.Video(label="Debug: render | landmarks")
            plot = gr.Plot(label="Motion", elem_id="talk-plot")

    def not_made(error, *_args, **_kwargs):  # the message stays under the video
        return gr.skip(), f"**Not made:** {error}", gr.skip(), gr.skip()

    @user_errors(on_error=not_made)
    def run(*args, progress=gr.Progress()):
        *choices, sources = args
        request = request_from(*choices, sources)

        def tell(fraction: float, what: str) -> None:
            progress(fraction, desc=what)

        if request.renderer == NERF:
            result = talk_nerf(request, shipped_renderer(), tell)
        elif request.renderer == SPEAK:
            result = talk_speak(request, load_speak(), tell)
        else:
            result = talk(request, progress=tell)
        folder = Path(tempfile.mkdtemp(prefix="talk_"))
        clip_path = result.write(folder / "talk.mp4")
        debug_path = None  # SPEAK has no rig landmarks to draw: its frames come from codes
        if request.renderer != SPEAK:
            debug_path = str(write_video(
                folder / "debug.mp4", debug_frames(result), result.fps, result.audio
            ))  # fmt: skip
        t = result.timings
        note = (
            f"{result.duration:.2f} s of {result.frames.shape[1]}² video with sound, person "
            f"{result.identity}, in {t['total']:.1f} s ({result.duration / t['total']:.2f} s of "
            f"video per second; render {t['render']:.1f} s)."
        )
        if request.renderer == SPEAK:
            note += (
                " SPEAK draws at 128², the size it was trained at, whatever Size says; its mouth "
                "comes from the audio inside the model, so there is no jawOpen curve and no "
                "landmark debug view (its frames come from codes, not from the rig)."
            )
        with_mouth = request.renderer != SPEAK
        return str(clip_path), note, debug_path, motion_figure(result, with_mouth)

    inputs = [
        person,
        speak_person,
        said,
        text,
        motion,
        emotion_from,
        emotion,
        intensity,
        kind,
        label,
        clip,
    ]
    go_btn.click(run, inputs=[*inputs, renderer, size, state], outputs=[video, info, debug, plot])

    def for_renderer(name: str):  # only the choices the chosen renderer reads
        speak = name == SPEAK
        return gr.update(visible=not speak), gr.update(visible=speak), gr.update(visible=not speak)

    renderer.change(for_renderer, renderer, [person, speak_person, size], queue=False)
    emotion_from.change(
        lambda choice: [gr.update(visible=choice == EMOTION_FROM[1])] * 3,
        emotion_from,
        [kind, label, clip],
        queue=False,
    )
    return {"talk": go_btn}

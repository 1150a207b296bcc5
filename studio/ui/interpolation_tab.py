"""The Expression interpolation tab (JEAN): two expression sources, a slider between them and
past them; the face re-renders as the slider moves. Handlers only call `studio.explore`."""

from __future__ import annotations

import tempfile
from pathlib import Path

import gradio as gr
import numpy as np

from studio.errors import StudioError
from studio.nn.checkpoints import checkpoint_exists
from studio.papers.jean.interpolation import (
    ALPHA_RANGE,
    SOURCE_KINDS,
    export_strip,
    interpolator_for,
    path_frames,
    strip_image,
)
from studio.synth.corpus import PRESETS
from studio.synth.emotions import EMOTIONS
from studio.ui.components import AtomicImage, with_toolbar_room
from studio.ui.errors import user_errors
from studio.ui.figures import blendshape_bars

IDENTITIES = PRESETS["default"].held_out_ids  # SynthTalk's held-out identities
LIVE_SIZE = 256  # an expression is hard to judge at 128 px; 256 px: 11 ms draft, 32 ms full
EXPORT_SIZE = 256  # strip, GIF and MP4


def _missing_model_note() -> str:
    if checkpoint_exists("jean"):
        return ""
    return "**No JEAN checkpoint.** Train it with `python -m studio.train jean`."


def _source_picker(side: str, kind: str, label: str):
    with gr.Column():
        gr.Markdown(f"**Source {side}**")
        k = gr.Radio(list(SOURCE_KINDS), value=kind, label="kind", elem_id=f"interp-kind-{side}")
        lab = gr.Dropdown(
            list(EMOTIONS), value=label, label="emotion label", elem_id=f"interp-label-{side}"
        )
        clip = gr.Textbox(
            label="SynthTalk clip id (Enter to apply)",
            placeholder="id033_s06_happy3",
            elem_id=f"interp-clip-{side}",
        )
    return k, lab, clip


def build_interpolation_tab(state: gr.State) -> dict:
    """Lay out the tab; returns its source pickers so the t-SNE tab can send points here."""
    gr.Markdown(
        "Move JEAN's **expression code** from source A to source B — and past them (α < 0 or "
        "α > 1 exaggerates). The code is decoded to blendshapes by the expression transformer's "
        "decoder (lips held closed) and rendered with the SynthTalk rig."
    )
    note = gr.Markdown(_missing_model_note(), elem_id="interp-note")
    with gr.Row():
        ka, la, ca = _source_picker("A", "emotion label", "neutral")
        kb, lb, cb = _source_picker("B", "emotion label", "happy")
        with gr.Column():
            ident = gr.Dropdown(
                IDENTITIES,
                value=32,
                label="render on SynthTalk identity",
                elem_id="interp-identity",
            )
            alpha = gr.Slider(
                *ALPHA_RANGE, value=0.5, step=0.05, label="α (0 = A, 1 = B)", elem_id="interp-alpha"
            )
    with gr.Row():
        image = AtomicImage(
            label="rendered", type="numpy", elem_id="interp-image", height=320, format="png"
        )
        bars = gr.Plot(
            label="decoded blendshapes (drawn when the slider is let go)", elem_id="interp-bars"
        )
    with gr.Row():
        strip_btn = gr.Button("Strip along the path + export", elem_id="interp-strip-button")
    strip = AtomicImage(label="strip (α = −0.5 … 1.5)", type="numpy", elem_id="interp-strip")
    with gr.Row():
        gif = gr.File(label="GIF", elem_id="interp-gif")
        mp4 = gr.File(label="MP4", elem_id="interp-mp4")
    inputs = [ka, la, ca, kb, lb, cb, ident, state]

    @user_errors
    def render(ka, la, ca, kb, lb, cb, ident, sources, alpha):
        waiting = _waiting_for_clip_id(ka, ca, kb, cb)
        if waiting:  # a kind just switched to "SynthTalk clip": a hint, not an error pop-up
            return gr.update(), gr.update(), waiting
        interp = interpolator_for(ka, la, ca, kb, lb, cb, int(ident), sources, size=LIVE_SIZE)
        img, bs = interp.frame(float(alpha))
        return img, blendshape_bars(bs, f"Decoded blendshapes, α = {alpha:.2f}"), ""

    @user_errors
    def make_strip(ka, la, ca, kb, lb, cb, ident, sources):
        interp = interpolator_for(ka, la, ca, kb, lb, cb, int(ident), sources, size=EXPORT_SIZE)
        alphas = np.linspace(*ALPHA_RANGE, 9)
        frames = interp.strip(alphas)
        out = Path(tempfile.mkdtemp(prefix="jean_interp_"))
        path = path_frames(interp, n=17)
        return (
            with_toolbar_room(strip_image(frames, alphas)),
            str(export_strip(path, out / "interpolation.gif")),
            str(export_strip(path, out / "interpolation.mp4")),
        )

    @user_errors
    def render_face(ka, la, ca, kb, lb, cb, ident, sources, alpha):
        """The slider's fast path: the draft face alone (no anti-aliasing, no bars); `settle`
        draws the full face and the bars when the slider is let go."""
        waiting = _waiting_for_clip_id(ka, ca, kb, cb)
        if waiting:
            return gr.update(), waiting
        interp = interpolator_for(ka, la, ca, kb, lb, cb, int(ident), sources, size=LIVE_SIZE)
        return interp.frame(float(alpha), draft=True)[0], ""

    @user_errors
    def settle(ka, la, ca, kb, lb, cb, ident, sources, alpha):
        if _waiting_for_clip_id(ka, ca, kb, cb):
            return gr.update(), gr.update()
        interp = interpolator_for(ka, la, ca, kb, lb, cb, int(ident), sources, size=LIVE_SIZE)
        img, bs = interp.frame(float(alpha))
        return img, blendshape_bars(bs, f"Decoded blendshapes, α = {alpha:.2f}")

    events = dict(fn=render, inputs=[*inputs, alpha], outputs=[image, bars, note])

    def first_face(*args):
        face, plot, _ = render(*args)
        return face, plot

    # while α moves, only a draft face (measured: updating the 51-bar plot on every move too
    # slowed each frame from ≈ 145 ms to ≈ 330 ms on 2 cores, and at 8 sessions the full face's
    # render was half the server's time); the full face and the bars when the slider is let go
    alpha.input(
        render_face, [*inputs, alpha], [image, note], trigger_mode="always_last",
        api_name="interp_slider",
    )  # fmt: skip
    alpha.release(settle, [*inputs, alpha], [image, bars], show_progress="hidden")
    for comp in (ka, la, kb, lb, ident):
        comp.change(**events)
    checked = gr.State(None)  # the clip ids last checked: Enter then blur checks them once
    fresh = gr.State(False)

    def mark(ka, ca, kb, cb, last):
        key = [ka, (ca or "").strip(), kb, (cb or "").strip()]
        return key, key != last

    def render_if_fresh(*args):
        *values, is_fresh = args
        if not is_fresh:
            return gr.update(), gr.update(), gr.update()
        return render(*values)

    for clip in (ca, cb):  # not on every keystroke: a half-typed id is not an error
        for event in (clip.submit, clip.blur):
            event(mark, inputs=[ka, ca, kb, cb, checked], outputs=[checked, fresh]).then(
                render_if_fresh, inputs=[*inputs, alpha, fresh], outputs=[image, bars, note]
            )
    strip_btn.click(make_strip, inputs=inputs, outputs=[strip, gif, mp4])
    return {
        "kind_a": ka,
        "label_a": la,
        "clip_a": ca,
        "kind_b": kb,
        "label_b": lb,
        "clip_b": cb,
        "render": events,
        # a face when the tab opens; not the note, which a quicker event (a kind switched
        # while this first render loads the model) may already have set
        "on_select": dict(fn=first_face, inputs=[*inputs, alpha], outputs=[image, bars]),
    }


def _waiting_for_clip_id(ka: str, ca: str, kb: str, cb: str) -> str:
    """A hint when a side asks for a SynthTalk clip whose id is not typed yet, else ""."""
    for side, kind, clip in (("A", ka, ca), ("B", kb, cb)):
        if kind == "SynthTalk clip" and not (clip or "").strip():
            return f"Type a SynthTalk clip id for source {side} (e.g. id033_s06_happy3) + Enter."
    return ""


__all__ = ["build_interpolation_tab", "StudioError"]

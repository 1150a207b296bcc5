"""The Code-swap tab (SPEAK / IRFD): three face sources — held-out people of IRFD's image set or
the user's own faces from the Sources tab — are encoded into identity, emotion and pose codes;
the tab draws SPEAK's Fig. 5 grid, one chosen mix, a per-code blend between two sources, and a
video when a clip drives. Beside them, what the bench measured: which code knows which factor."""

from __future__ import annotations

import functools
import tempfile
import time
from pathlib import Path

import cv2
import gradio as gr
import numpy as np
import plotly.graph_objects as go

from studio.bench.records import load_record
from studio.errors import StudioError
from studio.media import write_video
from studio.nn.checkpoints import checkpoint_exists, load_card
from studio.papers.irfd.codes import FACTOR_CODES, load_irfd, reconstruct
from studio.papers.irfd.judge import NAME as JUDGE_NAME
from studio.papers.irfd.judge import load_judge
from studio.papers.irfd.model import NAME
from studio.papers.irfd.sources import HELD_OUT_IDS, IMAGES_PER_PERSON, crop_source, held_out_person
from studio.papers.irfd.swaps import Source, blend_image, drive_video, grid, judged_mix, mix
from studio.sources import Sources
from studio.ui.components import AtomicImage, with_toolbar_room
from studio.ui.errors import user_errors

SLOTS = ("A", "B", "C")
USER = {"my identity source": "identity", "my pose source": "pose", "my emotion source": "emotion"}
PEOPLE = [f"person {i}" for i in HELD_OUT_IDS]
DEFAULTS = (PEOPLE[0], PEOPLE[1], PEOPLE[2])
OUT_OF_DOMAIN = (
    "**{name} is outside IRFD's world**: the encoders were trained on SynthTalk faces only, so "
    "its codes are what a SynthTalk-trained network makes of it — compare the crop with its "
    "reconstruction G(E(x)) below before reading the swap."
)


def pick(choice: str, index: int, sources: Sources | None) -> Source:
    """The face a slot shows: image `index` of a held-out person, or a frame of a user source."""
    if choice in USER:
        role = USER[choice]
        face = getattr(sources, role, None) if sources is not None else None
        if face is None:
            raise StudioError(f"No {role} source loaded — add one in the Sources tab first")
        i = int(np.clip(index, 0, min(len(face.frames), 250) - 1))
        image = crop_source(face, frame=i).images[0]  # one frame: this runs on every slider move
        return Source(image, f"{face.name}"[:14] + f" #{i}", in_domain=False)
    if choice not in PEOPLE:
        raise StudioError(f"Unknown source {choice!r}: pick a held-out person or a user source")
    person = held_out_person(int(choice.split()[1]))
    i = int(np.clip(index, 0, len(person.images) - 1))
    f = person.factors[i]
    return Source(person.images[i], f"{choice.split()[1]} {f['emotion']} {f['yaw']:+.0f} deg")


def _sources(choices, indices, sources) -> list[Source]:
    return [pick(c, i, sources) for c, i in zip(choices, indices, strict=True)]


def _upscaled(image: np.ndarray, side: int = 256) -> np.ndarray:
    return cv2.resize(image, (side, side), interpolation=cv2.INTER_CUBIC)


def _domain_note(picked: list[Source]) -> str:
    outside = [f"slot {s}" for s, p in zip(SLOTS, picked, strict=True) if not p.in_domain]
    return OUT_OF_DOMAIN.format(name=" and ".join(outside)) if outside else ""


@functools.lru_cache(maxsize=1)
def judge_caveat() -> str:
    """How far the set judge can be trusted, from its card (its reads of real held-out faces)
    and the irfd bench record; read once per process, not on every mix."""
    m = load_card(JUDGE_NAME).get("metrics", {})
    if "emotion_accuracy_int3" not in m:
        return ""
    out = (
        f" On real held-out faces it reads the emotion right in "
        f"{100 * m['emotion_accuracy_int3']:.0f}% of images (intensity 3) and the yaw within "
        f"{m['yaw_error_deg']:.1f}° on average, so read its verdicts with that in mind."
    )
    record = (load_record("irfd") or {}).get("metrics", {})
    share = record.get("set_judge_reconstructed_top_emotion_share")
    if share is not None and share >= 0.9:
        out += (
            f" On G_d's reconstructions of the held-out people it gives one emotion to "
            f"{100 * share:.0f}% of them (`python -m studio.bench irfd`): it sees no emotion in "
            "what this G_d draws, so its emotion verdict here says nothing."
        )
    return out


def leakage_figure(metrics: dict) -> go.Figure | None:
    """Probe scores of every factor from every code (the bench's held-out people)."""
    matrix = metrics.get("probe_matrix")
    if not matrix:
        return None
    codes = list(matrix)
    factors = list(matrix[codes[0]])
    z = [[matrix[c][f] for f in factors] for c in codes]
    chance = metrics.get("probe_chance", {})
    cols = [
        f"{f}<br>(chance {chance[f]:.2f})" if chance.get(f) else f"{f}<br>(R²)" for f in factors
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=cols,
            y=[f"{c} code" for c in codes],
            zmin=0,
            zmax=1,
            colorscale="Blues",
            text=[[f"{v:.2f}" for v in row] for row in z],
            texttemplate="%{text}",
            showscale=False,
        )  # fmt: skip
    )
    fig.update_layout(
        title="What each code knows (linear probes, held-out people)",
        height=280, margin=dict(l=10, r=10, t=40, b=10),
    )  # fmt: skip
    return fig


def _about(card: dict) -> str:
    m = card.get("metrics", {})
    measured = (
        f" On 100 held-out people (`python -m studio.bench irfd`): emotion from the emotion code "
        f"{m['emotion_probe_accuracy_int23']:.0%} (intensity 2–3), yaw R² from the pose code "
        f"{m['yaw_r2_from_pose']:.2f}, DCI disentanglement {_dci(m)}, "
        f"self-reconstruction {m['self_reconstruction_psnr']:.1f} dB"
        + (
            " — **a weak model**: most of its bars are not met (docs/IRFD.md); read the grid "
            "as what this much CPU training learns."
            if m["self_reconstruction_psnr"] < 26
            else "."
        )
        if "dci_disentanglement" in m
        else " This checkpoint has no measured numbers yet (`python -m studio.bench irfd`)."
    )
    return (
        "**SPEAK's IRFD**: three encoders split a face into an *identity*, an *emotion* and a "
        "*pose* code; a style-modulated generator draws any mix of them. Pick three sources "
        f"(held-out people the model never saw, or your own faces from the Sources tab), then "
        f"say where each code comes from. Trained {card['training']['minutes']:.0f} CPU-minutes "
        f"at {card['config']['size']}²." + measured
    )


def _dci(metrics: dict) -> str:
    """The bar's tree DCI where the record has it, with the linear one beside it."""
    linear = metrics["dci_disentanglement"]
    if "dci_disentanglement_trees" not in metrics:
        return f"{linear:.2f}"
    return f"{metrics['dci_disentanglement_trees']:.2f} (tree importances; linear {linear:.2f})"


def build_code_swap_tab(state: gr.State) -> dict:
    card = load_card(NAME)
    gr.Markdown(_about(card))
    choices = PEOPLE + list(USER)
    slot_choice, slot_index, slot_image = [], [], []
    with gr.Row():
        for slot, default in zip(SLOTS, DEFAULTS, strict=True):
            with gr.Column(min_width=160):
                slot_choice.append(
                    gr.Dropdown(
                        choices,
                        value=default,
                        label=f"source {slot}",
                        elem_id=f"swap-source-{slot}",
                    )  # fmt: skip
                )
                slot_index.append(
                    gr.Slider(
                        0,
                        IMAGES_PER_PERSON - 1,
                        value=0,
                        step=1,
                        label="image (person) / frame (your clip)",
                    )  # fmt: skip
                )
                slot_image.append(AtomicImage(label=f"{slot} (crop)", height=140, format="png",
                                           interactive=False))  # fmt: skip
    note = gr.Markdown(elem_id="swap-note")
    with gr.Row():
        with gr.Column(scale=3):
            grid_image = AtomicImage(label="Swap grid (SPEAK Fig. 5)", format="png",
                                  elem_id="swap-grid", interactive=False)  # fmt: skip
            grid_info = gr.Markdown(elem_id="swap-grid-info")
        with gr.Column(scale=2):
            figure = leakage_figure(card.get("metrics", {}))
            if figure is not None:
                gr.Plot(figure, label="Probe leakage")
            else:
                gr.Markdown("No probe numbers in the checkpoint's card yet.")
            take = [
                gr.Radio(list(SLOTS), value=default, label=f"{f} from", elem_id=f"swap-take-{f}")
                for f, default in zip(FACTOR_CODES, SLOTS, strict=True)
            ]
            mix_image = AtomicImage(label="Chosen mix", height=256, format="png",
                                 elem_id="swap-mix", interactive=False)  # fmt: skip
            mix_judged = gr.Markdown(elem_id="swap-mix-judge")
    with gr.Accordion("Blend A → B, one code at a time", open=False):
        with gr.Row():
            weights = [
                gr.Slider(0, 1, value=0, step=0.05, label=f"{factor}: A → B")
                for factor in FACTOR_CODES
            ]
            blend_out = AtomicImage(label="Blend", height=256, format="png", interactive=False)
    with gr.Accordion("What the encoders make of each source (reconstruction)", open=False):
        recon = AtomicImage(
            label="crops (top) and G(E(x)) (bottom)", format="png", interactive=False
        )
    with gr.Accordion("Video: identity A driven by a clip", open=False):
        gr.Markdown(
            "Identity from source A; pose and emotion from your **pose source** clip (Sources "
            "tab), frame by frame, codes smoothed over time; its sound is kept."
        )
        video_btn = gr.Button("Render video", elem_id="swap-video-button")
        video = gr.Video(label="Driven video", elem_id="swap-video")
        video_info = gr.Markdown()

    inputs = [*slot_choice, *slot_index, state]
    mix_inputs = [*inputs, *take]
    blend_inputs = [*inputs, *weights]
    every_input = [*inputs, *take, *weights]

    def _picked(args) -> list[Source]:
        return _sources(args[:3], args[3:6], args[6])

    def _mix(model, picked: list[Source], sides) -> tuple[np.ndarray, str]:
        """The chosen mix at 256², and what the set judge reads in it (when shipped)."""
        chosen = {f: SLOTS.index(s) for f, s in zip(FACTOR_CODES, sides, strict=True)}
        image = mix(model, picked, chosen)
        note = ""
        if checkpoint_exists(JUDGE_NAME):
            note = judged_mix(load_judge(), image, picked, chosen, SLOTS) + judge_caveat()
        return _upscaled(image), note

    def _blend(model, picked: list[Source], values) -> np.ndarray:
        w = dict(zip(FACTOR_CODES, values, strict=True))
        return _upscaled(blend_image(model, picked[0], picked[1], w))

    @user_errors
    def show(*args):
        """Everything the tab draws from its sources (when a source changes or the tab opens)."""
        model = load_irfd()
        picked = _picked(args)
        start = time.perf_counter()
        image = with_toolbar_room(grid(model, picked, picked))
        seconds = time.perf_counter() - start
        rec = reconstruct(model, np.stack([p.image for p in picked]))
        strip = np.concatenate(
            [np.concatenate([p.image for p in picked], 1), np.concatenate(list(rec), 1)], 0
        )
        info = f"3×3 grid (the 3 sources encoded, 9 images drawn) in {seconds * 1000:.0f} ms."
        return [p.image for p in picked] + [
            image, info, _domain_note(picked), strip,
            *_mix(model, picked, args[7:10]), _blend(model, picked, args[10:13]),
        ]  # fmt: skip

    @user_errors
    def show_mix(*args):
        return _mix(load_irfd(), _picked(args), args[7:10])

    @user_errors
    def show_blend(*args):
        return _blend(load_irfd(), _picked(args), args[7:10])

    def not_made(error, *_args, **_kwargs):  # the reason stays under the video box
        return gr.skip(), f"**Not made:** {error}"

    @user_errors(on_error=not_made)
    def render_video(*args, progress=gr.Progress()):
        sources: Sources | None = args[6]
        if sources is None or sources.pose is None or sources.pose.is_image:
            raise StudioError(
                "Load a pose source video (not a photo) in the Sources tab to drive source A"
            )
        identity = _picked(args)[0]
        crops = crop_source(sources.pose)
        start = time.perf_counter()
        frames = drive_video(
            load_irfd(), identity, crops.images,
            done=lambda i, n: progress(i / n, desc=f"frame {i}/{n}"),
        )  # fmt: skip
        frames = np.stack([_upscaled(f) for f in frames])
        path = Path(tempfile.mkdtemp(prefix="swap_")) / "swap.mp4"
        write_video(path, frames, fps=crops.fps, audio=sources.pose.audio)
        seconds = time.perf_counter() - start
        return str(path), f"{len(frames)} frames in {seconds:.1f} s."

    shown = [*slot_image, grid_image, grid_info, note, recon, mix_image, mix_judged, blend_out]
    for control in slot_choice:
        control.change(show, every_input, shown, trigger_mode="always_last")
    for control in slot_index:
        control.input(show, every_input, shown, trigger_mode="always_last")
    for radio in take:
        radio.change(show_mix, mix_inputs, [mix_image, mix_judged])
    for slider in weights:
        slider.input(show_blend, blend_inputs, blend_out, trigger_mode="always_last")
    video_btn.click(render_video, inputs, [video, video_info])
    return {
        "grid": grid_image,
        "on_select": dict(fn=show, inputs=every_input, outputs=shown),
    }

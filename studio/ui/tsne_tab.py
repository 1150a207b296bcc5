"""The t-SNE explorer tab: JEAN's expression, lip and audio codes of held-out SynthTalk
identities, or IRFD's identity, emotion and pose codes of IRFD's held-out people (plus the
user's emotion source) on a t-SNE map, with cluster scores. Handlers only call
`studio.explore` and the papers' banks."""

from __future__ import annotations

import gradio as gr
import numpy as np
from gradio.components.plot import PlotData

from studio.errors import StudioError
from studio.eval.novelty import summarise
from studio.eval.tsne import content_key, describe_point, scatter_figure
from studio.explore.maps import bank_map, user_novelty
from studio.explore.memo import Memo, labels_digest
from studio.explore.scores import SCORED_LABELS, label_scores, point_frame
from studio.nn.checkpoints import checkpoint_exists
from studio.papers.irfd import bank as irfd
from studio.papers.irfd.codes import FACTOR_CODES
from studio.papers.irfd.model import NAME as IRFD_NAME
from studio.papers.jean.codes import CODE_NAMES, bank_source, corpus_bank, user_bank
from studio.papers.jean.model import load
from studio.ui.components import AtomicImage
from studio.ui.errors import user_errors
from studio.ui.figures import frozen_plot

COLOUR_BY = ("emotion", "intensity", "identity", "sentence")
CODES = CODE_NAMES  # expression, lip, audio, and the landmark autoencoder's mouth, eye-nose
JEAN, IRFD = "JEAN", "IRFD"
MODELS = {  # model → (its codes, what to colour by, the labels scored)
    JEAN: (CODES, COLOUR_BY, SCORED_LABELS),
    IRFD: (FACTOR_CODES, irfd.COLOUR_BY, irfd.SCORED_LABELS),
}


def models() -> list[str]:
    """JEAN, and IRFD when its checkpoint ships."""
    return [JEAN] + ([IRFD] if checkpoint_exists(IRFD_NAME) else [])


# when a point of the map is clicked, put its index in the point box and show it
CLICK_JS = """
() => {
  // the plot's div and Plotly's listeners are replaced when the map is redrawn (new map, new
  // colours): a MutationObserver on the plot's box (re)hooks whatever div is current as soon
  // as it changes, removing our earlier listener first so that a click is handled once
  const onClick = (d) => {
    const i = d.points[0].customdata;
    const box = document.querySelector('#tsne-point input');
    box.value = i;
    box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => document.querySelector('#tsne-show').click(), 100);
  };
  const root = document.querySelector('#tsne-plot');
  const hook = () => {
    const p = root && root.querySelector('.js-plotly-plot');
    if (!p || !p.on || p._jeanClick === onClick) return;
    if (p._jeanClick) p.removeListener('plotly_click', p._jeanClick);
    p._jeanClick = onClick;
    p.on('plotly_click', onClick);
  };
  if (root && !root._jeanObserver) {
    root._jeanObserver = new MutationObserver(() => root._jeanHook && root._jeanHook());
    root._jeanObserver.observe(root, {childList: true, subtree: true});
  }
  if (root) root._jeanHook = hook;
  hook();
}
"""


def _bank(sources, include_user: bool, n_points: int, code: str | None = None, model=JEAN):
    """The held-out people's codes (+ the user's emotion source, whose points get a "novelty"
    label for `code`: see `studio.eval.novelty`). IRFD's bank is its 800 held-out images
    (`n_points` does not apply)."""
    bank = irfd.held_out_bank() if model == IRFD else corpus_bank(max_points=int(n_points))
    if include_user and sources is not None and sources.emotion is not None:
        if model == IRFD:
            mine = irfd.user_irfd_bank(sources.emotion)
        else:
            mine = user_bank(load(), sources.emotion)
        joined = bank.concat(mine)
        if code is not None and np.isfinite(mine.codes[code]).all():
            scored = user_novelty(bank, mine.codes[code], code)
            joined.labels["novelty"] = np.r_[np.full(len(bank), np.nan), scored]
        return joined
    return bank


def _user_name(sources) -> str | None:
    return sources.emotion.name if sources is not None and sources.emotion is not None else None


def _map_bank(shown: dict | None, n_points, user, sources):
    """The bank behind the map on screen (`shown`: what `compute` drew it from), so a click
    reads the point that was drawn even after the sliders moved; before any map, the
    sliders' bank."""
    if shown is None:
        return _bank(sources, user, n_points)
    if shown["user"] and _user_name(sources) != shown["user"]:
        raise StudioError("The emotion source changed since this map was drawn: compute it again")
    return _bank(sources, bool(shown["user"]), shown["n_points"], shown["code"], shown["model"])


_PLOTS: Memo[PlotData] = Memo(16)


def _map_plot(xy: np.ndarray, labels: dict, colour: str, title: str) -> PlotData:
    """The map as gr.Plot sends it, built once per content: every session that opens the tab
    draws the same bank, and its 2,000 hover texts and traces were 60 ms of Python each time."""
    names = sorted(labels)
    key = content_key(xy, labels=labels_digest(names, *(labels[n] for n in names)), colour=colour,
                      title=title)  # fmt: skip
    return _PLOTS.get(key, lambda: frozen_plot(scatter_figure(xy, labels, colour, title)))


def _scores_markdown(bank, code: str, model: str = JEAN) -> str:
    """k-NN accuracy (folds by clip: a frame's own clip never votes; for IRFD each image is
    its own clip), silhouette and chance."""
    others = "other images" if model == IRFD else "other clips"
    rows = ["| labels | 5-NN | chance | silhouette |", "|---|---|---|---|"]
    scores = label_scores(bank, code, MODELS[model][2])
    for by, s in scores.items():
        rows.append(
            f"| {by} | {s['knn_accuracy']:.3f} | {s['chance']:.3f} | {s['silhouette']:.3f} |"
        )
    rows += [
        "",
        f"5-NN: how often the label most of a code's 5 nearest codes from {others} carry is its "
        "own; chance: the commonest label's share.",
    ]
    if "sentence" in scores and model == JEAN:
        rows[-1] += (
            " Sentence falls below chance because a clip's nearest other clips are its "
            "person's same emotion and intensity in *other* sentences: a sentence is said once "
            "per person, emotion and intensity."
        )
    return "\n".join(rows)


def build_tsne_tab(
    state: gr.State, interpolation: dict | None = None, tabs: gr.Tabs | None = None
) -> None:
    """Lay out the tab; `interpolation` = the pickers `build_interpolation_tab` returned,
    `tabs` = the app's tabs (sending a point opens the interpolation tab)."""
    gr.Markdown(
        "JEAN's per-frame codes of the **held-out SynthTalk identities** — or IRFD's "
        "identity, emotion and pose codes of its held-out people — on a t-SNE map (PCA "
        "to 30 dims; computed once and cached), and your emotion source's frames as diamonds, "
        "*placed into* that map (openTSNE's transform) without moving it. "
        "Expression codes should cluster by emotion, lip codes should not; the landmark "
        "autoencoder's mouth and eye-nose codes are the per-frame shapes JEAN starts from (the "
        "mouth code is what the audio code retrieves); IRFD's identity "
        "code by person, its pose code by yaw. Click a point (or type its #) to see its frame "
        "and send a JEAN point to the interpolation tab."
    )
    with gr.Row():
        model = gr.Radio(models(), value=JEAN, label="model", elem_id="tsne-model")
        code = gr.Radio(list(CODES), value="expression", label="code", elem_id="tsne-code")
        colour = gr.Radio(
            list(COLOUR_BY), value="emotion", label="colour by", elem_id="tsne-colour"
        )
        perplexity = gr.Slider(
            5, 50, value=30, step=1, label="perplexity", elem_id="tsne-perplexity"
        )
        n_points = gr.Slider(500, 5000, value=2000, step=500, label="points", elem_id="tsne-points")
        user = gr.Checkbox(True, label="include my emotion source", elem_id="tsne-user")
    run = gr.Button("Compute map", variant="primary", elem_id="tsne-run")
    shown = gr.State(None)  # what the map on screen was drawn from
    chosen = gr.State(None)  # the point last shown beside the map (what "Send" sends)
    with gr.Row():
        with gr.Column(scale=5):
            plot = gr.Plot(label="t-SNE", elem_id="tsne-plot")
        with gr.Column(scale=2):  # wide enough for the score table's four columns
            score = gr.Markdown(elem_id="tsne-scores")
            point = gr.Number(label="point #", precision=0, elem_id="tsne-point")
            show = gr.Button("Show point", elem_id="tsne-show")
            frame = AtomicImage(label="frame", type="numpy", elem_id="tsne-frame", height=200)
            info = gr.Markdown(elem_id="tsne-point-info")
            send_a = gr.Button("Send to interpolation as A", elem_id="tsne-send-a")
            send_b = gr.Button("Send to interpolation as B", elem_id="tsne-send-b")

    @user_errors
    def compute(model_, code, colour, perplexity, n_points, user, sources):
        codes_, colours_, _ = MODELS[model_]
        if code not in codes_ or colour not in colours_:  # the radios are still switching
            return gr.skip()
        bank = _bank(sources, user, n_points, code, model_)
        left_out = ""
        if user and not np.isfinite(bank.codes[code]).all():  # a clip without sound
            user, bank = False, _bank(sources, False, n_points, model=model_)
            left_out = (
                f"\n\nYour emotion source has no {code} codes (no sound), so its points are "
                "left out of this map."
            )
        elif "novelty" in bank.labels:
            mine = bank.labels["novelty"][bank.labels["source"] == "user"]
            left_out = "\n\n" + summarise(mine, what=f"Your emotion source's {code} codes")
        drawn = bank_map(bank, code, float(perplexity))
        if model_ == IRFD:
            title = f"IRFD {code} codes, {len(bank)} images"
            mapped = "the images"
            source = (
                "IRFD's 100 held-out people, 8 images each (re-rendered from the set's seeds); "
                "the shipped IRFD is weak (docs/IRFD.md), and the table says how weak"
            )
        else:  # a clip's frames often sit on one spot: say how many clips there are
            clips = len(np.unique(bank.labels["clip_id"]))
            title = f"JEAN {code} codes, {len(bank)} frames of {clips} clips"
            mapped, source = "the SynthTalk frames", bank_source(bank)
        fig = _map_plot(drawn.xy, bank.labels, colour, title)
        table = _scores_markdown(bank, code, model_)
        drawn_from = {
            "n_points": int(n_points),
            "user": _user_name(sources) if user else None,
            "code": code,
            "perplexity": float(perplexity),
            "model": model_,
        }
        placed = (
            f"; your {drawn.placed} frame(s) placed into it in {drawn.place_seconds:.1f} s"
            if drawn.placed
            else ""
        )
        note = (
            f"{table}\n\nt-SNE of {mapped}: {drawn.fit_seconds:.1f} s (cached after the first "
            f"time){placed}. Codes from {source}.{left_out}"
        )
        return fig, note, drawn_from, None  # a new map: no point is chosen on it yet

    @user_errors
    def recolour(model_, colour, shown, n_points, user, sources):
        """The drawn map in other colours: its embedding is cached and its scores stand."""
        if shown is None:
            return gr.update()
        # the radios are still switching: switching the model sets the colour too, and the map of
        # the model chosen is drawn by the switch itself (recolouring the old one could land last)
        if shown["model"] != model_ or colour not in MODELS[shown["model"]][1]:
            return gr.skip()
        bank = _map_bank(shown, n_points, user, sources)
        code = shown["code"]
        xy = bank_map(bank, code, shown["perplexity"]).xy
        return _map_plot(xy, bank.labels, colour, f"{shown['model']} {code} codes")

    @user_errors
    def show_point(i, shown, n_points, user, sources):
        if i is None:
            return None, "", None
        bank = _map_bank(shown, n_points, user, sources)
        if shown is not None and shown["model"] == IRFD:
            image = irfd.point_image(bank, int(i), getattr(sources, "emotion", None))
        else:
            frames = sources.emotion.frames if _user_name(sources) else None
            image = point_frame(bank, int(i), frames)
        return image, f"**{describe_point(bank.labels, int(i))}**", int(i)

    def send(i, shown, n_points, user, sources):
        if i is None or shown is None:
            raise StudioError(
                "Choose a point first: click one on the map (or type its # and "
                "press Show point), then send it"
            )
        if shown["model"] == IRFD:
            raise StudioError(
                "The interpolation tab blends JEAN codes; an IRFD point's person can be blended "
                "in the Code swap (IRFD) tab"
            )
        p = _map_bank(shown, n_points, user, sources).point(int(i))
        opened = [gr.Tabs(selected="interpolation")] if tabs is not None else []
        if p["source"] == "user":
            return "my emotion source", gr.update(), gr.update(), *opened
        return "SynthTalk clip", gr.update(), p["clip_id"], *opened

    inputs = [model, code, colour, perplexity, n_points, user, state]
    outputs = [plot, score, shown, chosen]
    run.click(compute, inputs=inputs, outputs=outputs, api_name="tsne_map").then(None, js=CLICK_JS)

    def switch_model(model_):
        codes_, colours_, _ = MODELS[model_]
        return (
            gr.Radio(list(codes_), value=codes_[0]),
            gr.Radio(list(colours_), value=colours_[0]),
            gr.Slider(visible=model_ != IRFD),  # IRFD's bank is its 800 held-out images
        )

    model.change(switch_model, model, [code, colour, n_points]).then(
        compute, inputs=inputs, outputs=outputs
    ).then(None, js=CLICK_JS)

    def first_map(*args):
        """When the tab opens without a map: draw one (the bank's map is cached or shipped)."""
        *values, drawn = args
        return compute(*values) if drawn is None else gr.skip()

    where = [point, shown, n_points, user, state]
    # no need to press "Compute map" again to see the drawn map in other colours
    colour.change(recolour, inputs=[model, colour, *where[1:]], outputs=plot).then(
        None, js=CLICK_JS
    )
    show.click(show_point, inputs=where, outputs=[frame, info, chosen])
    if interpolation:
        for btn, side in ((send_a, "a"), (send_b, "b")):
            btn.click(
                user_errors(send),
                inputs=[chosen, *where[1:]],
                outputs=[
                    interpolation[f"kind_{side}"],
                    interpolation[f"label_{side}"],
                    interpolation[f"clip_{side}"],
                    *([tabs] if tabs is not None else []),
                ],
            ).success(**interpolation["render"])
    # the map's click hook is attached once the map is drawn, as after "Compute map"
    return {
        "on_select": dict(fn=first_map, inputs=[*inputs, shown], outputs=outputs),
        "after_select": dict(fn=None, js=CLICK_JS),
    }

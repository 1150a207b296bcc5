"""The studio's Gradio Blocks: one tab per module in `studio/ui/`, sharing the session's sources."""

from __future__ import annotations

import gradio as gr

from studio import __version__
from studio.sources import Sources
from studio.ui.benchmarks_tab import build_benchmarks_tab
from studio.ui.interpolation_tab import build_interpolation_tab
from studio.ui.sources_tab import build_sources_tab
from studio.ui.tsne_tab import build_tsne_tab

TITLE = "Talking-Head Disentanglement Studio"
INTRO = f"""# {TITLE}
See and measure how talking-head models separate **identity, lips, emotion and head pose**.
Version {__version__}. Everything runs on this machine's CPU (a CUDA GPU is used when present)."""


def build_app() -> gr.Blocks:
    """Build the Blocks app (not launched), so tests and `app.py` share it."""
    with gr.Blocks(title=TITLE) as app:
        gr.Markdown(INTRO)
        state = gr.State(Sources())
        with gr.Tabs() as tabs:
            with gr.Tab("Sources", id="sources"):
                build_sources_tab(state)
            with gr.Tab("Expression interpolation", id="interpolation") as interpolation_tab:
                interpolation = build_interpolation_tab(state)
            with gr.Tab("t-SNE explorer", id="tsne"):
                build_tsne_tab(state, interpolation, tabs)
            with gr.Tab("Benchmarks", id="benchmarks"):
                build_benchmarks_tab()
        interpolation_tab.select(**interpolation["render"])  # a face when the tab opens
    app.queue(default_concurrency_limit=2, max_size=32)
    return app

"""The studio's Gradio Blocks: Sources, then each paper's tabs from the registry, then
Benchmarks. A paper's tabs are shown when its checkpoints are on disk; otherwise the tab says
which command trains them."""

from __future__ import annotations

import gradio as gr

from studio import __version__, registry
from studio.nn.spec import PaperSpec
from studio.sources import Sources
from studio.ui.benchmarks_tab import build_benchmarks_tab
from studio.ui.sources_tab import build_sources_tab
from studio.ui.tabs import TABS, TabContext

TITLE = "Talking-Head Disentanglement Studio"
INTRO = f"""# {TITLE}
See and measure how talking-head models separate **identity, lips, emotion and head pose**.
Version {__version__}. Everything runs on this machine's CPU (a CUDA GPU is used when present)."""


SESSION_TTL_S = 3600  # a Space's memory stays bounded: idle sessions' sources are dropped
CACHE_SWEEP_S, CACHE_AGE_S = 1800, 3600  # Gradio's file cache: swept every 30 min, 1 h old files


# score tables in narrow columns: whole words (a table scrolls sideways rather than break one);
# Gradio 6 takes it in launch(), as app.py passes it
CSS = """
#tsne-scores table { display: block; overflow-x: auto; }
#tsne-scores th, #tsne-scores td { word-break: normal; overflow-wrap: normal; hyphens: none; }
#tsne-scores th { white-space: nowrap; }
#tsne-scores th, #tsne-scores td { padding: 4px 8px; }
"""


def untrained_note(spec: PaperSpec, missing) -> str:
    commands = "\n".join(f"    {m.command}" for m in missing)
    return (
        f"**{spec.title} is not trained here yet**: this tab needs the checkpoints "
        f"{', '.join(m.name for m in missing)}. Train them with:\n\n{commands}"
    )


def build_app(specs: tuple[PaperSpec, ...] = registry.SPECS, checkpoints=None) -> gr.Blocks:
    """Build the Blocks app (not launched), so tests and `app.py` share it. `specs` and
    `checkpoints` (a folder) are for tests; the app reads the registry and checkpoints/."""
    # a session's sources live an hour after its last use; cached outputs are swept likewise
    with gr.Blocks(title=TITLE, delete_cache=(CACHE_SWEEP_S, CACHE_AGE_S)) as app:
        gr.Markdown(INTRO)
        state = gr.State(Sources(), time_to_live=SESSION_TTL_S)
        with gr.Tabs() as tabs:
            with gr.Tab("Sources", id="sources"):
                build_sources_tab(state)
            ctx = TabContext(state, tabs)
            for spec in specs:
                missing = registry.missing_checkpoints(spec, checkpoints)
                for tab_id in spec.tabs:
                    builder = TABS[tab_id]
                    with gr.Tab(builder.title, id=tab_id) as tab:
                        if missing:
                            gr.Markdown(
                                untrained_note(spec, missing), elem_id=f"{tab_id}-untrained"
                            )
                            continue
                        handle = builder.build(ctx) or {}
                    ctx.handles[tab_id] = handle
                    if "on_select" in handle:  # e.g. draw a face when the tab opens
                        opened = tab.select(**handle["on_select"])
                        if "after_select" in handle:
                            opened.then(**handle["after_select"])
            with gr.Tab("Benchmarks", id="benchmarks"):
                build_benchmarks_tab()
    app.queue(default_concurrency_limit=2, max_size=32)
    return app

"""The model tabs the app can show, by the ids that paper specs declare (`PaperSpec.tabs`).

A builder gets the session state, the app's Tabs and the handles earlier tabs returned (the
t-SNE tab sends points to the interpolation tab), and returns its own handle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import gradio as gr

from studio.ui.code_swap_tab import build_code_swap_tab
from studio.ui.interpolation_tab import build_interpolation_tab
from studio.ui.novel_view_tab import build_novel_view_tab
from studio.ui.talk_tab import build_talk_tab
from studio.ui.tsne_tab import build_tsne_tab


@dataclass
class TabContext:
    state: gr.State
    tabs: gr.Tabs
    handles: dict[str, dict] = field(default_factory=dict)


@dataclass(frozen=True)
class TabBuilder:
    title: str
    build: Callable[[TabContext], dict | None]


TABS: dict[str, TabBuilder] = {
    "talk": TabBuilder("Talk", lambda ctx: build_talk_tab(ctx.state)),
    "interpolation": TabBuilder(
        "Expression interpolation", lambda ctx: build_interpolation_tab(ctx.state)
    ),
    "novel_view": TabBuilder("Novel view (NeRF)", lambda ctx: build_novel_view_tab(ctx.state)),
    "code_swap": TabBuilder("Code swap (IRFD)", lambda ctx: build_code_swap_tab(ctx.state)),
    "tsne": TabBuilder(
        "t-SNE explorer",
        lambda ctx: build_tsne_tab(ctx.state, ctx.handles.get("interpolation"), ctx.tabs),
    ),
}

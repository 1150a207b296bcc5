"""Plotly figures shown by the studio (and usable from notebooks): pure functions of arrays."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from gradio.components.plot import PlotData
from plotly.subplots import make_subplots

from studio.face.records import BLENDSHAPE_NAMES, FaceTrack
from studio.speech import HOP, SAMPLE_RATE, Speech

_LAYOUT = dict(template="plotly_white", margin=dict(l=50, r=20, t=40, b=40))


def frozen_plot(fig: go.Figure) -> PlotData:
    """A figure serialised once, as gr.Plot sends it: for figures many sessions are shown
    unchanged (building and serialising a plotly figure is pure Python, tens of ms)."""
    return PlotData(type="plotly", plot=fig.to_json())


def blendshape_bars(blendshapes: np.ndarray, title: str = "Blendshapes") -> go.Figure:
    """One frame's ARKit coefficients as horizontal bars (`_neutral` left out)."""
    names = list(BLENDSHAPE_NAMES[1:])
    values = np.nan_to_num(np.asarray(blendshapes, dtype=float)[1:])
    fig = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            marker_color="#4c78a8",
            hovertemplate="%{y}: %{x:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        height=900,
        xaxis=dict(range=[0, 1], title="coefficient"),
        yaxis=dict(autorange="reversed", tickfont=dict(size=10)),
        **_LAYOUT,
    )
    return fig


def pose_over_time(
    track: FaceTrack, current: int | None = None, title: str = "Head pose"
) -> go.Figure:
    """Yaw, pitch, roll (degrees) and translation (cm) against time; frames without a face gap."""
    if len(track) == 1:
        return pose_bars(track.pose6[0], title)
    t = np.arange(len(track)) / track.fps
    pose = np.where(track.found[:, None], track.pose6, np.nan)
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=("rotation (°)", "translation (cm)"),
    )
    for i, name in enumerate(("yaw", "pitch", "roll")):
        fig.add_trace(
            go.Scatter(
                x=t, y=pose[:, i], name=name, mode="lines+markers" if len(t) < 3 else "lines"
            ),
            row=1,
            col=1,
        )
    for i, name in enumerate(("tx", "ty", "tz")):
        fig.add_trace(
            go.Scatter(
                x=t, y=pose[:, 3 + i], name=name, mode="lines+markers" if len(t) < 3 else "lines"
            ),
            row=2,
            col=1,
        )
    if current is not None and len(t) > 1:
        fig.add_vline(x=current / track.fps, line_dash="dot", line_color="gray")
    fig.update_xaxes(title_text="time (s)", row=2, col=1)
    fig.update_layout(title=title, height=420, **_LAYOUT)
    return fig


def pose_bars(pose6: np.ndarray, title: str = "Head pose") -> go.Figure:
    """One frame's pose: rotation (degrees) and translation (cm) as labelled bars, each label
    outside its bar with room left for it under the subplot's title."""
    values = np.nan_to_num(np.asarray(pose6, dtype=float))
    fig = make_subplots(rows=1, cols=2, subplot_titles=("rotation (°)", "translation (cm)"))
    for col, (names, part, colour) in enumerate(
        (
            (["yaw", "pitch", "roll"], values[:3], "#4c78a8"),
            (["tx", "ty", "tz"], values[3:], "#f58518"),
        ),
        start=1,
    ):
        fig.add_trace(
            go.Bar(x=names, y=part, text=np.round(part, 1), textposition="outside",
                   cliponaxis=False, marker_color=colour),
            row=1,
            col=col,
        )  # fmt: skip
        low, high = min(0.0, part.min()), max(0.0, part.max())
        pad = 0.2 * max(high - low, 1.0)
        fig.update_yaxes(range=[low - pad, high + pad], row=1, col=col)
    fig.update_layout(title=title, height=320, showlegend=False, **_LAYOUT)
    return fig


def _envelope(samples: np.ndarray, points: int = 2000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Min/max envelope of a waveform in `points` buckets: plotting 1e6 samples stays fast."""
    n = len(samples)
    buckets = max(1, min(points, n))
    edges = np.linspace(0, n, buckets + 1).astype(int)
    lo = np.minimum.reduceat(samples, edges[:-1])
    hi = np.maximum.reduceat(samples, edges[:-1])
    centres = (edges[:-1] + edges[1:]) / 2 / SAMPLE_RATE
    return centres, lo, hi


def audio_figure(
    samples: np.ndarray, mel: np.ndarray, speech: Speech | None = None, title: str = "Driving audio"
) -> go.Figure:
    """Waveform over the log-mel spectrogram, with phoneme labels when they are known."""
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        row_heights=[0.35, 0.65],
        subplot_titles=("waveform", "log-mel (80 bands)"),
    )
    t, lo, hi = _envelope(samples)
    fig.add_trace(
        go.Scatter(
            x=np.concatenate([t, t[::-1]]),
            y=np.concatenate([hi, lo[::-1]]),
            fill="toself",
            line=dict(width=0.5, color="#4c78a8"),
            name="waveform",
            hoverinfo="skip",
        ),
        row=1,
        col=1,
    )
    mel_t = np.arange(len(mel)) * HOP / SAMPLE_RATE
    fig.add_trace(
        go.Heatmap(
            x=mel_t,
            y=np.arange(mel.shape[1]),
            z=mel.T,
            colorscale="Viridis",
            showscale=False,
            name="log-mel",
        ),
        row=2,
        col=1,
    )
    if speech is not None:  # one text trace: an annotation per phoneme cost ≈ 5 ms each
        fig.add_trace(
            go.Scatter(
                x=[(e.start + e.end) / 2 for e in speech.phonemes],
                y=np.ones(len(speech.phonemes)),
                text=[e.symbol for e in speech.phonemes],
                mode="text",
                textfont=dict(size=9),
                name="phonemes",
                hoverinfo="skip",
            ),
            row=1,
            col=1,
        )
    fig.update_xaxes(title_text="time (s)", row=2, col=1)
    fig.update_yaxes(title_text="mel band", row=2, col=1)
    fig.update_layout(title=title, height=420, showlegend=False, **_LAYOUT)
    return fig
